//! A terminal for `exec -it`: the command runs on the slave side of a pseudo-terminal, which
//! becomes its controlling terminal (so Ctrl-C and job control reach it and a shell prompts),
//! and the connection reads and writes the master side. Size changes from the client are set
//! with `stty`, which needs no ioctl of our own.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use nix::pty::{openpty, Winsize};

/// The size a terminal starts with, until the client says its own.
const SIZE: Winsize = Winsize {
    ws_row: 24,
    ws_col: 80,
    ws_xpixel: 0,
    ws_ypixel: 0,
};

/// A terminal's master side and the path of its slave device.
pub struct Terminal {
    /// What the command writes comes out here; what is written here is its input.
    pub master: tokio::fs::File,
    /// `/dev/pts/N`, to resize.
    pub device: Option<PathBuf>,
}

/// Rewrites `cmd` to run on a new terminal and returns the master side. The command is
/// started through `setsid --ctty` where util-linux's `setsid` is on its PATH, which makes
/// the terminal its controlling one; without it the command still gets the terminal as its
/// standard streams.
pub fn attach(cmd: &mut tokio::process::Command) -> std::io::Result<Terminal> {
    let pty = openpty(Some(&SIZE), None).map_err(std::io::Error::from)?;
    let device = nix::unistd::ttyname(&pty.slave).ok();
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
    Ok(Terminal {
        master: tokio::fs::File::from_std(std::fs::File::from(pty.master)),
        device,
    })
}

/// Apply a resize message (`{"Width":120,"Height":40}`) to the terminal at `device`; the
/// command gets SIGWINCH from the kernel. Malformed messages are ignored.
pub async fn resize(device: &Path, message: &[u8]) {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Size {
        width: u16,
        height: u16,
    }
    let Ok(size) = serde_json::from_slice::<Size>(message) else {
        return;
    };
    let _ = tokio::process::Command::new("stty")
        .arg("-F")
        .arg(device)
        .args([
            "cols",
            &size.width.to_string(),
            "rows",
            &size.height.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await;
}
