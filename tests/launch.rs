//! `meshlite launch`: the way pod processes start — they become the program, keep its exit
//! code, and die with the process that started them (even under SIGKILL).

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn launch_becomes_the_program_and_keeps_its_exit_code() {
    let mut c = Command::new(support::BIN);
    c.args(["launch", "--", "sh", "-c", "echo hi; exit 3"]);
    let run = support::run(c, None);
    assert_eq!((run.code, run.stdout.as_str()), (3, "hi\n"));
    let mut c = Command::new(support::BIN);
    c.args(["launch", "--", "no-such-program-here"]);
    let run = support::run(c, None);
    assert_eq!(run.code, 127, "{}", run.stderr);
}

#[test]
fn a_launched_process_dies_with_its_parent_even_under_sigkill() {
    // A shell starts a launched `sleep`, prints its pid, then kills itself with SIGKILL.
    let script = format!(
        "MESHLITE_PARENT_PID=$$ {} launch -- sleep 300 & echo $!; sleep 0.3; kill -9 $$",
        support::BIN
    );
    let out = Command::new("sh").args(["-c", &script]).output().unwrap();
    let pid: u32 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("the child's pid");
    let deadline = Instant::now() + Duration::from_secs(5);
    while support::alive(pid)
        && std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
    {
        assert!(
            Instant::now() < deadline,
            "the launched process {pid} outlived its parent"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
