//! Property: any single-byte change to a valid log is detected, at or before its line.

use audit::{verify_bytes, AuditLog, Durability, Verification};
use proptest::prelude::*;

/// A valid four-record log, built once.
fn sample_log() -> Vec<u8> {
    static LOG: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    LOG.get_or_init(build_log).clone()
}

fn build_log() -> Vec<u8> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    rt.block_on(async {
        let log = AuditLog::open(&path, Durability::None).await.unwrap();
        for i in 0..4 {
            log.append(&crate::record(i)).await.unwrap();
        }
    });
    std::fs::read(&path).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn any_single_byte_change_is_detected(pos in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let original = sample_log();
        prop_assert!(verify_bytes(&original).is_intact());
        let mut bytes = original.clone();
        let i = pos.index(bytes.len());
        bytes[i] ^= flip;
        let line_of_change = original[..i].iter().filter(|b| **b == b'\n').count() as u64 + 1;
        match verify_bytes(&bytes) {
            Verification::Broken { line, .. } => prop_assert!(line <= line_of_change + 1),
            intact => prop_assert!(false, "change at byte {i} not detected: {intact:?}"),
        }
    }
}
