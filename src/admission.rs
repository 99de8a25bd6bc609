//! Admission: everything between a client's request body and the store — names, system metadata,
//! defaults, address allocation and validation, run before every write.

pub mod allocator;
pub mod defaults;
pub mod services;

use crate::api::meta;
use crate::api::resources::Resource;
use crate::api::status::ApiError;
use crate::api::validate;
use serde_json::{json, Value};
use std::sync::Mutex;

/// How to treat fields the schema does not know (`?fieldValidation=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldValidation {
    Strict,
    /// The server's default: accept, but warn.
    #[default]
    Warn,
    Ignore,
}

/// An object ready to store, with the warnings to send back.
#[derive(Debug)]
pub struct Admitted {
    pub object: Value,
    pub warnings: Vec<String>,
}

/// Holds what admission needs across requests (the address allocator).
pub struct Admission {
    alloc: Mutex<allocator::Allocator>,
}

/// Kinds whose `metadata.generation` tracks spec changes.
fn tracks_generation(res: &Resource) -> bool {
    matches!(
        res.group,
        "apps" | "networking.istio.io" | "security.istio.io"
    )
}

// === impl FieldValidation ===

impl FieldValidation {
    pub fn parse(s: Option<&str>) -> Result<FieldValidation, ApiError> {
        match s {
            None | Some("") | Some("Warn") => Ok(FieldValidation::Warn),
            Some("Strict") => Ok(FieldValidation::Strict),
            Some("Ignore") => Ok(FieldValidation::Ignore),
            Some(other) => Err(ApiError::bad_request(format!(
                "fieldValidation must be one of Ignore, Warn, or Strict, got {other:?}"
            ))),
        }
    }
}

// === impl Admission ===

impl Admission {
    /// Admission over a store's existing Services (their addresses are taken), with NodePorts
    /// from the default range.
    pub fn new(existing_services: &[Value]) -> Admission {
        Admission::with_node_ports(
            existing_services,
            allocator::NODE_PORT_MIN..=allocator::NODE_PORT_MAX,
        )
    }

    /// [`Admission::new`] with NodePorts from `node_ports`.
    pub fn with_node_ports(
        existing_services: &[Value],
        node_ports: std::ops::RangeInclusive<u16>,
    ) -> Admission {
        let mut alloc = allocator::Allocator::new(node_ports);
        for svc in existing_services {
            services::reserve_existing(&mut alloc, svc);
        }
        Admission {
            alloc: Mutex::new(alloc),
        }
    }

    fn alloc(&self) -> std::sync::MutexGuard<'_, allocator::Allocator> {
        self.alloc.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Prepare a new object: name, namespace, system metadata, defaults, validation.
    pub fn create(
        &self,
        res: &Resource,
        version: &str,
        namespace: Option<&str>,
        mut obj: Value,
        fv: FieldValidation,
    ) -> Result<Admitted, ApiError> {
        check_type(res, version, &mut obj)?;
        if meta::resource_version(&obj).is_some() {
            return Err(ApiError::bad_request(
                "resourceVersion should not be set on objects to be created",
            ));
        }
        set_namespace(res, namespace, &mut obj)?;
        generate_name(&mut obj);
        defaults::before_validation(res, &mut obj);
        let warnings = check(res, version, &obj, fv)?;
        let m = meta::metadata_mut(&mut obj);
        m.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
        m.insert("creationTimestamp".into(), json!(meta::now_rfc3339()));
        for server_only in [
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "selfLink",
        ] {
            m.remove(server_only);
        }
        if tracks_generation(res) {
            m.insert("generation".into(), json!(1));
        } else {
            m.remove("generation");
        }
        defaults::on_create(res, &mut obj);
        if res.kind == "Service" {
            services::allocate(&mut self.alloc(), None, &mut obj)
                .map_err(|causes| ApiError::invalid(res, meta::name(&obj), &causes))?;
        }
        to_storage_version(res, &mut obj);
        Ok(Admitted {
            object: obj,
            warnings,
        })
    }

