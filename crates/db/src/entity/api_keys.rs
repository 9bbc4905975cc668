use glimvid_domain::{ApiKeyId, UserId};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub prefix: String,
    #[sea_orm(unique)]
    pub key_hash: String,
    /// Space-separated scopes.
    pub scopes: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// Milliseconds since the epoch after which the key no longer authenticates; `None` = never.
    pub expires_at: Option<i64>,
}

/// Typed ids of the row's `Uuid` columns.
impl Model {
    pub fn id(&self) -> ApiKeyId {
        self.id.into()
    }

    pub fn user_id(&self) -> UserId {
        self.user_id.into()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
