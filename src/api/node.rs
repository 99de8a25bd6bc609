//! The one node's facts every part agrees on: its name, the address all pods share, and the
//! annotations that carry what loopback networking adds (host ports, local Service ports).

/// The node's name (`spec.nodeName`, `NODE` in `get pod -o wide`).
pub const NODE_NAME: &str = "meshlite";

/// Every pod's (and the node's) IP: everything runs on loopback.
pub const POD_IP: &str = "127.0.0.1";

/// On a Pod: its containerPort → host port map, a JSON object (`{"8080":20001}`).
pub const HOST_PORTS_ANNOTATION: &str = "meshlite.io/host-ports";

/// On a Service: each port's local listener for the cluster IP, a JSON object
/// (`{"8000/TCP":41234}`).
pub const CLUSTER_PORTS_ANNOTATION: &str = "meshlite.io/cluster-ports";
