//! Field numbers and JSON names of the Kubernetes messages meshlite reads as protobuf.
//!
//! The numbers are those of Kubernetes' `generated.proto` files. Only what the typed
//! `kubectl create` subcommands can send is listed; anything else is refused by name.
//! `ptr` marks Go pointer fields, whose zero value is meaningful (`replicas: 0`); the zero
//! value of any other scalar is what Go's JSON leaves out, so it is dropped.

/// How one field is encoded and shown.
pub enum Kind {
    /// A UTF-8 string.
    Str,
    /// A varint shown as a 32-bit signed number.
    Int32,
    /// A varint shown as a 64-bit signed number.
    Int64,
    /// A varint shown as `true`/`false`.
    Bool,
    /// A nested message.
    Msg(&'static Message),
    /// `map<string, string>`.
    StrMap,
    /// `map<string, bytes>`, values shown as base64 text.
    BytesMap,
    /// `map<string, resource.Quantity>`.
    QuantityMap,
    /// `metav1.Time`, shown as RFC 3339.
    Time,
    /// `intstr.IntOrString`, shown as the bare number or string.
    IntOrString,
}

impl Kind {
    /// True for kinds carried as a varint.
    pub fn is_varint(&self) -> bool {
        matches!(self, Kind::Int32 | Kind::Int64 | Kind::Bool)
    }
}

/// One field of a message.
pub struct Field {
    /// The protobuf field number.
    pub tag: u64,
    /// The JSON field name.
    pub json: &'static str,
    /// How the value is encoded.
    pub kind: Kind,
    /// A list.
    pub repeated: bool,
    /// A Go pointer field: its zero value is kept.
    pub keep_zero: bool,
}

/// A message type: its name (for errors) and its fields.
pub struct Message {
    /// The Go type name.
    pub name: &'static str,
    /// Every field this server reads.
    pub fields: &'static [Field],
}

impl Message {
    /// The field with this number.
    pub fn field(&self, tag: u64) -> Option<&Field> {
        self.fields.iter().find(|f| f.tag == tag)
    }
}

const fn f(tag: u64, json: &'static str, kind: Kind) -> Field {
    Field {
        tag,
        json,
        kind,
        repeated: false,
        keep_zero: false,
    }
}

impl Field {
    const fn rep(mut self) -> Field {
        self.repeated = true;
        self
    }

    const fn ptr(mut self) -> Field {
        self.keep_zero = true;
        self
    }
}

use Kind::*;

/// The message of each top-level kind that can arrive as protobuf.
pub fn object(kind: &str) -> Option<&'static Message> {
    Some(match kind {
        "Namespace" => &NAMESPACE,
        "Pod" => &POD,
        "Service" => &SERVICE,
        "ConfigMap" => &CONFIG_MAP,
        "Secret" => &SECRET,
        "ServiceAccount" => &SERVICE_ACCOUNT,
        "Deployment" => &DEPLOYMENT,
        _ => return None,
    })
}

static OBJECT_META: Message = Message {
    name: "ObjectMeta",
    fields: &[
        f(1, "name", Str),
        f(2, "generateName", Str),
        f(3, "namespace", Str),
        f(4, "selfLink", Str),
        f(5, "uid", Str),
        f(6, "resourceVersion", Str),
        f(7, "generation", Int64),
        f(8, "creationTimestamp", Time),
        f(9, "deletionTimestamp", Time),
        f(10, "deletionGracePeriodSeconds", Int64).ptr(),
        f(11, "labels", StrMap),
        f(12, "annotations", StrMap),
        f(13, "ownerReferences", Msg(&OWNER_REFERENCE)).rep(),
        f(14, "finalizers", Str).rep(),
    ],
};

static OWNER_REFERENCE: Message = Message {
    name: "OwnerReference",
    fields: &[
        f(1, "kind", Str),
        f(3, "name", Str),
        f(4, "uid", Str),
        f(5, "apiVersion", Str),
        f(6, "controller", Bool).ptr(),
        f(7, "blockOwnerDeletion", Bool).ptr(),
    ],
};

static LABEL_SELECTOR: Message = Message {
    name: "LabelSelector",
    fields: &[
        f(1, "matchLabels", StrMap),
        f(2, "matchExpressions", Msg(&LABEL_SELECTOR_REQUIREMENT)).rep(),
    ],
};

static LABEL_SELECTOR_REQUIREMENT: Message = Message {
    name: "LabelSelectorRequirement",
    fields: &[
        f(1, "key", Str),
        f(2, "operator", Str),
        f(3, "values", Str).rep(),
    ],
};

static NAMESPACE: Message = Message {
    name: "Namespace",
    fields: &[
        f(1, "metadata", Msg(&OBJECT_META)),
        f(2, "spec", Msg(&NAMESPACE_SPEC)),
        f(3, "status", Msg(&NAMESPACE_STATUS)),
    ],
};

