//! The part of prockit that talks to the kernel.
//!
//! Reads of one process go through a [`ProcDir`]: an open `/proc/[pid]` directory whose
//! files are opened with `openat`, so that every file comes from the same process even if
//! its pid is handed to another one meanwhile. Signals and waits go through a pidfd where
//! the kernel has one, after checking that it refers to the process with the expected
//! start time: (pid, start time) is a process's identity.

mod daemon;
mod error;
mod exec;
mod ids;
mod inspect;
mod limits;
mod pid;
mod pidfd;
mod proc_dir;
mod sockets;
mod spawn;
mod system;
mod table;
mod users;

pub use daemon::{spawn_daemon, DaemonSpec};
pub use error::{Error, Result};
pub use exec::pipe;
pub use ids::{getpgid, getsid};
pub use inspect::{get_priority, set_priority, OpenFile};
pub use limits::{kill_process_group, prlimit, resource_by_name, Limits, Resource, RESOURCES};
pub use nix::errno::Errno;
pub use pid::Pid;
pub use pidfd::{send_signal, wait_for_exit, Identity, WaitOutcome};
pub use proc_dir::ProcDir;
pub use sockets::read_net_unix;
pub use spawn::{spawn_child, wait_child, Child, ChildExit, ChildSpec, ChildStdio, Grouping};
pub use system::{boot_time, clock_ticks, page_size, read_uptime, SystemFacts};
pub use table::{list_pids, read_all_stats};
pub use users::{gid_to_name, uid_to_name};
