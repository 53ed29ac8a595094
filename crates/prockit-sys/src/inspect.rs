//! psutil's per-process queries that need more than one file read: fds, priorities.

use std::ffi::CString;
use std::os::fd::AsRawFd;

use nix::dir::Dir;
use nix::errno::Errno;

use crate::proc_dir::read_link_at;
use crate::{Error, Identity, ProcDir, Result};

/// One open file of a process: its fd number and the path it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFile {
    pub fd: i32,
    pub path: Vec<u8>,
}

impl ProcDir {
    /// The numbers of the process's open file descriptors, from /proc/[pid]/fd.
    pub fn fd_numbers(&self) -> Result<Vec<i32>> {
        let mut dir = self.open_fd_dir()?;
        let mut fds = Vec::new();
        for entry in dir.iter() {
            let entry = entry.map_err(|e| Error::from_errno(e, "readdir", Some(self.pid())))?;
            if let Some(fd) = std::str::from_utf8(entry.file_name().to_bytes()).ok().and_then(|n| n.parse().ok()) {
                fds.push(fd);
            }
        }
        Ok(fds)
    }

    /// The regular files the process has open (as psutil's open_files: sockets, pipes and
    /// devices left out). An fd closed while this runs is skipped.
    pub fn open_files(&self) -> Result<Vec<OpenFile>> {
        let fd_dir = self.open_fd_dir()?;
        let mut files = Vec::new();
        for fd in self.fd_numbers()? {
            let Ok(name) = CString::new(fd.to_string()) else { continue };
            let Ok(path) = read_link_at(fd_dir.as_raw_fd(), &name) else { continue };
            if path.first() == Some(&b'/') && is_regular_file_at(fd_dir.as_raw_fd(), &name) {
                files.push(OpenFile { fd, path });
            }
        }
        Ok(files)
    }

    fn open_fd_dir(&self) -> Result<Dir> {
        let fd = self.open_file(c"fd", libc::O_RDONLY | libc::O_DIRECTORY)?;
        Dir::from_fd(fd).map_err(|e| Error::from_errno(e, "opendir", Some(self.pid())))
    }
}

fn is_regular_file_at(dir: i32, name: &std::ffi::CStr) -> bool {
    let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fstatat fills `stat` on success, and it is read only then.
    let ok = unsafe { libc::fstatat(dir, name.as_ptr(), stat.as_mut_ptr(), 0) } == 0;
    ok && unsafe { stat.assume_init() }.st_mode & libc::S_IFMT == libc::S_IFREG
}

/// getpriority(2) for the process `identity` names (its nice value, -20…19).
pub fn get_priority(identity: Identity) -> Result<i32> {
    ProcDir::open_checked(identity.pid, identity.starttime)?;
    Errno::clear();
    // SAFETY: a plain system call; -1 is a valid result, told apart by errno.
    let value = unsafe { libc::getpriority(libc::PRIO_PROCESS, identity.pid.get() as libc::id_t) };
    let result = match Errno::last_raw() {
        0 => Ok(value),
        raw => Err(Error::from_errno(Errno::from_raw(raw), "getpriority", Some(identity.pid))),
    };
    // Checked after the call too: a pid reused in between would have answered for another process.
    ProcDir::open_checked(identity.pid, identity.starttime)?;
    result
}

/// setpriority(2) for the process `identity` names, after checking that its pid was not
/// reused (there is no pidfd variant of setpriority).
pub fn set_priority(identity: Identity, value: i32) -> Result<()> {
    ProcDir::open_checked(identity.pid, identity.starttime)?;
    // SAFETY: a plain system call.
    let result = unsafe { libc::setpriority(libc::PRIO_PROCESS, identity.pid.get() as libc::id_t, value) };
    if result == 0 {
        Ok(())
    } else {
        Err(Error::from_errno(Errno::last(), "setpriority", Some(identity.pid)))
    }
}
