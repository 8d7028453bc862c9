//! Customers and contracts: the remessa (R004, R020), status changes with their history,
//! exclusão e retirada (R011).

use super::{
    contract_arg, date_text, document_arg, extra_text, parse_date, person_type, ContractStatus,
    ImportContext, Outcome, RemessaRecord, ORIGIN_REMESSA, PARTIAL_BLOCK_DAYS,
};
use crate::{col, Result, StoreError, Tx};

/// Inserts an `ATIVO` contract, or updates one that is `ATIVO` already (keeping its
/// `status_since`). Returns the new version: 1 when inserted; no row when the contract
/// exists with another status.
const UPSERT_ACTIVE: &str = "INSERT INTO contracts (workspace_id, contract, document, portfolio, product, days_late,
    installment_value_cents, extra, status, status_since, version, run_id, created_on, modified_on)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'ATIVO', $9, 1, $10, $11, $11)
 ON CONFLICT (workspace_id, contract) DO UPDATE SET document = excluded.document, portfolio = excluded.portfolio,
    product = excluded.product, days_late = excluded.days_late,
    installment_value_cents = excluded.installment_value_cents, extra = excluded.extra,
    version = contracts.version + 1, run_id = excluded.run_id, modified_on = excluded.modified_on
 WHERE contracts.status = 'ATIVO'
 RETURNING version";

/// Re-activates a contract in another status, unless it is in a partial block younger
/// than the cut-off ($12: blocked after that date).
const REACTIVATE: &str = "UPDATE contracts SET document = $3, portfolio = $4, product = $5, days_late = $6,
    installment_value_cents = $7, extra = $8, status = 'ATIVO', status_since = $9, version = version + 1,
    run_id = $10, modified_on = $11
 WHERE workspace_id = $1 AND contract = $2 AND NOT (status = 'BLOQUEIO PARCIAL' AND status_since > $12)
 RETURNING version";

const UPSERT_CUSTOMER: &str = "INSERT INTO customers (workspace_id, document, person_type, name, crm_id, created_on, modified_on)
 VALUES ($1, $2, $3, $4, $5, $6, $6)
 ON CONFLICT (workspace_id, document) DO UPDATE SET
    name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE customers.name END,
    crm_id = CASE WHEN excluded.crm_id <> '' THEN excluded.crm_id ELSE customers.crm_id END,
    modified_on = excluded.modified_on
 RETURNING crm_id";

const SET_STATUS: &str = "UPDATE contracts SET status = $3, status_since = $4, version = version + 1, run_id = $5, modified_on = $6
 WHERE workspace_id = $1 AND contract = $2 AND status <> $3
 RETURNING version";

const SET_OR_RENEW_STATUS: &str = "UPDATE contracts SET status = $3, status_since = $4, version = version + 1, run_id = $5, modified_on = $6
 WHERE workspace_id = $1 AND contract = $2 AND (status <> $3 OR status_since <> $4)
 RETURNING version";

impl Tx {
    /// Applies one remessa record (R004): the contract (created `ATIVO`, updated, or
    /// re-activated unless R020's partial block holds it), then the customer and the
    /// record's addresses, phones (origin `Remessa`) and e-mails, merged with what the base
    /// has. A record held by a partial block writes nothing.
    pub async fn upsert_remessa(
        &mut self,
        ctx: &ImportContext,
        record: &RemessaRecord,
    ) -> Result<Outcome> {
        let document = document_arg(&record.document)?;
        let contract = contract_arg(&record.contract)?;
        let phones = super::contact_data::check_phones(&record.phones)?;
        let extra = extra_text(&record.extra);
        let inserted_or_updated: Option<i64> = sqlx::query_scalar(UPSERT_ACTIVE)
            .bind(&ctx.workspace)
            .bind(contract)
            .bind(&document)
            .bind(&record.portfolio)
            .bind(&record.product)
            .bind(record.days_late)
            .bind(record.installment_value_cents)
            .bind(&extra)
            .bind(&ctx.date_text)
            .bind(ctx.run_id)
            .bind(&ctx.now_text)
            .fetch_optional(&mut *self.tx)
            .await?;
        match inserted_or_updated {
            Some(1) => {
                self.append_history(ctx, contract, 1, ContractStatus::Active, "remessa")
                    .await?
            }
            Some(_) => {}
            None => {
                let cutoff = ctx
                    .file_date
                    .checked_sub(jiff::Span::new().days(PARTIAL_BLOCK_DAYS))
                    .map_err(|e| StoreError::Invalid(format!("file date: {e}")))?;
                let reactivated: Option<i64> = sqlx::query_scalar(REACTIVATE)
                    .bind(&ctx.workspace)
                    .bind(contract)
                    .bind(&document)
                    .bind(&record.portfolio)
                    .bind(&record.product)
                    .bind(record.days_late)
                    .bind(record.installment_value_cents)
                    .bind(&extra)
                    .bind(&ctx.date_text)
                    .bind(ctx.run_id)
                    .bind(&ctx.now_text)
                    .bind(date_text(cutoff))
                    .fetch_optional(&mut *self.tx)
                    .await?;
                match reactivated {
                    Some(version) => {
                        self.append_history(
                            ctx,
                            contract,
                            version,
                            ContractStatus::Active,
                            "remessa",
                        )
                        .await?
                    }
                    None => {
                        let since: String = sqlx::query_scalar(
                            "SELECT status_since FROM contracts WHERE workspace_id = $1 AND contract = $2",
                        )
                        .bind(&ctx.workspace)
                        .bind(contract)
                        .fetch_one(&mut *self.tx)
                        .await?;
                        return Ok(Outcome::PartialBlock {
                            since: parse_date("contracts.status_since", &since)?,
                        });
                    }
                }
            }
        }
        self.upsert_customer(ctx, &document, &record.name, record.crm_id.as_deref())
            .await?;
        self.merge_addresses(ctx, &document, &record.addresses, ORIGIN_REMESSA)
            .await?;
        self.merge_phones(ctx, contract, &phones, ORIGIN_REMESSA)
            .await?;
        self.merge_emails(ctx, &document, &record.emails, ORIGIN_REMESSA)
            .await?;
        Ok(Outcome::Applied)
    }

    /// Creates or updates a customer; mints a CRM id (the workspace counter `crm_id`)
    /// for a new customer when none is given. Returns the CRM id.
    async fn upsert_customer(
        &mut self,
        ctx: &ImportContext,
        document: &str,
        name: &str,
        crm_id: Option<&str>,
    ) -> Result<String> {
        let stored: String = sqlx::query_scalar(UPSERT_CUSTOMER)
            .bind(&ctx.workspace)
            .bind(document)
            .bind(person_type(document))
            .bind(name.trim())
            .bind(crm_id.map(str::trim).unwrap_or_default())
            .bind(&ctx.now_text)
            .fetch_one(&mut *self.tx)
            .await?;
        if !stored.is_empty() {
            return Ok(stored);
        }
        let minted = self
            .next_counter(&ctx.workspace, "crm_id")
            .await?
            .to_string();
        sqlx::query("UPDATE customers SET crm_id = $3 WHERE workspace_id = $1 AND document = $2")
            .bind(&ctx.workspace)
            .bind(document)
            .bind(&minted)
            .execute(&mut *self.tx)
            .await?;
        Ok(minted)
    }

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
    let text: String = col(row, name)?;
    ContractStatus::parse(&text).ok_or_else(|| StoreError::Corrupt {
        what: name.into(),
        why: format!("unknown contract status {text:?}"),
    })
}
