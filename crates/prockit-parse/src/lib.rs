//! Pure parsers for Linux `/proc` files.
//!
//! Every parser takes the bytes of one file and returns typed values borrowing from them.
//! There is no I/O here and nothing that can panic on hostile input: a process can put
//! almost any bytes into its comm, cmdline and environment, and a file read during a race
//! can be truncated anywhere. System facts (clock ticks, page size) are the caller's.

mod error;
mod limits;
mod memory;
mod net_unix;
mod nul_list;
mod stat;
mod status;
mod status_extras;
mod uptime;

pub use error::ParseError;
pub use limits::{parse_limits, Limit};
pub use memory::{parse_io, parse_statm, sum_kb_fields, IoCounters, Statm};
pub use net_unix::{parse_net_unix, parse_socket_link, UnixSocketRow};
pub use nul_list::{parse_cmdline, parse_environ};
pub use stat::{parse_stat, split_stat_fields, Stat};
pub use status::parse_status;
pub use status_extras::{parse_status_extras, signals_in_mask, StatusExtras};
pub use uptime::parse_uptime;

/// Parses an ASCII decimal integer, optionally signed, rejecting empty input and overflow.
pub(crate) fn parse_i64(bytes: &[u8]) -> Option<i64> {
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, bytes),
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: i64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        let digit = i64::from(b - b'0');
        value = value.checked_mul(10)?;
        value = if negative { value.checked_sub(digit)? } else { value.checked_add(digit)? };
    }
    Some(value)
}

/// Parses an ASCII decimal unsigned integer, rejecting empty input, signs and overflow.
pub(crate) fn parse_u64(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_reject_overflow_and_garbage() {
        assert_eq!(parse_i64(b"-42"), Some(-42));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"-"), None);
        assert_eq!(parse_i64(b""), None);
        assert_eq!(parse_i64(b"12a"), None);
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b"-1"), None);
    }
}
