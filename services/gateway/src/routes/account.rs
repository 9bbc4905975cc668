//! The user's own account.

use actix_web::{HttpResponse, web};
use glimvid_proto::auth::v1 as pb;
use serde::Deserialize;
use serde_json::json;

use crate::{error::ApiResult, extract::AuthUser, state::SharedState};

pub fn account_json(a: pb::Account) -> serde_json::Value {
    json!({
        "id": a.id,
        "email": a.email,
        "language": a.language,
        "training_opt_out": a.training_opt_out,
        "credits": a.credits,
        "free_trials_left": a.free_trials_left,
        "created_at": a.created_at,
    })
}

pub async fn get(state: web::Data<SharedState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let a = state.auth.clone().get_account(pb::GetAccountRequest { user_id: user.user_id.to_string() }).await?;
    Ok(HttpResponse::Ok().json(account_json(a.into_inner())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    language: Option<String>,
    training_opt_out: Option<bool>,
}

pub async fn patch(
    state: web::Data<SharedState>,
    user: AuthUser,
    body: web::Json<PatchBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let a = state
        .auth
        .clone()
        .update_account(pb::UpdateAccountRequest {
            user_id: user.user_id.to_string(),
            language: b.language,
            training_opt_out: b.training_opt_out,
        })
        .await?;
    Ok(HttpResponse::Ok().json(account_json(a.into_inner())))
}
