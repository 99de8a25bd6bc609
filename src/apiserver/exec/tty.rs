//! A terminal for `exec -it`: the command runs on the slave side of a pseudo-terminal, which
//! becomes its controlling terminal (so Ctrl-C and job control reach it and a shell prompts),
//! and the connection reads and writes the master side.

use std::os::fd::OwnedFd;
use std::process::Stdio;

use nix::pty::{openpty, Winsize};

/// The size a terminal starts with; kubectl's resize messages are not applied.
const SIZE: Winsize = Winsize {
    ws_row: 24,
    ws_col: 80,
    ws_xpixel: 0,
    ws_ypixel: 0,
};

/// Rewrites `cmd` to run on a new terminal and returns the master side. The command is
/// started through `setsid --ctty` where util-linux's `setsid` is on its PATH, which makes
/// the terminal its controlling one; without it the command still gets the terminal as its
/// standard streams.
pub fn attach(cmd: &mut tokio::process::Command) -> std::io::Result<tokio::fs::File> {
    let pty = openpty(Some(&SIZE), None).map_err(std::io::Error::from)?;
    let std = cmd.as_std();
    let path = std
        .get_envs()
        .find(|(k, _)| *k == "PATH")
        .and_then(|(_, v)| v.map(|v| v.to_os_string()));
    let setsid = path.and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("setsid"))
            .find(|p| p.is_file())
    });
    if let Some(setsid) = setsid {
        let mut wrapped = tokio::process::Command::new(setsid);
        wrapped
            .arg("--ctty")
            .arg(std.get_program())
            .args(std.get_args());
        wrapped.env_clear();
        for (k, v) in std.get_envs() {
            if let Some(v) = v {
                wrapped.env(k, v);
            }
        }
        if let Some(dir) = std.get_current_dir() {
            wrapped.current_dir(dir);
        }
        *cmd = wrapped;
    }
    let slave: OwnedFd = pty.slave;
    cmd.stdin(Stdio::from(slave.try_clone()?))
        .stdout(Stdio::from(slave.try_clone()?))
        .stderr(Stdio::from(slave));
    Ok(tokio::fs::File::from_std(std::fs::File::from(pty.master)))
}
