use std::os::fd::AsRawFd;

use nix::dir::Dir;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use prockit_parse::{parse_stat, Stat};

use crate::proc_dir::read_file_at;
use crate::{Error, Pid, Result};

/// The pids of every process visible in /proc, in directory order.
pub fn list_pids() -> Result<Vec<Pid>> {
    let mut pids = Vec::new();
    let mut proc = open_proc()?;
    for entry in proc.iter().flatten() {
        if let Some(pid) = pid_of_name(entry.file_name().to_bytes()) {
            pids.push(pid);
        }
    }
    Ok(pids)
}

/// Calls `visit` with the parsed stat of every process in /proc, reading each stat once
/// with one reused buffer. A process that ends between the directory read and its stat
/// read is skipped, as is one whose stat cannot be read or parsed (hidepid, a race).
pub fn for_each_stat(mut visit: impl FnMut(&Stat<'_>)) -> Result<()> {
    let mut proc = open_proc()?;
    let proc_fd = proc.as_raw_fd();
    let mut path = [0u8; 32];
    let mut buf = Vec::with_capacity(1024);
    for entry in proc.iter().flatten() {
        let name = entry.file_name().to_bytes();
        if pid_of_name(name).is_none() {
            continue;
        }
        let Some(stat_path) = stat_path(&mut path, name) else { continue };
        if read_file_at(proc_fd, stat_path, &mut buf).is_err() {
            continue;
        }
        if let Ok(stat) = parse_stat(&buf) {
            visit(&stat);
        }
    }
    Ok(())
}

fn open_proc() -> Result<Dir> {
    Dir::open("/proc", OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC, Mode::empty())
        .map_err(|e| Error::from_errno(e, "opendir", None))
}

fn pid_of_name(name: &[u8]) -> Option<Pid> {
    if name.is_empty() || name.len() > 10 || !name.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = name.iter().try_fold(0i64, |acc, b| acc.checked_mul(10)?.checked_add(i64::from(b - b'0')))?;
    Pid::new(i32::try_from(value).ok()?)
}

/// Writes "<pid>/stat\0" into `buf` without allocating.
fn stat_path<'b>(buf: &'b mut [u8; 32], pid_name: &[u8]) -> Option<&'b std::ffi::CStr> {
    let suffix = b"/stat\0";
    let len = pid_name.len() + suffix.len();
    buf.get_mut(..pid_name.len())?.copy_from_slice(pid_name);
    buf.get_mut(pid_name.len()..len)?.copy_from_slice(suffix);
    std::ffi::CStr::from_bytes_with_nul(buf.get(..len)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_positive_pids_name_processes() {
        assert_eq!(pid_of_name(b"42").map(Pid::get), Some(42));
        assert!(pid_of_name(b"0").is_none());
        assert!(pid_of_name(b"self").is_none());
        assert!(pid_of_name(b"99999999999").is_none());
        assert!(pid_of_name(b"").is_none());
    }

    #[test]
    fn sees_this_process_and_its_parent() {
        let me = std::process::id() as i32;
        let mut seen = None;
        for_each_stat(|stat| {
            if stat.pid == me {
                seen = Some(stat.ppid);
            }
        })
        .unwrap();
        assert_eq!(seen, Some(std::os::unix::process::parent_id() as i32));
        assert!(list_pids().unwrap().iter().any(|p| p.get() == me));
    }
}
