//! Service defaults and address allocation (ClusterIP, NodePorts), kept consistent across updates.

use super::allocator::{Allocator, Error as AllocError, API_SERVICE_IP};
use crate::api::validate::{Cause, Reason};
use serde_json::{json, Value};

/// Default a Service and give it its addresses. On update, `current` is the stored Service: its
/// ClusterIP is kept and its NodePorts are kept for ports that remain.
pub fn allocate(
    alloc: &mut Allocator,
    current: Option<&Value>,
    svc: &mut Value,
) -> Result<(), Vec<Cause>> {
    let mut taken = Taken::default();
    let result = allocate_inner(alloc, current, svc, &mut taken);
    if result.is_err() {
        // Nothing is half-held: give back what this call took.
        taken.undo(alloc);
    } else if let Some(cur) = current {
        release_dropped(alloc, cur, svc);
    }
    result
}

#[derive(Default)]
struct Taken {
    ip: Option<String>,
    ports: Vec<u16>,
}

impl Taken {
    fn undo(self, alloc: &mut Allocator) {
        if let Some(ip) = self.ip {
            alloc.release_ip(&ip);
        }
        for p in self.ports {
            alloc.release_port(p);
        }
    }
}

fn allocate_inner(
    alloc: &mut Allocator,
    current: Option<&Value>,
    svc: &mut Value,
    taken: &mut Taken,
) -> Result<(), Vec<Cause>> {
    if !svc.get("spec").is_some_and(Value::is_object) {
        svc["spec"] = json!({});
    }
    let spec = &mut svc["spec"];
    let ty = spec
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP")
        .to_string();
    spec["type"] = json!(ty);
    if spec.get("sessionAffinity").is_none() {
        spec["sessionAffinity"] = json!("None");
    }
    let node_ports = ty == "NodePort" || ty == "LoadBalancer";
    let cur_spec = current.and_then(|c| c.get("spec"));

    // ClusterIP: immutable once set; `None` makes a headless Service.
    if ty != "ExternalName" {
        let cur_ip = cur_spec
            .and_then(|s| s.get("clusterIP"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let asked = spec
            .get("clusterIP")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let ip = match (cur_ip, asked) {
            (Some(cur), Some(asked)) if cur != asked => {
                return Err(vec![cause(
                    "spec.clusterIPs[0]",
                    format!("Invalid value: []string{{\"{asked}\"}}: may not change once set"),
                )]);
            }
            (Some(cur), _) => cur,
            (None, Some(asked)) if asked == "None" => asked,
            (None, Some(asked)) => {
                alloc.take_ip(&asked).map_err(|e| vec![cause("spec.clusterIPs", format!("Invalid value: []string{{\"{asked}\"}}: failed to allocate IP {asked}: {e}"))])?;
                taken.ip = Some(asked.clone());
                asked
            }
            (None, None) => {
                let ip = alloc.any_ip().map_err(|e| {
                    vec![cause(
                        "spec.clusterIPs",
                        format!("Internal error: failed to allocate a serviceIP: {e}"),
                    )]
                })?;
                taken.ip = Some(ip.clone());
                ip
            }
        };
        spec["clusterIP"] = json!(ip);
        spec["clusterIPs"] = json!([ip]);
        if ip != "None" || spec.get("ipFamilies").is_none() {
            spec["ipFamilies"] = json!(["IPv4"]);
        }
        if spec.get("ipFamilyPolicy").is_none() {
            spec["ipFamilyPolicy"] = json!("SingleStack");
        }
        if spec.get("internalTrafficPolicy").is_none() {
            spec["internalTrafficPolicy"] = json!("Cluster");
        }
    }
    if node_ports && spec.get("externalTrafficPolicy").is_none() {
        spec["externalTrafficPolicy"] = json!("Cluster");
    }

    let cur_ports: Vec<Value> = cur_spec
        .and_then(|s| s.get("ports"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut causes = Vec::new();
    if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
        for (i, port) in ports.iter_mut().enumerate() {
            if port.get("protocol").is_none() {
                port["protocol"] = json!("TCP");
            }
            if port.get("targetPort").is_none() {
                if let Some(p) = port.get("port").cloned() {
                    port["targetPort"] = p;
                }
            }
            if !node_ports {
                if let Some(o) = port.as_object_mut() {
                    o.remove("nodePort");
                }
                continue;
            }
            let same = cur_ports.iter().find(|c| {
                c.get("port") == port.get("port") && c.get("protocol") == port.get("protocol")
            });
            let held = same.and_then(|c| c.get("nodePort")).and_then(Value::as_u64);
            let had = |p: u64| {
                cur_ports
                    .iter()
                    .any(|c| c.get("nodePort").and_then(Value::as_u64) == Some(p))
            };
            match port.get("nodePort").and_then(Value::as_u64) {
                Some(p) if had(p) => {}
                Some(p) => match u16::try_from(p)
                    .map_err(|_| AllocError::PortTaken)
                    .and_then(|p16| alloc.take_port(p16).map(|()| p16))
                {
                    Ok(p16) => taken.ports.push(p16),
                    Err(e) => causes.push(cause(
                        &format!("spec.ports[{i}].nodePort"),
                        format!("Invalid value: {p}: {e}"),
                    )),
                },
                None => match held {
                    Some(p) => port["nodePort"] = json!(p),
                    None => match alloc.any_port() {
                        Ok(p) => {
                            taken.ports.push(p);
                            port["nodePort"] = json!(p);
                        }
                        Err(e) => causes.push(cause(
                            &format!("spec.ports[{i}].nodePort"),
                            format!("Internal error: failed to allocate a nodePort: {e}"),
                        )),
                    },
                },
            }
        }
    }
    if !causes.is_empty() {
        return Err(causes);
    }
    if svc.get("status").is_none() {
        svc["status"] = json!({"loadBalancer": {}});
    }
    Ok(())
}

fn cause(field: &str, message: String) -> Cause {
    Cause {
        field: field.to_string(),
        message,
        reason: Reason::Invalid,
    }
}

/// Give back NodePorts that `current` held and `next` no longer does.
fn release_dropped(alloc: &mut Allocator, current: &Value, next: &Value) {
    let kept: Vec<u64> = node_ports(next).collect();
    for p in node_ports(current).filter(|p| !kept.contains(p)) {
        if let Ok(p) = u16::try_from(p) {
            alloc.release_port(p);
        }
    }
}

fn node_ports(svc: &Value) -> impl Iterator<Item = u64> + '_ {
    svc.pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("nodePort").and_then(Value::as_u64))
}

/// Mark a stored Service's addresses as in use (at start-up).
pub fn reserve_existing(alloc: &mut Allocator, svc: &Value) {
    if let Some(ip) = svc.pointer("/spec/clusterIP").and_then(Value::as_str) {
        let _ = alloc.take_ip(ip);
    }
    for p in node_ports(svc) {
        if let Ok(p) = u16::try_from(p) {
            let _ = alloc.take_port(p);
        }
    }
}

/// Give back a deleted Service's addresses (the API server's own address is never released).
pub fn release(alloc: &mut Allocator, svc: &Value) {
    if let Some(ip) = svc.pointer("/spec/clusterIP").and_then(Value::as_str) {
        if ip != API_SERVICE_IP.to_string() {
            alloc.release_ip(ip);
        }
    }
    for p in node_ports(svc) {
        if let Ok(p) = u16::try_from(p) {
            alloc.release_port(p);
        }
    }
}
