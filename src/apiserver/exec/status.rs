//! The `metav1.Status` objects sent on the error channel at the end of an exec, and the
//! container-runtime wording of commands that cannot start.

use std::os::unix::process::ExitStatusExt;

use serde_json::{json, Value};

/// The command ended with exit code 0.
pub fn success_status() -> Value {
    json!({"metadata": {}, "status": "Success"})
}

/// The command ended with a non-zero exit code; kubectl exits with the code of the cause.
pub fn exit_status(code: i32) -> Value {
    json!({
        "metadata": {},
        "status": "Failure",
        "message": format!("command terminated with non-zero exit code: exit status {code}"),
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]},
    })
}

/// The exec itself failed (not the command): kubectl prints the message.
pub fn failure_status(message: &str) -> Value {
    json!({
        "metadata": {},
        "status": "Failure",
        "message": format!("Internal error occurred: {message}"),
        "reason": "InternalError",
        "details": {"causes": [{"message": message}]},
        "code": 500,
    })
}

/// The exit code a shell would report: the code, or 128 + the signal that killed the process.
pub fn exit_code_of(status: std::process::ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        (None, None) => 1,
    }
}

/// The message and exit code for a command that could not be started, worded as runc reports
/// it through the container runtime: 127 when the program does not exist, 126 when it cannot
/// be executed.
pub fn spawn_failure(program: &str, error: &std::io::Error) -> (String, i32) {
    let (detail, code) = match error.kind() {
        std::io::ErrorKind::NotFound if program.contains('/') => (
            format!("exec: \"{program}\": stat {program}: no such file or directory"),
            127,
        ),
        std::io::ErrorKind::NotFound => (
            format!("exec: \"{program}\": executable file not found in $PATH"),
            127,
        ),
        std::io::ErrorKind::PermissionDenied => {
            (format!("exec: \"{program}\": permission denied"), 126)
        }
        _ => (
            format!("exec: \"{program}\": {}", plain_os_message(error)),
            126,
        ),
    };
    (
        format!("OCI runtime exec failed: exec failed: unable to start container process: {detail}: unknown"),
        code,
    )
}

/// The OS description of an error without Rust's " (os error N)" suffix.
fn plain_os_message(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.rfind(" (os error ") {
        Some(at) => text.get(..at).unwrap_or(&text).to_lowercase(),
        None => text,
    }
}
