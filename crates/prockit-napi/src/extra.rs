//! psutil-extra's readings and process-group control.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use prockit_parse::{parse_status_extras, signals_in_mask};
use prockit_sys::{Error as SysError, Identity};

use crate::edge::{pid_arg, starttime_arg, to_js_error};
use crate::process::with_process;

/// The umask (null before Linux 4.7), supplementary groups and signal sets (as signal
/// numbers) of /proc/[pid]/status.
#[napi(object)]
pub struct StatusExtras {
    pub umask: Option<u32>,
    pub groups: Vec<u32>,
    pub pending: Vec<u32>,
    pub process_pending: Vec<u32>,
    pub blocked: Vec<u32>,
    pub ignored: Vec<u32>,
    pub caught: Vec<u32>,
}

#[napi(catch_unwind)]
pub fn read_status_extras(pid: i32, starttime: Option<f64>) -> Result<Option<StatusExtras>, String> {
    with_process(pid, starttime, |dir| {
        let extras = parse_status_extras(&dir.read(c"status")?).map_err(|reason| SysError::Incomplete {
            pid: Some(dir.pid()),
            file: "status",
            reason,
        })?;
        Ok(StatusExtras {
            umask: extras.umask,
            groups: extras.groups,
            pending: signals_in_mask(extras.pending),
            process_pending: signals_in_mask(extras.process_pending),
            blocked: signals_in_mask(extras.blocked),
            ignored: signals_in_mask(extras.ignored),
            caught: signals_in_mask(extras.caught),
        })
    })
}

/// The RLIMIT_* names Linux knows, for validation in TypeScript.
#[napi(catch_unwind)]
pub fn rlimit_names() -> Vec<&'static str> {
    prockit_sys::RESOURCES.iter().map(|r| r.name).collect()
}

fn limit_arg(value: f64) -> Option<u64> {
    // Infinity is RLIM_INFINITY; TypeScript has checked that the rest are integers ≥ 0.
    value.is_finite().then_some(value as u64)
}

/// prlimit(2): the limits before the call as [soft, hard] (Infinity for RLIM_INFINITY); sets
/// [newSoft, newHard] when both are given.
#[napi(catch_unwind)]
pub fn prlimit(
    pid: i32,
    starttime: Option<f64>,
    resource: String,
    new_soft: Option<f64>,
    new_hard: Option<f64>,
) -> Result<Vec<f64>, String> {
    let identity = Identity { pid: pid_arg(pid)?, starttime: starttime_arg(starttime) };
    let resource = prockit_sys::resource_by_name(&resource)
        .ok_or_else(|| Error::new("ERR_INVALID_ARG_VALUE".to_string(), format!("unknown resource '{resource}'")))?;
    let new = new_soft.zip(new_hard).map(|(soft, hard)| (limit_arg(soft), limit_arg(hard)));
    let (soft, hard) = prockit_sys::prlimit(identity, resource, new).map_err(to_js_error)?;
    let js = |limit: Option<u64>| limit.map_or(f64::INFINITY, |v| v as f64);
    Ok(vec![js(soft), js(hard)])
}

#[napi(catch_unwind)]
pub fn kill_process_group(pgid: i32, signal: i32) -> Result<(), String> {
    prockit_sys::kill_process_group(pid_arg(pgid)?, signal).map_err(to_js_error)
}

#[napi(catch_unwind)]
pub fn getpgid(pid: i32) -> Result<i32, String> {
    prockit_sys::getpgid(pid_arg(pid)?).map_err(to_js_error)
}

#[napi(catch_unwind)]
pub fn getsid(pid: i32) -> Result<i32, String> {
    prockit_sys::getsid(pid_arg(pid)?).map_err(to_js_error)
}
