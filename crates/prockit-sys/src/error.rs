use std::fmt;
use std::path::PathBuf;

use nix::errno::Errno;
use prockit_parse::ParseError;

use crate::Pid;

/// Everything that can go wrong in prockit-sys. The variants are the ones a caller acts on
/// differently; the binding turns each into a Node-style error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The process does not exist (any more), or its pid now names another process.
    NoSuchProcess { pid: Pid, syscall: &'static str },
    /// The kernel refused: EPERM or EACCES.
    PermissionDenied { pid: Option<Pid>, errno: Errno, syscall: &'static str },
    /// A /proc file was read whole but could not be parsed (a truncated or hostile file).
    Incomplete { pid: Option<Pid>, file: &'static str, reason: ParseError },
    /// Any other failure of a system call.
    Io { errno: Errno, syscall: &'static str, pid: Option<Pid> },
    /// A system call about a file failed (chdir, open, execve): the path is part of the story.
    File { errno: Errno, syscall: &'static str, path: PathBuf },
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Sorts an errno from a call about `pid` into the variant a caller acts on.
    pub fn from_errno(errno: Errno, syscall: &'static str, pid: Option<Pid>) -> Error {
        match (errno, pid) {
            // A /proc/[pid] entry that vanished reads as ENOENT, or ESRCH once opened.
            (Errno::ESRCH | Errno::ENOENT, Some(pid)) => Error::NoSuchProcess { pid, syscall },
            (Errno::EPERM | Errno::EACCES, _) => Error::PermissionDenied { pid, errno, syscall },
            _ => Error::Io { errno, syscall, pid },
        }
    }

    /// The Node-style code (`'ESRCH'`, `'EPERM'`, …) for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NoSuchProcess { .. } => "ESRCH",
            Error::PermissionDenied { errno, .. } | Error::Io { errno, .. } | Error::File { errno, .. } => errno_name(*errno),
            Error::Incomplete { .. } => "EBADMSG",
        }
    }

    pub fn syscall(&self) -> &'static str {
        match self {
            Error::NoSuchProcess { syscall, .. }
            | Error::PermissionDenied { syscall, .. }
            | Error::Io { syscall, .. }
            | Error::File { syscall, .. } => syscall,
            Error::Incomplete { .. } => "read",
        }
    }

    pub fn pid(&self) -> Option<Pid> {
        match self {
            Error::NoSuchProcess { pid, .. } => Some(*pid),
            Error::PermissionDenied { pid, .. } | Error::Io { pid, .. } | Error::Incomplete { pid, .. } => *pid,
            Error::File { .. } => None,
        }
    }

    /// True when the process is simply gone: bulk reads skip such processes.
    pub fn is_gone(&self) -> bool {
        matches!(self, Error::NoSuchProcess { .. })
    }
}

/// The errno's name as Node spells it ("ENOENT"): nix's variant name, interned once per errno
/// for the life of the process (there are fewer than 140 of them).
fn errno_name(errno: Errno) -> &'static str {
    // Linux's EOPNOTSUPP and ENOTSUP are one number; Node calls it ENOTSUP.
    if errno == Errno::EOPNOTSUPP {
        return "ENOTSUP";
    }
    static NAMES: std::sync::Mutex<Vec<(Errno, &'static str)>> = std::sync::Mutex::new(Vec::new());
    let Ok(mut names) = NAMES.lock() else { return "EIO" };
    if let Some((_, name)) = names.iter().find(|(e, _)| *e == errno) {
        return name;
    }
    let name: &'static str = Box::leak(format!("{errno:?}").into_boxed_str());
    names.push((errno, name));
    name
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Reads like Node's own errors: "kill: no such process (pid 42)".
        let syscall = self.syscall();
        let what = match self {
            Error::NoSuchProcess { .. } => "no such process".to_string(),
            Error::PermissionDenied { errno, .. } | Error::Io { errno, .. } => errno.desc().to_lowercase(),
            // As Node's fs errors: "chdir: no such file or directory, '/nope'".
            Error::File { errno, path, .. } => return write!(f, "{syscall}: {}, '{}'", errno.desc().to_lowercase(), path.display()),
            Error::Incomplete { file, reason, .. } => format!("cannot parse /proc/[pid]/{file}: {reason}"),
        };
        match self.pid() {
            Some(pid) => write!(f, "{syscall}: {what} (pid {pid})"),
            None => write!(f, "{syscall}: {what}"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_errno_names_node_uses() {
        for (errno, name) in [(Errno::ENOENT, "ENOENT"), (Errno::EDQUOT, "EDQUOT"), (Errno::EXDEV, "EXDEV"), (Errno::EOPNOTSUPP, "ENOTSUP")]
        {
            assert_eq!(Error::Io { errno, syscall: "open", pid: None }.code(), name);
        }
        assert_eq!(Error::from_errno(Errno::ESRCH, "kill", Pid::new(5)).code(), "ESRCH");
        assert_eq!(Error::from_errno(Errno::EACCES, "open", Pid::new(5)).code(), "EACCES");
    }
}
