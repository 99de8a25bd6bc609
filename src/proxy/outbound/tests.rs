//! Outbound targets, and the split between routing and passthrough.

use super::*;

#[test]
fn targets() {
    let uri = |s: &str| s.parse::<hyper::Uri>().expect("uri");
    let lo = |p: u16| Ok(Target::Passthrough(SocketAddr::from(([127, 0, 0, 1], p))));
    let cases: [(&str, Result<Target, &str>); 7] = [
            ("http://127.0.0.1:8080/", lo(8080)),
            ("http://localhost/", lo(80)),
            ("http://127.0.0.1:15001/", Err("refusing to forward to the sidecar's own outbound port (127.0.0.1:15001)")),
            ("/relative", Err("requests to the sidecar must use an absolute http:// URL (set HTTP_PROXY to use it)")),
            ("https://x/", Err("only http:// URLs are supported, not https://")),
            ("http://hello/", Ok(Target::Routed { port: 80 })),
            ("http://hello.other:5000/x", Ok(Target::Routed { port: 5000 })),
        ];
    for (u, want) in cases {
        let got = target(&uri(u), 15001).map_err(|e| e.to_string());
        assert_eq!(got, want.map_err(str::to_string), "{u}");
    }
}
