//! The catalogue of resource types meshlite serves: groups, versions, kinds, plurals and short names.

/// Whether objects of a resource live in a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Namespaced,
    Cluster,
}

/// One resource type as discovery describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    /// API group; `""` is the core group.
    pub group: &'static str,
    /// Served versions, preferred first.
    pub versions: &'static [&'static str],
    pub kind: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub short_names: &'static [&'static str],
    pub scope: Scope,
    /// `kubectl get all` uses the `all` category.
    pub categories: &'static [&'static str],
    /// Subresources served beside the object (`status`, `log`, …).
    pub subresources: &'static [&'static str],
}

const ISTIO_NET: &[&str] = &["v1", "v1beta1", "v1alpha3"];
const ISTIO_SEC: &[&str] = &["v1", "v1beta1"];
const ISTIO_CATS: &[&str] = &["istio-io", "networking-istio-io"];
const ISTIO_SEC_CATS: &[&str] = &["istio-io", "security-istio-io"];

macro_rules! res {
    ($group:expr, $versions:expr, $kind:expr, $plural:expr, $singular:expr, [$($short:expr),*], $scope:ident, $cats:expr, $subs:expr) => {
        Resource {
            group: $group,
            versions: $versions,
            kind: $kind,
            plural: $plural,
            singular: $singular,
            short_names: &[$($short),*],
            scope: Scope::$scope,
            categories: $cats,
            subresources: $subs,
        }
    };
}

/// Every resource served, in discovery order.
pub static RESOURCES: &[Resource] = &[
    res!(
        "",
        &["v1"],
        "Namespace",
        "namespaces",
        "namespace",
        ["ns"],
        Cluster,
        &[],
        &["status", "finalize"]
    ),
    res!(
        "",
        &["v1"],
        "Pod",
        "pods",
        "pod",
        ["po"],
        Namespaced,
        &["all"],
        &["status", "log", "exec"]
    ),
    res!(
        "",
        &["v1"],
        "Service",
        "services",
        "service",
        ["svc"],
        Namespaced,
        &["all"],
        &["status"]
    ),
    res!(
        "",
        &["v1"],
        "Endpoints",
        "endpoints",
        "endpoints",
        ["ep"],
        Namespaced,
        &[],
        &[]
    ),
    res!(
        "",
        &["v1"],
        "ConfigMap",
        "configmaps",
        "configmap",
        ["cm"],
        Namespaced,
        &[],
        &[]
    ),
    res!(
        "",
        &["v1"],
        "Secret",
        "secrets",
        "secret",
        [],
        Namespaced,
        &[],
        &[]
    ),
    res!(
        "",
        &["v1"],
        "ServiceAccount",
        "serviceaccounts",
        "serviceaccount",
        ["sa"],
        Namespaced,
        &[],
        &[]
    ),
    res!(
        "",
        &["v1"],
        "Event",
        "events",
        "event",
        ["ev"],
        Namespaced,
        &[],
        &[]
    ),
    res!(
        "apps",
        &["v1"],
        "Deployment",
        "deployments",
        "deployment",
        ["deploy"],
        Namespaced,
        &["all"],
        &["status", "scale"]
    ),
    res!(
        "apps",
        &["v1"],
        "ReplicaSet",
        "replicasets",
        "replicaset",
        ["rs"],
        Namespaced,
        &["all"],
        &["status", "scale"]
    ),
    res!(
        "networking.istio.io",
        ISTIO_NET,
        "Gateway",
        "gateways",
        "gateway",
        ["gw"],
        Namespaced,
        ISTIO_CATS,
        &["status"]
    ),
    res!(
        "networking.istio.io",
        ISTIO_NET,
        "VirtualService",
        "virtualservices",
        "virtualservice",
        ["vs"],
        Namespaced,
        ISTIO_CATS,
        &["status"]
    ),
    res!(
        "networking.istio.io",
        ISTIO_NET,
        "DestinationRule",
        "destinationrules",
        "destinationrule",
        ["dr"],
        Namespaced,
        ISTIO_CATS,
        &["status"]
    ),
    res!(
        "networking.istio.io",
        ISTIO_NET,
        "ServiceEntry",
        "serviceentries",
        "serviceentry",
        ["se"],
        Namespaced,
        ISTIO_CATS,
        &["status"]
    ),
    res!(
        "networking.istio.io",
        ISTIO_NET,
        "Sidecar",
        "sidecars",
        "sidecar",
        [],
        Namespaced,
        ISTIO_CATS,
        &["status"]
    ),
    res!(
        "security.istio.io",
        ISTIO_SEC,
        "PeerAuthentication",
        "peerauthentications",
        "peerauthentication",
        ["pa"],
        Namespaced,
        ISTIO_SEC_CATS,
        &["status"]
    ),
    res!(
        "security.istio.io",
        ISTIO_SEC,
        "AuthorizationPolicy",
        "authorizationpolicies",
        "authorizationpolicy",
        ["ap"],
        Namespaced,
        ISTIO_SEC_CATS,
        &["status"]
    ),
];

