//! Compute resource requests and limits of a container.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::api::validate::field::{self, Bad, FieldPath};
use crate::api::validate::meta::NEGATIVE_MSG;
use crate::api::validate::names;
use crate::api::validate::{quantity, Cause};

pub(super) fn resource_requirements(res: &ResourceRequirements, path: &FieldPath) -> Vec<Cause> {
    let mut errs = Vec::new();
    let limits_path = path.child("limits");
    let requests_path = path.child("requests");
    let empty = BTreeMap::new();
    let limits = res.limits.as_ref().unwrap_or(&empty);
    for (name, qty) in limits {
        let at = limits_path.key(name);
        errs.extend(resource_name(name, &at));
        errs.extend(nonnegative_quantity(qty, &at));
    }
    for (name, qty) in res.requests.iter().flatten() {
        let at = requests_path.key(name);
        errs.extend(resource_name(name, &at));
        errs.extend(nonnegative_quantity(qty, &at));
        let overcommit = !(name.starts_with("hugepages-") || is_extended(name));
        match limits.get(name) {
            Some(limit) => {
                let (Ok(req_q), Ok(lim_q)) = (quantity::parse(&qty.0), quantity::parse(&limit.0))
                else {
                    continue;
                };
                if !overcommit && req_q.value != lim_q.value {
                    let msg = format!("must be equal to {name} limit of {}", limit.0.trim());
                    errs.push(field::invalid(&requests_path, Bad::str(qty.0.trim()), &msg));
                } else if req_q.value > lim_q.value {
                    let msg = format!(
                        "must be less than or equal to {name} limit of {}",
                        limit.0.trim()
                    );
                    errs.push(field::invalid(&requests_path, Bad::str(qty.0.trim()), &msg));
                }
            }
            None if !overcommit => errs.push(field::required(
                &limits_path,
                "Limit must be set for non overcommitable resources",
            )),
            None => {}
        }
    }
    errs
}

fn is_extended(name: &str) -> bool {
    name.contains('/')
        && !name.starts_with("kubernetes.io/")
        && !name.contains(".kubernetes.io/")
        && !name.starts_with("requests.")
}

fn resource_name(name: &str, path: &FieldPath) -> Vec<Cause> {
    let mut errs: Vec<Cause> = names::qualified_name(name)
        .into_iter()
        .map(|msg| field::invalid(path, Bad::str(name), &msg))
        .collect();
    if !name.contains('/')
        && !matches!(name, "cpu" | "memory" | "ephemeral-storage")
        && !name.starts_with("hugepages-")
    {
        errs.push(field::invalid(
            path,
            Bad::str(name),
            "must be a standard resource for containers",
        ));
    }
    errs
}

fn nonnegative_quantity(qty: &Quantity, path: &FieldPath) -> Option<Cause> {
    let parsed = quantity::parse(&qty.0).ok()?;
    (parsed.value < 0.0).then(|| field::invalid(path, Bad::str(qty.0.trim()), NEGATIVE_MSG))
}
