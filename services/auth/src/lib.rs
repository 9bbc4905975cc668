//! The auth service: accounts and credentials behind `glimvid.auth.v1.AuthService`.
//! `app` holds the rules; `grpc` only converts. The gateway verifies access tokens itself with
//! the public keys from `GetSigningKeys`.

pub mod app;
pub mod grpc;

use std::sync::Arc;

use glimvid_runtime::{Shutdown, TlsSettings};
use tokio::net::TcpListener;

pub use app::{AuthApp, AuthSettings};

/// Serves the auth gRPC API (with health and reflection) on `listener` until shutdown, over TLS
/// when `tls` serves a certificate.
pub async fn run(
    listener: TcpListener,
    app: Arc<AuthApp>,
    tls: Option<&TlsSettings>,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<glimvid_proto::auth::v1::auth_service_server::AuthServiceServer<grpc::AuthGrpc>>()
        .await;
    let incoming = tonic::transport::server::TcpIncoming::from(listener);
    let router = glimvid_runtime::tls::grpc_server(tls)?.add_service(health_service).add_service(grpc::server(app));
    glimvid_runtime::tls::with_reflection(router, glimvid_proto::FILE_DESCRIPTOR_SET)?
        .serve_with_incoming_shutdown(incoming, async move { shutdown.wait().await })
        .await?;
    Ok(())
}
