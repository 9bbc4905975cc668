//! Rate-limit counters kept in the database, so that every gateway replica counts in the same
//! place: one fixed-window row per key, bumped by a single atomic upsert (PostgreSQL and SQLite
//! both evaluate `ON CONFLICT … DO UPDATE` under the row's lock and return the new count).

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement, Value};

use crate::{Db, DbError, entity::rate_limits};

/// A limit: at most `limit` hits per `window_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub limit: u32,
    pub window_ms: i64,
}

/// The outcome of one hit, with what the `RateLimit-*` headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Milliseconds until the window ends (and the count starts again).
    pub reset_ms: i64,
}

impl Decision {
    /// Whole seconds until the window ends, at least 1 (for `Retry-After` / `RateLimit-Reset`).
    pub fn reset_secs(&self) -> u64 {
        ((self.reset_ms.max(0) + 999) / 1000).max(1) as u64
    }
}

/// Counts one hit on `key` at `now` (ms) and says whether it is within `rule`. A hit beyond the
/// limit is counted too: hammering does not earn a fresh window.
pub async fn hit(c: &impl ConnectionTrait, key: &str, rule: Rule, now: i64) -> Result<Decision, DbError> {
    let window_ms = rule.window_ms.max(1);
    let start = now - now.rem_euclid(window_ms);
    let end = start + window_ms;
    let backend = c.get_database_backend();
    let p = |n| super::placeholder(backend, n);
    let sql = format!(
        "INSERT INTO rate_limits (\"key\", window_start, \"count\", expires_at) VALUES ({}, {}, 1, {}) \
         ON CONFLICT (\"key\") DO UPDATE SET \
           \"count\" = CASE WHEN rate_limits.window_start >= excluded.window_start \
                       THEN rate_limits.\"count\" + 1 ELSE 1 END, \
           window_start = CASE WHEN rate_limits.window_start >= excluded.window_start \
                       THEN rate_limits.window_start ELSE excluded.window_start END, \
           expires_at = CASE WHEN rate_limits.expires_at >= excluded.expires_at \
                       THEN rate_limits.expires_at ELSE excluded.expires_at END \
         RETURNING \"count\", window_start",
        p(1),
        p(2),
        p(3)
    );
    let row = c
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [Value::from(key.to_owned()), Value::from(start), Value::from(end)],
        ))
        .await?
        .ok_or(DbError::NotFound("rate limit row"))?;
    let count: i64 = row.try_get("", "count")?;
    let window_start: i64 = row.try_get("", "window_start")?;
    let limit = rule.limit;
    Ok(Decision {
        allowed: count <= limit as i64,
        limit,
        remaining: (limit as i64 - count).clamp(0, u32::MAX as i64) as u32,
        reset_ms: (window_start + window_ms - now).max(0),
    })
}

/// Takes back one hit on `key` counted in the window that holds `now` (a reservation that
/// turned out not to count, such as a step-up whose password was right). No-op once the window
/// has moved on or the count is zero.
pub async fn refund(db: &Db, key: &str, rule: Rule, now: i64) -> Result<(), DbError> {
    use sea_orm::sea_query::Expr;
    let window_ms = rule.window_ms.max(1);
    let start = now - now.rem_euclid(window_ms);
    rate_limits::Entity::update_many()
        .col_expr(
            rate_limits::Column::Count,
            sea_orm::sea_query::ExprTrait::sub(Expr::col(rate_limits::Column::Count), 1),
        )
        .filter(rate_limits::Column::Key.eq(key))
        .filter(rate_limits::Column::WindowStart.eq(start))
        .filter(rate_limits::Column::Count.gt(0))
        .exec(db.conn())
        .await?;
    Ok(())
}

/// Convenience for callers outside a transaction.
pub async fn hit_db(db: &Db, key: &str, rule: Rule, now: i64) -> Result<Decision, DbError> {
    hit(db.conn(), key, rule, now).await
}

/// Deletes counters whose window ended before `now`.
pub async fn purge(db: &Db, now: i64) -> Result<u64, DbError> {
    Ok(rate_limits::Entity::delete_many()
        .filter(rate_limits::Column::ExpiresAt.lt(now))
        .exec(db.conn())
        .await?
        .rows_affected)
}
