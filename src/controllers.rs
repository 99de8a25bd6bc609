//! Control loops' decisions: what a Deployment or ReplicaSet needs done, given what exists.
//!
//! Each `reconcile` is pure — observed objects in, actions out (kube-rs's reconcile → action
//! shape) — so rollouts, scaling and status are table-tested without a server. The loops that
//! watch the store and apply the actions come with the pod runtime.

pub mod deployment;
pub mod replicaset;
