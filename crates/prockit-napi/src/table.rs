//! The whole process table in one crossing: one ArrayBuffer of numbers, one string of comms.
//!
//! The numbers are copied into an ArrayBuffer that V8 owns. A Vec handed over as an external
//! buffer would be freed by a finalizer that Node runs only when the event loop turns, so a
//! synchronous loop of snapshots would hold every one of them until it returned.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use prockit_parse::Stat;

use crate::edge::{js_text, to_js_error, to_js_error_value};

/// The columns of the table, in the order the TypeScript layer reads them (see
/// scripts/binding-header.d.ts): pid, ppid, pgrp, session, state (character code),
/// starttime (clock ticks), vsize (bytes), rss (bytes).
const COLUMNS: usize = 8;

#[derive(Default)]
pub struct Columns {
    numbers: [Vec<f64>; COLUMNS],
    /// Every comm, joined by NUL (which a comm cannot contain).
    comm: Vec<u8>,
}

impl Columns {
    fn len(&self) -> usize {
        self.numbers[0].len()
    }

    fn push(&mut self, stat: &Stat<'_>, page_size: f64) {
        if self.len() > 0 {
            self.comm.push(0);
        }
        let row = [
            f64::from(stat.pid),
            f64::from(stat.ppid),
            f64::from(stat.pgrp),
            f64::from(stat.session),
            f64::from(stat.state),
            stat.starttime as f64,
            stat.vsize as f64,
            stat.rss.max(0) as f64 * page_size,
        ];
        for (column, value) in self.numbers.iter_mut().zip(row) {
            column.push(value);
        }
        self.comm.extend_from_slice(stat.comm);
    }

    fn append(&mut self, mut other: Columns) {
        if self.len() > 0 && other.len() > 0 {
            self.comm.push(0);
        }
        for (column, rest) in self.numbers.iter_mut().zip(other.numbers.iter_mut()) {
            column.append(rest);
        }
        self.comm.append(&mut other.comm);
    }

    /// Reads the table on up to two threads (the machines prockit targets have few cores;
    /// more threads than cores only contend), then joins the parts in /proc's order.
    fn read() -> prockit_sys::Result<Columns> {
        let page_size = prockit_sys::page_size() as f64;
        // available_parallelism reads cgroup files on every call: ask once.
        static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        let threads = *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(2)));
        let parts = prockit_sys::read_all_stats(threads, Columns::default, |columns, stat| columns.push(stat, page_size))?;
        let mut whole = Columns::default();
        for part in parts {
            whole.append(part);
        }
        Ok(whole)
    }
}

/// The table as JavaScript sees it: `{ numbers: ArrayBuffer, count, comm }`.
pub struct TableValue(Columns);

impl TypeName for TableValue {
    fn type_name() -> &'static str {
        "ProcessTable"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for TableValue {
    unsafe fn to_napi_value(raw_env: sys::napi_env, value: Self) -> Result<sys::napi_value> {
        let env = Env::from_raw(raw_env);
        let Columns { numbers, comm } = value.0;
        let count = numbers[0].len();
        let mut bytes = Vec::with_capacity(count * COLUMNS * 8);
        for column in &numbers {
            for number in column {
                bytes.extend_from_slice(&number.to_ne_bytes());
            }
        }
        let mut object = Object::new(&env)?;
        object.set("numbers", ArrayBuffer::copy_from(&env, bytes)?)?;
        object.set("count", count as u32)?;
        object.set("comm", js_text(&comm))?;
        unsafe { Object::to_napi_value(raw_env, object) }
    }
}

/// Reads every process's stat on the calling thread.
#[napi(catch_unwind, ts_return_type = "ProcessTable")]
pub fn read_process_table() -> Result<TableValue, String> {
    Columns::read().map(TableValue).map_err(to_js_error)
}

pub struct ReadProcessTable;

impl Task for ReadProcessTable {
    type Output = std::result::Result<Columns, prockit_sys::Error>;
    type JsValue = TableValue;

    fn compute(&mut self) -> Result<Self::Output> {
        std::panic::catch_unwind(Columns::read).map_err(|_| Error::from_reason("prockit: panic while reading /proc"))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        output.map(TableValue).map_err(|e| to_js_error_value(&env, e))
    }
}

/// Reads every process's stat on a libuv worker thread.
#[napi(catch_unwind, ts_return_type = "Promise<ProcessTable>")]
pub fn read_process_table_async() -> AsyncTask<ReadProcessTable> {
    AsyncTask::new(ReadProcessTable)
}
