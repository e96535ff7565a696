//! The operating system's store is trusted: a CA placed in `SSL_CERT_FILE` (which
//! rustls-native-certs reads, as OpenSSL does) is trusted without any extra roots. Its own test
//! binary: the store is read once per process, and the variable must be set before.

use std::time::Duration;

use genesys_transport::{client_builder, TlsConfig};

#[path = "it/pki.rs"]
mod pki;

#[tokio::test]
async fn a_ca_in_the_operating_system_store_is_trusted() {
    let pki = pki::pki(&["localhost"], false);
    let port = pki::https_server(&pki).await;
    let dir = std::env::temp_dir().join(format!("native-roots-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ca.pem");
    std::fs::write(&file, &pki.ca_pem).unwrap();
    // The only test of this binary, before any client is built.
    std::env::set_var("SSL_CERT_FILE", &file);
    std::env::set_var("SSL_CERT_DIR", &dir);

    let client = client_builder(
        "test",
        Some(Duration::from_secs(5)),
        None,
        &TlsConfig::default(),
    )
    .build()
    .unwrap();
    let answer = client
        .get(format!("https://localhost:{port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.text().await.unwrap(), "ok");
    std::fs::remove_dir_all(&dir).unwrap();
}
