use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::errno::Errno;
use prockit_parse::parse_stat;

use crate::{Error, Pid, Result};

/// The /proc directory of one process. Made from a pid, its files are opened by path and
/// the process's identity is checked *after* reading (see [`ProcDir::read_checked`]); made
/// from a directory path (`Process.fromPath`), it holds that directory open.
#[derive(Debug)]
pub struct ProcDir {
    dir: Option<OwnedFd>,
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

/// The files whose read(2) fills the buffer unless it has reached the end: those the kernel
/// generates whole on their first read (seq_file's single_open) and cmdline and environ,
/// which are copied from the process's memory until the buffer is full. For them a short
/// read is the end, which saves the second read(2) that would only return 0.
const SINGLE_RECORD_FILES: &[&[u8]] = &[b"stat", b"statm", b"status", b"io", b"limits", b"smaps_rollup", b"cmdline", b"environ", b"uptime"];

fn is_single_record(name: &CStr) -> bool {
    let name = name.to_bytes();
    let base = name.rsplit(|b| *b == b'/').next().unwrap_or(name);
    SINGLE_RECORD_FILES.contains(&base)
}

/// Reads `fd` to its end into `buf` (cleared first), up to [`MAX_FILE_BYTES`]. With
/// `single_record`, a short read ends it (see [`SINGLE_RECORD_FILES`]).
pub(crate) fn read_to_end(fd: RawFd, buf: &mut Vec<u8>, single_record: bool) -> std::result::Result<(), Errno> {
    buf.clear();
    if buf.capacity() < 4096 {
        buf.reserve(4096);
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
            n if n > 0 => {
                unsafe { buf.set_len(buf.len() + n as usize) };
                if single_record && (n as usize) < spare {
                    return Ok(());
                }
            }
            _ => match Errno::last() {
                Errno::EINTR => continue,
                errno => return Err(errno),
            },
        }
    }
}

/// readlinkat(2) into a new buffer (readlinkat does not NUL-terminate; PATH_MAX bounds it).
pub(crate) fn read_link_at(dir: RawFd, path: &CStr) -> std::result::Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; libc::PATH_MAX as usize];
    // SAFETY: buf is writable for its whole length.
    let n = unsafe { libc::readlinkat(dir, path.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(Errno::last());
    }
    buf.truncate(n as usize);
    Ok(buf)
}

/// Opens `name` relative to `dir` and reads it whole; the error names the failing call.
pub(crate) fn read_file_at(dir: RawFd, name: &CStr, buf: &mut Vec<u8>) -> std::result::Result<(), (Errno, &'static str)> {
    let fd = open_at(dir, name, libc::O_RDONLY).map_err(|e| (e, "open"))?;
    read_to_end(fd.as_raw_fd(), buf, is_single_record(name)).map_err(|e| (e, "read"))
}

/// Writes `prefix`, the decimal `pid`, `separator` and `name` (NUL included) into `buf`
/// without allocating or formatting machinery: this runs once per process per read.
pub(crate) fn pid_path<'b>(buf: &'b mut [u8; 96], prefix: &[u8], pid: u32, separator: &[u8], name: &CStr) -> Option<&'b CStr> {
    let mut digits = [0u8; 10];
    let mut start = digits.len();
    let mut n = pid;
    loop {
        start -= 1;
        *digits.get_mut(start)? = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut len = 0;
    for part in [prefix, digits.get(start..)?, separator, name.to_bytes_with_nul()] {
        buf.get_mut(len..len + part.len())?.copy_from_slice(part);
        len += part.len();
    }
    CStr::from_bytes_with_nul(buf.get(..len)?).ok()
}

fn proc_path<'b>(buf: &'b mut [u8; 96], pid: Pid, name: &CStr) -> Option<&'b CStr> {
    pid_path(buf, b"/proc/", pid.get() as u32, b"/", name)
}

impl ProcDir {
    /// The directory of `pid`, opened lazily file by file: no system call here.
    pub fn for_pid(pid: Pid) -> ProcDir {
        ProcDir { dir: None, pid }
    }

