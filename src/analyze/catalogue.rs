//! The subset of Istio's analysis message catalogue (codes, names, levels, templates) and Go-style rendering of its templates.

use super::Level;

/// One entry of the message catalogue: a code with its fixed level and text template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageType {
    /// Catalogue code, e.g. `IST0101`.
    pub code: &'static str,
    /// Catalogue name, e.g. `ReferencedResourceNotFound`.
    pub name: &'static str,
    /// Severity of every message of this type.
    pub level: Level,
    /// Go `fmt` template the text is rendered from.
    pub template: &'static str,
}

/// IST0101: a referenced resource does not exist.
pub const REFERENCED_RESOURCE_NOT_FOUND: MessageType = MessageType {
    code: "IST0101",
    name: "ReferencedResourceNotFound",
    level: Level::Error,
    template: "Referenced %s not found: %q",
};

/// IST0102: a namespace carries no injection label.
pub const NAMESPACE_NOT_INJECTED: MessageType = MessageType {
    code: "IST0102",
    name: "NamespaceNotInjected",
    level: Level::Info,
    template: "The namespace is not enabled for Istio injection. Run 'kubectl label namespace %s istio-injection=enabled' to enable it, or 'kubectl label namespace %s istio-injection=disabled' to explicitly mark it as not needing injection.",
};

/// IST0103: a pod in an injected namespace runs without `istio-proxy`.
pub const POD_MISSING_PROXY: MessageType = MessageType {
    code: "IST0103",
    name: "PodMissingProxy",
    level: Level::Warning,
    template: "The pod %s is missing the Istio proxy. This can often be resolved by restarting or redeploying the workload.",
};

/// IST0112: a destination without port points at a multi-port service.
pub const VIRTUAL_SERVICE_DESTINATION_PORT_SELECTOR_REQUIRED: MessageType = MessageType {
    code: "IST0112",
    name: "VirtualServiceDestinationPortSelectorRequired",
    level: Level::Error,
    template: "This VirtualService routes to a service %q that exposes multiple ports %v. Specifying a port in the destination is required to disambiguate.",
};

/// IST0118: a Service port name has no protocol prefix.
pub const PORT_NAME_IS_NOT_UNDER_NAMING_CONVENTION: MessageType = MessageType {
    code: "IST0118",
    name: "PortNameIsNotUnderNamingConvention",
    level: Level::Info,
    template: "Port name %s (port: %d, targetPort: %s) doesn't follow the naming convention of Istio port.",
};

/// IST0132: none of a VirtualService's hosts is served by one of its gateways.
pub const VIRTUAL_SERVICE_HOST_NOT_FOUND_IN_GATEWAY: MessageType = MessageType {
    code: "IST0132",
    name: "VirtualServiceHostNotFoundInGateway",
    level: Level::Warning,
    template: "one or more host %v defined in VirtualService %s not found in Gateway %s.",
};

/// IST0150: an ExternalName Service port name that the proxy cannot forward correctly.
pub const EXTERNAL_NAME_SERVICE_TYPE_INVALID_PORT_NAME: MessageType = MessageType {
    code: "IST0150",
    name: "ExternalNameServiceTypeInvalidPortName",
    level: Level::Warning,
    template: "Port name for ExternalName service is invalid. Proxy may prevent tcp named ports and unmatched traffic for ports serving TCP protocol from being forwarded correctly",
};

/// IST0106: the resource fails Istio's own schema validation.
pub const SCHEMA_VALIDATION_ERROR: MessageType = MessageType {
    code: "IST0106",
    name: "SchemaValidationError",
    level: Level::Error,
    template: "Schema validation error: %v",
};

/// IST0108: an annotation in Istio's namespace that Istio does not know.
pub const UNKNOWN_ANNOTATION: MessageType = MessageType {
    code: "IST0108",
    name: "UnknownAnnotation",
    level: Level::Warning,
    template: "Unknown annotation: %s",
};

/// IST0109: several mesh-bound VirtualServices claim the same host.
pub const CONFLICTING_MESH_GATEWAY_VIRTUAL_SERVICE_HOSTS: MessageType = MessageType {
    code: "IST0109",
    name: "ConflictingMeshGatewayVirtualServiceHosts",
    level: Level::Error,
    template: "The VirtualServices %s associated with mesh gateway define the same host %s which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.",
};

/// IST0130: a VirtualService rule that earlier rules shadow completely.
pub const VIRTUAL_SERVICE_UNREACHABLE_RULE: MessageType = MessageType {
    code: "IST0130",
    name: "VirtualServiceUnreachableRule",
    level: Level::Warning,
    template: "VirtualService rule %v not used (%s).",
};

