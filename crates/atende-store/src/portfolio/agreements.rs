//! Agreements (acordos): open ones (remessa baixa, R010) and written-off ones (acordos
//! baixados, R017), which put the contract in partial block (R019).

use super::{
    contract_arg, date_text, document_arg, extra_text, opt_date_text, Agreement, ContractStatus,
    ImportContext, Outcome,
};
use crate::{Result, Tx};

/// Upserts an agreement row of an existing contract; a row written off stays written off.
const UPSERT_AGREEMENT: &str = "INSERT INTO agreements (workspace_id, contract, agreement_no, installment_no, document,
    due_date, amount_cents, total_debt_cents, written_off_on, reason, extra, run_id, created_on, modified_on)
 SELECT c.workspace_id, c.contract, $3, $4, CASE WHEN $5 <> '' THEN $5 ELSE c.document END,
    $6, $7, $8, $9, $10, $11, $12, $13, $13
 FROM contracts c WHERE c.workspace_id = $1 AND c.contract = $2
 ON CONFLICT (workspace_id, contract, agreement_no, installment_no) DO UPDATE SET document = excluded.document,
    due_date = excluded.due_date, amount_cents = excluded.amount_cents, total_debt_cents = excluded.total_debt_cents,
    written_off_on = COALESCE(excluded.written_off_on, agreements.written_off_on), reason = excluded.reason,
    extra = excluded.extra, run_id = excluded.run_id, modified_on = excluded.modified_on";

impl Tx {
    /// Stores an agreement row (an open agreement of the remessa baixa, or an agreement
    /// known otherwise) without touching the contract's status.
    pub async fn record_agreement(
        &mut self,
        ctx: &ImportContext,
        agreement: &Agreement,
    ) -> Result<Outcome> {
        let written_off_on = opt_date_text(agreement.written_off_on);
        self.upsert_agreement(ctx, agreement, written_off_on).await
    }

    /// Acordos baixados (R017, R019): stores the agreement row as written off (on its
    /// DtMovto, or the file's date) and puts the contract in `BLOQUEIO PARCIAL` since the
    /// file's date; a contract already blocked gets the new date, so the 3 days of R020
    /// count from the latest write-off.
    pub async fn write_off_agreement(
        &mut self,
        ctx: &ImportContext,
        agreement: &Agreement,
    ) -> Result<Outcome> {
        let written_off_on = date_text(agreement.written_off_on.unwrap_or(ctx.file_date));
        let outcome = self
            .upsert_agreement(ctx, agreement, Some(written_off_on))
            .await?;
        if outcome.is_applied() {
            self.set_status(
                ctx,
                agreement.contract.trim(),
                ContractStatus::PartialBlock,
                true,
                "acordo baixado",
            )
            .await?;
        }
        Ok(outcome)
    }

    async fn upsert_agreement(
        &mut self,
        ctx: &ImportContext,
        a: &Agreement,
        written_off_on: Option<String>,
    ) -> Result<Outcome> {
        let contract = contract_arg(&a.contract)?;
        let document = if a.document.trim().is_empty() {
            String::new()
        } else {
            document_arg(&a.document)?
        };
        let n = sqlx::query(UPSERT_AGREEMENT)
            .bind(&ctx.workspace)
            .bind(contract)
            .bind(a.agreement_no.trim())
            .bind(a.installment_no)
            .bind(document)
            .bind(opt_date_text(a.due_date))
            .bind(a.amount_cents)
            .bind(a.total_debt_cents)
            .bind(written_off_on)
            .bind(a.reason.trim())
            .bind(extra_text(&a.extra))
            .bind(ctx.run_id)
            .bind(&ctx.now_text)
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
        Ok(if n == 0 {
            Outcome::ContractNotFound
        } else {
            Outcome::Applied
        })
    }
}
