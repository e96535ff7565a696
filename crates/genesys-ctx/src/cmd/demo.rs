//! `genesys-ctx demo`: the seed tutorial's workflow on the embedded emulator.

use std::path::PathBuf;

use genesys_context::UpdateReport;

use super::CliError;
use crate::demo::{self, DemoOptions, DemoReport};

/// Arguments of `genesys-ctx demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write the audit log here (default: a fresh file in the temp directory).
    #[arg(long)]
    pub audit_log: Option<PathBuf>,
    /// Do not script the 429 and the version race.
    #[arg(long)]
    pub no_faults: bool,
    /// Print one JSON document instead of the walkthrough.
    #[arg(long)]
    pub json: bool,
    /// User-defined recognizers, allow- and deny-lists for masking (a JSON rules file, see the
    /// README).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
}

/// Runs the demo and prints what happened.
pub async fn run(args: Args) -> Result<(), CliError> {
    let masker = match &args.rules {
        Some(path) => Some(super::mask::masker_with_rules(
            Some(path),
            pii_mask::OnRuleError::Fail,
        )?),
        None => None,
    };
    let report = demo::run(DemoOptions {
        audit_log: args.audit_log,
        no_faults: args.no_faults,
        masker,
    })
    .await
    .map_err(|e| match e {
        genesys_context::ImportUpdateError::Update(genesys_context::Error::Audit(e)) => {
            CliError::input(format!("--audit-log: {e}"))
        }
        e => CliError::runtime(format!("demo failed: {e}")),
    })?;
    if args.json {
        return print_json(&report);
    }
    print_walkthrough(&report)
}

fn json_text(value: &impl serde::Serialize) -> Result<String, CliError> {
    serde_json::to_string_pretty(value)
        .map_err(|e| CliError::runtime(format!("cannot encode the output: {e}")))
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}\n"))
        .collect::<String>()
}

fn print_json(report: &DemoReport) -> Result<(), CliError> {
    let value = serde_json::json!({
        "emulator": report.emulator_url,
        "capacity": report.capacity,
        "payload": report.update.prepared.payload,
        "update": report.update.summary(),
        "import": report.import.summary(),
        "webhooks_received": report.webhooks_received.iter().map(|w| serde_json::json!({
            "status": w.status, "signature_valid": w.signature_valid, "body": w.body,
        })).collect::<Vec<_>>(),
        "metrics": report.metrics,
        "emulator_stats": report.emulator_stats,
        "audit_log": report.audit_path,
        "audit_verification": report.audit_verification.to_string(),
    });
    outln!("{}", json_text(&value)?)?;
    Ok(())
}

fn print_walkthrough(report: &DemoReport) -> Result<(), CliError> {
    outln!("genesys-ctx demo: the seed workflow against the embedded LLM Gateway emulator")?;
    outln!(
        "emulator at {} (token route, gateway, webhook receiver)",
        report.emulator_url
    )?;
    outln!()?;
    print_capacity(report)?;
    outln!()?;
    print_payload(&report.update)?;
    outln!()?;
    print_update(report)?;
    outln!()?;
    print_webhook(report)?;
    outln!()?;
    print_metrics(report)?;
    outln!()?;
    print_import(report)?;
    outln!()?;
    outln!("7. Audit     {}", report.audit_path.display())?;
    out!("{}", indent(&json_text(&report.update.audit)?))?;
    outln!("   verify: {}", report.audit_verification)?;
    outln!()?;
    let stats = &report.emulator_stats;
    outln!(
        "done: {} fault(s) injected and recovered, context stored as version {}",
        stats.rate_limited + stats.version_races + stats.unavailable + stats.lost_answers,
        report.update.outcome.version()
    )?;
    Ok(())
}

fn print_import(report: &DemoReport) -> Result<(), CliError> {
    let import = &report.import.import;
    outln!("6. Import    GET /api/v2/conversations/messages/{{id}} + POST …/messages/bulk")?;
    outln!("   {}", super::import::describe(import))?;
    match &report.import.update {
        Some(update) => outln!(
            "   updated through the same path: version {}, {} messages sent, PII masked: {}",
            update.outcome.version(),
            update.prepared.payload.messages.len(),
            update.prepared.pii_findings.values().sum::<u64>()
        ),
        None => outln!("   nothing new: nothing written"),
    }
}