/// IST0131: one match of a VirtualService rule that an earlier match covers.
pub const VIRTUAL_SERVICE_INEFFECTIVE_MATCH: MessageType = MessageType {
    code: "IST0131",
    name: "VirtualServiceIneffectiveMatch",
    level: Level::Info,
    template:
        "VirtualService rule %v match %v is not used (duplicate/overlapping match in rule %v).",
};

/// IST0162: a Gateway listens on a port no Service of its workload forwards to.
pub const GATEWAY_PORT_NOT_DEFINED_ON_SERVICE: MessageType = MessageType {
    code: "IST0162",
    name: "GatewayPortNotDefinedOnService",
    level: Level::Warning,
    template: "The gateway is listening on a target port (port %d) that is not defined in the Service associated with its workload instances (Pod selector %s). If you need to access the gateway port through the gateway Service, it will not be available.",
};

/// IST0173: a DestinationRule subset whose labels select no pod.
pub const DESTINATION_RULE_SUBSET_NOT_SELECT_PODS: MessageType = MessageType {
    code: "IST0173",
    name: "DestinationRuleSubsetNotSelectPods",
    level: Level::Error,
    template: "The Subset %s defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).",
};

/// IST0174: a DestinationRule host that resolves to no Service or ServiceEntry.
pub const UNKNOWN_DESTINATION_RULE_HOST: MessageType = MessageType {
    code: "IST0174",
    name: "UnknownDestinationRuleHost",
    level: Level::Warning,
    template: "The host %s defined in the DestinationRule does not match any services in the mesh.",
};

/// Every message type this module can emit.
pub const ALL: [MessageType; 15] = [
    REFERENCED_RESOURCE_NOT_FOUND,
    NAMESPACE_NOT_INJECTED,
    POD_MISSING_PROXY,
    SCHEMA_VALIDATION_ERROR,
    UNKNOWN_ANNOTATION,
    CONFLICTING_MESH_GATEWAY_VIRTUAL_SERVICE_HOSTS,
    VIRTUAL_SERVICE_DESTINATION_PORT_SELECTOR_REQUIRED,
    PORT_NAME_IS_NOT_UNDER_NAMING_CONVENTION,
    VIRTUAL_SERVICE_UNREACHABLE_RULE,
    VIRTUAL_SERVICE_INEFFECTIVE_MATCH,
    VIRTUAL_SERVICE_HOST_NOT_FOUND_IN_GATEWAY,
    EXTERNAL_NAME_SERVICE_TYPE_INVALID_PORT_NAME,
    GATEWAY_PORT_NOT_DEFINED_ON_SERVICE,
    DESTINATION_RULE_SUBSET_NOT_SELECT_PODS,
    UNKNOWN_DESTINATION_RULE_HOST,
];

/// A template argument, typed like the Go value the catalogue expects.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// A Go `string`.
    Str(String),
    /// A Go `int`.
    Int(i64),
    /// A Go `[]int`.
    Ints(Vec<i64>),
    /// A Go `[]string`.
    Strs(Vec<String>),
}

/// Renders `template` the way Go's `fmt.Sprintf` renders these argument types
/// (`%s`, `%v`, `%d`, `%q`, `%%`). Missing arguments render as Go does: `%!v(MISSING)`.
pub fn render(template: &str, args: &[Arg]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut next = args.iter();
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        match next.next() {
            Some(arg) => out.push_str(&format_arg(verb, arg)),
            None => {
                out.push_str("%!");
                out.push(verb);
                out.push_str("(MISSING)");
            }
        }
    }
    out
}

fn format_arg(verb: char, arg: &Arg) -> String {
    match (verb, arg) {
        ('q', Arg::Str(s)) => go_quote(s),
        ('q', Arg::Strs(v)) => bracket(v.iter().map(|s| go_quote(s))),
        (_, Arg::Str(s)) => s.clone(),
        (_, Arg::Int(i)) => i.to_string(),
        (_, Arg::Ints(v)) => bracket(v.iter().map(i64::to_string)),
        (_, Arg::Strs(v)) => bracket(v.iter().cloned()),
    }
}

/// Go prints slices as `[a b c]`.
fn bracket(items: impl Iterator<Item = String>) -> String {
    let joined: Vec<String> = items.collect();
    format!("[{}]", joined.join(" "))
}

/// Go's `%q` for strings: double-quoted with Go escape sequences.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                let n = c as u32;
                if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
