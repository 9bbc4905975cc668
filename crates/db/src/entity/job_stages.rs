use glimvid_domain::JobId;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_stages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub job_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub stage: super::enums::Stage,
    pub status: super::enums::StageStatus,
    pub attempts: i32,
    pub failure_reason: Option<String>,
    pub note: Option<String>,
    /// A paid provider operation in flight (e.g. an Ark task id), recorded before polling.
    pub provider_task_id: Option<String>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub updated_at: i64,
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
