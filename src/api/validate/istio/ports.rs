//! Port protocols and names of the Istio kinds (`protocol.Parse`).

use super::hosts;

/// The protocols istiod knows (`protocol.Parse`, case-insensitive).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Protocol {
    Tcp,
    Udp,
    Grpc,
    GrpcWeb,
    Http,
    HttpProxy,
    Http2,
    Https,
    Tls,
    Mongo,
    Redis,
    Mysql,
    Unsupported,
}

impl Protocol {
    pub(super) fn parse(text: &str) -> Self {
        match text.to_ascii_lowercase().as_str() {
            "tcp" => Protocol::Tcp,
            "udp" => Protocol::Udp,
            "grpc" => Protocol::Grpc,
            "grpc-web" => Protocol::GrpcWeb,
            "http" => Protocol::Http,
            "http_proxy" => Protocol::HttpProxy,
            "http2" => Protocol::Http2,
            "https" => Protocol::Https,
            "tls" => Protocol::Tls,
            "mongo" => Protocol::Mongo,
            "redis" => Protocol::Redis,
            "mysql" => Protocol::Mysql,
            _ => Protocol::Unsupported,
        }
    }

    pub(super) fn is_http(self) -> bool {
        matches!(
            self,
            Protocol::Http
                | Protocol::Http2
                | Protocol::HttpProxy
                | Protocol::Grpc
                | Protocol::GrpcWeb
        )
    }

    pub(super) fn is_tls(self) -> bool {
        matches!(self, Protocol::Https | Protocol::Tls)
    }
}

/// `unsupported protocol: X` (an empty protocol means "sniff").
pub(super) fn validate_protocol(protocol: &str) -> Result<(), String> {
    if !protocol.is_empty() && Protocol::parse(protocol) == Protocol::Unsupported {
        return Err(format!("unsupported protocol: {protocol}"));
    }
    Ok(())
}

/// `invalid port name: X`.
pub(super) fn validate_port_name(name: &str) -> Result<(), String> {
    if hosts::is_dns1123_label(name) {
        Ok(())
    } else {
        Err(format!("invalid port name: {name}"))
    }
}
