//! Tests of the host port pool.

use super::*;

/// A loopback port that some other socket holds for as long as the listener lives.
fn occupied() -> (TcpListener, u16) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind ephemeral port");
    let port = listener.local_addr().expect("local addr").port();
    (listener, port)
}

/// A small range of currently bindable ports: the range around an ephemeral port just
/// released (sampled, so the test fails loudly rather than flakes if the host is busy).
fn free_range(len: u16) -> RangeInclusive<u16> {
    for _ in 0..50 {
        let (listener, port) = occupied();
        drop(listener);
        let Some(last) = port.checked_add(len - 1) else {
            continue;
        };
        if (port..=last).all(bindable) {
            return port..=last;
        }
    }
    panic!("no free range of {len} ports found");
}

#[test]
fn preferred_port_is_honoured_when_free() {
    let range = free_range(4);
    let wanted = *range.start() + 2;
    let mut pool = PortPool::new(range);
    assert_eq!(pool.allocate(Some(wanted)), Ok(wanted));
    assert!(pool.is_taken(wanted));
}

#[test]
fn preferred_port_falls_back_when_unusable() {
    let range = free_range(3);
    let (first, last) = (*range.start(), *range.end());
    let mut pool = PortPool::new(range);
    let cases: [(&str, Option<u16>); 3] = [
        ("outside the range", Some(last.wrapping_add(10))),
        ("none", None),
        ("already handed out", Some(first)),
    ];
    let mut seen = BTreeSet::new();
    for (name, preferred) in cases {
        let port = pool
            .allocate(preferred)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            (first..=last).contains(&port),
            "{name}: {port} outside range"
        );
        assert!(seen.insert(port), "{name}: {port} handed out twice");
    }
}

#[test]
fn port_bound_by_another_program_is_skipped() {
    let (listener, port) = occupied();
    let mut pool = PortPool::new(port..=port);
    let err = pool
        .allocate(Some(port))
        .expect_err("bound port must not be handed out");
    assert_eq!(err.range, format!("{port}-{port}"));
    drop(listener);
    assert_eq!(pool.allocate(Some(port)), Ok(port));
}

#[test]
fn exhaustion_reports_the_range() {
    let range = free_range(2);
    let (first, last) = (*range.start(), *range.end());
    let mut pool = PortPool::new(range);
    let mut got = [pool.allocate(None).ok(), pool.allocate(None).ok()];
    got.sort();
    assert_eq!(got, [Some(first), Some(last)]);
    let err = pool.allocate(None).expect_err("pool of two is exhausted");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("no free port left in {first}-{last}: ")),
        "{msg}"
    );
    assert!(msg.contains("widen the host port range"), "{msg}");
}

#[test]
fn empty_range_is_always_exhausted() {
    #[allow(clippy::reversed_empty_ranges)]
    let mut pool = PortPool::new(30001..=30000);
    assert!(pool.allocate(None).is_err());
    assert!(pool.allocate(Some(30000)).is_err());
}

#[test]
fn released_port_is_reused() {
    let range = free_range(2);
    let mut pool = PortPool::new(range);
    let a = pool.allocate(None).expect("first");
    let b = pool.allocate(None).expect("second");
    assert!(pool.allocate(None).is_err());
    pool.release(a);
    assert!(!pool.is_taken(a));
    assert_eq!(pool.allocate(None), Ok(a));
    pool.release(b);
    assert_eq!(pool.allocate(Some(b)), Ok(b));
}

#[test]
fn reserve_marks_ports_in_use() {
    let range = free_range(2);
    let (first, last) = (*range.start(), *range.end());
    let mut pool = PortPool::new(range);
    assert!(pool.reserve(first));
    assert!(
        !pool.reserve(first),
        "second reservation reports the port taken"
    );
    assert_eq!(pool.allocate(Some(first)), Ok(last));
    assert!(pool.allocate(None).is_err());
}
