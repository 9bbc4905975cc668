use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kid: String,
    /// The Ed25519 seed, sealed for `signing_key:<kid>` (the UTF-8 bytes of `sealed.v1.…`, see
    /// `glimvid_runtime::Sealer`). Rows written by older versions hold the raw 32-byte seed until
    /// the auth service seals them at start.
    pub private_key: Vec<u8>,
    pub public_key: Vec<u8>,
    pub created_at: i64,
    /// When the key stops verifying (ms): set once a newer key replaces it, to the end of the
    /// longest life a token it signed can have. The row is deleted from then on.
    pub retired_at: Option<i64>,
    /// The key this one replaced (unique: two instances rotating at once cannot both succeed);
    /// `None` for the first key and for rows of older versions.
    pub replaces: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
