use nix::unistd::{Gid, Group, Uid, User};

/// The name of user `uid` from the password database, or `None` when it has no entry.
pub fn uid_to_name(uid: u32) -> Option<String> {
    User::from_uid(Uid::from_raw(uid)).ok().flatten().map(|user| user.name)
}

/// The name of group `gid` from the group database, or `None` when it has no entry.
pub fn gid_to_name(gid: u32) -> Option<String> {
    Group::from_gid(Gid::from_raw(gid)).ok().flatten().map(|group| group.name)
}
