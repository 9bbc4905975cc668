//! The gateway's channel to the auth service. Every call carries the request id of the REST
//! request it serves (`x-request-id` metadata), so the auth service's logs join the gateway's.

use tonic::{
    metadata::MetadataValue,
    service::{Interceptor, interceptor::InterceptedService},
    transport::{Channel, ClientTlsConfig, Endpoint},
};

use glimvid_proto::auth::v1::auth_service_client::AuthServiceClient;

/// The auth client the gateway's handlers use.
pub type AuthClient = AuthServiceClient<InterceptedService<Channel, RequestIdInterceptor>>;

/// Copies the current request id into the call's metadata.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestIdInterceptor;

impl Interceptor for RequestIdInterceptor {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let id = crate::error::current_request_id();
        if !id.is_empty()
            && let Ok(v) = MetadataValue::try_from(id.as_str())
        {
            req.metadata_mut().insert(glimvid_runtime::trace::REQUEST_ID_METADATA, v);
        }
        Ok(req)
    }
}

/// A lazily connected client for `url` (`http://` or `https://`; with `https` the server is
/// checked against `tls` or, when `None`, the system's roots).
pub fn connect(url: &str, tls: Option<ClientTlsConfig>) -> anyhow::Result<AuthClient> {
    let mut endpoint = Endpoint::from_shared(url.to_owned())?;
    if url.starts_with("https://") {
        endpoint = endpoint.tls_config(tls.unwrap_or_else(|| ClientTlsConfig::new().with_native_roots()))?;
    }
    Ok(AuthServiceClient::with_interceptor(endpoint.connect_lazy(), RequestIdInterceptor))
}
