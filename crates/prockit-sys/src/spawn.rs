//! A child process in a new session or a new process group, with pipes for its stdio:
//! what child_process.spawn cannot give (its `detached` means setsid, and nothing sets a
//! process group alone). One fork; the fork/exec discipline is the one in `exec.rs`.

use std::ffi::{CString, OsStr};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use libc::c_int;
use nix::errno::Errno;

use crate::exec::{
    above_stdio, close_all_but, default_signals, exec_first, fail, fd_limit, parse_reports, pipe, read_reports, reap, report_pipe,
    BlockedSignals, ExecImage, Step,
};
use crate::{Error, Pid, Result};

/// Where the child's process group and session are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// The caller's group and session.
    Inherit,
    /// A new process group led by the child, in the caller's session: setpgid(0, 0).
    NewProcessGroup,
    /// A new session (and group) led by the child, with no controlling terminal: setsid().
    NewSession,
}

/// What one of the child's fds 0–2 is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildStdio {
    /// The caller's own fd of that number.
    Inherit,
    /// /dev/null.
    Null,
    /// A new pipe; the caller gets the other end.
    Pipe,
}

#[derive(Debug, Clone)]
pub struct ChildSpec {
    /// A path, or a bare name looked up in the PATH of `env` (as execvp).
    pub command: Vec<u8>,
    /// argv, argv[0] included.
    pub argv: Vec<Vec<u8>>,
    /// `NAME=value` entries; `None`: this process's environment.
    pub env: Option<Vec<Vec<u8>>>,
    /// The child's working directory; `None`: the caller's.
    pub cwd: Option<PathBuf>,
    pub stdio: [ChildStdio; 3],
    pub grouping: Grouping,
}

/// A started child: its pid, and the caller's ends of the pipes asked for (stdin's write
/// end, stdout's and stderr's read ends; all close-on-exec). The caller must reap it.
#[derive(Debug)]
pub struct Child {
    pub pid: Pid,
    pub stdio: [Option<OwnedFd>; 3],
}

/// The child's side of its fds 0–2, prepared before fork.
enum Plan {
    Keep,
    Open(CString),
    Dup(OwnedFd),
}

/// Starts `spec` and returns once the child has exec'd; an exec failure is returned as the
/// errno of the step that failed (setsid, setpgid, chdir, execve…), the child reaped.
pub fn spawn_child(spec: &ChildSpec) -> Result<Child> {
    let image = ExecImage::new(&spec.command, &spec.argv, spec.env.as_deref())?;
    let cwd = spec.cwd.as_ref().map(|cwd| CString::new(cwd.as_os_str().as_bytes())).transpose().map_err(|_| Error::Io {
        errno: Errno::EINVAL,
        syscall: "chdir",
        pid: None,
    })?;
    let mut parent_ends: [Option<OwnedFd>; 3] = [None, None, None];
    let mut plans = Vec::with_capacity(3);
    for (target, stdio) in spec.stdio.iter().enumerate() {
        plans.push(match stdio {
            ChildStdio::Inherit => Plan::Keep,
            ChildStdio::Null => Plan::Open(CString::from(c"/dev/null")),
            ChildStdio::Pipe => {
                let (read, write) = pipe()?;
                let (parent, child) = if target == 0 { (write, read) } else { (read, write) };
                parent_ends[target] = Some(above_stdio(parent)?);
                Plan::Dup(above_stdio(child)?)
            }
        });
    }
    let fd_limit = fd_limit();
    let (reader, writer) = report_pipe()?;
    let (child, fork_errno) = {
        let _blocked = BlockedSignals::all()?;
        // SAFETY: the child runs only `in_child`, which calls async-signal-safe functions on
        // memory prepared above and ends in execve or _exit.
        let child = unsafe { libc::fork() };
        if child == 0 {
            unsafe { in_child(&image, spec.grouping, &plans, cwd.as_ref(), writer.as_raw_fd(), fd_limit) }
        }
        (child, Errno::last())
    };
    if child < 0 {
        return Err(Error::Io { errno: fork_errno, syscall: "fork", pid: None });
    }
    drop(writer);
    drop(plans); // the child's ends of the pipes
    let reports = read_reports(&reader)?;
    if let Some((step, errno, index)) = parse_reports(&reports) {
        let _ = reap(child);
        return Err(failure(spec, &image, cwd.as_ref(), step, Errno::from_raw(errno), index));
    }
    let pid = Pid::new(child).ok_or(Error::Io { errno: Errno::ECHILD, syscall: "fork", pid: None })?;
    Ok(Child { pid, stdio: parent_ends })
}

