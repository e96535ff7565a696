//! A gateway the customer hosts behind a private CA: the emulator behind a TLS terminator on
//! 127.0.0.1 whose certificate a CA generated here signed. With `GENESYS_CA_BUNDLE` the whole
//! workflow (token route, gateway, webhook) runs over HTTPS; without it, it fails naming the
//! host and "unknown issuer".

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use genesys_context::gateway_emulator::{Emulator, EmulatorConfig};
use genesys_context::{ContextManager, Error, Settings, ENV_WEBHOOK_URL};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use tokio::net::{TcpListener, TcpStream};

use crate::support::seed_messages;

/// A private CA (its PEM) and a TLS acceptor for `localhost` with a certificate it signed.
fn private_ca() -> (String, tokio_rustls::TlsAcceptor) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "customer private CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca_cert, &ca_key)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    (
        ca_cert.pem(),
        tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    )
}

/// Terminates TLS on 127.0.0.1 and forwards the bytes to `upstream`; returns the port.
async fn tls_terminator(acceptor: tokio_rustls::TlsAcceptor, upstream: SocketAddr) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(upstream).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    port
}

async fn manager(vars: &HashMap<&str, String>) -> Result<ContextManager, Error> {
    let settings = Settings::from_lookup(|name| vars.get(name).cloned())?;
    ContextManager::from_settings(settings).await
}

#[tokio::test]
async fn a_private_ca_gateway_works_with_the_bundle_and_fails_clearly_without_it() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let (ca_pem, acceptor) = private_ca();
    let port = tls_terminator(acceptor, emulator.addr()).await;
    let base = format!("https://localhost:{port}");
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("customer-ca.pem");
    std::fs::write(&bundle, &ca_pem).unwrap();
    let config = emulator.config();
    let mut vars: HashMap<&str, String> = [
        ("GENESYS_LOGIN_BASE", base.clone()),
        ("GENESYS_API_BASE", base.clone()),
        ("GENESYS_CLIENT_ID", config.client_id.clone()),
        ("GENESYS_CLIENT_SECRET", config.client_secret.clone()),
        (ENV_WEBHOOK_URL, format!("{base}/webhooks/context-sync")),
        ("GENESYS_CA_BUNDLE", bundle.display().to_string()),
    ]
    .into_iter()
    .collect();

    let trusted = manager(&vars).await.unwrap();
    let report = trusted.update("conv-tls", &seed_messages()).await.unwrap();
    assert_eq!(report.outcome.version(), 1);
    assert!(report.webhook.as_ref().expect("webhook").delivered);
    assert_eq!(emulator.webhooks().len(), 1);

    vars.remove("GENESYS_CA_BUNDLE");
    let untrusted = manager(&vars).await.unwrap();
    let err = untrusted
        .update("conv-tls-2", &seed_messages())
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("token endpoint"), "{message}");
    assert!(message.contains(&format!("localhost:{port}")), "{message}");
    assert!(message.contains("unknown issuer"), "{message}");
    assert!(emulator.stored_versions("conv-tls-2").is_empty());
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_bad_bundle_names_the_variable_and_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let missing = dir.path().join("missing.pem");
    for path in [&empty, &missing] {
        let vars: HashMap<&str, String> = [
            ("GENESYS_REGION", "eu-west-1".to_owned()),
            ("GENESYS_CLIENT_ID", "client".to_owned()),
            ("GENESYS_CLIENT_SECRET", "s3cret".to_owned()),
            ("GENESYS_CA_BUNDLE", path.display().to_string()),
        ]
        .into_iter()
        .collect();
        let message = manager(&vars).await.unwrap_err().to_string();
        assert!(message.contains("GENESYS_CA_BUNDLE"), "{message}");
        assert!(message.contains(&path.display().to_string()), "{message}");
    }
}
