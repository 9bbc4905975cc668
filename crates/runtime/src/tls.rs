//! TLS (rustls) for every listener, by configuration: `GLIMVID_TLS_CERT_FILE` and
//! `GLIMVID_TLS_KEY_FILE` (PEM; both or neither) turn it on for the REST, gRPC and operations
//! listeners of the process; `GLIMVID_TLS_CA_FILE` is the root the process trusts when it calls
//! another service over `https://` (the gateway calling auth).

use std::{path::Path, sync::Arc};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};

use crate::ConfigError;

#[derive(Clone)]
pub struct TlsSettings {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
    /// Roots for outgoing calls to our own services, if set.
    pub ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSettings").field("key", &"[redacted]").field("ca", &self.ca_pem.is_some()).finish()
    }
}

fn read(var: &str, path: &Path) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path)
        .map_err(|e| ConfigError::Invalid { var: var.into(), message: format!("cannot read {}: {e}", path.display()) })
}

impl TlsSettings {
    /// Reads the files named by the environment; `None` when TLS is not configured.
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        let ca_pem = var("GLIMVID_TLS_CA_FILE").map(|p| read("GLIMVID_TLS_CA_FILE", Path::new(&p))).transpose()?;
        match (var("GLIMVID_TLS_CERT_FILE"), var("GLIMVID_TLS_KEY_FILE")) {
            (None, None) => Ok(ca_pem.map(|ca| Self { cert_pem: Vec::new(), key_pem: Vec::new(), ca_pem: Some(ca) })),
            (Some(c), Some(k)) => {
                let s = Self {
                    cert_pem: read("GLIMVID_TLS_CERT_FILE", Path::new(&c))?,
                    key_pem: read("GLIMVID_TLS_KEY_FILE", Path::new(&k))?,
                    ca_pem,
                };
                s.server_config()?; // fail at start, not at the first connection
                Ok(Some(s))
            }
            _ => Err(ConfigError::Invalid {
                var: "GLIMVID_TLS_CERT_FILE".into(),
                message: "set both GLIMVID_TLS_CERT_FILE and GLIMVID_TLS_KEY_FILE, or neither".into(),
            }),
        }
    }

    /// Whether this process serves TLS (it may only hold a CA for its clients).
    pub fn serves(&self) -> bool {
        !self.cert_pem.is_empty()
    }

    /// A rustls server configuration (HTTP/2 and HTTP/1.1 by ALPN) for the listeners.
    pub fn server_config(&self) -> Result<rustls::ServerConfig, ConfigError> {
        let bad = |m: String| ConfigError::Invalid { var: "GLIMVID_TLS_CERT_FILE".into(), message: m };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&self.cert_pem)
            .collect::<Result<_, _>>()
            .map_err(|e| bad(format!("certificate PEM: {e}")))?;
        if certs.is_empty() {
            return Err(bad("no certificate in the file".into()));
        }
        let key = PrivateKeyDer::from_pem_slice(&self.key_pem).map_err(|e| ConfigError::Invalid {
            var: "GLIMVID_TLS_KEY_FILE".into(),
            message: format!("private key PEM: {e}"),
        })?;
        let mut cfg =
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| bad(e.to_string()))?
                .with_no_client_auth()
                .with_single_cert(certs, key)
                .map_err(|e| bad(format!("certificate and key do not fit: {e}")))?;
        cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(cfg)
    }
}

/// A gRPC server builder for this process: TLS when configured, and a span per call that
/// carries the caller's request id.
pub fn grpc_server(tls: Option<&TlsSettings>) -> Result<tonic::transport::Server, ConfigError> {
    let builder = tonic::transport::Server::builder().trace_fn(crate::trace::grpc_span);
    match tls.filter(|t| t.serves()) {
        None => Ok(builder),
        Some(t) => {
            let identity = tonic::transport::Identity::from_pem(&t.cert_pem, &t.key_pem);
            builder.tls_config(tonic::transport::ServerTlsConfig::new().identity(identity)).map_err(|e| {
                ConfigError::Invalid { var: "GLIMVID_TLS_CERT_FILE".into(), message: format!("gRPC TLS: {e}") }
            })
        }
    }
}

/// Adds server reflection for the services in `descriptors` to a gRPC router, in both versions
/// of the protocol: `v1`, and `v1alpha`, which many partners' tools still speak (grpcurl before
/// 1.9, Postman, evans). With `guard`, reflection itself answers only our own callers (the
/// internal port), so that it lists nothing to an outsider.
pub fn with_reflection(
    router: tonic::transport::server::Router,
    descriptors: &[&[u8]],
    guard: Option<crate::RequireServiceToken>,
) -> Result<tonic::transport::server::Router, tonic_reflection::server::Error> {
    let builder = || {
        descriptors
            .iter()
            .fold(tonic_reflection::server::Builder::configure(), |b, d| b.register_encoded_file_descriptor_set(d))
    };
    let (v1, v1alpha) = (builder().build_v1()?, builder().build_v1alpha()?);
    Ok(match guard {
        None => router.add_service(v1).add_service(v1alpha),
        Some(g) => router
            .add_service(tonic::service::interceptor::InterceptedService::new(v1, g.clone()))
            .add_service(tonic::service::interceptor::InterceptedService::new(v1alpha, g)),
    })
}

/// The client TLS settings for calling our own services over `https://`: the configured CA
/// when there is one, else the system's roots.
pub fn grpc_client_tls(tls: Option<&TlsSettings>) -> tonic::transport::ClientTlsConfig {
    let cfg = tonic::transport::ClientTlsConfig::new();
    match tls.and_then(|t| t.ca_pem.as_ref()) {
        Some(ca) => cfg.ca_certificate(tonic::transport::Certificate::from_pem(ca)),
        None => cfg.with_native_roots(),
    }
}
