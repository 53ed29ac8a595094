//! After fork: the two children. Async-signal-safe libc calls only, on memory prepared
//! before the fork; no allocation, no panics, no return into the caller's code.

use std::ffi::CString;
use std::os::fd::RawFd;

use libc::c_int;

use super::{Prepared, Step, CREATED_MODE, FAILURE_RECORD, PID_RECORD, RECORD_LEN};

pub(super) fn errno() -> c_int {
    // SAFETY: reads this thread's errno.
    unsafe { *libc::__errno_location() }
}

fn set_errno(value: c_int) {
    // SAFETY: writes this thread's errno.
    unsafe { *libc::__errno_location() = value }
}

/// Writes one record); a failed write changes nothing the parent could act on.
unsafe fn report(fd: RawFd, kind: u32, step: u32, value: i32, index: usize) {
    let mut record = [0u8; RECORD_LEN];
    let words = [kind, step, value as u32, index as u32];
    for (slot, word) in record.chunks_exact_mut(4).zip(words) {
        slot.copy_from_slice(&word.to_ne_bytes());
    }
    while libc::write(fd, record.as_ptr().cast(), RECORD_LEN) < 0 && errno() == libc::EINTR {}
}

unsafe fn fail(fd: RawFd, step: Step, index: usize) -> ! {
    report(fd, FAILURE_RECORD, step as u32, errno(), index);
    libc::_exit(127)
}

/// The first child: a new session, which has no controlling terminal, then the daemon's
/// fork. Exiting at once leaves the daemon an orphan that does not lead its session, so it
/// can never acquire a terminal.
pub(super) unsafe fn intermediate(p: &Prepared, fd: RawFd) -> ! {
    if libc::setsid() < 0 {
        fail(fd, Step::Setsid, 0)
    }
    match libc::fork() {
        0 => daemon(p, fd),
        pid if pid < 0 => fail(fd, Step::Fork, 0),
        pid => {
            report(fd, PID_RECORD, 0, pid, 0);
            libc::_exit(0)
        }
    }
}

unsafe fn daemon(p: &Prepared, fd: RawFd) -> ! {
    if libc::chdir(p.workdir.as_ptr()) != 0 {
        fail(fd, Step::Chdir, 0)
    }
    libc::umask(p.umask);
    close_all_but(fd, p.fd_limit);
    for (target, (path, flags)) in p.stdio.iter().enumerate() {
        if !open_as(path, *flags, target as c_int) {
            fail(fd, Step::Stdio, target)
        }
    }
    if let Some((pid_file, temporary)) = &p.pid_file {
        if let Err(call) = write_pid_file(pid_file, temporary) {
            fail(fd, Step::PidFile, call)
        }
    }
    default_signals(p.max_signal);
    exec_first(p, fd)
}

/// Closes every fd except `keep` (which is ≥ 3): close_range(2), or a loop before Linux 5.9.
unsafe fn close_all_but(keep: RawFd, fd_limit: c_int) {
    let below = libc::syscall(libc::SYS_close_range, 0u32, (keep - 1) as u32, 0u32);
    let above = libc::syscall(libc::SYS_close_range, (keep + 1) as u32, u32::MAX, 0u32);
    if below != 0 || above != 0 {
        for other in (0..fd_limit).filter(|other| *other != keep) {
            libc::close(other);
        }
    }
}

/// Opens `path` as fd `target`. All lower fds are open by now, so open(2) returns
/// `target` itself (the lowest free fd). O_NONBLOCK keeps a FIFO without a reader from
/// hanging the spawn (it fails with ENXIO instead) and is cleared once open.
unsafe fn open_as(path: &CString, flags: c_int, target: c_int) -> bool {
    let opened = libc::open(path.as_ptr(), flags | libc::O_NOCTTY | libc::O_NONBLOCK, CREATED_MODE);
    if opened < 0 {
        return false;
    }
    if opened != target && (libc::dup2(opened, target) < 0 || libc::close(opened) < 0) {
        return false;
    }
    let status = libc::fcntl(target, libc::F_GETFL);
    status >= 0 && libc::fcntl(target, libc::F_SETFL, status & !libc::O_NONBLOCK) == 0
}

