use std::os::fd::AsRawFd;

use nix::dir::Dir;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use prockit_parse::{parse_stat, Stat};

use crate::proc_dir::{pid_path, read_file_at};
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

/// Below this many processes a second reading thread costs more than it saves.
const PARALLEL_THRESHOLD: usize = 384;

/// Reads and parses the stat of every process in /proc, each once, and folds them into
/// accumulators made by `init`: one per reading thread (up to `threads`, on large process
/// tables), returned in /proc's order, so concatenating them gives the whole table. Each
/// thread reuses one buffer and one path buffer, so nothing is allocated per process. A
/// process that ends between the directory read and its stat read is skipped, as is one
/// whose stat cannot be read or parsed (hidepid, a race).
pub fn read_all_stats<T: Send>(threads: usize, init: impl Fn() -> T + Sync, visit: impl Fn(&mut T, &Stat<'_>) + Sync) -> Result<Vec<T>> {
    let mut proc = open_proc()?;
    let proc_fd = proc.as_raw_fd();
    let mut pids: Vec<u32> = Vec::with_capacity(1024);
    for entry in proc.iter().flatten() {
        if let Some(pid) = pid_of_name(entry.file_name().to_bytes()) {
            pids.push(pid.get() as u32);
        }
    }
    let read_part = |part: &[u32]| {
        let mut acc = init();
        let mut path = [0u8; 96];
        let mut buf = Vec::with_capacity(1024);
        for &pid in part {
            let Some(stat_path) = stat_path(&mut path, pid) else { continue };
            if read_file_at(proc_fd, stat_path, &mut buf).is_err() {
                continue;
            }
            if let Ok(stat) = parse_stat(&buf) {
                visit(&mut acc, &stat);
            }
        }
        acc
    };
    let threads = if pids.len() < PARALLEL_THRESHOLD { 1 } else { threads.clamp(1, 8) };
    if threads == 1 {
        return Ok(vec![read_part(&pids)]);
    }
    let chunk = pids.len().div_ceil(threads);
    let parts: Vec<T> = std::thread::scope(|scope| {
        let mut chunks = pids.chunks(chunk);
        let first = chunks.next().unwrap_or(&[]);
        let handles: Vec<_> = chunks.map(|part| scope.spawn(move || read_part(part))).collect();
        // The calling thread reads the first part itself.
        let mut parts = vec![read_part(first)];
        // A reading thread that panicked lost its part: report the whole read as failed.
        for handle in handles {
            parts.push(handle.join().map_err(|_| Error::Io { errno: nix::errno::Errno::EIO, syscall: "read", pid: None })?);
        }
        Ok::<_, Error>(parts)
    })?;
    Ok(parts)
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

/// "<pid>/stat", relative to the open /proc.
fn stat_path(buf: &mut [u8; 96], pid: u32) -> Option<&std::ffi::CStr> {
    pid_path(buf, b"", pid, b"/", c"stat")
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
    fn stat_paths_are_built_without_allocation() {
        let mut buf = [0u8; 96];
        assert_eq!(stat_path(&mut buf, 0).unwrap().to_bytes(), b"0/stat");
        assert_eq!(stat_path(&mut buf, 4194304).unwrap().to_bytes(), b"4194304/stat");
        assert_eq!(stat_path(&mut buf, u32::MAX).unwrap().to_bytes(), b"4294967295/stat");
    }

    #[test]
    fn two_threads_read_the_same_table_as_one() {
        // Enough processes to pass the threshold: the test's own short-lived children.
        let mut children: Vec<_> =
            (0..PARALLEL_THRESHOLD).filter_map(|_| std::process::Command::new("sleep").arg("5").spawn().ok()).collect();
        let pids = |threads| {
            let parts = read_all_stats(threads, Vec::new, |acc: &mut Vec<i32>, stat| acc.push(stat.pid)).unwrap();
            (parts.len(), parts.concat())
        };
        let (one_parts, one) = pids(1);
        let (two_parts, two) = pids(2);
        for child in &mut children {
            let _ = child.kill();
            let _ = child.wait();
        }
        assert_eq!(one_parts, 1);
        assert_eq!(two_parts, 2);
        let mine: Vec<i32> = children.iter().map(|c| c.id() as i32).collect();
        assert!(mine.iter().all(|pid| one.contains(pid) && two.contains(pid)));
        let mut sorted = two.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), two.len(), "no process read twice");
    }

    #[test]
    fn sees_this_process_and_its_parent() {
        let me = std::process::id() as i32;
        let parts = read_all_stats(
            1,
            || None,
            |seen, stat| {
                if stat.pid == me {
                    *seen = Some(stat.ppid);
                }
            },
        )
        .unwrap();
        let seen = parts.into_iter().flatten().next();
        assert_eq!(seen, Some(std::os::unix::process::parent_id() as i32));
        assert!(list_pids().unwrap().iter().any(|p| p.get() == me));
    }
}
