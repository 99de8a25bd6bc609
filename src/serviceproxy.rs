//! The node's Service data path, like kube-proxy in userspace: listeners for cluster and node
//! ports, a name registry, and an HTTP forward proxy that resolves Service names for pods.
//!
//! Deciding what to serve ([`plan`], [`registry`]) is pure and table-tested; [`listeners`] and
//! [`resolver`] own the sockets. Everything listens on 127.0.0.1 only.

pub mod listeners;
pub mod plan;
pub mod registry;
pub mod resolver;
mod sync;
#[cfg(test)]
mod tests;

pub use listeners::{Bound, ServiceProxy};
pub use plan::{plan, Bind, Frontend};
pub use registry::{Registry, ResolveError};
pub use resolver::serve;
pub use sync::run;
