//! What the daemon spawn and the child spawn share: the exec image built before fork, the
//! close-on-exec report pipe, and the async-signal-safe steps that run after fork.
//!
//! The caller is a multithreaded process (Node), so between fork and exec only raw,
//! async-signal-safe libc calls may run: another thread may have held the allocator's lock
//! at the moment of the fork. Everything a child needs is built as C strings before the
//! fork; the children allocate nothing and never return into Rust code that could.
//!
//! A child talks back over the pipe in fixed 16-byte records (one `write(2)` each, atomic
//! below PIPE_BUF): a pid, or the step that failed with its errno and the index of the file
//! or candidate involved. A successful exec closes the pipe, so end-of-file with no failure
//! means the program runs.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use libc::{c_char, c_int};
use nix::errno::Errno;

use crate::{Error, Result};

/// The steps that can fail after fork, as they travel over the pipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Step {
    Setsid = 1,
    Fork = 2,
    Chdir = 3,
    Stdio = 4,
    PidFile = 5,
    Exec = 6,
    Setpgid = 7,
}

pub(crate) const PID_RECORD: u32 = 1;
pub(crate) const FAILURE_RECORD: u32 = 2;
const RECORD_LEN: usize = 16;
const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";
/// What runs a file that execve cannot (ENOEXEC), as execvp does.
const SHELL: &std::ffi::CStr = c"/bin/sh";

pub(crate) fn c_string(bytes: &[u8]) -> Result<CString> {
    CString::new(bytes).map_err(|_| Error::Io { errno: Errno::EINVAL, syscall: "execve", pid: None })
}

fn pointers(strings: &[CString]) -> Vec<*const c_char> {
    strings.iter().map(|s| s.as_ptr()).chain(std::iter::once(std::ptr::null())).collect()
}

/// The paths execvp(3) would try for `command` with this PATH: the command itself if it
/// contains a slash, else `dir/command` for every entry (an empty entry is the directory
/// the program runs in).
pub(crate) fn exec_candidates(command: &[u8], path_var: Option<&[u8]>) -> Vec<Vec<u8>> {
    if command.contains(&b'/') {
        return vec![command.to_vec()];
    }
    let path_var = path_var.unwrap_or(DEFAULT_PATH);
    path_var
        .split(|b| *b == b':')
        .map(|dir| {
            let dir = if dir.is_empty() { b".".as_slice() } else { dir };
            let mut candidate = dir.to_vec();
            if !candidate.ends_with(b"/") {
                candidate.push(b'/');
            }
            candidate.extend_from_slice(command);
            candidate
        })
        .collect()
}

fn path_of(env: &[Vec<u8>]) -> Option<&[u8]> {
    env.iter().rev().find_map(|entry| entry.strip_prefix(b"PATH="))
}

/// The program, its argv and envp as C strings and pointer arrays, built before fork.
pub(crate) struct ExecImage {
    /// The paths execve tries in turn (one for a path, one per PATH entry for a name).
    pub(crate) candidates: Vec<CString>,
    _argv: Vec<CString>,
    argv_ptrs: Vec<*const c_char>,
    /// For each candidate, the argv that runs it through /bin/sh when execve says ENOEXEC
    /// (a script without "#!"), as execvp does: sh, the candidate, argv[1..].
    shell_argv_ptrs: Vec<Vec<*const c_char>>,
    _env: Vec<CString>,
    envp_ptrs: Vec<*const c_char>,
    /// The highest signal number, for resetting every disposition.
    max_signal: c_int,
}

impl ExecImage {
    /// `env` of `None` passes this process's environment on (read through std::env; the
    /// Node binding always passes the environment it means).
    pub(crate) fn new(command: &[u8], argv: &[Vec<u8>], env: Option<&[Vec<u8>]>) -> Result<ExecImage> {
        if command.is_empty() || argv.is_empty() {
            return Err(Error::Io { errno: Errno::EINVAL, syscall: "execve", pid: None });
        }
        let env: Vec<Vec<u8>> = match env {
            Some(env) => env.to_vec(),
            None => {
                use std::os::unix::ffi::OsStrExt;
                std::env::vars_os().map(|(name, value)| [name.as_bytes(), b"=", value.as_bytes()].concat()).collect()
            }
        };
        let candidates = exec_candidates(command, path_of(&env)).iter().map(|c| c_string(c)).collect::<Result<Vec<_>>>()?;
        let argv = argv.iter().map(|a| c_string(a)).collect::<Result<Vec<_>>>()?;
        let env = env.iter().map(|e| c_string(e)).collect::<Result<Vec<_>>>()?;
        let shell_argv_ptrs = candidates
            .iter()
            .map(|candidate| {
                std::iter::once(SHELL.as_ptr())
                    .chain(std::iter::once(candidate.as_ptr()))
                    .chain(argv.iter().skip(1).map(|a| a.as_ptr()))
                    .chain(std::iter::once(std::ptr::null()))
                    .collect()
            })
            .collect();
        Ok(ExecImage {
            shell_argv_ptrs,
            argv_ptrs: pointers(&argv),
            envp_ptrs: pointers(&env),
            candidates,
            _argv: argv,
            _env: env,
            max_signal: libc::SIGRTMAX(),
        })
    }
}

