/// Splits `/proc/[pid]/status` into `(key, value)` pairs in file order. Lines without a ':'
/// (which the kernel never writes, but a truncated read can end in) are skipped; the value
/// has its leading tabs and spaces removed.
pub fn parse_status(bytes: &[u8]) -> Vec<(&[u8], &[u8])> {
    bytes
        .split(|b| *b == b'\n')
        .filter_map(|line| {
            let colon = line.iter().position(|b| *b == b':')?;
            let key = line.get(..colon)?;
            let value = line.get(colon + 1..)?;
            let start = value.iter().position(|b| *b != b'\t' && *b != b' ').unwrap_or(value.len());
            Some((key, value.get(start..).unwrap_or(&[])))
        })
        .filter(|(key, _)| !key.is_empty())
        .collect()
}
