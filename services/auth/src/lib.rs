//! The auth service: accounts and credentials behind `glimvid.auth.v1.AuthService`.
//! `app` holds the rules; `grpc` only converts. The gateway verifies access tokens itself with
//! the public keys from `GetSigningKeys`.

pub mod app;
pub mod grpc;
pub mod password_pool;
pub mod signing_keys;

use std::sync::Arc;

use glimvid_runtime::{RequireServiceToken, ServiceKey, Shutdown, TlsSettings};
use tokio::net::TcpListener;

pub use app::{AuthApp, AuthSettings};
pub use password_pool::PasswordPool;

/// Re-reads the signing keys every [`signing_keys::KeyPolicy::reread`] until shutdown, so that
/// keys rotate and retired ones leave the database on time even while nobody signs in.
pub fn spawn_key_maintenance(app: Arc<AuthApp>, shutdown: Shutdown) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = app.public_keys_refresh_after();
        loop {
            tokio::select! {
                _ = shutdown.wait() => return,
                _ = tokio::time::sleep(every) => {}
            }
            if let Err(e) = app.maintain_keys().await {
                tracing::warn!(error = %e, "signing key maintenance failed; retrying");
            }
        }
    })
}

/// Serves the auth gRPC API (with health and reflection) on `listener` until shutdown, over TLS
/// when `tls` serves a certificate. Every call but health needs a service token signed with
/// `key`: the auth service is internal, only the gateway calls it.
pub async fn run(
    listener: TcpListener,
    app: Arc<AuthApp>,
    tls: Option<&TlsSettings>,
    key: ServiceKey,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<glimvid_proto::auth::v1::auth_service_server::AuthServiceServer<grpc::AuthGrpc>>()
        .await;
    let incoming = tonic::transport::server::TcpIncoming::from(listener);
    let guard = RequireServiceToken(key);
    let router = glimvid_runtime::tls::grpc_server(tls)?
        .add_service(health_service)
        .add_service(tonic::service::interceptor::InterceptedService::new(grpc::server(app), guard.clone()));
    glimvid_runtime::tls::with_reflection(
        router,
        &[glimvid_proto::FILE_DESCRIPTOR_SET, tonic_health::pb::FILE_DESCRIPTOR_SET],
        Some(guard),
    )?
    .serve_with_incoming_shutdown(incoming, async move { shutdown.wait().await })
    .await?;
    Ok(())
}
