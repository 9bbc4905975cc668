//! The usage log: what the privacy policy calls usage data (IP address, time, action). Used for
//! abuse prevention and the user's own view; kept 30 days, then purged.

use glimvid_domain::UserId;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::{Db, DbError, entity::usage_log, now_ms};

pub use usage_log::Model as UsageRow;

pub const RETENTION_MS: i64 = 30 * 24 * 3600 * 1000;

/// Actions recorded in the log (the `action` column).
pub mod action {
    pub const REGISTER: &str = "register";
    pub const LOGIN: &str = "login";
    pub const LOGIN_FAILED: &str = "login_failed";
    pub const VIDEO_CREATED: &str = "video_created";
    pub const EXPORT: &str = "export";
    pub const API_KEY_CREATED: &str = "api_key_created";
    pub const API_KEY_REVOKED: &str = "api_key_revoked";
    pub const ACCOUNT_UPDATED: &str = "account_updated";
    pub const PURCHASE: &str = "purchase";
    /// A sensitive action was refused for a wrong current password (step-up).
    pub const PASSWORD_CHECK_FAILED: &str = "password_check_failed";
    pub const PASSWORD_CHANGED: &str = "password_changed";
}

/// One usage row to write.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub user_id: Option<UserId>,
    pub ip: &'a str,
    pub action: &'a str,
    pub route: &'a str,
    pub status: u16,
    pub at: i64,
}

pub async fn record(db: &Db, user_id: Option<UserId>, ip: &str, route: &str, status: u16) -> Result<(), DbError> {
    record_event(db, Event { user_id, ip, action: "request", route, status, at: now_ms() }).await
}

pub async fn record_event(db: &Db, e: Event<'_>) -> Result<(), DbError> {
    usage_log::ActiveModel {
        user_id: Set(e.user_id.map(Into::into)),
        ip: Set(truncate(e.ip, 64)),
        route: Set(truncate(e.route, 128)),
        status: Set(e.status as i32),
        at: Set(e.at),
        action: Set(Some(truncate(e.action, 32))),
        ..Default::default()
    }
    .insert(db.conn())
    .await?;
    Ok(())
}

fn truncate(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// The user's rows of the last 30 days (as of `now`), newest first.
pub async fn for_user(db: &Db, user_id: UserId, limit: u64) -> Result<Vec<UsageRow>, DbError> {
    page_for_user(db, user_id, None, limit, now_ms()).await
}

/// A page of the user's rows of the last 30 days, newest first, before row id `before`.
pub async fn page_for_user(
    db: &Db,
    user_id: UserId,
    before: Option<i64>,
    limit: u64,
    now: i64,
) -> Result<Vec<UsageRow>, DbError> {
    let mut q = usage_log::Entity::find()
        .filter(usage_log::Column::UserId.eq(user_id.as_uuid()))
        .filter(usage_log::Column::At.gte(now - RETENTION_MS));
    if let Some(b) = before {
        q = q.filter(usage_log::Column::Id.lt(b));
    }
    Ok(q.order_by_desc(usage_log::Column::Id).limit(limit).all(db.conn()).await?)
}

/// How many rows with `action` the user has in the last 30 days (generation counts).
pub async fn count_for_user(db: &Db, user_id: UserId, action: &str, now: i64) -> Result<u64, DbError> {
    Ok(usage_log::Entity::find()
        .filter(usage_log::Column::UserId.eq(user_id.as_uuid()))
        .filter(usage_log::Column::Action.eq(action))
        .filter(usage_log::Column::At.gte(now - RETENTION_MS))
        .count(db.conn())
        .await?)
}

/// Deletes rows older than the retention period as of `now`.
pub async fn purge(db: &Db, now: i64) -> Result<u64, DbError> {
    Ok(usage_log::Entity::delete_many()
        .filter(usage_log::Column::At.lt(now - RETENTION_MS))
        .exec(db.conn())
        .await?
        .rows_affected)
}
