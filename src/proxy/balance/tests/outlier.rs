//! Tests of outlier ejection, panic fallback, and state kept across updates.

use std::time::{Duration, Instant};

use super::{addr, endpoint, endpoints, lb};
use crate::proxy::balance::{Balancer, EndpointStatus, Outcome};
use crate::routes::{ClusterPolicy, LbPolicy, OutlierPolicy};

const BASE: Duration = Duration::from_secs(30);
const INTERVAL: Duration = Duration::from_secs(10);

fn detecting(max_ejection_percent: u32) -> ClusterPolicy {
    ClusterPolicy {
        outlier: Some(OutlierPolicy {
            consecutive_5xx: Some(5),
            consecutive_gateway_errors: None,
            interval: INTERVAL,
            base_ejection_time: BASE,
            max_ejection_percent,
            min_health_percent: 0,
        }),
        ..lb(LbPolicy::RoundRobin)
    }
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn fail(balancer: &Balancer, port: u16, times: usize, at: Instant) {
    for _ in 0..times {
        balancer.report(addr(port), Outcome::Status(500), at);
    }
}

fn row(balancer: &Balancer, port: u16, now: Instant) -> EndpointStatus {
    balancer
        .status(now)
        .into_iter()
        .find(|status| status.address == addr(port))
        .expect("endpoint listed")
}

fn picked(balancer: &Balancer, now: Instant, n: usize) -> Vec<u16> {
    (0..n)
        .filter_map(|_| balancer.pick(None, now, &[]))
        .map(|pick| pick.endpoint.address.port())
        .collect()
}

#[test]
fn consecutive_errors_eject() {
    use Outcome::{ConnectFailure, Status, Timeout};
    let gateway_only = |threshold| {
        let mut policy = detecting(100);
        if let Some(outlier) = policy.outlier.as_mut() {
            outlier.consecutive_5xx = None;
            outlier.consecutive_gateway_errors = Some(threshold);
        }
        policy
    };
    let five_xx = detecting(100);
    let gateway = gateway_only(3);
    let disabled = ClusterPolicy {
        outlier: None,
        ..lb(LbPolicy::RoundRobin)
    };
    let zero = {
        let mut policy = detecting(100);
        if let Some(outlier) = policy.outlier.as_mut() {
            outlier.consecutive_5xx = Some(0);
        }
        policy
    };
    // (policy, outcomes, ejected, consecutive errors shown afterwards)
    let cases: Vec<(&ClusterPolicy, Vec<Outcome>, bool, u32)> = vec![
        (&five_xx, vec![Status(500); 4], false, 4),
        (&five_xx, vec![Status(500); 5], true, 0),
        (
            &five_xx,
            vec![
                Status(599),
                Status(503),
                ConnectFailure,
                Timeout,
                Status(500),
            ],
            true,
            0,
        ),
        (
            &five_xx,
            [
                vec![Status(500); 4],
                vec![Status(200)],
                vec![Status(500); 4],
            ]
            .concat(),
            false,
            4,
        ),
        (
            &five_xx,
            [vec![Status(500); 4], vec![Status(404)], vec![Status(500)]].concat(),
            false,
            1,
        ),
        (&five_xx, vec![Status(200); 10], false, 0),
        (
            &gateway,
            vec![Status(502), Status(503), Status(504)],
            true,
            0,
        ),
        (
            &gateway,
            vec![ConnectFailure, Timeout, ConnectFailure],
            true,
            0,
        ),
        // A plain 500 breaks a gateway-error streak (but still counts as a 5xx).
        (
            &gateway,
            vec![Status(502), Status(503), Status(500), Status(504)],
            false,
            4,
        ),
        (&gateway, vec![Status(500); 10], false, 10),
        (&disabled, vec![Status(500); 10], false, 10),
        (&zero, vec![Status(500); 10], false, 10),
    ];
    let now = Instant::now();
    for (policy, outcomes, ejected, errors) in cases {
        let balancer = Balancer::new(policy, &endpoints(&[1, 2]));
        for outcome in &outcomes {
            balancer.report(addr(1), *outcome, now);
        }
        let status = row(&balancer, 1, now);
        assert_eq!(status.healthy, !ejected, "{outcomes:?}");
        assert_eq!(status.ejected_for, ejected.then_some(BASE), "{outcomes:?}");
        assert_eq!(status.consecutive_errors, errors, "{outcomes:?}");
        if ejected {
            assert!(picked(&balancer, now, 10).iter().all(|&port| port == 2));
        }
    }
}

#[test]
fn unknown_addresses_are_ignored() {
    let balancer = Balancer::new(&detecting(100), &endpoints(&[1]));
    let now = Instant::now();
    fail(&balancer, 9, 10, now);
    assert!(row(&balancer, 1, now).healthy);
}

#[test]
fn ejection_expires_and_grows_with_repeats() {
    let balancer = Balancer::new(&detecting(100), &endpoints(&[1, 2]));
    let t0 = Instant::now();
    fail(&balancer, 1, 5, t0);
    let ejected_for = |at| row(&balancer, 1, at).ejected_for;
    assert_eq!(ejected_for(t0 + secs(10)), Some(secs(20)));
    // Reports while ejected neither extend nor end the ejection; a success does not return it.
    fail(&balancer, 1, 7, t0 + secs(1));
    balancer.report(addr(1), Outcome::Status(200), t0 + secs(2));
    assert_eq!(ejected_for(t0 + secs(29)), Some(secs(1)));
    assert_eq!(picked(&balancer, t0 + secs(29), 4), [2, 2, 2, 2]);
    assert_eq!(ejected_for(t0 + secs(30)), None);
    assert!(picked(&balancer, t0 + secs(30), 4).contains(&1));

    // Failing again soon after returning: twice the base time, then three times.
    fail(&balancer, 1, 5, t0 + secs(35));
    assert_eq!(ejected_for(t0 + secs(35)), Some(secs(60)));
    assert_eq!(ejected_for(t0 + secs(95)), None);
    fail(&balancer, 1, 5, t0 + secs(96));
    assert_eq!(ejected_for(t0 + secs(96)), Some(secs(90)));
}

#[test]
fn ejection_multiplier_decays_while_healthy() {
    // (healthy time after returning from a second ejection, next ejection time)
    let cases = [
        (secs(0), 90),
        (secs(9), 90),
        (secs(10), 60),
        (secs(19), 60),
        (secs(20), 30),
        (secs(25), 30),
        (secs(600), 30),
    ];
    for (healthy, expected) in cases {
        let balancer = Balancer::new(&detecting(100), &endpoints(&[1, 2]));
        let t0 = Instant::now();
        fail(&balancer, 1, 5, t0);
        fail(&balancer, 1, 5, t0 + secs(30));
        let back = t0 + secs(90);
        assert_eq!(row(&balancer, 1, back).ejected_for, None);
        fail(&balancer, 1, 5, back + healthy);
        assert_eq!(
            row(&balancer, 1, back + healthy).ejected_for,
            Some(secs(expected)),
            "{healthy:?}"
        );
    }
}

#[test]
fn ejection_time_stops_growing_at_the_maximum() {
    let balancer = Balancer::new(&detecting(100), &endpoints(&[1, 2]));
    let mut now = Instant::now();
    let mut times = Vec::new();
    for _ in 0..12 {
        fail(&balancer, 1, 5, now);
        let ejected_for = row(&balancer, 1, now).ejected_for.expect("ejected");
        times.push(ejected_for.as_secs());
        now += ejected_for;
    }
    assert_eq!(
        times,
        [30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 300, 300]
    );
}

#[test]
fn max_ejection_percent_caps_ejections() {
    // (max_ejection_percent, endpoints, how many end up ejected when all fail)
    let cases = [
        (10, 3, 1),
        (10, 10, 1),
        (11, 10, 2),
        (20, 10, 2),
        (50, 3, 2),
        (100, 3, 3),
        (0, 3, 0),
        (1, 100, 1),
    ];
    for (max, n, expected) in cases {
        let ports: Vec<u16> = (1..=n).collect();
        let balancer = Balancer::new(&detecting(max), &endpoints(&ports));
        let now = Instant::now();
        for &port in &ports {
            fail(&balancer, port, 5, now);
        }
        let ejected = balancer
            .status(now)
            .iter()
            .filter(|s| s.ejected_for.is_some())
            .count();
        assert_eq!(ejected, expected, "max {max}% of {n}");
        // A refused ejection restarts the streak, as in Envoy.
        let refused = balancer
            .status(now)
            .iter()
            .filter(|s| s.healthy)
            .all(|s| s.consecutive_errors == 0);
        assert!(refused, "max {max}% of {n}");
    }
    // Not-ready endpoints do not count toward the share.
    let set = vec![
        endpoint(1, true),
        endpoint(2, true),
        endpoint(3, false),
        endpoint(4, false),
    ];
    let balancer = Balancer::new(&detecting(50), &set);
    let now = Instant::now();
    fail(&balancer, 1, 5, now);
    fail(&balancer, 2, 5, now);
    assert!(
        row(&balancer, 2, now).healthy,
        "2 of 2 ready would be over 50%"
    );
    assert!(row(&balancer, 1, now).ejected_for.is_some());
}

#[test]
fn all_ejected_falls_back_to_ready_endpoints() {
    let set = vec![endpoint(1, true), endpoint(2, true), endpoint(3, false)];
    let balancer = Balancer::new(&detecting(100), &set);
    let now = Instant::now();
    fail(&balancer, 1, 5, now);
    fail(&balancer, 2, 5, now);
    assert!(balancer.status(now).iter().all(|status| !status.healthy));
    let mut seen = picked(&balancer, now, 10);
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen, [1, 2]);
}

