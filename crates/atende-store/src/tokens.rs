//! API tokens: only a SHA-256 of each token is stored, so a leaked database does not leak
//! working credentials.

use sha2::{Digest, Sha256};

use crate::{time_text, wall_now, Result, Store};

fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Creates a token for the workspace and returns it; it cannot be read back later.
    pub async fn create_token(&self, workspace: &str, name: &str) -> Result<String> {
        let token = format!(
            "atd_{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        self.add_token(workspace, name, &token).await?;
        Ok(token)
    }

    /// Registers a token chosen by the operator (e.g. from `ATENDE_API_TOKEN`).
    pub async fn add_token(&self, workspace: &str, name: &str, token: &str) -> Result<()> {
        if token.len() < 16 {
            return Err(crate::StoreError::Invalid(
                "API tokens must be at least 16 characters".into(),
            ));
        }
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO api_tokens (token_hash, workspace_id, name, created_on) VALUES ($1, $2, $3, $4)
             ON CONFLICT (token_hash) DO NOTHING",
        )
        .bind(hash(token))
        .bind(workspace)
        .bind(name)
        .bind(time_text(wall_now()))
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await
    }

    /// The workspace a token belongs to, if it is valid.
    pub async fn token_workspace(&self, token: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT workspace_id FROM api_tokens WHERE token_hash = $1")
                .bind(hash(token))
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// How many tokens the workspace has.
    pub async fn token_count(&self, workspace: &str) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens WHERE workspace_id = $1")
                .bind(workspace)
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
