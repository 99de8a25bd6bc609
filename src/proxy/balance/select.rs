//! Choosing among candidate endpoints: power of two choices, rendezvous hashing, and the
//! session cookie a consistent-hash cluster hands out.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use rand::Rng;

/// 64-bit FNV-1a: stable across processes and releases, unlike std's hasher, so a session
/// keeps its endpoint across restarts of the proxy as long as the endpoint set is the same.
pub(super) fn hash_bytes(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(PRIME)
    })
}

/// The SplitMix64 finalizer: spreads every input bit over the output, which FNV alone does not
/// do well enough for comparing scores.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// What an endpoint contributes to rendezvous scores.
pub(super) fn address_hash(address: &SocketAddr) -> u64 {
    mix(hash_bytes(address.to_string().as_bytes()))
}

/// What a request key contributes to rendezvous scores.
pub(super) fn key_hash(key: &str) -> u64 {
    mix(hash_bytes(key.as_bytes()))
}

/// Rendezvous (highest random weight) hashing: every candidate scores the key and the best
/// wins. A key keeps its endpoint while that endpoint stays a candidate, and only the keys of a
/// removed endpoint move — which also makes "the next best" a natural choice for retries.
/// Returns a position in `candidates`.
pub(super) fn rendezvous(key: u64, candidates: impl Iterator<Item = u64>) -> Option<usize> {
    candidates
        .enumerate()
        // The index breaks (astronomically unlikely) ties deterministically.
        .max_by_key(|(index, address)| (mix(key ^ *address), std::cmp::Reverse(*index)))
        .map(|(index, _)| index)
}

/// Power of two choices: two distinct random candidates, the one with fewer active requests
/// wins, a tie is decided at random. Returns a position among the `len` candidates, whose
/// active requests `active` tells.
pub(super) fn least_request(
    rng: &mut impl Rng,
    len: usize,
    active: impl Fn(usize) -> u32,
) -> Option<usize> {
    match len {
        0 => None,
        1 => Some(0),
        len => {
            let first = rng.gen_range(0..len);
            let mut second = rng.gen_range(0..len - 1);
            if second >= first {
                second += 1;
            }
            let (a, b) = (active(first), active(second));
            Some(match a.cmp(&b) {
                std::cmp::Ordering::Less => first,
                std::cmp::Ordering::Greater => second,
                std::cmp::Ordering::Equal if rng.gen_bool(0.5) => first,
                std::cmp::Ordering::Equal => second,
            })
        }
    }
}

/// A fresh session cookie value: 64 random bits in hex, like the 16 hex digits Envoy generates.
pub(super) fn cookie_value(rng: &mut impl Rng) -> String {
    format!("{:016x}", rng.gen::<u64>())
}

/// The `Set-Cookie` value Envoy sends with a generated hash cookie: the value quoted,
/// `Max-Age` in whole seconds (left out when zero, making a session cookie), `Path` when set,
/// and always `HttpOnly`.
pub(super) fn set_cookie(name: &str, value: &str, path: &str, ttl: Duration) -> String {
    let mut cookie = format!("{name}=\"{value}\"");
    if ttl.as_secs() > 0 {
        let _ = write!(cookie, "; Max-Age={}", ttl.as_secs());
    }
    if !path.is_empty() {
        let _ = write!(cookie, "; Path={path}");
    }
    cookie.push_str("; HttpOnly");
    cookie
}

/// A cookie value as the request carried it, without the optional double quotes.
pub(super) fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .unwrap_or(value)
}
