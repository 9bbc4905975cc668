//! Logs (tracing; JSON for machines, text for people) and Prometheus metrics.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Installs the global log subscriber once; later calls are no-ops (tests start many services).
pub fn init_logging(json: bool) {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let filter =
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
        let registry = tracing_subscriber::registry().with(filter);
        let res = if json {
            registry.with(fmt::layer().json().flatten_event(true).with_current_span(true)).try_init()
        } else {
            registry.with(fmt::layer().with_target(false)).try_init()
        };
        let _ = res;
    });
}

/// The process-wide Prometheus recorder; installed on first use.
pub fn metrics() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .install_recorder()
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder().handle())
        })
        .clone()
}
