//! Tests with real processes (only `sh`, `sleep` and friends from the system), directly and
//! through the launcher, using this test binary itself as the launcher.

use super::*;
use std::path::Path;
use std::time::Instant;

/// Arguments that make this test binary run only [`launcher_shim`] (the program and its
/// arguments follow the `--`; `--exact` keeps them from selecting other tests).
fn shim_args() -> Vec<String> {
    [
        "--exact",
        "kubelet::process::tests::launcher_shim",
        "--nocapture",
        "--test-threads=1",
        "--",
    ]
    .map(String::from)
    .to_vec()
}

/// The launcher mode of this test binary: does nothing in a normal test run, and plays
/// `meshlite launch` when started by a spawner (which sets [`PARENT_PID_ENV`]).
#[test]
fn launcher_shim() {
    if std::env::var_os(PARENT_PID_ENV).is_none() {
        return;
    }
    let argv: Vec<String> = std::env::args().collect();
    let Some(sep) = argv.iter().position(|a| a == "--") else {
        std::process::exit(2);
    };
    let Some(program) = argv.get(sep + 1) else {
        std::process::exit(2);
    };
    let rest = argv.get(sep + 2..).unwrap_or_default();
    let err = launch(program, rest);
    eprintln!("launch failed: {err}");
    std::process::exit(err.exit_code());
}

fn direct() -> Spawner {
    Spawner::new(None)
}

fn launched() -> Spawner {
    let exe = std::env::current_exe().expect("test binary path");
    Spawner::with_launcher(Some(Launcher {
        exe,
        args: shim_args(),
    }))
}

