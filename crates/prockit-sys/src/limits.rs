//! Resource limits of any process: prlimit(2), with /proc/[pid]/limits as the fallback for
//! reading when prlimit is refused (it needs the same user or CAP_SYS_RESOURCE; the limits
//! file is readable by everyone).

use nix::errno::Errno;
use prockit_parse::parse_limits;

use crate::{Error, Identity, ProcDir, Result};

/// A resource: its RLIMIT_* name, number, and the row name /proc/[pid]/limits gives it.
pub struct Resource {
    pub name: &'static str,
    number: libc::__rlimit_resource_t,
    limits_row: &'static [u8],
}

macro_rules! resources {
    ($($name:ident => $row:literal),* $(,)?) => {
        /// Every resource Linux limits.
        pub const RESOURCES: &[Resource] = &[$(Resource { name: stringify!($name), number: libc::$name, limits_row: $row }),*];
    };
}

resources! {
    RLIMIT_CPU => b"Max cpu time",
    RLIMIT_FSIZE => b"Max file size",
    RLIMIT_DATA => b"Max data size",
    RLIMIT_STACK => b"Max stack size",
    RLIMIT_CORE => b"Max core file size",
    RLIMIT_RSS => b"Max resident set",
    RLIMIT_NPROC => b"Max processes",
    RLIMIT_NOFILE => b"Max open files",
    RLIMIT_MEMLOCK => b"Max locked memory",
    RLIMIT_AS => b"Max address space",
    RLIMIT_LOCKS => b"Max file locks",
    RLIMIT_SIGPENDING => b"Max pending signals",
    RLIMIT_MSGQUEUE => b"Max msgqueue size",
    RLIMIT_NICE => b"Max nice priority",
    RLIMIT_RTPRIO => b"Max realtime priority",
    RLIMIT_RTTIME => b"Max realtime timeout",
}

/// The resource called `name` ('RLIMIT_NOFILE'), if Linux has it.
pub fn resource_by_name(name: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.name == name)
}

/// Soft and hard limit; `None` is RLIM_INFINITY.
pub type Limits = (Option<u64>, Option<u64>);

fn to_raw(limit: Option<u64>) -> libc::rlim_t {
    limit.unwrap_or(libc::RLIM_INFINITY)
}

fn from_raw(raw: libc::rlim_t) -> Option<u64> {
    (raw != libc::RLIM_INFINITY).then_some(raw)
}

/// Reads (and with `new`, sets) a resource limit of the process `identity` names; returns
/// the limits as they were. Setting is one prlimit call, so soft and hard change together
/// or not at all (the seed's warning about half-applied changes does not arise on Linux);
/// a soft limit above the hard one is refused before the call.
pub fn prlimit(identity: Identity, resource: &Resource, new: Option<Limits>) -> Result<Limits> {
    if let Some((Some(soft), hard)) = new {
        if hard.is_some_and(|hard| soft > hard) {
            return Err(Error::Io { errno: Errno::EINVAL, syscall: "prlimit", pid: Some(identity.pid) });
        }
    }
    ProcDir::open_checked(identity.pid, identity.starttime)?;
    let new_raw = new.map(|(soft, hard)| libc::rlimit { rlim_cur: to_raw(soft), rlim_max: to_raw(hard) });
    let mut old = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    let new_ptr = new_raw.as_ref().map_or(std::ptr::null(), |r| r as *const libc::rlimit);
    // SAFETY: both pointers are valid for the call or null.
    let result = unsafe { libc::prlimit(identity.pid.get(), resource.number, new_ptr, &mut old) };
    if result != 0 {
        let errno = Errno::last();
        if errno == Errno::EPERM && new.is_none() {
            return read_limits_file(identity, resource);
        }
        return Err(Error::from_errno(errno, "prlimit", Some(identity.pid)));
    }
    Ok((from_raw(old.rlim_cur), from_raw(old.rlim_max)))
}

fn read_limits_file(identity: Identity, resource: &Resource) -> Result<Limits> {
    let (dir, _) = ProcDir::open_checked(identity.pid, identity.starttime)?;
    let bytes = dir.read(c"limits")?;
    let rows = parse_limits(&bytes).map_err(|reason| Error::Incomplete { pid: Some(identity.pid), file: "limits", reason })?;
    rows.iter().find(|row| row.name == resource.limits_row).map(|row| (row.soft, row.hard)).ok_or(Error::Io {
        errno: Errno::EINVAL,
        syscall: "prlimit",
        pid: Some(identity.pid),
    })
}

/// kill(-pgid, signal): every member of process group `pgid`. Group 1 would be init's and
/// is refused like the values ≤ 0 that the Pid type cannot hold.
pub fn kill_process_group(pgid: crate::Pid, signal: i32) -> Result<()> {
    if pgid.get() == 1 {
        return Err(Error::Io { errno: Errno::EPERM, syscall: "kill", pid: Some(pgid) });
    }
    // SAFETY: a plain system call; pgid ≥ 2, so the target is one group.
    if unsafe { libc::kill(-pgid.get(), signal) } == 0 {
        Ok(())
    } else {
        Err(Error::from_errno(Errno::last(), "kill", Some(pgid)))
    }
}
