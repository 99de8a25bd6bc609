//! Parsing Kubernetes REST paths into what they address.

use crate::api::resources::{self, Resource};

/// What a request path under `/api` or `/apis` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `/api/v1`, `/apis/apps/v1`: the discovery document of one group version.
    GroupVersion { group: String, version: String },
    /// `/apis/apps`: one group.
    Group { group: String },
    /// A collection or object of a resource.
    Resource(ResourcePath),
}

/// A resource collection (`name` is None) or one object, possibly a subresource of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePath {
    pub resource: &'static Resource,
    pub version: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

/// Parse a path; `None` when it names nothing served here.
pub fn parse(path: &str) -> Option<Target> {
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group] => {
            return Some(Target::Group {
                group: group.to_string(),
            })
        }
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return None,
    };
    let gv = || Target::GroupVersion {
        group: group.to_string(),
        version: version.to_string(),
    };
    let res = |plural: &str| resources::by_plural(group, version, plural);
    let target = |r: &'static Resource, ns: Option<&str>, name: Option<&str>, sub: Option<&str>| {
        Some(Target::Resource(ResourcePath {
            resource: r,
            version: version.to_string(),
            namespace: ns.map(str::to_string),
            name: name.map(str::to_string),
            subresource: sub.map(str::to_string),
        }))
    };
    match rest {
        [] => {
            if group.is_empty() && version != "v1" {
                return None;
            }
            resources::RESOURCES
                .iter()
                .any(|r| r.group == group && r.versions.contains(&version))
                .then(gv)
        }
        // `/api/v1/namespaces/NS/PLURAL[/NAME[/SUB]]` — unless PLURAL is a subresource of the
        // namespace itself (`/api/v1/namespaces/x/status`).
        ["namespaces", ns, plural, tail @ ..] if res(plural).is_some_and(Resource::namespaced) => {
            let r = res(plural)?;
            match tail {
                [] => target(r, Some(ns), None, None),
                [name] => target(r, Some(ns), Some(name), None),
                [name, sub] if r.subresources.contains(sub) => {
                    target(r, Some(ns), Some(name), Some(sub))
                }
                _ => None,
            }
        }
        [plural, tail @ ..] => {
            let r = res(plural)?;
            match tail {
                [] => target(r, None, None, None),
                [name] if !r.namespaced() => target(r, None, Some(name), None),
                [name, sub] if !r.namespaced() && r.subresources.contains(sub) => {
                    target(r, None, Some(name), Some(sub))
                }
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rp(path: &str) -> ResourcePath {
        match parse(path) {
            Some(Target::Resource(r)) => r,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn paths() {
        let p = rp("/api/v1/namespaces/default/pods/web/log");
        assert_eq!(
            (
                p.resource.plural,
                p.namespace.as_deref(),
                p.name.as_deref(),
                p.subresource.as_deref()
            ),
            ("pods", Some("default"), Some("web"), Some("log"))
        );
        let p = rp("/api/v1/namespaces/demo");
        assert_eq!(
            (p.resource.plural, p.namespace, p.name.as_deref()),
            ("namespaces", None, Some("demo"))
        );
        let p = rp("/api/v1/namespaces/demo/status");
        assert_eq!(
            (p.name.as_deref(), p.subresource.as_deref()),
            (Some("demo"), Some("status"))
        );
        let p = rp("/api/v1/pods");
        assert_eq!(
            (p.resource.plural, p.namespace, p.name),
            ("pods", None, None)
        );
        let p = rp("/apis/networking.istio.io/v1alpha3/namespaces/x/virtualservices/vs");
        assert_eq!(
            (p.resource.kind, p.version.as_str()),
            ("VirtualService", "v1alpha3")
        );
        assert_eq!(
            parse("/apis/apps/v1"),
            Some(Target::GroupVersion {
                group: "apps".into(),
                version: "v1".into()
            })
        );
        assert_eq!(parse("/api/v2"), None);
        assert_eq!(parse("/apis/apps/v2/deployments"), None);
        assert_eq!(
            parse("/api/v1/pods/x"),
            None,
            "namespaced objects need a namespace"
        );
        assert_eq!(parse("/api/v1/namespaces/a/pods/b/bogus"), None);
    }
}
