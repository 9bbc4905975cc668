//! The credit ledger: append-only entries whose sum per currency is the balance.

use glimvid_domain::{
    JobId, UserId,
    credits::{Currency, EntryKind},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
    sea_query::{Expr, OnConflict},
};

use crate::{Db, DbError, entity::credit_ledger, now_ms};

pub struct Entry {
    pub user_id: UserId,
    pub currency: Currency,
    pub kind: EntryKind,
    pub amount: i64,
    pub job_id: Option<JobId>,
    pub idempotency_key: String,
}

/// Appends an entry unless one with the same idempotency key exists. Returns whether it was new.
pub async fn append(c: &impl ConnectionTrait, e: Entry) -> Result<bool, DbError> {
    let am = credit_ledger::ActiveModel {
        user_id: Set(e.user_id.into()),
        currency: Set(e.currency.into()),
        kind: Set(e.kind.into()),
        amount: Set(e.amount),
        job_id: Set(e.job_id.map(Into::into)),
        idempotency_key: Set(e.idempotency_key),
        created_at: Set(now_ms()),
        ..Default::default()
    };
    let res = credit_ledger::Entity::insert(am)
        .on_conflict(OnConflict::column(credit_ledger::Column::IdempotencyKey).do_nothing().to_owned())
        .exec_without_returning(c)
        .await?;
    Ok(res == 1)
}

/// The idempotency key of a job's reservation: a job reserves at most once.
pub fn reserve_key(job_id: JobId) -> String {
    format!("reserve:{job_id}")
}

/// The idempotency key of a job's refund: a job is refunded at most once.
pub fn refund_key(job_id: JobId) -> String {
    format!("refund:{job_id}")
}

/// What the job reserved (the balance it came from, and the amount as a positive number), if
/// it reserved anything yet: a job submitted for review reserves only when its render is
/// requested.
pub async fn reserved_by_job(c: &impl ConnectionTrait, job_id: JobId) -> Result<Option<(Currency, i64)>, DbError> {
    let entry = credit_ledger::Entity::find()
        .filter(credit_ledger::Column::IdempotencyKey.eq(reserve_key(job_id)))
        .one(c)
        .await?;
    Ok(entry.map(|e| (e.currency.into(), -e.amount)))
}

/// The user's balances: (bought credits, free trials left).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Balances {
    pub credits: i64,
    pub trials: i64,
}

pub async fn balances(c: &impl ConnectionTrait, user_id: UserId) -> Result<Balances, DbError> {
    let rows: Vec<(String, Option<i64>)> = credit_ledger::Entity::find()
        .select_only()
        .column(credit_ledger::Column::Currency)
        // PostgreSQL sums BIGINT into NUMERIC: cast back so both backends decode an i64.
        .column_as(Expr::cust("CAST(SUM(amount) AS BIGINT)"), "total")
        .filter(credit_ledger::Column::UserId.eq(user_id.as_uuid()))
        .group_by(credit_ledger::Column::Currency)
        .into_tuple()
        .all(c)
        .await?;
    let mut b = Balances::default();
    for (cur, total) in rows {
        match Currency::parse(&cur) {
            Some(Currency::Credit) => b.credits = total.unwrap_or(0),
            Some(Currency::Trial) => b.trials = total.unwrap_or(0),
            None => {}
        }
    }
    Ok(b)
}

/// Grants credits (an operator's or a payment's), once per idempotency key.
pub async fn grant(
    db: &Db,
    user_id: UserId,
    amount: i64,
    kind: EntryKind,
    idempotency_key: &str,
) -> Result<bool, DbError> {
    append(
        db.conn(),
        Entry {
            user_id,
            currency: Currency::Credit,
            kind,
            amount,
            job_id: None,
            idempotency_key: idempotency_key.to_owned(),
        },
    )
    .await
}

/// Every entry of a user, oldest first (exports, audits, tests).
pub async fn entries(db: &Db, user_id: UserId) -> Result<Vec<credit_ledger::Model>, DbError> {
    Ok(credit_ledger::Entity::find().filter(credit_ledger::Column::UserId.eq(user_id.as_uuid())).all(db.conn()).await?)
}
