//! Wiring the gateway, once, for both binaries (`glimvid-gateway` and `glimvid up`): its state
//! from the configuration, its listeners (REST, partner gRPC, operations), and the background
//! work that runs beside them. A binary connects the backends and the auth client (which
//! differ: a remote auth service, or the one in the same process), calls [`Gateway::build`],
//! reads the bound addresses, and runs it until the shutdown signal.

use std::{net::SocketAddr, path::PathBuf};

use glimvid_pipeline::Backends;
use glimvid_runtime::{Config, Shutdown, TlsSettings};

use crate::{
    auth_client::AuthClient,
    background, grpc, ops, rest,
    state::{self, GatewaySettings, SharedState},
};

/// The gateway, built and bound, not yet serving.
pub struct Gateway {
    state: SharedState,
    http: std::net::TcpListener,
    grpc: tokio::net::TcpListener,
    ops: std::net::TcpListener,
    tls: Option<TlsSettings>,
}

/// Where the gateway's listeners are bound (port 0 in the configuration becomes a real port).
#[derive(Debug, Clone, Copy)]
pub struct Addresses {
    pub http: SocketAddr,
    pub grpc: SocketAddr,
    pub ops: SocketAddr,
}

impl Gateway {
    /// Binds the REST (`GLIMVID_HTTP_ADDR`), partner gRPC (`GLIMVID_GRPC_ADDR`) and operations
    /// (`GLIMVID_OPS_ADDR`, loopback by default) listeners and builds the state over `backends`
    /// and `auth`. REST uploads are spooled to `spool_default` unless the configuration names a
    /// folder.
    pub async fn build(
        cfg: &Config,
        backends: Backends,
        auth: AuthClient,
        tls: Option<TlsSettings>,
        spool_default: PathBuf,
    ) -> anyhow::Result<Self> {
        let http = std::net::TcpListener::bind(&cfg.server.http_addr)?;
        let grpc = tokio::net::TcpListener::bind(&cfg.server.grpc_addr).await?;
        // Health, readiness and metrics for operators, apart from the public ports.
        let ops = std::net::TcpListener::bind(cfg.server.ops_addr.as_deref().unwrap_or("127.0.0.1:0"))?;
        let settings = GatewaySettings::from_config(cfg, spool_default);
        let public_base = cfg.server.public_base(&http.local_addr()?.to_string());
        let state = state::build(backends, auth, public_base, settings);
        Ok(Self { state, http, grpc, ops, tls })
    }

    pub fn addresses(&self) -> std::io::Result<Addresses> {
        Ok(Addresses { http: self.http.local_addr()?, grpc: self.grpc.local_addr()?, ops: self.ops.local_addr()? })
    }

    pub fn state(&self) -> &SharedState {
        &self.state
    }

    /// Serves REST, the partner gRPC API (with health and reflection) and the operations
    /// endpoints, and runs the outbox relay, the webhook dispatcher and housekeeping, until
    /// `shutdown`; returns when all of them have stopped.
    pub async fn run(self, shutdown: Shutdown) -> anyhow::Result<()> {
        let Self { state, http, grpc, ops, tls } = self;
        let until = |s: &Shutdown| {
            let s = s.clone();
            async move { s.wait().await }
        };
        let (health, health_service) = tonic_health::server::health_reporter();
        grpc::mark_serving(&health).await;
        let router = grpc::partner_transport(glimvid_runtime::tls::grpc_server(tls.as_ref())?)
            .add_service(health_service)
            .add_service(grpc::partner_service(state.clone()));
        let grpc = tokio::spawn(
            glimvid_runtime::tls::with_reflection(
                router,
                &[glimvid_proto::PARTNER_FILE_DESCRIPTOR_SET, tonic_health::pb::FILE_DESCRIPTOR_SET],
                None,
            )?
            .serve_with_incoming_shutdown(
                grpc::capped(tonic::transport::server::TcpIncoming::from(grpc), state.settings.grpc_connections),
                until(&shutdown),
            ),
        );
        let relay = tokio::spawn(background::relay::run(state.backends.clone(), shutdown.clone()));
        let webhooks = tokio::spawn(background::webhooks::run_dispatcher(state.clone(), shutdown.clone()));
        let housekeeping = tokio::spawn(background::housekeeping::run(state.backends.clone(), shutdown.clone()));
        let ops = ops::spawn(state.clone(), ops, tls.clone(), shutdown.clone());
        let served = rest::run(http, state, tls.as_ref(), shutdown).await;
        let (_, _, _, grpc, ops) = tokio::join!(relay, webhooks, housekeeping, grpc, ops);
        // The other servers' ends are logged, not returned: the REST server's is the answer.
        if let Ok(Err(e)) = grpc {
            tracing::warn!(error = %e, "partner gRPC server ended with an error");
        }
        if let Ok(Err(e)) = ops {
            tracing::warn!(error = %e, "operations server ended with an error");
        }
        served
    }
}
