//! Shared test harness: starts the real `meshlite up` on a free port with a temp data dir, runs
//! the real CLI against it, and cleans up every process it started.
#![allow(dead_code)]

pub mod gateway;
pub mod shell;

use base64::Engine;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_meshlite");

/// A running `meshlite up`.
pub struct Meshlite {
    child: Option<Child>,
    pub dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    pub port: u16,
    pub server: String,
    pub token: String,
    pub ca_pem: Vec<u8>,
    /// This instance's share of host ports and NodePorts (held for its life).
    _ports: Option<PortBlock>,
}

/// A share of the host port and NodePort ranges that no other test instance uses at the same
/// time (tests run in parallel processes; an flock on a file per block coordinates them).
pub struct PortBlock {
    _lock: nix::fcntl::Flock<std::fs::File>,
    pub index: u16,
}

const BLOCKS: u16 = 40;

impl PortBlock {
    /// Take block `preferred` if given and free, else any free one.
    pub fn take(preferred: Option<u16>) -> PortBlock {
        let dir = std::env::temp_dir().join("meshlite-test-port-blocks");
        std::fs::create_dir_all(&dir).expect("port block dir");
        let order: Vec<u16> = preferred.into_iter().chain(0..BLOCKS).collect();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            for &i in &order {
                let f = std::fs::File::create(dir.join(i.to_string())).expect("port block file");
                if let Ok(lock) =
                    nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusiveNonblock)
                {
                    return PortBlock {
                        _lock: lock,
                        index: i,
                    };
                }
            }
            assert!(
                Instant::now() < deadline,
                "no free port block for a test instance"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `--host-ports` for this block (its last two ports serve the gateway).
    pub fn host_ports(&self) -> String {
        let first = 20000 + self.index * 200;
        format!("{first}-{}", first + 197)
    }

    /// `--http-port` and `--https-port` for this block.
    pub fn gateway_ports(&self) -> (u16, u16) {
        let first = 20000 + self.index * 200;
        (first + 198, first + 199)
    }

    /// This block's NodePorts, first and last.
    pub fn node_port_range(&self) -> (u16, u16) {
        let first = 30000 + self.index * 60;
        (first, first + 59)
    }

    /// `--service-node-port-range` for this block.
    pub fn node_ports(&self) -> String {
        let (first, last) = self.node_port_range();
        format!("{first}-{last}")
    }
}

impl Meshlite {
    /// Start on a fresh temp data dir.
    pub fn start() -> Meshlite {
        Meshlite::start_with(&[])
    }

    /// Start on a fresh temp data dir with extra `up` flags.
    pub fn start_with(flags: &[&str]) -> Meshlite {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().to_path_buf();
        let mut m = Meshlite::launch(&dir, flags);
        m._tmp = Some(tmp);
        m
    }

    /// Start on an existing data dir (a restart).
    pub fn start_in(dir: &Path) -> Meshlite {
        Meshlite::launch(dir, &[])
    }

