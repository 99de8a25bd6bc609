//! Tests of the exec client: status decoding, and whole sessions against the API server's
//! exec endpoint.

use super::*;
use crate::apiserver::exec::{exit_status, failure_status, success_status, tests::spawn_server};

#[test]
fn exit_code_cases() {
    let failed = |m: &str| Err(ExecClientError::Failed(m.to_owned()));
    let cases: Vec<(String, Result<i32, ExecClientError>)> = vec![
        (String::new(), Ok(0)),
        (success_status().to_string(), Ok(0)),
        (exit_status(2).to_string(), Ok(2)),
        (exit_status(137).to_string(), Ok(137)),
        (
            failure_status("boom").to_string(),
            failed("Internal error occurred: boom"),
        ),
        (
            r#"{"status":"Failure","reason":"NonZeroExitCode","message":"m","details":{"causes":[{"reason":"Other","message":"3"}]}}"#.into(),
            failed("m"),
        ),
        (
            r#"{"status":"Failure","reason":"NonZeroExitCode","message":"m","details":{"causes":[{"reason":"ExitCode","message":"x"}]}}"#.into(),
            failed("m"),
        ),
        (r#"{"status":"Failure"}"#.into(), failed("command failed")),
        (r#"{"status":"Weird"}"#.into(), Err(ExecClientError::Malformed("status is neither Success nor Failure".into()))),
    ];
    for (status, want) in cases {
        assert_eq!(exit_code(status.as_bytes()), want, "{status}");
    }
    assert!(matches!(
        exit_code(b"{not json"),
        Err(ExecClientError::Malformed(_))
    ));
}

async fn session(query: &str, input: Option<&str>) -> (anyhow::Result<i32>, String, String) {
    let addr = spawn_server().await;
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let input = input.map(|text| std::io::Cursor::new(text.as_bytes().to_vec()));
    let url = format!("ws://{addr}/exec?{query}");
    let code = run(&url, "secret", None, input, &mut out, &mut err).await;
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

#[tokio::test]
async fn sessions_against_the_server() {
    let cases: &[(&str, Option<&str>, i32, &str, &str)] = &[
        (
            "command=cat&stdin=true&stdout=true&stderr=true",
            Some("one\ntwo\n"),
            0,
            "one\ntwo\n",
            "",
        ),
        ("command=cat&stdin=true", Some(""), 0, "", ""),
        (
            "command=sh&command=-c&command=cat%3B+echo+bad+%3E%262%3B+exit+3&stdin=true",
            Some("in"),
            3,
            "in",
            "bad\ncommand terminated with exit code 3\n",
        ),
        ("command=true", None, 0, "", ""),
        (
            "command=no-such-program-here",
            None,
            127,
            "",
            "OCI runtime exec failed: exec failed: unable to start container process: exec: \
             \"no-such-program-here\": executable file not found in $PATH: unknown\r\n\
             command terminated with exit code 127\n",
        ),
    ];
    for (query, input, code, out, err) in cases {
        let (got, got_out, got_err) = session(query, *input).await;
        assert_eq!(got.map_err(|e| e.to_string()), Ok(*code), "{query}");
        assert_eq!(got_out, *out, "{query}");
        assert_eq!(got_err, *err, "{query}");
    }
}

#[tokio::test]
async fn bad_urls_and_refusals() {
    let addr = spawn_server().await;
    let none: Option<std::io::Cursor<Vec<u8>>> = None;
    let cases = [
        (
            format!("ftp://{addr}/exec?command=ls"),
            "the scheme must be wss, ws, https or http",
        ),
        (
            format!("wss://{addr}/exec?command=ls"),
            "a TLS configuration is needed for wss",
        ),
        (
            format!("http://{addr}/exec?stdin=1"),
            "unable to upgrade connection: 400 Bad Request",
        ),
    ];
    for (url, want) in cases {
        let got = run(&url, "", None, none.clone(), Vec::new(), Vec::new()).await;
        let got = got.map_err(|e| e.to_string());
        assert!(
            got.as_ref().is_err_and(|e| e.contains(want)),
            "{url}: {got:?}"
        );
    }
}

/// Terminates TLS on a loopback port and forwards the plain bytes to `backend`.
async fn tls_proxy(
    backend: std::net::SocketAddr,
) -> (std::net::SocketAddr, Arc<rustls::ClientConfig>) {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert = certified.cert.der().clone();
    let key = rustls::pki_types::PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der());
    let server = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key.into())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let mut tls = acceptor.accept(tcp).await.unwrap();
                let mut plain = tokio::net::TcpStream::connect(backend).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    (addr, Arc::new(client))
}

#[tokio::test]
async fn session_over_tls() {
    let backend = spawn_server().await;
    let (addr, tls) = tls_proxy(backend).await;
    let url = format!("wss://{addr}/exec?command=true");
    let input: Option<std::io::Cursor<Vec<u8>>> = None;
    let refused = run(
        &url,
        "wrong",
        Some(tls.clone()),
        input,
        Vec::new(),
        Vec::new(),
    )
    .await;
    assert_eq!(
        refused.map_err(|e| e.to_string()),
        Err("Unauthorized".to_owned())
    );

    for scheme in ["wss", "https"] {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let url = format!("{scheme}://{addr}/exec?command=sh&command=-c&command=echo+hi%3B+exit+4");
        let tls = tls.clone();
        let input: Option<std::io::Cursor<Vec<u8>>> = None;
        let code = run(&url, "secret", Some(tls), input, &mut out, &mut err).await;
        assert_eq!(code.map_err(|e| e.to_string()), Ok(4), "{scheme}");
        assert_eq!(String::from_utf8_lossy(&out), "hi\n");
        assert_eq!(
            String::from_utf8_lossy(&err),
            "command terminated with exit code 4\n"
        );
    }
}
