//! The gateway as its own process: REST in front, auth over gRPC behind.

use glimvid_gateway::GatewaySettings;
use glimvid_media::UploadLimits;
use glimvid_pipeline::Backends;
use glimvid_runtime::{Config, Shutdown, TlsSettings, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cfg = Config::from_env()?;
    telemetry::init_logging(cfg.log_json);
    let tls = TlsSettings::from_env()?;
    let backends = Backends::connect(&cfg).await?;
    let auth_url = cfg
        .auth_grpc_url
        .clone()
        .ok_or_else(|| anyhow::anyhow!("GLIMVID_AUTH_GRPC_URL is required for the gateway"))?;
    let auth =
        glimvid_gateway::auth_client::connect(&auth_url, Some(glimvid_runtime::tls::grpc_client_tls(tls.as_ref())))?;
    let listener = std::net::TcpListener::bind(&cfg.http_addr)?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "gateway listening (REST)");
    let settings = GatewaySettings {
        max_photo_bytes: cfg.max_photo_bytes,
        upload: UploadLimits { max_pixels: cfg.max_photo_pixels, ..UploadLimits::default() },
        accounts: glimvid_gateway::AccountSettings::from_config(&cfg),
        ..GatewaySettings::default()
    };
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();
    let relay = tokio::spawn(backends.relay.clone().run(std::time::Duration::from_millis(500), {
        let s = shutdown.clone();
        async move { s.wait().await }
    }));
    let state = glimvid_gateway::state(backends, auth, cfg.public_base(&addr.to_string()), settings);
    glimvid_gateway::run(listener, state, tls.as_ref(), shutdown).await?;
    let _ = relay.await;
    Ok(())
}
