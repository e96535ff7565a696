//! `cargo xtask dist`: the release build of the `genesys-ctx` program for this platform, copied
//! to `<target>/dist/genesys-ctx-VERSION-TRIPLE` with a `.sha256` file in `sha256sum` format.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::workspace::Workspace;
use crate::{cargo_in, root, target_dir};

/// The program that `dist` ships.
const PROGRAM: &str = "genesys-ctx";

/// Runs the dist task.
pub fn dist(args: &[String]) -> Result<(), String> {
    if let Some(extra) = args.first() {
        return Err(format!(
            "unexpected argument `{extra}` (usage: cargo xtask dist)"
        ));
    }
    let root = root();
    let ws = Workspace::load(&root)?;
    // Whichever package ships the program (the facade today, its own crate after the split).
    let package = ws
        .packages
        .iter()
        .find(|p| p.bins.iter().any(|b| b == PROGRAM))
        .ok_or_else(|| format!("no workspace package has a `{PROGRAM}` program"))?;
    cargo_in(
        &root,
        &[
            "build",
            "--release",
            "--locked",
            "-p",
            &package.name,
            "--bin",
            PROGRAM,
        ],
        &[],
    )?;
    let triple = host_triple()?;
    let exe = std::env::consts::EXE_SUFFIX;
    let target = target_dir(&root);
    let built = target.join("release").join(format!("{PROGRAM}{exe}"));
    let dist = target.join("dist");
    fs::create_dir_all(&dist).map_err(|e| format!("{}: {e}", dist.display()))?;
    let name = format!("{PROGRAM}-{}-{triple}{exe}", package.version);
    let shipped = dist.join(&name);
    fs::copy(&built, &shipped).map_err(|e| format!("copying {}: {e}", built.display()))?;
    let sum = sha256_file(&shipped)?;
    let sum_file = PathBuf::from(format!("{}.sha256", shipped.display()));
    fs::write(&sum_file, checksum_line(&sum, &name))
        .map_err(|e| format!("{}: {e}", sum_file.display()))?;
    println!("{}\n{}", shipped.display(), sum_file.display());
    println!("sha256 {sum}");
    Ok(())
}

/// A `sha256sum`-compatible line: `sha256sum -c NAME.sha256` checks it next to the file.
fn checksum_line(hex: &str, name: &str) -> String {
    format!("{hex}  {name}\n")
}

fn sha256_file(path: &Path) -> Result<String, String> {
    let mut file = fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 1 << 16];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex_string(&hasher.finalize()))
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn host_triple() -> Result<String, String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let out = Command::new(rustc)
        .arg("-vV")
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(|h| h.trim().to_owned())
        .ok_or_else(|| "`rustc -vV` names no host".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_are_sha256_in_sha256sum_format() {
        let dir = std::env::temp_dir().join(format!("xtask-dist-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("abc");
        fs::write(&file, "abc").unwrap();
        let sum = sha256_file(&file).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            sum,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            checksum_line(&sum, "genesys-ctx-0.2.0-x86_64-unknown-linux-gnu"),
            format!("{sum}  genesys-ctx-0.2.0-x86_64-unknown-linux-gnu\n")
        );
    }

    #[test]
    fn the_host_triple_is_known() {
        let triple = host_triple().unwrap();
        assert!(triple.split('-').count() >= 3, "{triple}");
    }
}
