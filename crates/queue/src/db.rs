//! The embedded queue: tasks are rows of `queue_tasks` in the service's own database. A receiver
//! leases a row (lease token + expiry) and keeps the lease alive while it works; a worker that
//! dies stops renewing it, and the task becomes visible again when the lease runs out.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use glimvid_db::{
    Db,
    entity::queue_tasks,
    now_ms,
    sea_orm::{
        ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, Set,
        Statement, Value, sea_query::Expr,
    },
};
use tokio::{sync::Notify, task::JoinHandle};

use crate::{Delivery, Headers, JobQueue, QueueError};

/// Settings of the database queue.
#[derive(Debug, Clone, Copy)]
pub struct DbQueueConfig {
    /// How long a delivery stays invisible to others without a renewal.
    pub lease: Duration,
    /// How often an empty queue is polled (a publish in this process wakes receivers at once).
    pub poll_interval: Duration,
}

impl Default for DbQueueConfig {
    fn default() -> Self {
        Self { lease: Duration::from_secs(30), poll_interval: Duration::from_millis(200) }
    }
}

pub struct DbQueue {
    db: Db,
    cfg: DbQueueConfig,
    notify: Arc<Notify>,
    /// Lease renewers of the deliveries this instance holds, by receipt.
    renewers: Mutex<HashMap<String, JoinHandle<()>>>,
}

impl DbQueue {
    pub fn new(db: Db, cfg: DbQueueConfig) -> Self {
        Self { db, cfg, notify: Arc::new(Notify::new()), renewers: Mutex::new(HashMap::new()) }
    }

    fn parse_receipt(receipt: &str) -> Result<(i64, &str), QueueError> {
        let (id, token) = receipt.split_once(':').ok_or(QueueError::LostDelivery)?;
        Ok((id.parse().map_err(|_| QueueError::LostDelivery)?, token))
    }

    fn stop_renewing(&self, receipt: &str) {
        if let Some(h) = self.renewers.lock().expect("renewers lock").remove(receipt) {
            h.abort();
        }
    }

    async fn try_claim(&self, queue: &str) -> Result<Option<Delivery>, QueueError> {
        let backend = self.db.backend();
        let now = now_ms();
        let token = uuid::Uuid::new_v4().simple().to_string();
        let lease_until = now + self.cfg.lease.as_millis() as i64;
        let p = |n: usize| match backend {
            DbBackend::Postgres => format!("${n}"),
            _ => format!("?{n}"),
        };
        // SKIP LOCKED lets many PostgreSQL consumers claim different rows without waiting;
        // SQLite has one writer at a time, so the plain subquery is already exclusive.
        let lock = if backend == DbBackend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE queue_tasks SET lease_until = {p1}, lease_token = {p2}, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM queue_tasks WHERE queue = {p3} AND dead_at IS NULL \
             AND available_at <= {p4} AND (lease_until IS NULL OR lease_until < {p4}) ORDER BY id LIMIT 1{lock}) \
             RETURNING id, payload, headers, attempts",
            p1 = p(1),
            p2 = p(2),
            p3 = p(3),
            p4 = p(4),
        );
        let stmt = Statement::from_sql_and_values(
            backend,
            sql,
            [Value::from(lease_until), Value::from(token.clone()), Value::from(queue.to_owned()), Value::from(now)],
        );
        let row = self.db.conn().query_one_raw(stmt).await.map_err(unavailable)?;
        let Some(row) = row else { return Ok(None) };
        let id: i64 = row.try_get("", "id").map_err(unavailable)?;
        let payload: Vec<u8> = row.try_get("", "payload").map_err(unavailable)?;
        let headers: String = row.try_get("", "headers").map_err(unavailable)?;
        let attempts: i32 = row.try_get("", "attempts").map_err(unavailable)?;
        let receipt = format!("{id}:{token}");
        self.spawn_renewer(id, token, receipt.clone());
        Ok(Some(Delivery {
            queue: queue.to_owned(),
            payload,
            headers: decode_headers(&headers),
            attempts: attempts.max(1) as u32,
            receipt,
        }))
    }

    fn spawn_renewer(&self, id: i64, token: String, receipt: String) {
        let db = self.db.clone();
        let lease = self.cfg.lease;
        let h = tokio::spawn(async move {
            let mut tick = tokio::time::interval(lease / 3);
            tick.tick().await;
            loop {
                tick.tick().await;
                let until = now_ms() + lease.as_millis() as i64;
                let res = queue_tasks::Entity::update_many()
                    .col_expr(queue_tasks::Column::LeaseUntil, Expr::value(until))
                    .filter(queue_tasks::Column::Id.eq(id))
                    .filter(queue_tasks::Column::LeaseToken.eq(token.as_str()))
                    .exec(db.conn())
                    .await;
                match res {
                    Ok(r) if r.rows_affected == 0 => break,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "could not renew a queue lease"),
                }
            }
        });
        self.renewers.lock().expect("renewers lock").insert(receipt, h);
    }

    async fn settle(&self, d: &Delivery, update: Option<(i64, Option<String>)>) -> Result<(), QueueError> {
        self.stop_renewing(&d.receipt);
        let (id, token) = Self::parse_receipt(&d.receipt)?;
        let affected = match update {
            None => {
                queue_tasks::Entity::delete_many()
                    .filter(queue_tasks::Column::Id.eq(id))
                    .filter(queue_tasks::Column::LeaseToken.eq(token))
                    .exec(self.db.conn())
                    .await
                    .map_err(unavailable)?
                    .rows_affected
            }
            Some((available_at, dead_reason)) => {
                let mut q = queue_tasks::Entity::update_many()
                    .col_expr(queue_tasks::Column::LeaseUntil, Expr::value(Option::<i64>::None))
                    .col_expr(queue_tasks::Column::LeaseToken, Expr::value(Option::<String>::None))
                    .col_expr(queue_tasks::Column::AvailableAt, Expr::value(available_at));
                if let Some(reason) = dead_reason {
                    q = q
                        .col_expr(queue_tasks::Column::DeadAt, Expr::value(now_ms()))
                        .col_expr(queue_tasks::Column::DeadReason, Expr::value(reason));
                }
                q.filter(queue_tasks::Column::Id.eq(id))
                    .filter(queue_tasks::Column::LeaseToken.eq(token))
                    .exec(self.db.conn())
                    .await
                    .map_err(unavailable)?
                    .rows_affected
            }
        };
        if affected == 0 { Err(QueueError::LostDelivery) } else { Ok(()) }
    }
}

