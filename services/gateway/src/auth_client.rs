//! The gateway's channel to the auth service. Every call carries a service token that proves the
//! gateway is one of ours (the auth service refuses any other caller), and the request id of the
//! REST request it serves (`x-request-id` metadata), so the auth service's logs join the gateway's.

use tonic::{
    metadata::MetadataValue,
    service::{Interceptor, interceptor::InterceptedService},
    transport::{Channel, ClientTlsConfig, Endpoint},
};

use glimvid_proto::auth::v1::auth_service_client::AuthServiceClient;

/// The auth client the gateway's handlers use.
pub type AuthClient = AuthServiceClient<InterceptedService<Channel, RequestIdInterceptor>>;

/// Signs the call as the gateway's and copies the current request id into its metadata.
#[derive(Debug, Clone)]
pub struct RequestIdInterceptor(glimvid_runtime::AttachServiceToken);

impl Interceptor for RequestIdInterceptor {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        self.0.attach(&mut req);
        let id = crate::application::error::current_request_id();
        if !id.is_empty()
            && let Ok(v) = MetadataValue::try_from(id.as_str())
        {
            req.metadata_mut().insert(glimvid_runtime::trace::REQUEST_ID_METADATA, v);
        }
        Ok(req)
    }
}

/// A lazily connected client for `url` (`http://` or `https://`; with `https` the server is
/// checked against `tls` or, when `None`, the system's roots), signing its calls with `key`.
pub fn connect(
    url: &str,
    tls: Option<ClientTlsConfig>,
    key: glimvid_runtime::ServiceKey,
) -> anyhow::Result<AuthClient> {
    let mut endpoint = Endpoint::from_shared(url.to_owned())?;
    if url.starts_with("https://") {
        endpoint = endpoint.tls_config(tls.unwrap_or_else(|| ClientTlsConfig::new().with_native_roots()))?;
    }
    Ok(AuthServiceClient::with_interceptor(
        endpoint.connect_lazy(),
        RequestIdInterceptor(glimvid_runtime::AttachServiceToken { key, caller: "gateway" }),
    ))
}

/// An auth service answer that is an error keeps its code (the service speaks our codes in its
/// status details); a failure of the call itself is logged with the request id.
impl From<tonic::Status> for crate::application::error::AppError {
    fn from(s: tonic::Status) -> Self {
        let e = glimvid_proto::status::from_status(&s);
        if matches!(e.code, glimvid_domain::ErrorCode::Unavailable | glimvid_domain::ErrorCode::Internal) {
            tracing::error!(
                status = ?s.code(),
                message = s.message(),
                request_id = %crate::application::error::current_request_id(),
                "auth service call failed"
            );
        }
        Self(e)
    }
}
