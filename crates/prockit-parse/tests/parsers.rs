//! The parsers against captured real files and hostile variants of them.

use prockit_parse::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn stat_of_init_captured_from_a_real_machine() {
    let bytes = fixture("stat-init");
    let stat = parse_stat(&bytes).unwrap();
    assert_eq!(stat.pid, 1);
    assert_eq!(stat.comm, b"process_api");
    assert_eq!(stat.state, b'S');
    assert_eq!((stat.ppid, stat.pgrp, stat.session), (0, 0, 0));
    assert_eq!(stat.starttime, 25);
    assert_eq!(stat.vsize, 40243200);
    assert_eq!(stat.rss, 2264);
    assert_eq!((stat.priority, stat.nice), (10, -10));
}

#[test]
fn stat_with_parentheses_and_spaces_in_comm() {
    let bytes = fixture("stat-paren-comm");
    let stat = parse_stat(&bytes).unwrap();
    assert_eq!(stat.comm, b"a) (b c");
    assert_eq!(stat.state, b'S');
    assert_eq!(stat.ppid, 2395);
    assert_eq!(stat.pgrp, 2386);
    assert_eq!(stat.session, 1436);
    assert_eq!(stat.starttime, 65176);
    assert_eq!(stat.rss, 422);

    let fields = split_stat_fields(&bytes).unwrap();
    assert_eq!(fields[0], b"2396");
    assert_eq!(fields[1], b"a) (b c");
    assert_eq!(fields[2], b"S");
    assert_eq!(fields.len(), 52);
}

#[test]
fn stat_comm_that_imitates_the_fields_after_it() {
    // A comm of 15 bytes written to look like the end of a stat line cannot move the fields.
    let line = b"77 (x) Z 1 1 1 0) R 5 6 7 0 -1 0 0 0 0 0 1 2 3 4 20 0 1 0 99 4096 3 0\n";
    let stat = parse_stat(line).unwrap();
    assert_eq!(stat.comm, b"x) Z 1 1 1 0");
    assert_eq!(stat.state, b'R');
    assert_eq!(stat.ppid, 5);
    assert_eq!(stat.starttime, 99);
}

#[test]
fn stat_comm_with_newline_and_bytes_that_are_not_utf8() {
    let mut line = b"9 (\n\xff\xfe)(\x01) S 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0".to_vec();
    line.push(b'\n');
    let stat = parse_stat(&line).unwrap();
    assert_eq!(stat.comm, b"\n\xff\xfe)(\x01");
    assert_eq!(stat.rss, 0);
}

#[test]
fn stat_every_truncation_is_an_error_not_a_panic() {
    let bytes = fixture("stat-paren-comm");
    // Cut inside the rss field or before it: must fail; cut after it: must parse.
    let rss_end = {
        let full = parse_stat(&bytes).unwrap();
        assert_eq!(full.rss, 422);
        let close = bytes.iter().rposition(|b| *b == b')').unwrap();
        let after: Vec<usize> = bytes[close..].iter().enumerate().filter(|(_, b)| **b == b' ').map(|(i, _)| close + i).collect();
        after[22] // the space after field (24) rss
    };
    for len in 0..bytes.len() {
        let result = parse_stat(&bytes[..len]);
        if len >= rss_end {
            assert!(result.is_ok(), "cut at {len}");
        } else if len < rss_end - 3 {
            assert!(result.is_err(), "cut at {len} parsed: {result:?}");
        }
    }
}

#[test]
fn stat_refuses_hostile_numbers_and_shapes() {
    let base = "1 (c) S 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 25 4096 3 0";
    assert!(parse_stat(base.as_bytes()).is_ok());
    let hostile = [
        base.replace("25 4096", "25 99999999999999999999999"),
        base.replace("S 0 0", "S 4294967296 0"),
        base.replace("1 (c)", "0 (c)"),
        base.replace("1 (c)", "-5 (c)"),
        base.replace("1 (c)", "(c)"),
        base.replace("(c)", "c)"),
        base.replace("(c)", ")c("),
        base.replace(" S ", " SS "),
        base.replace(" S ", " 1 "),
        base.replace(" 20 0 1 ", " 20 x 1 "),
        String::new(),
        "()".to_string(),
    ];
    for line in &hostile {
        assert!(parse_stat(line.as_bytes()).is_err(), "accepted {line:?}");
    }
}

