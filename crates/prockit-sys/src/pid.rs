use std::fmt;

/// A process id that can name one process: always ≥ 1. Zero and negative values mean
/// "my group" or "every process" to kill(2) and are refused at construction, so no call
/// in this crate can reach them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pid(i32);

impl Pid {
    pub fn new(raw: i32) -> Option<Pid> {
        (raw >= 1).then_some(Pid(raw))
    }

    pub fn get(self) -> i32 {
        self.0
    }

    pub(crate) fn as_nix(self) -> nix::unistd::Pid {
        nix::unistd::Pid::from_raw(self.0)
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::Pid;

    #[test]
    fn refuses_targets_that_are_not_one_process() {
        assert!(Pid::new(0).is_none());
        assert!(Pid::new(-1).is_none());
        assert!(Pid::new(i32::MIN).is_none());
        assert_eq!(Pid::new(1).map(Pid::get), Some(1));
    }
}
