//! The access-token signing keys: stored sealed, rotated once per period whatever the number of
//! auth instances, retired when the last token one signed has expired, then deleted.
//!
//! The rules (when to rotate, how long a replaced key keeps verifying) live in the auth service;
//! these functions only make each step safe when several instances take it at once.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, sea_query::Expr};

use crate::{Db, DbError, entity::signing_keys};

pub use signing_keys::Model as SigningKey;

/// A key to store. `private_key` is already sealed by the caller: this crate never sees a seed.
pub struct NewSigningKey<'a> {
    pub kid: &'a str,
    pub private_key: Vec<u8>,
    pub public_key: Vec<u8>,
    pub created_at: i64,
    /// The newest key at the time, if any.
    pub replaces: Option<&'a str>,
}

/// Every stored key, newest first (the first one signs).
pub async fn all(db: &Db) -> Result<Vec<SigningKey>, DbError> {
    Ok(signing_keys::Entity::find()
        .order_by_desc(signing_keys::Column::CreatedAt)
        .order_by_desc(signing_keys::Column::Kid)
        .all(db.conn())
        .await?)
}

/// Stores a key. Returns `false`, storing nothing, when another instance already replaced the
/// same key: the caller then takes the newest key from [`all`] instead of its own.
pub async fn insert(db: &Db, new: NewSigningKey<'_>) -> Result<bool, DbError> {
    let res = signing_keys::ActiveModel {
        kid: Set(new.kid.to_owned()),
        private_key: Set(new.private_key),
        public_key: Set(new.public_key),
        created_at: Set(new.created_at),
        retired_at: Set(None),
        replaces: Set(new.replaces.map(str::to_owned)),
    }
    .insert(db.conn())
    .await;
    match res {
        Ok(_) => Ok(true),
        Err(e) if crate::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Replaces key `kid`'s stored private key by `new` if it is still `old` (sealing a raw seed in
/// place). Returns whether it was: another instance may have sealed it meanwhile.
pub async fn replace_private_key(db: &Db, kid: &str, old: &[u8], new: Vec<u8>) -> Result<bool, DbError> {
    let res = signing_keys::Entity::update_many()
        .col_expr(signing_keys::Column::PrivateKey, Expr::value(new))
        .filter(signing_keys::Column::Kid.eq(kid))
        .filter(signing_keys::Column::PrivateKey.eq(old.to_vec()))
        .exec(db.conn())
        .await?;
    Ok(res.rows_affected == 1)
}

/// Sets `retired_at` of every key but `newest` that has none yet. The first instance to see a
/// replaced key decides its retirement; later calls change nothing. Returns how many it set.
pub async fn retire_all_but(db: &Db, newest: &str, retired_at: i64) -> Result<u64, DbError> {
    let res = signing_keys::Entity::update_many()
        .col_expr(signing_keys::Column::RetiredAt, Expr::value(retired_at))
        .filter(signing_keys::Column::Kid.ne(newest))
        .filter(signing_keys::Column::RetiredAt.is_null())
        .exec(db.conn())
        .await?;
    Ok(res.rows_affected)
}

/// Deletes the keys retired at or before `now`: their tokens have all expired, and a seed that
/// is gone cannot leak. Returns how many.
pub async fn delete_retired(db: &Db, now: i64) -> Result<u64, DbError> {
    let res =
        signing_keys::Entity::delete_many().filter(signing_keys::Column::RetiredAt.lte(now)).exec(db.conn()).await?;
    Ok(res.rows_affected)
}
