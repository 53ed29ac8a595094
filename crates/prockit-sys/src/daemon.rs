//! The daemon spawn: fork, setsid, fork, chdir, umask, close every fd, stdio to files, pid
//! file, default signals, exec.
//!
//! The caller is a multithreaded process (Node), so between fork and exec only raw,
//! async-signal-safe libc calls may run: another thread may have held the allocator's lock
//! at the moment of the fork. Everything the children need — argv, envp, the candidate
//! paths of the program, the paths of the files — is built as C strings before the first
//! fork; the children allocate nothing and never return into Rust code that could.
//!
//! The children talk back over a close-on-exec pipe in fixed 16-byte records (one
//! `write(2)` each, atomic below PIPE_BUF): the intermediate child sends the daemon's pid,
//! either child sends the step that failed and its errno. A successful exec closes the
//! daemon's end, so end-of-file with a pid and no failure means the daemon runs.

use std::ffi::{CString, OsStr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use libc::{c_char, c_int};
use nix::errno::Errno;

use crate::{Error, Pid, Result};

/// What to run as a daemon, and how.
#[derive(Debug, Clone)]
pub struct DaemonSpec {
    /// The program: a path containing '/' (relative ones resolve against `workdir`, as
    /// execve after chdir does), or a bare name looked up in the environment's PATH.
    pub command: Vec<u8>,
    /// The whole argument vector, argv[0] included.
    pub argv: Vec<Vec<u8>>,
    /// `NAME=value` entries; `None` passes this process's environment on (read through
    /// std::env, which a concurrent setenv from C code could race: the Node binding always
    /// passes the environment it means).
    pub env: Option<Vec<Vec<u8>>>,
    pub workdir: PathBuf,
    /// The daemon's file mode creation mask (0 to 0o777).
    pub umask: u32,
    /// The endpoint of fds 0, 1 and 2 (opened read-write, created, appended to), unless
    /// `stdout` / `stderr` name their own files (opened write-only, created, appended to).
    pub redirect_to: PathBuf,
    pub stdout: Option<PathBuf>,
    pub stderr: Option<PathBuf>,
    /// Receives the daemon's pid ("1234\n"), written to a temporary file and renamed.
    pub pid_file: Option<PathBuf>,
}

/// The steps that can fail after fork, as they travel over the pipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
enum Step {
    Setsid = 1,
    Fork = 2,
    Chdir = 3,
    Stdio = 4,
    PidFile = 5,
    Exec = 6,
}

const PID_RECORD: u32 = 1;
const FAILURE_RECORD: u32 = 2;
const RECORD_LEN: usize = 16;
const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";
const CREATED_MODE: libc::c_uint = 0o644;

/// Everything the children use, built before the first fork.
struct Prepared {
    /// The paths execve tries in turn (one for a path, one per PATH entry for a name).
    candidates: Vec<CString>,
    _argv: Vec<CString>,
    argv_ptrs: Vec<*const c_char>,
    _env: Vec<CString>,
    envp_ptrs: Vec<*const c_char>,
    workdir: CString,
    /// fds 0, 1, 2: path and open flags.
    stdio: [(CString, c_int); 3],
    /// The pid file and the temporary name it is first written under.
    pid_file: Option<(CString, CString)>,
    umask: libc::mode_t,
    /// Where the close loop stops when close_range(2) is missing (before Linux 5.9).
    fd_limit: c_int,
    max_signal: c_int,
}

/// The system calls of the pid file's steps, by the index its failure record carries.
const PID_FILE_CALLS: [&str; 3] = ["open", "write", "rename"];

fn c_string(bytes: &[u8]) -> Result<CString> {
    CString::new(bytes).map_err(|_| Error::Io { errno: Errno::EINVAL, syscall: "execve", pid: None })
}

fn c_path(path: &Path) -> Result<CString> {
    c_string(path.as_os_str().as_bytes())
}

/// Relative file paths name files relative to the caller's working directory, as
/// everywhere else in Node; only the program is looked up after chdir.
fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).map_err(|e| Error::File { errno: io_errno(&e), syscall: "getcwd", path: path.to_path_buf() })
}

fn io_errno(error: &std::io::Error) -> Errno {
    Errno::from_raw(error.raw_os_error().unwrap_or(libc::EIO))
}

fn pointers(strings: &[CString]) -> Vec<*const c_char> {
    strings.iter().map(|s| s.as_ptr()).chain(std::iter::once(std::ptr::null())).collect()
}

