//! meshlite: an Istio-compatible service mesh on one machine, in one binary.
//!
//! `meshlite up` serves a Kubernetes-shaped HTTPS API over a sled database and runs its pods as
//! local processes; `meshlite apply`, `get`, `logs`, `exec` … (and an unmodified kubectl) talk
//! to it. Istio's own YAML is accepted as is.
//!
//! # Layout
//!
//! Data flows one way: the CLI speaks HTTP to the API server, which runs admission and writes
//! to the store; the components inside `up` read the store through [`store::watcher`] and write
//! through [`objects`] (admission, then the store), as an API request would.
//!
//! ```text
//! cli ──(HTTPS)──▶ apiserver ──▶ admission ──▶ store ──▶ api
//!                  defines PodRuntime             │
//!                      ▲                          │ read: store::watcher
//!                      │ implements               ▼
//!                      └──────────── kubelet, controllers, serviceproxy, up/mesh
//!                                    write: objects (admission, then store)
//! ```
//!
//! Who may depend on whom — each line names all the crate modules a module uses:
//!
//! - `patch`, `routes`, `store`, `admission` → `api` only; `api` → nothing. `inject`,
//!   `analyze`, `xds`, `pki`, `datadir`, `logline`, `signal` → nothing; `samples` → `logline`;
//!   `inspect` → `routes`, `inject`, `api`.
//! - `objects` → `admission`, `store`, `patch`, `api` and the pure `inject`, `analyze` — never
//!   the components that use it.
//! - `apiserver` → `admission`, `objects`, `store`, `patch`, `api`, `xds`. It defines
//!   [`apiserver::runtime::PodRuntime`], all it needs of the node for `log` and `exec`; the only
//!   kubelet code it names is `kubelet::logs`'s reading of the log files the kubelet writes
//!   (`LogOptions`, `render`, `follow`, `parse_bool`) — never the kubelet itself.
//! - `controllers`, `serviceproxy` → `objects`, `admission`, `store`, `api`. `kubelet` → the
//!   same plus `datadir`, `samples` and `apiserver::runtime` (the trait it implements).
//! - `up` wires everything together (the one place that names the kubelet, controllers and
//!   service proxy at once); only `cli` (the `up` command, and the gateway's port in `debug`)
//!   depends on it.
//! - `cli` → `api`, `patch`, `datadir`, `inject`, `analyze`, `inspect`, `routes`, `proxy`,
//!   `xds`, `sidecar`, `samples`, `signal`, `up` — it reaches the server over HTTP only, never
//!   its `apiserver`, `store`, `kubelet` or `controllers` (except in tests).
//! - `sidecar` → `proxy`, `routes`, `xds`, `api`; `proxy` → `routes`, `api`, `pki`, `logline`,
//!   `dial`, `hop` — nothing that runs the control plane. `serviceproxy` shares `dial` and
//!   `hop` with it; `kubelet` uses `logline`'s record time.
//!
//! The modules:
//!
//! - [`api`]: the object model — resource catalogue, metadata helpers, selectors, validation,
//!   `Status` errors, server-side tables and protobuf request bodies. Pure: no I/O.
//! - [`patch`]: JSON merge patch, JSON patch and strategic merge patch, the three-way patch
//!   that client-side apply sends, and server-side apply's field sets. Pure.
//! - [`store`]: sled-backed objects with one global revision, optimistic concurrency, group
//!   commit (a write is acknowledged once durable) and watch history; [`store::watcher`] is the
//!   one list-then-watch loop (relisting when it falls behind) everything inside `up` follows.
//! - [`admission`]: defaults, names, system metadata, Service address allocation and
//!   validation, run before every write.
//! - [`apiserver`]: `fn app()` — discovery, REST verbs, watch streams — and the TLS listener.
//! - [`pki`]: the local CA and server certificate.
//! - [`up`]: `meshlite up`, the foreground control plane.
//! - [`cli`]: the kubectl-like command line and its printers.
//! - [`datadir`]: where state lives on disk.
//! - [`objects`]: how components inside `up` write — through admission into the store, plus
//!   Events, deletion (graceful pods, propagation policies) and managed fields.
//! - [`controllers`]: what Deployments, ReplicaSets and Endpoints need done (pure reconcile →
//!   actions) and the loop that applies it.
//! - [`kubelet`]: the pod runtime — pods as local processes that cannot outlive `up`, host
//!   ports, environment, probes, restarts, logs, status, and `ps` as a container sees it.
//! - [`serviceproxy`]: Services on 127.0.0.1 — a listener per Service port, and the HTTP proxy
//!   that resolves Service names for pods.
//! - [`inject`]: Istio's sidecar injection (pure), for `kube-inject` and automatic injection.
//! - [`xds`]: the control plane's versioned config stream to proxies, with ACK/NACK.
//! - [`sidecar`]: the `istio-proxy` process of a pod or of the ingress gateway — its listeners,
//!   config client, health and metrics endpoints.
//! - [`proxy`]: the data path sidecars and the gateway share — one stack of tower layers
//!   (routing, CORS, faults, header operations, mirrors, timeouts, retries, load balancing,
//!   pooled connections, access logs and metrics) on worker threads of its own.
//! - [`analyze`]: `istioctl analyze`'s checks over API objects (pure).
//! - [`routes`]: the route compiler and matcher — Gateways, VirtualServices and
//!   DestinationRules to listeners, virtual hosts, routes and clusters (pure).
//! - [`inspect`]: `proxy-config`, `trace` and `x describe` views of a compiled config (pure).
//! - [`logline`]: access-log lines to stdout, batched by one writer thread (as CRI log
//!   records when stdout is the container's log file).
//! - [`dial`], [`hop`]: connecting to backends, and hop-by-hop header hygiene, for every
//!   forwarder.
//! - [`signal`]: shutdown on Ctrl-C or SIGTERM, for `up`, sidecars and samples.
//! - [`samples`]: built-in programs that stand in for well-known images (httpbin, nginx,
//!   helloworld, curl), run with the hidden `meshlite sample NAME`.

#![forbid(unsafe_code)]

pub mod admission;
pub mod analyze;
pub mod api;
pub mod apiserver;
pub mod cli;
pub mod controllers;
pub mod datadir;
pub mod dial;
pub mod hop;
pub mod inject;
pub mod inspect;
pub mod kubelet;
pub mod logline;
pub mod objects;
pub mod patch;
pub mod pki;
pub mod proxy;
pub mod routes;
pub mod samples;
pub mod serviceproxy;
pub mod sidecar;
pub mod signal;
pub mod store;
pub mod up;
pub mod xds;
