//! `meshlite up --demo` from process start to the first 200 from httpbin through the ingress
//! gateway and httpbin's sidecar, the memory of `up` plus the pods' processes (httpbin, its
//! sidecar, the gateway) once it serves, and `up`'s CPU while they idle — against baselines in
//! the same run: httpbin started on its own (`meshlite sample httpbin`) to its first 200, and an
//! idle `up`.
//!
//! Run with: `cargo bench --bench demo` (prints figures; asserts nothing).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn bin() -> String {
    std::env::var("MESHLITE_BENCH_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_meshlite").to_string())
}

/// A free port on 127.0.0.1 (bound and released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The first of 8 free ports inside the NodePort range: the demo's Service and the gateway's
/// three ports need NodePorts that nothing else holds.
fn free_node_port() -> u16 {
    (30000..32760)
        .step_by(8)
        .find(|first| (*first..first + 8).all(|p| TcpListener::bind(("127.0.0.1", p)).is_ok()))
        .expect("8 free ports in 30000-32767")
}

/// Poll `GET http://127.0.0.1:port/get` until it answers 200; the time it took.
fn first_200(port: u16, since: Instant) -> Duration {
    let deadline = since + Duration::from_secs(60);
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = s.write_all(b"GET /get HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n");
            let mut head = [0u8; 12];
            if s.read_exact(&mut head).is_ok() && &head[9..12] == b"200" {
                return since.elapsed();
            }
        }
        assert!(Instant::now() < deadline, "no 200 within 60 s");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A `KEY: N kB` line of a `/proc/PID/` file, in KiB (0 when absent).
fn proc_kib(pid: u32, file: &str, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/{file}"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Resident memory of a process in KiB (VmRSS).
fn rss_kib(pid: u32) -> u64 {
    proc_kib(pid, "status", "VmRSS:")
}

/// Proportional memory of a process in KiB (Pss: each shared page split among the processes
/// that map it — the pods and `up` are one binary, whose code pages they share).
fn pss_kib(pid: u32) -> u64 {
    proc_kib(pid, "smaps_rollup", "Pss:")
}

/// What a process is, from its command line (`pilot-agent proxy router`, `sample httpbin`).
fn what(pid: u32) -> String {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let args: Vec<String> = cmdline
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let start = args
        .iter()
        .position(|a| a == "pilot-agent" || a == "sample")
        .unwrap_or(0);
    args.iter()
        .skip(start)
        .take(3)
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Pids of the container processes of a data dir.
fn containers_of(dir: &std::path::Path) -> Vec<u32> {
    let wanted = format!("MESHLITE_DATA_DIR={}", dir.display());
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_string_lossy().parse().ok()?;
            let env = std::fs::read(e.path().join("environ")).ok()?;
            env.split(|b| *b == 0)
                .any(|kv| kv == wanted.as_bytes())
                .then_some(pid)
        })
        .collect()
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// CPU time (user + system) of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // Fields after the command name (which may hold spaces) start at field 3.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0)
}

/// Share of one core `pid` used over `window`.
fn cpu_share(pid: u32, window: Duration) -> f64 {
    let before = cpu_ticks(pid);
    std::thread::sleep(window);
    let ticks = cpu_ticks(pid).saturating_sub(before) as f64;
    // Linux reports 100 ticks per second.
    ticks / 100.0 / window.as_secs_f64()
}

fn up(dir: &std::path::Path, node_port: u16, http_port: u16, demo: bool) -> Killed {
    let mut cmd = Command::new(bin());
    cmd.args(["up", "--api-port", "0", "--service-node-port-range"])
        .arg(format!("{node_port}-{}", node_port + 7))
        .args(["--http-port", &http_port.to_string()])
        .args(["--https-port", &free_port().to_string()])
        .arg("--data-dir")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if demo {
        cmd.arg("--demo");
    }
    Killed(cmd.spawn().expect("start meshlite up"))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let mut demo_ms = Vec::new();
    let mut alone_ms = Vec::new();
    let mut up_rss = Vec::new();
    let mut app_rss = Vec::new();
    let mut idle_rss = Vec::new();
    let mut idle_cpu = Vec::new();
    let mut per_process: std::collections::BTreeMap<String, Vec<(f64, f64)>> = Default::default();
    let mut total_pss = Vec::new();
    for _ in 0..RUNS {
        // The demo, from a fresh data dir.
        let dir = tempfile::tempdir().unwrap();
        let http = free_port();
        let started = Instant::now();
        let child = up(dir.path(), free_node_port(), http, true);
        demo_ms.push(first_200(http, started).as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(500));
        up_rss.push(rss_kib(child.0.id()) as f64);
        idle_cpu.push(cpu_share(child.0.id(), Duration::from_secs(2)) * 100.0);
        let pods = containers_of(dir.path());
        app_rss.push(pods.iter().map(|p| rss_kib(*p)).sum::<u64>() as f64);
        let up_pid = child.0.id();
        total_pss.push(
            std::iter::once(up_pid)
                .chain(pods.iter().copied())
                .map(pss_kib)
                .sum::<u64>() as f64,
        );
        per_process
            .entry("meshlite up".into())
            .or_default()
            .push((rss_kib(up_pid) as f64, pss_kib(up_pid) as f64));
        for pid in pods {
            per_process
                .entry(what(pid))
                .or_default()
                .push((rss_kib(pid) as f64, pss_kib(pid) as f64));
        }
        drop(child);

        // Baseline: the same httpbin started on its own.
        let port = free_port();
        let started = Instant::now();
        let alone = Killed(
            Command::new(bin())
                .args(["sample", "httpbin"])
                .env("PORT", port.to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        alone_ms.push(first_200(port, started).as_secs_f64() * 1000.0);
        drop(alone);

        // Baseline: an idle `up`.
        let dir = tempfile::tempdir().unwrap();
        let idle = up(dir.path(), free_node_port(), free_port(), false);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !dir.path().join("up.json").exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(500));
        idle_rss.push(rss_kib(idle.0.id()) as f64);
    }
    let (demo, alone) = (median(demo_ms.clone()), median(alone_ms));
    let (upm, appm, idlem) = (
        median(up_rss) / 1024.0,
        median(app_rss) / 1024.0,
        median(idle_rss) / 1024.0,
    );
    println!("up --demo → first 200 through the gateway and the sidecar (median of {RUNS}): {demo:.0} ms  (goal < 500 ms; runs: {:?})",
        demo_ms.iter().map(|v| v.round() as u64).collect::<Vec<_>>());
    println!(
        "  baseline: httpbin alone → first 200: {alone:.0} ms; ratio {:.1}x",
        demo / alone.max(0.001)
    );
    println!(
        "memory once serving: up {upm:.1} MiB + pods (httpbin, its sidecar, the gateway) {appm:.1} MiB = {:.1} MiB",
        upm + appm
    );
    println!(
        "  proportional (Pss, shared code pages counted once in all): {:.1} MiB",
        median(total_pss) / 1024.0
    );
    for (name, kib) in per_process {
        let rss = median(kib.iter().map(|k| k.0).collect());
        let pss = median(kib.iter().map(|k| k.1).collect());
        println!(
            "  {name}: RSS {:.1} MiB, Pss {:.1} MiB",
            rss / 1024.0,
            pss / 1024.0
        );
    }
    println!("  goal: < 60 MiB in all, < 10 MiB per idle sidecar");
    println!("  baseline: idle up (only the gateway pod, not counted) {idlem:.1} MiB");
    println!(
        "CPU of up while the demo idles: {:.1}% of a core (median of {RUNS})",
        median(idle_cpu)
    );
}
