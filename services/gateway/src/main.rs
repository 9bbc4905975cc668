//! The gateway as its own process: REST and the partner gRPC API in front, auth over gRPC
//! behind.

use glimvid_gateway::Gateway;
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
    let gateway = Gateway::build(&cfg, backends, auth, tls, std::env::temp_dir()).await?;
    let addrs = gateway.addresses()?;
    tracing::info!(addr = %addrs.http, "gateway listening (REST)");
    tracing::info!(addr = %addrs.grpc, "gateway listening (gRPC partner API)");
    tracing::info!(addr = %addrs.ops, "gateway operations endpoints (health, readiness, metrics)");
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();
    gateway.run(shutdown).await
}