#[test]
fn below_min_health_balances_over_all_ready() {
    // (min_health_percent, ejected of 4, ejected endpoint picked again)
    let cases = [
        (0, 1, false),
        (75, 1, false),
        (76, 1, true),
        (50, 2, false),
        (51, 2, true),
    ];
    for (min_health, ejected, panic) in cases {
        let mut policy = detecting(100);
        if let Some(outlier) = policy.outlier.as_mut() {
            outlier.min_health_percent = min_health;
        }
        let balancer = Balancer::new(&policy, &endpoints(&[1, 2, 3, 4]));
        let now = Instant::now();
        for port in 1..=ejected {
            fail(&balancer, port, 5, now);
        }
        let seen = picked(&balancer, now, 8);
        assert_eq!(
            seen.contains(&1),
            panic,
            "min {min_health}% with {ejected} ejected: {seen:?}"
        );
    }
}

#[test]
fn exclude_does_not_reach_ejected_endpoints() {
    let balancer = Balancer::new(&detecting(100), &endpoints(&[1, 2]));
    let now = Instant::now();
    fail(&balancer, 1, 5, now);
    // Only 2 is healthy; excluding it leaves no healthy candidate, so it is used anyway.
    assert_eq!(picked(&balancer, now, 3), [2, 2, 2]);
    let pick = balancer.pick(None, now, &[addr(2)]).expect("pick");
    assert_eq!(pick.endpoint.address, addr(2));
}

