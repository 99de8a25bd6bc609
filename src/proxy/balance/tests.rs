//! Tests of endpoint choice; outlier detection and updates are in `outlier`, circuit breakers
//! in `pool`.

mod outlier;
mod pool;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::*;
use crate::routes::{ClusterPolicy, Endpoint, HashKey, LbPolicy};

pub(super) fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

pub(super) fn endpoint(port: u16, ready: bool) -> Endpoint {
    Endpoint {
        address: addr(port),
        sidecar_inbound: None,
        pod: Some(("default".into(), format!("pod-{port}"))),
        labels: BTreeMap::new(),
        ready,
    }
}

pub(super) fn endpoints(ports: &[u16]) -> Vec<Endpoint> {
    ports.iter().map(|&port| endpoint(port, true)).collect()
}

pub(super) fn lb(lb: LbPolicy) -> ClusterPolicy {
    ClusterPolicy {
        lb,
        ..ClusterPolicy::default()
    }
}

fn header() -> LbPolicy {
    LbPolicy::ConsistentHash(HashKey::Header("x-user".into()))
}

/// Port of each of `n` picks, each released right away.
fn ports(balancer: &Balancer, key: Option<&str>, n: usize) -> Vec<u16> {
    let now = Instant::now();
    (0..n)
        .map(|_| {
            let pick = balancer.pick(key, now, &[]).expect("a ready endpoint");
            pick.endpoint.address.port()
        })
        .collect()
}

fn counts(ports: &[u16]) -> HashMap<u16, usize> {
    let mut counts = HashMap::new();
    for port in ports {
        *counts.entry(*port).or_default() += 1;
    }
    counts
}

#[test]
fn balancer_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Balancer>();
    check::<Pick>();
    check::<RequestGuard>();
    check::<RetryGuard>();
}

#[test]
fn round_robin_cycles_over_ready_endpoints() {
    // (endpoints as (port, ready), ports picked in order)
    type Case = (&'static [(u16, bool)], &'static [u16]);
    let cases: &[Case] = &[
        (&[(1, true), (2, true), (3, true)], &[1, 2, 3, 1, 2, 3, 1]),
        (&[(1, true), (2, false), (3, true)], &[1, 3, 1, 3, 1]),
        (&[(1, true)], &[1, 1, 1]),
    ];
    for (set, expected) in cases {
        let set: Vec<Endpoint> = set
            .iter()
            .map(|&(port, ready)| endpoint(port, ready))
            .collect();
        let balancer = Balancer::new(&lb(LbPolicy::RoundRobin), &set);
        assert_eq!(ports(&balancer, None, expected.len()), *expected, "{set:?}");
    }
}

#[test]
fn random_and_least_request_spread_evenly() {
    for policy in [LbPolicy::Random, LbPolicy::LeastRequest, header()] {
        for seed in [1, 2, 3] {
            let balancer = Balancer::with_seed(&lb(policy.clone()), &endpoints(&[1, 2, 3]), seed);
            // Without a key, consistent hashing picks at random too.
            let counts = counts(&ports(&balancer, None, 3000));
            assert_eq!(counts.len(), 3, "{policy:?}");
            for (port, count) in counts {
                // Expected 1000 each, σ ≈ 26.
                assert!(
                    (850..=1150).contains(&count),
                    "{policy:?} seed {seed}: {port} got {count}"
                );
            }
        }
    }
}

#[test]
fn least_request_with_requests_held_stays_level() {
    let balancer = Balancer::with_seed(&lb(LbPolicy::LeastRequest), &endpoints(&[1, 2, 3]), 7);
    let now = Instant::now();
    let held: Vec<Pick> = (0..3000)
        .map(|_| balancer.pick(None, now, &[]).expect("pick"))
        .collect();
    let active: Vec<u32> = balancer
        .status(now)
        .iter()
        .map(|s| s.active_requests)
        .collect();
    let (min, max) = (active.iter().min().copied(), active.iter().max().copied());
    assert!(
        max.zip(min).is_some_and(|(max, min)| max - min <= 2),
        "{active:?}"
    );
    assert_eq!(active.iter().sum::<u32>(), 3000);
    drop(held);
    let active: Vec<u32> = balancer
        .status(now)
        .iter()
        .map(|s| s.active_requests)
        .collect();
    assert_eq!(active, [0, 0, 0]);
}