    /// Opens a process directory by path (`/proc/self`, `/proc/42`, a /proc mounted
    /// elsewhere) and learns its pid from the stat file it holds, which is returned too.
    pub fn open_path(dir: &Path) -> Result<(ProcDir, Vec<u8>)> {
        let invalid = Error::Io { errno: Errno::EINVAL, syscall: "open", pid: None };
        let path = CString::new(dir.as_os_str().as_bytes()).map_err(|_| invalid.clone())?;
        let fd = open_at(libc::AT_FDCWD, &path, libc::O_RDONLY | libc::O_DIRECTORY).map_err(|e| Error::from_errno(e, "open", None))?;
        let mut stat = Vec::new();
        read_file_at(fd.as_raw_fd(), c"stat", &mut stat).map_err(|(e, syscall)| Error::from_errno(e, syscall, None))?;
        let pid = parse_stat(&stat)
            .map_err(|reason| Error::Incomplete { pid: None, file: "stat", reason })
            .map(|s| Pid::new(s.pid))?
            .ok_or(invalid)?;
        Ok((ProcDir { dir: Some(fd), pid }, stat))
    }

    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Opens the file `name` of this process (`flags` as for open(2)).
    pub(crate) fn open_file(&self, name: &CStr, flags: libc::c_int) -> Result<OwnedFd> {
        let opened = match &self.dir {
            Some(dir) => open_at(dir.as_raw_fd(), name, flags),
            None => {
                let mut buf = [0u8; 96];
                let path = proc_path(&mut buf, self.pid, name).ok_or(Error::Io {
                    errno: Errno::ENAMETOOLONG,
                    syscall: "open",
                    pid: Some(self.pid),
                })?;
                open_at(libc::AT_FDCWD, path, flags)
            }
        };
        opened.map_err(|e| Error::from_errno(e, "open", Some(self.pid)))
    }

    /// Reads the file `name` of this process into `buf`.
    pub fn read_into(&self, name: &CStr, buf: &mut Vec<u8>) -> Result<()> {
        let fd = self.open_file(name, libc::O_RDONLY)?;
        read_to_end(fd.as_raw_fd(), buf, is_single_record(name)).map_err(|e| Error::from_errno(e, "read", Some(self.pid)))
    }

    /// Reads the file `name` of this process.
    pub fn read(&self, name: &CStr) -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        self.read_into(name, &mut buf)?;
        Ok(buf)
    }

    /// The target of the symbolic link `name` (`exe`, `cwd`, `fd/3`) as raw bytes.
    pub fn read_link(&self, name: &CStr) -> Result<Vec<u8>> {
        let mut path_buf = [0u8; 96];
        let (dir, path) = match &self.dir {
            Some(dir) => (dir.as_raw_fd(), name),
            None => (
                libc::AT_FDCWD,
                proc_path(&mut path_buf, self.pid, name).ok_or(Error::Io {
                    errno: Errno::ENAMETOOLONG,
                    syscall: "readlink",
                    pid: Some(self.pid),
                })?,
            ),
        };
        read_link_at(dir, path).map_err(|e| Error::from_errno(e, "readlink", Some(self.pid)))
    }

    /// Fails with ESRCH unless the process is still the one that started at `starttime`
    /// (clock ticks after boot; `None` accepts any). Returns the stat it read.
    pub fn verify(&self, starttime: Option<u64>) -> Result<Vec<u8>> {
        let mut stat = Vec::new();
        self.read_into(c"stat", &mut stat)?;
        let found = parse_stat(&stat).map_err(|reason| Error::Incomplete { pid: Some(self.pid), file: "stat", reason })?;
        match starttime {
            Some(expected) if found.starttime != expected => Err(Error::NoSuchProcess { pid: self.pid, syscall: "open" }),
            _ => Ok(stat),
        }
    }

    /// The stat of `pid`, checked against `starttime` (see [`ProcDir::verify`]).
    pub fn open_checked(pid: Pid, starttime: Option<u64>) -> Result<(ProcDir, Vec<u8>)> {
        let dir = ProcDir::for_pid(pid);
        let stat = dir.verify(starttime)?;
        Ok((dir, stat))
    }

    /// Runs `read` on the files of `pid`, then checks that the pid still belongs to the
    /// process that started at `starttime`. Checking *after* reading is as sound as holding
    /// the directory open: a process keeps its pid until it is gone, and its start time is
    /// its own, so a match afterwards proves the same process held the pid throughout.
    pub fn read_checked<T>(pid: Pid, starttime: Option<u64>, read: impl FnOnce(&ProcDir) -> Result<T>) -> Result<T> {
        let dir = ProcDir::for_pid(pid);
        let value = read(&dir);
        if starttime.is_some() {
            // Also after a refusal: a pid now owned by another user is gone, not forbidden.
            if let Err(Error::PermissionDenied { .. }) | Ok(_) = &value {
                dir.verify(starttime)?;
            }
        }
        value
    }
}
