use glimvid_domain::JobId;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_events")]
pub struct Model {
    /// Also the SSE event id: clients resume from it.
    #[sea_orm(primary_key)]
    pub id: i64,
    pub job_id: Uuid,
    /// `job`, `stage` or `note`.
    pub kind: super::enums::EventKind,
    pub stage: Option<super::enums::Stage>,
    pub status: Option<super::enums::EventStatus>,
    pub message: Option<String>,
    pub at: i64,
}

/// Typed ids of the row's `Uuid` columns.
impl Model {
    pub fn job_id(&self) -> JobId {
        self.job_id.into()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
