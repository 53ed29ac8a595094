use crate::{parse_u64, ParseError};

/// `/proc/[pid]/statm`: sizes in pages, as `man 5 proc` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statm {
    pub size: u64,
    pub resident: u64,
    pub shared: u64,
    pub text: u64,
    pub lib: u64,
    pub data: u64,
    pub dirty: u64,
}

/// Parses `/proc/[pid]/statm`: seven unsigned numbers.
pub fn parse_statm(bytes: &[u8]) -> Result<Statm, ParseError> {
    let mut values = [0u64; 7];
    let mut words = bytes.split(|b| b.is_ascii_whitespace()).filter(|w| !w.is_empty());
    for slot in values.iter_mut() {
        *slot = parse_u64(words.next().ok_or(ParseError::Truncated("statm field"))?).ok_or(ParseError::Invalid("statm field"))?;
    }
    let [size, resident, shared, text, lib, data, dirty] = values;
    Ok(Statm { size, resident, shared, text, lib, data, dirty })
}

/// Sums the "Key:   123 kB" lines of `/proc/[pid]/smaps_rollup` (or of `smaps`, whose keys
/// repeat once per mapping) into bytes, for the keys asked for, in their order. Lines that
/// are not of that shape (mapping headers, VmFlags) are skipped; a sum that would overflow
/// saturates.
pub fn sum_kb_fields<const N: usize>(bytes: &[u8], keys: [&[u8]; N]) -> [u64; N] {
    let mut sums = [0u64; N];
    for line in bytes.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else { continue };
        let (Some(key), Some(rest)) = (line.get(..colon), line.get(colon + 1..)) else { continue };
        let Some(index) = keys.iter().position(|k| *k == key) else { continue };
        let mut words = rest.split(|b| b.is_ascii_whitespace()).filter(|w| !w.is_empty());
        let (Some(number), Some(b"kB")) = (words.next(), words.next()) else { continue };
        if let (Some(kb), Some(sum)) = (parse_u64(number), sums.get_mut(index)) {
            *sum = sum.saturating_add(kb.saturating_mul(1024));
        }
    }
    sums
}

/// `/proc/[pid]/io`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IoCounters {
    pub rchar: u64,
    pub wchar: u64,
    pub syscr: u64,
    pub syscw: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
    pub cancelled_write_bytes: u64,
}

/// Parses `/proc/[pid]/io` ("rchar: 123" lines). Every counter must be present.
pub fn parse_io(bytes: &[u8]) -> Result<IoCounters, ParseError> {
    let mut io = IoCounters::default();
    let mut seen = 0u8;
    for (key, value) in crate::parse_status(bytes) {
        let slot = match key {
            b"rchar" => &mut io.rchar,
            b"wchar" => &mut io.wchar,
            b"syscr" => &mut io.syscr,
            b"syscw" => &mut io.syscw,
            b"read_bytes" => &mut io.read_bytes,
            b"write_bytes" => &mut io.write_bytes,
            b"cancelled_write_bytes" => &mut io.cancelled_write_bytes,
            _ => continue,
        };
        *slot = parse_u64(value.trim_ascii()).ok_or(ParseError::Invalid("io counter"))?;
        seen += 1;
    }
    if seen < 7 {
        return Err(ParseError::Truncated("io counters"));
    }
    Ok(io)
}
