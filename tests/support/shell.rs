//! A shell where `kubectl` is one chosen kubectl binary and `meshlite` talks to one test
//! instance, so a user's command lines run verbatim (process substitution included).
#![allow(dead_code)]

use super::{run, Meshlite, Run, BIN};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `kubectl` and `meshlite` on PATH, `KUBECONFIG` set, run from a working folder.
pub struct Shell {
    bin: tempfile::TempDir,
    env: Vec<(String, String)>,
    cwd: PathBuf,
    /// The kubectl binary behind `kubectl`.
    pub kubectl: String,
}

impl Shell {
    /// A shell for `kubectl` (a path) against `m`, working in `cwd`.
    pub fn new(m: &Meshlite, kubectl: &str, cwd: &Path) -> Shell {
        let bin = tempfile::tempdir().expect("temp bin dir");
        std::os::unix::fs::symlink(kubectl, bin.path().join("kubectl")).expect("kubectl link");
        let wrapper = bin.path().join("meshlite");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nexec {BIN} --data-dir {} \"$@\"\n",
                m.dir.display()
            ),
        )
        .expect("meshlite wrapper");
        let mut perms = std::fs::metadata(&wrapper).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&wrapper, perms).expect("chmod wrapper");
        let path = format!(
            "{}:{}",
            bin.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let cache = bin.path().join("kube-cache");
        Shell {
            env: vec![
                ("PATH".into(), path),
                (
                    "KUBECONFIG".into(),
                    m.dir.join("kubeconfig").display().to_string(),
                ),
                ("KUBECACHEDIR".into(), cache.display().to_string()),
            ],
            bin,
            cwd: cwd.to_path_buf(),
            kubectl: kubectl.to_string(),
        }
    }

    fn command(&self, line: &str) -> Command {
        let mut cmd = Command::new("bash");
        cmd.arg("-c")
            .arg(line)
            .current_dir(&self.cwd)
            .env_remove("MESHLITE_HOME");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Run one command line to its end.
    pub fn run(&self, line: &str) -> Run {
        run(self.command(line), None)
    }

    /// Run one command line with `stdin` as its input.
    pub fn run_stdin(&self, line: &str, stdin: &str) -> Run {
        run(self.command(line), Some(stdin))
    }

    /// Run `line` until its output satisfies `done` (at most `secs` seconds); the last output.
    #[track_caller]
    pub fn until(&self, line: &str, secs: u64, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let r = self.run(line);
            if r.code == 0 && done(&r.stdout) {
                return r.stdout;
            }
            assert!(
                Instant::now() < deadline,
                "`{line}` did not reach the expected state in {secs}s:\n{}{}",
                r.stdout,
                r.stderr
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Start a long-running command line (`get -w`, `logs -f`); its output is collected.
    pub fn spawn(&self, line: &str) -> Stream {
        let mut cmd = self.command(&format!("exec {line}"));
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn");
        let out = Arc::new(Mutex::new(String::new()));
        for pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let out = out.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut o = out.lock().unwrap();
                    o.push_str(&line);
                    o.push('\n');
                }
            });
        }
        Stream { child, out }
    }
}

/// A running command and everything it printed so far.
pub struct Stream {
    child: Child,
    out: Arc<Mutex<String>>,
}

impl Stream {
    /// What it printed so far.
    pub fn output(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    /// Wait until its output satisfies `done`; the output.
    #[track_caller]
    pub fn wait_for(&self, secs: u64, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let out = self.output();
            if done(&out) {
                return out;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} within {secs}s:\n{out}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The minor version of a `kubectl.1.NN` binary; `None` for the plain `kubectl`.
pub fn minor_of(kubectl: &str) -> Option<u32> {
    Path::new(kubectl)
        .file_name()?
        .to_str()?
        .strip_prefix("kubectl.1.")?
        .parse()
        .ok()
}

/// The newest kubectl here (a `kubectl.1.NN` when installed, else the one on PATH).
pub fn newest() -> String {
    super::kubectls()
        .pop()
        .expect("a kubectl: tests/run.sh installs one")
}

/// A fresh instance, and a shell with the newest kubectl in an empty working folder (kept
/// alive by the returned values).
pub fn fresh() -> (Meshlite, tempfile::TempDir, Shell) {
    let m = Meshlite::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let sh = Shell::new(&m, &newest(), dir.path());
    (m, dir, sh)
}
