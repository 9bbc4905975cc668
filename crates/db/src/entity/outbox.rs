use glimvid_domain::JobId;
use sea_orm::entity::prelude::*;

/// Tasks written in the same transaction as the state change that calls for them; a relay
/// publishes them to the queue and marks them sent.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub queue: String,
    pub payload: Vec<u8>,
    pub job_id: Option<Uuid>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// Typed ids of the row's `Uuid` columns.
impl Model {
    pub fn job_id(&self) -> Option<JobId> {
        self.job_id.map(Into::into)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
