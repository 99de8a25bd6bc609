//! HTTP rules of a VirtualService (istiod's `validateHTTPRoute` and its helpers).

use super::http_policy::{cors_policy, fault_abort, fault_delay, http_retry, http_status};
use super::matching::{
    header_operations, is_authority_header, match_header_name, regexp, string_match,
};
use super::virtual_service::weight;
use super::{destination, hosts, Errs};
use crate::api::istio::{
    HttpDirectResponse, HttpMatchRequest, HttpRedirect, HttpRewrite, HttpRoute,
    HttpRouteDestination,
};
use crate::api::validate::field::{go_float_fixed, go_quote, FieldPath};

pub(super) fn http_route(errs: &mut Errs, http: &HttpRoute, delegate_vs: bool, path: &FieldPath) {
    route_conflicts(errs, http, delegate_vs, path);
    for (j, m) in http.match_.iter().enumerate() {
        match_request(errs, m, &path.child("match").index(j));
    }
    header_operations(errs, http.headers.as_ref(), &path.child("headers"));
    if let Some(cors) = &http.cors_policy {
        cors_policy(errs, cors, &path.child("corsPolicy"));
    }
    if let Some(fault) = &http.fault {
        let at = path.child("fault");
        if fault.abort.is_none() && fault.delay.is_none() {
            errs.err(
                &at,
                "HTTP fault injection must have an abort and/or a delay",
            );
        }
        if let Some(abort) = &fault.abort {
            fault_abort(errs, abort, &at.child("abort"));
        }
        if let Some(delay) = &fault.delay {
            fault_delay(errs, delay, &at.child("delay"));
        }
    }
    if let Some(pct) = http.mirror_percent.filter(|p| *p > 100) {
        errs.err(
            &path.child("mirrorPercent"),
            format!("mirror_percent must have a max value of 100 (it has {pct})"),
        );
    }
    if let Some(pct) = &http.mirror_percentage {
        let at = path.child("mirrorPercentage");
        if pct.value > 100.0 {
            errs.err(
                &at,
                format!(
                    "mirror_percentage must have a max value of 100 (it has {})",
                    go_float_fixed(pct.value)
                ),
            );
        }
        if pct.value < 0.0 {
            errs.err(
                &at,
                format!(
                    "mirror_percentage must have a min value of 0 (it has {})",
                    go_float_fixed(pct.value)
                ),
            );
        }
    }
    if let Some(mirror) = &http.mirror {
        destination(errs, mirror, &path.child("mirror"));
    }
    for (i, mirror) in http.mirrors.iter().enumerate() {
        let at = path.child("mirrors").index(i);
        let Some(dest) = &mirror.destination else {
            errs.required(&at.child("destination"));
            continue;
        };
        destination(errs, dest, &at.child("destination"));
        if let Some(pct) = &mirror.percentage {
            let at = at.child("percentage");
            if pct.value > 100.0 {
                errs.err(
                    &at,
                    format!(
                        "mirror percentage must have a max value of 100 (it has {})",
                        go_float_fixed(pct.value)
                    ),
                );
            }
            if pct.value < 0.0 {
                errs.err(
                    &at,
                    format!(
                        "mirror percentage must have a min value of 0 (it has {})",
                        go_float_fixed(pct.value)
                    ),
                );
            }
        }
    }
    if let Some(redirect) = &http.redirect {
        http_redirect(errs, redirect, &path.child("redirect"));
    }
    if let Some(direct) = &http.direct_response {
        direct_response(errs, direct, &path.child("directResponse"));
    }
    if let Some(retries) = &http.retries {
        http_retry(errs, retries, &path.child("retries"));
    }
    if let Some(rewrite) = &http.rewrite {
        http_rewrite(errs, rewrite, &path.child("rewrite"));
    }
    authority_rewrite(errs, http, path);
    http_route_destinations(errs, &http.route, &path.child("route"));
    errs.duration(http.timeout.as_ref(), &path.child("timeout"));
}

