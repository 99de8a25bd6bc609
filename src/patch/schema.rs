//! The patch schema of the built-in kinds: which lists merge by which key, which are merged as
//! sets, and which structs carry `retainKeys`, as declared by the `patchStrategy` /
//! `patchMergeKey` struct tags of k8s.io/api.
//!
//! This is the only place that knows field names. A field not listed here is patched with the
//! default strategy: objects merge key by key, lists are replaced whole.

/// How a list field merges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Merge {
    /// The default: the patch list replaces the target list.
    Replace,
    /// A list of objects merged element by element, matched by this key.
    ByKey(&'static str),
    /// A list of scalars merged as a set.
    Set,
}

/// Patch metadata of one field.
#[derive(Debug)]
pub(super) struct Field {
    /// JSON name of the field.
    pub name: &'static str,
    /// List merge strategy (ignored for objects).
    pub merge: Merge,
    /// `retainKeys`: a patch of the value (or of each list element) lists the keys to keep.
    pub retain_keys: bool,
    /// Schema of the value, or of each list element.
    pub ty: Option<&'static Type>,
}

/// The fields of a struct that patch differently from the default.
#[derive(Debug)]
pub(super) struct Type {
    pub fields: &'static [Field],
}

/// Schema of an object, `None` meaning "no special fields" (every list is atomic).
pub(super) type Ty = Option<&'static Type>;

// === impl Type ===

impl Type {
    /// Metadata of the field `name`, if it is special.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// Metadata of the field `name` of an object with schema `ty`.
pub(super) fn field(ty: Ty, name: &str) -> Option<&'static Field> {
    ty.and_then(|t| t.field(name))
}

/// Schema of a top-level object of `kind`; `None` for kinds kubectl does not know.
pub(super) fn root(kind: &str) -> Ty {
    KINDS.iter().find(|(k, _)| *k == kind).map(|(_, t)| *t)
}

const fn plain(name: &'static str, ty: &'static Type) -> Field {
    Field {
        name,
        merge: Merge::Replace,
        retain_keys: false,
        ty: Some(ty),
    }
}

const fn by_key(name: &'static str, key: &'static str, ty: Option<&'static Type>) -> Field {
    Field {
        name,
        merge: Merge::ByKey(key),
        retain_keys: false,
        ty,
    }
}

const fn by_key_retain(name: &'static str, key: &'static str) -> Field {
    Field {
        name,
        merge: Merge::ByKey(key),
        retain_keys: true,
        ty: None,
    }
}

const fn set(name: &'static str) -> Field {
    Field {
        name,
        merge: Merge::Set,
        retain_keys: false,
        ty: None,
    }
}

const fn retain(name: &'static str) -> Field {
    Field {
        name,
        merge: Merge::Replace,
        retain_keys: true,
        ty: None,
    }
}

// --- Shared structs -------------------------------------------------------------------------

static OBJECT_META: Type = Type {
    fields: &[set("finalizers"), by_key("ownerReferences", "uid", None)],
};

/// Container and EphemeralContainer. `resizePolicy` is `+listType=atomic` without patch tags,
/// so it is replaced whole.
static CONTAINER: Type = Type {
    fields: &[
        by_key("ports", "containerPort", None),
        by_key("env", "name", None),
        by_key("volumeMounts", "mountPath", None),
        by_key("volumeDevices", "devicePath", None),
    ],
};

static POD_SPEC: Type = Type {
    fields: &[
        by_key_retain("volumes", "name"),
        by_key("initContainers", "name", Some(&CONTAINER)),
        by_key("containers", "name", Some(&CONTAINER)),
        by_key("ephemeralContainers", "name", Some(&CONTAINER)),
        by_key("imagePullSecrets", "name", None),
        by_key("hostAliases", "ip", None),
        by_key("topologySpreadConstraints", "topologyKey", None),
        by_key_retain("resourceClaims", "name"),
        by_key("schedulingGates", "name", None),
    ],
};

static POD_STATUS: Type = Type {
    fields: &[
        by_key("conditions", "type", None),
        by_key("podIPs", "ip", None),
        by_key("hostIPs", "ip", None),
        by_key_retain("resourceClaimStatuses", "name"),
    ],
};

static POD_TEMPLATE_SPEC: Type = Type {
    fields: &[plain("metadata", &OBJECT_META), plain("spec", &POD_SPEC)],
};

/// Status of most kinds: only `conditions` (keyed by `type`) is special.
static CONDITIONS: Type = Type {
    fields: &[by_key("conditions", "type", None)],
};

/// Spec of ReplicaSet, StatefulSet, DaemonSet, Job and ReplicationController.
static TEMPLATED_SPEC: Type = Type {
    fields: &[plain("template", &POD_TEMPLATE_SPEC)],
};

static DEPLOYMENT_SPEC: Type = Type {
    fields: &[plain("template", &POD_TEMPLATE_SPEC), retain("strategy")],
};

static JOB_TEMPLATE_SPEC: Type = Type {
    fields: &[
        plain("metadata", &OBJECT_META),
        plain("spec", &TEMPLATED_SPEC),
    ],
};

static CRON_JOB_SPEC: Type = Type {
    fields: &[plain("jobTemplate", &JOB_TEMPLATE_SPEC)],
};

static SERVICE_SPEC: Type = Type {
    fields: &[by_key("ports", "port", None)],
};

