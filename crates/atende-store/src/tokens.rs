//! API tokens: only a SHA-256 of each token is stored, so a leaked database does not leak
//! working credentials.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::{time_text, wall_now, Result, Store};

fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut text = String::with_capacity(64);
    for b in digest {
        text.push(char::from_digit(u32::from(b >> 4), 16).expect("a nibble"));
        text.push(char::from_digit(u32::from(b & 15), 16).expect("a nibble"));
    }
    text
}

/// How long a token found valid is believed without asking the database again. Every API
/// call checks its token: a round trip saved is a tenth of a millisecond off each call
/// (the lookup API's p99 target is 5 ms). Tokens are never deleted today; when revocation
/// comes, this is how long a revoked token may still be accepted by each instance.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(30);

/// More distinct tokens than this in one TTL: the cache is emptied rather than grown.
const TOKEN_CACHE_MAX: usize = 10_000;

/// Valid tokens seen lately, by hash, with their workspace and when they were read.
/// Invalid tokens are never cached (a token created on another instance is valid at once).
#[derive(Default)]
pub(crate) struct TokenCache(Mutex<HashMap<String, (String, Instant)>>);

impl TokenCache {
    fn get(&self, hash: &str) -> Option<String> {
        let cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .get(hash)
            .filter(|(_, at)| at.elapsed() < TOKEN_CACHE_TTL)
            .map(|(workspace, _)| workspace.clone())
    }

    fn put(&self, hash: String, workspace: String) {
        let mut cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= TOKEN_CACHE_MAX {
            cache.retain(|_, (_, at)| at.elapsed() < TOKEN_CACHE_TTL);
            if cache.len() >= TOKEN_CACHE_MAX {
                cache.clear();
            }
        }
        // a monotonic clock: a TTL must not stretch when the wall clock is set back
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        cache.insert(hash, (workspace, now));
    }
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

    /// The workspace a token belongs to, if it is valid (answers for valid tokens are
    /// kept [`TOKEN_CACHE_TTL`]).
    pub async fn token_workspace(&self, token: &str) -> Result<Option<String>> {
        let hash = hash(token);
        if let Some(workspace) = self.tokens.get(&hash) {
            return Ok(Some(workspace));
        }
        let workspace: Option<String> =
            sqlx::query_scalar("SELECT workspace_id FROM api_tokens WHERE token_hash = $1")
                .bind(&hash)
                .fetch_optional(&self.pool)
                .await?;
        if let Some(workspace) = &workspace {
            self.tokens.put(hash, workspace.clone());
        }
        Ok(workspace)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_lowercase_hex_sha256() {
        // stored hashes were written as `{:02x}` per byte: the text must not change
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn the_cache_keeps_valid_tokens_and_is_bounded() {
        let cache = TokenCache::default();
        assert_eq!(cache.get("h"), None);
        cache.put("h".into(), "ws".into());
        assert_eq!(cache.get("h").as_deref(), Some("ws"));
        for i in 0..TOKEN_CACHE_MAX + 5 {
            cache.put(format!("k{i}"), "ws".into());
        }
        assert!(cache.0.lock().unwrap().len() <= TOKEN_CACHE_MAX);
    }

    #[tokio::test]
    async fn a_token_created_after_a_miss_is_valid_at_once() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        store.ensure_workspace("ws", "W").await.unwrap();
        let token = "0123456789abcdef-token";
        assert_eq!(store.token_workspace(token).await.unwrap(), None);
        store.add_token("ws", "t", token).await.unwrap();
        assert_eq!(
            store.token_workspace(token).await.unwrap().as_deref(),
            Some("ws")
        );
        // answered from the cache now: still right
        assert_eq!(
            store.token_workspace(token).await.unwrap().as_deref(),
            Some("ws")
        );
    }
}
