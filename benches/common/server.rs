//! A `meshlite up` for benchmarks: a temp data dir, any free API port, its token and CA.
#![allow(dead_code)]

use base64::Engine;
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    pub child: std::process::Child,
    pub dir: tempfile::TempDir,
    pub url: String,
    pub token: String,
    pub ca: Vec<u8>,
    /// Where the ingress gateway's port 80 is served.
    pub http_port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free right now on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub fn start(flags: &[&str]) -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut gateway: Vec<String> = Vec::new();
    for flag in ["--http-port", "--https-port"] {
        if !flags.contains(&flag) {
            gateway.extend([flag.to_string(), free_port().to_string()]);
        }
    }
    // MESHLITE_BENCH_BIN runs another build (e.g. one with profiling symbols).
    let bin = std::env::var("MESHLITE_BENCH_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_meshlite").to_string());
    let child = Command::new(bin)
        .args(["up", "--api-port", "0"])
        .args(flags)
        .args(&gateway)
        .arg("--data-dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start meshlite up");
    let deadline = Instant::now() + Duration::from_secs(30);
    let state: Value = loop {
        if let Some(v) = std::fs::read_to_string(dir.path().join("up.json"))
            .ok()
            .and_then(|s| serde_json::from_str::<Value>(&s).ok())
        {
            if v["pid"].as_u64() == Some(u64::from(child.id())) {
                break v;
            }
        }
        assert!(Instant::now() < deadline, "meshlite up did not start");
        std::thread::sleep(Duration::from_millis(20));
    };
    let kc: Value =
        serde_yaml::from_str(&std::fs::read_to_string(dir.path().join("kubeconfig")).unwrap())
            .unwrap();
    let token = kc["users"][0]["user"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let ca = base64::engine::general_purpose::STANDARD
        .decode(
            kc["clusters"][0]["cluster"]["certificate-authority-data"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    let all: Vec<&str> = flags
        .iter()
        .copied()
        .chain(gateway.iter().map(String::as_str))
        .collect();
    let http_port = all
        .iter()
        .position(|f| *f == "--http-port")
        .and_then(|i| all.get(i + 1))
        .and_then(|p| p.parse().ok())
        .expect("--http-port");
    Server {
        http_port,
        url: state["server"].as_str().unwrap().to_string(),
        child,
        dir,
        token,
        ca,
    }
}

impl Server {
    /// An HTTPS client trusting this server.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&self.ca).unwrap())
            .build()
            .unwrap()
    }
}
