//! Signals and waits, through a pidfd pinned to the process's identity.

use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use prockit_sys::{Identity, WaitOutcome};

use crate::edge::{pid_arg, settle_on_thread, starttime_arg, to_js_error};

/// Sends signal number `signal` to the process (pid, starttime). With a start time, a pid
/// that now names another process fails with ESRCH instead of signalling it.
#[napi(catch_unwind)]
pub fn send_signal(pid: i32, starttime: Option<f64>, signal: i32) -> Result<(), String> {
    if !(0..=libc::SIGRTMAX()).contains(&signal) {
        return Err(Error::new("ERR_UNKNOWN_SIGNAL".to_string(), format!("unknown signal number {signal}")));
    }
    let identity = Identity { pid: pid_arg(pid)?, starttime: starttime_arg(starttime) };
    prockit_sys::send_signal(identity, signal).map_err(to_js_error)
}

#[napi(object)]
pub struct WaitResult {
    /// False when the timeout passed first.
    pub exited: bool,
    /// For an unreaped child of ours: its exit code, or minus the signal that killed it.
    pub status: Option<i32>,
}

/// Resolves once the process has ended (exited or become a zombie; a reused pid counts as
/// ended) or `timeoutMs` has passed. The wait runs on a thread of its own, never on the
/// libuv pool, since it may last as long as the process does.
#[napi(catch_unwind, ts_return_type = "Promise<WaitResult>")]
pub fn wait_for_exit<'env>(env: &'env Env, pid: i32, starttime: Option<f64>, timeout_ms: Option<f64>) -> Result<Object<'env>, String> {
    let identity = Identity { pid: pid_arg(pid)?, starttime: starttime_arg(starttime) };
    let timeout = timeout_ms.filter(|t| t.is_finite() && *t >= 0.0).map(|t| Duration::from_micros((t * 1000.0) as u64));
    settle_on_thread(env, "prockit-wait", move || {
        prockit_sys::wait_for_exit(identity, timeout).map(|outcome| match outcome {
            WaitOutcome::Exited(status) => WaitResult { exited: true, status },
            WaitOutcome::TimedOut => WaitResult { exited: false, status: None },
        })
    })
}
