use nix::time::{clock_gettime, ClockId};

use crate::proc_dir::{open_at, read_to_end};
use crate::{Error, Result};
use std::os::fd::AsRawFd;

/// The system facts needed to turn /proc's clock ticks and pages into seconds and bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SystemFacts {
    pub clock_ticks: u64,
    pub page_size: u64,
    /// Seconds since the Unix epoch at which the system booted (fractional).
    pub boot_time: f64,
}

impl SystemFacts {
    pub fn read() -> SystemFacts {
        SystemFacts { clock_ticks: clock_ticks(), page_size: page_size(), boot_time: boot_time() }
    }
}

/// sysconf(_SC_CLK_TCK): the unit of /proc's times. 100 on every Linux ABI when unknown.
pub fn clock_ticks() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as u64
    } else {
        100
    }
}

/// sysconf(_SC_PAGESIZE): the unit of /proc's memory sizes.
pub fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 {
        size as u64
    } else {
        4096
    }
}

/// The boot time as the wall clock sees it now: realtime minus the time since boot
/// (CLOCK_BOOTTIME counts suspend too, as /proc/uptime and stat's starttime do).
pub fn boot_time() -> f64 {
    let seconds = |clock| clock_gettime(clock).map(|t| t.tv_sec() as f64 + t.tv_nsec() as f64 / 1e9).unwrap_or(0.0);
    seconds(ClockId::CLOCK_REALTIME) - seconds(ClockId::CLOCK_BOOTTIME)
}

/// The system's uptime in seconds, the first number of /proc/uptime.
pub fn read_uptime() -> Result<f64> {
    let buf = read_system_file(c"/proc/uptime")?;
    prockit_parse::parse_uptime(&buf).map_err(|reason| Error::Incomplete { pid: None, file: "uptime", reason })
}

/// Reads a system-wide /proc file (`/proc/uptime`, `/proc/net/unix`) whole.
pub(crate) fn read_system_file(path: &std::ffi::CStr) -> Result<Vec<u8>> {
    let fd = open_at(libc::AT_FDCWD, path, libc::O_RDONLY).map_err(|e| Error::from_errno(e, "open", None))?;
    let mut buf = Vec::new();
    // uptime is one record; net/unix is a sequence that may take several reads.
    let single_record = path.to_bytes().ends_with(b"/uptime");
    read_to_end(fd.as_raw_fd(), &mut buf, single_record).map_err(|e| Error::from_errno(e, "read", None))?;
    Ok(buf)
}
