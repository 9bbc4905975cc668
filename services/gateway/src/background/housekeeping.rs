//! Periodic clean-up, run by every gateway process (and `glimvid up`): the deletes are
//! idempotent, so replicas running it at once only repeat each other's work.

use std::time::Duration;

use glimvid_pipeline::Backends;
use glimvid_runtime::Shutdown;

/// Every hour until shutdown: usage rows older than 30 days (the privacy policy), expired
/// rate-limit counters, sent outbox rows, and webhook deliveries finished a week ago.
pub async fn run(b: Backends, shutdown: Shutdown) {
    loop {
        match glimvid_db::repo::usage::purge(&b.db, glimvid_db::now_ms()).await {
            Ok(n) if n > 0 => tracing::info!(rows = n, "purged usage rows older than 30 days"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "usage purge failed"),
        }
        if let Err(e) = glimvid_db::repo::limits::purge(&b.db, glimvid_db::now_ms()).await {
            tracing::warn!(error = %e, "rate-limit counter purge failed");
        }
        if let Err(e) = glimvid_db::repo::outbox::purge_sent(&b.db, 24 * 3600 * 1000).await {
            tracing::warn!(error = %e, "outbox purge failed");
        }
        // Finished webhook deliveries stay listable for a week.
        if let Err(e) = glimvid_db::repo::webhooks::purge(&b.db, glimvid_db::now_ms(), 7 * 24 * 3600 * 1000).await {
            tracing::warn!(error = %e, "webhook delivery purge failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
            _ = shutdown.wait() => return,
        }
    }
}