fn failure(spec: &ChildSpec, image: &ExecImage, cwd: Option<&CString>, step: u32, errno: Errno, index: usize) -> Error {
    let file = |syscall, path: &[u8]| Error::File { errno, syscall, path: PathBuf::from(OsStr::from_bytes(path)) };
    match step {
        s if s == Step::Setsid as u32 => Error::Io { errno, syscall: "setsid", pid: None },
        s if s == Step::Setpgid as u32 => Error::Io { errno, syscall: "setpgid", pid: None },
        s if s == Step::Stdio as u32 && spec.stdio.get(index) == Some(&ChildStdio::Null) => file("open", b"/dev/null"),
        s if s == Step::Stdio as u32 => Error::Io { errno, syscall: "dup2", pid: None },
        s if s == Step::Chdir as u32 => file("chdir", cwd.map_or(b"".as_slice(), |c| c.as_bytes())),
        // A name not found anywhere on PATH is reported by its name, as execvp's callers do.
        _ if image.candidates.len() > 1 && errno == Errno::ENOENT => file("execve", &spec.command),
        _ => file("execve", image.candidates.get(index).map_or(spec.command.as_slice(), |c| c.as_bytes())),
    }
}

/// After fork. Async-signal-safe calls only.
unsafe fn in_child(image: &ExecImage, grouping: Grouping, plans: &[Plan], cwd: Option<&CString>, report: RawFd, fd_limit: c_int) -> ! {
    match grouping {
        Grouping::NewSession if libc::setsid() < 0 => fail(report, Step::Setsid, 0),
        Grouping::NewProcessGroup if libc::setpgid(0, 0) < 0 => fail(report, Step::Setpgid, 0),
        _ => {}
    }
    for (target, plan) in plans.iter().enumerate() {
        let target = target as c_int;
        let ok = match plan {
            Plan::Keep => true,
            Plan::Dup(fd) => libc::dup2(fd.as_raw_fd(), target) == target,
            Plan::Open(path) => {
                let opened = libc::open(path.as_ptr(), libc::O_RDWR | libc::O_NOCTTY);
                opened == target || (opened >= 0 && libc::dup2(opened, target) == target && libc::close(opened) == 0)
            }
        };
        if !ok {
            fail(report, Step::Stdio, target as usize)
        }
    }
    // Every other fd is the parent's business: Node's are close-on-exec, C libraries' may not be.
    close_all_but(report, fd_limit);
    if let Some(cwd) = cwd {
        if libc::chdir(cwd.as_ptr()) != 0 {
            fail(report, Step::Chdir, 0)
        }
    }
    default_signals(image);
    exec_first(image, report, || {})
}

/// How a child ended: its exit code, or the signal that killed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildExit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
}

/// The statuses of the children `wait_child` reaped, newest last, for `wait()` calls that come
/// a moment too late to read them from the kernel (see `pidfd::exit_status`). Reaping and
/// recording happen under the lock, so a reader sees either the zombie or the record.
pub(crate) static REAPED: std::sync::Mutex<std::collections::VecDeque<Reaped>> = std::sync::Mutex::new(std::collections::VecDeque::new());
const REAPED_KEPT: usize = 4096;

/// A child `wait_child` reaped: its identity and its status (exit code, or minus the signal).
pub(crate) struct Reaped {
    pid: i32,
    starttime: Option<u64>,
    status: i32,
}

