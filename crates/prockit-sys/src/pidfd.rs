use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;

use crate::{Error, Pid, ProcDir, Result};

/// Who a signal or a wait is meant for: a pid, and (when known) the start time in clock
/// ticks that the process had when it was first seen. With a start time, a pid that now
/// belongs to a different process is treated as gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub pid: Pid,
    pub starttime: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitOutcome {
    /// The process ended. For a child of the caller that is not yet reaped, its status:
    /// the exit code, or minus the number of the signal that killed it (as psutil gives).
    Exited(Option<i32>),
    TimedOut,
}

/// pidfd_open(2); `Ok(None)` when the kernel has no pidfds (before 5.3).
fn pidfd_open(pid: Pid) -> Result<Option<OwnedFd>> {
    // SAFETY: a plain system call with integer arguments.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid.get(), 0) };
    if fd >= 0 {
        // SAFETY: the kernel handed us a new fd that nothing else owns.
        return Ok(Some(unsafe { OwnedFd::from_raw_fd(fd as i32) }));
    }
    match Errno::last() {
        Errno::ENOSYS => Ok(None),
        errno => Err(Error::from_errno(errno, "pidfd_open", Some(pid))),
    }
}

/// Opens a pidfd for `identity` and then checks the start time through /proc: the pidfd
/// pins one process, so once the check passes no later pid reuse can redirect it.
fn open_identified(identity: Identity) -> Result<Option<OwnedFd>> {
    let fd = pidfd_open(identity.pid)?;
    if identity.starttime.is_some() {
        ProcDir::open_checked(identity.pid, identity.starttime)?;
    }
    Ok(fd)
}

/// Sends signal number `signal` (0 checks existence) to the process `identity` names,
/// or fails with ESRCH if the pid now belongs to another process.
pub fn send_signal(identity: Identity, signal: i32) -> Result<()> {
    let pid = identity.pid;
    // Report the user's operation, whichever call found the process gone.
    let as_kill = |e: Error| match e {
        Error::NoSuchProcess { pid, .. } => Error::NoSuchProcess { pid, syscall: "kill" },
        Error::PermissionDenied { pid, errno, .. } => Error::PermissionDenied { pid, errno, syscall: "kill" },
        other => other,
    };
    let result = match open_identified(identity).map_err(as_kill)? {
        // SAFETY: a plain system call; a null siginfo means "as kill(2) would".
        Some(fd) => unsafe { libc::syscall(libc::SYS_pidfd_send_signal, fd.as_raw_fd(), signal, std::ptr::null::<libc::siginfo_t>(), 0) },
        // Without pidfds a window between check and kill remains; it is the best there is.
        None => unsafe { libc::kill(pid.get(), signal) as libc::c_long },
    };
    if result == 0 {
        Ok(())
    } else {
        Err(Error::from_errno(Errno::last(), "kill", Some(pid)))
    }
}

/// Blocks until the process `identity` names has ended (exited or become a zombie) or
/// `timeout` has passed (`None`: no limit). A process that is already gone, or whose pid
/// was reused, counts as ended.
pub fn wait_for_exit(identity: Identity, timeout: Option<Duration>) -> Result<WaitOutcome> {
    let deadline = timeout.map(|t| Instant::now() + t);
    let fd = match open_identified(identity) {
        Ok(fd) => fd,
        // Already gone: a child our spawn() reaped has left its status in the record.
        Err(e) if e.is_gone() => return Ok(WaitOutcome::Exited(recorded_status(identity))),
        Err(e) => return Err(e),
    };
    match fd {
        Some(fd) => poll_until_readable(&fd, identity, deadline),
        None => poll_proc_until_gone(identity, deadline),
    }
}

fn remaining_ms(deadline: Option<Instant>) -> libc::c_int {
    match deadline {
        None => -1,
        Some(deadline) => {
            let left = deadline.saturating_duration_since(Instant::now());
            // Round up so that a wait never ends before its deadline.
            left.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int
        }
    }
}

fn poll_until_readable(fd: &OwnedFd, identity: Identity, deadline: Option<Instant>) -> Result<WaitOutcome> {
    let pid = identity.pid;
    loop {
        let mut pollfd = libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut pollfd, 1, remaining_ms(deadline)) };
        match n {
            n if n > 0 => return Ok(WaitOutcome::Exited(exit_status(fd, identity))),
            0 if deadline.is_some_and(|d| Instant::now() >= d) => return Ok(WaitOutcome::TimedOut),
            0 => continue,
            _ => match Errno::last() {
                Errno::EINTR => continue,
                errno => return Err(Error::from_errno(errno, "poll", Some(pid))),
            },
        }
    }
}

/// The status of an ended child, read with WNOWAIT so that it stays waitable for its real
/// reaper (Node's child_process); `None` when the process is not our child or already reaped.
///
/// A child that prockit's own spawn() reaped is found in the record its reaper keeps, taken
/// under the same lock, so that race is closed. A child of Node's child_process that libuv
/// reaped first has left no trace: `None`.
fn exit_status(fd: &OwnedFd, identity: Identity) -> Option<i32> {
    let reaped = crate::spawn::REAPED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut info = std::mem::MaybeUninit::<libc::siginfo_t>::zeroed();
    let flags = libc::WEXITED | libc::WNOWAIT | libc::WNOHANG;
    // SAFETY: waitid fills `info`; it is read only on success.
    let result = unsafe { libc::waitid(libc::P_PIDFD, fd.as_raw_fd() as libc::id_t, info.as_mut_ptr(), flags) };
    if result != 0 {
        return crate::spawn::reaped_status(&reaped, identity);
    }
    let info = unsafe { info.assume_init() };
    // SAFETY: after a successful waitid with WEXITED, si_status is the field that is set.
    let status = unsafe { info.si_status() };
    match info.si_code {
        libc::CLD_EXITED => Some(status),
        libc::CLD_KILLED | libc::CLD_DUMPED => Some(-status),
        _ => None, // WNOHANG with nothing to report: si_pid is 0
    }
}

fn recorded_status(identity: Identity) -> Option<i32> {
    let reaped = crate::spawn::REAPED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    crate::spawn::reaped_status(&reaped, identity)
}

/// The fallback for kernels without pidfds: look at /proc every 10 ms.
fn poll_proc_until_gone(identity: Identity, deadline: Option<Instant>) -> Result<WaitOutcome> {
    loop {
        let alive = match ProcDir::open_checked(identity.pid, identity.starttime) {
            Ok((_, stat)) => prockit_parse::parse_stat(&stat).map(|s| s.state != b'Z').unwrap_or(false),
            Err(e) if e.is_gone() => false,
            Err(e) => return Err(e),
        };
        if !alive {
            return Ok(WaitOutcome::Exited(None));
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(WaitOutcome::TimedOut);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
