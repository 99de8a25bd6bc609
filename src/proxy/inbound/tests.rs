//! Inbound targets, and the inbound step over a real upstream.

use super::*;

/// Header, app ports, wanted (containerPort, host port) or error.
type TargetCase<'a> = (
    Option<&'static str>,
    &'a BTreeMap<u16, u16>,
    Result<(u16, u16), &'static str>,
);

#[test]
fn inbound_targets() {
    let ports: BTreeMap<u16, u16> = [(8080, 20001), (9090, 20002)].into_iter().collect();
    let none = BTreeMap::new();
    let cases: [TargetCase<'_>; 7] = [
        (None, &ports, Ok((8080, 20001))),
        (Some("20002"), &ports, Ok((9090, 20002))),
        (Some(" 20001 "), &ports, Ok((8080, 20001))),
        (
            Some("9090"),
            &ports,
            Err("port 9090 is not a port of pod ns/p (its ports: 20001, 20002)"),
        ),
        (
            Some("22"),
            &ports,
            Err("port 22 is not a port of pod ns/p (its ports: 20001, 20002)"),
        ),
        (
            Some("x"),
            &ports,
            Err("port x is not a port of pod ns/p (its ports: 20001, 20002)"),
        ),
        (None, &none, Err("pod ns/p has no app ports")),
    ];
    for (header, ports, want) in cases {
        let got = target(header, ports, "ns/p").map_err(|e| e.to_string());
        assert_eq!(got, want.map_err(str::to_string), "{header:?}");
    }
}
