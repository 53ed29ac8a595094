use std::fmt;

/// Why a `/proc` file could not be parsed. Carries only static text: parsing hostile input
/// must not allocate in proportion to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// The file ended before a required part (a truncated read, or an empty file).
    Truncated(&'static str),
    /// A field was present but did not hold what it must (a number, a state letter…).
    Invalid(&'static str),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Truncated(what) => write!(f, "truncated: {what} missing"),
            ParseError::Invalid(what) => write!(f, "invalid {what}"),
        }
    }
}

impl std::error::Error for ParseError {}
