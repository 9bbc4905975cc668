use sea_orm::entity::prelude::*;

/// The embedded job queue: a task is leased by a worker and deleted on ack; an expired lease
/// makes it visible again (at-least-once delivery that survives a crash).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "queue_tasks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub queue: String,
    pub payload: Vec<u8>,
    /// JSON object of string headers (trace context, ...).
    pub headers: String,
    pub attempts: i32,
    pub available_at: i64,
    pub lease_until: Option<i64>,
    pub lease_token: Option<String>,
    pub dead_at: Option<i64>,
    pub dead_reason: Option<String>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
