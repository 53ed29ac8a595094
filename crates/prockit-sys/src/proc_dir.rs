use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::errno::Errno;
use prockit_parse::parse_stat;

use crate::{Error, Pid, Result};

/// An open `/proc/[pid]` directory. Files opened through it belong to the process that the
/// directory was opened for: once that process is gone they fail with ESRCH, even if the
/// pid now names another process.
#[derive(Debug)]
pub struct ProcDir {
    fd: OwnedFd,
    pid: Pid,
}

/// The longest file prockit reads in one go; /proc files that could be larger (a huge
/// environment) are cut here rather than growing without bound.
const MAX_FILE_BYTES: usize = 16 << 20;

pub(crate) fn open_at(dir: RawFd, path: &CStr, flags: libc::c_int) -> std::result::Result<OwnedFd, Errno> {
    loop {
        // SAFETY: path is NUL-terminated; the returned fd is owned by nobody else.
        let fd = unsafe { libc::openat(dir, path.as_ptr(), flags | libc::O_CLOEXEC) };
        if fd >= 0 {
            return Ok(unsafe { OwnedFd::from_raw_fd(fd) });
        }
        match Errno::last() {
            Errno::EINTR => continue,
            errno => return Err(errno),
        }
    }
}

/// Reads `fd` to its end into `buf` (cleared first), up to [`MAX_FILE_BYTES`].
pub(crate) fn read_to_end(fd: RawFd, buf: &mut Vec<u8>) -> std::result::Result<(), Errno> {
    buf.clear();
    if buf.capacity() < 512 {
        buf.reserve(512);
    }
    loop {
        if buf.len() == buf.capacity() {
            if buf.len() >= MAX_FILE_BYTES {
                return Ok(());
            }
            buf.reserve(buf.len());
        }
        let spare = buf.capacity() - buf.len();
        // SAFETY: writes at most `spare` bytes into the vector's spare capacity.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().add(buf.len()).cast(), spare) };
        match n {
            0 => return Ok(()),
            n if n > 0 => unsafe { buf.set_len(buf.len() + n as usize) },
            _ => match Errno::last() {
                Errno::EINTR => continue,
                errno => return Err(errno),
            },
        }
    }
}

/// Opens `name` relative to `dir` and reads it whole; the error names the failing call.
pub(crate) fn read_file_at(dir: RawFd, name: &CStr, buf: &mut Vec<u8>) -> std::result::Result<(), (Errno, &'static str)> {
    let fd = open_at(dir, name, libc::O_RDONLY).map_err(|e| (e, "open"))?;
    read_to_end(fd.as_raw_fd(), buf).map_err(|e| (e, "read"))
}

impl ProcDir {
    /// Opens `/proc/[pid]`.
    pub fn open(pid: Pid) -> Result<ProcDir> {
        let path = CString::new(format!("/proc/{pid}")).map_err(|_| Error::NoSuchProcess { pid, syscall: "open" })?;
        let fd = open_at(libc::AT_FDCWD, &path, libc::O_RDONLY | libc::O_DIRECTORY)
            .map_err(|e| Error::from_errno(e, "open", Some(pid)))?;
        Ok(ProcDir { fd, pid })
    }

    /// Opens a process directory by path (`/proc/self`, `/proc/42`, a /proc mounted
    /// elsewhere) and learns its pid from the stat file it holds, which is returned too.
    pub fn open_path(dir: &Path) -> Result<(ProcDir, Vec<u8>)> {
        let invalid = Error::Io { errno: Errno::EINVAL, syscall: "open", pid: None };
        let path = CString::new(dir.as_os_str().as_bytes()).map_err(|_| invalid.clone())?;
        let fd = open_at(libc::AT_FDCWD, &path, libc::O_RDONLY | libc::O_DIRECTORY)
            .map_err(|e| Error::from_errno(e, "open", None))?;
        let mut stat = Vec::new();
        read_file_at(fd.as_raw_fd(), c"stat", &mut stat).map_err(|(e, syscall)| Error::from_errno(e, syscall, None))?;
        let pid = parse_stat(&stat)
            .map_err(|reason| Error::Incomplete { pid: None, file: "stat", reason })
            .map(|s| Pid::new(s.pid))?
            .ok_or(invalid)?;
        Ok((ProcDir { fd, pid }, stat))
    }

    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Reads the file `name` of this process into `buf`.
    pub fn read_into(&self, name: &CStr, buf: &mut Vec<u8>) -> Result<()> {
        read_file_at(self.fd.as_raw_fd(), name, buf).map_err(|(e, syscall)| Error::from_errno(e, syscall, Some(self.pid)))
    }

    /// Reads the file `name` of this process.
    pub fn read(&self, name: &CStr) -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        self.read_into(name, &mut buf)?;
        Ok(buf)
    }

    /// The target of the symbolic link `name` (`exe`, `cwd`, `fd/3`) as raw bytes.
    pub fn read_link(&self, name: &CStr) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; libc::PATH_MAX as usize];
        // SAFETY: buf is writable for its whole length; readlinkat does not NUL-terminate.
        let n = unsafe { libc::readlinkat(self.fd.as_raw_fd(), name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            return Err(Error::from_errno(Errno::last(), "readlink", Some(self.pid)));
        }
        buf.truncate(n as usize);
        Ok(buf)
    }

    /// Opens `/proc/[pid]` and checks that the process still is the one that started at
    /// `starttime` (clock ticks after boot; `None` accepts any). Returns the stat it read.
    pub fn open_checked(pid: Pid, starttime: Option<u64>) -> Result<(ProcDir, Vec<u8>)> {
        let dir = ProcDir::open(pid)?;
        let mut stat = Vec::new();
        dir.read_into(c"stat", &mut stat)?;
        let found = parse_stat(&stat).map_err(|reason| Error::Incomplete { pid: Some(pid), file: "stat", reason })?;
        match starttime {
            Some(expected) if found.starttime != expected => Err(Error::NoSuchProcess { pid, syscall: "open" }),
            _ => Ok((dir, stat)),
        }
    }
}
