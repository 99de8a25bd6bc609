//! Tests of the request and retry circuit breakers.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use super::endpoints;
use crate::proxy::balance::{Balancer, Overflow, RetryGuard};
use crate::routes::{ClusterPolicy, PoolLimits};

#[test]
fn request_limits() {
    let limits = |max_requests, max_connections, max_pending_requests| PoolLimits {
        max_requests,
        max_connections,
        max_pending_requests,
        ..PoolLimits::default()
    };
    // (limits, requests admitted before overflow; None: at least 1000)
    let cases = [
        (limits(None, None, None), None),
        (limits(Some(2), None, None), Some(2)),
        (limits(Some(0), None, None), Some(0)),
        (limits(None, Some(1), Some(1)), Some(2)),
        (limits(None, Some(3), Some(0)), Some(3)),
        (limits(None, Some(1), None), None),
        (limits(None, None, Some(1)), None),
        (limits(Some(1), Some(5), Some(5)), Some(1)),
        (limits(Some(10), Some(2), Some(3)), Some(5)),
    ];
    for (pool, admitted) in cases {
        let policy = ClusterPolicy {
            pool: pool.clone(),
            ..ClusterPolicy::default()
        };
        let balancer = Balancer::new(&policy, &endpoints(&[1]));
        let mut held = Vec::new();
        while held.len() < 1000 {
            match balancer.try_request() {
                Ok(guard) => held.push(guard),
                Err(overflow) => {
                    assert_eq!(
                        overflow.to_string(),
                        "upstream connect error or disconnect/reset before headers. reset reason: overflow"
                    );
                    break;
                }
            }
        }
        assert_eq!(held.len(), admitted.unwrap_or(1000), "{pool:?}");
        assert_eq!(balancer.requests_in_flight() as usize, held.len());
        // Releasing one place admits exactly one more.
        if held.pop().is_some() {
            held.push(balancer.try_request().expect("released place"));
            if admitted.is_some() {
                assert_eq!(balancer.try_request().err(), Some(Overflow), "{pool:?}");
            }
        }
        drop(held);
        assert_eq!(balancer.requests_in_flight(), 0);
        // Retries have their own budget.
        assert!(balancer.try_retry().is_ok());
    }
}

#[test]
fn retry_limit() {
    for (max_retries, admitted) in [(Some(0), 0), (Some(1), 1), (Some(3), 3), (None, 50)] {
        let policy = ClusterPolicy {
            pool: PoolLimits {
                max_retries,
                max_requests: Some(0),
                ..PoolLimits::default()
            },
            ..ClusterPolicy::default()
        };
        let balancer = Balancer::new(&policy, &endpoints(&[1]));
        let held: Vec<RetryGuard> = (0..50).map_while(|_| balancer.try_retry().ok()).collect();
        assert_eq!(held.len(), admitted, "{max_retries:?}");
        assert_eq!(balancer.retries_in_flight() as usize, admitted);
        drop(held);
        assert_eq!(balancer.retries_in_flight(), 0);
        assert_eq!(balancer.try_retry().is_ok(), admitted > 0);
    }
}

#[test]
fn limits_follow_updates_and_outlive_guards() {
    let with_max = |max| ClusterPolicy {
        pool: PoolLimits {
            max_requests: Some(max),
            ..PoolLimits::default()
        },
        ..ClusterPolicy::default()
    };
    let balancer = Balancer::new(&with_max(2), &endpoints(&[1]));
    let a = balancer.try_request().expect("first");
    let b = balancer.try_request().expect("second");
    balancer.update(&with_max(1), &endpoints(&[1]));
    drop(a);
    assert!(
        balancer.try_request().is_err(),
        "one in flight already fills a limit of 1"
    );
    balancer.update(&with_max(3), &endpoints(&[2]));
    let c = balancer.try_request().expect("raised limit");
    assert_eq!(balancer.requests_in_flight(), 2);
    drop(balancer);
    drop((b, c));
}

#[test]
fn concurrent_requests_never_exceed_the_limit() {
    let policy = ClusterPolicy {
        pool: PoolLimits {
            max_requests: Some(4),
            ..PoolLimits::default()
        },
        ..ClusterPolicy::default()
    };
    let balancer = Balancer::new(&policy, &endpoints(&[1, 2]));
    let peak = AtomicU32::new(0);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..2000 {
                    if let Ok(guard) = balancer.try_request() {
                        let _pick = balancer.pick(None, Instant::now(), &[]);
                        peak.fetch_max(balancer.requests_in_flight(), Ordering::Relaxed);
                        drop(guard);
                    }
                }
            });
        }
    });
    assert!(peak.load(Ordering::Relaxed) <= 4);
    assert_eq!(balancer.requests_in_flight(), 0);
    assert!(balancer
        .status(Instant::now())
        .iter()
        .all(|s| s.active_requests == 0));
}
