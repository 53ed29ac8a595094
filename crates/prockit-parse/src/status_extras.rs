use crate::{parse_status, parse_u64, ParseError};

/// What psutil-extra reads from `/proc/[pid]/status`: the umask (Linux 4.7+; `None` before),
/// the supplementary groups, and the signal sets as bit masks (bit n-1 is signal n).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusExtras {
    pub umask: Option<u32>,
    pub groups: Vec<u32>,
    /// SigPnd: pending for the thread.
    pub pending: u64,
    /// ShdPnd: pending for the whole process.
    pub process_pending: u64,
    pub blocked: u64,
    pub ignored: u64,
    pub caught: u64,
}

fn hex_mask(value: &[u8]) -> Result<u64, ParseError> {
    let digits = value.trim_ascii();
    // 16 hex digits on 64-bit signal sets; more would overflow.
    if digits.is_empty() || digits.len() > 16 {
        return Err(ParseError::Invalid("signal mask"));
    }
    digits.iter().try_fold(0u64, |acc, b| {
        let digit = char::from(*b).to_digit(16).ok_or(ParseError::Invalid("signal mask"))?;
        Ok(acc << 4 | u64::from(digit))
    })
}

fn octal(value: &[u8]) -> Result<u32, ParseError> {
    let digits = value.trim_ascii();
    if digits.is_empty() || digits.len() > 11 {
        return Err(ParseError::Invalid("umask"));
    }
    let parsed = digits.iter().try_fold(0u32, |acc, b| match b {
        b'0'..=b'7' => acc.checked_mul(8).map(|v| v | u32::from(b - b'0')),
        _ => None,
    });
    parsed.filter(|v| *v <= 0o777).ok_or(ParseError::Invalid("umask"))
}

/// Parses the umask, groups and signal-set lines of `/proc/[pid]/status`. The signal sets
/// and Groups line must be there (every kernel since 2.6 writes them).
pub fn parse_status_extras(bytes: &[u8]) -> Result<StatusExtras, ParseError> {
    let mut extras = StatusExtras::default();
    let mut masks_seen = 0;
    let mut groups_seen = false;
    for (key, value) in parse_status(bytes) {
        match key {
            b"Umask" => extras.umask = Some(octal(value)?),
            b"Groups" => {
                groups_seen = true;
                for word in value.split(|b| b.is_ascii_whitespace()).filter(|w| !w.is_empty()) {
                    let gid = parse_u64(word).and_then(|v| u32::try_from(v).ok()).ok_or(ParseError::Invalid("group id"))?;
                    extras.groups.push(gid);
                }
            }
            b"SigPnd" | b"ShdPnd" | b"SigBlk" | b"SigIgn" | b"SigCgt" => {
                let mask = hex_mask(value)?;
                masks_seen += 1;
                match key {
                    b"SigPnd" => extras.pending = mask,
                    b"ShdPnd" => extras.process_pending = mask,
                    b"SigBlk" => extras.blocked = mask,
                    b"SigIgn" => extras.ignored = mask,
                    _ => extras.caught = mask,
                }
            }
            _ => {}
        }
    }
    if masks_seen < 5 || !groups_seen {
        return Err(ParseError::Truncated("signal masks or groups"));
    }
    Ok(extras)
}

/// The signal numbers whose bits are set in a status mask, ascending.
pub fn signals_in_mask(mask: u64) -> Vec<u32> {
    (1..=64u32).filter(|n| mask & (1u64 << (n - 1)) != 0).collect()
}
