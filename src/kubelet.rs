//! The pod runtime's building blocks: child processes tied to `up` (`process`), the host port
//! pool for containerPorts (`ports`), and Kubernetes probes (`probe`).
//!
//! The loop that runs pods with them comes with the pod runtime; these pieces are complete and
//! tested on their own.

pub mod ports;
pub mod probe;
pub mod process;