/// A close-on-exec pipe whose write end is fd 3 or above, so that it survives while the
/// child sets up fds 0 to 2.
pub(crate) fn report_pipe() -> Result<(OwnedFd, OwnedFd)> {
    let (reader, writer) = pipe()?;
    Ok((reader, above_stdio(writer)?))
}

/// pipe2(O_CLOEXEC): (read end, write end).
pub fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as c_int; 2];
    // SAFETY: pipe2 writes two fds.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(Error::Io { errno: Errno::last(), syscall: "pipe2", pid: None });
    }
    // SAFETY: both fds are new and owned by nothing else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// The same file as `fd`, as an fd ≥ 3 (close-on-exec), so that a child's dup2 onto 0–2
/// cannot overwrite it.
pub(crate) fn above_stdio(fd: OwnedFd) -> Result<OwnedFd> {
    if fd.as_raw_fd() >= 3 {
        return Ok(fd);
    }
    // SAFETY: duplicates an fd we own.
    let high = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) };
    if high < 0 {
        return Err(Error::Io { errno: Errno::last(), syscall: "fcntl", pid: None });
    }
    // SAFETY: the duplicate is new and owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(high) })
}

/// Blocks every signal on this thread until dropped: no signal handler of the host may run
/// in a child (handlers in Node write to pipes the parent reads).
pub(crate) struct BlockedSignals(libc::sigset_t);

impl BlockedSignals {
    pub(crate) fn all() -> Result<BlockedSignals> {
        // SAFETY: sigset_t is plain data, filled by sigfillset; pthread_sigmask stores the old mask.
        unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            match libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old) {
                0 => Ok(BlockedSignals(old)),
                errno => Err(Error::Io { errno: Errno::from_raw(errno), syscall: "pthread_sigmask", pid: None }),
            }
        }
    }
}

impl Drop for BlockedSignals {
    fn drop(&mut self) {
        // SAFETY: restores the mask saved by `all`.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.0, std::ptr::null_mut()) };
    }
}

/// Reads the pipe to its end (every child has exec'd or exited).
pub(crate) fn read_reports(reader: &OwnedFd) -> Result<Vec<u8>> {
    let mut reports = Vec::with_capacity(4 * RECORD_LEN);
    let mut buffer = [0u8; 4 * RECORD_LEN];
    loop {
        // SAFETY: reads into a local buffer of the given length.
        let n = unsafe { libc::read(reader.as_raw_fd(), buffer.as_mut_ptr().cast(), buffer.len()) };
        match n {
            0 => return Ok(reports),
            n if n > 0 => reports.extend_from_slice(buffer.get(..n as usize).unwrap_or_default()),
            _ => match Errno::last() {
                Errno::EINTR => continue,
                errno => return Err(Error::Io { errno, syscall: "read", pid: None }),
            },
        }
    }
}

/// Reaps our child `child` (blocking until it has exited).
pub(crate) fn reap(child: libc::pid_t) -> c_int {
    let mut status = 0;
    // SAFETY: waits for our own child; ECHILD (someone else reaped it) ends the loop too.
    while unsafe { libc::waitpid(child, &mut status, 0) } < 0 && Errno::last() == Errno::EINTR {}
    status
}

fn records(reports: &[u8]) -> impl Iterator<Item = [u32; 4]> + '_ {
    reports.chunks_exact(RECORD_LEN).map(|record| {
        let word = |i: usize| record.get(i * 4..i * 4 + 4).and_then(|w| w.try_into().ok()).map_or(0, u32::from_ne_bytes);
        [word(0), word(1), word(2), word(3)]
    })
}

pub(crate) fn pid_in(reports: &[u8]) -> i32 {
    records(reports).find(|r| r[0] == PID_RECORD).map_or(0, |r| r[2] as i32)
}

/// The first failure reported: (step, errno, index of the file or candidate).
pub(crate) fn parse_reports(reports: &[u8]) -> Option<(u32, i32, usize)> {
    records(reports).find(|r| r[0] == FAILURE_RECORD).map(|r| (r[1], r[2] as i32, r[3] as usize))
}