static NAMESPACE_SPEC: Message = Message {
    name: "NamespaceSpec",
    fields: &[f(1, "finalizers", Str).rep()],
};

static NAMESPACE_STATUS: Message = Message {
    name: "NamespaceStatus",
    fields: &[f(1, "phase", Str)],
};

static DEPLOYMENT: Message = Message {
    name: "Deployment",
    fields: &[
        f(1, "metadata", Msg(&OBJECT_META)),
        f(2, "spec", Msg(&DEPLOYMENT_SPEC)),
        f(3, "status", Msg(&DEPLOYMENT_STATUS)),
    ],
};

static DEPLOYMENT_SPEC: Message = Message {
    name: "DeploymentSpec",
    fields: &[
        f(1, "replicas", Int32).ptr(),
        f(2, "selector", Msg(&LABEL_SELECTOR)),
        f(3, "template", Msg(&POD_TEMPLATE_SPEC)),
        f(4, "strategy", Msg(&DEPLOYMENT_STRATEGY)),
        f(5, "minReadySeconds", Int32),
        f(6, "revisionHistoryLimit", Int32).ptr(),
        f(7, "paused", Bool),
        f(9, "progressDeadlineSeconds", Int32).ptr(),
    ],
};

static DEPLOYMENT_STRATEGY: Message = Message {
    name: "DeploymentStrategy",
    fields: &[
        f(1, "type", Str),
        f(2, "rollingUpdate", Msg(&ROLLING_UPDATE_DEPLOYMENT)),
    ],
};

static ROLLING_UPDATE_DEPLOYMENT: Message = Message {
    name: "RollingUpdateDeployment",
    fields: &[
        f(1, "maxUnavailable", IntOrString),
        f(2, "maxSurge", IntOrString),
    ],
};

static DEPLOYMENT_STATUS: Message = Message {
    name: "DeploymentStatus",
    fields: &[
        f(1, "observedGeneration", Int64),
        f(2, "replicas", Int32),
        f(3, "updatedReplicas", Int32),
        f(4, "availableReplicas", Int32),
        f(5, "unavailableReplicas", Int32),
        f(7, "readyReplicas", Int32),
        f(8, "collisionCount", Int32).ptr(),
        f(9, "terminatingReplicas", Int32).ptr(),
    ],
};

static POD: Message = Message {
    name: "Pod",
    fields: &[
        f(1, "metadata", Msg(&OBJECT_META)),
        f(2, "spec", Msg(&POD_SPEC)),
        f(3, "status", Msg(&EMPTY_STATUS)),
    ],
};

/// A status a client creating an object leaves empty.
static EMPTY_STATUS: Message = Message {
    name: "status",
    fields: &[],
};

static POD_TEMPLATE_SPEC: Message = Message {
    name: "PodTemplateSpec",
    fields: &[
        f(1, "metadata", Msg(&OBJECT_META)),
        f(2, "spec", Msg(&POD_SPEC)),
    ],
};

static POD_SPEC: Message = Message {
    name: "PodSpec",
    fields: &[
        f(2, "containers", Msg(&CONTAINER)).rep(),
        f(3, "restartPolicy", Str),
        f(4, "terminationGracePeriodSeconds", Int64).ptr(),
        f(5, "activeDeadlineSeconds", Int64).ptr(),
        f(6, "dnsPolicy", Str),
        f(7, "nodeSelector", StrMap),
        f(8, "serviceAccountName", Str),
        f(9, "serviceAccount", Str),
        f(10, "nodeName", Str),
        f(11, "hostNetwork", Bool),
        f(12, "hostPID", Bool),
        f(13, "hostIPC", Bool),
        f(15, "imagePullSecrets", Msg(&LOCAL_OBJECT_REFERENCE)).rep(),
        f(16, "hostname", Str),
        f(17, "subdomain", Str),
        f(19, "schedulerName", Str),
        f(20, "initContainers", Msg(&CONTAINER)).rep(),
        f(21, "automountServiceAccountToken", Bool).ptr(),
        f(24, "priorityClassName", Str),
        f(25, "priority", Int32).ptr(),
        f(27, "shareProcessNamespace", Bool).ptr(),
        f(29, "runtimeClassName", Str).ptr(),
        f(30, "enableServiceLinks", Bool).ptr(),
        f(31, "preemptionPolicy", Str).ptr(),
        f(35, "setHostnameAsFQDN", Bool).ptr(),
        f(37, "hostUsers", Bool).ptr(),
    ],
};

