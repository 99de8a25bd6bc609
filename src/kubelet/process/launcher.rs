//! The launcher: the first moments of every container process, run as `meshlite launch --
//! PROGRAM ARGS…` before the real program replaces it.

use super::Error;
use nix::sys::signal::Signal;
use std::os::unix::process::CommandExt;

/// Environment variable through which the spawner tells the launcher its expected parent pid.
/// It is removed again before the program starts.
pub const PARENT_PID_ENV: &str = "MESHLITE_PARENT_PID";

/// The launcher's body: ask for SIGKILL when the parent dies, make sure the parent has not
/// already died, then exec `program` with `args` (same pid, process group, environment minus
/// [`PARENT_PID_ENV`], working directory and output). Only returns on failure; the caller should
/// print the error and exit with [`Error::exit_code`].
pub fn launch(program: &str, args: &[String]) -> Error {
    // Survives exec: the kernel keeps the setting for the new program.
    if let Err(e) = nix::sys::prctl::set_pdeathsig(Signal::SIGKILL) {
        return Error::Spawn(std::io::Error::from(e));
    }
    // The parent may have died between fork and prctl; then nobody would ever send the signal
    // and we would have been adopted by another process.
    if let Some(expected) = std::env::var(PARENT_PID_ENV)
        .ok()
        .and_then(|v| v.parse::<i32>().ok())
    {
        if nix::unistd::getppid().as_raw() != expected {
            return Error::ParentGone;
        }
    }
    let e = std::process::Command::new(program)
        .args(args)
        .env_remove(PARENT_PID_ENV)
        .exec();
    super::exec_error(program, e)
}
