use crate::{parse_u64, ParseError};

/// One row of `/proc/net/unix`: a unix socket's inode (what `/proc/[pid]/fd/N` shows as
/// `socket:[INODE]`), the name it is bound to — a path, `@name` for an abstract name, empty
/// when unbound — and whether it listens (the `__SO_ACCEPTCON` flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnixSocketRow<'a> {
    pub inode: u64,
    pub path: &'a [u8],
    pub listening: bool,
}

/// `__SO_ACCEPTCON` in the Flags column: the socket listens.
const SO_ACCEPTCON: u64 = 1 << 16;

/// The hexadecimal columns after "Num:" (RefCount, Protocol, Flags, Type, St), as the kernel
/// prints them: "%08X %08X %08X %04X %02X".
const HEX_COLUMNS: [usize; 5] = [8, 8, 8, 4, 2];

fn parse_hex(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    digits.iter().try_fold(0u64, |value, b| Some(value << 4 | u64::from((*b as char).to_digit(16)?)))
}

/// One line after the header, or None when it is not a row the kernel could have written
/// (then it is the rest of a path that held a newline).
fn parse_row(line: &[u8]) -> Option<UnixSocketRow<'_>> {
    // "%pK: " — the socket's address, hashed or zeros.
    let colon = line.iter().position(|b| *b == b':')?;
    parse_hex(line.get(..colon)?)?;
    let mut rest = line.get(colon + 1..)?;
    let mut flags = 0;
    for (column, width) in HEX_COLUMNS.iter().enumerate() {
        let field = rest.strip_prefix(b" ")?;
        let value = parse_hex(field.get(..*width)?)?;
        if column == 2 {
            flags = value;
        }
        rest = field.get(*width..)?;
    }
    // " %5lu": the inode, right-aligned in at least five columns.
    let field = rest.strip_prefix(b" ")?;
    let start = field.iter().position(|b| *b != b' ')?;
    let digits_len = field.get(start..)?.iter().position(|b| !b.is_ascii_digit()).unwrap_or(field.len() - start);
    let inode = parse_u64(field.get(start..start + digits_len)?)?;
    // Then nothing, or one space and the name exactly as bound (spaces included).
    let path = match field.get(start + digits_len..)? {
        [] => &[][..],
        [b' ', name @ ..] => name,
        _ => return None,
    };
    Some(UnixSocketRow { inode, path, listening: flags & SO_ACCEPTCON != 0 })
}

/// Parses `/proc/net/unix` (or `/proc/[pid]/net/unix`) into its rows.
///
/// A bound name is printed raw, so a name holding a newline splits its row in two: the
/// line after it is not a row. Rows are therefore kept only when the line after them ends
/// cleanly in another row (or the file), a final line without its newline is a cut read and
/// left out, and an inode that appears twice (a forged row inside a name) is left out
/// entirely. Rows of inode 0 (connections not yet accepted) name no socket and are skipped.
pub fn parse_net_unix(bytes: &[u8]) -> Result<Vec<UnixSocketRow<'_>>, ParseError> {
    let newline = bytes.iter().position(|b| *b == b'\n').ok_or(ParseError::Truncated("header"))?;
    if !bytes.starts_with(b"Num ") {
        return Err(ParseError::Invalid("header"));
    }
    let body = bytes.get(newline + 1..).unwrap_or_default();
    // Complete lines only: what follows the last newline was cut off by the read.
    let complete = body.get(..body.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1)).unwrap_or_default();
    let parsed: Vec<Option<UnixSocketRow<'_>>> = complete.split(|b| *b == b'\n').map(parse_row).collect();
    // split() yields an empty piece after the final newline: it ends the file, not a path.
    let ends = parsed.len().saturating_sub(1);
    let mut rows: Vec<UnixSocketRow<'_>> = Vec::with_capacity(ends);
    for (index, row) in parsed.iter().enumerate().take(ends) {
        let next_is_row = index + 1 == ends || parsed.get(index + 1).is_some_and(Option::is_some);
        if let Some(row) = row.filter(|r| r.inode != 0 && next_is_row) {
            rows.push(row);
        }
    }
    let mut inodes: Vec<u64> = parsed.iter().flatten().map(|r| r.inode).collect();
    inodes.sort_unstable();
    let repeated = |inode: u64| {
        inodes.binary_search(&inode).is_ok_and(|at| inodes.get(at.wrapping_sub(1)) == Some(&inode) || inodes.get(at + 1) == Some(&inode))
    };
    rows.retain(|row| !repeated(row.inode));
    Ok(rows)
}

/// The inode of a socket fd from the target of its `/proc/[pid]/fd/N` link: `socket:[INODE]`.
/// Other targets (files, pipes, `anon_inode:…`) are `Invalid`.
pub fn parse_socket_link(bytes: &[u8]) -> Result<u64, ParseError> {
    let digits = bytes.strip_prefix(b"socket:[").and_then(|rest| rest.strip_suffix(b"]")).ok_or(ParseError::Invalid("socket link"))?;
    parse_u64(digits).ok_or(ParseError::Invalid("socket inode"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_and_without_names() {
        let file = b"Num       RefCount Protocol Flags    Type St Inode Path\n\
            0000000000000000: 00000002 00000000 00010000 0001 01 166820 /tmp/g/S.gpg-agent\n\
            0000000000000000: 00000003 00000000 00000000 0001 03  1590\n";
        assert_eq!(
            parse_net_unix(file),
            Ok(vec![
                UnixSocketRow { inode: 166820, path: b"/tmp/g/S.gpg-agent", listening: true },
                UnixSocketRow { inode: 1590, path: b"", listening: false },
            ])
        );
    }

    #[test]
    fn socket_links() {
        assert_eq!(parse_socket_link(b"socket:[158569]"), Ok(158569));
        assert!(parse_socket_link(b"pipe:[158555]").is_err());
        assert!(parse_socket_link(b"socket:[]").is_err());
        assert!(parse_socket_link(b"socket:[18446744073709551616]").is_err());
        assert!(parse_socket_link(b"/dev/null").is_err());
    }
}
