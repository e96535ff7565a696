//! The TOML configuration file (feature `config-file`): every key checked, unknown ones and bad
//! values named with the file's line.

use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::keys::{self, Raw};
use super::{Settings, Source};
use crate::Error;

/// The file read when none is named: `genesys-ctx.toml` in the working directory.
pub const DEFAULT_CONFIG_FILE: &str = "genesys-ctx.toml";

/// The largest configuration file read.
const MAX_FILE: u64 = 1 << 20;

/// Keys whose values are secrets: a file holding one should not be readable by others.
const SECRET_KEYS: [&str; 3] = [
    "auth.client_secret",
    "webhook.secret",
    "masking.pseudonym_key",
];

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(1, |before| {
        before.bytes().filter(|b| *b == b'\n').count() + 1
    })
}

fn at(path: &Path, line: usize, reason: impl Into<String>) -> Error {
    Error::Config {
        variable: format!("{}:{line}", path.display()),
        reason: reason.into(),
    }
}

/// Reads `path` into `settings` (source `file PATH:LINE`). A missing file is an error naming
/// the path.
pub(crate) fn read_into(settings: &mut Settings, path: &Path) -> Result<(), Error> {
    let bad = |reason: String| Error::Config {
        variable: path.display().to_string(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    if !meta.is_file() {
        return Err(bad("is not a file".to_owned()));
    }
    if meta.len() > MAX_FILE {
        return Err(bad(format!("is larger than {MAX_FILE} bytes")));
    }
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    parse_into(settings, path, &text)?;
    if SECRET_KEYS
        .iter()
        .any(|k| settings.source_of(k).is_some_and(Source::is_file))
    {
        if let Some(warning) = readable_by_others(path, &meta) {
            settings.warnings.push(warning);
        }
    }
    Ok(())
}

#[cfg(unix)]
fn readable_by_others(path: &Path, meta: &std::fs::Metadata) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode();
    (mode & 0o044 != 0).then(|| {
        format!(
            "{} holds a secret and is readable by its group or others (mode {:o}); \
             run `chmod 600` on it, or better, set the secret in the environment",
            path.display(),
            mode & 0o777
        )
    })
}

#[cfg(not(unix))]
fn readable_by_others(_: &Path, _: &std::fs::Metadata) -> Option<String> {
    None
}

/// Parses `text` (the contents of `path`) into `settings`.
pub(crate) fn parse_into(settings: &mut Settings, path: &Path, text: &str) -> Result<(), Error> {
    let table = DeTable::parse(text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(text, s.start));
        at(path, line, e.message().trim().to_owned())
    })?;
    for (section, value) in table.get_ref() {
        let line = line_of(text, section.span().start);
        let name = section.get_ref().as_ref();
        let Some(entries) = value.get_ref().as_table() else {
            return Err(at(
                path,
                line,
                format!("unknown key \"{name}\": keys belong in a section such as [auth]"),
            ));
        };
        if !keys::KEYS.iter().any(|k| k.section == name) {
            return Err(at(path, line, format!("unknown section [{name}]")));
        }
        for (key, value) in entries {
            read_key(settings, path, text, name, key, value)?;
        }
    }
    Ok(())
}

fn read_key(
    settings: &mut Settings,
    path: &Path,
    text: &str,
    section: &str,
    key: &Spanned<std::borrow::Cow<'_, str>>,
    value: &Spanned<DeValue<'_>>,
) -> Result<(), Error> {
    let line = line_of(text, key.span().start);
    let name: &str = key.get_ref();
    let def = keys::KEYS
        .iter()
        .find(|k| k.section == section && k.name == name)
        .ok_or_else(|| at(path, line, format!("unknown key \"{name}\" in [{section}]")))?;
    let raw = raw_value(value.get_ref())
        .map_err(|reason| at(path, line, format!("[{section}] {name}: {reason}")))?;
    let source = Source::File {
        path: PathBuf::from(path),
        line,
    };
    settings
        .put(def, raw, source)
        .map_err(|reason| at(path, line, format!("[{section}] {name}: {reason}")))
}

fn raw_value(value: &DeValue<'_>) -> Result<Raw, String> {
    Ok(match value {
        DeValue::String(s) => Raw::Scalar(s.to_string()),
        DeValue::Integer(i) => {
            let n = i64::from_str_radix(i.as_str(), i.radix())
                .map_err(|_| "the number is too large".to_owned())?;
            Raw::Number(n.to_string())
        }
        DeValue::Float(f) => Raw::Number(f.as_str().to_owned()),
        DeValue::Array(items) => Raw::List(
            items
                .iter()
                .map(|item| match item.get_ref() {
                    DeValue::String(s) => Ok(s.to_string()),
                    other => Err(format!(
                        "expected an array of strings, found {} in it",
                        other.type_str()
                    )),
                })
                .collect::<Result<_, _>>()?,
        ),
        other => {
            return Err(format!(
                "expected a string or a number, got {}",
                other.type_str()
            ))
        }
    })
}
