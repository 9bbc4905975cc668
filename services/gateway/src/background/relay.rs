//! Hosting the outbox relay: the gateway process moves the first tasks of the jobs it accepted
//! (written to the outbox in the job's transaction) onto the queue.

use std::time::Duration;

use glimvid_pipeline::Backends;
use glimvid_runtime::Shutdown;

/// How often the relay looks for unsent outbox rows when it found none.
const POLL: Duration = Duration::from_millis(500);

/// Relays outbox rows to the queue until shutdown.
pub async fn run(backends: Backends, shutdown: Shutdown) {
    backends.relay.clone().run(POLL, async move { shutdown.wait().await }).await
}
