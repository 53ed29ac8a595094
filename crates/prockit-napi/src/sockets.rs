//! The sockets a process holds, and the unix sockets of /proc/net/unix.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use prockit_parse::parse_net_unix;
use prockit_sys::{Error as SysError, Pid};

use crate::edge::{js_text, to_js_error, JsText};
use crate::process::with_process;

/// One row of /proc/net/unix.
#[napi(object)]
pub struct UnixSocket {
    /// What /proc/[pid]/fd/N shows as `socket:[INODE]`.
    pub inode: f64,
    /// The bound path; `@name` for an abstract name; `''` when unbound.
    pub path: JsText,
    pub listening: bool,
}

fn unix_sockets(bytes: &[u8], pid: Option<Pid>) -> prockit_sys::Result<Vec<UnixSocket>> {
    let rows = parse_net_unix(bytes).map_err(|reason| SysError::Incomplete { pid, file: "net/unix", reason })?;
    Ok(rows.into_iter().map(|r| UnixSocket { inode: r.inode as f64, path: js_text(r.path), listening: r.listening }).collect())
}

/// /proc/net/unix; with a pid, that process's view of it (its network namespace), or null
/// when the process is gone.
#[napi(catch_unwind)]
pub fn read_unix_sockets(pid: Option<i32>, starttime: Option<f64>) -> Result<Option<Vec<UnixSocket>>, String> {
    match pid {
        Some(pid) => with_process(pid, starttime, |dir| unix_sockets(&dir.read_net_unix()?, Some(dir.pid()))),
        None => prockit_sys::read_net_unix().and_then(|bytes| unix_sockets(&bytes, None)).map(Some).map_err(to_js_error),
    }
}

/// The inodes of the sockets among a process's open fds; null when it is gone.
#[napi(catch_unwind)]
pub fn read_socket_inodes(pid: i32, starttime: Option<f64>) -> Result<Option<Vec<f64>>, String> {
    with_process(pid, starttime, |dir| dir.socket_inodes().map(|inodes| inodes.into_iter().map(|i| i as f64).collect()))
}
