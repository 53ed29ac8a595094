//! spawnDaemon: fork, setsid, fork, exec — off the main thread.

use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use prockit_sys::DaemonSpec;

use crate::edge::settle_on_thread;

/// What `spawnDaemon` runs, as bytes (the TypeScript layer encodes strings with fsEncode, so
/// text that came from /proc keeps its exact bytes).
#[napi(object)]
pub struct DaemonRequest {
    /// A path, or a name looked up in the PATH of `env`.
    pub command: Buffer,
    /// argv, argv[0] included.
    pub argv: Vec<Buffer>,
    /// `NAME=value` entries; absent: this process's environment.
    pub env: Option<Vec<Buffer>>,
    pub workdir: Buffer,
    pub umask: u32,
    pub redirect_to: Buffer,
    pub stdout: Option<Buffer>,
    pub stderr: Option<Buffer>,
    pub pid_file: Option<Buffer>,
}

fn path(buffer: &Buffer) -> PathBuf {
    PathBuf::from(std::ffi::OsStr::from_bytes(buffer))
}

/// Resolves with the daemon's pid once it has exec'd; rejects with the errno of the step
/// that failed (`chdir`, `open`, `execve`, …). Runs on a thread of its own.
#[napi(catch_unwind, ts_return_type = "Promise<number>")]
pub fn spawn_daemon<'env>(env: &'env Env, request: DaemonRequest) -> Result<Object<'env>, String> {
    if request.umask > 0o777 {
        return Err(Error::new("ERR_OUT_OF_RANGE".to_string(), format!("umask must be from 0 to 0o777 (got {})", request.umask)));
    }
    let spec = DaemonSpec {
        command: request.command.to_vec(),
        argv: request.argv.iter().map(|a| a.to_vec()).collect(),
        env: request.env.map(|env| env.iter().map(|e| e.to_vec()).collect()),
        workdir: path(&request.workdir),
        umask: request.umask,
        redirect_to: path(&request.redirect_to),
        stdout: request.stdout.as_ref().map(path),
        stderr: request.stderr.as_ref().map(path),
        pid_file: request.pid_file.as_ref().map(path),
    };
    settle_on_thread(env, "prockit-daemon", move || prockit_sys::spawn_daemon(&spec).map(|pid| pid.get()))
}
