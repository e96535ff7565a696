//! TLS against a local HTTPS server whose certificate a CA generated in the test signed.

use std::time::Duration;

use genesys_transport::{client_builder, describe, TlsConfig, TlsConfigError, TlsFailure};

use crate::pki::{https_server, pki};

fn client(tls: &TlsConfig) -> reqwest::Client {
    client_builder("test", Some(Duration::from_secs(5)), None, tls)
        .build()
        .unwrap()
}

async fn get(tls: &TlsConfig, url: &str) -> Result<String, reqwest::Error> {
    client(tls).get(url).send().await?.text().await
}

#[tokio::test]
async fn a_private_ca_is_trusted_with_its_bundle_and_named_without_it() {
    let pki = pki(&["localhost"], false);
    let port = https_server(&pki).await;
    let url = format!("https://localhost:{port}/api/v2/ai/llm/capacity?token=s3cret");

    let trusted = TlsConfig::from_pem(pki.ca_pem.as_bytes()).unwrap();
    assert_eq!(trusted.extra_roots(), 1);
    assert_eq!(get(&trusted, &url).await.unwrap(), "ok");

    let err = get(&TlsConfig::default(), &url).await.unwrap_err();
    assert_eq!(TlsFailure::of(&err), Some(TlsFailure::UnknownIssuer));
    let (message, _) = describe(err);
    assert!(message.contains(&format!("localhost:{port}")), "{message}");
    assert!(message.contains("unknown issuer"), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
}

#[tokio::test]
async fn an_expired_certificate_says_expired() {
    let pki = pki(&["localhost"], true);
    let port = https_server(&pki).await;
    let trusted = TlsConfig::from_pem(pki.ca_pem.as_bytes()).unwrap();
    let err = get(&trusted, &format!("https://localhost:{port}/"))
        .await
        .unwrap_err();
    let (message, _) = describe(err);
    assert!(message.contains("expired"), "{message}");
    assert!(message.contains(&format!("localhost:{port}")), "{message}");
}

#[tokio::test]
async fn a_certificate_for_another_name_says_name_mismatch() {
    let pki = pki(&["gateway.customer.example"], false);
    let port = https_server(&pki).await;
    let trusted = TlsConfig::from_pem(pki.ca_pem.as_bytes()).unwrap();
    let err = get(&trusted, &format!("https://localhost:{port}/"))
        .await
        .unwrap_err();
    assert_eq!(TlsFailure::of(&err), Some(TlsFailure::NameMismatch));
    let (message, _) = describe(err);
    assert!(message.contains("name mismatch"), "{message}");
}

#[test]
fn bad_bundles_name_the_file_and_the_problem() {
    let dir = std::env::temp_dir().join(format!("tls-bundle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let missing = dir.join("missing.pem");
    let err = TlsConfig::from_pem_file(&missing).unwrap_err();
    assert!(matches!(err, TlsConfigError::Read { .. }), "{err}");
    assert!(err.to_string().contains("missing.pem"), "{err}");

    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "no certificates here\n").unwrap();
    let err = TlsConfig::from_pem_file(&empty).unwrap_err();
    assert!(
        matches!(err, TlsConfigError::NoCertificates { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("empty.pem"), "{err}");

    let garbage = dir.join("garbage.pem");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let err = TlsConfig::from_pem_file(&garbage).unwrap_err();
    assert!(matches!(err, TlsConfigError::Invalid { .. }), "{err}");
    assert!(err.to_string().contains("garbage.pem"), "{err}");

    let two = dir.join("two.pem");
    let bundle = format!("{}{}", pki(&["a"], false).ca_pem, pki(&["b"], false).ca_pem);
    std::fs::write(&two, bundle).unwrap();
    let tls = TlsConfig::from_pem_file(&two).unwrap();
    assert_eq!(tls.extra_roots(), 2);
    assert_eq!(tls.source(), Some(two.as_path()));
    std::fs::remove_dir_all(&dir).unwrap();
}
