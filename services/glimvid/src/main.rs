//! `glimvid`: the all-in-one binary and CLI. `glimvid up` runs every service in one process —
//! gateway, auth, and the script, enhance and render workers — on the adapters the configuration
//! names (by default the embedded ones: SQLite, the database queue, the filesystem, the offline
//! writer and the local media engine, all under the data folder).

mod admin;

use std::sync::Arc;

use clap::{Parser, Subcommand};
use glimvid_auth_service::{AuthApp, AuthSettings};
use glimvid_media::{LocalEnhancer, LocalRenderer, OfflineScriptWriter, UploadLimits};
use glimvid_pipeline::Backends;
use glimvid_providers::{ImageEnhancer, ScriptWriter, VideoGenerator};
use glimvid_runtime::{Config, Shutdown, telemetry};

#[derive(Parser)]
#[command(name = "glimvid", version, about = "Glimvid: product photos and a line of text in, a marketing video out")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every service in one process (configuration from GLIMVID_* variables).
    Up,
    /// Print the effective configuration (secrets redacted) and exit.
    Config,
    /// Operator commands (training-set export, ...).
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let cfg = Config::from_env()?;
    match cli.command {
        Command::Up => up(cfg).await,
        Command::Admin { command } => admin::run(cfg, command).await,
        Command::Config => {
            println!("{cfg:#?}");
            Ok(())
        }
    }
}

