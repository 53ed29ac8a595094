use std::path::{Path, PathBuf};

use super::child::pid_line;
use super::{spawn_daemon, DaemonSpec};
use crate::exec::{exec_candidates, parse_reports, pid_in, FAILURE_RECORD, PID_RECORD};
use crate::{Errno, Error, Pid};

/// A directory of its own for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("prockit-daemon-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// SIGKILLs the daemon when the test ends, pass or fail.
struct Started(Pid);

impl Drop for Started {
    fn drop(&mut self) {
        // SAFETY: a plain system call; the pid is the daemon this test started.
        unsafe { libc::kill(self.0.get(), libc::SIGKILL) };
    }
}

fn spec(command: &str, args: &[&str]) -> DaemonSpec {
    DaemonSpec {
        command: command.as_bytes().to_vec(),
        argv: std::iter::once(command).chain(args.iter().copied()).map(|a| a.as_bytes().to_vec()).collect(),
        env: None,
        workdir: PathBuf::from("/"),
        umask: 0,
        redirect_to: PathBuf::from("/dev/null"),
        stdout: None,
        stderr: None,
        pid_file: None,
    }
}

fn stat_fields(pid: Pid) -> Vec<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let after = text.rfind(')').map(|i| &text[i + 2..]).expect("comm");
    after.split(' ').map(str::to_owned).collect()
}

fn status_line(pid: Pid, name: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().to_owned()).expect(name)
}

fn open_fds(pid: Pid) -> Vec<i32> {
    let mut fds: Vec<i32> =
        std::fs::read_dir(format!("/proc/{pid}/fd")).expect("fd dir").filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect();
    fds.sort();
    fds
}

fn link(pid: Pid, what: &str) -> PathBuf {
    std::fs::read_link(format!("/proc/{pid}/{what}")).expect(what)
}

#[test]
fn candidates_follow_execvp() {
    assert_eq!(exec_candidates(b"./run", Some(b"/bin")), vec![b"./run".to_vec()]);
    assert_eq!(exec_candidates(b"/bin/sleep", None), vec![b"/bin/sleep".to_vec()]);
    assert_eq!(
        exec_candidates(b"sleep", Some(b"/usr/bin::/opt/x/")),
        vec![b"/usr/bin/sleep".to_vec(), b"./sleep".to_vec(), b"/opt/x/sleep".to_vec()]
    );
    assert_eq!(exec_candidates(b"sleep", None), vec![b"/bin/sleep".to_vec(), b"/usr/bin/sleep".to_vec()]);
}

#[test]
fn pid_lines_are_decimal_with_a_newline() {
    let mut buffer = [0u8; 12];
    assert_eq!(pid_line(1, &mut buffer), b"1\n");
    assert_eq!(pid_line(4194304, &mut buffer), b"4194304\n");
    assert_eq!(pid_line(i32::MAX, &mut buffer), b"2147483647\n");
}

#[test]
fn reports_are_read_in_any_order() {
    let record = |words: [u32; 4]| words.iter().flat_map(|w| w.to_ne_bytes()).collect::<Vec<u8>>();
    let failure_first = [record([FAILURE_RECORD, 3, libc::ENOENT as u32, 0]), record([PID_RECORD, 0, 4242, 0])].concat();
    assert_eq!(pid_in(&failure_first), 4242);
    assert_eq!(parse_reports(&failure_first), Some((3, libc::ENOENT, 0)));
    let truncated = record([PID_RECORD, 0, 77, 0]);
    assert_eq!(pid_in(&truncated[..15]), 0, "a partial record is no record");
    assert_eq!(parse_reports(&truncated), None);
}

