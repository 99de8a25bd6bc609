//! `DestinationRule` validation (istiod's `ValidateDestinationRule`), including the
//! traffic policy and connection pool checks that `Sidecar` reuses.

use std::collections::HashSet;

use serde_json::Value;

use super::{crd_object, hosts, namespace_of, selector_labels, spec, subset_name, Errs};
use crate::api::istio::{
    ClientTlsMode, ClientTlsSettings, ConnectionPoolSettings, DestinationRule, H2UpgradePolicy,
    LoadBalancerSettings, LocalityLoadBalancerSetting, OutlierDetection, TrafficPolicy,
};
use crate::api::validate::field::FieldPath;
use crate::api::validate::Report;

pub(crate) fn destination_rule(obj: &Value) -> Report {
    crd_object(obj, |dr: &DestinationRule, meta, errs| {
        let path = spec();
        match &dr.host {
            None => errs.required(&path.child("host")),
            Some(host) => errs.check(&path.child("host"), hosts::validate_wildcard_domain(host)),
        }
        if let Some(policy) = &dr.traffic_policy {
            traffic_policy(errs, policy, &path.child("trafficPolicy"));
        }
        let mut names = HashSet::new();
        for (i, subset) in dr.subsets.iter().enumerate() {
            let at = path.child("subsets").index(i);
            let Some(name) = &subset.name else {
                errs.required(&at.child("name"));
                continue;
            };
            if !names.insert(name.as_str()) {
                errs.err(&at.child("name"), format!("duplicate subset names: {name}"));
            }
            errs.check(&at.child("name"), subset_name(name));
            errs.errs(&at.child("labels"), hosts::labels(&subset.labels));
            if let Some(policy) = &subset.traffic_policy {
                traffic_policy(errs, policy, &at.child("trafficPolicy"));
            }
        }
        let selector = dr.workload_selector.as_ref();
        super::export_to(
            errs,
            namespace_of(meta),
            &dr.export_to,
            &path.child("exportTo"),
            false,
            selector.is_some(),
        );
        if let Some(sel) = selector {
            selector_labels(
                errs,
                &sel.match_labels,
                &path.child("workloadSelector").child("matchLabels"),
            );
        }
    })
}

/// istiod's `validateTrafficPolicy`.
pub(crate) fn traffic_policy(errs: &mut Errs, policy: &TrafficPolicy, path: &FieldPath) {
    if policy.outlier_detection.is_none()
        && policy.connection_pool.is_none()
        && policy.load_balancer.is_none()
        && policy.tls.is_none()
        && policy.port_level_settings.is_none()
        && policy.tunnel.is_none()
        && policy.proxy_protocol.is_none()
        && policy.retry_budget.is_none()
    {
        errs.err(path, "traffic policy must have at least one field");
        return;
    }
    if policy.tunnel.is_some() && policy.proxy_protocol.is_some() {
        errs.err(path, "tunnel and proxyProtocol must not be set together");
        return;
    }
    if let Some(o) = &policy.outlier_detection {
        outlier_detection(errs, o, &path.child("outlierDetection"));
    }
    if let Some(pool) = &policy.connection_pool {
        connection_pool(errs, pool, &path.child("connectionPool"));
    }
    if let Some(lb) = &policy.load_balancer {
        load_balancer(errs, lb, &path.child("loadBalancer"));
    }
    if let Some(tls) = &policy.tls {
        client_tls(errs, tls, &path.child("tls"));
    }
    for (i, port_policy) in policy.port_level_settings.iter().flatten().enumerate() {
        let at = path.child("portLevelSettings").index(i);
        if port_policy.port.is_none() {
            errs.err(&at, "portTrafficPolicy must have valid port");
        }
        if port_policy.outlier_detection.is_none()
            && port_policy.connection_pool.is_none()
            && port_policy.load_balancer.is_none()
            && port_policy.tls.is_none()
        {
            errs.err(&at, "port traffic policy must have at least one field");
            continue;
        }
        if let Some(o) = &port_policy.outlier_detection {
            outlier_detection(errs, o, &at.child("outlierDetection"));
        }
        if let Some(pool) = &port_policy.connection_pool {
            connection_pool(errs, pool, &at.child("connectionPool"));
        }
        if let Some(lb) = &port_policy.load_balancer {
            load_balancer(errs, lb, &at.child("loadBalancer"));
        }
        if let Some(tls) = &port_policy.tls {
            client_tls(errs, tls, &at.child("tls"));
        }
    }
    if let Some(tunnel) = &policy.tunnel {
        let at = path.child("tunnel");
        if !matches!(tunnel.protocol.as_str(), "" | "CONNECT" | "POST") {
            errs.err(
                &at.child("protocol"),
                "tunnel protocol must be \"CONNECT\" or \"POST\"",
            );
        }
        if let (Err(fqdn), Err(ip)) = (
            hosts::validate_fqdn(&tunnel.target_host),
            hosts::validate_ip(&tunnel.target_host),
        ) {
            errs.err(
                &at.child("targetHost"),
                format!("tunnel target host must be valid FQDN or IP address: {fqdn}; {ip}"),
            );
        }
        if let Err(e) = hosts::validate_port(i64::from(tunnel.target_port)) {
            errs.err(
                &at.child("targetPort"),
                format!("tunnel target port is invalid: {e}"),
            );
        }
    }
}

