//! Control loops' decisions: what a Deployment or ReplicaSet needs done, given what exists.
//!
//! Each `reconcile` is pure — observed objects in, actions out (kube-rs's reconcile → action
//! shape) — so rollouts, scaling and status are table-tested without a server; `runner` is the
//! loop inside `up` that watches the store and applies the actions.

pub mod deployment;
pub mod endpoints;
pub mod replicaset;
pub mod runner;