fn spec(dir: &Path, program: &str, args: &[&str], extra_env: &[(&str, &str)]) -> Spec {
    let mut env = vec![(
        "PATH".to_string(),
        "/usr/local/bin:/usr/bin:/bin".to_string(),
    )];
    env.extend(
        extra_env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    Spec {
        program: program.into(),
        args: args.iter().map(|a| a.to_string()).collect(),
        env,
        cwd: dir.to_path_buf(),
        log: dir.join("logs").join("nested").join("c.log"),
        writes_records: false,
    }
}

fn sh(dir: &Path, script: &str) -> Spec {
    spec(dir, "sh", &["-c", script], &[])
}

/// Whether `pid` is alive (present and not a zombie).
fn alive(pid: u32) -> bool {
    !host::has_exited(pid)
}

/// Pids in process group `pgid` that are still alive.
fn group_members(pgid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| host::process_group(*pid) == Some(pgid) && alive(*pid))
        .collect()
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A script, its expected code, signal and kube exit code, and text expected in its log.
type ExitCase = (&'static str, Option<i32>, Option<i32>, i32, &'static str);

#[tokio::test]
async fn exits_and_output_both_ways() {
    // (script, expected code, expected signal, kube exit code, expected log text)
    let cases: &[ExitCase] = &[
        (
            "echo hello; echo oops >&2",
            Some(0),
            None,
            0,
            "hello\noops\n",
        ),
        ("echo three; exit 3", Some(3), None, 3, "three\n"),
        ("kill -KILL $$", None, Some(9), 137, ""),
        ("kill -TERM $$", None, Some(15), 143, ""),
        ("echo \"$A-$B\"", Some(0), None, 0, "1-two\n"),
    ];
    for (name, spawner) in [("direct", direct()), ("launcher", launched())] {
        for (script, code, signal, kube, text) in cases {
            let dir = tempfile::tempdir().unwrap();
            let s = spec(
                dir.path(),
                "sh",
                &["-c", script],
                &[("A", "1"), ("B", "two")],
            );
            let log = s.log.clone();
            let before = chrono::Utc::now();
            let mut run = spawner.spawn(s).await.unwrap();
            let exit = run.wait().await;
            assert_eq!(exit.code, *code, "{name}: {script}");
            assert_eq!(exit.signal, *signal, "{name}: {script}");
            assert_eq!(exit.exit_code(), *kube, "{name}: {script}");
            assert!(exit.finished_at >= before);
            assert_eq!(run.wait().await, exit, "wait is repeatable");
            assert_eq!(run.try_exit(), Some(exit));
            let raw = std::fs::read(&log).unwrap();
            let out = crate::kubelet::logs::render(
                &raw,
                &crate::kubelet::logs::LogOptions::default(),
                chrono::Utc::now(),
            );
            let out = String::from_utf8_lossy(&out);
            // stdout and stderr are read apart, so only each line's presence is certain.
            for line in text.lines() {
                assert!(out.contains(line), "{name}: {script}: log {out:?}");
            }
        }
    }
}

#[tokio::test]
async fn environment_is_exactly_the_spec() {
    for (name, spawner) in [("direct", direct()), ("launcher", launched())] {
        let dir = tempfile::tempdir().unwrap();
        let s = spec(
            dir.path(),
            "sh",
            &["-c", "env | sort; pwd"],
            &[("ONLY", "this")],
        );
        let log = s.log.clone();
        let mut run = spawner.spawn(s).await.unwrap();
        assert_eq!(run.wait().await.exit_code(), 0);
        let out = std::fs::read_to_string(&log).unwrap();
        assert!(out.contains("ONLY=this\n"), "{name}: {out}");
        assert!(!out.contains(PARENT_PID_ENV), "{name}: {out}");
        assert!(
            !out.contains("CARGO"),
            "{name}: inherited env leaked: {out}"
        );
        let cwd = dir.path().canonicalize().unwrap();
        assert!(
            out.contains(&format!("{}\n", cwd.display())),
            "{name}: {out}"
        );
    }
}

#[tokio::test]
async fn log_is_appended() {
    let dir = tempfile::tempdir().unwrap();
    let spawner = direct();
    for word in ["first", "second"] {
        let mut run = spawner
            .spawn(sh(dir.path(), &format!("echo {word}")))
            .await
            .unwrap();
        run.wait().await;
    }
    let log = sh(dir.path(), "").log;
    let text = std::fs::read(log).unwrap();
    let shown = crate::kubelet::logs::render(
        &text,
        &crate::kubelet::logs::LogOptions::default(),
        chrono::Utc::now(),
    );
    assert_eq!(String::from_utf8_lossy(&shown), "first\nsecond\n");
    assert!(
        String::from_utf8_lossy(&text).contains(" stdout F first\n"),
        "records are in the CRI format: {text:?}"
    );
}

#[tokio::test]
async fn programs_that_write_records_write_the_log_themselves() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = sh(
        dir.path(),
        "echo \"2026-01-02T03:04:05.000000007Z stdout F own $MESHLITE_LOG_RECORDS\"; echo piped >&2",
    );
    spec.writes_records = true;
    let log = spec.log.clone();
    let mut run = direct().spawn(spec).await.unwrap();
    run.wait().await;
    let text = String::from_utf8_lossy(&std::fs::read(log).unwrap()).into_owned();
    assert!(
        text.contains("2026-01-02T03:04:05.000000007Z stdout F own 1\n"),
        "stdout is the file itself, told to write records: {text:?}"
    );
    assert!(
        text.contains(" stderr F piped\n"),
        "stderr still goes through the kubelet: {text:?}"
    );
}

#[tokio::test]
async fn runs_in_own_process_group() {
    let dir = tempfile::tempdir().unwrap();
    for spawner in [direct(), launched()] {
        let mut run = spawner.spawn(sh(dir.path(), "sleep 100")).await.unwrap();
        let pid = run.pid();
        assert_eq!(host::process_group(pid), Some(pid));
        assert_ne!(host::process_group(std::process::id()), Some(pid));
        assert!(run.try_exit().is_none());
        let exit = run.stop(Duration::from_secs(5)).await;
        assert_eq!(exit.signal, Some(15));
    }
}

#[tokio::test]
async fn stop_escalates_to_kill_after_grace() {
    let dir = tempfile::tempdir().unwrap();
    // The trap needs a moment to be installed before TERM is sent.
    let s = sh(dir.path(), "trap '' TERM; echo ready; sleep 100");
    let log = s.log.clone();
    let mut run = direct().spawn(s).await.unwrap();
    eventually("trap", || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("ready"))
    })
    .await;
    let grace = Duration::from_millis(300);
    let started = Instant::now();
    let exit = run.stop(grace).await;
    assert!(started.elapsed() >= grace, "stopped before the grace ended");
    assert_eq!(exit.signal, Some(9));
    assert_eq!(exit.exit_code(), 137);
}

#[tokio::test]
async fn stop_within_grace_is_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = direct().spawn(sh(dir.path(), "sleep 100")).await.unwrap();
    let started = Instant::now();
    let exit = run.stop(Duration::from_secs(30)).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(exit.exit_code(), 143);
    // Stopping again reports the same end.
    assert_eq!(run.stop(Duration::from_secs(1)).await, exit);
}