impl Drop for DbQueue {
    fn drop(&mut self) {
        for (_, h) in self.renewers.lock().expect("renewers lock").drain() {
            h.abort();
        }
    }
}

fn unavailable(e: impl std::fmt::Display) -> QueueError {
    QueueError::Unavailable(e.to_string())
}

fn decode_headers(s: &str) -> Headers {
    serde_json::from_str(s).unwrap_or_default()
}

fn encode_headers(h: &Headers) -> String {
    serde_json::to_string(h).unwrap_or_else(|_| "{}".to_owned())
}

#[async_trait]
impl JobQueue for DbQueue {
    fn kind(&self) -> &'static str {
        "db"
    }

    async fn publish(&self, queue: &str, payload: &[u8], headers: &Headers) -> Result<(), QueueError> {
        let now = now_ms();
        queue_tasks::ActiveModel {
            queue: Set(queue.to_owned()),
            payload: Set(payload.to_vec()),
            headers: Set(encode_headers(headers)),
            attempts: Set(0),
            available_at: Set(now),
            lease_until: Set(None),
            lease_token: Set(None),
            dead_at: Set(None),
            dead_reason: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(self.db.conn())
        .await
        .map_err(unavailable)?;
        self.notify.notify_waiters();
        Ok(())
    }

    async fn receive(&self, queue: &str, wait: Duration) -> Result<Option<Delivery>, QueueError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.notify.notified();
            if let Some(d) = self.try_claim(queue).await? {
                return Ok(Some(d));
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            let nap = self.cfg.poll_interval.min(deadline - now);
            let _ = tokio::time::timeout(nap, notified).await;
        }
    }

    async fn ack(&self, d: &Delivery) -> Result<(), QueueError> {
        self.settle(d, None).await
    }

    async fn retry(&self, d: &Delivery, delay: Duration) -> Result<(), QueueError> {
        self.settle(d, Some((now_ms() + delay.as_millis() as i64, None))).await
    }

    async fn dead_letter(&self, d: &Delivery, reason: &str) -> Result<(), QueueError> {
        self.settle(d, Some((now_ms(), Some(reason.to_owned())))).await
    }

    async fn depth(&self, queue: &str) -> Result<u64, QueueError> {
        queue_tasks::Entity::find()
            .filter(queue_tasks::Column::Queue.eq(queue))
            .filter(queue_tasks::Column::DeadAt.is_null())
            .count(self.db.conn())
            .await
            .map_err(unavailable)
    }

    async fn dead_count(&self, queue: &str) -> Result<u64, QueueError> {
        queue_tasks::Entity::find()
            .filter(queue_tasks::Column::Queue.eq(queue))
            .filter(queue_tasks::Column::DeadAt.is_not_null())
            .count(self.db.conn())
            .await
            .map_err(unavailable)
    }

    async fn ping(&self) -> Result<(), QueueError> {
        self.db.ping().await.map_err(unavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip() {
        let mut h = Headers::new();
        h.insert("traceparent".into(), "00-abc-def-01".into());
        h.insert("job_id".into(), "123".into());
        assert_eq!(decode_headers(&encode_headers(&h)), h);
        assert!(decode_headers("{}").is_empty());
    }
}
