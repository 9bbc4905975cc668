use glimvid_domain::UserId;
use sea_orm::entity::prelude::*;

/// A payment provider's event, once: the unique event id makes a replayed webhook a no-op.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub event_id: String,
    pub user_id: Uuid,
    pub credits: i64,
    pub created_at: i64,
}

/// Typed ids of the row's `Uuid` columns.
impl Model {
    pub fn user_id(&self) -> UserId {
        self.user_id.into()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
