use glimvid_domain::{JobId, UserId};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub job_id: Uuid,
    pub user_id: Uuid,
    /// `original`, `enhanced`, `script` or `video`.
    pub kind: super::enums::AssetKind,
    pub idx: i32,
    #[sea_orm(unique)]
    pub blob_key: String,
    pub size: i64,
    pub content_type: String,
    pub sha256: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub created_at: i64,
}

/// Typed ids of the row's `Uuid` columns.
impl Model {
    pub fn job_id(&self) -> JobId {
        self.job_id.into()
    }

    pub fn user_id(&self) -> UserId {
        self.user_id.into()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
