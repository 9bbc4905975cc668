//! The job queue port. Tasks are delivered at least once: a worker acks only after its result is
//! committed, asks for a retry after a transient error, or dead-letters a task it gave up on.
//! Two adapters: the database queue (embedded mode) and RabbitMQ (distributed mode).

pub mod conformance;
pub mod db;
pub mod rabbitmq;

use std::{collections::BTreeMap, time::Duration};

use async_trait::async_trait;

pub use db::DbQueue;
pub use rabbitmq::{RabbitConfig, RabbitQueue};

/// String headers carried with a task (trace context, job id for logs).
pub type Headers = BTreeMap<String, String>;

/// A received task. Settle it exactly once with `ack`, `retry` or `dead_letter`; if the worker
/// dies instead, the task becomes visible again.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub queue: String,
    pub payload: Vec<u8>,
    pub headers: Headers,
    /// 1 on the first delivery, counting redeliveries and retries.
    pub attempts: u32,
    /// The adapter's handle on the delivery.
    pub receipt: String,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("queue backend unavailable: {0}")]
    Unavailable(String),
    #[error("the delivery is no longer held by this consumer")]
    LostDelivery,
    #[error(transparent)]
    BadName(#[from] BadQueueName),
}

/// A queue name the broker would refuse or mangle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadQueueName {
    #[error("a queue name must not be empty")]
    Empty,
    #[error("queue name {0:?}: the amq. prefix is reserved by the broker")]
    Reserved(String),
    #[error("queue name {name:?} is too long (at most {max} bytes)")]
    TooLong { name: String, max: usize },
}

#[async_trait]
pub trait JobQueue: Send + Sync {
    /// `db` or `rabbitmq`.
    fn kind(&self) -> &'static str;
    /// Publishes durably: returns once the backend has stored the task.
    async fn publish(&self, queue: &str, payload: &[u8], headers: &Headers) -> Result<(), QueueError>;
    /// Waits up to `wait` for a task.
    async fn receive(&self, queue: &str, wait: Duration) -> Result<Option<Delivery>, QueueError>;
    /// Done: the task is removed.
    async fn ack(&self, d: &Delivery) -> Result<(), QueueError>;
    /// Transient failure: deliver again after `delay`, counting an attempt.
    async fn retry(&self, d: &Delivery, delay: Duration) -> Result<(), QueueError>;
    /// Given up: moved aside where an operator can see it, never delivered again.
    async fn dead_letter(&self, d: &Delivery, reason: &str) -> Result<(), QueueError>;
    /// Tasks waiting or in flight (for autoscaling and benchmarks).
    async fn depth(&self, queue: &str) -> Result<u64, QueueError>;
    /// Tasks in the dead-letter store of `queue`.
    async fn dead_count(&self, queue: &str) -> Result<u64, QueueError>;
    /// Whether the backend answers (for `/readyz`).
    async fn ping(&self) -> Result<(), QueueError>;
}

/// Exponential backoff with full jitter: attempt 1 waits up to `base`, doubling up to `cap`.
pub fn backoff(attempt: u32, base: Duration, cap: Duration, jitter: f64) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let d = exp.min(cap);
    d.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let b = Duration::from_millis(100);
        let cap = Duration::from_secs(5);
        assert_eq!(backoff(1, b, cap, 1.0), b);
        assert_eq!(backoff(3, b, cap, 1.0), Duration::from_millis(400));
        assert_eq!(backoff(30, b, cap, 1.0), cap);
        assert_eq!(backoff(3, b, cap, 0.0), Duration::from_millis(200));
    }
}
