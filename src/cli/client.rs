//! The CLI's connection to the API: kubeconfig loading, HTTPS with the local CA, bearer token,
//! and error messages that say what to do when meshlite is not running.

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::path::{Path, PathBuf};

pub const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

/// An authenticated client for one API server.
pub struct Client {
    http: reqwest::Client,
    pub server: String,
    token: String,
    /// The data dir the kubeconfig came from, named in "is it running?" messages.
    data_dir: PathBuf,
    /// The namespace of the kubeconfig's current context.
    pub default_namespace: String,
    /// The cluster's CA (PEM), for connections made outside reqwest (exec's WebSocket).
    ca_pem: Option<Vec<u8>>,
    insecure: bool,
}

/// A failed API call: the server's Status, or a transport problem.
#[derive(Debug)]
pub enum ApiFailure {
    /// The server answered with a `metav1.Status` failure.
    Status {
        code: u16,
        reason: String,
        message: String,
        body: Value,
    },
    /// Anything else (connection refused, bad TLS …), already worded for the user.
    Other(anyhow::Error),
}

/// A response body plus the `Warning` headers that came with it.
pub struct Reply {
    pub code: u16,
    pub body: Value,
    pub warnings: Vec<String>,
}

// === impl ApiFailure ===

impl ApiFailure {
    pub fn reason(&self) -> &str {
        match self {
            ApiFailure::Status { reason, .. } => reason,
            ApiFailure::Other(_) => "",
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, ApiFailure::Status { code: 404, .. })
    }

    /// kubectl's wording: `Error from server (NotFound): …`, with `context` (e.g. `error when
    /// creating "x.yaml": `) before the message.
    pub fn render(&self, context: &str) -> String {
        match self {
            ApiFailure::Status {
                reason, message, ..
            } if reason == "Unauthorized" => {
                format!("error: You must be logged in to the server ({message})")
            }
            ApiFailure::Status {
                reason, message, ..
            } => format!("Error from server ({reason}): {context}{message}"),
            ApiFailure::Other(e) => format!("error: {context}{e:#}"),
        }
    }
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(""))
    }
}

impl std::error::Error for ApiFailure {}

// === impl Client ===

