//! `Gateway` (networking.istio.io): the listeners of an edge proxy, plus the server TLS
//! settings that `Sidecar` ingress listeners share.

use serde::{Deserialize, Serialize};

use super::StringMap;

/// A load balancer at the edge of the mesh, described by its servers.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Gateway {
    #[serde(default)]
    pub servers: Vec<Server>,
    /// Pod labels selecting the proxies that implement this gateway.
    #[serde(default)]
    pub selector: StringMap,
}

/// One listener of a gateway.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Server {
    /// Required by the schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<Port>,
    #[serde(default)]
    pub bind: String,
    /// `namespace/dnsName` entries; required by the schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosts: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<ServerTlsSettings>,
    #[serde(default)]
    pub default_endpoint: String,
    #[serde(default)]
    pub name: String,
}

/// The port a gateway server listens on. `number`, `protocol` and `name` are required.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Port {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u32>,
    /// HTTP|HTTPS|GRPC|GRPC-WEB|HTTP2|MONGO|TCP|TLS (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Deprecated; has no effect on gateways.
    #[serde(default)]
    pub target_port: u32,
}

/// How a server terminates (or passes through) TLS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ServerTlsMode {
    #[default]
    Passthrough,
    Simple,
    Mutual,
    AutoPassthrough,
    IstioMutual,
    OptionalMutual,
}

/// TLS protocol versions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum TlsProtocol {
    #[default]
    #[serde(rename = "TLS_AUTO")]
    TlsAuto,
    #[serde(rename = "TLSV1_0")]
    TlsV1_0,
    #[serde(rename = "TLSV1_1")]
    TlsV1_1,
    #[serde(rename = "TLSV1_2")]
    TlsV1_2,
    #[serde(rename = "TLSV1_3")]
    TlsV1_3,
}

/// One certificate/key pair (and optional CA bundle) of a server.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TlsCertificate {
    #[serde(default)]
    pub server_certificate: String,
    #[serde(default)]
    pub private_key: String,
    #[serde(default)]
    pub ca_certificates: String,
}

/// Server-side TLS settings.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerTlsSettings {
    #[serde(default)]
    pub https_redirect: bool,
    #[serde(default)]
    pub mode: ServerTlsMode,
    #[serde(default)]
    pub server_certificate: String,
    #[serde(default)]
    pub private_key: String,
    #[serde(default)]
    pub ca_certificates: String,
    #[serde(default)]
    pub ca_crl: String,
    #[serde(default)]
    pub credential_name: String,
    #[serde(default)]
    pub credential_names: Vec<String>,
    #[serde(default)]
    pub tls_certificates: Vec<TlsCertificate>,
    #[serde(default)]
    pub subject_alt_names: Vec<String>,
    #[serde(default)]
    pub verify_certificate_spki: Vec<String>,
    #[serde(default)]
    pub verify_certificate_hash: Vec<String>,
    #[serde(default)]
    pub min_protocol_version: TlsProtocol,
    #[serde(default)]
    pub max_protocol_version: TlsProtocol,
    #[serde(default)]
    pub cipher_suites: Vec<String>,
}
