//! Built-in sample programs that stand in for well-known container images, and the catalogue
//! that maps an image to one.
//!
//! meshlite runs no containers: a pod whose image is in the catalogue runs the matching program
//! from this binary (`meshlite sample NAME`) as a local process. Matching is on the image's
//! repository name; registry and tag are ignored, so `docker.io/mccutchen/go-httpbin:v2.15.0`
//! and `mccutchen/go-httpbin` are the same program.

pub mod access_log;
pub mod curl;
pub mod helloworld;
pub mod httpbin;
pub mod serve;
pub mod web;

/// A program the catalogue knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sample {
    /// go-httpbin's endpoints.
    Httpbin,
    /// A static web server with nginx's welcome page.
    Web,
    /// Istio's helloworld, at a version (`v1`, `v2`).
    Helloworld { version: String },
    /// The curl image: stays up; `exec … -- curl` runs the built-in curl.
    Curl,
}

// === impl Sample ===

impl Sample {
    /// The name `meshlite sample NAME` takes.
    pub fn name(&self) -> &'static str {
        match self {
            Sample::Httpbin => "httpbin",
            Sample::Web => "web",
            Sample::Helloworld { .. } => "helloworld",
            Sample::Curl => "curl",
        }
    }

    /// The port the original image listens on when nothing says otherwise.
    pub fn default_port(&self) -> u16 {
        match self {
            Sample::Httpbin => 8080,
            Sample::Web => 80,
            Sample::Helloworld { .. } => 5000,
            Sample::Curl => 0,
        }
    }
}

/// The repository part of an image reference: registry host and tag or digest removed
/// (`registry.istio.io/release/examples-helloworld-v1:1.0` → `release/examples-helloworld-v1`).
pub fn repository(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    // A tag is a `:` after the last `/` (a `:` before it belongs to a registry port).
    let no_tag = match (no_digest.rfind(':'), no_digest.rfind('/')) {
        (Some(c), Some(s)) if c > s => &no_digest[..c],
        (Some(c), None) => &no_digest[..c],
        _ => no_digest,
    };
    match no_tag.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            rest
        }
        _ => no_tag,
    }
}

/// The built-in program for an image, if there is one.
pub fn for_image(image: &str) -> Option<Sample> {
    let repo = repository(image);
    let last = repo.rsplit('/').next().unwrap_or(repo);
    match (repo, last) {
        ("mccutchen/go-httpbin" | "kennethreitz/httpbin", _) | (_, "go-httpbin" | "httpbin") => {
            Some(Sample::Httpbin)
        }
        (_, "nginx") => Some(Sample::Web),
        (_, "curl") => Some(Sample::Curl),
        (_, l) => l
            .strip_prefix("examples-helloworld-")
            .map(|v| Sample::Helloworld {
                version: v.to_string(),
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_map_to_samples() {
        let cases = [
            (
                "docker.io/mccutchen/go-httpbin:v2.15.0",
                Some(Sample::Httpbin),
            ),
            ("mccutchen/go-httpbin", Some(Sample::Httpbin)),
            ("docker.io/kennethreitz/httpbin", Some(Sample::Httpbin)),
            ("nginx:1.15", Some(Sample::Web)),
            ("docker.io/library/nginx@sha256:abc", Some(Sample::Web)),
            ("localhost:5000/nginx:latest", Some(Sample::Web)),
            ("docker.io/curlimages/curl:8.16.0", Some(Sample::Curl)),
            (
                "registry.istio.io/release/examples-helloworld-v1:1.0",
                Some(Sample::Helloworld {
                    version: "v1".into(),
                }),
            ),
            (
                "docker.io/istio/examples-helloworld-v2",
                Some(Sample::Helloworld {
                    version: "v2".into(),
                }),
            ),
            ("busybox", None),
            ("example.com:5000/team/app:1.2", None),
        ];
        for (image, want) in cases {
            assert_eq!(for_image(image), want, "{image}");
        }
        assert_eq!(repository("example.com:5000/team/app:1.2"), "team/app");
        assert_eq!(repository("nginx"), "nginx");
    }
}