    /// Prepare a replacement of `current` (PUT, or the result of a PATCH). `subresource` is
    /// `Some("status")` for writes to `/status`, which change only the status.
    pub fn update(
        &self,
        res: &Resource,
        version: &str,
        current: &Value,
        mut obj: Value,
        subresource: Option<&str>,
        fv: FieldValidation,
    ) -> Result<Admitted, ApiError> {
        check_type(res, version, &mut obj)?;
        let name = meta::name(current).to_string();
        if meta::name(&obj) != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({}) does not match the name on the URL ({name})",
                meta::name(&obj)
            )));
        }
        if let Some(rv) = meta::resource_version(&obj) {
            if Some(rv) != meta::resource_version(current) {
                return Err(ApiError::conflict(res, &name));
            }
        }
        let ns = meta::namespace(current).map(str::to_string);
        set_namespace(res, ns.as_deref(), &mut obj)?;
        let mut obj = match subresource {
            // A status write keeps everything but the status.
            Some("status") => {
                let mut next = current.clone();
                next["status"] = obj.get("status").cloned().unwrap_or(Value::Null);
                next
            }
            _ => {
                if res.subresources.contains(&"status") {
                    match current.get("status") {
                        Some(st) => obj["status"] = st.clone(),
                        None => {
                            if let Some(o) = obj.as_object_mut() {
                                o.remove("status");
                            }
                        }
                    }
                }
                obj
            }
        };
        defaults::before_validation(res, &mut obj);
        let warnings = check(res, version, &obj, fv)?;
        // System metadata is the server's, whatever the client sent.
        let m = meta::metadata_mut(&mut obj);
        for field in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "generation",
        ] {
            match current.pointer(&format!("/metadata/{field}")) {
                Some(v) => m.insert(field.into(), v.clone()),
                None => m.remove(field),
            };
        }
        if tracks_generation(res) && spec_changed(current, &obj) {
            let g = current
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            meta::metadata_mut(&mut obj).insert("generation".into(), json!(g + 1));
        }
        defaults::on_update(res, current, &mut obj);
        if res.kind == "Service" {
            services::allocate(&mut self.alloc(), Some(current), &mut obj)
                .map_err(|causes| ApiError::invalid(res, &name, &causes))?;
        }
        to_storage_version(res, &mut obj);
        Ok(Admitted {
            object: obj,
            warnings,
        })
    }

    /// An object was deleted: give back what it held.
    pub fn deleted(&self, res: &Resource, obj: &Value) {
        if res.kind == "Service" {
            services::release(&mut self.alloc(), obj);
        }
    }
}

/// Objects are stored in their group's preferred version whatever version they were written in
/// (the Istio versions share one schema), and served in the version a client asks for.
fn to_storage_version(res: &Resource, obj: &mut Value) {
    obj["apiVersion"] = json!(res.api_version_for(res.version()));
}

/// Fill in or check `apiVersion`/`kind` against the URL's resource and version.
fn check_type(res: &Resource, version: &str, obj: &mut Value) -> Result<(), ApiError> {
    let Some(map) = obj.as_object_mut() else {
        return Err(ApiError::bad_request(
            "the body of the request must be a JSON object",
        ));
    };
    let want_av = res.api_version_for(version);
    match map.get("kind").and_then(Value::as_str) {
        Some(k) if k != res.kind => {
            return Err(ApiError::bad_request(format!(
                "the kind of the object ({k}) does not match the kind of the URL ({})",
                res.kind
            )))
        }
        _ => {}
    }
    match map.get("apiVersion").and_then(Value::as_str) {
        Some(av) if av != want_av => {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({av}) does not match the expected API version ({want_av})"
            )))
        }
        _ => {}
    }
    map.insert("apiVersion".into(), json!(want_av));
    map.insert("kind".into(), json!(res.kind));
    Ok(())
}

fn set_namespace(res: &Resource, namespace: Option<&str>, obj: &mut Value) -> Result<(), ApiError> {
    let m = meta::metadata_mut(obj);
    if !res.namespaced() {
        m.remove("namespace");
        return Ok(());
    }
    let ns = namespace.unwrap_or("default");
    match m.get("namespace").and_then(Value::as_str) {
        Some(given) if !given.is_empty() && given != ns => Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        )),
        _ => {
            m.insert("namespace".into(), json!(ns));
            Ok(())
        }
    }
}

/// `metadata.generateName` + 5 random characters, when no name is given.
fn generate_name(obj: &mut Value) {
    let m = meta::metadata_mut(obj);
    let has_name = m
        .get("name")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty());
    if has_name {
        return;
    }
    if let Some(prefix) = m.get("generateName").and_then(Value::as_str) {
        let name = format!("{prefix}{}", random_suffix(5));
        m.insert("name".into(), json!(name));
    }
}

/// Random lowercase consonants and digits, as Kubernetes' `rand.String` uses for names.
pub fn random_suffix(n: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Validate; turn problems into the API's errors, and unknown fields into errors or warnings.
fn check(
    res: &Resource,
    version: &str,
    obj: &Value,
    fv: FieldValidation,
) -> Result<Vec<String>, ApiError> {
    let report = validate::validate(res.group, res.kind, obj);
    let cannot = |why: String| {
        ApiError::bad_request(format!(
            "{kind} in version \"{version}\" cannot be handled as a {kind}: {why}",
            kind = res.kind
        ))
    };
    if let Some(e) = report.decode_error {
        return Err(cannot(e));
    }
    let unknown: Vec<String> = report
        .unknown_fields
        .iter()
        .map(|f| format!("unknown field \"{f}\""))
        .collect();
    if fv == FieldValidation::Strict && !unknown.is_empty() {
        return Err(cannot(format!(
            "strict decoding error: {}",
            unknown.join(", ")
        )));
    }
    if !report.causes.is_empty() {
        return Err(ApiError::invalid(res, meta::name(obj), &report.causes));
    }
    Ok(if fv == FieldValidation::Warn {
        unknown
    } else {
        Vec::new()
    })
}

/// Whether anything outside `metadata` and `status` differs.
fn spec_changed(a: &Value, b: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(o) = v.as_object_mut() {
            o.remove("metadata");
            o.remove("status");
        }
        v
    };
    strip(a) != strip(b)
}
