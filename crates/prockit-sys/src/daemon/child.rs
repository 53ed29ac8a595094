//! After fork: the two children. Async-signal-safe libc calls only, on memory prepared
//! before the fork; no allocation, no panics, no return into the caller's code.

use std::ffi::CString;
use std::os::fd::RawFd;

use libc::c_int;

use super::{Prepared, CREATED_MODE};
use crate::exec::{close_all_but, default_signals, errno, exec_first, fail, report, set_errno, Step, PID_RECORD};

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
    default_signals(&p.image);
    exec_or_fail(p, fd)
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

/// A daemon that never ran leaves no pid file behind.
unsafe fn exec_or_fail(p: &Prepared, fd: RawFd) -> ! {
    exec_first(&p.image, fd, || {
        if let Some((pid_file, _)) = &p.pid_file {
            libc::unlink(pid_file.as_ptr());
        }
    })
}
