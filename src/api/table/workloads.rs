//! Printers for deployments and replica sets.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::duration::age;
use super::selector::{format_label_selector, selector_string};
use super::{array_at, as_int, at, int_at, name_cell, str_at, Column, Printer, Row, AGE, NAME};

const CONTAINERS_DOC: &str = "Names of each container in the template.";
const IMAGES_DOC: &str = "Images referenced by each container in the template.";

/// Columns of `kubectl get deployments`.
pub(crate) fn deployments() -> Printer {
    Printer {
        columns: vec![
            NAME,
            Column::text("Ready", "Number of the pod with ready state"),
            Column::text("Up-to-date", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
            Column::text("Available", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
            AGE,
            Column::text("Containers", CONTAINERS_DOC).wide(),
            Column::text("Images", IMAGES_DOC).wide(),
            Column::text("Selector", "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.").wide(),
        ],
        row: Box::new(deployment_row),
    }
}

fn deployment_row(deploy: &Value, now: DateTime<Utc>) -> Row {
    let (names, images) = container_cells(deploy);
    let selector = match selector_string(at(deploy, &["spec", "selector"])) {
        Ok(s) => s,
        Err(_) => "<invalid>".to_string(),
    };
    Row::cells(vec![
        name_cell(deploy),
        Value::String(format!(
            "{}/{}",
            int_at(deploy, &["status", "readyReplicas"]),
            desired(deploy)
        )),
        json!(int_at(deploy, &["status", "updatedReplicas"])),
        json!(int_at(deploy, &["status", "availableReplicas"])),
        Value::String(age(deploy, now)),
        Value::String(names),
        Value::String(images),
        Value::String(selector),
    ])
}

/// Columns of `kubectl get replicasets`.
pub(crate) fn replicasets() -> Printer {
    Printer {
        columns: vec![
            NAME,
            Column::int("Desired", "Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller"),
            Column::int("Current", "Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller"),
            Column::int("Ready", "The number of ready replicas for this replica set."),
            AGE,
            Column::text("Containers", CONTAINERS_DOC).wide(),
            Column::text("Images", IMAGES_DOC).wide(),
            Column::text("Selector", "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors").wide(),
        ],
        row: Box::new(replicaset_row),
    }
}

fn replicaset_row(rs: &Value, now: DateTime<Utc>) -> Row {
    let (names, images) = container_cells(rs);
    Row::cells(vec![
        name_cell(rs),
        json!(desired(rs)),
        json!(int_at(rs, &["status", "replicas"])),
        json!(int_at(rs, &["status", "readyReplicas"])),
        Value::String(age(rs, now)),
        Value::String(names),
        Value::String(images),
        Value::String(format_label_selector(at(rs, &["spec", "selector"]))),
    ])
}

/// `spec.replicas`, which the apiserver defaults to 1 when unset.
fn desired(obj: &Value) -> i64 {
    at(obj, &["spec", "replicas"]).and_then(as_int).unwrap_or(1)
}

/// The template's container names and images, each comma-joined in order.
fn container_cells(obj: &Value) -> (String, String) {
    let containers = array_at(obj, &["spec", "template", "spec", "containers"]);
    let names: Vec<&str> = containers.iter().map(|c| str_at(c, &["name"])).collect();
    let images: Vec<&str> = containers.iter().map(|c| str_at(c, &["image"])).collect();
    (names.join(","), images.join(","))
}
