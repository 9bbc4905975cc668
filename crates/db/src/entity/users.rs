use glimvid_domain::UserId;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub email: String,
    pub password_hash: String,
    pub language: String,
    pub training_opt_out: bool,
    pub created_at: i64,
    pub deleted_at: Option<i64>,
    /// Access tokens carry it; those older than the account's are refused (a password change
    /// bumps it).
    pub token_version: i32,
}

/// Typed ids of the row's `Uuid` columns.
impl Model {
    pub fn id(&self) -> UserId {
        self.id.into()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
