//! `ps` inside a container: only that container's processes, as its own PID namespace shows
//! them on a cluster. The listing itself is the machine's `ps`, given the container's process
//! ids in place of the options that select every process.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Command;

/// Every process of a container carries this variable: `<data dir>/<ns>/<pod>/<container>`.
pub const CONTAINER_ENV: &str = "MESHLITE_CONTAINER";

/// Options whose next argument is a value (a format, a list), not options.
const TAKES_VALUE: &[&str] = &[
    "-o", "-O", "-p", "-q", "-u", "-U", "-g", "-G", "-t", "-C", "-s", "--format", "--sort",
    "--pid", "--ppid", "-N",
];

/// Run as `ps ARGS…`. Only returns when the machine's `ps` could not be started (exit code).
pub fn run(args: &[String]) -> i32 {
    let Some(real) = machine_ps() else {
        eprintln!("ps: command not found (install procps)");
        return 127;
    };
    let mut cmd = Command::new(real);
    match std::env::var(CONTAINER_ENV) {
        Ok(marker) => {
            let pids: Vec<String> = container_pids(&marker)
                .into_iter()
                .map(|p| p.to_string())
                .collect();
            cmd.args(narrow(args)).arg("-p").arg(pids.join(","));
        }
        Err(_) => {
            cmd.args(args);
        }
    }
    let e = cmd.exec();
    eprintln!("ps: {e}");
    126
}

/// `args` without the options that select every process (BSD `a` and `x`, `-e`, `-A`, `-a`),
/// so the process ids given with `-p` are what is listed. `aux` → `u`, `-ef` → `-f`.
pub fn narrow(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut value_next = false;
    for arg in args {
        if value_next || arg.starts_with("--") {
            value_next = TAKES_VALUE.contains(&arg.as_str());
            out.push(arg.clone());
            continue;
        }
        value_next = TAKES_VALUE.contains(&arg.as_str());
        let kept: String = match arg.strip_prefix('-') {
            Some(flags) => {
                let f: String = flags
                    .chars()
                    .filter(|c| !matches!(c, 'e' | 'A' | 'a'))
                    .collect();
                if f.is_empty() {
                    continue;
                }
                format!("-{f}")
            }
            None => {
                let f: String = arg.chars().filter(|c| !matches!(c, 'a' | 'x')).collect();
                if f.is_empty() {
                    continue;
                }
                f
            }
        };
        out.push(kept);
    }
    out
}

/// The processes whose environment carries `CONTAINER_ENV=marker`.
fn container_pids(marker: &str) -> Vec<u32> {
    let wanted = format!("{CONTAINER_ENV}={marker}");
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .filter(|pid: &u32| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == wanted.as_bytes()))
        })
        .collect();
    pids.sort_unstable();
    pids
}

/// The machine's `ps`: the first on PATH that is not this binary.
fn machine_ps() -> Option<PathBuf> {
    let me = std::env::current_exe().and_then(std::fs::canonicalize).ok();
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("ps"))
        .find(|p| p.is_file() && std::fs::canonicalize(p).ok() != me)
}

#[cfg(test)]
mod tests {
    use super::narrow;

    fn n(args: &[&str]) -> Vec<String> {
        narrow(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn selections_of_every_process_are_dropped_and_formats_kept() {
        assert_eq!(n(&["aux"]), ["u"]);
        assert_eq!(n(&["ax"]), Vec::<String>::new());
        assert_eq!(n(&["-ef"]), ["-f"]);
        assert_eq!(n(&["-e", "-o", "pid,args"]), ["-o", "pid,args"]);
        // A format value is never rewritten, however it is spelled.
        assert_eq!(n(&["-o", "ax"]), ["-o", "ax"]);
        assert_eq!(n(&["--sort", "-pcpu", "aux"]), ["--sort", "-pcpu", "u"]);
        assert_eq!(n(&[]), Vec::<String>::new());
    }
}
