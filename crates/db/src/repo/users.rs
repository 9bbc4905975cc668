//! Users and refresh tokens.

use glimvid_domain::UserId;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    Db, DbError,
    entity::{refresh_tokens, users},
    now_ms,
};

pub use refresh_tokens::Model as RefreshToken;
pub use users::Model as User;

pub struct NewUser<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub language: &'a str,
}

/// Creates a user and grants the free trial in one transaction. `Conflict` if the email is taken.
pub async fn create_user(db: &Db, new: NewUser<'_>, free_trials: i64) -> Result<User, DbError> {
    let tx = db.begin().await?;
    let now = now_ms();
    let id = Uuid::now_v7();
    let am = users::ActiveModel {
        id: Set(id),
        email: Set(new.email.to_owned()),
        password_hash: Set(new.password_hash.to_owned()),
        language: Set(new.language.to_owned()),
        training_opt_out: Set(false),
        created_at: Set(now),
        deleted_at: Set(None),
        token_version: Set(0),
    };
    let user = match am.insert(&tx).await {
        Ok(u) => u,
        Err(e) if crate::is_unique_violation(&e) => {
            return Err(DbError::Conflict("an account with this email already exists".into()));
        }
        Err(e) => return Err(e.into()),
    };
    if free_trials > 0 {
        super::credits::append(
            &tx,
            super::credits::Entry {
                user_id: id.into(),
                currency: glimvid_domain::credits::Currency::Trial,
                kind: glimvid_domain::credits::EntryKind::Grant,
                amount: free_trials,
                job_id: None,
                idempotency_key: format!("trial-grant:{id}"),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(user)
}

pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<User>, DbError> {
    Ok(users::Entity::find().filter(users::Column::Email.eq(email)).one(db.conn()).await?)
}

pub async fn get(db: &Db, id: UserId) -> Result<User, DbError> {
    users::Entity::find_by_id(id.as_uuid()).one(db.conn()).await?.ok_or(DbError::NotFound("account"))
}

pub async fn set_password_hash(db: &Db, id: UserId, hash: &str) -> Result<(), DbError> {
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(hash))
        .filter(users::Column::Id.eq(id.as_uuid()))
        .exec(db.conn())
        .await?;
    Ok(())
}

/// The settings a user changes on their account; `None` leaves a field as it is.
#[derive(Debug, Default, Clone, Copy)]
pub struct AccountChanges<'a> {
    /// Already normalised by the caller.
    pub email: Option<&'a str>,
    pub language: Option<&'a str>,
    pub training_opt_out: Option<bool>,
}

/// Applies `changes`; `Conflict` if the new email belongs to another account.
pub async fn update_account(db: &Db, id: UserId, changes: AccountChanges<'_>) -> Result<User, DbError> {
    let user = get(db, id).await?;
    let mut am: users::ActiveModel = user.into();
    if let Some(e) = changes.email {
        am.email = Set(e.to_owned());
    }
    if let Some(l) = changes.language {
        am.language = Set(l.to_owned());
    }
    if let Some(t) = changes.training_opt_out {
        am.training_opt_out = Set(t);
    }
    match am.update(db.conn()).await {
        Ok(u) => Ok(u),
        Err(e) if crate::is_unique_violation(&e) => {
            Err(DbError::Conflict("an account with this email already exists".into()))
        }
        Err(e) => Err(e.into()),
    }
}

/// The token version of a live account, `None` when the account is gone or deleted: the one
/// primary-key lookup the gateway makes per request, so that a deleted account's or a changed
/// password's older access tokens are refused at once.
pub async fn live_token_version(db: &Db, id: UserId) -> Result<Option<i32>, DbError> {
    use sea_orm::QuerySelect;
    let row: Option<(i32, Option<i64>)> = users::Entity::find_by_id(id.as_uuid())
        .select_only()
        .column(users::Column::TokenVersion)
        .column(users::Column::DeletedAt)
        .into_tuple()
        .one(db.conn())
        .await?;
    Ok(row.and_then(|(v, deleted)| deleted.is_none().then_some(v)))
}

/// What a password change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordChanged {
    /// The account's token version from now on (access tokens of older versions are refused).
    pub token_version: i32,
    pub refresh_tokens_revoked: u64,
    pub api_keys_revoked: u64,
}

