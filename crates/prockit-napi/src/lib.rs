//! The Node binding of prockit: validates arguments, calls prockit-sys and prockit-parse,
//! converts the results. Policy (what a missing value means, which pids may be signalled)
//! lives in the TypeScript layer; parsing and syscalls live in the crates below.
//!
//! Every exported function is built with `catch_unwind`, so a Rust panic reaches
//! JavaScript as an exception instead of aborting the host process.

mod daemon;
mod edge;
mod extra;
mod inspect;
#[cfg(feature = "panic-test")]
mod panic_test;
mod process;
mod signal;
mod sockets;
mod spawn;
mod table;

pub use edge::*;
