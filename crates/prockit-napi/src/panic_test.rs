//! Panic paths that exist only in a `--features panic-test` build, to prove that a Rust
//! panic reaches JavaScript as an error, on the main thread and on a worker thread.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::edge::settle_on_thread;

#[napi(catch_unwind)]
pub fn panic_for_test(message: String) -> u32 {
    panic!("{message}")
}

#[napi(catch_unwind, ts_return_type = "Promise<number>")]
pub fn panic_for_test_async<'env>(env: &'env Env, message: String) -> Result<Object<'env>, String> {
    settle_on_thread(env, "prockit-panic-test", move || -> prockit_sys::Result<u32> { panic!("{message}") })
}