#[tokio::test]
async fn stop_kills_the_whole_group() {
    let dir = tempfile::tempdir().unwrap();
    for (name, spawner) in [("direct", direct()), ("launcher", launched())] {
        let mut run = spawner
            .spawn(sh(dir.path(), "sleep 100 & trap '' TERM; sleep 100"))
            .await
            .unwrap();
        let pid = run.pid();
        eventually("both sleeps", || group_members(pid).len() >= 3).await;
        let members = group_members(pid);
        run.stop(Duration::from_millis(200)).await;
        for member in members {
            eventually(&format!("{name}: {member} to die"), || !alive(member)).await;
        }
    }
}

#[tokio::test]
async fn stop_after_exit_returns_the_exit() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = direct().spawn(sh(dir.path(), "exit 4")).await.unwrap();
    let exit = run.wait().await;
    assert_eq!(run.stop(Duration::from_secs(1)).await, exit);
    assert_eq!(exit.exit_code(), 4);
}

#[tokio::test]
async fn start_failures() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.txt");
    std::fs::write(&plain, "not a program").unwrap();
    let plain = plain.to_string_lossy().into_owned();
    for (name, spawner) in [("direct", direct()), ("launcher", launched())] {
        let err = spawner
            .spawn(spec(dir.path(), "no-such-program-here", &[], &[]))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::NotFound { ref program } if program == "no-such-program-here"),
            "{name}: {err:?}"
        );
        let err = spawner
            .spawn(spec(dir.path(), "/no/such/dir/prog", &[], &[]))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{name}: {err:?}");
        let err = spawner
            .spawn(spec(dir.path(), &plain, &[], &[]))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::PermissionDenied { .. }),
            "{name}: {err:?}"
        );
        let mut bad_cwd = sh(dir.path(), "true");
        bad_cwd.cwd = dir.path().join("missing");
        let err = spawner.spawn(bad_cwd).await.unwrap_err();
        assert!(matches!(err, Error::Spawn(_)), "{name}: {err:?}");
        let mut bad_log = sh(dir.path(), "true");
        bad_log.log = Path::new(&plain).join("c.log");
        let err = spawner.spawn(bad_log).await.unwrap_err();
        assert!(err.to_string().contains("log file"), "{name}: {err}");
    }
}

#[tokio::test]
async fn launcher_reports_exec_failure_as_exit_code() {
    // Without PATH in the environment the spawner cannot check ahead; the launcher's exec fails
    // and it exits with the shell's "not found" code.
    let dir = tempfile::tempdir().unwrap();
    let mut s = spec(dir.path(), "no-such-program-here", &[], &[]);
    s.env.clear();
    let log = s.log.clone();
    // Keep the spawner: its thread ending would kill the launcher.
    let spawner = launched();
    let mut run = spawner.spawn(s).await.unwrap();
    assert_eq!(run.wait().await.exit_code(), 127);
    let out = std::fs::read_to_string(log).unwrap();
    assert!(out.contains("executable file not found"), "{out}");
}

#[tokio::test]
async fn launched_children_die_with_the_spawner_thread() {
    let dir = tempfile::tempdir().unwrap();
    let spawner = launched();
    let mut run = spawner
        .spawn(spec(dir.path(), "sleep", &["100"], &[]))
        .await
        .unwrap();
    // The death signal is armed by the launcher; wait until it has become the program.
    let comm = format!("/proc/{}/comm", run.pid());
    eventually("exec of sleep", || {
        std::fs::read_to_string(&comm).is_ok_and(|c| c.trim() == "sleep")
    })
    .await;
    assert!(run.try_exit().is_none());
    // Dropping the spawner ends its thread: the kernel sends the parent-death signal.
    drop(spawner);
    let exit = tokio::time::timeout(Duration::from_secs(10), run.wait())
        .await
        .expect("child outlived its spawner");
    assert_eq!(exit.signal, Some(9));
}

#[tokio::test]
async fn direct_children_survive_the_spawner() {
    let dir = tempfile::tempdir().unwrap();
    let spawner = direct();
    let mut run = spawner.spawn(sh(dir.path(), "sleep 100")).await.unwrap();
    drop(spawner);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(run.try_exit().is_none());
    assert_eq!(run.stop(Duration::from_secs(5)).await.exit_code(), 143);
}

