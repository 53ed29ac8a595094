use crate::{parse_i64, parse_u64, ParseError};

/// The fields of `/proc/[pid]/stat` that prockit uses, numbered as in `man 5 proc`.
///
/// `comm` borrows the raw bytes between the first '(' and the last ')': the kernel writes
/// the command name unescaped, so it may hold spaces, parentheses and bytes that are not
/// UTF-8. Times are clock ticks and `rss` is pages: converting needs system facts that the
/// caller supplies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat<'a> {
    /// (1) pid
    pub pid: i32,
    /// (2) comm
    pub comm: &'a [u8],
    /// (3) state, one letter
    pub state: u8,
    /// (4) ppid
    pub ppid: i32,
    /// (5) pgrp
    pub pgrp: i32,
    /// (6) session
    pub session: i32,
    /// (7) tty_nr
    pub tty_nr: i32,
    /// (8) tpgid
    pub tpgid: i32,
    /// (10) minflt
    pub minflt: u64,
    /// (12) majflt
    pub majflt: u64,
    /// (14) utime, clock ticks
    pub utime: u64,
    /// (15) stime, clock ticks
    pub stime: u64,
    /// (16) cutime, clock ticks
    pub cutime: i64,
    /// (17) cstime, clock ticks
    pub cstime: i64,
    /// (18) priority
    pub priority: i64,
    /// (19) nice
    pub nice: i64,
    /// (20) num_threads
    pub num_threads: i64,
    /// (22) starttime, clock ticks after boot
    pub starttime: u64,
    /// (23) vsize, bytes
    pub vsize: u64,
    /// (24) rss, pages
    pub rss: i64,
}

// Field numbers from `man 5 proc`, counted from 1 as the manual does. Fields after comm are
// indexed from (3) state.
const FIELD_STATE: usize = 3;
const FIELD_PPID: usize = 4;
const FIELD_PGRP: usize = 5;
const FIELD_SESSION: usize = 6;
const FIELD_TTY_NR: usize = 7;
const FIELD_TPGID: usize = 8;
const FIELD_MINFLT: usize = 10;
const FIELD_MAJFLT: usize = 12;
const FIELD_UTIME: usize = 14;
const FIELD_STIME: usize = 15;
const FIELD_CUTIME: usize = 16;
const FIELD_CSTIME: usize = 17;
const FIELD_PRIORITY: usize = 18;
const FIELD_NICE: usize = 19;
const FIELD_NUM_THREADS: usize = 20;
const FIELD_STARTTIME: usize = 22;
const FIELD_VSIZE: usize = 23;
const FIELD_RSS: usize = 24;
/// The last field parsed here; the kernel writes 52 today, older kernels fewer.
const LAST_FIELD_USED: usize = FIELD_RSS;
const FIRST_FIELD_AFTER_COMM: usize = FIELD_STATE;

/// A stat line cut in three: the pid, the comm, and the fields after it.
struct StatParts<'a> {
    pid: &'a [u8],
    comm: &'a [u8],
    rest: &'a [u8],
}

/// Splits a stat line into its parts: comm is what lies between the first '(' and the
/// *last* ')', so a comm such as `a) (b c` cannot shift the fields after it.
fn split_comm(bytes: &[u8]) -> Result<StatParts<'_>, ParseError> {
    let open = bytes.iter().position(|&b| b == b'(').ok_or(ParseError::Truncated("comm"))?;
    let close = bytes.iter().rposition(|&b| b == b')').ok_or(ParseError::Truncated("comm"))?;
    if close < open {
        return Err(ParseError::Invalid("comm"));
    }
    let pid = bytes.get(..open).ok_or(ParseError::Truncated("pid"))?;
    let comm = bytes.get(open + 1..close).ok_or(ParseError::Invalid("comm"))?;
    let rest = bytes.get(close + 1..).ok_or(ParseError::Truncated("state"))?;
    Ok(StatParts { pid: trim_ascii(pid), comm, rest })
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(start, |i| i + 1);
    bytes.get(start..end).unwrap_or(&[])
}

fn words(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes.split(|b| *b == b' ' || *b == b'\n').filter(|w| !w.is_empty())
}

/// Parses `/proc/[pid]/stat`.
pub fn parse_stat(bytes: &[u8]) -> Result<Stat<'_>, ParseError> {
    let StatParts { pid, comm, rest } = split_comm(bytes)?;
    let pid = parse_i64(pid).and_then(|v| i32::try_from(v).ok()).filter(|v| *v > 0).ok_or(ParseError::Invalid("pid"))?;

    let mut fields: [&[u8]; LAST_FIELD_USED + 1] = [&[]; LAST_FIELD_USED + 1];
    let mut count = FIRST_FIELD_AFTER_COMM;
    for (slot, word) in fields.iter_mut().skip(FIRST_FIELD_AFTER_COMM).zip(words(rest)) {
        *slot = word;
        count += 1;
    }
    if count <= LAST_FIELD_USED {
        return Err(ParseError::Truncated("stat fields"));
    }
    let signed = |n: usize, what: &'static str| fields.get(n).and_then(|w| parse_i64(w)).ok_or(ParseError::Invalid(what));
    let unsigned = |n: usize, what: &'static str| fields.get(n).and_then(|w| parse_u64(w)).ok_or(ParseError::Invalid(what));
    let int32 = |n: usize, what: &'static str| signed(n, what).and_then(|v| i32::try_from(v).map_err(|_| ParseError::Invalid(what)));
    let state = match fields.get(FIELD_STATE) {
        Some([letter]) if letter.is_ascii_alphabetic() => *letter,
        _ => return Err(ParseError::Invalid("state")),
    };

    Ok(Stat {
        pid,
        comm,
        state,
        ppid: int32(FIELD_PPID, "ppid")?,
        pgrp: int32(FIELD_PGRP, "pgrp")?,
        session: int32(FIELD_SESSION, "session")?,
        tty_nr: int32(FIELD_TTY_NR, "tty_nr")?,
        tpgid: int32(FIELD_TPGID, "tpgid")?,
        minflt: unsigned(FIELD_MINFLT, "minflt")?,
        majflt: unsigned(FIELD_MAJFLT, "majflt")?,
        utime: unsigned(FIELD_UTIME, "utime")?,
        stime: unsigned(FIELD_STIME, "stime")?,
        cutime: signed(FIELD_CUTIME, "cutime")?,
        cstime: signed(FIELD_CSTIME, "cstime")?,
        priority: signed(FIELD_PRIORITY, "priority")?,
        nice: signed(FIELD_NICE, "nice")?,
        num_threads: signed(FIELD_NUM_THREADS, "num_threads")?,
        starttime: unsigned(FIELD_STARTTIME, "starttime")?,
        vsize: unsigned(FIELD_VSIZE, "vsize")?,
        rss: signed(FIELD_RSS, "rss")?,
    })
}

/// Tokenizes `/proc/[pid]/stat` the way proc's `parse_process_status` does: the pid, the
/// comm (without its parentheses) and every field after it, as raw byte slices.
pub fn split_stat_fields(bytes: &[u8]) -> Result<Vec<&[u8]>, ParseError> {
    let StatParts { pid, comm, rest } = split_comm(bytes)?;
    if pid.is_empty() {
        return Err(ParseError::Truncated("pid"));
    }
    let mut fields = vec![pid, comm];
    fields.extend(words(rest));
    if fields.len() < FIRST_FIELD_AFTER_COMM {
        return Err(ParseError::Truncated("state"));
    }
    Ok(fields)
}
