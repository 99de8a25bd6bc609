//! Request bodies: JSON objects, or Kubernetes protobuf turned into JSON for create and replace.

use crate::api::protobuf;
use crate::api::status::{ApiError, ApiResult};
use bytes::Bytes;
use serde_json::Value;

/// The body of a create or replace as JSON: kubectl 1.32 and later send the typed `create`
/// subcommands as Kubernetes protobuf.
pub fn object_body(ct: &str, body: Bytes) -> ApiResult<Bytes> {
    if !ct.starts_with(protobuf::CONTENT_TYPE) {
        return Ok(body);
    }
    let obj = protobuf::decode(&body).map_err(|e| match e {
        protobuf::DecodeError::Kind(_) | protobuf::DecodeError::Field { .. } => {
            ApiError::unreadable_body(e.to_string())
        }
        _ => ApiError::bad_request(e.to_string()),
    })?;
    Ok(Bytes::from(
        serde_json::to_vec(&obj).map_err(ApiError::internal)?,
    ))
}

/// A JSON body, refused as the API server refuses one it cannot decode.
pub fn parse_body(body: &Bytes) -> ApiResult<Value> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
    })
}