/// Sets a new password hash and, in the same transaction, bumps the token version, revokes
/// every live refresh token of the account and, if asked, every live API key: whoever held a
/// stolen token or key is out at the commit.
pub async fn change_password(
    db: &Db,
    id: UserId,
    new_hash: &str,
    revoke_api_keys: bool,
) -> Result<PasswordChanged, DbError> {
    use crate::entity::api_keys;
    let tx = db.begin().await?;
    if !super::lock_row(&tx, "users", id.as_uuid()).await? {
        return Err(DbError::NotFound("account"));
    }
    let user = users::Entity::find_by_id(id.as_uuid()).one(&tx).await?.ok_or(DbError::NotFound("account"))?;
    if user.deleted_at.is_some() {
        return Err(DbError::NotFound("account"));
    }
    let token_version = user.token_version + 1;
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(new_hash))
        .col_expr(users::Column::TokenVersion, Expr::value(token_version))
        .filter(users::Column::Id.eq(id.as_uuid()))
        .exec(&tx)
        .await?;
    let now = now_ms();
    let refresh_tokens_revoked = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::UserId.eq(id.as_uuid()))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(&tx)
        .await?
        .rows_affected;
    let api_keys_revoked = if revoke_api_keys {
        api_keys::Entity::update_many()
            .col_expr(api_keys::Column::RevokedAt, Expr::value(now))
            .filter(api_keys::Column::UserId.eq(id.as_uuid()))
            .filter(api_keys::Column::RevokedAt.is_null())
            .exec(&tx)
            .await?
            .rows_affected
    } else {
        0
    };
    tx.commit().await?;
    Ok(PasswordChanged { token_version, refresh_tokens_revoked, api_keys_revoked })
}

pub struct NewRefreshToken {
    pub user_id: UserId,
    pub family_id: Uuid,
    pub token_hash: String,
    pub expires_at: i64,
}

pub async fn insert_refresh_token(c: &impl ConnectionTrait, t: NewRefreshToken) -> Result<(), DbError> {
    refresh_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(t.user_id.into()),
        family_id: Set(t.family_id),
        token_hash: Set(t.token_hash),
        expires_at: Set(t.expires_at),
        created_at: Set(now_ms()),
        used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(c)
    .await?;
    Ok(())
}

/// What presenting a refresh token led to.
#[derive(Debug)]
pub enum RotateOutcome {
    /// Valid: it is now used, and the new token was stored in the same family.
    Rotated { user_id: UserId },
    /// Unknown, expired or revoked.
    Invalid,
    /// Already used: a stolen token is being replayed, so the whole family was revoked.
    Reused,
}

/// Rotates a refresh token atomically: marks `token_hash` used and stores its successor.
pub async fn rotate_refresh_token(
    db: &Db,
    token_hash: &str,
    new_hash: String,
    new_expires_at: i64,
) -> Result<RotateOutcome, DbError> {
    let tx = db.begin().await?;
    let now = now_ms();
    let Some(tok) =
        refresh_tokens::Entity::find().filter(refresh_tokens::Column::TokenHash.eq(token_hash)).one(&tx).await?
    else {
        return Ok(RotateOutcome::Invalid);
    };
    if tok.revoked_at.is_some() || tok.expires_at <= now {
        return Ok(RotateOutcome::Invalid);
    }
    // Claim the token: exactly one concurrent presenter wins the update.
    let claimed = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::UsedAt, Expr::value(now))
        .filter(refresh_tokens::Column::Id.eq(tok.id))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .exec(&tx)
        .await?
        .rows_affected;
    if claimed == 0 {
        revoke_family_in(&tx, tok.family_id, now).await?;
        tx.commit().await?;
        return Ok(RotateOutcome::Reused);
    }
    insert_refresh_token(
        &tx,
        NewRefreshToken {
            user_id: tok.user_id(),
            family_id: tok.family_id,
            token_hash: new_hash,
            expires_at: new_expires_at,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(RotateOutcome::Rotated { user_id: tok.user_id() })
}

async fn revoke_family_in(c: &impl ConnectionTrait, family_id: Uuid, now: i64) -> Result<(), DbError> {
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::FamilyId.eq(family_id))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(c)
        .await?;
    Ok(())
}