#[test]
fn least_request_prefers_idle_endpoints() {
    let balancer = Balancer::with_seed(&lb(LbPolicy::LeastRequest), &endpoints(&[1, 2, 3]), 11);
    let now = Instant::now();
    // Make 1 busy (2 in flight) and 2 less so (1 in flight); 3 stays idle.
    let busy: Vec<Pick> = (0..2)
        .map(|_| balancer.pick(None, now, &[addr(2), addr(3)]).expect("pick"))
        .chain(balancer.pick(None, now, &[addr(1), addr(3)]))
        .collect();
    let ports_held: Vec<u16> = busy.iter().map(|p| p.endpoint.address.port()).collect();
    assert_eq!(ports_held, [1, 1, 2]);
    let counts = counts(&ports(&balancer, None, 600));
    // Two distinct choices never leave the busiest endpoint as the less loaded one.
    assert_eq!(counts.get(&1), None);
    // 3 wins against both others, 2 only against 1: 2 of 3 pairs go to 3.
    let (two, three) = (
        counts.get(&2).copied().unwrap_or(0),
        counts.get(&3).copied().unwrap_or(0),
    );
    assert!(
        (130..=270).contains(&two) && three == 600 - two,
        "{counts:?}"
    );

    // With two endpoints the idle one always wins.
    let balancer = Balancer::new(&lb(LbPolicy::LeastRequest), &endpoints(&[1, 2]));
    let _busy = balancer.pick(None, now, &[addr(2)]).expect("pick");
    assert!(ports(&balancer, None, 100).iter().all(|&port| port == 2));
}

#[test]
fn consistent_hash_is_stable_and_spreads_keys() {
    let balancer = Balancer::new(&lb(header()), &endpoints(&[1, 2, 3]));
    let keys: Vec<String> = (0..100).map(|i| format!("user-{i}")).collect();
    let first: Vec<u16> = keys
        .iter()
        .map(|key| ports(&balancer, Some(key), 1)[0])
        .collect();
    for (key, port) in keys.iter().zip(&first) {
        assert!(
            ports(&balancer, Some(key), 5).iter().all(|p| p == port),
            "{key}"
        );
    }
    for (port, count) in counts(&first) {
        // Expected 33 each, σ ≈ 4.7.
        assert!((15..=55).contains(&count), "{port} got {count} of 100 keys");
    }
    assert_eq!(counts(&first).len(), 3);

    // A fresh balancer with the same set agrees: the hash does not depend on process state.
    let other = Balancer::new(&lb(header()), &endpoints(&[3, 1, 2]));
    let again: Vec<u16> = keys
        .iter()
        .map(|key| ports(&other, Some(key), 1)[0])
        .collect();
    assert_eq!(again, first);

    // Removing an endpoint moves only its keys.
    balancer.update(&lb(header()), &endpoints(&[1, 3]));
    for (key, port) in keys.iter().zip(&first) {
        let now = ports(&balancer, Some(key), 1)[0];
        if *port == 2 {
            assert_ne!(now, 2, "{key}");
        } else {
            assert_eq!(now, *port, "{key}");
        }
    }
}

#[test]
fn consistent_hash_keys_per_source() {
    let cases = [
        HashKey::Header("x-user".into()),
        HashKey::Query("user".into()),
        HashKey::SourceIp,
        HashKey::Cookie {
            name: "session".into(),
            path: "/".into(),
            ttl: None,
        },
    ];
    for hash_key in cases {
        let balancer = Balancer::new(
            &lb(LbPolicy::ConsistentHash(hash_key.clone())),
            &endpoints(&[1, 2, 3]),
        );
        let spread = counts(
            &(0..60)
                .map(|i| ports(&balancer, Some(&format!("10.0.0.{i}")), 1)[0])
                .collect::<Vec<_>>(),
        );
        assert_eq!(spread.len(), 3, "{hash_key:?}");
        let pick = balancer
            .pick(Some("10.0.0.1"), Instant::now(), &[])
            .expect("pick");
        assert_eq!(pick.set_cookie, None, "{hash_key:?}");
    }
}

#[test]
fn consistent_hash_retry_moves_to_next_best_only() {
    let balancer = Balancer::new(&lb(header()), &endpoints(&[1, 2, 3]));
    let now = Instant::now();
    let home = balancer
        .pick(Some("alice"), now, &[])
        .expect("pick")
        .endpoint
        .address;
    let retry = balancer
        .pick(Some("alice"), now, &[home])
        .expect("pick")
        .endpoint
        .address;
    assert_ne!(retry, home);
    // The fallback is stable too, and excluding everything still yields the home endpoint.
    let again = balancer
        .pick(Some("alice"), now, &[home])
        .expect("pick")
        .endpoint
        .address;
    assert_eq!(again, retry);
    let all = [addr(1), addr(2), addr(3)];
    assert_eq!(
        balancer
            .pick(Some("alice"), now, &all)
            .expect("pick")
            .endpoint
            .address,
        home
    );
}

