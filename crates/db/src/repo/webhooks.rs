//! Partner webhooks: the registered URLs, and one delivery row per webhook and job event.
//!
//! Deliveries are made by a scan rather than inside the transactions that write job events, so
//! that nothing on the pipeline's path waits for webhooks: [`pending_events`] finds events of
//! the webhook owner's jobs that have no delivery yet (an event committed late is found by the
//! next scan, since the scan looks for missing rows, not past a high-water mark), and the
//! unique `(webhook_id, event_id)` index makes creating a delivery idempotent across replicas.
//! Senders claim due rows with a lease ([`claim_due`]), so two replicas do not post the same
//! delivery at the same time.

use glimvid_domain::{UserId, WebhookId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
    Value,
};
use uuid::Uuid;

use super::{jobs::JobEvent, placeholder};
use crate::{
    Db, DbError,
    entity::{webhook_deliveries, webhooks},
};

pub type Webhook = webhooks::Model;
pub type Delivery = webhook_deliveries::Model;

/// The delivery statuses by their old names (`status::PENDING`, ...).
pub mod status {
    use crate::entity::enums::DeliveryStatus;

    pub const PENDING: DeliveryStatus = DeliveryStatus::Pending;
    pub const DELIVERED: DeliveryStatus = DeliveryStatus::Delivered;
    pub const FAILED: DeliveryStatus = DeliveryStatus::Failed;
}

/// Registers `url` as webhook `id` for the user's job events from now on. `secret` is stored as
/// given: the caller seals it (the id is part of the seal's context, hence chosen by the caller).
pub async fn create(
    db: &Db,
    id: WebhookId,
    user_id: UserId,
    url: &str,
    secret: &str,
    now: i64,
) -> Result<Webhook, DbError> {
    let c = db.conn();
    let backend = c.get_database_backend();
    let row =
        c.query_one_raw(Statement::from_string(backend, "SELECT COALESCE(MAX(id), 0) AS m FROM job_events")).await?;
    let after: i64 = match row {
        Some(r) => r.try_get("", "m")?,
        None => 0,
    };
    let m = webhooks::ActiveModel {
        id: Set(id.into()),
        user_id: Set(user_id.into()),
        url: Set(url.to_owned()),
        secret: Set(secret.to_owned()),
        after_event_id: Set(after),
        created_at: Set(now),
    };
    Ok(m.insert(c).await?)
}

pub async fn list(db: &Db, user_id: UserId) -> Result<Vec<Webhook>, DbError> {
    Ok(webhooks::Entity::find()
        .filter(webhooks::Column::UserId.eq(user_id.as_uuid()))
        .order_by_asc(webhooks::Column::CreatedAt)
        .all(db.conn())
        .await?)
}

/// The user's webhook `id` (another user's is not found).
pub async fn get_owned(db: &Db, user_id: UserId, id: WebhookId) -> Result<Webhook, DbError> {
    webhooks::Entity::find_by_id(id)
        .filter(webhooks::Column::UserId.eq(user_id.as_uuid()))
        .one(db.conn())
        .await?
        .ok_or(DbError::NotFound("webhook"))
}