    fn launch(dir: &Path, flags: &[&str]) -> Meshlite {
        let _ = std::fs::remove_file(dir.join("up.json"));
        // A restart on the same data dir keeps its block, so pods get their ports back.
        let remembered = std::fs::read_to_string(dir.join("test-port-block"))
            .ok()
            .and_then(|s| s.trim().parse().ok());
        let block = PortBlock::take(remembered);
        let _ = std::fs::write(dir.join("test-port-block"), block.index.to_string());
        let mut ranges: Vec<String> = Vec::new();
        if !flags.contains(&"--host-ports") {
            ranges.extend(["--host-ports".to_string(), block.host_ports()]);
        }
        if !flags.contains(&"--service-node-port-range") {
            ranges.extend(["--service-node-port-range".to_string(), block.node_ports()]);
        }
        let (http, https) = block.gateway_ports();
        if !flags.contains(&"--http-port") {
            ranges.extend(["--http-port".to_string(), http.to_string()]);
        }
        if !flags.contains(&"--https-port") {
            ranges.extend(["--https-port".to_string(), https.to_string()]);
        }
        let child = Command::new(BIN)
            .args(["up", "--api-port", "0"])
            .args(&ranges)
            .args(flags)
            .arg("--data-dir")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(dir.with_extension("stderr.log"))
                    .unwrap_or_else(|_| tempfile::tempfile().unwrap()),
            ))
            .spawn()
            .expect("start meshlite up");
        let pid = child.id();
        let deadline = Instant::now() + Duration::from_secs(30);
        let state = loop {
            if let Ok(s) = std::fs::read_to_string(dir.join("up.json")) {
                if let Ok(v) = serde_json::from_str::<Value>(&s) {
                    if v["pid"].as_u64() == Some(u64::from(pid)) {
                        break v;
                    }
                }
            }
            assert!(
                Instant::now() < deadline,
                "meshlite up did not start within 30 s (data dir {})",
                dir.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let _ = state;
        let mut m = Meshlite::attach(dir);
        m.child = Some(child);
        m._ports = Some(block);
        m
    }

    /// Connect to the `up` running on `dir` (started elsewhere).
    pub fn attach(dir: &Path) -> Meshlite {
        let state: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("up.json")).expect("up.json"))
                .expect("up.json json");
        let port = state["apiPort"].as_u64().expect("apiPort") as u16;
        let kc: Value = serde_yaml::from_str(
            &std::fs::read_to_string(dir.join("kubeconfig")).expect("kubeconfig"),
        )
        .expect("kubeconfig yaml");
        let token = kc["users"][0]["user"]["token"]
            .as_str()
            .expect("token")
            .to_string();
        let ca_pem = base64::engine::general_purpose::STANDARD
            .decode(
                kc["clusters"][0]["cluster"]["certificate-authority-data"]
                    .as_str()
                    .expect("ca"),
            )
            .expect("ca base64");
        Meshlite {
            child: None,
            dir: dir.to_path_buf(),
            _tmp: None,
            port,
            server: format!("https://127.0.0.1:{port}"),
            token,
            ca_pem,
            _ports: None,
        }
    }

    /// Where this instance serves the ingress gateway's port 80 (`--http-port`).
    pub fn http_port(&self) -> u16 {
        self._ports
            .as_ref()
            .expect("started by the harness")
            .gateway_ports()
            .0
    }

    /// Where this instance serves the ingress gateway's port 443 (`--https-port`).
    pub fn https_port(&self) -> u16 {
        self._ports
            .as_ref()
            .expect("started by the harness")
            .gateway_ports()
            .1
    }

    /// This instance's `--service-node-port-range`.
    pub fn node_port_range(&self) -> (u16, u16) {
        self._ports
            .as_ref()
            .expect("started by the harness")
            .node_port_range()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// Run `meshlite ARGS…` against this instance.
    pub fn cli(&self, args: &[&str]) -> Run {
        self.cli_stdin(args, None)
    }

    /// Run with text on standard input.
    pub fn cli_stdin(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut cmd = Command::new(BIN);
        // The global flag goes first: after `exec … --` it would belong to the command.
        cmd.arg("--data-dir")
            .arg(&self.dir)
            .args(args)
            .env_remove("MESHLITE_HOME");
        run(cmd, stdin)
    }

    /// Run the system kubectl with this instance's kubeconfig and a private discovery cache.
    pub fn kubectl(&self, kubectl: &str, args: &[&str]) -> Run {
        let mut cmd = Command::new(kubectl);
        cmd.args(args)
            .arg("--kubeconfig")
            .arg(self.dir.join("kubeconfig"))
            .arg("--cache-dir")
            .arg(self.dir.join("kubectl-cache"));
        run(cmd, None)
    }

    /// An HTTPS client that trusts this instance's CA (no token unless added).
    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&self.ca_pem).expect("ca pem"))
            .build()
            .expect("client")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server)
    }

    /// GET with the token; the JSON body and status.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http()
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET");
        let code = r.status().as_u16();
        (code, r.json().await.unwrap_or(Value::Null))
    }

    /// Send JSON with the token.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        content_type: &str,
        body: &Value,
    ) -> (u16, Value) {
        let r = self
            .http()
            .request(method, self.url(path))
            .bearer_auth(&self.token)
            .header("Content-Type", content_type)
            .body(serde_json::to_vec(body).unwrap())
            .send()
            .await
            .expect("request");
        let code = r.status().as_u16();
        (code, r.json().await.unwrap_or(Value::Null))
    }

    /// SIGKILL the server (no clean shutdown) and wait for it.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        // Its ports are free for the next instance (a restart on the same data dir).
        self._ports = None;
    }

    /// SIGTERM, and wait for a clean exit; returns the exit status.
    pub fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        let mut c = self.child.take()?;
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(c.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(st)) = c.try_wait() {
                return Some(st);
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                return c.wait().ok();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Meshlite {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// The result of one command.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Assert success and return stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(
            self.code, 0,
            "command failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        &self.stdout
    }

    #[track_caller]
    pub fn fails(&self) -> &str {
        assert_ne!(
            self.code, 0,
            "command should have failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        &self.stderr
    }
}

pub fn run(mut cmd: Command, stdin: Option<&str>) -> Run {
    use std::io::Write;
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn command");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write stdin");
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("wait");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into(),
        stderr: String::from_utf8_lossy(&stderr).into(),
    }
}

