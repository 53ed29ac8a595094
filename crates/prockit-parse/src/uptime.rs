use crate::ParseError;

/// Parses `/proc/uptime` ("12345.67 23456.78\n"): the first number, seconds since boot.
pub fn parse_uptime(bytes: &[u8]) -> Result<f64, ParseError> {
    let first = bytes.split(|b| b.is_ascii_whitespace()).find(|word| !word.is_empty()).ok_or(ParseError::Truncated("uptime"))?;
    // Only digits and one '.': keeps "inf", "nan" and exponents (which f64 parsing accepts) out.
    let well_formed = first.iter().all(|b| b.is_ascii_digit() || *b == b'.')
        && first.iter().filter(|b| **b == b'.').count() <= 1
        && first.iter().any(u8::is_ascii_digit);
    if !well_formed {
        return Err(ParseError::Invalid("uptime"));
    }
    std::str::from_utf8(first).ok().and_then(|text| text.parse::<f64>().ok()).ok_or(ParseError::Invalid("uptime"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_first_number() {
        assert_eq!(parse_uptime(b"350735.47 234388.90\n"), Ok(350735.47));
        assert_eq!(parse_uptime(b"12\n"), Ok(12.0));
    }

    #[test]
    fn refuses_hostile_input() {
        assert!(parse_uptime(b"").is_err());
        assert!(parse_uptime(b"   \n").is_err());
        assert!(parse_uptime(b"inf 1").is_err());
        assert!(parse_uptime(b"1e9 1").is_err());
        assert!(parse_uptime(b"1.2.3 1").is_err());
        assert!(parse_uptime(b". 1").is_err());
    }
}
