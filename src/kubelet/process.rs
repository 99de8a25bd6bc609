//! Container processes: starting a pod's programs as local children in their own process groups,
//! waiting for them, stopping them (TERM, grace, KILL) and finding leftovers of an earlier run.
//!
//! Children must never outlive `meshlite up`, even when it is killed with SIGKILL. Without
//! `unsafe` there is no hook between fork and exec, so every child starts as this same binary in
//! its hidden launcher mode (`meshlite launch -- PROGRAM ARGS…`, see [`launch`]): the launcher
//! asks the kernel for SIGKILL on its parent's death and then execs the real program. Linux sends
//! that signal when the *thread* that forked the child ends, so all forks happen on one dedicated,
//! long-lived thread owned by the [`Spawner`].

mod host;
mod launcher;

pub use host::{kill_group, stragglers};
pub use launcher::{launch, PARENT_PID_ENV};

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use nix::sys::signal::Signal;
use tokio::sync::oneshot;

#[cfg(test)]
mod tests;

/// What to run for one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub program: PathBuf,
    pub args: Vec<String>,
    /// The whole environment of the program; nothing is inherited from `meshlite up`.
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
    /// stdout and stderr are appended to this file as CRI log records (see `kubelet::logs`);
    /// missing parent directories are created.
    pub log: PathBuf,
    /// The program is this binary, which writes its stdout as CRI records itself
    /// ([`crate::logline`]): its stdout is the log file, read by no pump.
    pub writes_records: bool,
}

/// Why a program could not be started.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The program does not exist (or a directory on its path does not).
    #[error("executable file not found: {program:?}; check the container's command and image")]
    NotFound { program: String },
    /// The program exists but may not be executed.
    #[error("permission denied executing {program:?}; make the file executable (chmod +x)")]
    PermissionDenied { program: String },
    /// Any other failure while preparing or starting the process (log file, working directory…).
    #[error("failed to start process: {0}")]
    Spawn(#[source] std::io::Error),
    /// The launcher found that `meshlite up` had already exited, so the program was not started.
    #[error("meshlite up exited before the container could start; start `meshlite up` again")]
    ParentGone,
}

/// Starts children from one dedicated thread, so the parent-death signal stays tied to the life
/// of the process rather than to a short-lived worker thread. Children launched through the
/// launcher are killed when the spawner is dropped, so keep it for as long as `up` runs (a
/// child still inside the launcher at that moment may miss the signal: the launcher can only
/// notice the death of the whole parent process, not of one of its threads).
pub struct Spawner {
    requests: Option<mpsc::Sender<Request>>,
    launcher: Option<Launcher>,
}

/// How to run the launcher: the executable and the arguments that select its launcher mode
/// (the program and its arguments follow them).
#[derive(Debug, Clone)]
struct Launcher {
    exe: PathBuf,
    args: Vec<String>,
}

/// One spawn request for the spawner thread. The tokio handle lets the thread register the
/// child with the caller's runtime.
struct Request {
    spec: Spec,
    launcher: Option<Launcher>,
    runtime: tokio::runtime::Handle,
    reply: oneshot::Sender<Result<Started, Error>>,
}

/// A child just started, with the tasks copying its output into the log.
struct Started {
    child: tokio::process::Child,
    pumps: Vec<tokio::task::JoinHandle<()>>,
}

/// A started program (the leader of its own process group).
#[derive(Debug)]
pub struct Running {
    child: tokio::process::Child,
    pid: u32,
    exit: Option<Exit>,
    pumps: Vec<tokio::task::JoinHandle<()>>,
}

/// How a program ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    /// The exit status, when the program exited by itself.
    pub code: Option<i32>,
    /// The signal that ended the program, when it was killed.
    pub signal: Option<i32>,
    pub finished_at: DateTime<Utc>,
}

/// How long [`Running::stop`] waits for the group to die after SIGKILL before giving up on the
/// leader (a process stuck in uninterruptible sleep cannot be reaped any sooner).
const KILL_WAIT: Duration = Duration::from_secs(10);

/// How long [`Running::wait`] lets the log catch up after the program ended (a background
/// process it left may hold its output open for longer; that output is still logged).
const LOG_DRAIN: Duration = Duration::from_secs(1);

/// How often [`Running::stop`] checks whether the program has ended during the grace period.
const STOP_POLL: Duration = Duration::from_millis(20);

// === impl Spawner ===