/// Istio's samples and fixtures, from `MESHLITE_ISTIO_FIXTURES`. `None` (with a loud message)
/// when it is not set; `.ci/run` always sets it.
pub fn istio_fixtures() -> Option<PathBuf> {
    match std::env::var_os("MESHLITE_ISTIO_FIXTURES") {
        Some(p) if Path::new(&p).is_dir() => Some(PathBuf::from(p)),
        Some(p) => panic!(
            "MESHLITE_ISTIO_FIXTURES={} is not a folder",
            Path::new(&p).display()
        ),
        None => {
            eprintln!(
                "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
                 !! MESHLITE_ISTIO_FIXTURES is not set: the checks against Istio's own      !!\n\
                 !! samples are NOT run. Point it at a folder holding Istio's samples/,     !!\n\
                 !! inject/ and analysis/ (as .ci/run does) to run them.                    !!\n\
                 !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
            );
            None
        }
    }
}

/// The project's own examples folder.
pub fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Every kubectl binary on this machine: `kubectl` on PATH and the `kubectl.1.NN` beside it.
pub fn kubectls() -> Vec<String> {
    let mut out = Vec::new();
    let Ok(path) = which("kubectl") else {
        return out;
    };
    out.push(path.display().to_string());
    let real = std::fs::canonicalize(&path).unwrap_or(path);
    if let Some(dir) = real.parent() {
        if let Ok(rd) = std::fs::read_dir(dir) {
            let mut v: Vec<String> = rd
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("kubectl.1."))
                })
                .map(|p| p.display().to_string())
                .collect();
            v.sort();
            out.extend(v);
        }
    }
    out
}

fn which(name: &str) -> Result<PathBuf, ()> {
    let path = std::env::var_os("PATH").ok_or(())?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or(())
}

/// Whether a process with this pid exists.
pub fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Poll `path` on `m` until `ok` holds for its JSON (at most `secs`); that JSON.
pub async fn eventually(m: &Meshlite, path: &str, secs: u64, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let (_, v) = m.get(path).await;
        if ok(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "{path} never got there; last: {v:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A list's `items`.
pub fn items(v: &Value) -> Vec<Value> {
    v["items"].as_array().cloned().unwrap_or_default()
}

/// Whether a pod's Ready condition is True.
pub fn ready(pod: &Value) -> bool {
    pod["status"]["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

// === pods ===

/// Wait until exactly `n` pods matching `selector` are Ready and none is terminating.
pub async fn ready_pods(m: &Meshlite, ns: &str, selector: &str, n: usize) -> Vec<Value> {
    let path = format!("/api/v1/namespaces/{ns}/pods?labelSelector={selector}");
    let v = eventually(m, &path, 30, |v| {
        let pods = items(v);
        pods.len() == n
            && pods
                .iter()
                .all(|p| ready(p) && p["metadata"]["deletionTimestamp"].is_null())
    })
    .await;
    items(&v)
}

pub fn node_port(svc: &Value) -> u16 {
    svc["spec"]["ports"][0]["nodePort"]
        .as_u64()
        .expect("nodePort") as u16
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// GET `url`; its body.
pub async fn fetch(url: &str) -> String {
    client()
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

pub fn apply_file(m: &Meshlite, path: &Path) {
    m.cli(&["apply", "-f", &path.display().to_string()]).ok();
}

pub fn apply_text(m: &Meshlite, yaml: &str) {
    m.cli_stdin(&["apply", "-f", "-"], Some(yaml)).ok();
}

pub fn httpbin_yaml() -> std::path::PathBuf {
    istio_fixtures()
        .map(|f| f.join("samples/httpbin/httpbin-nodeport.yaml"))
        .unwrap_or_else(|| examples().join("httpbin/httpbin-nodeport.yaml"))
}

/// The container processes of this data dir that belong to pod `pod` (their `HOSTNAME`).
pub fn processes_of_pod(dir: &Path, pod: &str) -> Vec<u32> {
    let wanted = format!("HOSTNAME={pod}");
    processes_of(dir)
        .into_iter()
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == wanted.as_bytes()))
        })
        .collect()
}

/// The marker every container process of this data dir carries.
pub fn processes_of(dir: &Path) -> Vec<u32> {
    let wanted = format!("MESHLITE_DATA_DIR={}", dir.display());
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(env) = std::fs::read(e.path().join("environ")) {
            if env.split(|b| *b == 0).any(|kv| kv == wanted.as_bytes()) {
                out.push(pid);
            }
        }
    }
    out
}
