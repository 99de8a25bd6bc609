//! `Gateway` validation (istiod's `ValidateGateway`), and the server TLS checks that
//! sidecar ingress listeners share.

use std::collections::HashSet;

use serde_json::Value;

use super::ports::Protocol;
use super::{crd_object, hosts, spec, Errs};
use crate::api::istio::{Gateway, Port, Server, ServerTlsMode, ServerTlsSettings};
use crate::api::validate::field::{go_quote, FieldPath};
use crate::api::validate::Report;

const UNIX_PREFIX: &str = "unix://";

pub(crate) fn gateway(obj: &Value) -> Report {
    crd_object(obj, |gw: &Gateway, meta, errs| {
        let path = spec();
        let name = meta.name.as_deref().unwrap_or_default();
        if !name.is_empty() && !hosts::is_dns1123_label(name) {
            errs.err(
                &FieldPath::new("metadata").child("name"),
                format!("invalid gateway name: {}", go_quote(name)),
            );
        }
        if gw.servers.is_empty() {
            errs.err(
                &path.child("servers"),
                "gateway must have at least one server",
            );
        }
        for (i, server) in gw.servers.iter().enumerate() {
            validate_server(errs, server, &path.child("servers").index(i));
        }
        let mut port_names = HashSet::new();
        for (i, server) in gw.servers.iter().enumerate() {
            let Some(name) = server.port.as_ref().and_then(|p| p.name.as_deref()) else {
                continue;
            };
            if !port_names.insert(name) {
                errs.err(
                    &path.child("servers").index(i).child("port").child("name"),
                    format!("port names in servers must be unique: duplicate name {name}"),
                );
            }
        }
    })
}

fn validate_server(errs: &mut Errs, server: &Server, path: &FieldPath) {
    match &server.hosts {
        None => errs.required(&path.child("hosts")),
        Some(list) if list.is_empty() => errs.err(
            &path.child("hosts"),
            "server config must contain at least one host",
        ),
        Some(list) => {
            for (i, host) in list.iter().enumerate() {
                errs.errs(
                    &path.child("hosts").index(i),
                    hosts::namespace_slash_wildcard_hostname(host, true),
                );
            }
        }
    }
    let Some(port) = &server.port else {
        errs.required(&path.child("port"));
        return;
    };
    let port_ok = validate_server_port(errs, port, &server.bind, &path.child("port"));
    validate_bind(errs, port, &server.bind, &path.child("bind"));
    if let Some(tls) = &server.tls {
        server_tls(errs, tls, &path.child("tls"));
    }
    if !port_ok {
        return;
    }
    let protocol = Protocol::parse(port.protocol.as_deref().unwrap_or_default());
    match &server.tls {
        None if protocol.is_tls() => errs.err(
            path,
            "server must have TLS settings for HTTPS/TLS protocols",
        ),
        Some(tls) if !protocol.is_tls() => {
            if protocol.is_http() {
                // Only an https redirect is allowed on a plain-text HTTP port.
                let passthrough = matches!(
                    tls.mode,
                    ServerTlsMode::Passthrough | ServerTlsMode::AutoPassthrough
                );
                if !passthrough
                    || !tls.ca_certificates.is_empty()
                    || !tls.private_key.is_empty()
                    || !tls.server_certificate.is_empty()
                {
                    errs.err(
                        path,
                        "server cannot have TLS settings for plain text HTTP ports",
                    );
                }
            } else {
                errs.err(
                    path,
                    "server cannot have TLS settings for non HTTPS/TLS ports",
                );
            }
        }
        _ => {}
    }
}