#[test]
fn status_of_init() {
    let bytes = fixture("status-init");
    let fields = parse_status(&bytes);
    let get = |k: &[u8]| fields.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
    assert_eq!(get(b"Name"), Some(&b"process_api"[..]));
    assert_eq!(get(b"Pid"), Some(&b"1"[..]));
    assert_eq!(get(b"Uid"), Some(&b"0\t0\t0\t0"[..]));
    assert_eq!(fields.len(), 59);
}

#[test]
fn status_name_escapes_and_truncations() {
    let bytes = fixture("status-paren-comm");
    let fields = parse_status(&bytes);
    assert_eq!(fields[0], (&b"Name"[..], &b"a) (b c"[..]));
    for len in 0..bytes.len() {
        let _ = parse_status(&bytes[..len]); // never panics
    }
    assert_eq!(parse_status(b"no colon here\n:\tempty key\nKey:\n"), vec![(&b"Key"[..], &b""[..])]);
}

#[test]
fn cmdline_of_a_real_process_and_rewritten_ones() {
    let bytes = fixture("cmdline-sleep");
    assert_eq!(parse_cmdline(&bytes), vec![&b"./a) (b c"[..], &b"30"[..]]);
    assert!(parse_cmdline(b"").is_empty());
    assert_eq!(parse_cmdline(b"\0"), vec![&b""[..]], "found by proptest: argv = [\"\"]");
    assert_eq!(parse_cmdline(b"nginx: worker process"), vec![&b"nginx: worker process"[..]]);
    assert_eq!(parse_cmdline(b"a\0\0b\0"), vec![&b"a"[..], &b""[..], &b"b"[..]]);
    assert_eq!(parse_cmdline(b"\xff\xfe\0"), vec![&b"\xff\xfe"[..]]);
}

#[test]
fn environ_of_a_real_process_and_hostile_entries() {
    let bytes = fixture("environ-sleep");
    let env = parse_environ(&bytes);
    assert_eq!(env.len(), 4);
    assert_eq!(env[0], (&b"PATH"[..], &b"/usr/bin:/bin"[..]));
    assert_eq!(env[3], (&b"TERM"[..], &b"xterm"[..]));
    let hostile = parse_environ(b"A=1=2\0noequals\0=novalue\0B=\0\xff=\xfe\0TRUNC");
    assert_eq!(hostile, vec![(&b"A"[..], &b"1=2"[..]), (&b"B"[..], &b""[..]), (&b"\xff"[..], &b"\xfe"[..])]);
}

#[test]
fn uptime_captured() {
    let bytes = fixture("uptime");
    let uptime = parse_uptime(&bytes).unwrap();
    assert!(uptime > 0.0);
}

#[test]
fn statm_captured_and_hostile() {
    let statm = parse_statm(&fixture("statm-init")).unwrap();
    assert_eq!(statm, Statm { size: 10133, resident: 2495, shared: 1721, text: 1421, lib: 0, data: 8165, dirty: 0 });
    assert!(parse_statm(b"1 2 3 4 5 6").is_err());
    assert!(parse_statm(b"1 2 3 4 5 6 x").is_err());
    assert!(parse_statm(b"1 2 3 4 5 6 99999999999999999999").is_err());
    assert!(parse_statm(b"").is_err());
}

#[test]
fn smaps_rollup_and_smaps_sum_to_the_same_figures() {
    const KEYS: [&[u8]; 4] = [b"Pss", b"Private_Clean", b"Private_Dirty", b"Swap"];
    let rollup = sum_kb_fields(&fixture("smaps_rollup-sleep"), KEYS);
    assert_eq!(rollup, [549 * 1024, 104 * 1024, 108 * 1024, 0]);
    // smaps lists the same counters once per mapping (captured a moment later, so the
    // figures are its own: awk '$1=="Pss:" {s+=$2}' gives them).
    let smaps = sum_kb_fields(&fixture("smaps-sleep"), KEYS);
    assert_eq!(smaps, [514 * 1024, 32 * 1024, 108 * 1024, 0]);
    let hostile = b"Pss: 18446744073709551615 kB\nPss: 5 kB\nPss: 7 MB\nPss 9 kB\nPss:\n: 1 kB\n";
    assert_eq!(sum_kb_fields(hostile, [b"Pss"]), [u64::MAX]);
}

