//! Header operations of route and destination, both ways.

use super::*;
use crate::proxy::action::ActionLayer;
use crate::proxy::route::RouteLayer;
use crate::proxy::test_util::{self, answering};
use serde_json::json;
use tower::{ServiceBuilder, ServiceExt};

#[tokio::test]
async fn route_then_destination_operations() {
    let rules = json!([{
        "headers": {"request": {"set": {"x-route": "r"}, "remove": ["x-secret"]},
                    "response": {"set": {"x-resp": "route"}, "remove": ["x-internal"]}},
        "route": [{"destination": {"host": "web"},
                   "headers": {"request": {"set": {"x-route": "dest"}, "add": {"x-dest": "d"}},
                               "response": {"add": {"x-resp": "dest"}}}}]
    }]);
    let (up, seen) = answering(|_| {
        let mut resp = crate::proxy::forward::text(StatusCode::OK, String::new());
        resp.headers_mut()
            .insert("x-internal", HeaderValue::from_static("1"));
        Ok(resp)
    });
    let svc = ServiceBuilder::new()
        .layer(RouteLayer::new(test_util::proxy(&[], Some(rules), None)))
        .layer(ActionLayer)
        .layer(HeadersLayer)
        .service(up);
    let mut req = test_util::arriving("web", "/", 80);
    req.headers_mut()
        .insert("x-secret", HeaderValue::from_static("s"));
    let resp = svc.oneshot(req).await.expect("ok");
    let got = &seen.requests()[0];
    assert_eq!(
        got.headers()["x-route"],
        "dest",
        "the destination's set comes last"
    );
    assert_eq!(got.headers()["x-dest"], "d");
    assert!(!got.headers().contains_key("x-secret"));
    let values: Vec<_> = resp.headers().get_all("x-resp").iter().collect();
    assert_eq!(values, ["route", "dest"]);
    assert!(!resp.headers().contains_key("x-internal"));
    assert_eq!(resp.headers()["server"], "istio-envoy");
}

use hyper::StatusCode;
