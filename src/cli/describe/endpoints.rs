//! kubectl's Endpoints describer (`describeEndpoints`), up to but not including the events.

use super::fields::{self, int, list, s};
use super::line;
use crate::api::meta;
use serde_json::Value;

/// Writes an Endpoints object's description from `Name:` to its last subset.
pub(super) fn endpoints(w: &mut String, ep: &Value) {
    line(w, 0, &format!("Name:\t{}", meta::name(ep)));
    line(
        w,
        0,
        &format!("Namespace:\t{}", meta::namespace(ep).unwrap_or_default()),
    );
    fields::labels(w, "Labels", &meta::labels(ep));
    fields::annotations(w, "Annotations", &meta::annotations(ep));
    line(w, 0, "Subsets:");
    for subset in list(ep, "subsets") {
        for (title, key) in [
            ("Addresses", "addresses"),
            ("NotReadyAddresses", "notReadyAddresses"),
        ] {
            let ips: Vec<&str> = list(subset, key).iter().map(|a| s(a, "ip")).collect();
            let joined = ips.join(",");
            let shown = if joined.is_empty() { "<none>" } else { &joined };
            line(w, 1, &format!("{title}:\t{shown}"));
        }
        let ports = list(subset, "ports");
        if !ports.is_empty() {
            line(w, 1, "Ports:");
            line(w, 2, "Name\tPort\tProtocol");
            line(w, 2, "----\t----\t--------");
            for p in ports {
                let name = Some(s(p, "name"))
                    .filter(|n| !n.is_empty())
                    .unwrap_or("<unset>");
                line(
                    w,
                    2,
                    &format!("{name}\t{}\t{}", int(p, "port"), s(p, "protocol")),
                );
            }
        }
        line(w, 0, "");
    }
}
