//! Reads of one process, each pinned to its identity (pid plus start time).

use std::path::Path;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use prockit_parse::{parse_cmdline, parse_environ, parse_stat, parse_status, split_stat_fields, Stat};
use prockit_sys::{Errno, Error as SysError, ProcDir};

use crate::edge::{js_text, pid_arg, starttime_arg, to_js_error, JsText};

/// The fields of /proc/[pid]/stat that `Process` exposes, converted to bytes and ticks.
#[napi(object)]
pub struct StatRecord {
    pub pid: i32,
    pub comm: JsText,
    pub state: String,
    pub ppid: i32,
    pub pgrp: i32,
    pub session: i32,
    /// Clock ticks after boot.
    pub starttime: f64,
    /// Bytes.
    pub vsize: f64,
    /// Bytes.
    pub rss: f64,
}

/// The fields of /proc/[pid]/stat that psutil's methods use.
#[napi(object)]
pub struct StatDetail {
    pub state: String,
    /// The controlling terminal's device number (0: none).
    pub tty_nr: i32,
    /// Clock ticks in user mode.
    pub utime: f64,
    /// Clock ticks in kernel mode.
    pub stime: f64,
    /// Clock ticks of waited-for children in user mode.
    pub cutime: f64,
    /// Clock ticks of waited-for children in kernel mode.
    pub cstime: f64,
    pub num_threads: f64,
}

fn stat_record(stat: &Stat<'_>) -> StatRecord {
    StatRecord {
        pid: stat.pid,
        comm: js_text(stat.comm),
        state: char::from(stat.state).to_string(),
        ppid: stat.ppid,
        pgrp: stat.pgrp,
        session: stat.session,
        starttime: stat.starttime as f64,
        vsize: stat.vsize as f64,
        rss: stat.rss.max(0) as f64 * prockit_sys::page_size() as f64,
    }
}

/// stat's times, thread count and terminal, or `None` when the process is gone or its pid
/// was reused.
#[napi(catch_unwind)]
pub fn read_stat_detail(pid: i32, starttime: Option<f64>) -> Result<Option<StatDetail>, String> {
    let pid = pid_arg(pid)?;
    gone_as_none(ProcDir::open_checked(pid, starttime_arg(starttime)).and_then(|(_, bytes)| {
        let stat = parse_stat(&bytes).map_err(|reason| SysError::Incomplete { pid: Some(pid), file: "stat", reason })?;
        Ok(StatDetail {
            state: char::from(stat.state).to_string(),
            tty_nr: stat.tty_nr,
            utime: stat.utime as f64,
            stime: stat.stime as f64,
            cutime: stat.cutime as f64,
            cstime: stat.cstime as f64,
            num_threads: stat.num_threads as f64,
        })
    }))
}

fn parse_record(pid: Option<prockit_sys::Pid>, bytes: &[u8]) -> prockit_sys::Result<StatRecord> {
    parse_stat(bytes).map(|s| stat_record(&s)).map_err(|reason| SysError::Incomplete { pid, file: "stat", reason })
}

/// Runs `read` on the process directory of (pid, starttime). A process that is gone, or
/// whose pid now names another process, gives `None`; other failures are errors.
pub(crate) fn with_process<T>(
    pid: i32,
    starttime: Option<f64>,
    read: impl FnOnce(&ProcDir) -> prockit_sys::Result<T>,
) -> Result<Option<T>, String> {
    let pid = pid_arg(pid)?;
    let result = ProcDir::read_checked(pid, starttime_arg(starttime), read);
    gone_as_none(result)
}

fn gone_as_none<T>(result: prockit_sys::Result<T>) -> Result<Option<T>, String> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_gone() => Ok(None),
        Err(e) => Err(to_js_error(e)),
    }
}

/// Like `with_process` for a directory given by path; a missing directory gives `None`.
fn with_path<T>(dir: String, read: impl FnOnce(&ProcDir, Vec<u8>) -> prockit_sys::Result<T>) -> Result<Option<T>, String> {
    match ProcDir::open_path(Path::new(&dir)) {
        Ok((proc_dir, stat)) => gone_as_none(read(&proc_dir, stat)),
        Err(SysError::Io { errno: Errno::ENOENT | Errno::ESRCH | Errno::ENOTDIR, .. }) => Ok(None),
        Err(e) => gone_as_none(Err(e)),
    }
}

fn texts(items: Vec<&[u8]>) -> Vec<JsText> {
    items.into_iter().map(js_text).collect()
}

fn pairs(items: Vec<(&[u8], &[u8])>) -> Vec<JsText> {
    items.into_iter().flat_map(|(k, v)| [js_text(k), js_text(v)]).collect()
}

/// /proc/[pid]/stat, or `None` when the process is gone or its pid was reused.
#[napi(catch_unwind)]
pub fn read_stat(pid: i32, starttime: Option<f64>) -> Result<Option<StatRecord>, String> {
    let pid = pid_arg(pid)?;
    gone_as_none(ProcDir::open_checked(pid, starttime_arg(starttime)).and_then(|(_, stat)| parse_record(Some(pid), &stat)))
}

/// The stat of the process directory `dir` (for `Process.fromPath`).
#[napi(catch_unwind)]
pub fn read_stat_at(dir: String) -> Result<Option<StatRecord>, String> {
    with_path(dir, |proc_dir, stat| parse_record(Some(proc_dir.pid()), &stat))
}

/// The tokenized fields of `dir`/stat, as proc's `parse_process_status`.
#[napi(catch_unwind)]
pub fn read_stat_fields(dir: String) -> Result<Option<Vec<JsText>>, String> {
    with_path(dir, |proc_dir, stat| {
        split_stat_fields(&stat).map(texts).map_err(|reason| SysError::Incomplete { pid: Some(proc_dir.pid()), file: "stat", reason })
    })
}

/// The arguments in `dir`/cmdline, as proc's `parse_process_cmdline`.
#[napi(catch_unwind)]
pub fn read_cmdline_at(dir: String) -> Result<Option<Vec<JsText>>, String> {
    with_path(dir, |proc_dir, _| proc_dir.read(c"cmdline").map(|bytes| texts(parse_cmdline(&bytes))))
}

#[napi(catch_unwind)]
pub fn read_cmdline(pid: i32, starttime: Option<f64>) -> Result<Option<Vec<JsText>>, String> {
    with_process(pid, starttime, |dir| dir.read(c"cmdline").map(|bytes| texts(parse_cmdline(&bytes))))
}

/// The environment as a flat list: name, value, name, value…
#[napi(catch_unwind)]
pub fn read_environ(pid: i32, starttime: Option<f64>) -> Result<Option<Vec<JsText>>, String> {
    with_process(pid, starttime, |dir| dir.read(c"environ").map(|bytes| pairs(parse_environ(&bytes))))
}

/// The status file as a flat list: key, value, key, value…
#[napi(catch_unwind)]
pub fn read_status(pid: i32, starttime: Option<f64>) -> Result<Option<Vec<JsText>>, String> {
    with_process(pid, starttime, |dir| dir.read(c"status").map(|bytes| pairs(parse_status(&bytes))))
}

/// The target of /proc/[pid]/exe.
#[napi(catch_unwind)]
pub fn read_exe(pid: i32, starttime: Option<f64>) -> Result<Option<JsText>, String> {
    with_process(pid, starttime, |dir| dir.read_link(c"exe").map(|bytes| js_text(&bytes)))
}
