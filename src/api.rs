//! The object model: which resources exist, how objects are named and selected — types only, no I/O.
//!
//! Objects themselves travel as raw `serde_json::Value` so nothing a client sends is ever lost;
//! the typed views in `validate` and `istio` are used to check and read them.

pub mod gojson;
pub mod istio;
pub mod meta;
pub mod node;
pub mod protobuf;
pub mod resources;
pub mod selector;
pub mod status;
pub mod table;
pub mod validate;

pub use resources::{Resource, Scope};
