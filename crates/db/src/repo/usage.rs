//! The usage log: what the privacy policy calls usage data. Kept 30 days.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use crate::{Db, DbError, entity::usage_log, now_ms};

pub use usage_log::Model as UsageRow;

pub const RETENTION_MS: i64 = 30 * 24 * 3600 * 1000;

pub async fn record(db: &Db, user_id: Option<Uuid>, ip: &str, route: &str, status: u16) -> Result<(), DbError> {
    usage_log::ActiveModel {
        user_id: Set(user_id),
        ip: Set(ip.to_owned()),
        route: Set(route.to_owned()),
        status: Set(status as i32),
        at: Set(now_ms()),
        ..Default::default()
    }
    .insert(db.conn())
    .await?;
    Ok(())
}

pub async fn for_user(db: &Db, user_id: Uuid, limit: u64) -> Result<Vec<UsageRow>, DbError> {
    Ok(usage_log::Entity::find()
        .filter(usage_log::Column::UserId.eq(user_id))
        .filter(usage_log::Column::At.gte(now_ms() - RETENTION_MS))
        .order_by_desc(usage_log::Column::Id)
        .limit(limit)
        .all(db.conn())
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