/// The recorded status of the child `identity` names, if `wait_child` reaped it.
pub(crate) fn reaped_status(reaped: &std::collections::VecDeque<Reaped>, identity: crate::Identity) -> Option<i32> {
    reaped
        .iter()
        .rev()
        .find(|r| r.pid == identity.pid.get() && (identity.starttime.is_none() || r.starttime == identity.starttime))
        .map(|r| r.status)
}

/// Blocks until our child `pid` has ended and reaps it. For a dedicated thread: it lasts
/// as long as the child does.
pub fn wait_child(pid: Pid) -> Result<ChildExit> {
    // Wait without reaping first (a pidfd, or a WNOWAIT waitid), then reap under the lock.
    let mut info = std::mem::MaybeUninit::<libc::siginfo_t>::zeroed();
    loop {
        // SAFETY: waitid fills `info`, which is not read here.
        if unsafe { libc::waitid(libc::P_PID, pid.get() as libc::id_t, info.as_mut_ptr(), libc::WEXITED | libc::WNOWAIT) } == 0 {
            break;
        }
        match Errno::last() {
            Errno::EINTR => continue,
            errno => return Err(Error::from_errno(errno, "waitid", Some(pid))),
        }
    }
    // The zombie still has its /proc entry: its start time identifies the record.
    let starttime =
        crate::ProcDir::open_checked(pid, None).ok().and_then(|(_, stat)| prockit_parse::parse_stat(&stat).ok().map(|s| s.starttime));
    let mut reaped = REAPED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut status: c_int = 0;
    loop {
        // SAFETY: reaps our own child, which has ended.
        if unsafe { libc::waitpid(pid.get(), &mut status, 0) } >= 0 {
            break;
        }
        match Errno::last() {
            Errno::EINTR => continue,
            errno => return Err(Error::from_errno(errno, "waitpid", Some(pid))),
        }
    }
    let exit = if libc::WIFSIGNALED(status) {
        ChildExit { code: None, signal: Some(libc::WTERMSIG(status)) }
    } else {
        ChildExit { code: Some(libc::WEXITSTATUS(status)), signal: None }
    };
    if reaped.len() >= REAPED_KEPT {
        reaped.pop_front();
    }
    reaped.push_back(Reaped { pid: pid.get(), starttime, status: exit.code.unwrap_or_else(|| -exit.signal.unwrap_or(0)) });
    Ok(exit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(argv: &[&str], grouping: Grouping) -> ChildSpec {
        ChildSpec {
            command: argv[0].as_bytes().to_vec(),
            argv: argv.iter().map(|a| a.as_bytes().to_vec()).collect(),
            env: Some(vec![b"PATH=/usr/bin:/bin".to_vec()]),
            cwd: None,
            stdio: [ChildStdio::Null, ChildStdio::Pipe, ChildStdio::Null],
            grouping,
        }
    }

    fn read_all(fd: OwnedFd) -> Vec<u8> {
        let mut file = std::fs::File::from(fd);
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut out).unwrap();
        out
    }

    #[test]
    fn a_child_in_a_new_process_group_reports_its_own_ids() {
        let mut child = spawn_child(&spec(&["sh", "-c", "cut -d' ' -f1,5,6 /proc/$$/stat"], Grouping::NewProcessGroup)).unwrap();
        let out = String::from_utf8(read_all(child.stdio[1].take().unwrap())).unwrap();
        assert_eq!(wait_child(child.pid).unwrap(), ChildExit { code: Some(0), signal: None });
        let ids: Vec<i32> = out.split_whitespace().filter_map(|w| w.parse().ok()).collect();
        assert_eq!(ids.len(), 3, "{out}");
        assert_eq!(ids[0], child.pid.get());
        assert_eq!(ids[1], child.pid.get(), "leads its group");
        assert_ne!(ids[2], child.pid.get(), "but not a session");
    }

    #[test]
    fn a_missing_program_is_enoent_and_leaves_no_child() {
        let error = spawn_child(&spec(&["no-such-program-prockit"], Grouping::NewSession)).unwrap_err();
        assert_eq!(error.code(), "ENOENT");
        assert_eq!(error.syscall(), "execve");
    }
}
