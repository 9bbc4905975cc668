use glimvid_domain::{JobId, UserId};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub status: super::enums::JobStatus,
    pub description: String,
    pub options_json: String,
    pub photo_count: i32,
    /// Stages still to succeed before render may start; decremented atomically (the fan-in).
    pub pending_prereqs: i32,
    pub script_json: Option<String>,
    #[sea_orm(unique)]
    pub public_id: Option<String>,
    pub failure_reason: Option<String>,
    /// Which balance paid (`trial` or `credit`), refunded to the same one.
    pub payment_currency: Option<super::enums::Currency>,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

/// Typed ids of the row's `Uuid` columns.
impl Model {
    pub fn id(&self) -> JobId {
        self.id.into()
    }

    pub fn user_id(&self) -> UserId {
        self.user_id.into()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
