//! The metrics summary of a run: a table on stderr, and `--metrics-json FILE`.

use std::io::Write;
use std::path::Path;

use gateway_client::MetricsSnapshot;

use super::CliError;

/// The per-operation table, one line per gateway operation.
pub fn table(snapshot: &MetricsSnapshot) -> String {
    let mut out = format!(
        "{:<16} {:>6} {:>8} {:>9} {:>9} {:>9} {:>9}\n",
        "operation", "count", "success", "attempts", "p50 ms", "p95 ms", "p99 ms"
    );
    for (name, op) in &snapshot.operations {
        out.push_str(&format!(
            "{:<16} {:>6} {:>7.0}% {:>9.2} {:>9.2} {:>9.2} {:>9.2}\n",
            name,
            op.count,
            op.success_rate * 100.0,
            op.mean_attempts,
            op.p50_ms,
            op.p95_ms,
            op.p99_ms
        ));
    }
    out
}

/// Writes `snapshot` as JSON to `path`: to a temporary file beside it, then renamed, so a
/// reader never sees half a file and a failed write (disk full) leaves the old one.
///
/// # Errors
/// A runtime error naming `--metrics-json` and the path.
pub fn write_json(path: &Path, snapshot: &MetricsSnapshot) -> Result<(), CliError> {
    let fail = |e: &dyn std::fmt::Display| {
        CliError::runtime(format!("--metrics-json {}: {e}", path.display()))
    };
    let json = serde_json::to_vec_pretty(snapshot).map_err(|e| fail(&e))?;
    let name = path.file_name().ok_or_else(|| fail(&"not a file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let written = std::fs::File::create(&tmp).and_then(|mut file| {
        file.write_all(&json)?;
        file.write_all(b"\n")?;
        file.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(&e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_directory_names_the_flag_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-dir").join("m.json");
        let err = write_json(&path, &MetricsSnapshot::default()).unwrap_err();
        assert!(err.message.contains("--metrics-json"), "{}", err.message);
        assert!(err.message.contains("m.json"), "{}", err.message);

        let path = dir.path().join("m.json");
        write_json(&path, &MetricsSnapshot::default()).unwrap();
        let back: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert!(back["operations"].is_object());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
