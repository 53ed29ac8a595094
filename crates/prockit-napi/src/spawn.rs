//! spawn() with a new session or process group: one fork and exec, then a wait thread.

use std::os::fd::IntoRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use prockit_sys::{ChildSpec, ChildStdio, Grouping};

use crate::edge::{pid_arg, settle_on_thread, to_js_error};

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

#[napi(object)]
pub struct ChildExit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
}

/// Resolves when our child `pid` (started by spawnChild) has ended, reaping it.
#[napi(catch_unwind, ts_return_type = "Promise<ChildExit>")]
pub fn wait_child<'env>(env: &'env Env, pid: i32) -> Result<Object<'env>, String> {
    let pid = pid_arg(pid)?;
    settle_on_thread(env, "prockit-child", move || {
        prockit_sys::wait_child(pid).map(|exit| ChildExit { code: exit.code, signal: exit.signal })
    })
}
