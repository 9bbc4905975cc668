//! Persistence: sea-orm entities, the migration set, and the repository functions every service
//! uses. One code path for PostgreSQL (distributed mode) and SQLite (embedded mode).

pub mod entity;
pub mod migration;
pub mod repo;
pub mod testing;

use std::time::Duration;

use glimvid_domain::ErrorCode;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

pub use sea_orm;

/// Errors of the persistence layer, with the domain code each maps to.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("not enough credits")]
    PaymentRequired,
    /// A per-account limit is reached (jobs in flight); `retry_after_s` is a hint.
    #[error("{message}")]
    RateLimited { message: String, limit: u32, retry_after_s: u64 },
    #[error("{0}")]
    FailedPrecondition(String),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

impl DbError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::PaymentRequired => ErrorCode::PaymentRequired,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::FailedPrecondition(_) => ErrorCode::FailedPrecondition,
            Self::Db(_) => ErrorCode::Unavailable,
        }
    }

    /// Whether the error is a unique-constraint violation (on either backend).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            Self::Db(e) => is_unique_violation(e),
            _ => false,
        }
    }
}

pub(crate) fn is_unique_violation(e: &DbErr) -> bool {
    let s = e.to_string().to_ascii_lowercase();
    s.contains("unique constraint") || s.contains("duplicate key") || s.contains("unique violation")
}

/// Milliseconds since the Unix epoch: the time type of every table.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// A connection pool and the backend it talks to.
#[derive(Clone, Debug)]
pub struct Db {
    conn: DatabaseConnection,
}

impl Db {
    /// Connects to `url` (`postgres://…` or `sqlite://path?mode=rwc`) and runs pending migrations.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        Self::connect_in_schema(url, None).await
    }

    /// Like `connect`, but on PostgreSQL every table lives in `schema` (created if needed):
    /// isolated test runs and several deployments on one server.
    pub async fn connect_in_schema(url: &str, schema: Option<&str>) -> Result<Self, DbError> {
        if let Some(schema) = schema.filter(|_| url.starts_with("postgres")) {
            let admin = Database::connect(ConnectOptions::new(url.to_owned()).sqlx_logging(false).to_owned()).await?;
            admin.execute_unprepared(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"")).await?;
            let _ = admin.close().await;
        }
        let mut opts = ConnectOptions::new(url.to_owned());
        if let Some(schema) = schema.filter(|_| url.starts_with("postgres")) {
            opts.set_schema_search_path(schema.to_owned());
        }
        opts.sqlx_logging(false).connect_timeout(Duration::from_secs(10)).acquire_timeout(Duration::from_secs(30));
        if url.starts_with("sqlite:") {
            // WAL lets readers work beside the one writer; a writer waits for the lock instead of
            // failing at once.
            opts.max_connections(8).map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(30))
                    .create_if_missing(true)
            });
        } else {
            opts.max_connections(16);
        }
        let conn = Database::connect(opts).await?;
        let db = Self { conn };
        db.migrate(url, schema).await?;
        Ok(db)
    }

    /// Runs pending migrations. Several processes starting together on one PostgreSQL database
    /// take turns through an advisory lock; SQLite's write lock already serialises them.
    async fn migrate(&self, url: &str, schema: Option<&str>) -> Result<(), DbError> {
        if self.backend() != DbBackend::Postgres {
            migration::Migrator::up(&self.conn, None).await?;
            return Ok(());
        }
        let mut lock_opts = ConnectOptions::new(url.to_owned());
        lock_opts.sqlx_logging(false).max_connections(1).min_connections(1);
        if let Some(schema) = schema {
            lock_opts.set_schema_search_path(schema.to_owned());
        }
        let lock = Database::connect(lock_opts).await?;
        // An arbitrary constant: "glimvid migrations".
        lock.execute_unprepared("SELECT pg_advisory_lock(7261626983)").await?;
        let result = migration::Migrator::up(&self.conn, None).await;
        let _ = lock.execute_unprepared("SELECT pg_advisory_unlock(7261626983)").await;
        let _ = lock.close().await;
        Ok(result?)
    }

    /// The SQLite URL of a database file inside the data folder.
    pub fn sqlite_url(path: &std::path::Path) -> String {
        format!("sqlite://{}?mode=rwc", path.display())
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// Begins a transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), so
    /// that two writers queue up instead of one failing when it upgrades a read lock.
    pub async fn begin(&self) -> Result<DatabaseTransaction, DbError> {
        let opts = TransactionOptions {
            sqlite_transaction_mode: (self.backend() == DbBackend::Sqlite).then_some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        Ok(self.conn.begin_with_options(opts).await?)
    }

    /// Cheap liveness check for `/readyz`.
    pub async fn ping(&self) -> Result<(), DbError> {
        Ok(self.conn.ping().await?)
    }

    pub async fn close(self) {
        let _ = self.conn.close().await;
    }
}
