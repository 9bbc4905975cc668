use glimvid_domain::{UserId, WebhookId};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub url: String,
    /// The signing secret, sealed for `webhook:<id>` (rows of older versions hold it raw until
    /// the dispatcher seals them at start).
    pub secret: String,
    /// Job events with a greater id are delivered.
    pub after_event_id: i64,
    pub created_at: i64,
}

/// Typed ids of the row's `Uuid` columns.
impl Model {
    pub fn id(&self) -> WebhookId {
        self.id.into()
    }

    pub fn user_id(&self) -> UserId {
        self.user_id.into()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
