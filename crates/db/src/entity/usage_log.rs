use glimvid_domain::UserId;
use sea_orm::entity::prelude::*;

/// IP, user, route, status and time of each request: rate limiting, trial counting, the user's
/// own view. Purged after 30 days.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: Option<Uuid>,
    pub ip: String,
    pub route: String,
    pub status: i32,
    pub at: i64,
    /// What happened (`register`, `login`, `video_created`, `export`, …); `None` on rows
    /// written before actions were recorded.
    pub action: Option<String>,
}

/// Typed ids of the row's `Uuid` columns.
impl Model {
    pub fn user_id(&self) -> Option<UserId> {
        self.user_id.map(Into::into)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