#[test]
fn io_captured_and_truncated() {
    let bytes = fixture("io-sleep");
    let io = parse_io(&bytes).unwrap();
    assert_eq!((io.rchar, io.syscr, io.write_bytes), (6976, 10, 0));
    let cut = bytes.iter().rposition(|b| *b == b'c').unwrap();
    assert!(parse_io(&bytes[..cut]).is_err());
    assert!(parse_io(b"rchar: -1\nwchar: 0\nsyscr: 0\nsyscw: 0\nread_bytes: 0\nwrite_bytes: 0\ncancelled_write_bytes: 0\n").is_err());
}

#[test]
fn status_extras_of_a_shell_with_umask_027_and_traps() {
    let extras = parse_status_extras(&fixture("status-sigmask")).unwrap();
    assert_eq!(extras.umask, Some(0o027));
    assert!(extras.groups.is_empty());
    // trap "" USR1 (10) on top of bash's own ignored SIGQUIT (3); trap "echo" USR2 (12).
    assert_eq!(signals_in_mask(extras.ignored), vec![3, 10]);
    assert!(signals_in_mask(extras.caught).contains(&12));
    assert_eq!(extras.pending, 0);
    let init = parse_status_extras(&fixture("status-init")).unwrap();
    assert_eq!(init.umask, Some(0o022));
}

#[test]
fn status_extras_refuse_hostile_values() {
    let base = "Umask:\t0022\nGroups:\t4 24 1000\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000010000\nSigIgn:\t0000000000000000\nSigCgt:\tffffffffffffffff\n";
    let extras = parse_status_extras(base.as_bytes()).unwrap();
    assert_eq!(extras.groups, vec![4, 24, 1000]);
    assert_eq!(signals_in_mask(extras.blocked), vec![17]);
    assert_eq!(signals_in_mask(extras.caught).len(), 64);
    for hostile in [
        base.replace("0022", "0999"),
        base.replace("0022", "7777"),
        base.replace("ffffffffffffffff", "1ffffffffffffffff"),
        base.replace("ffffffffffffffff", "xyz"),
        base.replace("4 24 1000", "4 -24"),
        base.replace("4 24 1000", "4294967296"),
        base.replace("SigCgt:\tffffffffffffffff\n", ""),
    ] {
        assert!(parse_status_extras(hostile.as_bytes()).is_err(), "accepted {hostile:?}");
    }
    // Before Linux 4.7 there is no Umask line.
    assert_eq!(parse_status_extras(base.replace("Umask:\t0022\n", "").as_bytes()).unwrap().umask, None);
}

#[test]
fn limits_captured_and_hostile() {
    let bytes = fixture("limits-bash");
    let rows = parse_limits(&bytes).unwrap();
    assert_eq!(rows.len(), 16);
    assert_eq!(rows[0], Limit { name: b"Max cpu time", soft: None, hard: None });
    let stack = rows.iter().find(|r| r.name == b"Max stack size").unwrap();
    assert_eq!(stack.soft, Some(8388608));
    assert!(rows.iter().any(|r| r.name == b"Max open files" && r.soft.is_some()));
    let wide = b"Limit                     Soft Limit           Hard Limit           Units     \nMax open files            18446744073709551615 18446744073709551615 files     \n";
    assert_eq!(parse_limits(wide).unwrap()[0].soft, Some(u64::MAX));
    for len in 0..bytes.len() {
        let _ = parse_limits(&bytes[..len]); // never panics
    }
    assert!(parse_limits(b"header\nMax open files            lots                 4096                 files\n").is_err());
    assert!(parse_limits(b"header\nMax open files   1\n").is_err());
}

#[test]
fn net_unix_captured_from_a_real_machine() {
    // A gpg-agent's four listening sockets, a dbus-daemon, a path with spaces (listening, one
    // connection not yet accepted: inode 0), an abstract datagram socket and unbound ones.
    let bytes = fixture("net-unix");
    let rows = parse_net_unix(&bytes).unwrap();
    assert_eq!(rows.len(), 12);
    let by_inode = |inode: u64| rows.iter().find(|r| r.inode == inode).copied();
    assert_eq!(by_inode(166820), Some(UnixSocketRow { inode: 166820, path: b"/tmp/g.2qDF/S.gpg-agent", listening: true }));
    assert_eq!(by_inode(166857).map(|r| r.path), Some(&b"/tmp/sock with spaces"[..]));
    assert_eq!(by_inode(166858).map(|r| (r.path, r.listening)), Some((&b"@abstract@name"[..], false)));
    assert_eq!(by_inode(1590).map(|r| r.path), Some(&b""[..]));
    assert!(by_inode(0).is_none(), "embryonic connections have no inode");
    assert_eq!(rows.iter().filter(|r| r.listening).count(), 6);
}