/// The daemon's pid in decimal and a newline, without allocating.
pub(super) fn pid_line(pid: i32, buffer: &mut [u8; 12]) -> &[u8] {
    let mut start = buffer.len() - 1;
    buffer[start] = b'\n';
    let mut rest = pid.unsigned_abs();
    loop {
        start -= 1;
        buffer[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 || start == 0 {
            break;
        }
    }
    &buffer[start..]
}

/// Writes the pid to the temporary name, then renames it over the pid file: readers see
/// the old file or the whole new one. A failure gives the index of the call in
/// `PID_FILE_CALLS` (open, write, rename), with errno set.
unsafe fn write_pid_file(pid_file: &CString, temporary: &CString) -> Result<(), usize> {
    let fd = libc::open(temporary.as_ptr(), libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC, CREATED_MODE);
    if fd < 0 {
        return Err(0);
    }
    let mut buffer = [0u8; 12];
    let line = pid_line(libc::getpid(), &mut buffer);
    let written = libc::write(fd, line.as_ptr().cast(), line.len());
    if written != line.len() as isize {
        if written >= 0 {
            set_errno(libc::EIO);
        }
        return Err(discard(temporary, fd, 1));
    }
    if libc::close(fd) != 0 {
        return Err(discard(temporary, -1, 1));
    }
    if libc::rename(temporary.as_ptr(), pid_file.as_ptr()) != 0 {
        return Err(discard(temporary, -1, 2));
    }
    Ok(())
}

/// Removes the temporary pid file (closing `fd` first if it is open), keeping errno.
unsafe fn discard(temporary: &CString, fd: c_int, call: usize) -> usize {
    let saved = errno();
    if fd >= 0 {
        libc::close(fd);
    }
    libc::unlink(temporary.as_ptr());
    set_errno(saved);
    call
}

/// The kernel's struct sigaction (asm-generic layout, as on x86_64 and arm64).
#[repr(C)]
struct KernelSigaction {
    handler: libc::sighandler_t,
    flags: libc::c_ulong,
    restorer: usize,
    mask: u64,
}

/// Every signal back to its default action, then an empty mask. Node ignores SIGPIPE, and
/// an ignored signal stays ignored across exec; handlers are reset by exec itself. The raw
/// system call, because libc's sigaction refuses the signals it keeps for itself (32, 33),
/// and those can be inherited ignored too.
unsafe fn default_signals(max_signal: c_int) {
    let default = KernelSigaction { handler: libc::SIG_DFL, flags: 0, restorer: 0, mask: 0 };
    for signal in 1..=max_signal {
        if signal != libc::SIGKILL && signal != libc::SIGSTOP {
            let none: *mut KernelSigaction = std::ptr::null_mut();
            libc::syscall(libc::SYS_rt_sigaction, signal, &default as *const KernelSigaction, none, 8usize);
        }
    }
    let none = 0u64;
    libc::syscall(libc::SYS_rt_sigprocmask, libc::SIG_SETMASK, &none as *const u64, std::ptr::null_mut::<u64>(), 8usize);
}

/// execve over the candidates, as execvp does: a missing file tries the next one, EACCES
/// is remembered and reported if nothing runs, any other error stops at once.
unsafe fn exec_first(p: &Prepared, fd: RawFd) -> ! {
    let mut denied = None;
    let mut last = 0;
    for (index, candidate) in p.candidates.iter().enumerate() {
        libc::execve(candidate.as_ptr(), p.argv_ptrs.as_ptr(), p.envp_ptrs.as_ptr());
        match errno() {
            libc::EACCES => denied = denied.or(Some(index)),
            libc::ENOENT | libc::ENOTDIR | libc::ESTALE | libc::ENODEV | libc::ETIMEDOUT => {}
            _ => exec_failed(p, fd, index),
        }
        last = index;
    }
    if let Some(index) = denied {
        set_errno(libc::EACCES);
        exec_failed(p, fd, index)
    }
    set_errno(libc::ENOENT);
    exec_failed(p, fd, last)
}

/// A daemon that never ran leaves no pid file behind.
unsafe fn exec_failed(p: &Prepared, fd: RawFd, index: usize) -> ! {
    let saved = errno();
    if let Some((pid_file, _)) = &p.pid_file {
        libc::unlink(pid_file.as_ptr());
    }
    set_errno(saved);
    fail(fd, Step::Exec, index)
}

