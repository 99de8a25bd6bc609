//! The API server's certificates: a local CA and a server certificate for 127.0.0.1, made once.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::sync::Arc;

/// Why the certificates could not be had.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot generate certificates: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("the certificates in {0} are unusable ({1}); delete that folder and start again to make new ones")]
    Unusable(String, String),
}

/// PEM texts of the CA certificate and of the server's certificate and key.
pub struct Pki {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

// === impl Pki ===

impl Pki {
    /// Load `dir/{ca.crt,apiserver.crt,apiserver.key}`, creating them on first start.
    pub fn load_or_create(dir: &Path) -> Result<Pki, Error> {
        let (ca, crt, key) = (
            dir.join("ca.crt"),
            dir.join("apiserver.crt"),
            dir.join("apiserver.key"),
        );
        if ca.exists() && crt.exists() && key.exists() {
            return Ok(Pki {
                ca_pem: read(&ca)?,
                cert_pem: read(&crt)?,
                key_pem: read(&key)?,
            });
        }
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| Error::Io { path, source }
        };
        fs::create_dir_all(dir).map_err(io(dir))?;
        let pki = Pki::generate()?;
        fs::write(&ca, &pki.ca_pem).map_err(io(&ca))?;
        fs::write(&crt, &pki.cert_pem).map_err(io(&crt))?;
        write_private(&key, &pki.key_pem)?;
        Ok(pki)
    }

    /// A new CA, and a server certificate it signs for localhost, 127.0.0.1 and ::1. The CA's
    /// key is dropped right after: nothing else is ever signed with it, so nothing can be forged
    /// from the data dir.
    pub fn generate() -> Result<Pki, Error> {
        let ca_key = KeyPair::generate()?;
        let mut ca = CertificateParams::new(Vec::<String>::new())?;
        ca.distinguished_name
            .push(DnType::CommonName, "meshlite-ca");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key)?;

        let key = KeyPair::generate()?;
        let mut srv = CertificateParams::new(vec![
            "localhost".to_string(),
            "kubernetes".to_string(),
            "kubernetes.default.svc".to_string(),
            "kubernetes.default.svc.cluster.local".to_string(),
        ])?;
        srv.subject_alt_names
            .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        srv.subject_alt_names
            .push(SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        srv.distinguished_name
            .push(DnType::CommonName, "meshlite-apiserver");
        srv.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        srv.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        let cert = srv.signed_by(&key, &ca_cert, &ca_key)?;
        Ok(Pki {
            ca_pem: ca_cert.pem(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// The rustls configuration serving this certificate, offering HTTP/2 and HTTP/1.1.
    pub fn server_config(&self, dir: &Path) -> Result<Arc<rustls::ServerConfig>, Error> {
        server_config_from_pem(self.cert_pem.as_bytes(), self.key_pem.as_bytes())
            .map_err(|why| Error::Unusable(dir.display().to_string(), why))
    }
}

/// A rustls server configuration from a PEM certificate chain and private key, offering
/// HTTP/2 and HTTP/1.1 (the API server's certificate, and the gateway's `credentialName`s).
pub fn server_config_from_pem(
    cert: &[u8],
    key: &[u8],
) -> Result<Arc<rustls::ServerConfig>, String> {
    let certs: Vec<_> = rustls_pemfile::certs(&mut &cert[..])
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the certificate is not PEM: {e}"))?;
    if certs.is_empty() {
        return Err("no certificate in the PEM data".to_string());
    }
    let key = rustls_pemfile::private_key(&mut &key[..])
        .map_err(|e| format!("the private key is not PEM: {e}"))?
        .ok_or("no private key in the PEM data")?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("the certificate and key do not match: {e}"))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

fn read(path: &Path) -> Result<String, Error> {
    fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Write a file readable by its owner only.
pub fn write_private(path: &Path, text: &str) -> Result<(), Error> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
    f.write_all(text.as_bytes()).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}