static NODE_SPEC: Type = Type {
    fields: &[set("podCIDRs")],
};

static NODE_STATUS: Type = Type {
    fields: &[
        by_key("conditions", "type", None),
        by_key("addresses", "type", None),
    ],
};

// --- Kinds ----------------------------------------------------------------------------------

static META_ONLY: Type = Type {
    fields: &[plain("metadata", &OBJECT_META)],
};

static POD: Type = Type {
    fields: &[
        plain("metadata", &OBJECT_META),
        plain("spec", &POD_SPEC),
        plain("status", &POD_STATUS),
    ],
};

static POD_TEMPLATE: Type = Type {
    fields: &[
        plain("metadata", &OBJECT_META),
        plain("template", &POD_TEMPLATE_SPEC),
    ],
};

static DEPLOYMENT: Type = Type {
    fields: &[
        plain("metadata", &OBJECT_META),
        plain("spec", &DEPLOYMENT_SPEC),
        plain("status", &CONDITIONS),
    ],
};

static TEMPLATED: Type = Type {
    fields: &[
        plain("metadata", &OBJECT_META),
        plain("spec", &TEMPLATED_SPEC),
        plain("status", &CONDITIONS),
    ],
};

static CRON_JOB: Type = Type {
    fields: &[
        plain("metadata", &OBJECT_META),
        plain("spec", &CRON_JOB_SPEC),
    ],
};

static SERVICE: Type = Type {
    fields: &[
        plain("metadata", &OBJECT_META),
        plain("spec", &SERVICE_SPEC),
        plain("status", &CONDITIONS),
    ],
};

static WITH_CONDITIONS: Type = Type {
    fields: &[
        plain("metadata", &OBJECT_META),
        plain("status", &CONDITIONS),
    ],
};

static NODE: Type = Type {
    fields: &[
        plain("metadata", &OBJECT_META),
        plain("spec", &NODE_SPEC),
        plain("status", &NODE_STATUS),
    ],
};

static SERVICE_ACCOUNT: Type = Type {
    fields: &[
        plain("metadata", &OBJECT_META),
        by_key("secrets", "name", None),
    ],
};

/// Kinds registered in kubectl's scheme (so `kubectl apply` sends a strategic merge patch),
/// with their schema.
static KINDS: &[(&str, &Type)] = &[
    ("Pod", &POD),
    ("PodTemplate", &POD_TEMPLATE),
    ("Deployment", &DEPLOYMENT),
    ("ReplicaSet", &TEMPLATED),
    ("StatefulSet", &TEMPLATED),
    ("DaemonSet", &TEMPLATED),
    ("Job", &TEMPLATED),
    ("ReplicationController", &TEMPLATED),
    ("CronJob", &CRON_JOB),
    ("Service", &SERVICE),
    ("Namespace", &WITH_CONDITIONS),
    ("PersistentVolumeClaim", &WITH_CONDITIONS),
    ("HorizontalPodAutoscaler", &WITH_CONDITIONS),
    ("PodDisruptionBudget", &WITH_CONDITIONS),
    ("Node", &NODE),
    ("ServiceAccount", &SERVICE_ACCOUNT),
    ("ConfigMap", &META_ONLY),
    ("Secret", &META_ONLY),
    ("Endpoints", &META_ONLY),
    ("EndpointSlice", &META_ONLY),
    ("Event", &META_ONLY),
    ("LimitRange", &META_ONLY),
    ("ResourceQuota", &META_ONLY),
    ("PersistentVolume", &META_ONLY),
    ("Ingress", &META_ONLY),
    ("IngressClass", &META_ONLY),
    ("NetworkPolicy", &META_ONLY),
    ("Role", &META_ONLY),
    ("RoleBinding", &META_ONLY),
    ("ClusterRole", &META_ONLY),
    ("ClusterRoleBinding", &META_ONLY),
    ("StorageClass", &META_ONLY),
    ("PriorityClass", &META_ONLY),
    ("RuntimeClass", &META_ONLY),
    ("Lease", &META_ONLY),
    ("ControllerRevision", &META_ONLY),
    ("MutatingWebhookConfiguration", &META_ONLY),
    ("ValidatingWebhookConfiguration", &META_ONLY),
    ("CertificateSigningRequest", &META_ONLY),
    ("CSIDriver", &META_ONLY),
    ("CSINode", &META_ONLY),
    ("VolumeAttachment", &META_ONLY),
];

/// Every merge-keyed list reachable from a kind, as (kind, JSON path, merge key). Lets tests
/// walk the whole table without restating it.
#[cfg(test)]
pub(super) fn keyed_lists() -> Vec<(&'static str, Vec<&'static str>, Merge)> {
    fn walk(
        kind: &'static str,
        ty: &'static Type,
        path: &mut Vec<&'static str>,
        out: &mut Vec<(&'static str, Vec<&'static str>, Merge)>,
    ) {
        for f in ty.fields {
            path.push(f.name);
            if f.merge != Merge::Replace {
                out.push((kind, path.clone(), f.merge));
            }
            // Element schemas of keyed lists are reached through the list itself; only plain
            // struct fields extend the path here.
            if let (Merge::Replace, Some(t)) = (f.merge, f.ty) {
                walk(kind, t, path, out);
            }
            path.pop();
        }
    }
    let mut out = Vec::new();
    for (kind, ty) in KINDS {
        walk(kind, ty, &mut Vec::new(), &mut out);
    }
    out
}
