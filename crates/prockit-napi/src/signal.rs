//! Signals and waits, through a pidfd pinned to the process's identity.

use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use prockit_sys::{Identity, WaitOutcome};

use crate::edge::{pid_arg, starttime_arg, to_js_error, to_js_error_value};

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

/// Resolves `true` once the process has ended (exited or become a zombie; a reused pid
/// counts as ended) or `false` when `timeoutMs` passes first. The wait runs on a thread of
/// its own, never on the libuv pool, since it may last as long as the process does.
#[napi(catch_unwind, ts_return_type = "Promise<boolean>")]
pub fn wait_for_exit<'env>(env: &'env Env, pid: i32, starttime: Option<f64>, timeout_ms: Option<f64>) -> Result<Object<'env>, String> {
    let identity = Identity { pid: pid_arg(pid)?, starttime: starttime_arg(starttime) };
    let timeout = timeout_ms.filter(|t| t.is_finite() && *t >= 0.0).map(|t| Duration::from_micros((t * 1000.0) as u64));
    let (deferred, promise) = env.create_deferred().map_err(|e| Error::new("EIO".to_string(), e.reason))?;
    let spawned = std::thread::Builder::new().name("prockit-wait".into()).spawn(move || {
        let outcome = std::panic::catch_unwind(|| prockit_sys::wait_for_exit(identity, timeout));
        deferred.resolve(move |env| match outcome {
            Ok(Ok(outcome)) => Ok(outcome == WaitOutcome::Exited),
            Ok(Err(e)) => Err(to_js_error_value(&env, e)),
            Err(_) => Err(Error::from_reason("prockit: panic while waiting for a process")),
        });
    });
    spawned.map_err(|e| Error::new("EAGAIN".to_string(), format!("cannot start a wait thread: {e}")))?;
    Ok(promise)
}
