//! psutil's queries of one process: memory, I/O, fds, cwd, priority. Each is pinned to
//! the process's identity and gives `None` when it is gone (the TypeScript layer decides
//! between NoSuchProcess and ZombieProcess).

use napi::bindgen_prelude::*;
use napi_derive::napi;
use prockit_parse::{parse_io, parse_statm, sum_kb_fields};
use prockit_sys::{Error as SysError, Identity};

use crate::edge::{js_text, pid_arg, starttime_arg, to_js_error, JsText};
use crate::process::with_process;

fn incomplete(pid: prockit_sys::Pid, file: &'static str) -> impl FnOnce(prockit_parse::ParseError) -> SysError {
    move |reason| SysError::Incomplete { pid: Some(pid), file, reason }
}

/// /proc/[pid]/statm in bytes.
#[napi(object)]
pub struct MemoryInfo {
    pub rss: f64,
    pub vms: f64,
    pub shared: f64,
    pub text: f64,
    pub lib: f64,
    pub data: f64,
    pub dirty: f64,
}

#[napi(catch_unwind)]
pub fn read_memory_info(pid: i32, starttime: Option<f64>) -> Result<Option<MemoryInfo>, String> {
    let page = prockit_sys::page_size() as f64;
    with_process(pid, starttime, |dir| {
        let statm = parse_statm(&dir.read(c"statm")?).map_err(incomplete(dir.pid(), "statm"))?;
        let bytes = |pages: u64| pages as f64 * page;
        Ok(MemoryInfo {
            rss: bytes(statm.resident),
            vms: bytes(statm.size),
            shared: bytes(statm.shared),
            text: bytes(statm.text),
            lib: bytes(statm.lib),
            data: bytes(statm.data),
            dirty: bytes(statm.dirty),
        })
    })
}

/// The memory only this process holds (uss), its proportional share (pss) and swap, bytes.
#[napi(object)]
pub struct MemoryDetail {
    pub uss: f64,
    pub pss: f64,
    pub swap: f64,
}

#[napi(catch_unwind)]
pub fn read_memory_detail(pid: i32, starttime: Option<f64>) -> Result<Option<MemoryDetail>, String> {
    const KEYS: [&[u8]; 5] = [b"Private_Clean", b"Private_Dirty", b"Private_Hugetlb", b"Pss", b"Swap"];
    with_process(pid, starttime, |dir| {
        // smaps_rollup (Linux 4.14) sums for us; smaps has the same keys once per mapping.
        // A missing file reads as "gone" (ENOENT under /proc/[pid]); reading smaps then tells
        // whether the process really is, and the identity check afterwards confirms it.
        let bytes = match dir.read(c"smaps_rollup") {
            Err(SysError::NoSuchProcess { .. }) => dir.read(c"smaps")?,
            other => other?,
        };
        let [clean, dirty, hugetlb, pss, swap] = sum_kb_fields(&bytes, KEYS);
        Ok(MemoryDetail { uss: (clean + dirty + hugetlb) as f64, pss: pss as f64, swap: swap as f64 })
    })
}

/// /proc/[pid]/io, as psutil names it.
#[napi(object)]
pub struct IoCounters {
    pub read_count: f64,
    pub write_count: f64,
    pub read_bytes: f64,
    pub write_bytes: f64,
    pub read_chars: f64,
    pub write_chars: f64,
}

#[napi(catch_unwind)]
pub fn read_io_counters(pid: i32, starttime: Option<f64>) -> Result<Option<IoCounters>, String> {
    with_process(pid, starttime, |dir| {
        let io = parse_io(&dir.read(c"io")?).map_err(incomplete(dir.pid(), "io"))?;
        Ok(IoCounters {
            read_count: io.syscr as f64,
            write_count: io.syscw as f64,
            read_bytes: io.read_bytes as f64,
            write_bytes: io.write_bytes as f64,
            read_chars: io.rchar as f64,
            write_chars: io.wchar as f64,
        })
    })
}

#[napi(catch_unwind)]
pub fn count_fds(pid: i32, starttime: Option<f64>) -> Result<Option<u32>, String> {
    with_process(pid, starttime, |dir| dir.fd_numbers().map(|fds| fds.len() as u32))
}

#[napi(object)]
pub struct OpenFile {
    pub path: JsText,
    pub fd: i32,
}

#[napi(catch_unwind)]
pub fn read_open_files(pid: i32, starttime: Option<f64>) -> Result<Option<Vec<OpenFile>>, String> {
    with_process(pid, starttime, |dir| {
        dir.open_files().map(|files| files.into_iter().map(|f| OpenFile { path: js_text(&f.path), fd: f.fd }).collect())
    })
}

#[napi(catch_unwind)]
pub fn read_cwd(pid: i32, starttime: Option<f64>) -> Result<Option<JsText>, String> {
    with_process(pid, starttime, |dir| dir.read_link(c"cwd").map(|bytes| js_text(&bytes)))
}

#[napi(catch_unwind)]
pub fn get_nice(pid: i32, starttime: Option<f64>) -> Result<i32, String> {
    let identity = Identity { pid: pid_arg(pid)?, starttime: starttime_arg(starttime) };
    prockit_sys::get_priority(identity).map_err(to_js_error)
}

#[napi(catch_unwind)]
pub fn set_nice(pid: i32, starttime: Option<f64>, value: i32) -> Result<(), String> {
    let identity = Identity { pid: pid_arg(pid)?, starttime: starttime_arg(starttime) };
    prockit_sys::set_priority(identity, value).map_err(to_js_error)
}

/// Every pid in /proc, in ascending order.
#[napi(catch_unwind)]
pub fn list_pids() -> Result<Vec<i32>, String> {
    let mut pids: Vec<i32> = prockit_sys::list_pids().map_err(to_js_error)?.into_iter().map(|p| p.get()).collect();
    pids.sort_unstable();
    Ok(pids)
}
