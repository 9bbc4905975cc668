//! The auth service as its own process.

use std::sync::Arc;

use glimvid_auth_service::{AuthApp, AuthSettings};
use glimvid_runtime::{Config, Shutdown, TlsSettings, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cfg = Config::from_env()?;
    telemetry::init_logging(cfg.server.log_json);
    let tls = TlsSettings::from_env()?;
    // The database, and the object store that account deletion empties.
    let backends = glimvid_pipeline::Backends::connect(&cfg).await?;
    let app = Arc::new(
        AuthApp::new(
            backends.db.clone(),
            AuthSettings {
                free_trials: cfg.limits.free_trials,
                access_ttl: cfg.auth.access_token_ttl,
                refresh_ttl: cfg.auth.refresh_token_ttl,
                password_hash_slots: cfg.auth.password_hash_slots(),
                password_hash_wait: cfg.auth.password_hash_wait,
                signing_key_rotate: cfg.auth.signing_key_rotate,
            },
            backends.sealer.clone(),
        )
        .await?
        .with_blob(backends.blob.clone()),
    );
    let listener = tokio::net::TcpListener::bind(&cfg.server.grpc_addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "auth service listening (gRPC)");
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();
    glimvid_auth_service::spawn_key_maintenance(app.clone(), shutdown.clone());
    // Only the gateway calls the auth service: every call proves it with a signed service token.
    let key = cfg.auth.service_key(true)?;
    glimvid_auth_service::run(listener, app, tls.as_ref(), key, shutdown).await
}
