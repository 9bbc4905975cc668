//! The outbox: tasks committed with the state change that calls for them, waiting to be
//! published to the queue by the relay.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr};

use crate::{Db, DbError, entity::outbox, now_ms};

pub use outbox::Model as OutboxRow;

/// The oldest unsent rows.
pub async fn unsent(db: &Db, limit: u64) -> Result<Vec<OutboxRow>, DbError> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::SentAt.is_null())
        .order_by_asc(outbox::Column::Id)
        .limit(limit)
        .all(db.conn())
        .await?)
}

pub async fn mark_sent(db: &Db, ids: &[i64]) -> Result<(), DbError> {
    if ids.is_empty() {
        return Ok(());
    }
    outbox::Entity::update_many()
        .col_expr(outbox::Column::SentAt, Expr::value(now_ms()))
        .filter(outbox::Column::Id.is_in(ids.iter().copied()))
        .exec(db.conn())
        .await?;
    Ok(())
}

/// Deletes rows sent more than `older_than_ms` ago.
pub async fn purge_sent(db: &Db, older_than_ms: i64) -> Result<u64, DbError> {
    let cutoff = now_ms() - older_than_ms;
    Ok(outbox::Entity::delete_many().filter(outbox::Column::SentAt.lt(cutoff)).exec(db.conn()).await?.rows_affected)
}