impl Client {
    /// Load the kubeconfig (`--kubeconfig`, else `<data dir>/kubeconfig`).
    pub fn from_kubeconfig(path: Option<&Path>, data_dir: &Path) -> Result<Client> {
        let path = path
            .map(Path::to_path_buf)
            .unwrap_or_else(|| data_dir.join("kubeconfig"));
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                anyhow!(
                    "no kubeconfig at {} — is 'meshlite up' running? (data dir {}; start it with 'meshlite up')",
                    path.display(),
                    data_dir.display()
                )
            } else {
                anyhow!("cannot read {}: {e}", path.display())
            }
        })?;
        let cfg: Value = serde_yaml::from_str(&text)
            .with_context(|| format!("{} is not a valid kubeconfig", path.display()))?;
        let ctx_name = cfg
            .get("current-context")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let find = |list: &str, name: &str| -> Option<Value> {
            cfg.get(list)?
                .as_array()?
                .iter()
                .find(|e| e.get("name").and_then(Value::as_str) == Some(name))
                .cloned()
        };
        let ctx = find("contexts", ctx_name)
            .and_then(|c| c.get("context").cloned())
            .unwrap_or_default();
        let cluster_name = ctx
            .get("cluster")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let user_name = ctx.get("user").and_then(Value::as_str).unwrap_or_default();
        let cluster = find("clusters", cluster_name)
            .and_then(|c| c.get("cluster").cloned())
            .ok_or_else(|| anyhow!("{}: the current context names no cluster", path.display()))?;
        let server = cluster
            .get("server")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string();
        let token = find("users", user_name)
            .and_then(|u| {
                u.pointer("/user/token")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_default();
        let mut ca_pem = None;
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false);
        if let Some(ca) = cluster
            .get("certificate-authority-data")
            .and_then(Value::as_str)
        {
            let pem = base64::engine::general_purpose::STANDARD
                .decode(ca.trim())
                .with_context(|| {
                    format!(
                        "{}: certificate-authority-data is not base64",
                        path.display()
                    )
                })?;
            builder = builder.add_root_certificate(reqwest::Certificate::from_pem(&pem)?);
            ca_pem = Some(pem);
        }
        let insecure = cluster
            .get("insecure-skip-tls-verify")
            .and_then(Value::as_bool)
            == Some(true);
        if insecure {
            builder = builder.danger_accept_invalid_certs(true);
        }
        let default_namespace = ctx
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string();
        Ok(Client {
            http: builder.build()?,
            server,
            token,
            data_dir: data_dir.to_path_buf(),
            default_namespace,
            ca_pem,
            insecure,
        })
    }

    /// Send a request; JSON body in, JSON (or Status failure) out.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        accept: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<Reply, ApiFailure> {
        let resp = self.send(method, path, accept, body).await?;
        let code = resp.status();
        let warnings = warnings(resp.headers());
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| ApiFailure::Other(e.into()))?;
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if code.is_success() {
            return Ok(Reply {
                code: code.as_u16(),
                body,
                warnings,
            });
        }
        Err(status_failure(code, body, &bytes))
    }

    /// Send a request and hand back the raw response (for streams such as watch).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        accept: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<reqwest::Response, ApiFailure> {
        let url = format!("{}{}", self.server, path);
        let mut req = self
            .http
            .request(method, &url)
            .header("Accept", accept)
            .bearer_auth(&self.token);
        if let Some((ct, bytes)) = body {
            req = req.header("Content-Type", ct).body(bytes);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| ApiFailure::Other(self.transport_error(e)))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let code = resp.status();
        let bytes = resp.bytes().await.unwrap_or_default();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Err(status_failure(code, body, &bytes))
    }

    fn transport_error(&self, e: reqwest::Error) -> anyhow::Error {
        if e.is_connect() || e.is_timeout() {
            anyhow!(
                "cannot reach meshlite at {} — is 'meshlite up' running? (data dir {})",
                self.server,
                self.data_dir.display()
            )
        } else {
            anyhow!("request to {} failed: {e}", self.server)
        }
    }

    /// The bearer token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// TLS settings trusting the kubeconfig's CA, for the exec WebSocket.
    pub fn tls_config(&self) -> Result<std::sync::Arc<rustls::ClientConfig>> {
        if self.insecure {
            bail!("insecure-skip-tls-verify is not supported by meshlite exec; give the cluster's certificate-authority-data");
        }
        let mut roots = rustls::RootCertStore::empty();
        if let Some(pem) = &self.ca_pem {
            for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
                roots
                    .add(cert.context("the kubeconfig's CA is not valid PEM")?)
                    .context("the kubeconfig's CA certificate is not usable")?;
            }
        }
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("TLS setup failed")?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(std::sync::Arc::new(config))
    }

    pub async fn get_json(&self, path: &str) -> Result<Value, ApiFailure> {
        Ok(self
            .request(Method::GET, path, "application/json", None)
            .await?
            .body)
    }
}

fn warnings(headers: &reqwest::header::HeaderMap) -> Vec<String> {
    headers
        .get_all("warning")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|w| {
            // `299 - "text"` → text
            let text = w.splitn(3, ' ').nth(2).unwrap_or(w);
            text.trim_matches('"').replace("\\\"", "\"")
        })
        .collect()
}

fn status_failure(code: StatusCode, body: Value, raw: &[u8]) -> ApiFailure {
    if body.get("kind").and_then(Value::as_str) == Some("Status") {
        return ApiFailure::Status {
            code: code.as_u16(),
            reason: body
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or("Unknown")
                .to_string(),
            message: body
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            body,
        };
    }
    ApiFailure::Other(anyhow!(
        "the server answered {code}: {}",
        String::from_utf8_lossy(raw).trim()
    ))
}

/// Fail unless `r` succeeded, rendering the failure the way kubectl does.
pub fn check<T>(r: Result<T, ApiFailure>, context: &str) -> Result<T> {
    r.map_err(|f| anyhow!(f.render(context)))
}
