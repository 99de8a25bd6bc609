//! Probes and lifecycle hooks of a container, and their handlers.

use k8s_openapi::api::core::v1::{ExecAction, HTTPGetAction, LifecycleHandler, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::api::validate::field::{self, Bad, FieldPath};
use crate::api::validate::meta::NEGATIVE_MSG;
use crate::api::validate::names;
use crate::api::validate::Cause;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum ProbeKind {
    Liveness,
    Readiness,
    Startup,
}

pub(super) fn probe(probe: Option<&Probe>, path: &FieldPath, kind: ProbeKind) -> Vec<Cause> {
    let Some(probe) = probe else {
        return Vec::new();
    };
    let first = first_handler(
        [
            ("exec", probe.exec.is_some()),
            ("httpGet", probe.http_get.is_some()),
            ("tcpSocket", probe.tcp_socket.is_some()),
            ("grpc", probe.grpc.is_some()),
        ],
        path,
    );
    let mut errs = first.1;
    match first.0 {
        Some("exec") if probe.exec.as_ref().is_some_and(no_command) => {
            errs.push(field::required(&path.child("exec").child("command"), ""));
        }
        Some("httpGet") => errs.extend(
            probe
                .http_get
                .as_ref()
                .map(|h| http_get(h, &path.child("httpGet")))
                .unwrap_or_default(),
        ),
        Some("tcpSocket") => {
            if let Some(tcp) = &probe.tcp_socket {
                errs.extend(port_num_or_name(
                    &tcp.port,
                    &path.child("tcpSocket").child("port"),
                ));
            }
        }
        Some(_) => {
            if let Some(grpc) = &probe.grpc {
                for msg in names::port_num(i64::from(grpc.port)) {
                    errs.push(field::invalid(
                        &path.child("grpc").child("port"),
                        Bad::Int(i64::from(grpc.port)),
                        &msg,
                    ));
                }
            }
        }
        None => {}
    }
    for (name, value) in [
        ("initialDelaySeconds", probe.initial_delay_seconds),
        ("timeoutSeconds", probe.timeout_seconds),
        ("periodSeconds", probe.period_seconds),
        ("successThreshold", probe.success_threshold),
        ("failureThreshold", probe.failure_threshold),
    ] {
        if let Some(v) = value.filter(|v| *v < 0) {
            errs.push(field::invalid(
                &path.child(name),
                Bad::Int(i64::from(v)),
                NEGATIVE_MSG,
            ));
        }
    }
    if let Some(grace) = probe.termination_grace_period_seconds {
        if kind == ProbeKind::Readiness {
            errs.push(field::invalid(
                &path.child("terminationGracePeriodSeconds"),
                Bad::Int(grace),
                "must not be set for readinessProbes",
            ));
        } else if grace <= 0 {
            errs.push(field::invalid(
                &path.child("terminationGracePeriodSeconds"),
                Bad::Int(grace),
                "must be greater than 0",
            ));
        }
    }
    // Zero is defaulted to 1; anything else must be 1 for liveness and startup probes.
    if kind != ProbeKind::Readiness {
        if let Some(v) = probe.success_threshold.filter(|v| *v != 0 && *v != 1) {
            errs.push(field::invalid(
                &path.child("successThreshold"),
                Bad::Int(i64::from(v)),
                "must be 1",
            ));
        }
    }
    errs
}

pub(super) fn lifecycle_handler(h: &LifecycleHandler, path: &FieldPath) -> Vec<Cause> {
    let (first, mut errs) = first_handler(
        [
            ("exec", h.exec.is_some()),
            ("httpGet", h.http_get.is_some()),
            ("tcpSocket", h.tcp_socket.is_some()),
            ("sleep", h.sleep.is_some()),
        ],
        path,
    );
    match first {
        Some("exec") if h.exec.as_ref().is_some_and(no_command) => {
            errs.push(field::required(&path.child("exec").child("command"), ""));
        }
        Some("httpGet") => errs.extend(
            h.http_get
                .as_ref()
                .map(|g| http_get(g, &path.child("httpGet")))
                .unwrap_or_default(),
        ),
        Some("tcpSocket") => {
            if let Some(tcp) = &h.tcp_socket {
                errs.extend(port_num_or_name(
                    &tcp.port,
                    &path.child("tcpSocket").child("port"),
                ));
            }
        }
        _ => {}
    }
    errs
}

/// Exactly one handler type must be given: returns the first one present (the one that is
/// validated further) and the errors for the extra or missing ones.
fn first_handler<'a, const N: usize>(
    kinds: [(&'a str, bool); N],
    path: &FieldPath,
) -> (Option<&'a str>, Vec<Cause>) {
    let mut errs = Vec::new();
    let mut first = None;
    for (name, present) in kinds {
        if !present {
            continue;
        }
        if first.is_some() {
            errs.push(field::forbidden(
                &path.child(name),
                "may not specify more than 1 handler type",
            ));
        } else {
            first = Some(name);
        }
    }
    if first.is_none() {
        errs.push(field::required(path, "must specify a handler type"));
    }
    (first, errs)
}

fn http_get(http: &HTTPGetAction, path: &FieldPath) -> Vec<Cause> {
    let mut errs = port_num_or_name(&http.port, &path.child("port"));
    if let Some(scheme) = http.scheme.as_deref() {
        if !matches!(scheme, "HTTP" | "HTTPS") {
            errs.push(field::not_supported(
                &path.child("scheme"),
                Bad::str(scheme),
                &["HTTP", "HTTPS"],
            ));
        }
    }
    for header in http.http_headers.iter().flatten() {
        for msg in names::http_header_name(&header.name) {
            errs.push(field::invalid(
                &path.child("httpHeaders"),
                Bad::str(&header.name),
                &msg,
            ));
        }
    }
    errs
}

/// A port given as a number (1-65535) or an IANA service name.
pub(crate) fn port_num_or_name(port: &IntOrString, path: &FieldPath) -> Vec<Cause> {
    match port {
        IntOrString::Int(n) => names::port_num(i64::from(*n))
            .into_iter()
            .map(|msg| field::invalid(path, Bad::Int(i64::from(*n)), &msg))
            .collect(),
        IntOrString::String(s) => names::port_name(s)
            .into_iter()
            .map(|msg| field::invalid(path, Bad::str(s), &msg))
            .collect(),
    }
}

fn no_command(exec: &ExecAction) -> bool {
    exec.command.as_deref().unwrap_or_default().is_empty()
}
