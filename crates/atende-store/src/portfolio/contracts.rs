//! Contract status changes with their history; exclusão e retirada (R011).

use super::{contract_arg, ContractStatus, ImportContext, Outcome};
use crate::{Result, StoreError, Tx};

const SET_STATUS: &str = "UPDATE contracts SET status = $3, status_since = $4, version = version + 1, run_id = $5, modified_on = $6
 WHERE workspace_id = $1 AND contract = $2 AND status <> $3
 RETURNING version";

const SET_OR_RENEW_STATUS: &str = "UPDATE contracts SET status = $3, status_since = $4, version = version + 1, run_id = $5, modified_on = $6
 WHERE workspace_id = $1 AND contract = $2 AND (status <> $3 OR status_since <> $4)
 RETURNING version";

impl Tx {
    /// Exclusão e retirada (R011): the contract leaves the negotiable base with status
    /// `EXCLUIDO` or `RETIRADO` since the file's date.
    pub async fn exclude_contract(
        &mut self,
        ctx: &ImportContext,
        contract: &str,
        status: ContractStatus,
        reason: &str,
    ) -> Result<Outcome> {
        if !matches!(status, ContractStatus::Excluded | ContractStatus::Removed) {
            return Err(StoreError::Invalid(format!(
                "exclusion status must be EXCLUIDO or RETIRADO, not {status}"
            )));
        }
        let contract = contract_arg(contract)?;
        let reason = if reason.trim().is_empty() {
            "exclusão e retirada"
        } else {
            reason.trim()
        };
        Ok(
            match self
                .set_status(ctx, contract, status, false, reason)
                .await?
            {
                Some(_) => Outcome::Applied,
                None => Outcome::ContractNotFound,
            },
        )
    }

    /// Sets a contract's status since the file's date and records it in the history.
    /// With `renew`, a contract already in that status gets the new date too. Returns
    /// `None` when the contract is not in the base, else whether anything changed.
    pub(super) async fn set_status(
        &mut self,
        ctx: &ImportContext,
        contract: &str,
        status: ContractStatus,
        renew: bool,
        reason: &str,
    ) -> Result<Option<bool>> {
        let version: Option<i64> = sqlx::query_scalar(if renew {
            SET_OR_RENEW_STATUS
        } else {
            SET_STATUS
        })
        .bind(&ctx.workspace)
        .bind(contract)
        .bind(status.as_str())
        .bind(&ctx.date_text)
        .bind(ctx.run_id)
        .bind(&ctx.now_text)
        .fetch_optional(&mut *self.tx)
        .await?;
        match version {
            Some(version) => {
                self.append_history(ctx, contract, version, status, reason)
                    .await?;
                Ok(Some(true))
            }
            None => Ok(self.contract_exists(ctx, contract).await?.then_some(false)),
        }
    }

    pub(super) async fn contract_exists(
        &mut self,
        ctx: &ImportContext,
        contract: &str,
    ) -> Result<bool> {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT 1 FROM contracts WHERE workspace_id = $1 AND contract = $2",
        )
        .bind(&ctx.workspace)
        .bind(contract)
        .fetch_optional(&mut *self.tx)
        .await?
        .is_some())
    }

    async fn append_history(
        &mut self,
        ctx: &ImportContext,
        contract: &str,
        version: i64,
        status: ContractStatus,
        reason: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO contract_status_history (workspace_id, contract, version, status, status_since, reason, run_id, changed_on)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&ctx.workspace)
        .bind(contract)
        .bind(version)
        .bind(status.as_str())
        .bind(&ctx.date_text)
        .bind(reason)
        .bind(ctx.run_id)
        .bind(&ctx.now_text)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

/// Reads a stored status.
pub(super) fn status_col(row: &sqlx::any::AnyRow, name: &str) -> Result<ContractStatus> {
    let text: String = crate::col(row, name)?;
    ContractStatus::parse(&text).ok_or_else(|| crate::StoreError::Corrupt {
        what: name.into(),
        why: format!("unknown contract status {text:?}"),
    })
}
