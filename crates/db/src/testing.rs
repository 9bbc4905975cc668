//! Databases for tests: always a temporary SQLite file, and PostgreSQL too when
//! `GLIMVID_TEST_DATABASE_URL` is set (in a schema of its own, dropped afterwards). With
//! `GLIMVID_TEST_REQUIRE_REAL=1` a missing PostgreSQL URL fails the test instead of skipping it.

use crate::Db;

/// A database for one test; drop it to clean up.
pub struct TestDb {
    pub name: &'static str,
    pub db: Db,
    _dir: Option<tempfile::TempDir>,
    schema: Option<(String, String)>,
}

impl TestDb {
    pub async fn cleanup(self) {
        if let Some((url, schema)) = &self.schema {
            self.db.clone().close().await;
            if let Ok(admin) = sea_orm::Database::connect(url.as_str()).await {
                use sea_orm::ConnectionTrait;
                let _ = admin.execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE")).await;
                let _ = admin.close().await;
            }
        }
    }
}

pub fn require_real() -> bool {
    std::env::var("GLIMVID_TEST_REQUIRE_REAL").is_ok_and(|v| v == "1" || v == "true")
}

/// SQLite, plus PostgreSQL when configured.
pub async fn databases() -> Vec<TestDb> {
    let mut out = vec![sqlite().await];
    match std::env::var("GLIMVID_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let schema = format!("glimvid_test_{}", uuid::Uuid::new_v4().simple());
            let db = Db::connect_in_schema(&url, Some(&schema))
                .await
                .unwrap_or_else(|e| panic!("GLIMVID_TEST_DATABASE_URL is set but PostgreSQL is unusable: {e}"));
            out.push(TestDb { name: "postgres", db, _dir: None, schema: Some((url, schema)) });
        }
        _ if require_real() => panic!("GLIMVID_TEST_REQUIRE_REAL=1 but GLIMVID_TEST_DATABASE_URL is not set"),
        _ => {}
    }
    out
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Db::connect(&Db::sqlite_url(&dir.path().join("test.db"))).await.expect("open SQLite");
    TestDb { name: "sqlite", db, _dir: Some(dir), schema: None }
}
