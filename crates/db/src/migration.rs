//! Schema migrations. Written with sea-query's portable builders only, so that the same set runs
//! on PostgreSQL and SQLite.

use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(M0001Initial),
            Box::new(M0002Accounts),
            Box::new(M0003Webhooks),
            Box::new(M0005SealedWebhookSecrets),
            Box::new(M0006AccountSecurity),
            Box::new(M0007SigningKeys),
        ]
    }
}

#[derive(DeriveMigrationName)]
struct M0001Initial;

fn id_uuid() -> ColumnDef {
    ColumnDef::new("id").uuid().not_null().primary_key().take()
}

fn id_serial() -> ColumnDef {
    ColumnDef::new("id").big_integer().not_null().auto_increment().primary_key().take()
}

fn col(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
}

fn index(table: &'static str, name: &'static str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(*c);
    }
    if unique {
        i.unique();
    }
    i.take()
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Initial {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("users")
                .col(id_uuid())
                .col(col("email").string_len(320).not_null().unique_key())
                .col(col("password_hash").string_len(255).not_null())
                .col(col("language").string_len(16).not_null())
                .col(col("training_opt_out").boolean().not_null().default(false))
                .col(col("created_at").big_integer().not_null())
                .col(col("deleted_at").big_integer().null())
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("refresh_tokens")
                .col(id_uuid())
                .col(col("user_id").uuid().not_null())
                .col(col("family_id").uuid().not_null())
                .col(col("token_hash").string_len(64).not_null().unique_key())
                .col(col("expires_at").big_integer().not_null())
                .col(col("created_at").big_integer().not_null())
                .col(col("used_at").big_integer().null())
                .col(col("revoked_at").big_integer().null())
                .take(),
        )
        .await?;
        m.create_index(index("refresh_tokens", "ix_refresh_tokens_family", &["family_id"], false)).await?;
        m.create_index(index("refresh_tokens", "ix_refresh_tokens_user", &["user_id"], false)).await?;

        m.create_table(
            Table::create()
                .table("signing_keys")
                .col(col("kid").string_len(64).not_null().primary_key())
                .col(col("private_key").binary().not_null())
                .col(col("public_key").binary().not_null())
                .col(col("created_at").big_integer().not_null())
                .col(col("retired_at").big_integer().null())
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("api_keys")
                .col(id_uuid())
                .col(col("user_id").uuid().not_null())
                .col(col("name").string_len(100).not_null())
                .col(col("prefix").string_len(32).not_null())
                .col(col("key_hash").string_len(64).not_null().unique_key())
                .col(col("scopes").string_len(255).not_null())
                .col(col("created_at").big_integer().not_null())
                .col(col("revoked_at").big_integer().null())
                .take(),
        )
        .await?;
        m.create_index(index("api_keys", "ix_api_keys_user", &["user_id"], false)).await?;

        m.create_table(
            Table::create()
                .table("credit_ledger")
                .col(id_serial())
                .col(col("user_id").uuid().not_null())
                .col(col("currency").string_len(16).not_null())
                .col(col("kind").string_len(16).not_null())
                .col(col("amount").big_integer().not_null())
                .col(col("job_id").uuid().null())
                .col(col("idempotency_key").string_len(200).not_null().unique_key())
                .col(col("created_at").big_integer().not_null())
                .take(),
        )
        .await?;
        m.create_index(index("credit_ledger", "ix_credit_ledger_user", &["user_id"], false)).await?;

        m.create_table(
            Table::create()
                .table("jobs")
                .col(id_uuid())
                .col(col("user_id").uuid().not_null())
                .col(col("status").string_len(32).not_null())
                .col(col("description").text().not_null())
                .col(col("options_json").text().not_null())
                .col(col("photo_count").integer().not_null())
                .col(col("pending_prereqs").integer().not_null())
                .col(col("script_json").text().null())
                .col(col("public_id").string_len(64).null().unique_key())
                .col(col("failure_reason").text().null())
                .col(col("payment_currency").string_len(16).null())
                .col(col("idempotency_key").string_len(255).null())
                .col(col("request_hash").string_len(64).null())
                .col(col("created_at").big_integer().not_null())
                .col(col("updated_at").big_integer().not_null())
                .col(col("finished_at").big_integer().null())
                .take(),
        )
        .await?;
        m.create_index(index("jobs", "ix_jobs_user_created", &["user_id", "id"], false)).await?;
        m.create_index(index("jobs", "ux_jobs_user_idem", &["user_id", "idempotency_key"], true)).await?;

        m.create_table(
            Table::create()
                .table("job_stages")
                .col(col("job_id").uuid().not_null())
                .col(col("stage").string_len(16).not_null())
                .col(col("status").string_len(16).not_null())
                .col(col("attempts").integer().not_null().default(0))
                .col(col("failure_reason").text().null())
                .col(col("note").text().null())
                .col(col("provider_task_id").string_len(255).null())
                .col(col("started_at").big_integer().null())
                .col(col("finished_at").big_integer().null())
                .col(col("updated_at").big_integer().not_null())
                .primary_key(Index::create().col("job_id").col("stage"))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("job_events")
                .col(id_serial())
                .col(col("job_id").uuid().not_null())
                .col(col("kind").string_len(16).not_null())
                .col(col("stage").string_len(16).null())
                .col(col("status").string_len(16).null())
                .col(col("message").text().null())
                .col(col("at").big_integer().not_null())
                .take(),
        )
        .await?;
        m.create_index(index("job_events", "ix_job_events_job", &["job_id", "id"], false)).await?;

        m.create_table(
            Table::create()
                .table("assets")
                .col(id_uuid())
                .col(col("job_id").uuid().not_null())
                .col(col("user_id").uuid().not_null())
                .col(col("kind").string_len(16).not_null())
                .col(col("idx").integer().not_null())
                .col(col("blob_key").string_len(512).not_null().unique_key())
                .col(col("size").big_integer().not_null())
                .col(col("content_type").string_len(64).not_null())
                .col(col("sha256").string_len(64).not_null())
                .col(col("width").integer().null())
                .col(col("height").integer().null())
                .col(col("created_at").big_integer().not_null())
                .take(),
        )
        .await?;
        m.create_index(index("assets", "ux_assets_job_kind_idx", &["job_id", "kind", "idx"], true)).await?;
        m.create_index(index("assets", "ix_assets_user", &["user_id"], false)).await?;

        m.create_table(
            Table::create()
                .table("outbox")
                .col(id_serial())
                .col(col("queue").string_len(64).not_null())
                .col(col("payload").binary().not_null())
                .col(col("job_id").uuid().null())
                .col(col("created_at").big_integer().not_null())
                .col(col("sent_at").big_integer().null())
                .take(),
        )
        .await?;
        m.create_index(index("outbox", "ix_outbox_unsent", &["sent_at", "id"], false)).await?;

        m.create_table(
            Table::create()
                .table("queue_tasks")
                .col(id_serial())
                .col(col("queue").string_len(128).not_null())
                .col(col("payload").binary().not_null())
                .col(col("headers").text().not_null())
                .col(col("attempts").integer().not_null().default(0))
                .col(col("available_at").big_integer().not_null())
                .col(col("lease_until").big_integer().null())
                .col(col("lease_token").string_len(64).null())
                .col(col("dead_at").big_integer().null())
                .col(col("dead_reason").text().null())
                .col(col("created_at").big_integer().not_null())
                .take(),
        )
        .await?;
        m.create_index(index("queue_tasks", "ix_queue_tasks_ready", &["queue", "dead_at", "available_at"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("usage_log")
                .col(id_serial())
                .col(col("user_id").uuid().null())
                .col(col("ip").string_len(64).not_null())
                .col(col("route").string_len(128).not_null())
                .col(col("status").integer().not_null())
                .col(col("at").big_integer().not_null())
                .take(),
        )
        .await?;
        m.create_index(index("usage_log", "ix_usage_log_at", &["at"], false)).await?;
        m.create_index(index("usage_log", "ix_usage_log_user", &["user_id", "at"], false)).await?;
        m.create_index(index("usage_log", "ix_usage_log_ip", &["ip", "route", "at"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "usage_log",
            "queue_tasks",
            "outbox",
            "assets",
            "job_events",
            "job_stages",
            "jobs",
            "credit_ledger",
            "api_keys",
            "signing_keys",
            "refresh_tokens",
            "users",
        ] {
            m.drop_table(Table::drop().table(t).if_exists().take()).await?;
        }
        Ok(())
    }
}

/// Accounts: rate-limit counters (one row per key, shared by every gateway replica), the action
/// of each usage row, and payments deduplicated by the provider's event id.
struct M0002Accounts;

// Named by hand: the derive takes the file's name, which both migrations share.
impl MigrationName for M0002Accounts {
    fn name(&self) -> &str {
        "m0002_accounts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0002Accounts {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("rate_limits")
                .col(col("key").string_len(255).not_null().primary_key())
                .col(col("window_start").big_integer().not_null())
                .col(col("count").big_integer().not_null())
                .col(col("expires_at").big_integer().not_null())
                .take(),
        )
        .await?;
        m.create_index(index("rate_limits", "ix_rate_limits_expires", &["expires_at"], false)).await?;

        // One column per statement: SQLite alters one thing at a time.
        m.alter_table(Table::alter().table("usage_log").add_column(col("action").string_len(32).null()).take()).await?;
        m.create_index(index("usage_log", "ix_usage_log_action", &["action", "ip", "at"], false)).await?;

        m.create_table(
            Table::create()
                .table("payments")
                .col(id_serial())
                .col(col("event_id").string_len(200).not_null().unique_key())
                .col(col("user_id").uuid().not_null())
                .col(col("credits").big_integer().not_null())
                .col(col("created_at").big_integer().not_null())
                .take(),
        )
        .await?;
        m.create_index(index("payments", "ix_payments_user", &["user_id"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("payments").if_exists().take()).await?;
        m.drop_index(Index::drop().name("ix_usage_log_action").table("usage_log").to_owned()).await?;
        m.alter_table(Table::alter().table("usage_log").drop_column("action").take()).await?;
        m.drop_table(Table::drop().table("rate_limits").if_exists().take()).await?;
        Ok(())
    }
}

/// Partner webhooks and their deliveries (one row per webhook and job event).
struct M0003Webhooks;

impl MigrationName for M0003Webhooks {
    fn name(&self) -> &str {
        "m0003_webhooks"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0003Webhooks {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("webhooks")
                .col(id_uuid())
                .col(col("user_id").uuid().not_null())
                .col(col("url").string_len(2048).not_null())
                .col(col("secret").string_len(128).not_null())
                // Events with a greater id are delivered (those before the registration are not).
                .col(col("after_event_id").big_integer().not_null())
                .col(col("created_at").big_integer().not_null())
                .take(),
        )
        .await?;
        m.create_index(index("webhooks", "ix_webhooks_user", &["user_id"], false)).await?;
        m.create_table(
            Table::create()
                .table("webhook_deliveries")
                .col(id_serial())
                .col(col("webhook_id").uuid().not_null())
                .col(col("user_id").uuid().not_null())
                .col(col("event_id").big_integer().not_null())
                .col(col("payload").text().not_null())
                .col(col("status").string_len(16).not_null())
                .col(col("attempts").integer().not_null())
                .col(col("next_attempt_at").big_integer().not_null())
                .col(col("locked_until").big_integer().not_null())
                .col(col("last_status_code").integer().null())
                .col(col("last_error").text().null())
                .col(col("created_at").big_integer().not_null())
                .col(col("delivered_at").big_integer().null())
                .take(),
        )
        .await?;
        m.create_index(index("webhook_deliveries", "ux_webhook_deliveries_event", &["webhook_id", "event_id"], true))
            .await?;
        m.create_index(index("webhook_deliveries", "ix_webhook_deliveries_due", &["status", "next_attempt_at"], false))
            .await?;
        m.create_index(index("webhook_deliveries", "ix_webhook_deliveries_user", &["user_id"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("webhook_deliveries").if_exists().take()).await?;
        m.drop_table(Table::drop().table("webhooks").if_exists().take()).await?;
        Ok(())
    }
}

/// Room for sealed webhook secrets (`sealed.v1.` and the base64 of nonce, secret and tag: 136
/// characters for a `whsec_` secret). SQLite does not enforce a text column's length, so only
/// PostgreSQL's column is widened; the raw secrets of older rows are sealed by the gateway.
struct M0005SealedWebhookSecrets;

impl MigrationName for M0005SealedWebhookSecrets {
    fn name(&self) -> &str {
        "m0005_sealed_webhook_secrets"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0005SealedWebhookSecrets {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            m.alter_table(
                Table::alter().table("webhooks").modify_column(col("secret").string_len(512).not_null()).take(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        // Narrowing the column again would cut sealed secrets: kept as wide.
        Ok(())
    }
}

/// A leaked token stays small: each account's token version (access tokens carry it; a password
/// change bumps it, so every access token issued before is refused at once) and an expiry for
/// API keys (milliseconds since the epoch; `NULL` = never).
struct M0006AccountSecurity;

impl MigrationName for M0006AccountSecurity {
    fn name(&self) -> &str {
        "m0006_account_security"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0006AccountSecurity {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        m.alter_table(
            Table::alter().table("users").add_column(col("token_version").integer().not_null().default(0)).take(),
        )
        .await?;
        m.alter_table(Table::alter().table("api_keys").add_column(col("expires_at").big_integer().null()).take())
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("api_keys").drop_column("expires_at").take()).await?;
        m.alter_table(Table::alter().table("users").drop_column("token_version").take()).await?;
        Ok(())
    }
}

/// Signing key rotation: each new key names the key it replaces, and no key is replaced twice,
/// so auth instances sharing a database that rotate at the same moment make one new key, not
/// one each. (The seeds themselves are sealed by the auth service at start: sealing needs the
/// configured key, which migrations do not have; `private_key` is binary and wide enough.)
struct M0007SigningKeys;

impl MigrationName for M0007SigningKeys {
    fn name(&self) -> &str {
        "m0007_signing_keys"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0007SigningKeys {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("signing_keys").add_column(col("replaces").string_len(64).null()).take())
            .await?;
        m.create_index(index("signing_keys", "ux_signing_keys_replaces", &["replaces"], true)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ux_signing_keys_replaces").table("signing_keys").to_owned()).await?;
        m.alter_table(Table::alter().table("signing_keys").drop_column("replaces").take()).await?;
        Ok(())
    }
}
