//! The gateway's operations address (`GLIMVID_OPS_ADDR`): `/healthz`, `/readyz` and `/metrics`
//! for probes and Prometheus, on a listener of its own. `/metrics` is not on the public REST
//! port: it tells an outsider the routes, the error rates and the queue depths.

use std::{sync::Arc, time::Duration};

use glimvid_runtime::{Shutdown, TlsSettings, ops};
use tokio::task::JoinHandle;

use crate::SharedState;

/// How often the queue-depth gauges are read from the queue.
const QUEUE_DEPTH_EVERY: Duration = Duration::from_secs(10);

/// Serves the operations endpoints on `listener` until shutdown, and keeps the queue-depth
/// gauges (`glimvid_queue_depth{queue}`) fresh.
pub fn spawn(
    state: SharedState,
    listener: std::net::TcpListener,
    tls: Option<TlsSettings>,
    shutdown: Shutdown,
) -> JoinHandle<std::io::Result<()>> {
    let ready: ops::ReadinessCheck = {
        let state = state.clone();
        Arc::new(move || {
            let state = state.clone();
            Box::pin(async move {
                let b = &state.backends;
                vec![
                    ("database", b.db.ping().await.is_ok()),
                    ("queue", b.queue.ping().await.is_ok()),
                    ("object_store", b.blob.ping().await.is_ok()),
                    ("auth", state.refresh_keys().await.is_ok()),
                ]
            })
        })
    };
    tokio::spawn({
        let (state, shutdown) = (state.clone(), shutdown.clone());
        async move {
            loop {
                for stage in glimvid_domain::Stage::ALL {
                    if let Ok(d) = state.backends.queue.depth(stage.queue()).await {
                        metrics::gauge!("glimvid_queue_depth", "queue" => stage.queue()).set(d as f64);
                    }
                }
                tokio::select! {
                    _ = shutdown.wait() => break,
                    _ = tokio::time::sleep(QUEUE_DEPTH_EVERY) => {}
                }
            }
        }
    });
    tokio::spawn(async move { ops::serve(listener, ready, tls.as_ref(), shutdown).await })
}
