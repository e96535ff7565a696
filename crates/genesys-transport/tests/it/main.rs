//! Capped bodies and the redirect rule against local servers on 127.0.0.1.

use std::time::Duration;

use genesys_transport::{
    client_builder, read_body, redirect_target, BodyError, Deadline, TlsConfig,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

mod pki;
mod tls;

/// Serves each connection one canned answer (after reading the request head).
async fn serve(answers: Vec<Vec<u8>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        for answer in answers {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut buf = vec![0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let _ = socket.write_all(&answer).await;
            let _ = socket.shutdown().await;
        }
    });
    format!("http://{addr}")
}

fn client() -> reqwest::Client {
    client_builder(
        "test",
        Some(Duration::from_secs(5)),
        Some(Duration::from_secs(30)),
        &TlsConfig::default(),
    )
    .build()
    .unwrap()
}

#[tokio::test]
async fn a_declared_length_over_the_cap_is_refused_before_reading() {
    let base = serve(vec![
        b"HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n{".to_vec(),
    ])
    .await;
    let response = client().get(&base).send().await.unwrap();
    let err = read_body(response, 1024).await.unwrap_err();
    assert!(
        matches!(
            err,
            BodyError::TooLarge {
                limit: 1024,
                declared: Some(1_073_741_824)
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("1024-byte cap"), "{err}");
}

#[tokio::test]
async fn a_chunked_body_is_cut_at_the_cap() {
    let mut answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..64 {
        answer.extend_from_slice(b"100\r\n");
        answer.extend_from_slice(&[b'x'; 256]);
        answer.extend_from_slice(b"\r\n");
    }
    answer.extend_from_slice(b"0\r\n\r\n");
    let base = serve(vec![answer.clone(), answer]).await;
    let response = client().get(&base).send().await.unwrap();
    let err = read_body(response, 4096).await.unwrap_err();
    assert!(
        matches!(err, BodyError::TooLarge { declared: None, .. }),
        "{err}"
    );
    // The same body under a larger cap is read whole.
    let response = client().get(&base).send().await.unwrap();
    assert_eq!(read_body(response, 1 << 20).await.unwrap().len(), 64 * 256);
}

#[tokio::test]
async fn redirects_to_another_origin_are_not_followed() {
    let other = serve(vec![
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec()
    ])
    .await;
    let answer = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: {other}/token?code=s3cret\r\nContent-Length: 0\r\n\r\n"
    );
    let base = serve(vec![answer.into_bytes()]).await;
    let url = reqwest::Url::parse(&format!("{base}/oauth/token")).unwrap();
    let response = client().post(url.clone()).body("x").send().await.unwrap();
    assert_eq!(response.status().as_u16(), 307);
    let target = redirect_target(307, response.headers(), &url).unwrap();
    assert_eq!(target, format!("{other}/token"));
}

#[tokio::test]
async fn same_origin_redirects_are_followed() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        for answer in [
            "HTTP/1.1 308 Permanent Redirect\r\nLocation: /moved\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
        ] {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let _ = socket.read(&mut buf).await;
            socket.write_all(answer.as_bytes()).await.unwrap();
            let _ = socket.shutdown().await;
        }
    });
    let response = client()
        .get(format!("http://{addr}/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.url().path(), "/moved");
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_never_answers_is_cut_by_the_deadline() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let _hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let deadline = Deadline::new(Some(Duration::from_secs(2)));
    let sent = deadline
        .run(client().get(format!("http://{addr}/")).send())
        .await;
    let err = sent.unwrap_err();
    assert_eq!(err.limit, Duration::from_secs(2));
}