/// Which of route / redirect / directResponse / delegate a rule may combine.
fn route_conflicts(errs: &mut Errs, http: &HttpRoute, delegate_vs: bool, path: &FieldPath) {
    if !delegate_vs && http.delegate.is_some() {
        // A root rule hands everything to its delegate.
        if http.redirect.is_some() {
            errs.err(
                path,
                format!("root HTTP route {} must not specify redirect", http.name),
            );
        }
        if !http.route.is_empty() {
            errs.err(
                path,
                format!("root HTTP route {} must not specify route", http.name),
            );
        }
        return;
    }
    if delegate_vs && http.delegate.is_some() {
        errs.err(
            &path.child("delegate"),
            "delegate HTTP route cannot contain delegate",
        );
    }
    if http.redirect.is_some() {
        if !http.route.is_empty() {
            errs.err(path, "HTTP route cannot contain both route and redirect");
        }
        if http.fault.is_some() {
            errs.err(path, "HTTP route cannot contain both fault and redirect");
        }
        if http.rewrite.is_some() {
            errs.err(
                path,
                "HTTP route rule cannot contain both rewrite and redirect",
            );
        }
        if http.direct_response.is_some() {
            errs.err(
                path,
                "HTTP route rule cannot contain both direct_response and redirect",
            );
        }
    } else if http.direct_response.is_some() {
        if !http.route.is_empty() {
            errs.err(
                path,
                "HTTP route cannot contain both route and direct_response",
            );
        }
        if http.fault.is_some() {
            errs.err(
                path,
                "HTTP route cannot contain both fault and direct_response",
            );
        }
        if http.rewrite.is_some() {
            errs.err(
                path,
                "HTTP route rule cannot contain both rewrite and direct_response",
            );
        }
    } else if http.route.is_empty() {
        errs.err(path, "HTTP route, redirect or direct_response is required");
    }
    if http.mirror.is_some() && !http.mirrors.is_empty() {
        errs.err(path, "HTTP route cannot contain both mirror and mirrors");
    }
}

fn match_request(errs: &mut Errs, m: &HttpMatchRequest, path: &FieldPath) {
    for (name, sm) in &m.headers {
        let at = path.child("headers").child(name);
        errs.check(&path.child("headers"), match_header_name(name));
        string_match(errs, sm, "headers", false, &at);
    }
    for (name, sm) in &m.without_headers {
        let at = path.child("withoutHeaders").child(name);
        errs.check(&path.child("withoutHeaders"), match_header_name(name));
        // `*` is not a regex here: it means "header present".
        if sm.regex.as_deref() != Some("*") {
            string_match(errs, sm, "withoutHeaders", false, &at);
        }
    }
    if let Some(uri) = &m.uri {
        string_match(errs, uri, "uri", true, &path.child("uri"));
    }
    for (sm, name) in [
        (&m.scheme, "scheme"),
        (&m.method, "method"),
        (&m.authority, "authority"),
    ] {
        if let Some(sm) = sm {
            string_match(errs, sm, name, false, &path.child(name));
        }
    }
    for (name, sm) in &m.query_params {
        string_match(
            errs,
            sm,
            "queryParams",
            false,
            &path.child("queryParams").child(name),
        );
    }
    if m.port != 0 {
        errs.check(&path.child("port"), hosts::validate_port(i64::from(m.port)));
    }
    errs.errs(&path.child("sourceLabels"), hosts::labels(&m.source_labels));
    for (i, gw) in m.gateways.iter().enumerate() {
        errs.errs(&path.child("gateways").index(i), hosts::gateway_name(gw));
    }
    if !m.source_namespace.is_empty() && !hosts::is_dns1123_label(&m.source_namespace) {
        errs.err(
            &path.child("sourceNamespace"),
            format!("sourceNamespace match {} is invalid", m.source_namespace),
        );
    }
}

