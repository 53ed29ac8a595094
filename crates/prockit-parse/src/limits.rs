use crate::{parse_u64, ParseError};

/// One row of `/proc/[pid]/limits`: the kernel's name for the resource ("Max open files")
/// and its limits, `None` meaning "unlimited" (RLIM_INFINITY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit<'a> {
    pub name: &'a [u8],
    pub soft: Option<u64>,
    pub hard: Option<u64>,
}

// The kernel prints each row as "%-25s %-20s %-20s %-10s": fixed columns, because a value of
// 20 digits leaves a single space before the next one and names hold spaces themselves.
const SOFT_COLUMN: usize = 26;
const HARD_COLUMN: usize = 47;
const UNITS_COLUMN: usize = 68;

fn limit_value(field: &[u8]) -> Result<Option<u64>, ParseError> {
    match field.trim_ascii() {
        b"unlimited" => Ok(None),
        digits => parse_u64(digits).map(Some).ok_or(ParseError::Invalid("limit value")),
    }
}

/// Parses `/proc/[pid]/limits`, skipping its header line.
pub fn parse_limits(bytes: &[u8]) -> Result<Vec<Limit<'_>>, ParseError> {
    let mut rows = Vec::new();
    for line in bytes.split(|b| *b == b'\n').skip(1).filter(|l| !l.trim_ascii().is_empty()) {
        let name = line.get(..SOFT_COLUMN).ok_or(ParseError::Truncated("limit row"))?.trim_ascii();
        let soft = line.get(SOFT_COLUMN..HARD_COLUMN).ok_or(ParseError::Truncated("soft limit"))?;
        let hard = line.get(HARD_COLUMN..UNITS_COLUMN.min(line.len())).ok_or(ParseError::Truncated("hard limit"))?;
        rows.push(Limit { name, soft: limit_value(soft)?, hard: limit_value(hard)? });
    }
    Ok(rows)
}