#[test]
fn net_unix_hostile_variants() {
    let bytes = fixture("net-unix");
    let text = String::from_utf8(bytes.clone()).unwrap();
    // Cut anywhere: never a panic; a cut row is left out, never half a path.
    for len in 0..bytes.len() {
        if let Ok(rows) = parse_net_unix(&bytes[..len]) {
            for row in rows {
                assert!(parse_net_unix(&bytes).unwrap().contains(&row), "cut at {len} made up {row:?}");
            }
        }
    }
    assert!(parse_net_unix(b"").is_err());
    assert!(parse_net_unix(b"Num       RefCount").is_err(), "a header without its newline is a cut read");
    assert!(parse_net_unix(b"garbage\n").is_err());
    assert_eq!(parse_net_unix(b"Num       RefCount Protocol Flags    Type St Inode Path\n").unwrap(), []);

    let header = "Num       RefCount Protocol Flags    Type St Inode Path\n";
    let row = |inode: &str, path: &str| format!("0000000000000000: 00000002 00000000 00010000 0001 01 {inode}{path}\n");
    let parse =
        |file: String| parse_net_unix(file.as_bytes()).map(|rows| rows.iter().map(|r| (r.inode, r.path.to_vec())).collect::<Vec<_>>());
    // Numbers too large for their columns or for u64 are not rows.
    assert_eq!(parse(format!("{header}{}", row("18446744073709551616", " /x"))).unwrap(), []);
    assert_eq!(parse(format!("{header}{}", row("18446744073709551615", " /x"))).unwrap(), [(u64::MAX, b"/x".to_vec())]);
    assert_eq!(parse(format!("{header}0000000000000000: 100000002 00000000 00010000 0001 01 7 /x\n")).unwrap(), []);
    assert_eq!(parse(format!("{header}0000000000000000: 0000000g 00000000 00010000 0001 01 7 /x\n")).unwrap(), []);
    assert_eq!(parse(format!("{header}{}", row("12a", " /x"))).unwrap(), []);
    // A name may begin with a space and hold several.
    assert_eq!(parse(format!("{header}{}", row("7", "  two  spaces "))).unwrap(), [(7, b" two  spaces ".to_vec())]);
    // A name with a newline: the row before the break is not trusted (its path goes on)...
    assert_eq!(parse(format!("{header}{}{}", row("7", " /tmp/a\nb"), row("8", " /y"))).unwrap(), [(8, b"/y".to_vec())]);
    // ...and a row forged inside a name cannot claim another socket's inode: both rows of
    // inode 9 go; the forger's own socket (7) keeps the part of its name before the newline.
    let forged = format!(
        "{header}{}{}",
        row("7", " /tmp/evil\n0000000000000000: 00000002 00000000 00010000 0001 01 9 /tmp/fake"),
        row("9", " /home/u/S.gpg-agent")
    );
    assert_eq!(parse(forged).unwrap(), [(7, b"/tmp/evil".to_vec())]);
    // The final line without its newline was cut: left out.
    assert_eq!(parse(format!("{header}{}{}", row("7", " /a"), row("8", " /b").trim_end())).unwrap(), [(7, b"/a".to_vec())]);
    // Bytes that are not UTF-8 stay bytes.
    let mut raw = format!("{header}0000000000000000: 00000002 00000000 00010000 0001 01 7 /tmp/").into_bytes();
    raw.extend_from_slice(b"\xff\xfe\n");
    assert_eq!(parse_net_unix(&raw).unwrap()[0].path, b"/tmp/\xff\xfe");
    assert!(text.contains("S.gpg-agent"));
}

#[test]
fn socket_link_targets() {
    assert_eq!(parse_socket_link(b"socket:[166820]"), Ok(166820));
    for hostile in [&b"socket:[166820"[..], b"socket:166820]", b"socket:[-1]", b"socket:[ 1]", b"anon_inode:[eventpoll]", b""] {
        assert!(parse_socket_link(hostile).is_err(), "accepted {hostile:?}");
    }
}
