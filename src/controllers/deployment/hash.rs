//! The `pod-template-hash`: which ReplicaSet belongs to which Pod template.

use super::super::replicaset::pods::ALPHABET;
use serde_json::Value;

const FNV32_OFFSET: u32 = 0x811c_9dc5;
const FNV32_PRIME: u32 = 0x0100_0193;

/// FNV-32a of the template's JSON (keys sorted, so key order never changes the hash), then of
/// the collision count as 4 little-endian bytes, written as decimal and mapped through the
/// name alphabet the way Kubernetes' `SafeEncodeString` does (e.g. `"84cddc85d4"`).
pub fn pod_template_hash(template: &Value, collision_count: Option<i64>) -> String {
    let text = crate::api::gojson::compact(template);
    let mut h = fnv32a(FNV32_OFFSET, text.as_bytes());
    if let Some(c) = collision_count {
        // Kubernetes stores the count as an int32 and hashes its unsigned bits.
        h = fnv32a(h, &(c as u32).to_le_bytes());
    }
    safe_encode(&h.to_string())
}

fn fnv32a(mut h: u32, bytes: &[u8]) -> u32 {
    for b in bytes {
        h ^= u32::from(*b);
        h = h.wrapping_mul(FNV32_PRIME);
    }
    h
}

/// Each byte becomes a letter of the alphabet, so the result is a valid name part.
fn safe_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            let i = usize::from(b) % ALPHABET.len();
            ALPHABET.get(i).copied().unwrap_or(b'x') as char
        })
        .collect()
}