/// Removes the webhook and its deliveries (pending ones are not sent any more).
pub async fn delete(db: &Db, user_id: UserId, id: WebhookId) -> Result<(), DbError> {
    let tx = db.begin().await?;
    let res = webhooks::Entity::delete_many()
        .filter(webhooks::Column::Id.eq(id.as_uuid()))
        .filter(webhooks::Column::UserId.eq(user_id.as_uuid()))
        .exec(&tx)
        .await?;
    if res.rows_affected == 0 {
        return Err(DbError::NotFound("webhook"));
    }
    webhook_deliveries::Entity::delete_many()
        .filter(webhook_deliveries::Column::WebhookId.eq(id.as_uuid()))
        .exec(&tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Every webhook row and delivery of a user (account deletion, inside its transaction).
pub async fn delete_for_user(c: &impl ConnectionTrait, user_id: UserId) -> Result<(), DbError> {
    webhook_deliveries::Entity::delete_many()
        .filter(webhook_deliveries::Column::UserId.eq(user_id.as_uuid()))
        .exec(c)
        .await?;
    webhooks::Entity::delete_many().filter(webhooks::Column::UserId.eq(user_id.as_uuid())).exec(c).await?;
    Ok(())
}

/// Every webhook's id and stored secret (to seal those kept in the clear by older versions).
pub async fn secrets(db: &Db) -> Result<Vec<(WebhookId, String)>, DbError> {
    let rows: Vec<(Uuid, String)> = webhooks::Entity::find()
        .select_only()
        .column(webhooks::Column::Id)
        .column(webhooks::Column::Secret)
        .into_tuple()
        .all(db.conn())
        .await?;
    Ok(rows.into_iter().map(|(id, secret)| (id.into(), secret)).collect())
}

/// Replaces webhook `id`'s secret by `new` if it is still `old`. Returns whether it was.
pub async fn replace_secret(db: &Db, id: WebhookId, old: &str, new: &str) -> Result<bool, DbError> {
    let res = webhooks::Entity::update_many()
        .col_expr(webhooks::Column::Secret, sea_orm::sea_query::Expr::value(new.to_owned()))
        .filter(webhooks::Column::Id.eq(id.as_uuid()))
        .filter(webhooks::Column::Secret.eq(old))
        .exec(db.conn())
        .await?;
    Ok(res.rows_affected == 1)
}

/// A job event that a webhook has not been given yet.
#[derive(Debug, Clone)]
pub struct PendingEvent {
    pub webhook_id: WebhookId,
    pub user_id: UserId,
    pub event: JobEvent,
}

/// Up to `limit` events newer than `since` (ms) of the jobs of users with webhooks, registered
/// before the event, that have no delivery row yet; oldest first.
pub async fn pending_events(db: &Db, since: i64, limit: u64) -> Result<Vec<PendingEvent>, DbError> {
    let c = db.conn();
    let backend = c.get_database_backend();
    let p = |n| placeholder(backend, n);
    let sql = format!(
        "SELECT w.id AS webhook_id, w.user_id AS user_id, e.id AS id, e.job_id AS job_id, e.kind AS kind, \
                e.stage AS stage, e.status AS status, e.message AS message, e.at AS at \
         FROM webhooks w \
         JOIN jobs j ON j.user_id = w.user_id \
         JOIN job_events e ON e.job_id = j.id \
         WHERE e.id > w.after_event_id AND e.at >= {} \
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.event_id = e.id) \
         ORDER BY e.id LIMIT {}",
        p(1),
        p(2)
    );
    let rows = c
        .query_all_raw(Statement::from_sql_and_values(backend, sql, [Value::from(since), Value::from(limit as i64)]))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(PendingEvent {
            webhook_id: r.try_get::<Uuid>("", "webhook_id")?.into(),
            user_id: r.try_get::<Uuid>("", "user_id")?.into(),
            event: JobEvent {
                id: r.try_get("", "id")?,
                job_id: r.try_get("", "job_id")?,
                kind: r.try_get("", "kind")?,
                stage: r.try_get("", "stage")?,
                status: r.try_get("", "status")?,
                message: r.try_get("", "message")?,
                at: r.try_get("", "at")?,
            },
        });
    }
    Ok(out)
}

/// Creates the delivery of `event_id` to `webhook_id` with its body, due at once. Returns false
/// when it already exists (another replica made it).
pub async fn insert_delivery(
    db: &Db,
    webhook_id: WebhookId,
    user_id: UserId,
    event_id: i64,
    payload: &str,
    now: i64,
) -> Result<bool, DbError> {
    let c = db.conn();
    let backend = c.get_database_backend();
    let p = |n| placeholder(backend, n);
    let sql = format!(
        "INSERT INTO webhook_deliveries (webhook_id, user_id, event_id, payload, status, attempts, next_attempt_at, \
                                         locked_until, created_at) \
         VALUES ({}, {}, {}, {}, '{}', 0, {}, 0, {}) ON CONFLICT (webhook_id, event_id) DO NOTHING",
        p(1),
        p(2),
        p(3),
        p(4),
        status::PENDING,
        p(5),
        p(5)
    );
    let res = c
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                Value::from(webhook_id.as_uuid()),
                Value::from(user_id.as_uuid()),
                Value::from(event_id),
                Value::from(payload.to_owned()),
                Value::from(now),
            ],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// A claimed delivery with where and how to send it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery: Delivery,
    pub url: String,
    pub secret: String,
}

