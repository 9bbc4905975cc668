//! `glimvid.auth.v1.AuthService`: converts messages and calls `AuthApp`.

use std::sync::Arc;

use glimvid_domain::{DomainError, UserId};
use glimvid_proto::{
    auth::v1::{self as pb, auth_service_server::AuthServiceServer},
    status::to_status,
};
use tonic::{Request, Response, Status};

use crate::app::{AccountView, ApiKeyView, AuthApp, Tokens};

pub struct AuthGrpc {
    app: Arc<AuthApp>,
}

pub fn server(app: Arc<AuthApp>) -> AuthServiceServer<AuthGrpc> {
    AuthServiceServer::new(AuthGrpc { app })
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

fn account(a: AccountView) -> pb::Account {
    pb::Account {
        id: a.id.to_string(),
        email: a.email,
        language: a.language,
        training_opt_out: a.training_opt_out,
        credits: a.credits,
        free_trials_left: a.free_trials_left,
        created_at: rfc3339(a.created_at),
    }
}

fn tokens(t: Tokens) -> pb::TokenResponse {
    pb::TokenResponse {
        account: Some(account(t.account)),
        access_token: t.access_token,
        refresh_token: t.refresh_token,
        expires_in: t.expires_in,
    }
}

fn user_id(s: &str) -> Result<UserId, Status> {
    s.parse().map_err(|_| to_status(&DomainError::not_found("account")))
}

fn st(e: DomainError) -> Status {
    to_status(&e)
}

fn api_key(k: ApiKeyView) -> pb::ApiKey {
    pb::ApiKey {
        id: k.id.to_string(),
        name: k.name,
        scopes: k.scopes,
        prefix: k.prefix,
        created_at: rfc3339(k.created_at),
        revoked_at: k.revoked_at.map(rfc3339).unwrap_or_default(),
        expires_at: k.expires_at.map(rfc3339).unwrap_or_default(),
    }
}

#[tonic::async_trait]
impl pb::auth_service_server::AuthService for AuthGrpc {
    async fn register(&self, r: Request<pb::RegisterRequest>) -> Result<Response<pb::TokenResponse>, Status> {
        let r = r.into_inner();
        let t =
            self.app.register(&r.email, &r.password, &r.language, r.age_confirmed, &r.client_ip).await.map_err(st)?;
        Ok(Response::new(tokens(t)))
    }

    async fn login(&self, r: Request<pb::LoginRequest>) -> Result<Response<pb::TokenResponse>, Status> {
        let r = r.into_inner();
        Ok(Response::new(tokens(self.app.login(&r.email, &r.password, &r.client_ip).await.map_err(st)?)))
    }

    async fn refresh(&self, r: Request<pb::RefreshRequest>) -> Result<Response<pb::TokenResponse>, Status> {
        Ok(Response::new(tokens(self.app.refresh(&r.into_inner().refresh_token).await.map_err(st)?)))
    }

    async fn logout(&self, r: Request<pb::LogoutRequest>) -> Result<Response<pb::LogoutResponse>, Status> {
        self.app.logout(&r.into_inner().refresh_token).await.map_err(st)?;
        Ok(Response::new(pb::LogoutResponse {}))
    }

    async fn get_account(&self, r: Request<pb::GetAccountRequest>) -> Result<Response<pb::Account>, Status> {
        let id = user_id(&r.into_inner().user_id)?;
        Ok(Response::new(account(self.app.account(id).await.map_err(st)?)))
    }

    async fn update_account(&self, r: Request<pb::UpdateAccountRequest>) -> Result<Response<pb::Account>, Status> {
        let r = r.into_inner();
        let id = user_id(&r.user_id)?;
        let a = self
            .app
            .update_account(id, r.email.as_deref(), r.language.as_deref(), r.training_opt_out)
            .await
            .map_err(st)?;
        Ok(Response::new(account(a)))
    }

    async fn delete_account(
        &self,
        r: Request<pb::DeleteAccountRequest>,
    ) -> Result<Response<pb::DeleteAccountResponse>, Status> {
        let id = user_id(&r.into_inner().user_id)?;
        self.app.delete_account(id).await.map_err(st)?;
        Ok(Response::new(pb::DeleteAccountResponse {}))
    }

    async fn create_api_key(
        &self,
        r: Request<pb::CreateApiKeyRequest>,
    ) -> Result<Response<pb::CreateApiKeyResponse>, Status> {
        let r = r.into_inner();
        let id = user_id(&r.user_id)?;
        let (key, secret) = self.app.create_api_key(id, &r.name, &r.scopes, r.expires_in_days).await.map_err(st)?;
        Ok(Response::new(pb::CreateApiKeyResponse { key: Some(api_key(key)), secret }))
    }

    async fn list_api_keys(
        &self,
        r: Request<pb::ListApiKeysRequest>,
    ) -> Result<Response<pb::ListApiKeysResponse>, Status> {
        let id = user_id(&r.into_inner().user_id)?;
        let keys = self.app.list_api_keys(id).await.map_err(st)?;
        Ok(Response::new(pb::ListApiKeysResponse { keys: keys.into_iter().map(api_key).collect() }))
    }

    async fn revoke_api_key(
        &self,
        r: Request<pb::RevokeApiKeyRequest>,
    ) -> Result<Response<pb::RevokeApiKeyResponse>, Status> {
        let r = r.into_inner();
        let id = user_id(&r.user_id)?;
        self.app.revoke_api_key(id, &r.key_id).await.map_err(st)?;
        Ok(Response::new(pb::RevokeApiKeyResponse {}))
    }

    async fn authenticate_api_key(
        &self,
        r: Request<pb::AuthenticateApiKeyRequest>,
    ) -> Result<Response<pb::AuthenticateApiKeyResponse>, Status> {
        let p = self.app.authenticate_api_key(&r.into_inner().secret).await.map_err(st)?;
        Ok(Response::new(pb::AuthenticateApiKeyResponse { user_id: p.user_id.to_string(), scopes: p.scopes }))
    }

    async fn verify_password(
        &self,
        r: Request<pb::VerifyPasswordRequest>,
    ) -> Result<Response<pb::VerifyPasswordResponse>, Status> {
        let r = r.into_inner();
        let id = user_id(&r.user_id)?;
        self.app.verify_password(id, &r.password, &r.client_ip).await.map_err(st)?;
        Ok(Response::new(pb::VerifyPasswordResponse {}))
    }

    async fn change_password(
        &self,
        r: Request<pb::ChangePasswordRequest>,
    ) -> Result<Response<pb::TokenResponse>, Status> {
        let r = r.into_inner();
        let id = user_id(&r.user_id)?;
        let t = self
            .app
            .change_password(id, &r.current_password, &r.new_password, r.revoke_api_keys, &r.client_ip)
            .await
            .map_err(st)?;
        Ok(Response::new(tokens(t)))
    }

    async fn get_signing_keys(
        &self,
        _r: Request<pb::GetSigningKeysRequest>,
    ) -> Result<Response<pb::GetSigningKeysResponse>, Status> {
        let keys = self.app.public_keys().await;
        Ok(Response::new(pb::GetSigningKeysResponse {
            keys: keys
                .into_iter()
                .map(|k| pb::SigningKey { kid: k.kid, public_key: k.public_key, not_after_ms: k.not_after_ms })
                .collect(),
            refresh_after_ms: self.app.public_keys_refresh_after().as_millis() as i64,
        }))
    }
}
