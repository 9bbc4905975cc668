//! Purchases reported by the payment provider: each event id grants its credits once.

use glimvid_domain::{
    UserId,
    credits::{Currency, EntryKind},
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::{
    credits::{self, Entry},
    lock_row,
};
use crate::{Db, DbError, entity::payments, now_ms};

pub use payments::Model as Payment;

/// What applying a purchase event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurchaseOutcome {
    Granted,
    /// The event id was seen before: nothing changed.
    Duplicate,
}

/// Records the event and grants `amount` credits to `user_id`, in one transaction. The unique
/// event id (and the ledger's idempotency key) make a replay a no-op.
pub async fn apply_purchase(db: &Db, event_id: &str, user_id: UserId, amount: i64) -> Result<PurchaseOutcome, DbError> {
    let tx = db.begin().await?;
    if payments::Entity::find().filter(payments::Column::EventId.eq(event_id)).one(&tx).await?.is_some() {
        return Ok(PurchaseOutcome::Duplicate);
    }
    if !lock_row(&tx, "users", user_id.as_uuid()).await? {
        return Err(DbError::NotFound("account"));
    }
    let inserted = payments::ActiveModel {
        event_id: Set(event_id.to_owned()),
        user_id: Set(user_id.into()),
        credits: Set(amount),
        created_at: Set(now_ms()),
        ..Default::default()
    }
    .insert(&tx)
    .await;
    match inserted {
        Ok(_) => {}
        // A concurrent delivery of the same event committed first.
        Err(e) if crate::is_unique_violation(&e) => return Ok(PurchaseOutcome::Duplicate),
        Err(e) => return Err(e.into()),
    }
    credits::append(
        &tx,
        Entry {
            user_id,
            currency: Currency::Credit,
            kind: EntryKind::Purchase,
            amount,
            job_id: None,
            idempotency_key: format!("purchase:{event_id}"),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(PurchaseOutcome::Granted)
}

pub async fn for_user(db: &Db, user_id: UserId) -> Result<Vec<Payment>, DbError> {
    Ok(payments::Entity::find().filter(payments::Column::UserId.eq(user_id.as_uuid())).all(db.conn()).await?)
}