async fn up(cfg: Config) -> anyhow::Result<()> {
    telemetry::init_logging(cfg.server.log_json);
    let tls = glimvid_runtime::TlsSettings::from_env()?;
    let serves_tls = tls.as_ref().is_some_and(|t| t.serves());
    let backends = Backends::connect(&cfg).await?;
    tracing::info!(
        queue = backends.queue.kind(),
        objects = backends.blob.kind(),
        data_dir = %cfg.storage.data_dir.display(),
        "backends connected"
    );
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();

    // One local renderer (and one speech engine in memory): it renders whole videos, or joins
    // Ark's clips with the same narration, music and captions.
    let local = Arc::new(LocalRenderer::with_choice(cfg.providers.encoder)?.with_local_speech());
    let speech = local.speech().cloned();
    let glimvid_pipeline::providers::Providers { writer, enhancer, generator } =
        glimvid_pipeline::providers::from_config(
            &cfg.providers,
            glimvid_pipeline::providers::LocalProviders {
                writer: Arc::new(OfflineScriptWriter::new()) as Arc<dyn ScriptWriter>,
                enhancer: Arc::new(LocalEnhancer::new()) as Arc<dyn ImageEnhancer>,
                generator: local.clone() as Arc<dyn VideoGenerator>,
            },
            local as Arc<dyn glimvid_providers::ClipJoiner>,
        )?;
    let upload = UploadLimits { max_pixels: cfg.limits.max_photo_pixels, ..UploadLimits::default() };

    // Two gRPC ports. The partner port (GLIMVID_GRPC_ADDR) serves only the partner API, health
    // and reflection of those. The internal services (auth, script and enhance previews) listen
    // on their own port, loopback by default, and answer only calls signed with this process's
    // service key: nothing internal is reachable from the public port.
    let auth = Arc::new(
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
    glimvid_auth_service::spawn_key_maintenance(auth.clone(), shutdown.clone());
    let service_key = cfg.auth.service_key(false)?;
    let guard = glimvid_runtime::RequireServiceToken(service_key.clone());
    let internal_listener = tokio::net::TcpListener::bind(&cfg.server.internal_grpc_addr).await?;
    let internal_addr = internal_listener.local_addr()?;
    let (internal_health, internal_health_service) = tonic_health::server::health_reporter();
    internal_health.set_serving::<glimvid_proto::auth::v1::auth_service_server::AuthServiceServer<glimvid_auth_service::grpc::AuthGrpc>>().await;
    internal_health.set_serving::<glimvid_proto::script::v1::script_service_server::ScriptServiceServer<glimvid_script_service::grpc::ScriptGrpc>>().await;
    internal_health
        .set_serving::<glimvid_proto::enhance::v1::enhance_service_server::EnhanceServiceServer<
            glimvid_enhance_service::grpc::EnhanceGrpc,
        >>()
        .await;

    // The gateway reaches auth through its gRPC API, exactly as when the services run apart.
    // With TLS on, the in-process call goes over it too, checked against the configured CA (or
    // our own certificate) for the name `localhost`.
    let (auth_url, client_tls) = match (&cfg.server.auth_grpc_url, &tls) {
        (Some(url), _) => (url.clone(), Some(glimvid_runtime::tls::grpc_client_tls(tls.as_ref()))),
        (None, Some(t)) if serves_tls => {
            let ca = t.ca_pem.clone().unwrap_or_else(|| t.cert_pem.clone());
            let client = tonic::transport::ClientTlsConfig::new()
                .ca_certificate(tonic::transport::Certificate::from_pem(ca))
                .domain_name("localhost");
            (format!("https://localhost:{}", internal_addr.port()), Some(client))
        }
        (None, _) => (format!("http://{internal_addr}"), None),
    };
    let auth_client = glimvid_gateway::auth_client::connect(&auth_url, client_tls, service_key)?;
    let gateway = glimvid_gateway::Gateway::build(
        &cfg,
        backends.clone(),
        auth_client,
        tls.clone(),
        cfg.storage.data_dir.join("tmp"),
    )
    .await?;
    let glimvid_gateway::Addresses { http: http_addr, grpc: grpc_addr, ops: ops_addr } = gateway.addresses()?;
    let guarded = |svc| tonic::service::interceptor::InterceptedService::new(svc, guard.clone());
    let internal_router = glimvid_runtime::tls::grpc_server(tls.as_ref())?
        .add_service(internal_health_service)
        .add_service(tonic::service::interceptor::InterceptedService::new(
            glimvid_auth_service::grpc::server(auth.clone()),
            guard.clone(),
        ))
        .add_service(tonic::service::interceptor::InterceptedService::new(
            glimvid_script_service::grpc::server(writer.clone()),
            guard.clone(),
        ))
        .add_service(guarded(glimvid_enhance_service::grpc::server(enhancer.clone(), upload)));
    let internal = glimvid_runtime::tls::with_reflection(
        internal_router,
        &[glimvid_proto::FILE_DESCRIPTOR_SET, tonic_health::pb::FILE_DESCRIPTOR_SET],
        Some(guard.clone()),
    )?
    .serve_with_incoming_shutdown(tonic::transport::server::TcpIncoming::from(internal_listener), {
        let s = shutdown.clone();
        async move { s.wait().await }
    });
    let internal = tokio::spawn(internal);
    // The gateway: REST, the partner gRPC port, operations, the outbox relay, webhooks and
    // housekeeping.
    let gateway = tokio::spawn(gateway.run(shutdown.clone()));
    // The script stage says the voice-over ahead with the renderer's engine (one in memory).
    let script = tokio::spawn(glimvid_script_service::run_worker(backends.clone(), writer, speech, shutdown.clone()));
    let enhance = tokio::spawn(glimvid_enhance_service::run_worker(backends.clone(), enhancer, shutdown.clone()));
    let render = tokio::spawn(glimvid_render_service::run_worker(
        backends.clone(),
        generator,
        cfg.storage.data_dir.join("scratch"),
        shutdown.clone(),
    ));

    // Tests and scripts read these lines to find the ports.
    let scheme = if serves_tls { "https" } else { "http" };
    println!("glimvid: REST listening on {scheme}://{http_addr}");
    println!("glimvid: gRPC listening on {scheme}://{grpc_addr}");
    println!("glimvid: internal gRPC listening on {scheme}://{internal_addr}");
    println!("glimvid: operations listening on {scheme}://{ops_addr}");
    tracing::info!(%http_addr, %grpc_addr, "glimvid is up");

    shutdown.wait().await;
    tracing::info!("shutting down: finishing tasks in progress");
    let _ = gateway.await;
    let _ = tokio::join!(script, enhance, render);
    let _ = internal.await;
    backends.db.close().await;
    Ok(())
}
