//! The built-in sample programs as processes: `meshlite sample NAME` on the port in `PORT`, and
//! the built-in curl talking to them.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running sample; killed on drop.
struct Sample(Child, u16);

impl Drop for Sample {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(args: &[&str]) -> Sample {
    let port = free_port();
    let child = Command::new(support::BIN)
        .arg("sample")
        .args(args)
        .env("PORT", port.to_string())
        .env("POD_NAME", "web-abc12")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "sample {args:?} did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Sample(child, port)
}

fn curl(args: &[&str]) -> support::Run {
    let mut c = Command::new(support::BIN);
    c.arg("sample")
        .arg("curl")
        .args(args)
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy");
    support::run(c, None)
}

#[test]
fn httpbin_answers_and_echoes_headers() {
    let s = start(&["httpbin"]);
    let out = curl(&[
        "-s",
        "-H",
        "x-request-id: abc",
        &format!("http://127.0.0.1:{}/get?a=1", s.1),
    ]);
    let body: serde_json::Value = serde_json::from_str(out.ok()).unwrap();
    assert_eq!(body["args"]["a"], serde_json::json!(["1"]));
    assert_eq!(body["headers"]["X-Request-Id"], serde_json::json!(["abc"]));
    let out = curl(&[
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &format!("http://127.0.0.1:{}/status/418", s.1),
    ]);
    assert_eq!(out.ok(), "418");
    let out = curl(&[
        "-s",
        "--fail",
        &format!("http://127.0.0.1:{}/status/503", s.1),
    ]);
    assert_eq!(out.code, 22, "curl --fail exits 22 on an error status");
}

#[test]
fn nginx_and_helloworld_stand_in_for_their_images() {
    let web = start(&["web"]);
    let page = curl(&["-s", &format!("http://127.0.0.1:{}/", web.1)]);
    assert!(page.ok().contains("Welcome to nginx!"));
    let hello = start(&["helloworld", "v2"]);
    let out = curl(&["-s", &format!("http://127.0.0.1:{}/hello", hello.1)]);
    assert_eq!(out.ok(), "Hello version: v2, instance: web-abc12\n");
}

#[test]
fn curl_says_why_when_it_cannot_connect() {
    let port = free_port();
    let out = curl(&["-sS", &format!("http://127.0.0.1:{port}/")]);
    assert_eq!(out.code, 7);
    assert!(
        out.stderr.contains("Failed to connect to 127.0.0.1 port"),
        "{}",
        out.stderr
    );
    let unknown = Command::new(support::BIN)
        .args(["sample", "frobnicator"])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr)
        .contains("no built-in sample named \"frobnicator\""));
}
