use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kid: String,
    /// Ed25519 seed (32 bytes). Readable only by the auth service's database role in production.
    pub private_key: Vec<u8>,
    pub public_key: Vec<u8>,
    pub created_at: i64,
    /// A retired key no longer signs but still verifies until its tokens have expired.
    pub retired_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
