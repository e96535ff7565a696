//! The program under ordinary faults: many writers on one audit log, a full disk, signals,
//! closed pipes, audit logs that are not logs, and bad flags.

mod input;
mod setup;
mod signals;
mod writers;