fn http_redirect(errs: &mut Errs, redirect: &HttpRedirect, path: &FieldPath) {
    errs.one_of(
        path,
        usize::from(redirect.port.is_some()) + usize::from(redirect.derive_port.is_some()),
    );
    // istiod stops at the first problem of a redirect.
    let has_port = redirect.port.is_some() || redirect.derive_port.is_some();
    let result = if redirect.uri.is_empty()
        && redirect.authority.is_empty()
        && !has_port
        && redirect.scheme.is_empty()
    {
        Err("redirect must specify URI, authority, scheme, or port".to_string())
    } else if redirect.redirect_code != 0 && !(300..=399).contains(&redirect.redirect_code) {
        Err(format!(
            "{} is not a valid redirect code, must be 3xx",
            redirect.redirect_code
        ))
    } else if !matches!(redirect.scheme.as_str(), "" | "http" | "https") {
        Err("invalid redirect scheme, must be \"http\" or \"https\"".to_string())
    } else {
        match redirect.port.filter(|p| *p > 0) {
            Some(port) => hosts::validate_port(i64::from(port)),
            None => Ok(()),
        }
    };
    errs.check(path, result);
}

fn direct_response(errs: &mut Errs, direct: &HttpDirectResponse, path: &FieldPath) {
    let Some(status) = direct.status else {
        errs.required(&path.child("status"));
        return;
    };
    if let Some(body) = &direct.body {
        let at = path.child("body");
        errs.one_of(
            &at,
            usize::from(body.string.is_some()) + usize::from(body.bytes.is_some()),
        );
        let size = body
            .string
            .as_ref()
            .or(body.bytes.as_ref())
            .map_or(0, String::len);
        if size > 1024 * 1024 {
            errs.err(&at, "large direct_responses may impact control plane performance, must be less than 1MB");
        }
    }
    errs.check(&path.child("status"), http_status(i64::from(status)));
}

fn http_rewrite(errs: &mut Errs, rewrite: &HttpRewrite, path: &FieldPath) {
    let result = if !rewrite.uri.is_empty() && rewrite.uri_regex_rewrite.is_some() {
        Err("rewrite may only contain one of URI or UriRegexRewrite".to_string())
    } else if rewrite.uri.is_empty()
        && rewrite.uri_regex_rewrite.is_none()
        && rewrite.authority.is_empty()
    {
        Err("rewrite must specify at least one of URI, UriRegexRewrite, or authority. Only one of URI or UriRegexRewrite may be specified".to_string())
    } else {
        match &rewrite.uri_regex_rewrite {
            Some(rr) if rr.match_.is_empty() || rr.rewrite.is_empty() => Err(
                "UriRegexRewrite has errors\nUriRegexRewrite requires both Rewrite and Match fields to be specified".to_string(),
            ),
            Some(rr) => regexp(&rr.match_, "HTTPRewrite.UriRegexRewrite.Match").map_err(|e| format!("UriRegexRewrite has errors\n{e}")),
            None => Ok(()),
        }
    };
    errs.check(path, result);
}

/// The authority may be rewritten in only one place.
fn authority_rewrite(errs: &mut Errs, http: &HttpRoute, path: &FieldPath) {
    let mut current = http
        .rewrite
        .as_ref()
        .map(|r| r.authority.clone())
        .unwrap_or_default();
    let Some(req) = http.headers.as_ref().and_then(|h| h.request.as_ref()) else {
        return;
    };
    for (k, v) in req.set.iter().chain(&req.add) {
        if !is_authority_header(k) {
            continue;
        }
        if !current.is_empty() {
            errs.err(
                &path.child("headers"),
                format!(
                    "authority header cannot be set multiple times: have {}, attempting to set {}",
                    go_quote(&current),
                    go_quote(v)
                ),
            );
            return;
        }
        current = v.clone();
    }
}

fn http_route_destinations(errs: &mut Errs, routes: &[HttpRouteDestination], path: &FieldPath) {
    let mut total: i64 = 0;
    for (i, route) in routes.iter().enumerate() {
        let at = path.index(i);
        match &route.destination {
            None => errs.required(&at.child("destination")),
            Some(dest) => destination(errs, dest, &at.child("destination")),
        }
        header_operations(errs, route.headers.as_ref(), &at.child("headers"));
        weight(errs, route.weight, &at.child("weight"));
        total += i64::from(route.weight);
    }
    if routes.len() > 1 && total == 0 {
        errs.err(path, "total destination weight = 0");
    }
}
