//! The daemon spawn: fork, setsid, fork, chdir, umask, close every fd, stdio to files, pid
//! file, default signals, exec. The fork/exec discipline and the report pipe are in
//! `exec.rs`; the intermediate child sends the daemon's pid over it.

use std::ffi::{CString, OsStr};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use libc::c_int;
use nix::errno::Errno;

use crate::exec::{c_string, fd_limit, parse_reports, pid_in, read_reports, reap, report_pipe, BlockedSignals, ExecImage, Step};
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

/// Everything the children use, built before the first fork.
struct Prepared {
    image: ExecImage,
    workdir: CString,
    /// fds 0, 1, 2: path and open flags.
    stdio: [(CString, c_int); 3],
    /// The pid file and the temporary name it is first written under.
    pid_file: Option<(CString, CString)>,
    umask: libc::mode_t,
    /// Where the close loop stops when close_range(2) is missing (before Linux 5.9).
    fd_limit: c_int,
}

/// The system calls of the pid file's steps, by the index its failure record carries.
/// The mode of files the daemon creates (before its umask).
const CREATED_MODE: libc::c_uint = 0o644;

const PID_FILE_CALLS: [&str; 3] = ["open", "write", "rename"];

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
        let image = ExecImage::new(&spec.command, &spec.argv, spec.env.as_deref())?;
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
        Ok(Prepared { image, workdir: c_path(&absolute(&spec.workdir)?)?, stdio, pid_file, umask, fd_limit: fd_limit() })
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
    let _ = reap(child);
    let reports = reports?;
    if let Some(daemon) = Pid::new(pid_in(&reports)) {
        reap_if_adopted(daemon);
    }
    match (parse_reports(&reports), Pid::new(pid_in(&reports))) {
        (Some((step, errno, index)), _) => Err(failure(&prepared, spec, step, errno, index)),
        (None, Some(pid)) => Ok(pid),
        (None, None) => Err(Error::Io { errno: Errno::ECHILD, syscall: "fork", pid: None }),
    }
}

/// An orphaned daemon is re-parented to init, or to the nearest subreaper: when that is us
/// (Node as a container's pid 1, or a process that set PR_SET_CHILD_SUBREAPER), nobody else
/// will reap it, so a thread of ours waits for it and does.
fn reap_if_adopted(daemon: Pid) {
    let mut subreaper: c_int = 0;
    // SAFETY: PR_GET_CHILD_SUBREAPER writes one int.
    let is_subreaper = unsafe { libc::prctl(libc::PR_GET_CHILD_SUBREAPER, &mut subreaper as *mut c_int) } == 0 && subreaper != 0;
    if std::process::id() == 1 || is_subreaper {
        let _ = std::thread::Builder::new().name("prockit-reap".into()).spawn(move || reap(daemon.get()));
    }
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
        s if s == Step::Exec as u32 && prepared.image.candidates.len() > 1 && errno == Errno::ENOENT => {
            Error::File { errno, syscall: "execve", path: PathBuf::from(OsStr::from_bytes(&spec.command)) }
        }
        s if s == Step::Exec as u32 => file("execve", prepared.image.candidates.get(index)),
        _ => Error::Io { errno, syscall: "fork", pid: None },
    }
}

mod child;
#[cfg(test)]
mod tests;