#[test]
fn update_keeps_state_of_remaining_addresses() {
    let balancer = Balancer::new(&detecting(100), &endpoints(&[1, 2]));
    let t0 = Instant::now();
    fail(&balancer, 1, 5, t0);
    fail(&balancer, 2, 3, t0);
    let held = balancer.pick(None, t0, &[]).expect("pick");
    assert_eq!(held.endpoint.address, addr(2));

    // A changed policy and a new endpoint: 1 stays ejected, 2 keeps its streak and request.
    let mut policy = detecting(100);
    policy.lb = LbPolicy::LeastRequest;
    balancer.update(
        &policy,
        &[endpoint(3, true), endpoint(2, true), endpoint(1, true)],
    );
    let status = balancer.status(t0 + secs(5));
    let ports: Vec<u16> = status.iter().map(|s| s.address.port()).collect();
    assert_eq!(ports, [3, 2, 1]);
    assert_eq!(status[2].ejected_for, Some(secs(25)));
    assert_eq!(
        (status[1].consecutive_errors, status[1].active_requests),
        (3, 1)
    );
    assert_eq!(
        (status[0].consecutive_errors, status[0].active_requests),
        (0, 0)
    );
    drop(held);
    assert_eq!(row(&balancer, 2, t0).active_requests, 0);
    // The streak continues where it was.
    fail(&balancer, 2, 2, t0 + secs(5));
    assert!(row(&balancer, 2, t0 + secs(5)).ejected_for.is_some());

    // An address that leaves and comes back starts afresh.
    balancer.update(&policy, &endpoints(&[2, 3]));
    balancer.update(&policy, &endpoints(&[1, 2, 3]));
    assert!(row(&balancer, 1, t0 + secs(5)).healthy);

    // Becoming not ready keeps the ejection; switching detection off ends it.
    balancer.update(&policy, &[endpoint(2, false), endpoint(3, true)]);
    assert!(row(&balancer, 2, t0 + secs(6)).ejected_for.is_some());
    balancer.update(
        &ClusterPolicy {
            outlier: None,
            ..policy.clone()
        },
        &endpoints(&[2, 3]),
    );
    assert!(row(&balancer, 2, t0 + secs(6)).healthy);
}