fn print_capacity(report: &DemoReport) -> Result<(), CliError> {
    let capacity = &report.capacity;
    outln!("1. Capacity  GET /api/v2/ai/llm/models/capacity")?;
    outln!(
        "   {}: max_tokens {}, max_context_windows {}, compaction {}",
        capacity.model_id,
        capacity.max_tokens,
        capacity.max_context_windows,
        if capacity.compaction_enabled {
            "enabled"
        } else {
            "disabled"
        }
    )?;
    if report.emulator_stats.rate_limited > 0 {
        outln!(
            "   recovered: {} x 429 Too Many Requests, Retry-After honoured",
            report.emulator_stats.rate_limited
        )?;
    }
    Ok(())
}

fn print_payload(update: &UpdateReport) -> Result<(), CliError> {
    let matrix = update.prepared.payload.token_limit_matrix;
    outln!("2. Payload   masked, counted (o200k_base), fitted and validated")?;
    outln!(
        "   hard_limit {} (max_tokens - completion reserve), soft_limit {}, current_usage {}",
        matrix.hard_limit,
        matrix.soft_limit,
        matrix.current_usage
    )?;
    let findings: Vec<String> = update
        .prepared
        .pii_findings
        .iter()
        .map(|(k, v)| format!("{k} x{v}"))
        .collect();
    outln!(
        "   PII masked: {}",
        if findings.is_empty() {
            "none found".to_owned()
        } else {
            findings.join(", ")
        }
    )?;
    out!("{}", indent(&json_text(&update.prepared.payload)?))?;
    Ok(())
}

fn print_update(report: &DemoReport) -> Result<(), CliError> {
    let outcome = &report.update.outcome;
    let summary = report.update.summary();
    outln!("3. Update    GET + PATCH with If-Match")?;
    outln!(
        "   {} version {} ({}), {} HTTP attempts, {} conflict(s) re-read and re-applied, {:.1} ms",
        outcome.status(),
        outcome.version(),
        summary.precondition,
        outcome.attempts,
        outcome.conflicts_retried,
        summary.update_latency_ms
    )?;
    if report.emulator_stats.version_races > 0 {
        outln!(
            "   recovered: {} x 412 Precondition Failed (a concurrent writer bumped the version)",
            report.emulator_stats.version_races
        )?;
    }
    Ok(())
}

fn print_webhook(report: &DemoReport) -> Result<(), CliError> {
    outln!("4. Webhook   POST to external storage, signed X-Signature-256")?;
    let Some(w) = &report.update.webhook else {
        outln!("   not configured")?;
        return Ok(());
    };
    let verified = report
        .webhooks_received
        .iter()
        .filter(|r| r.signature_valid == Some(true))
        .count();
    outln!(
        "   delivered: {}, {} attempt(s), HTTP {}, receiver verified {} signature(s)",
        w.delivered,
        w.attempts,
        w.status.map_or("-".to_owned(), |s| s.to_string()),
        verified
    )?;
    if let Some(e) = &w.last_error {
        outln!("   last error: {e}")?;
    }
    Ok(())
}

fn print_metrics(report: &DemoReport) -> Result<(), CliError> {
    outln!("5. Metrics")?;
    outln!(
        "   {:<16} {:>5} {:>8} {:>9} {:>9} {:>9} {:>9}",
        "operation",
        "count",
        "success",
        "attempts",
        "p50 ms",
        "p95 ms",
        "p99 ms"
    )?;
    for (name, op) in &report.metrics.operations {
        outln!(
            "   {:<16} {:>5} {:>7.0}% {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
            name,
            op.count,
            op.success_rate * 100.0,
            op.mean_attempts,
            op.p50_ms,
            op.p95_ms,
            op.p99_ms
        )?;
    }
    Ok(())
}
