//! The whole process table in one crossing: columns of typed arrays, one string of comms.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use prockit_parse::Stat;

use crate::edge::{js_text, to_js_error_value, JsText};

/// One column per stat field; row i of every column is the same process. comm holds every
/// command name joined by NUL (which a comm cannot contain).
#[napi(object)]
pub struct ProcessTable {
    pub pid: Int32Array,
    pub ppid: Int32Array,
    pub pgrp: Int32Array,
    pub session: Int32Array,
    /// The state letter's character code.
    pub state: Uint8Array,
    /// Clock ticks after boot.
    pub starttime: Float64Array,
    /// Bytes.
    pub vsize: Float64Array,
    /// Bytes.
    pub rss: Float64Array,
    pub comm: JsText,
}

#[derive(Default)]
pub struct Columns {
    pid: Vec<i32>,
    ppid: Vec<i32>,
    pgrp: Vec<i32>,
    session: Vec<i32>,
    state: Vec<u8>,
    starttime: Vec<f64>,
    vsize: Vec<f64>,
    rss: Vec<f64>,
    comm: Vec<u8>,
}

impl Columns {
    fn push(&mut self, stat: &Stat<'_>, page_size: f64) {
        if !self.pid.is_empty() {
            self.comm.push(0);
        }
        self.pid.push(stat.pid);
        self.ppid.push(stat.ppid);
        self.pgrp.push(stat.pgrp);
        self.session.push(stat.session);
        self.state.push(stat.state);
        self.starttime.push(stat.starttime as f64);
        self.vsize.push(stat.vsize as f64);
        self.rss.push(stat.rss.max(0) as f64 * page_size);
        self.comm.extend_from_slice(stat.comm);
    }

    fn append(&mut self, mut other: Columns) {
        if !self.pid.is_empty() && !other.pid.is_empty() {
            self.comm.push(0);
        }
        self.pid.append(&mut other.pid);
        self.ppid.append(&mut other.ppid);
        self.pgrp.append(&mut other.pgrp);
        self.session.append(&mut other.session);
        self.state.append(&mut other.state);
        self.starttime.append(&mut other.starttime);
        self.vsize.append(&mut other.vsize);
        self.rss.append(&mut other.rss);
        self.comm.append(&mut other.comm);
    }

    /// Reads the table on up to two threads (the machines prockit targets have few cores;
    /// more threads than cores only contend), then joins the parts in /proc's order.
    fn read() -> prockit_sys::Result<Columns> {
        let page_size = prockit_sys::page_size() as f64;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
        let parts = prockit_sys::read_all_stats(threads, Columns::default, |columns, stat| columns.push(stat, page_size))?;
        let mut whole = Columns::default();
        for part in parts {
            if whole.pid.is_empty() {
                whole = part;
            } else {
                whole.append(part);
            }
        }
        Ok(whole)
    }

    fn into_table(self) -> ProcessTable {
        ProcessTable {
            pid: self.pid.into(),
            ppid: self.ppid.into(),
            pgrp: self.pgrp.into(),
            session: self.session.into(),
            state: self.state.into(),
            starttime: self.starttime.into(),
            vsize: self.vsize.into(),
            rss: self.rss.into(),
            comm: js_text(&self.comm),
        }
    }
}

/// Reads every process's stat on the calling thread.
#[napi(catch_unwind)]
pub fn read_process_table() -> Result<ProcessTable, String> {
    Columns::read().map(Columns::into_table).map_err(crate::edge::to_js_error)
}

pub struct ReadProcessTable;

impl Task for ReadProcessTable {
    type Output = std::result::Result<Columns, prockit_sys::Error>;
    type JsValue = ProcessTable;

    fn compute(&mut self) -> Result<Self::Output> {
        std::panic::catch_unwind(Columns::read).map_err(|_| Error::from_reason("prockit: panic while reading /proc"))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        output.map(Columns::into_table).map_err(|e| to_js_error_value(&env, e))
    }
}

/// Reads every process's stat on a libuv worker thread.
#[napi(catch_unwind, ts_return_type = "Promise<ProcessTable>")]
pub fn read_process_table_async() -> AsyncTask<ReadProcessTable> {
    AsyncTask::new(ReadProcessTable)
}
