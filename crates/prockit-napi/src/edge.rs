//! What crosses the boundary: errors with Node-style codes, strings decoded without loss.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use prockit_sys::{Error as SysError, Pid};

/// A string for JavaScript. Bytes that are not UTF-8 become lone surrogates U+DC80–U+DCFF,
/// one per byte (Python's "surrogateescape"), so nothing is lost and `fsEncode` in the
/// TypeScript layer gives the exact bytes back.
pub type JsText = Either<String, Utf16String>;

pub fn js_text(bytes: &[u8]) -> JsText {
    match std::str::from_utf8(bytes) {
        Ok(text) => Either::A(text.to_owned()),
        Err(_) => {
            let mut units = Vec::with_capacity(bytes.len());
            for chunk in bytes.utf8_chunks() {
                units.extend(chunk.valid().encode_utf16());
                units.extend(chunk.invalid().iter().map(|b| 0xDC00 | u16::from(*b)));
            }
            Either::B(Utf16String::from(units))
        }
    }
}

/// A native error whose `code` is the errno name ("ESRCH") and whose message reads like
/// Node's: "kill: no such process (pid 42)".
pub fn to_js_error(error: SysError) -> Error<String> {
    Error::new(error.code().to_string(), error.to_string())
}

/// The same error as a JavaScript value, for paths whose error type napi-rs fixes to
/// `Status` (promises settled off the main thread): rejecting with the object keeps the code.
pub fn to_js_error_value(env: &Env, error: SysError) -> Error {
    let js_error = to_js_error(error);
    // SAFETY: env is the live environment of the current call.
    match unsafe { ToNapiValue::to_napi_value(env.raw(), js_error) } {
        Ok(raw) => Error::from(unsafe { Unknown::from_raw_unchecked(env.raw(), raw) }),
        Err(e) => e,
    }
}

/// Validates a pid from JavaScript. The TypeScript layer refuses bad pids first with a
/// TypeError/RangeError; this is the second line, so that no syscall sees pid ≤ 0.
pub fn pid_arg(raw: i32) -> Result<Pid, String> {
    Pid::new(raw).ok_or_else(|| Error::new("ERR_OUT_OF_RANGE".to_string(), format!("pid must be an integer >= 1 (got {raw})")))
}

/// A start time in clock ticks, as JavaScript holds it (a float that is always integral).
pub fn starttime_arg(raw: Option<f64>) -> Option<u64> {
    raw.filter(|t| t.is_finite() && *t >= 0.0).map(|t| t as u64)
}

#[napi(object)]
pub struct SystemFacts {
    pub clock_ticks: u32,
    pub page_size: u32,
    /// Seconds since the Unix epoch at which the system booted.
    pub boot_time: f64,
}

#[napi(catch_unwind)]
pub fn system_facts() -> SystemFacts {
    let facts = prockit_sys::SystemFacts::read();
    SystemFacts { clock_ticks: facts.clock_ticks as u32, page_size: facts.page_size as u32, boot_time: facts.boot_time }
}

#[napi(catch_unwind)]
pub fn find_system_uptime() -> Result<f64, String> {
    prockit_sys::read_uptime().map_err(to_js_error)
}

#[napi(catch_unwind)]
pub fn uid_to_name(uid: u32) -> Option<String> {
    prockit_sys::uid_to_name(uid)
}

#[napi(catch_unwind)]
pub fn gid_to_name(gid: u32) -> Option<String> {
    prockit_sys::gid_to_name(gid)
}

/// Runs `work` on a thread of its own (never on libuv's pool, which has only four threads)
/// and settles a promise with its result; sys errors reject with their Node-style code, a
/// panic rejects instead of aborting the host.
pub fn settle_on_thread<'env, T, F>(env: &'env Env, name: &'static str, work: F) -> Result<Object<'env>, String>
where
    T: ToNapiValue + Send + 'static,
    F: FnOnce() -> prockit_sys::Result<T> + Send + 'static,
{
    let (deferred, promise) = env.create_deferred().map_err(|e| Error::new("EIO".to_string(), e.reason))?;
    let spawned = std::thread::Builder::new().name(name.into()).spawn(move || {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
        deferred.resolve(move |env| match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(to_js_error_value(&env, e)),
            Err(_) => Err(Error::from_reason(format!("prockit: panic on thread {name}"))),
        });
    });
    spawned.map_err(|e| Error::new("EAGAIN".to_string(), format!("cannot start a thread: {e}")))?;
    Ok(promise)
}