/// The groups served, each with its versions, in discovery order (core excluded).
pub fn groups() -> Vec<(&'static str, &'static [&'static str])> {
    let mut out: Vec<(&'static str, &'static [&'static str])> = Vec::new();
    for r in RESOURCES.iter().filter(|r| !r.group.is_empty()) {
        if !out.iter().any(|(g, _)| *g == r.group) {
            out.push((r.group, r.versions));
        }
    }
    out
}

/// The resource served at `group/version` under `plural`.
pub fn by_plural(group: &str, version: &str, plural: &str) -> Option<&'static Resource> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.plural == plural && r.versions.contains(&version))
}

/// A core/v1 resource by plural, for the server's own use (`namespaces`, `services`, …).
pub fn core(plural: &str) -> &'static Resource {
    by_plural("", "v1", plural)
        .unwrap_or_else(|| panic!("core resource {plural} is not in the catalogue"))
}

/// The resource for an object's `apiVersion` and `kind`.
pub fn by_kind(api_version: &str, kind: &str) -> Option<&'static Resource> {
    let (group, version) = split_api_version(api_version);
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.kind == kind && r.versions.contains(&version))
}

/// Look up what a user typed (`po`, `pods`, `Pod`, `deployments.apps`, `gw`,
/// `virtualservice.networking.istio.io`) the way kubectl's RESTMapper does: case-insensitive.
pub fn lookup(typed: &str) -> Option<&'static Resource> {
    let typed = typed.to_ascii_lowercase();
    let (name, group) = match typed.split_once('.') {
        Some((n, g)) => (n.to_string(), Some(g.to_string())),
        None => (typed.clone(), None),
    };
    RESOURCES.iter().find(|r| {
        let group_ok = match &group {
            None => true,
            // `deployments.apps`, `deployments.v1.apps` and `pods.v1.` are all accepted forms.
            Some(g) => {
                g == r.group
                    || r.versions.iter().any(|v| *g == format!("{v}.{}", r.group))
                    || (r.group.is_empty() && r.versions.iter().any(|v| g == v))
            }
        };
        group_ok
            && (name == r.plural
                || name == r.singular
                || name == r.kind.to_ascii_lowercase()
                || r.short_names.contains(&name.as_str()))
    })
}

/// `apps/v1` → (`apps`, `v1`); `v1` → (``, `v1`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

// === impl Resource ===

impl Resource {
    pub fn namespaced(&self) -> bool {
        self.scope == Scope::Namespaced
    }

    /// The preferred (storage) version.
    pub fn version(&self) -> &'static str {
        self.versions[0]
    }

    /// `apps/v1`, or `v1` for the core group, for the given version.
    pub fn api_version_for(&self, version: &str) -> String {
        if self.group.is_empty() {
            version.to_string()
        } else {
            format!("{}/{}", self.group, version)
        }
    }

    /// `pods`, `deployments.apps`, `gateways.networking.istio.io`: how the API server names the
    /// resource in messages such as `deployments.apps "x" not found`.
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// `pod`, `deployment.apps`, `gateway.networking.istio.io`: kubectl's prefix in `-o name`
    /// and in `get a,b` tables.
    pub fn qualified_kind(&self) -> String {
        let kind = self.kind.to_ascii_lowercase();
        if self.group.is_empty() {
            kind
        } else {
            format!("{kind}.{}", self.group)
        }
    }

    /// The URL path of the collection, optionally inside a namespace.
    pub fn collection_path(&self, version: &str, namespace: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{version}")
        } else {
            format!("/apis/{}/{version}", self.group)
        };
        match namespace {
            Some(ns) if self.namespaced() => format!("{base}/namespaces/{ns}/{}", self.plural),
            _ => format!("{base}/{}", self.plural),
        }
    }

    /// The storage key prefix: `/registry/<group>/<resource>/` (`core` names the core group).
    pub fn key_prefix(&self) -> String {
        let group = if self.group.is_empty() {
            "core"
        } else {
            self.group
        };
        format!("/registry/{group}/{}/", self.plural)
    }

    /// The storage key of one object.
    pub fn key(&self, namespace: Option<&str>, name: &str) -> String {
        match namespace {
            Some(ns) if self.namespaced() => format!("{}{ns}/{name}", self.key_prefix()),
            _ => format!("{}{name}", self.key_prefix()),
        }
    }
}