#[tokio::test]
async fn stragglers_found_by_marker() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().to_string_lossy().into_owned();
    let s = spec(
        dir.path(),
        "sleep",
        &["100"],
        &[("MESHLITE_DATA_DIR", &marker)],
    );
    let mut run = direct().spawn(s).await.unwrap();
    let pid = run.pid();
    assert_eq!(stragglers("MESHLITE_DATA_DIR", &marker), vec![pid]);
    assert!(stragglers("MESHLITE_DATA_DIR", &format!("{marker}x")).is_empty());
    assert!(stragglers("MESHLITE_DATA_DI", &marker).is_empty());
    kill_group(pid, Signal::SIGKILL).unwrap();
    assert_eq!(run.wait().await.exit_code(), 137);
    assert!(stragglers("MESHLITE_DATA_DIR", &marker).is_empty());
}

#[test]
fn stragglers_skip_odd_proc_entries() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |pid: &str, environ: &[u8]| {
        std::fs::create_dir_all(root.join(pid)).unwrap();
        std::fs::write(root.join(pid).join("environ"), environ).unwrap();
    };
    write("10", b"A=1\0M=v\0");
    write("11", b"M=v");
    write("12", b"M=vv\0XM=v\0");
    write("self", b"M=v\0");
    write("13", b"");
    std::fs::create_dir_all(root.join("14")).unwrap(); // no environ
    std::fs::write(root.join("15"), "a file").unwrap();
    write(&std::process::id().to_string(), b"M=v\0");
    assert_eq!(stragglers_in_dir(root, "M", "v"), vec![10, 11]);
    assert!(stragglers_in_dir(&root.join("missing"), "M", "v").is_empty());
}

fn stragglers_in_dir(root: &Path, marker: &str, value: &str) -> Vec<u32> {
    host::stragglers_in(root, marker, value)
}

#[test]
fn kill_group_refuses_dangerous_ids_and_ignores_gone_groups() {
    for pid in [0, 1, u32::MAX] {
        assert!(kill_group(pid, Signal::SIGTERM).is_err(), "{pid}");
    }
    // Far above any default pid_max; no such group.
    assert!(kill_group(i32::MAX as u32, Signal::SIGTERM).is_ok());
}

#[test]
fn stat_state_parsing() {
    let cases = [
        ("12 (sleep) S 1 12 12 0", Some('S')),
        ("12 (a) b) Z 1 12", Some('Z')),
        ("12 (x)", None),
        ("garbage", None),
        ("", None),
    ];
    for (line, want) in cases {
        assert_eq!(host::stat_state(line), want, "{line}");
    }
}

#[test]
fn handles_can_be_shared_across_tasks() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Spawner>();
    shareable::<Running>();
}

#[test]
fn spawn_outside_a_runtime_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let spawner = direct();
    let fut = spawner.spawn(sh(dir.path(), "true"));
    // Polled by a plain executor with no tokio runtime around it.
    let result = poll_once(fut);
    assert!(matches!(result, Err(Error::Spawn(_))));
}

/// Poll a future that completes without waking (it fails before awaiting anything).
fn poll_once<F: std::future::Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(out) => out,
        std::task::Poll::Pending => panic!("spawn waited instead of failing"),
    }
}

#[test]
fn exit_codes() {
    let at = chrono::Utc::now();
    let cases = [
        (Some(0), None, 0),
        (Some(3), None, 3),
        (None, Some(9), 137),
        (None, Some(15), 143),
        (None, None, 255),
    ];
    for (code, signal, want) in cases {
        let exit = Exit {
            code,
            signal,
            finished_at: at,
        };
        assert_eq!(exit.exit_code(), want, "{code:?} {signal:?}");
    }
}

#[test]
fn error_exit_codes_and_messages() {
    let cases = [
        (
            Error::NotFound {
                program: "x".into(),
            },
            127,
            "not found",
        ),
        (
            Error::PermissionDenied {
                program: "x".into(),
            },
            126,
            "chmod",
        ),
        (Error::ParentGone, 1, "meshlite up"),
        (Error::Spawn(std::io::Error::other("boom")), 1, "boom"),
    ];
    for (err, code, text) in cases {
        assert_eq!(err.exit_code(), code);
        assert!(err.to_string().contains(text), "{err}");
    }
}