// --- after fork: async-signal-safe only ----------------------------------------------------

pub(crate) fn errno() -> c_int {
    // SAFETY: reads this thread's errno.
    unsafe { *libc::__errno_location() }
}

pub(crate) fn set_errno(value: c_int) {
    // SAFETY: writes this thread's errno.
    unsafe { *libc::__errno_location() = value }
}

/// Writes one record; a failed write changes nothing the parent could act on.
pub(crate) unsafe fn report(fd: RawFd, kind: u32, step: u32, value: i32, index: usize) {
    let mut record = [0u8; RECORD_LEN];
    let words = [kind, step, value as u32, index as u32];
    for (slot, word) in record.chunks_exact_mut(4).zip(words) {
        slot.copy_from_slice(&word.to_ne_bytes());
    }
    while libc::write(fd, record.as_ptr().cast(), RECORD_LEN) < 0 && errno() == libc::EINTR {}
}

/// Reports `step` as failed with the current errno and exits the child.
pub(crate) unsafe fn fail(fd: RawFd, step: Step, index: usize) -> ! {
    report(fd, FAILURE_RECORD, step as u32, errno(), index);
    libc::_exit(127)
}

/// Closes every fd except `keep` (which is ≥ 3): close_range(2), or a loop before Linux 5.9.
pub(crate) unsafe fn close_all_but(keep: RawFd, fd_limit: c_int) {
    // close_range(3, 2) would be EINVAL: with `keep` at 3 there is nothing below it to close.
    let below = if keep > 3 { libc::syscall(libc::SYS_close_range, 3u32, (keep - 1) as u32, 0u32) } else { 0 };
    let above = libc::syscall(libc::SYS_close_range, (keep + 1) as u32, u32::MAX, 0u32);
    if below != 0 || above != 0 {
        for other in (3..fd_limit).filter(|other| *other != keep) {
            libc::close(other);
        }
    }
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
pub(crate) unsafe fn default_signals(image: &ExecImage) {
    let default = KernelSigaction { handler: libc::SIG_DFL, flags: 0, restorer: 0, mask: 0 };
    for signal in 1..=image.max_signal {
        if signal != libc::SIGKILL && signal != libc::SIGSTOP {
            let none: *mut KernelSigaction = std::ptr::null_mut();
            libc::syscall(libc::SYS_rt_sigaction, signal, &default as *const KernelSigaction, none, 8usize);
        }
    }
    let none = 0u64;
    libc::syscall(libc::SYS_rt_sigprocmask, libc::SIG_SETMASK, &none as *const u64, std::ptr::null_mut::<u64>(), 8usize);
}

/// execve over the candidates, as execvp does: a missing file tries the next one, EACCES
/// is remembered and reported if nothing runs, any other error stops at once. On failure
/// `before_failing` runs (errno kept), then the step is reported.
pub(crate) unsafe fn exec_first(image: &ExecImage, fd: RawFd, before_failing: impl Fn()) -> ! {
    let failed = |index: usize| -> ! {
        let saved = errno();
        before_failing();
        set_errno(saved);
        fail(fd, Step::Exec, index)
    };
    let mut denied = None;
    let mut last = 0;
    for (index, candidate) in image.candidates.iter().enumerate() {
        libc::execve(candidate.as_ptr(), image.argv_ptrs.as_ptr(), image.envp_ptrs.as_ptr());
        if errno() == libc::ENOEXEC {
            if let Some(shell_argv) = image.shell_argv_ptrs.get(index) {
                libc::execve(SHELL.as_ptr(), shell_argv.as_ptr(), image.envp_ptrs.as_ptr());
                set_errno(libc::ENOEXEC);
            }
        }
        match errno() {
            libc::EACCES => denied = denied.or(Some(index)),
            libc::ENOENT | libc::ENOTDIR | libc::ESTALE | libc::ENODEV | libc::ETIMEDOUT => {}
            _ => failed(index),
        }
        last = index;
    }
    if let Some(index) = denied {
        set_errno(libc::EACCES);
        failed(index)
    }
    set_errno(libc::ENOENT);
    failed(last)
}

/// The close loop's bound: RLIMIT_NOFILE's hard limit (fds above the soft one may exist if
/// it was lowered), 1024 when unlimited, never more than the kernel's default nr_open.
pub(crate) fn fd_limit() -> c_int {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes one rlimit.
    let hard = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 { limit.rlim_max } else { 1024 };
    if hard == libc::RLIM_INFINITY {
        1024
    } else {
        hard.min(1 << 20) as c_int
    }
}