/// Claims up to `limit` due pending deliveries for `lease_ms`: no other sender takes them until
/// the lease ends (a sender that dies leaves them to be taken again then).
pub async fn claim_due(db: &Db, now: i64, lease_ms: i64, limit: u64) -> Result<Vec<Claimed>, DbError> {
    let c = db.conn();
    let backend = c.get_database_backend();
    let p = |n| placeholder(backend, n);
    // The outer conditions are checked again on each row as it is updated, so two replicas
    // racing for the same row cannot both win it.
    let sql = format!(
        "UPDATE webhook_deliveries SET locked_until = {lease} \
         WHERE status = '{pending}' AND next_attempt_at <= {now} AND locked_until <= {now} AND id IN ( \
             SELECT id FROM webhook_deliveries \
             WHERE status = '{pending}' AND next_attempt_at <= {now} AND locked_until <= {now} \
             ORDER BY next_attempt_at LIMIT {limit}) \
         RETURNING id",
        lease = p(1),
        now = p(2),
        limit = p(3),
        pending = status::PENDING,
    );
    let rows = c
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [Value::from(now + lease_ms), Value::from(now), Value::from(limit as i64)],
        ))
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.try_get::<i64>("", "id")).collect::<Result<_, _>>()?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let deliveries =
        webhook_deliveries::Entity::find().filter(webhook_deliveries::Column::Id.is_in(ids)).all(c).await?;
    let hook_ids: Vec<Uuid> = deliveries.iter().map(|d| d.webhook_id).collect();
    let hooks = webhooks::Entity::find().filter(webhooks::Column::Id.is_in(hook_ids)).all(c).await?;
    Ok(deliveries
        .into_iter()
        .filter_map(|d| {
            let h = hooks.iter().find(|h| h.id == d.webhook_id)?;
            Some(Claimed { url: h.url.clone(), secret: h.secret.clone(), delivery: d })
        })
        .collect())
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub enum Attempt {
    /// The receiver answered 2xx.
    Delivered { status_code: u16 },
    /// It answered otherwise or not at all; try again at `retry_at`, or give up when `None`.
    Failed { status_code: Option<u16>, error: String, retry_at: Option<i64> },
}

/// Records an attempt on a claimed delivery and releases its lease.
pub async fn record_attempt(db: &Db, id: i64, attempt: Attempt, now: i64) -> Result<(), DbError> {
    let c = db.conn();
    let Some(d) = webhook_deliveries::Entity::find_by_id(id).one(c).await? else {
        // The webhook (or the account) was deleted meanwhile.
        return Ok(());
    };
    let attempts = d.attempts + 1;
    let mut m: webhook_deliveries::ActiveModel = d.into();
    m.attempts = Set(attempts);
    m.locked_until = Set(0);
    match attempt {
        Attempt::Delivered { status_code } => {
            m.status = Set(status::DELIVERED);
            m.last_status_code = Set(Some(status_code as i32));
            m.last_error = Set(None);
            m.delivered_at = Set(Some(now));
        }
        Attempt::Failed { status_code, error, retry_at } => {
            m.last_status_code = Set(status_code.map(i32::from));
            m.last_error = Set(Some(error.chars().take(500).collect()));
            match retry_at {
                Some(t) => m.next_attempt_at = Set(t),
                None => m.status = Set(status::FAILED),
            }
        }
    }
    m.update(c).await?;
    Ok(())
}

/// A page of one webhook's deliveries, newest first, before delivery id `before`.
pub async fn deliveries(
    db: &Db,
    webhook_id: WebhookId,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<Delivery>, DbError> {
    let mut q =
        webhook_deliveries::Entity::find().filter(webhook_deliveries::Column::WebhookId.eq(webhook_id.as_uuid()));
    if let Some(b) = before {
        q = q.filter(webhook_deliveries::Column::Id.lt(b));
    }
    Ok(q.order_by_desc(webhook_deliveries::Column::Id).limit(limit).all(db.conn()).await?)
}

/// Removes finished deliveries older than `older_than_ms` (housekeeping).
pub async fn purge(db: &Db, now: i64, older_than_ms: i64) -> Result<u64, DbError> {
    let res = webhook_deliveries::Entity::delete_many()
        .filter(webhook_deliveries::Column::Status.ne(status::PENDING))
        .filter(webhook_deliveries::Column::CreatedAt.lt(now - older_than_ms))
        .exec(db.conn())
        .await?;
    Ok(res.rows_affected)
}
