//! Validation never panics, whatever shape a value has: every position of the sample
//! objects is replaced by values of every JSON type.

use serde_json::{json, Value};

use super::istio_policies::destination_rule;
use super::istio_routing::{gateway, vs};
use super::{deployment, pod, service};
use crate::api::validate::validate;

/// JSON pointers of every value in a document.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let p = format!("{at}/{k}");
                out.push(p.clone());
                pointers(v, p, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(v, p, out);
            }
        }
        _ => {}
    }
}

#[test]
fn odd_shapes_never_panic() {
    let oddities = [
        Value::Null,
        json!(true),
        json!(-1),
        json!(1.5),
        json!(u64::MAX),
        json!("x"),
        json!(""),
        json!([]),
        json!([null, 1]),
        json!({}),
        json!({"a": null}),
    ];
    let objects = [
        ("apps", "Deployment", deployment()),
        ("", "Service", service()),
        ("", "Pod", pod()),
        ("networking.istio.io", "VirtualService", vs()),
        ("networking.istio.io", "Gateway", gateway()),
        ("networking.istio.io", "DestinationRule", destination_rule()),
    ];
    let mut runs = 0;
    for (group, kind, base) in objects {
        let mut paths = Vec::new();
        pointers(&base, String::new(), &mut paths);
        for path in &paths {
            for odd in &oddities {
                let mut obj = base.clone();
                if let Some(slot) = obj.pointer_mut(path) {
                    *slot = odd.clone();
                }
                let _ = validate(group, kind, &obj);
                runs += 1;
            }
        }
        for odd in &oddities {
            let _ = validate(group, kind, odd);
        }
    }
    assert!(runs > 1000, "only {runs} variants tried");
}
