//! Which sockets a process holds, and the unix sockets of a network namespace.

use std::ffi::CString;

use prockit_parse::parse_socket_link;

use crate::system::read_system_file;
use crate::{ProcDir, Result};

impl ProcDir {
    /// The inodes of the sockets among the process's open fds (`socket:[INODE]` links), in
    /// fd order. An fd closed while this runs is skipped (its readlink fails with ENOENT,
    /// which must not read as "the process is gone": the caller's identity check decides that).
    pub fn socket_inodes(&self) -> Result<Vec<u64>> {
        let mut inodes = Vec::new();
        for fd in self.fd_numbers()? {
            let Ok(name) = CString::new(format!("fd/{fd}")) else { continue };
            if let Ok(target) = self.read_link(&name) {
                inodes.extend(parse_socket_link(&target).ok());
            }
        }
        Ok(inodes)
    }

    /// This process's view of `/proc/net/unix`: the unix sockets of its network namespace.
    pub fn read_net_unix(&self) -> Result<Vec<u8>> {
        self.read(c"net/unix")
    }
}

/// `/proc/net/unix`: the unix sockets of the calling process's network namespace.
pub fn read_net_unix() -> Result<Vec<u8>> {
    read_system_file(c"/proc/net/unix")
}