#[test]
fn a_daemon_is_detached_and_set_up_as_asked() {
    let scratch = Scratch::new("setup");
    let out = scratch.0.join("out.log");
    let pid_file = scratch.0.join("daemon.pid");
    let mut request = spec("/bin/sleep", &["30"]);
    request.workdir = scratch.0.clone();
    request.umask = 0o027;
    request.stdout = Some(out.clone());
    request.pid_file = Some(pid_file.clone());
    request.env = Some(vec![b"PROCKIT_TEST=1".to_vec(), b"PATH=/bin".to_vec()]);
    let pid = spawn_daemon(&request).expect("spawn");
    let _started = Started(pid);

    let stat = stat_fields(pid);
    // man 5 proc: (4) ppid, (5) pgrp, (6) session; `stat` starts at (3) state.
    assert_ne!(stat[1], std::process::id().to_string(), "re-parented away from us");
    assert_eq!(stat[2], stat[3], "its process group is its session");
    assert_ne!(stat[3], pid.to_string(), "not a session leader");
    assert_eq!(link(pid, "cwd"), scratch.0);
    assert_eq!(status_line(pid, "Umask:"), "0027");
    assert_eq!(status_line(pid, "SigIgn:"), "0000000000000000", "SIGPIPE is no longer ignored");
    assert_eq!(status_line(pid, "SigBlk:"), "0000000000000000");
    assert_eq!(open_fds(pid), vec![0, 1, 2]);
    assert_eq!(link(pid, "fd/0"), Path::new("/dev/null"));
    assert_eq!(link(pid, "fd/1"), out);
    assert_eq!(link(pid, "fd/2"), Path::new("/dev/null"));
    assert_eq!(std::fs::read_to_string(&pid_file).expect("pid file"), format!("{pid}\n"));
    assert_eq!(std::fs::read(format!("/proc/{pid}/environ")).expect("environ"), b"PROCKIT_TEST=1\0PATH=/bin\0");
    let leftovers: Vec<_> = std::fs::read_dir(&scratch.0).expect("scratch").filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 2, "no temporary pid file left: {leftovers:?}");
}

#[test]
fn a_bare_name_is_found_on_the_environments_path() {
    let mut request = spec("sleep", &["30"]);
    request.env = Some(vec![b"PATH=/nonexistent:/bin:/usr/bin".to_vec()]);
    let pid = spawn_daemon(&request).expect("spawn");
    let _started = Started(pid);
    assert_eq!(std::fs::read_to_string(format!("/proc/{pid}/comm")).expect("comm"), "sleep\n");
}

fn file_error(result: crate::Result<Pid>) -> (Errno, &'static str, PathBuf) {
    match result {
        Err(Error::File { errno, syscall, path }) => (errno, syscall, path),
        Ok(pid) => {
            drop(Started(pid));
            panic!("the daemon started")
        }
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn a_missing_program_fails_with_enoent_and_its_name() {
    let scratch = Scratch::new("missing");
    let pid_file = scratch.0.join("never.pid");
    let mut request = spec("prockit-no-such-program", &[]);
    request.pid_file = Some(pid_file.clone());
    let error = spawn_daemon(&request);
    assert_eq!(error.as_ref().map_err(Error::code).err(), Some("ENOENT"));
    assert_eq!(file_error(error), (Errno::ENOENT, "execve", PathBuf::from("prockit-no-such-program")));
    assert!(!pid_file.exists(), "no pid file for a daemon that never ran");
}

#[test]
fn a_file_without_execute_permission_fails_with_eacces() {
    let scratch = Scratch::new("noexec");
    let script = scratch.0.join("not-executable");
    std::fs::write(&script, "#!/bin/sh\n").expect("script");
    let error = spawn_daemon(&spec(script.to_str().expect("utf-8"), &[]));
    assert_eq!(file_error(error), (Errno::EACCES, "execve", script));
}

#[test]
fn a_bad_workdir_fails_at_chdir_naming_it() {
    let mut request = spec("/bin/sleep", &["30"]);
    request.workdir = PathBuf::from("/nonexistent/prockit-workdir");
    let error = spawn_daemon(&request);
    let message = error.as_ref().err().map(ToString::to_string);
    assert_eq!(message.as_deref(), Some("chdir: no such file or directory, '/nonexistent/prockit-workdir'"));
    assert_eq!(file_error(error), (Errno::ENOENT, "chdir", PathBuf::from("/nonexistent/prockit-workdir")));
}

#[test]
fn an_unopenable_stdout_fails_at_open_naming_it() {
    let mut request = spec("/bin/sleep", &["30"]);
    request.stdout = Some(PathBuf::from("/nonexistent/out.log"));
    assert_eq!(file_error(spawn_daemon(&request)), (Errno::ENOENT, "open", PathBuf::from("/nonexistent/out.log")));
}

#[test]
fn a_nul_byte_is_refused_before_fork() {
    let request = spec("/bin/sle\0ep", &[]);
    assert!(matches!(spawn_daemon(&request), Err(Error::Io { errno: Errno::EINVAL, .. })));
}
