/// Splits `/proc/[pid]/cmdline` into its arguments. The kernel ends each one with a NUL;
/// a process that rewrote its command line may leave the final NUL out, which is accepted.
/// An empty file (a kernel thread, a zombie) has no arguments; "\0" is one empty argument.
pub fn parse_cmdline(bytes: &[u8]) -> Vec<&[u8]> {
    if bytes.is_empty() {
        return Vec::new();
    }
    let body = bytes.strip_suffix(b"\0").unwrap_or(bytes);
    body.split(|b| *b == 0).collect()
}

/// Splits `/proc/[pid]/environ` into `(name, value)` pairs at each entry's first '='.
/// Entries without '=' or with an empty name cannot be set by `execve` callers that follow
/// POSIX, and are skipped, as Python's proc does.
pub fn parse_environ(bytes: &[u8]) -> Vec<(&[u8], &[u8])> {
    bytes
        .split(|b| *b == 0)
        .filter_map(|entry| {
            let eq = entry.iter().position(|b| *b == b'=')?;
            let name = entry.get(..eq)?;
            let value = entry.get(eq + 1..)?;
            (!name.is_empty()).then_some((name, value))
        })
        .collect()
}