fn outlier_detection(errs: &mut Errs, o: &OutlierDetection, path: &FieldPath) {
    errs.duration(
        o.base_ejection_time.as_ref(),
        &path.child("baseEjectionTime"),
    );
    if !o.split_external_local_origin_errors && o.consecutive_local_origin_failures.unwrap_or(0) > 0
    {
        errs.err(
            path,
            "outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false",
        );
    }
    errs.duration(o.interval.as_ref(), &path.child("interval"));
    super::percent_int(
        errs,
        o.max_ejection_percent,
        &path.child("maxEjectionPercent"),
    );
    super::percent_int(errs, o.min_health_percent, &path.child("minHealthPercent"));
}

/// istiod's `validateConnectionPool`.
pub(crate) fn connection_pool(errs: &mut Errs, pool: &ConnectionPoolSettings, path: &FieldPath) {
    if pool.http.is_none() && pool.tcp.is_none() {
        errs.err(path, "connection pool must have at least one field");
        return;
    }
    if let Some(http) = &pool.http {
        let at = path.child("http");
        for (value, field, what) in [
            (
                http.http1_max_pending_requests,
                "http1MaxPendingRequests",
                "http1 max pending requests",
            ),
            (
                http.http2_max_requests,
                "http2MaxRequests",
                "http2 max requests",
            ),
            (
                http.max_requests_per_connection,
                "maxRequestsPerConnection",
                "max requests per connection",
            ),
            (http.max_retries, "maxRetries", "max retries"),
        ] {
            if value < 0 {
                errs.err(&at.child(field), format!("{what} must be non-negative"));
            }
        }
        errs.duration(http.idle_timeout.as_ref(), &at.child("idleTimeout"));
        if http.h2_upgrade_policy == H2UpgradePolicy::Upgrade && http.use_client_protocol {
            errs.err(
                &at,
                "use client protocol must not be true when H2UpgradePolicy is UPGRADE",
            );
        }
        if http.max_concurrent_streams < 0 {
            errs.err(
                &at.child("maxConcurrentStreams"),
                "max concurrent streams must be non-negative",
            );
        }
    }
    if let Some(tcp) = &pool.tcp {
        let at = path.child("tcp");
        if tcp.max_connections < 0 {
            errs.err(
                &at.child("maxConnections"),
                "max connections must be non-negative",
            );
        }
        errs.duration(tcp.connect_timeout.as_ref(), &at.child("connectTimeout"));
        errs.duration(
            tcp.max_connection_duration.as_ref(),
            &at.child("maxConnectionDuration"),
        );
        errs.duration(tcp.idle_timeout.as_ref(), &at.child("idleTimeout"));
        if let Some(ka) = &tcp.tcp_keepalive {
            errs.duration(ka.time.as_ref(), &at.child("tcpKeepalive").child("time"));
            errs.duration(
                ka.interval.as_ref(),
                &at.child("tcpKeepalive").child("interval"),
            );
        }
    }
}

fn load_balancer(errs: &mut Errs, lb: &LoadBalancerSettings, path: &FieldPath) {
    errs.one_of(
        path,
        usize::from(lb.simple.is_some()) + usize::from(lb.consistent_hash.is_some()),
    );
    if let Some(ch) = &lb.consistent_hash {
        let at = path.child("consistentHash");
        let keys = [
            ch.http_header_name.is_some(),
            ch.http_cookie.is_some(),
            ch.use_source_ip.is_some(),
            ch.http_query_parameter_name.is_some(),
        ];
        errs.one_of(&at, keys.iter().filter(|k| **k).count());
        errs.one_of(
            &at,
            usize::from(ch.ring_hash.is_some()) + usize::from(ch.maglev.is_some()),
        );
        if let Some(cookie) = &ch.http_cookie {
            match cookie.name.as_deref() {
                None => errs.required(&at.child("httpCookie").child("name")),
                Some("") => errs.err(&at.child("httpCookie"), "name required for HttpCookie"),
                Some(_) => {}
            }
            errs.duration(cookie.ttl.as_ref(), &at.child("httpCookie").child("ttl"));
        }
        if ch.minimum_ring_size != 0 && (ch.ring_hash.is_some() || ch.maglev.is_some()) {
            errs.err(
                &at,
                "only one of MinimumRingSize or Maglev/Ringhash can be specified",
            );
        }
        if let Some(maglev) = &ch.maglev {
            let mp = at.child("maglev").child("tableSize");
            if maglev.table_size == 0 {
                errs.err(&mp, "tableSize must be set for maglev");
            }
            if maglev.table_size >= 5_000_011 {
                errs.err(&mp, "tableSize must be less than 5000011 for maglev");
            }
            if !is_prime(maglev.table_size) {
                errs.err(&mp, "tableSize must be a prime number for maglev");
            }
        }
    }
    if let Some(locality) = &lb.locality_lb_setting {
        locality_lb(errs, locality, &path.child("localityLbSetting"));
    }
    errs.duration(
        lb.warmup_duration_secs.as_ref(),
        &path.child("warmupDurationSecs"),
    );
    if let Some(warmup) = &lb.warmup {
        errs.duration(
            warmup.duration.as_ref(),
            &path.child("warmup").child("duration"),
        );
    }
}