#[test]
fn cookie_is_generated_when_missing() {
    let cookie = |ttl: Option<Duration>, path: &str| {
        lb(LbPolicy::ConsistentHash(HashKey::Cookie {
            name: "user".into(),
            path: path.into(),
            ttl,
        }))
    };
    // (policy, expected Set-Cookie with the value replaced by VALUE)
    let cases = [
        (
            cookie(Some(Duration::from_secs(60)), "/"),
            Some("user=\"VALUE\"; Max-Age=60; Path=/; HttpOnly"),
        ),
        (
            cookie(Some(Duration::from_millis(90_500)), "/api"),
            Some("user=\"VALUE\"; Max-Age=90; Path=/api; HttpOnly"),
        ),
        (
            cookie(Some(Duration::ZERO), ""),
            Some("user=\"VALUE\"; HttpOnly"),
        ),
        (cookie(None, "/"), None),
    ];
    let now = Instant::now();
    for (policy, expected) in cases {
        let balancer = Balancer::new(&policy, &endpoints(&[1, 2, 3]));
        for missing in [None, Some(""), Some("\"\"")] {
            let pick = balancer.pick(missing, now, &[]).expect("pick");
            let Some(set_cookie) = pick.set_cookie else {
                assert_eq!(expected, None);
                continue;
            };
            let value = set_cookie
                .strip_prefix("user=\"")
                .and_then(|rest| rest.split('"').next())
                .expect("quoted value");
            assert!(
                value.len() == 16 && value.bytes().all(|b| b.is_ascii_hexdigit()),
                "{set_cookie}"
            );
            assert_eq!(Some(set_cookie.replace(value, "VALUE").as_str()), expected);
            // Requests carrying the cookie, quoted or not, stay on the endpoint it was made for.
            for carried in [value.to_owned(), format!("\"{value}\"")] {
                for _ in 0..5 {
                    let next = balancer.pick(Some(&carried), now, &[]).expect("pick");
                    assert_eq!(next.endpoint.address, pick.endpoint.address, "{carried}");
                    assert_eq!(next.set_cookie, None);
                }
            }
        }
    }
    // Generated values differ from request to request.
    let balancer = Balancer::new(&cookie(Some(Duration::from_secs(1)), "/"), &endpoints(&[1]));
    let a = balancer.pick(None, now, &[]).and_then(|p| p.set_cookie);
    let b = balancer.pick(None, now, &[]).and_then(|p| p.set_cookie);
    assert_ne!(a, b);
}

#[test]
fn not_ready_endpoints_are_never_picked() {
    let policies = [
        LbPolicy::RoundRobin,
        LbPolicy::Random,
        LbPolicy::LeastRequest,
        header(),
    ];
    let mixed = vec![
        endpoint(1, false),
        endpoint(2, true),
        endpoint(3, false),
        endpoint(4, true),
    ];
    for policy in policies {
        let balancer = Balancer::new(&lb(policy.clone()), &mixed);
        for key in [None, Some("a"), Some("b"), Some("c")] {
            let picked = ports(&balancer, key, 200);
            assert!(picked.iter().all(|p| *p == 2 || *p == 4), "{policy:?}");
        }
        // Even a retry excluding every ready endpoint stays on ready ones.
        let pick = balancer
            .pick(None, Instant::now(), &[addr(2), addr(4)])
            .expect("pick");
        assert!(pick.endpoint.ready);

        for set in [vec![], vec![endpoint(1, false), endpoint(2, false)]] {
            let balancer = Balancer::new(&lb(policy.clone()), &set);
            assert!(
                balancer.pick(Some("a"), Instant::now(), &[]).is_none(),
                "{policy:?} {set:?}"
            );
        }
    }
}

#[test]
fn exclude_avoids_endpoints_while_others_remain() {
    for policy in [
        LbPolicy::RoundRobin,
        LbPolicy::Random,
        LbPolicy::LeastRequest,
    ] {
        let balancer = Balancer::new(&lb(policy.clone()), &endpoints(&[1, 2, 3]));
        let now = Instant::now();
        for _ in 0..100 {
            let pick = balancer.pick(None, now, &[addr(1), addr(2)]).expect("pick");
            assert_eq!(pick.endpoint.address, addr(3), "{policy:?}");
        }
        let pick = balancer.pick(None, now, &[addr(1), addr(2), addr(3), addr(9)]);
        assert!(pick.is_some(), "{policy:?}");
    }
}