/// Returns whether the port is valid (the TLS/protocol consistency checks need it).
fn validate_server_port(errs: &mut Errs, port: &Port, bind: &str, path: &FieldPath) -> bool {
    let before = errs.schema.len() + errs.webhook.len();
    let (Some(number), Some(protocol), Some(name)) =
        (port.number, port.protocol.as_deref(), port.name.as_deref())
    else {
        for (missing, field) in [
            (port.number.is_none(), "number"),
            (port.protocol.is_none(), "protocol"),
            (port.name.is_none(), "name"),
        ] {
            if missing {
                errs.required(&path.child(field));
            }
        }
        return false;
    };
    if Protocol::parse(protocol) == Protocol::Unsupported {
        errs.err(
            &path.child("protocol"),
            format!(
                "invalid protocol {}, supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP",
                go_quote(protocol)
            ),
        );
    }
    if number > 0 || !bind.starts_with(UNIX_PREFIX) {
        errs.check(
            &path.child("number"),
            hosts::validate_port(i64::from(number)),
        );
    }
    if port.target_port > 0 {
        errs.err(
            &path.child("targetPort"),
            "targetPort has no impact on Gateways",
        );
    }
    if name.is_empty() {
        errs.err(
            &path.child("name"),
            format!(
                "port name must be set: number:{number} protocol:{}",
                go_quote(protocol)
            ),
        );
    }
    errs.schema.len() + errs.webhook.len() == before
}

fn validate_bind(errs: &mut Errs, port: &Port, bind: &str, path: &FieldPath) {
    if let Some(socket) = bind.strip_prefix(UNIX_PREFIX) {
        errs.check(path, hosts::validate_unix_address(socket));
        if let Some(number) = port.number.filter(|n| *n != 0) {
            errs.err(
                path,
                format!("port number must be 0 for unix domain socket: number:{number}"),
            );
        }
    } else if !bind.is_empty() {
        errs.check(path, hosts::validate_ip(bind));
    }
}

/// istiod's `validateTLSOptions` for server-side TLS.
pub(crate) fn server_tls(errs: &mut Errs, tls: &ServerTlsSettings, path: &FieldPath) {
    if tls.mode == ServerTlsMode::IstioMutual {
        // ISTIO_MUTUAL uses the mesh's certificates; none may be configured here.
        for (set, what) in [
            (!tls.server_certificate.is_empty(), "server certificate"),
            (!tls.private_key.is_empty(), "private key"),
            (!tls.ca_certificates.is_empty(), "CA bundle"),
            (!tls.credential_name.is_empty(), "credentialName"),
        ] {
            if set {
                errs.err(
                    path,
                    format!("ISTIO_MUTUAL TLS cannot have associated {what}"),
                );
            }
        }
        return;
    }
    let credentials = !tls.credential_name.is_empty()
        || !tls.credential_names.is_empty()
        || !tls.tls_certificates.is_empty();
    let needs_certs = matches!(
        tls.mode,
        ServerTlsMode::Simple | ServerTlsMode::Mutual | ServerTlsMode::OptionalMutual
    );
    if needs_certs && credentials {
        // Certificates are fetched from the credential; nothing else is required.
        return;
    }
    match tls.mode {
        ServerTlsMode::Simple => {
            if tls.server_certificate.is_empty() {
                errs.err(path, "SIMPLE TLS requires a server certificate");
            }
            if tls.private_key.is_empty() {
                errs.err(path, "SIMPLE TLS requires a private key");
            }
        }
        ServerTlsMode::Mutual | ServerTlsMode::OptionalMutual => {
            if tls.server_certificate.is_empty() {
                errs.err(path, "MUTUAL TLS requires a server certificate");
            }
            if tls.private_key.is_empty() {
                errs.err(path, "MUTUAL TLS requires a private key");
            }
            if tls.ca_certificates.is_empty() {
                errs.err(path, "MUTUAL TLS requires a client CA bundle");
            }
        }
        _ => {}
    }
    if !tls.ca_crl.is_empty() {
        if !tls.credential_name.is_empty() {
            errs.err(path, "CRL is not supported with credentialName. CRL has to be specified in the credential");
        }
        if tls.mode == ServerTlsMode::Simple {
            errs.err(path, "CRL is not supported with SIMPLE TLS");
        }
    }
}