impl Spawner {
    /// A spawner that starts programs through `launcher` (normally `std::env::current_exe()`),
    /// or directly when `None` (no parent-death protection).
    pub fn new(launcher: Option<PathBuf>) -> Spawner {
        let launcher = launcher.map(|exe| Launcher {
            exe,
            args: vec!["launch".into(), "--".into()],
        });
        Spawner::with_launcher(launcher)
    }

    fn with_launcher(launcher: Option<Launcher>) -> Spawner {
        let (tx, rx) = mpsc::channel::<Request>();
        let started = std::thread::Builder::new()
            .name("meshlite-spawner".into())
            .spawn(move || serve(rx));
        Spawner {
            requests: started.ok().map(|_| tx),
            launcher,
        }
    }

    /// Start `spec` (inside a tokio runtime, which then reaps the child).
    pub async fn spawn(&self, spec: Spec) -> Result<Running, Error> {
        let gone = || {
            Error::Spawn(std::io::Error::other(
                "the process spawner thread is not running",
            ))
        };
        let requests = self.requests.as_ref().ok_or_else(gone)?;
        let (reply, answer) = oneshot::channel();
        let request = Request {
            spec,
            launcher: self.launcher.clone(),
            runtime: tokio::runtime::Handle::try_current()
                .map_err(|e| Error::Spawn(std::io::Error::other(e)))?,
            reply,
        };
        requests.send(request).map_err(|_| gone())?;
        let Started { child, pumps } = answer.await.map_err(|_| gone())??;
        let pid = child.id().ok_or_else(|| {
            Error::Spawn(std::io::Error::other(
                "the process exited before its pid was known",
            ))
        })?;
        Ok(Running {
            child,
            pid,
            exit: None,
            pumps,
        })
    }
}

/// The spawner thread: forks every child until the spawner is dropped.
fn serve(requests: mpsc::Receiver<Request>) {
    for request in requests {
        let _runtime = request.runtime.enter();
        let result = start(&request.spec, request.launcher.as_ref());
        // The caller may have given up waiting; the child is then dropped (and reaped by tokio).
        let _ = request.reply.send(result);
    }
}

/// Fork and exec one child (on the spawner thread, inside the caller's runtime).
fn start(spec: &Spec, launcher: Option<&Launcher>) -> Result<Started, Error> {
    let program = spec.program.to_string_lossy().into_owned();
    if !spec.cwd.is_dir() {
        return Err(Error::Spawn(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("working directory {} does not exist", spec.cwd.display()),
        )));
    }
    let log = open_log(&spec.log)?;

    if launcher.is_some() {
        // Through the launcher a missing program would only show as exit code 127 later;
        // find it now so the caller gets the same errors as when starting it directly.
        host::check_executable(spec)?;
    }
    let mut cmd = match launcher {
        Some(launcher) => {
            let mut cmd = tokio::process::Command::new(&launcher.exe);
            cmd.args(&launcher.args).arg(&spec.program).args(&spec.args);
            cmd
        }
        None => {
            let mut cmd = tokio::process::Command::new(&spec.program);
            cmd.args(&spec.args);
            cmd
        }
    };
    cmd.env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&spec.cwd)
        .stdin(Stdio::null())
        .stdout(match spec.writes_records {
            true => Stdio::from(log.try_clone().map_err(Error::Spawn)?),
            false => Stdio::piped(),
        })
        .stderr(Stdio::piped())
        .process_group(0)
        // Stopping is explicit (stop / kill_group); a dropped handle must not kill a pod.
        .kill_on_drop(false);
    if launcher.is_some() {
        cmd.env(PARENT_PID_ENV, std::process::id().to_string());
    }
    if spec.writes_records {
        cmd.env(crate::logline::RECORDS_ENV, "1");
    }
    let started = launcher.map_or(program, |l| l.exe.to_string_lossy().into_owned());
    let mut child = cmd.spawn().map_err(|e| exec_error(&started, e))?;
    // Output is stamped line by line as the kubelet's log files are, so `logs --timestamps`
    // and `--since` work; the sink is shared so records never interleave mid-line.
    let sink = std::sync::Arc::new(tokio::sync::Mutex::new(tokio::fs::File::from_std(log)));
    let mut pumps = Vec::new();
    if let Some(out) = child.stdout.take() {
        let sink = sink.clone();
        pumps.push(tokio::spawn(async move {
            let _ = super::logs::pump(out, super::logs::Stream::Stdout, sink).await;
        }));
    }
    if let Some(err) = child.stderr.take() {
        pumps.push(tokio::spawn(async move {
            let _ = super::logs::pump(err, super::logs::Stream::Stderr, sink).await;
        }));
    }
    Ok(Started { child, pumps })
}

