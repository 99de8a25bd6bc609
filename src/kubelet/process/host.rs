//! What the host's process table says: signalling process groups, reading `/proc` for the state
//! of a child and for leftovers of an earlier `meshlite up`.

use nix::errno::Errno;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::path::Path;

/// Send `signal` to the process group led by `pid`. A group that no longer exists is not an
/// error. Pids 0 and 1 (and pids beyond `i32`) are refused: `killpg(0)` would signal our own
/// group and group 1 belongs to init.
pub fn kill_group(pid: u32, signal: Signal) -> std::io::Result<()> {
    let pgid = i32::try_from(pid).ok().filter(|p| *p > 1).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("refusing to signal process group {pid}"),
        )
    })?;
    match killpg(Pid::from_raw(pgid), signal) {
        Ok(()) | Err(Errno::ESRCH) => Ok(()),
        Err(e) => Err(std::io::Error::from(e)),
    }
}

/// Pids of processes whose environment contains `marker_env=value` (other than this process),
/// sorted. Processes whose environment cannot be read (other users, already exited) are skipped.
pub fn stragglers(marker_env: &str, value: &str) -> Vec<u32> {
    stragglers_in(Path::new("/proc"), marker_env, value)
}

/// [`stragglers`] over a `/proc`-shaped directory.
pub(super) fn stragglers_in(proc_dir: &Path, marker_env: &str, value: &str) -> Vec<u32> {
    let wanted = format!("{marker_env}={value}").into_bytes();
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir(proc_dir) else {
        return Vec::new();
    };
    let mut found: Vec<u32> = entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != me)
        .filter(|pid| {
            std::fs::read(proc_dir.join(pid.to_string()).join("environ"))
                .map(|environ| environ.split(|b| *b == 0).any(|var| var == wanted))
                .unwrap_or(false)
        })
        .collect();
    found.sort_unstable();
    found
}

/// Whether `pid` has ended: it is a zombie waiting to be reaped, or gone from `/proc`.
pub(super) fn has_exited(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat_state(&stat).is_some_and(|s| s == 'Z' || s == 'X'),
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    }
}

/// The state letter of a `/proc/<pid>/stat` line. The command name in parentheses may itself
/// contain spaces and parentheses, so the state is found after the *last* `)`.
pub(super) fn stat_state(stat: &str) -> Option<char> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().next()?.chars().next()
}

/// The process group of `pid`, from `/proc/<pid>/stat` (field 5).
#[cfg(test)]
pub(super) fn process_group(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(2)?.parse().ok()
}

/// Find `spec.program` the way exec will: a name with a `/` relative to the working directory,
/// a bare name on the `PATH` of the spec's environment (not checked when it sets no `PATH`,
/// since exec then falls back to a default list).
pub(super) fn check_executable(spec: &super::Spec) -> Result<(), super::Error> {
    use std::os::unix::fs::PermissionsExt;
    let program = spec.program.to_string_lossy().into_owned();
    let candidates: Vec<std::path::PathBuf> = if program.contains('/') {
        vec![spec.cwd.join(&spec.program)]
    } else {
        let Some((_, path)) = spec.env.iter().rev().find(|(k, _)| k == "PATH") else {
            return Ok(());
        };
        path.split(':')
            .map(|dir| if dir.is_empty() { "." } else { dir })
            .map(|dir| spec.cwd.join(dir).join(&spec.program))
            .collect()
    };
    let mut denied = false;
    for candidate in candidates {
        match std::fs::metadata(&candidate) {
            Ok(meta) if meta.is_file() && meta.permissions().mode() & 0o111 != 0 => return Ok(()),
            Ok(_) => denied = true,
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => denied = true,
            Err(_) => {}
        }
    }
    Err(if denied {
        super::Error::PermissionDenied { program }
    } else {
        super::Error::NotFound { program }
    })
}