static CONTAINER: Message = Message {
    name: "Container",
    fields: &[
        f(1, "name", Str),
        f(2, "image", Str),
        f(3, "command", Str).rep(),
        f(4, "args", Str).rep(),
        f(5, "workingDir", Str),
        f(6, "ports", Msg(&CONTAINER_PORT)).rep(),
        f(7, "env", Msg(&ENV_VAR)).rep(),
        f(8, "resources", Msg(&RESOURCE_REQUIREMENTS)),
        f(13, "terminationMessagePath", Str),
        f(14, "imagePullPolicy", Str),
        f(16, "stdin", Bool),
        f(17, "stdinOnce", Bool),
        f(18, "tty", Bool),
        f(20, "terminationMessagePolicy", Str),
        f(24, "restartPolicy", Str).ptr(),
    ],
};

static CONTAINER_PORT: Message = Message {
    name: "ContainerPort",
    fields: &[
        f(1, "name", Str),
        f(2, "hostPort", Int32),
        f(3, "containerPort", Int32),
        f(4, "protocol", Str),
        f(5, "hostIP", Str),
    ],
};

static ENV_VAR: Message = Message {
    name: "EnvVar",
    fields: &[f(1, "name", Str), f(2, "value", Str)],
};

static RESOURCE_REQUIREMENTS: Message = Message {
    name: "ResourceRequirements",
    fields: &[f(1, "limits", QuantityMap), f(2, "requests", QuantityMap)],
};

static LOCAL_OBJECT_REFERENCE: Message = Message {
    name: "LocalObjectReference",
    fields: &[f(1, "name", Str)],
};

static OBJECT_REFERENCE: Message = Message {
    name: "ObjectReference",
    fields: &[
        f(1, "kind", Str),
        f(2, "namespace", Str),
        f(3, "name", Str),
        f(4, "uid", Str),
        f(5, "apiVersion", Str),
        f(6, "resourceVersion", Str),
        f(7, "fieldPath", Str),
    ],
};

static SERVICE: Message = Message {
    name: "Service",
    fields: &[
        f(1, "metadata", Msg(&OBJECT_META)),
        f(2, "spec", Msg(&SERVICE_SPEC)),
        f(3, "status", Msg(&SERVICE_STATUS)),
    ],
};

static SERVICE_SPEC: Message = Message {
    name: "ServiceSpec",
    fields: &[
        f(1, "ports", Msg(&SERVICE_PORT)).rep(),
        f(2, "selector", StrMap),
        f(3, "clusterIP", Str),
        f(4, "type", Str),
        f(5, "externalIPs", Str).rep(),
        f(7, "sessionAffinity", Str),
        f(8, "loadBalancerIP", Str),
        f(9, "loadBalancerSourceRanges", Str).rep(),
        f(10, "externalName", Str),
        f(11, "externalTrafficPolicy", Str),
        f(12, "healthCheckNodePort", Int32),
        f(13, "publishNotReadyAddresses", Bool),
        f(17, "ipFamilyPolicy", Str).ptr(),
        f(18, "clusterIPs", Str).rep(),
        f(19, "ipFamilies", Str).rep(),
        f(20, "allocateLoadBalancerNodePorts", Bool).ptr(),
        f(21, "loadBalancerClass", Str).ptr(),
        f(22, "internalTrafficPolicy", Str).ptr(),
        f(23, "trafficDistribution", Str).ptr(),
    ],
};

static SERVICE_PORT: Message = Message {
    name: "ServicePort",
    fields: &[
        f(1, "name", Str),
        f(2, "protocol", Str),
        f(3, "port", Int32),
        f(4, "targetPort", IntOrString),
        f(5, "nodePort", Int32),
        f(6, "appProtocol", Str).ptr(),
    ],
};

static SERVICE_STATUS: Message = Message {
    name: "ServiceStatus",
    fields: &[f(1, "loadBalancer", Msg(&EMPTY_STATUS))],
};

static CONFIG_MAP: Message = Message {
    name: "ConfigMap",
    fields: &[
        f(1, "metadata", Msg(&OBJECT_META)),
        f(2, "data", StrMap),
        f(3, "binaryData", BytesMap),
        f(4, "immutable", Bool).ptr(),
    ],
};

static SECRET: Message = Message {
    name: "Secret",
    fields: &[
        f(1, "metadata", Msg(&OBJECT_META)),
        f(2, "data", BytesMap),
        f(3, "type", Str),
        f(4, "stringData", StrMap),
        f(5, "immutable", Bool).ptr(),
    ],
};

static SERVICE_ACCOUNT: Message = Message {
    name: "ServiceAccount",
    fields: &[
        f(1, "metadata", Msg(&OBJECT_META)),
        f(2, "secrets", Msg(&OBJECT_REFERENCE)).rep(),
        f(3, "imagePullSecrets", Msg(&LOCAL_OBJECT_REFERENCE)).rep(),
        f(4, "automountServiceAccountToken", Bool).ptr(),
    ],
};
