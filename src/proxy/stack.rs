//! The data path, composed in one place: which layers a request crosses, in order, for the
//! gateway's listeners and a sidecar's outbound and inbound ones.

use super::action::ActionLayer;
use super::client::Client;
use super::cors::CorsLayer;
use super::endpoint::EndpointLayer;
use super::fault::FaultLayer;
use super::forward::Body;
use super::headers::HeadersLayer;
use super::inbound::InboundLayer;
use super::layer::Inner;
use super::mirror::MirrorLayer;
use super::observe::{ObserveLayer, Reporter};
use super::outbound::Outbound;
use super::replay::ReplayLayer;
use super::retry::RetryLayer;
use super::route::RouteLayer;
use super::telemetry::Label;
use super::timeout::TimeoutLayer;
use super::Proxy;
use hyper::body::Incoming;
use hyper::{Request, Response};
use std::convert::Infallible;
use std::sync::Arc;
use tower::util::BoxCloneSyncService;
use tower::ServiceBuilder;

/// A listener's whole stack: what the HTTP server calls for every request. Only this outer
/// type is boxed; the layers inside are one concrete type, so a request crosses no extra
/// indirection and cloning a stack allocates nothing below this box.
pub type Stack = BoxCloneSyncService<Request<Incoming>, Response<Body>, Infallible>;

/// Cluster → balancer → pooled connection: where every forwarded request (and mirror copy)
/// ends.
fn upstream(proxy: &Proxy, client: &Client) -> impl Inner + Sync {
    ServiceBuilder::new()
        .layer(EndpointLayer::new(&proxy.identity.workload))
        .service(client.clone())
}

/// Routing by the mesh's rules: route → per-route policies → upstream.
fn routed(proxy: &Arc<Proxy>, client: &Client) -> impl Inner + Sync {
    let upstream = upstream(proxy, client);
    ServiceBuilder::new()
        .layer(RouteLayer::new(proxy.clone()))
        .layer(CorsLayer)
        .layer(FaultLayer)
        .layer(ActionLayer)
        .layer(HeadersLayer)
        .layer(ReplayLayer)
        .layer(MirrorLayer::new(upstream.clone()))
        .layer(TimeoutLayer)
        .layer(RetryLayer)
        .service(upstream)
}

/// The proxy as the client of what it forwards (gateways and sidecars' outbound side).
fn source(proxy: &Proxy) -> ObserveLayer {
    let reporter = Reporter::Source {
        workload: Label::new(&proxy.identity.workload),
        namespace: Label::new(&proxy.identity.namespace),
    };
    ObserveLayer::new(reporter, proxy.metrics.clone())
}

/// A gateway listener: every request routed. Each stack has connection pools of its own
/// (one stack per worker thread).
pub fn gateway(proxy: &Arc<Proxy>) -> Stack {
    let client = Client::new();
    BoxCloneSyncService::new(
        ServiceBuilder::new()
            .layer(source(proxy))
            .service(routed(proxy, &client)),
    )
}

/// A sidecar's outbound listener (`own_port`): loopback URLs pass through, the rest is routed.
pub fn outbound(proxy: &Arc<Proxy>, own_port: u16) -> Stack {
    let client = Client::new();
    let split = Outbound::new(routed(proxy, &client), client, own_port);
    BoxCloneSyncService::new(ServiceBuilder::new().layer(source(proxy)).service(split))
}

/// A sidecar's inbound listener: requests delivered to the pod's app ports.
pub fn inbound(proxy: &Proxy, ports: InboundLayer) -> Stack {
    let reporter = Reporter::Destination {
        workload: Label::new(&proxy.identity.workload),
        namespace: Label::new(&proxy.identity.namespace),
    };
    BoxCloneSyncService::new(
        ServiceBuilder::new()
            .layer(ObserveLayer::new(reporter, proxy.metrics.clone()))
            .layer(ports)
            .service(Client::new()),
    )
}