/// Logout: revokes the family of the presented token (no error if it is unknown).
pub async fn revoke_refresh_token(db: &Db, token_hash: &str) -> Result<(), DbError> {
    if let Some(tok) =
        refresh_tokens::Entity::find().filter(refresh_tokens::Column::TokenHash.eq(token_hash)).one(db.conn()).await?
    {
        revoke_family_in(db.conn(), tok.family_id, now_ms()).await?;
    }
    Ok(())
}

/// Deletes the account and every row about it in one transaction, and returns the object keys
/// of its assets (the caller deletes them, and everything under the user's prefix). Its public
/// links answer 404 from the commit on, since they resolve through the deleted asset rows.
pub async fn delete_account(db: &Db, user_id: UserId) -> Result<Vec<String>, DbError> {
    use crate::entity::{api_keys, assets, credit_ledger, job_events, job_stages, jobs, outbox, payments, usage_log};
    let tx = db.begin().await?;
    if !super::lock_row(&tx, "users", user_id.as_uuid()).await? {
        return Err(DbError::NotFound("account"));
    }
    let keys: Vec<String> = assets::Entity::find()
        .filter(assets::Column::UserId.eq(user_id.as_uuid()))
        .all(&tx)
        .await?
        .into_iter()
        .map(|a| a.blob_key)
        .collect();
    let job_ids: Vec<Uuid> = jobs::Entity::find()
        .filter(jobs::Column::UserId.eq(user_id.as_uuid()))
        .all(&tx)
        .await?
        .into_iter()
        .map(|j| j.id)
        .collect();
    assets::Entity::delete_many().filter(assets::Column::UserId.eq(user_id.as_uuid())).exec(&tx).await?;
    for chunk in job_ids.chunks(500) {
        job_events::Entity::delete_many().filter(job_events::Column::JobId.is_in(chunk.to_vec())).exec(&tx).await?;
        job_stages::Entity::delete_many().filter(job_stages::Column::JobId.is_in(chunk.to_vec())).exec(&tx).await?;
        // Tasks not yet handed to the queue; those already queued find no job and are dropped.
        outbox::Entity::delete_many().filter(outbox::Column::JobId.is_in(chunk.to_vec())).exec(&tx).await?;
    }
    jobs::Entity::delete_many().filter(jobs::Column::UserId.eq(user_id.as_uuid())).exec(&tx).await?;
    credit_ledger::Entity::delete_many().filter(credit_ledger::Column::UserId.eq(user_id.as_uuid())).exec(&tx).await?;
    payments::Entity::delete_many().filter(payments::Column::UserId.eq(user_id.as_uuid())).exec(&tx).await?;
    api_keys::Entity::delete_many().filter(api_keys::Column::UserId.eq(user_id.as_uuid())).exec(&tx).await?;
    refresh_tokens::Entity::delete_many()
        .filter(refresh_tokens::Column::UserId.eq(user_id.as_uuid()))
        .exec(&tx)
        .await?;
    usage_log::Entity::delete_many().filter(usage_log::Column::UserId.eq(user_id.as_uuid())).exec(&tx).await?;
    super::webhooks::delete_for_user(&tx, user_id).await?;
    users::Entity::delete_by_id(user_id).exec(&tx).await?;
    tx.commit().await?;
    Ok(keys)
}

/// Live accounts that did not opt out of model training (the training-set export).
pub async fn training_contributors(db: &Db) -> Result<Vec<User>, DbError> {
    Ok(users::Entity::find()
        .filter(users::Column::TrainingOptOut.eq(false))
        .filter(users::Column::DeletedAt.is_null())
        .order_by_asc(users::Column::CreatedAt)
        .all(db.conn())
        .await?)
}

/// How many live accounts opted out of model training.
pub async fn opted_out_count(db: &Db) -> Result<u64, DbError> {
    use sea_orm::PaginatorTrait;
    Ok(users::Entity::find()
        .filter(users::Column::TrainingOptOut.eq(true))
        .filter(users::Column::DeletedAt.is_null())
        .count(db.conn())
        .await?)
}
