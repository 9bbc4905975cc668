use glimvid_domain::{JobId, UserId};
use sea_orm::entity::prelude::*;

/// Append-only: rows are inserted, never updated. A balance is the sum of `amount` per currency.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credit_ledger")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: Uuid,
    /// `credit` or `trial`.
    pub currency: super::enums::Currency,
    /// `grant`, `purchase`, `reserve` or `refund`.
    pub kind: super::enums::EntryKind,
    pub amount: i64,
    pub job_id: Option<Uuid>,
    /// Makes each grant, reservation and refund happen at most once.
    #[sea_orm(unique)]
    pub idempotency_key: String,
    pub created_at: i64,
}

/// Typed ids of the row's `Uuid` columns.
impl Model {
    pub fn user_id(&self) -> UserId {
        self.user_id.into()
    }

    pub fn job_id(&self) -> Option<JobId> {
        self.job_id.map(Into::into)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
