//! Which certificate authorities a client trusts, and TLS failures in words.
//!
//! Every client trusts the bundled Mozilla roots (`webpki-roots`) and the operating system's
//! store (`rustls-native-certs`); a [`TlsConfig`] adds the certificates of a private CA (a
//! gateway the customer hosts), read from a PEM bundle.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Extra root certificates trusted in addition to the bundled and the operating system's roots.
///
/// The default adds none. Cheap to clone. Its `Debug` shows how many certificates it holds and
/// the file they came from.
#[derive(Clone, Default)]
pub struct TlsConfig {
    extra_roots: Vec<reqwest::Certificate>,
    source: Option<PathBuf>,
}

/// Why a CA bundle could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// The bundle holds no PEM `CERTIFICATE` block.
    NoCertificates {
        /// The file, when the bundle came from one.
        path: Option<PathBuf>,
    },
    /// A certificate block is not a valid certificate.
    Invalid {
        /// The file, when the bundle came from one.
        path: Option<PathBuf>,
        /// What is wrong.
        reason: String,
    },
}

impl fmt::Display for TlsConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |p: &Option<PathBuf>| match p {
            Some(p) => p.display().to_string(),
            None => "the CA bundle".to_owned(),
        };
        match self {
            TlsConfigError::Read { path, reason } => {
                write!(f, "cannot read {}: {reason}", path.display())
            }
            TlsConfigError::NoCertificates { path } => write!(
                f,
                "{} holds no PEM certificate (`-----BEGIN CERTIFICATE-----`)",
                shown(path)
            ),
            TlsConfigError::Invalid { path, reason } => {
                write!(f, "{}: invalid certificate: {reason}", shown(path))
            }
        }
    }
}

impl std::error::Error for TlsConfigError {}

impl TlsConfig {
    /// Trusts the certificates of a PEM bundle (one or more `CERTIFICATE` blocks; other blocks,
    /// such as keys, are ignored).
    ///
    /// # Errors
    /// [`TlsConfigError::NoCertificates`] when it holds none, [`TlsConfigError::Invalid`] when
    /// one does not parse.
    pub fn from_pem(pem: &[u8]) -> Result<TlsConfig, TlsConfigError> {
        Self::parse(pem, None)
    }

    /// Trusts the certificates of the PEM bundle at `path`.
    ///
    /// # Errors
    /// [`TlsConfigError::Read`] when the file cannot be read; otherwise as
    /// [`from_pem`](Self::from_pem), naming the file.
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<TlsConfig, TlsConfigError> {
        let path = path.as_ref();
        let pem = std::fs::read(path).map_err(|e| TlsConfigError::Read {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        Self::parse(&pem, Some(path.to_owned()))
    }

    fn parse(pem: &[u8], source: Option<PathBuf>) -> Result<TlsConfig, TlsConfigError> {
        let invalid = |reason: String| TlsConfigError::Invalid {
            path: source.clone(),
            reason,
        };
        let certs =
            reqwest::Certificate::from_pem_bundle(pem).map_err(|e| invalid(e.to_string()))?;
        if certs.is_empty() {
            return Err(TlsConfigError::NoCertificates { path: source });
        }
        // rustls checks a root only when a client is built: build one now, trusting nothing
        // else, so a bad certificate is reported here, with its file.
        let mut probe = reqwest::Client::builder().tls_built_in_root_certs(false);
        for cert in &certs {
            probe = probe.add_root_certificate(cert.clone());
        }
        probe.build().map_err(|e| invalid(crate::error_chain(&e)))?;
        Ok(TlsConfig {
            extra_roots: certs,
            source,
        })
    }

    /// How many extra root certificates are trusted.
    pub fn extra_roots(&self) -> usize {
        self.extra_roots.len()
    }

    /// The file the certificates came from, if any.
    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }

    /// Adds the operating system's roots and the extra roots to a client builder (which
    /// already has the bundled Mozilla roots).
    pub(crate) fn apply(&self, mut builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        for cert in native_roots().iter().chain(&self.extra_roots) {
            builder = builder.add_root_certificate(cert.clone());
        }
        builder
    }
}

/// The operating system's trusted roots, read once per process (reading the store takes
/// milliseconds; clients are built often in tests). Certificates rustls cannot use (stores often
/// hold ancient or malformed ones) are left out, so one bad entry never breaks a client; a
/// store that cannot be read leaves the bundled roots and the extra roots.
fn native_roots() -> &'static [reqwest::Certificate] {
    static ROOTS: OnceLock<Vec<reqwest::Certificate>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let mut store = rustls::RootCertStore::empty();
        rustls_native_certs::load_native_certs()
            .certs
            .into_iter()
            .filter(|der| store.add(der.clone()).is_ok())
            .filter_map(|der| reqwest::Certificate::from_der(der.as_ref()).ok())
            .collect()
    })
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("extra_roots", &self.extra_roots.len())
            .field("source", &self.source)
            .finish()
    }
}

/// Why a TLS handshake failed, as far as a caller can act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsFailure {
    /// The server's certificate is not signed by a trusted CA.
    UnknownIssuer,
    /// The server's certificate has expired.
    Expired,
    /// The server's certificate is not yet valid.
    NotYetValid,
    /// The server's certificate is not valid for the host name that was asked for.
    NameMismatch,
    /// Any other certificate or handshake failure (rustls's words).
    Other(String),
}

impl fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsFailure::UnknownIssuer => f.write_str(
                "unknown issuer: the server's certificate is not signed by a trusted CA \
                 (trust a private CA with GENESYS_CA_BUNDLE)",
            ),
            TlsFailure::Expired => f.write_str("expired: the server's certificate has expired"),
            TlsFailure::NotYetValid => {
                f.write_str("not yet valid: the server's certificate is not valid yet")
            }
            TlsFailure::NameMismatch => f.write_str(
                "name mismatch: the server's certificate is not valid for this host name",
            ),
            TlsFailure::Other(reason) => f.write_str(reason),
        }
    }
}

impl TlsFailure {
    /// The TLS failure behind `err`, if a TLS handshake is what failed.
    pub fn of(err: &(dyn std::error::Error + 'static)) -> Option<TlsFailure> {
        let mut current = Some(err);
        while let Some(e) = current {
            if let Some(failure) = rustls_error(e).map(classify) {
                return Some(failure);
            }
            current = e.source();
        }
        None
    }
}

/// A rustls error, directly or wrapped in `io::Error`s (whose `source` skips their payload).
fn rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current = e;
    loop {
        if let Some(r) = current.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        current = current.downcast_ref::<std::io::Error>()?.get_ref()?;
    }
}

fn classify(e: &rustls::Error) -> TlsFailure {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => TlsFailure::UnknownIssuer,
            C::Expired | C::ExpiredContext { .. } => TlsFailure::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => TlsFailure::NotYetValid,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsFailure::NameMismatch,
            other => TlsFailure::Other(format!("invalid certificate: {other}")),
        },
        other => TlsFailure::Other(other.to_string()),
    }
}

/// A `reqwest` error in words, and the error without its URL (which may carry a secret): the
/// error and its causes, or for a failed TLS handshake `TLS with HOST:PORT failed: WHY`.
pub fn describe(err: reqwest::Error) -> (String, reqwest::Error) {
    let host = err.url().and_then(|u| {
        let host = u.host_str()?;
        Some(match u.port_or_known_default() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        })
    });
    let err = err.without_url();
    let message = match TlsFailure::of(&err) {
        Some(failure) => format!(
            "TLS with {} failed: {failure}",
            host.as_deref().unwrap_or("the server")
        ),
        None => crate::error_chain(&err),
    };
    (message, err)
}