/// Envoy's primality test for Maglev table sizes.
fn is_prime(x: u64) -> bool {
    if x != 0 && x < 4 {
        return true;
    }
    if x & 1 == 0 {
        return false;
    }
    let mut factor = 3u64;
    while factor.saturating_mul(factor) <= x {
        if x % factor == 0 {
            return false;
        }
        factor += 2;
    }
    true
}

fn locality_lb(errs: &mut Errs, lb: &LocalityLoadBalancerSetting, path: &FieldPath) {
    if !lb.distribute.is_empty() && !lb.failover.is_empty() {
        errs.err(
            path,
            "can not simultaneously specify 'distribute' and 'failover'",
        );
        return;
    }
    if !lb.failover.is_empty() {
        let topology = [
            "topology.kubernetes.io/region",
            "topology.kubernetes.io/zone",
            "topology.istio.io/subzone",
        ];
        if let Some(label) = lb
            .failover_priority
            .iter()
            .find(|l| topology.contains(&l.as_str()))
        {
            errs.err(path, format!("can not simultaneously set 'failover' and topology label '{label}' in 'failover_priority'"));
            return;
        }
    }
    for (i, dist) in lb.distribute.iter().enumerate() {
        let at = path.child("distribute").index(i);
        if dist.to.values().any(|w| *w == 0 || *w > 100) {
            errs.err(&at.child("to"), "locality weight must be in range [1, 100]");
            return;
        }
        let total: u64 = dist.to.values().map(|w| u64::from(*w)).sum();
        if total != 100 {
            errs.err(
                &at.child("to"),
                format!("total locality weight {total} != 100"),
            );
            return;
        }
    }
    for (i, failover) in lb.failover.iter().enumerate() {
        let at = path.child("failover").index(i);
        if failover.from == failover.to {
            errs.err(
                &at,
                "locality lb failover settings must specify different regions",
            );
        }
        if failover.from.contains('/') || failover.to.contains('/') {
            errs.err(&at, "locality lb failover only specify region");
        }
        if failover.from.contains('*') || failover.to.contains('*') {
            errs.err(
                &at,
                "locality lb failover region should not contain '*' wildcard",
            );
        }
    }
}

/// istiod's client-side `ValidateTLS`.
fn client_tls(errs: &mut Errs, tls: &ClientTlsSettings, path: &FieldPath) {
    if tls.insecure_skip_verify == Some(true) {
        if tls.mode == ClientTlsMode::Simple
            && (!tls.ca_certificates.is_empty()
                || !tls.credential_name.is_empty()
                || tls.subject_alt_names.is_some())
        {
            errs.err(
                path,
                "cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true",
            );
        }
        if tls.mode == ClientTlsMode::Mutual
            && (!tls.ca_certificates.is_empty() || tls.subject_alt_names.is_some())
        {
            errs.err(path, "cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set true");
        }
    }
    let simple_or_mutual = matches!(tls.mode, ClientTlsMode::Simple | ClientTlsMode::Mutual);
    if simple_or_mutual && !tls.credential_name.is_empty() {
        if !tls.client_certificate.is_empty()
            || !tls.ca_certificates.is_empty()
            || !tls.private_key.is_empty()
            || !tls.ca_crl.is_empty()
        {
            errs.err(path, "cannot specify client certificates or CA certificate or CA CRL If credentialName is set");
        }
        return;
    }
    if tls.mode == ClientTlsMode::Mutual {
        if tls.client_certificate.is_empty() {
            errs.err(path, "client certificate required for mutual tls");
        }
        if tls.private_key.is_empty() {
            errs.err(path, "private key required for mutual tls");
        }
    }
}
