//! URL and proxy-selection rules for the built-in curl (plain HTTP only).

use super::CurlError;

/// A parsed `http://` URL.
#[derive(Debug, Clone, PartialEq)]
pub struct Url {
    /// Lower-cased host, without IPv6 brackets.
    pub host: String,
    pub port: u16,
    /// Path plus query, always starting with `/`; the fragment is dropped.
    pub path_query: String,
}

// === impl Url ===

impl Url {
    /// Parses a URL the way curl does for http: a missing scheme means
    /// `http://`, any other scheme is refused.
    pub fn parse(input: &str) -> Result<Url, CurlError> {
        Self::parse_with_default_port(input, 80)
    }

    /// Parses a proxy setting; curl's default proxy port is 1080.
    pub fn parse_proxy(input: &str) -> Result<Url, CurlError> {
        Self::parse_with_default_port(input, 1080)
    }

    fn parse_with_default_port(input: &str, default_port: u16) -> Result<Url, CurlError> {
        let input = input.trim();
        let rest = match input.split_once("://") {
            Some((scheme, rest)) => {
                if !scheme.eq_ignore_ascii_case("http") {
                    return Err(CurlError::UnsupportedProtocol(scheme.to_string()));
                }
                rest
            }
            None => input,
        };
        let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(split);
        let tail = tail.split('#').next().unwrap_or_default();
        let path_query = if tail.starts_with('/') {
            tail.to_string()
        } else {
            format!("/{tail}")
        };
        if path_query
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(CurlError::BadUrl(
                "Malformed input to a URL function".into(),
            ));
        }
        // Credentials are not supported; drop them rather than send them as host.
        let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| CurlError::BadUrl("Bad IPv6 address".into()))?;
            match after {
                "" => (host, None),
                p => match p.strip_prefix(':') {
                    Some(p) => (host, Some(p)),
                    None => return Err(CurlError::BadUrl("Bad IPv6 address".into())),
                },
            }
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        if host.is_empty() {
            return Err(CurlError::BadUrl("No host part in the URL".into()));
        }
        let port = match port {
            None | Some("") => default_port,
            Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| {
                CurlError::BadUrl("Port number was not a decimal number between 0 and 65535".into())
            })?,
        };
        Ok(Url {
            host: host.to_ascii_lowercase(),
            port,
            path_query,
        })
    }

    /// `host[:port]` as sent in the Host header (port only when not 80).
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == 80 {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// The absolute form used in the request line when talking to a proxy.
    pub fn absolute(&self) -> String {
        format!("http://{}{}", self.authority(), self.path_query)
    }

    /// Resolves a `Location` header against this URL.
    pub fn join(&self, location: &str) -> Result<Url, CurlError> {
        let location = location.trim();
        if location.contains("://") {
            return Url::parse(location);
        }
        if let Some(rest) = location.strip_prefix("//") {
            return Url::parse(&format!("http://{rest}"));
        }
        let path = if location.starts_with('/') {
            location.to_string()
        } else if let Some(query) = location.strip_prefix('?') {
            let base = self.path_query.split('?').next().unwrap_or("/");
            format!("{base}?{query}")
        } else {
            let base = self.path_query.split('?').next().unwrap_or("/");
            let dir = base.rsplit_once('/').map_or("", |(d, _)| d);
            format!("{dir}/{location}")
        };
        Url::parse(&format!("http://{}{}", self.authority(), path))
    }
}

/// Whether `host` is exempt from proxying under a `NO_PROXY`-style list:
/// `*` matches everything, an entry matches itself and its subdomains.
pub fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
    list.split(',').map(str::trim).any(|entry| {
        if entry == "*" {
            return true;
        }
        let entry = entry.trim_start_matches('.').trim_matches(['[', ']']);
        let entry = entry.to_ascii_lowercase();
        !entry.is_empty()
            && (host == entry
                || host
                    .strip_suffix(&entry)
                    .is_some_and(|prefix| prefix.ends_with('.')))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        // (input, host, port, path_query)
        let cases: &[(&str, &str, u16, &str)] = &[
            ("http://example.com", "example.com", 80, "/"),
            ("example.com:8080/a?b=c#frag", "example.com", 8080, "/a?b=c"),
            (
                "HTTP://Svc.NS:9080/productpage",
                "svc.ns",
                9080,
                "/productpage",
            ),
            ("http://h?x=1", "h", 80, "/?x=1"),
            ("http://user:pw@h:81/", "h", 81, "/"),
            ("http://[::1]:8080/x", "::1", 8080, "/x"),
            ("http://[::1]", "::1", 80, "/"),
            ("http://h:/p", "h", 80, "/p"),
        ];
        for (input, host, port, pq) in cases {
            let u = Url::parse(input).expect(input);
            assert_eq!(
                (u.host.as_str(), u.port, u.path_query.as_str()),
                (*host, *port, *pq)
            );
        }
        assert_eq!(
            Url::parse("http://[::1]:8080/x").expect("ok").authority(),
            "[::1]:8080"
        );
        assert_eq!(
            Url::parse("http://h/x").expect("ok").absolute(),
            "http://h/x"
        );
        assert_eq!(Url::parse_proxy("proxy").expect("ok").port, 1080);
    }

    #[test]
    fn rejects_urls() {
        let cases: &[(&str, u8)] = &[
            ("https://h/", 1),
            ("ftp://h/", 1),
            ("http:///path", 3),
            ("http://h:99999/", 3),
            ("http://h:abc/", 3),
            ("http://h/a b", 3),
            ("http://[::1/", 3),
        ];
        for (input, code) in cases {
            let e = Url::parse(input).expect_err(input);
            assert_eq!(e.code(), *code, "{input}");
        }
    }

    #[test]
    fn joins_locations() {
        let base = Url::parse("http://h:8080/a/b?q=1").expect("ok");
        let cases: &[(&str, &str)] = &[
            ("/x", "http://h:8080/x"),
            ("c", "http://h:8080/a/c"),
            ("?z=2", "http://h:8080/a/b?z=2"),
            ("http://other/y", "http://other/y"),
            ("//other:81/y", "http://other:81/y"),
        ];
        for (loc, want) in cases {
            assert_eq!(base.join(loc).expect(loc).absolute(), *want, "{loc}");
        }
    }

    #[test]
    fn no_proxy_rules() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "anything", true),
            ("localhost,127.0.0.1", "127.0.0.1", true),
            ("localhost, 127.0.0.1", "127.0.0.1", true),
            ("example.com", "api.example.com", true),
            (".example.com", "api.example.com", true),
            ("example.com", "badexample.com", false),
            ("Example.COM", "example.com", true),
            ("", "h", false),
            ("::1", "[::1]", true),
            ("other", "h", false),
        ];
        for (list, host, want) in cases {
            assert_eq!(no_proxy_matches(list, host), *want, "{list} {host}");
        }
    }
}
