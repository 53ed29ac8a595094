//! spawn() with a new session or process group: one fork and exec, then a wait thread.

use std::os::fd::IntoRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use prockit_sys::{ChildSpec, ChildStdio, Grouping};

use crate::edge::{pid_arg, to_js_error};

/// What `spawn` runs, as bytes (strings encoded with fsEncode by the TypeScript layer).
#[napi(object)]
pub struct ChildRequest {
    pub command: Buffer,
    /// argv, argv[0] included.
    pub argv: Vec<Buffer>,
    /// `NAME=value` entries.
    pub env: Vec<Buffer>,
    pub cwd: Option<Buffer>,
    /// For fds 0, 1, 2: 'inherit', 'ignore' or 'pipe'.
    pub stdio: Vec<String>,
    /// 'inherit', 'group' (setpgid) or 'session' (setsid).
    pub grouping: String,
}

/// The started child: its pid and the caller's ends of its pipes, as fds the caller owns.
#[napi(object)]
pub struct StartedChild {
    pub pid: i32,
    pub stdin: Option<i32>,
    pub stdout: Option<i32>,
    pub stderr: Option<i32>,
}

fn invalid(what: &str) -> Error<String> {
    Error::new("ERR_INVALID_ARG_VALUE".to_string(), format!("invalid {what}"))
}

fn stdio_kind(kind: &str) -> std::result::Result<ChildStdio, Error<String>> {
    match kind {
        "inherit" => Ok(ChildStdio::Inherit),
        "ignore" => Ok(ChildStdio::Null),
        "pipe" => Ok(ChildStdio::Pipe),
        _ => Err(invalid("stdio")),
    }
}

/// Forks and execs on the calling thread (as child_process.spawn does); returns once the
/// child runs, or throws the errno of the step that failed.
#[napi(catch_unwind)]
pub fn spawn_child(request: ChildRequest) -> Result<StartedChild, String> {
    let grouping = match request.grouping.as_str() {
        "inherit" => Grouping::Inherit,
        "group" => Grouping::NewProcessGroup,
        "session" => Grouping::NewSession,
        _ => return Err(invalid("grouping")),
    };
    let [a, b, c] = request.stdio.as_slice() else { return Err(invalid("stdio")) };
    let spec = ChildSpec {
        command: request.command.to_vec(),
        argv: request.argv.iter().map(|a| a.to_vec()).collect(),
        env: Some(request.env.iter().map(|e| e.to_vec()).collect()),
        cwd: request.cwd.as_ref().map(|cwd| PathBuf::from(std::ffi::OsStr::from_bytes(cwd))),
        stdio: [stdio_kind(a)?, stdio_kind(b)?, stdio_kind(c)?],
        grouping,
    };
    let child = prockit_sys::spawn_child(&spec).map_err(to_js_error)?;
    let [stdin, stdout, stderr] = child.stdio.map(|fd| fd.map(IntoRawFd::into_raw_fd));
    Ok(StartedChild { pid: child.pid.get(), stdin, stdout, stderr })
}

/// Watches our child `pid` (started by spawnChild) on a thread of its own, which reaps it
/// when it ends and then writes 8 bytes to the pipe whose read end this returns: the exit
/// code and the signal number as two little-endian i32 (-1 for "none"). A pipe rather than a
/// promise, so that JavaScript can unref() it like any socket.
#[napi(catch_unwind)]
pub fn watch_child(pid: i32) -> Result<i32, String> {
    let pid = pid_arg(pid)?;
    let (read, write) = prockit_sys::pipe().map_err(to_js_error)?;
    let spawned = std::thread::Builder::new().name("prockit-child".into()).spawn(move || {
        let exit = std::panic::catch_unwind(|| prockit_sys::wait_child(pid)).ok().and_then(|waited| waited.ok());
        let (code, signal): (i32, i32) = exit.map_or((-1, -1), |e| (e.code.unwrap_or(-1), e.signal.unwrap_or(-1)));
        let mut record = [0u8; 8];
        record[..4].copy_from_slice(&code.to_le_bytes());
        record[4..].copy_from_slice(&signal.to_le_bytes());
        let mut file = std::fs::File::from(write);
        let _ = std::io::Write::write_all(&mut file, &record);
    });
    spawned.map_err(|e| Error::new("EAGAIN".to_string(), format!("cannot start a thread: {e}")))?;
    Ok(read.into_raw_fd())
}
