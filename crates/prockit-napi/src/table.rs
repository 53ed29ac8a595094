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
    fn read() -> prockit_sys::Result<Columns> {
        let page_size = prockit_sys::page_size() as f64;
        let mut columns = Columns::default();
        prockit_sys::for_each_stat(|stat: &Stat<'_>| {
            if !columns.pid.is_empty() {
                columns.comm.push(0);
            }
            columns.pid.push(stat.pid);
            columns.ppid.push(stat.ppid);
            columns.pgrp.push(stat.pgrp);
            columns.session.push(stat.session);
            columns.state.push(stat.state);
            columns.starttime.push(stat.starttime as f64);
            columns.vsize.push(stat.vsize as f64);
            columns.rss.push(stat.rss.max(0) as f64 * page_size);
            columns.comm.extend_from_slice(stat.comm);
        })?;
        Ok(columns)
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
