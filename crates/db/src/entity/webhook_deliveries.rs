use glimvid_domain::{UserId, WebhookId};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub webhook_id: Uuid,
    pub user_id: Uuid,
    pub event_id: i64,
    /// The JSON body, fixed when the delivery is made (a retry sends the same bytes).
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    pub status: super::enums::DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: i64,
    /// A sender holds the row until then (several gateway replicas share the table).
    pub locked_until: i64,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

/// Typed ids of the row's `Uuid` columns.
impl Model {
    pub fn webhook_id(&self) -> WebhookId {
        self.webhook_id.into()
    }

    pub fn user_id(&self) -> UserId {
        self.user_id.into()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
