use crate::{Error, Pid, Result};

/// getpgid(2): the process group of `pid`.
pub fn getpgid(pid: Pid) -> Result<i32> {
    nix::unistd::getpgid(Some(pid.as_nix())).map(|pgid| pgid.as_raw()).map_err(|e| Error::from_errno(e, "getpgid", Some(pid)))
}

/// getsid(2): the session of `pid`.
pub fn getsid(pid: Pid) -> Result<i32> {
    nix::unistd::getsid(Some(pid.as_nix())).map(|sid| sid.as_raw()).map_err(|e| Error::from_errno(e, "getsid", Some(pid)))
}