/// The paths execvp(3) would try for `command` with this PATH: the command itself if it
/// contains a slash, else `dir/command` for every entry (an empty entry is the directory
/// the daemon runs in).
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

static PID_FILE_SERIAL: AtomicU64 = AtomicU64::new(0);

fn temporary_name(pid_file: &Path) -> PathBuf {
    let name = pid_file.file_name().unwrap_or(OsStr::new("pid"));
    let serial = PID_FILE_SERIAL.fetch_add(1, Ordering::Relaxed);
    let mut temporary = std::ffi::OsString::from(".");
    temporary.push(name);
    temporary.push(format!(".{}.{serial}.tmp", std::process::id()));
    pid_file.with_file_name(temporary)
}

impl Prepared {
    fn new(spec: &DaemonSpec) -> Result<Prepared> {
        if spec.command.is_empty() || spec.argv.is_empty() {
            return Err(Error::Io { errno: Errno::EINVAL, syscall: "execve", pid: None });
        }
        let env: Vec<Vec<u8>> = match &spec.env {
            Some(env) => env.clone(),
            None => std::env::vars_os()
                .map(|(name, value)| [name.as_bytes(), b"=", value.as_bytes()].concat())
                .collect(),
        };
        let candidates = exec_candidates(&spec.command, path_of(&env))
            .iter()
            .map(|c| c_string(c))
            .collect::<Result<Vec<_>>>()?;
        let argv = spec.argv.iter().map(|a| c_string(a)).collect::<Result<Vec<_>>>()?;
        let env = env.iter().map(|e| c_string(e)).collect::<Result<Vec<_>>>()?;
        let shared = libc::O_RDWR | libc::O_CREAT | libc::O_APPEND;
        let own = libc::O_WRONLY | libc::O_CREAT | libc::O_APPEND;
        let redirect = c_path(&absolute(&spec.redirect_to)?)?;
        let stdio_of = |file: &Option<PathBuf>| -> Result<(CString, c_int)> {
            match file {
                Some(path) => Ok((c_path(&absolute(path)?)?, own)),
                None => Ok((redirect.clone(), shared)),
            }
        };
        let stdio = [(redirect.clone(), shared), stdio_of(&spec.stdout)?, stdio_of(&spec.stderr)?];
        let pid_file = match &spec.pid_file {
            Some(path) => {
                let path = absolute(path)?;
                Some((c_path(&path)?, c_path(&temporary_name(&path))?))
            }
            None => None,
        };
        let umask = libc::mode_t::try_from(spec.umask).ok().filter(|m| *m <= 0o777);
        let umask = umask.ok_or(Error::Io { errno: Errno::EINVAL, syscall: "umask", pid: None })?;
        Ok(Prepared {
            argv_ptrs: pointers(&argv),
            envp_ptrs: pointers(&env),
            candidates,
            _argv: argv,
            _env: env,
            workdir: c_path(&absolute(&spec.workdir)?)?,
            stdio,
            pid_file,
            umask,
            fd_limit: fd_limit(),
            max_signal: libc::SIGRTMAX(),
        })
    }
}

/// The close loop's bound: RLIMIT_NOFILE's hard limit (fds above the soft one may exist if
/// it was lowered), 1024 when unlimited, never more than the kernel's default nr_open.
fn fd_limit() -> c_int {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes one rlimit.
    let hard = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 { limit.rlim_max } else { 1024 };
    if hard == libc::RLIM_INFINITY {
        1024
    } else {
        hard.min(1 << 20) as c_int
    }
}

/// Starts `spec` as a daemon and returns its pid once it has exec'd (or the step that
/// failed, with its errno). The intermediate child is reaped here, so no zombie remains;
/// the daemon is the child of init (or of the nearest subreaper).
pub fn spawn_daemon(spec: &DaemonSpec) -> Result<Pid> {
    let prepared = Prepared::new(spec)?;
    let (reader, writer) = report_pipe()?;
    let (child, fork_errno) = {
        // No signal handler of the host may run in a child: handlers in Node write to
        // pipes the parent reads. The children start with everything blocked.
        let _blocked = BlockedSignals::all()?;
        // SAFETY: the child runs only `child::intermediate`, which calls async-signal-safe
        // functions on memory prepared above and ends in _exit.
        let child = unsafe { libc::fork() };
        if child == 0 {
            unsafe { child::intermediate(&prepared, writer.as_raw_fd()) }
        }
        (child, Errno::last())
    };
    if child < 0 {
        return Err(Error::Io { errno: fork_errno, syscall: "fork", pid: None });
    }
    drop(writer);
    let reports = read_reports(&reader);
    reap(child);
    let reports = reports?;
    match (parse_reports(&reports), Pid::new(pid_in(&reports))) {
        (Some((step, errno, index)), _) => Err(failure(&prepared, spec, step, errno, index)),
        (None, Some(pid)) => Ok(pid),
        (None, None) => Err(Error::Io { errno: Errno::ECHILD, syscall: "fork", pid: None }),
    }
}

