//! Repository functions: every read and write the services make, each a small transaction with
//! the rules of the domain applied inside it.

pub mod api_keys;
pub mod billing;
pub mod credits;
pub mod jobs;
pub mod limits;
pub mod outbox;
pub mod signing_keys;
pub mod usage;
pub mod users;
pub mod webhooks;

use sea_orm::{ConnectionTrait, DbErr, Statement, Value};

/// Locks a row for the rest of the transaction with a no-op update: a portable
/// `SELECT … FOR UPDATE` (PostgreSQL takes a row lock; SQLite already holds the write lock).
/// Returns whether the row exists.
pub(crate) async fn lock_row(c: &impl ConnectionTrait, table: &str, id: uuid::Uuid) -> Result<bool, DbErr> {
    let backend = c.get_database_backend();
    let p = placeholder(backend, 1);
    let sql = match table {
        "users" => format!("UPDATE users SET training_opt_out = training_opt_out WHERE id = {p}"),
        "jobs" => format!("UPDATE jobs SET updated_at = updated_at WHERE id = {p}"),
        other => unreachable!("lock_row on {other}"),
    };
    let res = c.execute_raw(Statement::from_sql_and_values(backend, sql, [Value::from(id)])).await?;
    Ok(res.rows_affected() == 1)
}

/// The n-th (1-based) bind placeholder of the backend.
pub(crate) fn placeholder(backend: sea_orm::DbBackend, n: usize) -> String {
    match backend {
        sea_orm::DbBackend::Postgres => format!("${n}"),
        _ => format!("?{n}"),
    }
}