/// Open (creating directories as needed) the append-only log of a container.
fn open_log(path: &std::path::Path) -> Result<std::fs::File, Error> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| log_error(path, e))?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| log_error(path, e))
}

fn log_error(path: &std::path::Path, e: std::io::Error) -> Error {
    Error::Spawn(std::io::Error::new(
        e.kind(),
        format!("cannot open log file {}: {e}", path.display()),
    ))
}

/// Map a failed exec of `program` to the errors a user can act on.
pub(super) fn exec_error(program: &str, e: std::io::Error) -> Error {
    match e.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound {
            program: program.to_string(),
        },
        std::io::ErrorKind::PermissionDenied => Error::PermissionDenied {
            program: program.to_string(),
        },
        _ => Error::Spawn(e),
    }
}

// === impl Error ===

impl Error {
    /// The exit status a shell would use for this failure (127 not found, 126 not executable);
    /// the launcher exits with it so the parent sees the same code a container runtime reports.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::NotFound { .. } => 127,
            Error::PermissionDenied { .. } => 126,
            Error::Spawn(_) | Error::ParentGone => 1,
        }
    }
}

// === impl Running ===

impl Running {
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Wait until the program ends (returns the same exit on every later call).
    pub async fn wait(&mut self) -> Exit {
        if let Some(exit) = &self.exit {
            return exit.clone();
        }
        let exit = match self.child.wait().await {
            Ok(status) => Exit::from_status(status),
            // Only possible if the child was reaped elsewhere; report it as ended, cause unknown.
            Err(_) => Exit::unknown(),
        };
        self.drain_log().await;
        self.exit = Some(exit.clone());
        exit
    }

    /// Let the log pumps write what the program printed last.
    async fn drain_log(&mut self) {
        for pump in std::mem::take(&mut self.pumps) {
            let _ = tokio::time::timeout(LOG_DRAIN, pump).await;
        }
    }

    /// The exit if the program has ended, without waiting.
    pub fn try_exit(&mut self) -> Option<Exit> {
        if self.exit.is_none() {
            self.exit = match self.child.try_wait() {
                Ok(Some(status)) => Some(Exit::from_status(status)),
                Ok(None) => None,
                Err(_) => Some(Exit::unknown()),
            };
        }
        self.exit.clone()
    }

    /// SIGTERM to the whole process group, wait up to `grace` for the program, then SIGKILL the
    /// group (always, so helpers it left behind in its group die with it); returns the exit.
    ///
    /// The leader is only reaped after the final SIGKILL: until then its pid (and so the group
    /// id) cannot be reused, which keeps the group signals from hitting an unrelated process.
    /// A program that had already been reaped before `stop` is not signalled at all.
    pub async fn stop(&mut self, grace: Duration) -> Exit {
        if let Some(exit) = &self.exit {
            return exit.clone();
        }
        let _ = kill_group(self.pid, Signal::SIGTERM);
        let deadline = tokio::time::Instant::now() + grace;
        while !host::has_exited(self.pid) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(STOP_POLL).await;
        }
        let _ = kill_group(self.pid, Signal::SIGKILL);
        match tokio::time::timeout(KILL_WAIT, self.wait()).await {
            Ok(exit) => exit,
            Err(_) => Exit {
                code: None,
                signal: Some(Signal::SIGKILL as i32),
                finished_at: Utc::now(),
            },
        }
    }
}

// === impl Exit ===

impl Exit {
    fn from_status(status: std::process::ExitStatus) -> Exit {
        Exit {
            code: status.code(),
            signal: status.signal(),
            finished_at: Utc::now(),
        }
    }

    fn unknown() -> Exit {
        Exit {
            code: None,
            signal: None,
            finished_at: Utc::now(),
        }
    }

    /// Kubernetes' exit code: the program's code, or 128 + the signal that killed it
    /// (255 when neither is known).
    pub fn exit_code(&self) -> i32 {
        match (self.code, self.signal) {
            (Some(code), _) => code,
            (None, Some(signal)) => 128 + signal,
            (None, None) => 255,
        }
    }
}
