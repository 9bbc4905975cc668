//! A stage worker as its own process: the ports from the configuration, the outbox relay, the
//! operations endpoints, the worker loop, and one shutdown on SIGTERM (the task in progress
//! finishes; anything not acked goes back to the queue).

use std::{sync::Arc, time::Duration};

use glimvid_runtime::{Config, Shutdown, TlsSettings, ops, telemetry};

use crate::{Backends, StageHandler, Worker};

pub async fn run_worker_process(
    cfg: Config,
    make_handler: impl FnOnce(&Config, &Backends) -> Arc<dyn StageHandler>,
) -> anyhow::Result<()> {
    telemetry::init_logging(cfg.server.log_json);
    let tls = TlsSettings::from_env()?;
    let backends = Backends::connect(&cfg).await?;
    let handler = make_handler(&cfg, &backends);
    let stage = handler.stage();
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();

    let ops_listener = std::net::TcpListener::bind(cfg.server.ops_addr.as_deref().unwrap_or("127.0.0.1:0"))?;
    tracing::info!(stage = stage.as_str(), ops = %ops_listener.local_addr()?, queue = backends.queue.kind(), "worker starting");
    let b = backends.clone();
    let ready: ops::ReadinessCheck = Arc::new(move || {
        let b = b.clone();
        Box::pin(async move {
            vec![
                ("database", b.db.ping().await.is_ok()),
                ("queue", b.queue.ping().await.is_ok()),
                ("object_store", b.blob.ping().await.is_ok()),
            ]
        })
    });
    let ops_task = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { ops::serve(ops_listener, ready, tls.as_ref(), shutdown).await }
    });
    let relay = tokio::spawn(backends.relay.clone().run(Duration::from_millis(500), {
        let s = shutdown.clone();
        async move { s.wait().await }
    }));
    Worker::on(handler, &backends).run(shutdown.clone()).await;
    let _ = relay.await;
    let _ = ops_task.await;
    tracing::info!(stage = stage.as_str(), "worker stopped");
    Ok(())
}
