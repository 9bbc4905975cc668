//! Partners' API keys: stored as SHA-256 hashes of their secret, with scopes; revocable.

use glimvid_domain::{ApiKeyId, UserId};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, sea_query::Expr};
use uuid::Uuid;

use crate::{
    Db, DbError,
    entity::{api_keys, users},
    now_ms,
};

pub use api_keys::Model as ApiKey;

pub struct NewApiKey<'a> {
    pub user_id: UserId,
    pub name: &'a str,
    /// The first characters of the secret, shown in lists so a user can tell keys apart.
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub scopes: &'a [String],
    /// Milliseconds since the epoch after which the key stops working; `None` = never.
    pub expires_at: Option<i64>,
}

pub async fn create(db: &Db, k: NewApiKey<'_>) -> Result<ApiKey, DbError> {
    let user = users::Entity::find_by_id(k.user_id).one(db.conn()).await?;
    if user.is_none_or(|u| u.deleted_at.is_some()) {
        return Err(DbError::NotFound("account"));
    }
    Ok(api_keys::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(k.user_id.into()),
        name: Set(k.name.to_owned()),
        prefix: Set(k.prefix.to_owned()),
        key_hash: Set(k.key_hash.to_owned()),
        scopes: Set(k.scopes.join(" ")),
        created_at: Set(now_ms()),
        revoked_at: Set(None),
        expires_at: Set(k.expires_at),
    }
    .insert(db.conn())
    .await?)
}

/// The user's keys, newest first (revoked ones included, marked).
pub async fn list(db: &Db, user_id: UserId) -> Result<Vec<ApiKey>, DbError> {
    Ok(api_keys::Entity::find()
        .filter(api_keys::Column::UserId.eq(user_id.as_uuid()))
        .order_by_desc(api_keys::Column::Id)
        .all(db.conn())
        .await?)
}

/// Revokes the user's key; another user's key is "not found". Revoking twice is fine.
pub async fn revoke(db: &Db, user_id: UserId, key_id: ApiKeyId) -> Result<(), DbError> {
    let key = api_keys::Entity::find_by_id(key_id.as_uuid()).one(db.conn()).await?;
    match key {
        Some(k) if k.user_id() == user_id => {
            api_keys::Entity::update_many()
                .col_expr(api_keys::Column::RevokedAt, Expr::value(now_ms()))
                .filter(api_keys::Column::Id.eq(key_id.as_uuid()))
                .filter(api_keys::Column::RevokedAt.is_null())
                .exec(db.conn())
                .await?;
            Ok(())
        }
        _ => Err(DbError::NotFound("API key")),
    }
}

/// The live key with this hash at `now` (ms): not revoked, not expired, and its owner's account
/// still exists.
pub async fn find_active(db: &Db, key_hash: &str, now: i64) -> Result<Option<ApiKey>, DbError> {
    use sea_orm::Condition;
    let Some(key) = api_keys::Entity::find()
        .filter(api_keys::Column::KeyHash.eq(key_hash))
        .filter(api_keys::Column::RevokedAt.is_null())
        .filter(Condition::any().add(api_keys::Column::ExpiresAt.is_null()).add(api_keys::Column::ExpiresAt.gt(now)))
        .one(db.conn())
        .await?
    else {
        return Ok(None);
    };
    let owner = users::Entity::find_by_id(key.user_id).one(db.conn()).await?;
    Ok(owner.filter(|u| u.deleted_at.is_none()).map(|_| key))
}
