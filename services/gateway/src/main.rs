//! The gateway as its own process: REST in front, auth over gRPC behind.

use glimvid_gateway::GatewaySettings;
use glimvid_media::UploadLimits;
use glimvid_pipeline::Backends;
use glimvid_runtime::{Config, Shutdown, TlsSettings, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cfg = Config::from_env()?;
    telemetry::init_logging(cfg.server.log_json);
    let tls = TlsSettings::from_env()?;
    let backends = Backends::connect(&cfg).await?;
    let auth_url = cfg
        .server
        .auth_grpc_url
        .clone()
        .ok_or_else(|| anyhow::anyhow!("GLIMVID_AUTH_GRPC_URL is required for the gateway"))?;
    let auth = glimvid_gateway::auth_client::connect(
        &auth_url,
        Some(glimvid_runtime::tls::grpc_client_tls(tls.as_ref())),
        cfg.auth.service_key(true)?,
    )?;
    let listener = std::net::TcpListener::bind(&cfg.server.http_addr)?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "gateway listening (REST)");
    let settings = GatewaySettings {
        max_photo_bytes: cfg.limits.max_photo_bytes,
        upload: UploadLimits { max_pixels: cfg.limits.max_photo_pixels, ..UploadLimits::default() },
        grpc_max_message_bytes: cfg.limits.grpc_max_message_bytes,
        decode_memory_mb: cfg.limits.decode_memory_mb,
        max_upload_bytes: cfg.limits.max_upload_bytes,
        upload_spool_mb: cfg.storage.upload_spool_mb,
        upload_spool_dir: cfg.storage.upload_spool_dir.clone().unwrap_or_else(std::env::temp_dir),
        accounts: glimvid_gateway::AccountSettings::from_config(&cfg),
        webhooks: glimvid_gateway::webhooks::WebhookSettings::from_config(&cfg.webhooks),
        cors_origins: cfg.server.cors_origins.clone(),
        ..GatewaySettings::default()
    };
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();
    let relay = tokio::spawn(backends.relay.clone().run(std::time::Duration::from_millis(500), {
        let s = shutdown.clone();
        async move { s.wait().await }
    }));
    let state = glimvid_gateway::state(backends, auth, cfg.server.public_base(&addr.to_string()), settings);

    // The partner API (VideoJobService), with health and reflection, on the gRPC address.
    let grpc_listener = tokio::net::TcpListener::bind(&cfg.server.grpc_addr).await?;
    tracing::info!(addr = %grpc_listener.local_addr()?, "gateway listening (gRPC partner API)");
    let (health, health_service) = tonic_health::server::health_reporter();
    glimvid_gateway::grpc::mark_serving(&health).await;
    let router = glimvid_gateway::grpc::partner_transport(glimvid_runtime::tls::grpc_server(tls.as_ref())?)
        .add_service(health_service)
        .add_service(glimvid_gateway::grpc::partner_service(state.clone()));
    let grpc = tokio::spawn(
        glimvid_runtime::tls::with_reflection(
            router,
            &[glimvid_proto::PARTNER_FILE_DESCRIPTOR_SET, tonic_health::pb::FILE_DESCRIPTOR_SET],
            None,
        )?
        .serve_with_incoming_shutdown(tonic::transport::server::TcpIncoming::from(grpc_listener), {
            let s = shutdown.clone();
            async move { s.wait().await }
        }),
    );
    let webhooks = tokio::spawn(glimvid_gateway::webhooks::run_dispatcher(state.clone(), shutdown.clone()));
    let housekeeping = tokio::spawn(glimvid_gateway::housekeeping::run(state.backends.clone(), shutdown.clone()));
    // Health, readiness and metrics for probes and Prometheus, not on the public REST port.
    let ops_listener = std::net::TcpListener::bind(cfg.server.ops_addr.as_deref().unwrap_or("127.0.0.1:0"))?;
    tracing::info!(addr = %ops_listener.local_addr()?, "gateway operations endpoints (health, readiness, metrics)");
    let ops = glimvid_gateway::ops::spawn(state.clone(), ops_listener, tls.clone(), shutdown.clone());
    glimvid_gateway::run(listener, state, tls.as_ref(), shutdown).await?;
    let _ = tokio::join!(relay, webhooks, housekeeping, grpc, ops);
    Ok(())
}