/// A close-on-exec pipe whose write end is fd 3 or above, so that it survives while the
/// daemon sets up fds 0 to 2.
fn report_pipe() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as c_int; 2];
    // SAFETY: pipe2 writes two fds.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(Error::Io { errno: Errno::last(), syscall: "pipe2", pid: None });
    }
    // SAFETY: both fds are new and owned by nothing else.
    let (reader, writer) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    if writer.as_raw_fd() >= 3 {
        return Ok((reader, writer));
    }
    // SAFETY: duplicates an fd we own.
    let high = unsafe { libc::fcntl(writer.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) };
    if high < 0 {
        return Err(Error::Io { errno: Errno::last(), syscall: "fcntl", pid: None });
    }
    // SAFETY: the duplicate is new and owned by nothing else.
    Ok((reader, unsafe { OwnedFd::from_raw_fd(high) }))
}

/// Blocks every signal on this thread until dropped.
struct BlockedSignals(libc::sigset_t);

impl BlockedSignals {
    fn all() -> Result<BlockedSignals> {
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

fn read_reports(reader: &OwnedFd) -> Result<Vec<u8>> {
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

/// Reaps the intermediate child (it exits right after the second fork).
fn reap(child: libc::pid_t) {
    let mut status = 0;
    // SAFETY: waits for our own child; ECHILD (someone else reaped it) ends the loop too.
    while unsafe { libc::waitpid(child, &mut status, 0) } < 0 && Errno::last() == Errno::EINTR {}
}

fn records(reports: &[u8]) -> impl Iterator<Item = [u32; 4]> + '_ {
    reports.chunks_exact(RECORD_LEN).map(|record| {
        let word = |i: usize| record.get(i * 4..i * 4 + 4).and_then(|w| w.try_into().ok()).map_or(0, u32::from_ne_bytes);
        [word(0), word(1), word(2), word(3)]
    })
}

fn pid_in(reports: &[u8]) -> i32 {
    records(reports).find(|r| r[0] == PID_RECORD).map_or(0, |r| r[2] as i32)
}

/// The first failure reported: (step, errno, index of the file or candidate).
fn parse_reports(reports: &[u8]) -> Option<(u32, i32, usize)> {
    records(reports).find(|r| r[0] == FAILURE_RECORD).map(|r| (r[1], r[2] as i32, r[3] as usize))
}

fn failure(prepared: &Prepared, spec: &DaemonSpec, step: u32, errno: i32, index: usize) -> Error {
    let errno = Errno::from_raw(errno);
    let file = |syscall, c: Option<&CString>| Error::File {
        errno,
        syscall,
        path: PathBuf::from(OsStr::from_bytes(c.map_or(b"".as_slice(), |c| c.as_bytes()))),
    };
    match step {
        s if s == Step::Setsid as u32 => Error::Io { errno, syscall: "setsid", pid: None },
        s if s == Step::Chdir as u32 => file("chdir", Some(&prepared.workdir)),
        s if s == Step::Stdio as u32 => file("open", prepared.stdio.get(index).map(|(path, _)| path)),
        s if s == Step::PidFile as u32 => {
            file(PID_FILE_CALLS.get(index).copied().unwrap_or("open"), prepared.pid_file.as_ref().map(|(path, _)| path))
        }
        // A name not found anywhere on PATH is reported by its name, as execvp's callers do.
        s if s == Step::Exec as u32 && prepared.candidates.len() > 1 && errno == Errno::ENOENT => Error::File {
            errno,
            syscall: "execve",
            path: PathBuf::from(OsStr::from_bytes(&spec.command)),
        },
        s if s == Step::Exec as u32 => file("execve", prepared.candidates.get(index)),
        _ => Error::Io { errno, syscall: "fork", pid: None },
    }
}

mod child;
#[cfg(test)]
mod tests;
