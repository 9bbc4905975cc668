//! The auth service: accounts and credentials behind `glimvid.auth.v1.AuthService`.
//! `app` holds the rules; `grpc` only converts. The gateway verifies access tokens itself with
//! the public keys from `GetSigningKeys`.

pub mod app;
pub mod grpc;

use std::sync::Arc;

use glimvid_runtime::Shutdown;
use tokio::net::TcpListener;

pub use app::{AuthApp, AuthSettings};

/// Serves the auth gRPC API (with health and reflection) on `listener` until shutdown.
pub async fn run(listener: TcpListener, app: Arc<AuthApp>, shutdown: Shutdown) -> anyhow::Result<()> {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<glimvid_proto::auth::v1::auth_service_server::AuthServiceServer<grpc::AuthGrpc>>()
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(glimvid_proto::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let incoming = tonic::transport::server::TcpIncoming::from(listener);
    tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(reflection)
        .add_service(grpc::server(app))
        .serve_with_incoming_shutdown(incoming, async move { shutdown.wait().await })
        .await?;
    Ok(())
}
