//! Property tests for every parser (proptest, run by `cargo test`): arbitrary bytes, and
//! mutations of the captured real files (flipped bytes, cuts, insertions, huge numbers),
//! never panic; structured inputs parse back exactly. PROPTEST_CASES raises the count for
//! a long run (the default here is 256 per property).

use prockit_parse::*;
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap_or_default()
}

const FIXTURES: &[&str] = &[
    "stat-init",
    "stat-paren-comm",
    "status-init",
    "status-paren-comm",
    "status-sigmask",
    "cmdline-sleep",
    "environ-sleep",
    "uptime",
    "statm-init",
    "smaps_rollup-sleep",
    "io-sleep",
    "limits-bash",
    "net-unix",
];

/// Runs every parser on `bytes`; the point is that none panics (results are allowed to be errors).
fn parse_everything(bytes: &[u8]) {
    let _ = parse_stat(bytes);
    let _ = split_stat_fields(bytes);
    let _ = parse_status(bytes);
    let _ = parse_status_extras(bytes);
    let _ = parse_cmdline(bytes);
    let _ = parse_environ(bytes);
    let _ = parse_uptime(bytes);
    let _ = parse_statm(bytes);
    let _ = sum_kb_fields(bytes, [b"Pss", b"Swap"]);
    let _ = parse_io(bytes);
    let _ = parse_limits(bytes);
    let _ = parse_net_unix(bytes);
    let _ = parse_socket_link(bytes);
    if let Ok(extras) = parse_status_extras(bytes) {
        assert!(signals_in_mask(extras.caught).len() <= 64);
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Cut(usize),
    Insert(usize, Vec<u8>),
    HugeNumber(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip(at, byte)),
        any::<usize>().prop_map(Mutation::Cut),
        (
            any::<usize>(),
            prop::collection::vec(prop_oneof![Just(b')'), Just(b'('), Just(b' '), Just(b'\n'), Just(b':'), Just(0u8), any::<u8>()], 0..24)
        )
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        any::<usize>().prop_map(Mutation::HugeNumber),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len().max(1);
        match m {
            Mutation::Flip(at, byte) => {
                if let Some(b) = bytes.get_mut(at % len) {
                    *b = *byte;
                }
            }
            Mutation::Cut(at) => bytes.truncate(at % len),
            Mutation::Insert(at, extra) => {
                let at = (at % len).min(bytes.len());
                bytes.splice(at..at, extra.iter().copied());
            }
            Mutation::HugeNumber(at) => {
                let at = (at % len).min(bytes.len());
                bytes.splice(at..at, b"184467440737095516169999".iter().copied());
            }
        }
    }
    bytes
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        parse_everything(&bytes);
    }

    #[test]
    fn mutated_real_files_never_panic(which in 0..FIXTURES.len(), mutations in prop::collection::vec(mutation(), 1..8)) {
        parse_everything(&apply(fixture(FIXTURES[which]), &mutations));
    }

    #[test]
    fn any_comm_of_up_to_15_bytes_is_read_back_exactly(
        comm in prop::collection::vec(prop_oneof![Just(b')'), Just(b'('), Just(b' '), Just(b'\n'), 1u8..=255], 0..=15),
        pid in 1i32..=4194304,
        ppid in 0i32..=4194304,
        starttime in any::<u64>(),
    ) {
        let mut line = format!("{pid} (").into_bytes();
        line.extend_from_slice(&comm);
        line.extend_from_slice(format!(") S {ppid} 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 {starttime} 4096 3 0\n").as_bytes());
        let stat = parse_stat(&line).unwrap();
        prop_assert_eq!(stat.comm, &comm[..]);
        prop_assert_eq!(stat.pid, pid);
        prop_assert_eq!(stat.ppid, ppid);
        prop_assert_eq!(stat.starttime, starttime);
        let fields = split_stat_fields(&line).unwrap();
        prop_assert_eq!(fields[1], &comm[..]);
    }

    #[test]
    fn cmdline_and_environ_round_trip(args in prop::collection::vec(prop::collection::vec(1u8..=255, 0..40), 1..12)) {
        let mut bytes = Vec::new();
        for arg in &args {
            bytes.extend_from_slice(arg);
            bytes.push(0);
        }
        let parsed = parse_cmdline(&bytes);
        let expected: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        prop_assert_eq!(parsed, expected);
        // Every entry of the environment that has a name and '=' comes back split at the first '='.
        for (name, value) in parse_environ(&bytes) {
            prop_assert!(!name.is_empty());
            prop_assert!(!name.contains(&b'='));
            let mut entry = name.to_vec();
            entry.push(b'=');
            entry.extend_from_slice(value);
            prop_assert!(args.contains(&entry));
        }
    }

    #[test]
    fn net_unix_rows_without_newlines_read_back_exactly(
        rows in prop::collection::vec((1u64.., prop::collection::vec(prop_oneof![Just(b' '), Just(b'@'), 1u8..=255], 0..40), any::<bool>()), 0..16),
    ) {
        let mut file = b"Num       RefCount Protocol Flags    Type St Inode Path\n".to_vec();
        let mut expected = Vec::new();
        for (i, (inode, path, listening)) in rows.iter().enumerate() {
            let path: Vec<u8> = path.iter().copied().filter(|b| *b != b'\n').collect();
            let inode = inode.wrapping_add(i as u64 * 1_000_003).max(1); // distinct, non-zero
            if expected.iter().any(|(seen, _, _)| *seen == inode) {
                continue;
            }
            let flags = if *listening { "00010000" } else { "00000000" };
            file.extend_from_slice(format!("00000000deadbeef: 00000002 00000000 {flags} 0001 01 {inode:5}").as_bytes());
            if !path.is_empty() {
                file.push(b' ');
                file.extend_from_slice(&path);
            }
            file.push(b'\n');
            expected.push((inode, path, *listening));
        }
        let parsed: Vec<(u64, Vec<u8>, bool)> = parse_net_unix(&file).unwrap().iter().map(|r| (r.inode, r.path.to_vec(), r.listening)).collect();
        prop_assert_eq!(parsed, expected);
    }
}
