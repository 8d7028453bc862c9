//! Guarantees (R006–R009) and REFIN offers (R026–R029): each file's rows replace what
//! earlier runs wrote for the contract.

use super::{
    contract_arg, extra_text, opt_date_text, Guarantee, ImportContext, Outcome, RefinOffer,
};
use crate::{Result, StoreError, Tx};

const DELETE_GUARANTEES: &str =
    "DELETE FROM guarantees WHERE workspace_id = $1 AND contract = $2 AND run_id <> $3";
const DELETE_REFIN: &str =
    "DELETE FROM refin_offers WHERE workspace_id = $1 AND contract = $2 AND run_id <> $3";

const UPSERT_GUARANTEE: &str = "INSERT INTO guarantees (workspace_id, contract, seq, kind, make, model, manufacture_year,
    model_year, plate, chassis, renavam, color, extra, run_id)
 SELECT c.workspace_id, c.contract, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14
 FROM contracts c WHERE c.workspace_id = $1 AND c.contract = $2
 ON CONFLICT (workspace_id, contract, seq) DO UPDATE SET kind = excluded.kind, make = excluded.make,
    model = excluded.model, manufacture_year = excluded.manufacture_year, model_year = excluded.model_year,
    plate = excluded.plate, chassis = excluded.chassis, renavam = excluded.renavam, color = excluded.color,
    extra = excluded.extra, run_id = excluded.run_id";

const INSERT_REFIN: &str = "INSERT INTO refin_offers (workspace_id, contract, seq, delay_band, collection,
    overdue_installments, upcoming_installments, open_installments, original_plan, original_installment_cents,
    down_payment_cents, refin_plan, refin_installments, refin_installment_cents, total_refinanced_cents,
    monthly_interest, annual_cet, first_due_date, last_due_date, agency, priority, extra, run_id)
 SELECT c.workspace_id, c.contract,
    (SELECT COALESCE(MAX(r.seq), 0) + 1 FROM refin_offers r WHERE r.workspace_id = c.workspace_id AND r.contract = c.contract),
    $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22
 FROM contracts c WHERE c.workspace_id = $1 AND c.contract = $2";

impl Tx {
    /// Garantias file: the contract's guarantees from earlier runs are replaced by this
    /// run's; within the run, a repeated `seq` keeps the last row.
    pub async fn put_guarantee(&mut self, ctx: &ImportContext, g: &Guarantee) -> Result<Outcome> {
        let contract = contract_arg(&g.contract)?;
        if g.seq < 1 {
            return Err(StoreError::Invalid(format!(
                "guarantee seq must be 1 or more (got {})",
                g.seq
            )));
        }
        self.delete_other_runs(DELETE_GUARANTEES, ctx, contract)
            .await?;
        let n = sqlx::query(UPSERT_GUARANTEE)
            .bind(&ctx.workspace)
            .bind(contract)
            .bind(g.seq)
            .bind(g.kind.trim())
            .bind(g.make.trim())
            .bind(g.model.trim())
            .bind(g.manufacture_year)
            .bind(g.model_year)
            .bind(g.plate.trim())
            .bind(g.chassis.trim())
            .bind(g.renavam.trim())
            .bind(g.color.trim())
            .bind(extra_text(&g.extra))
            .bind(ctx.run_id)
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
        Ok(if n == 0 {
            Outcome::ContractNotFound
        } else {
            Outcome::Applied
        })
    }

    /// REFIN file (R029): the contract's REFIN data from earlier runs is discarded and
    /// replaced by this run's rows (several rows of one run are several offers).
    pub async fn put_refin(&mut self, ctx: &ImportContext, r: &RefinOffer) -> Result<Outcome> {
        let contract = contract_arg(&r.contract)?;
        self.delete_other_runs(DELETE_REFIN, ctx, contract).await?;
        let n = sqlx::query(INSERT_REFIN)
            .bind(&ctx.workspace)
            .bind(contract)
            .bind(r.delay_band.trim())
            .bind(r.collection.trim())
            .bind(r.overdue_installments)
            .bind(r.upcoming_installments)
            .bind(r.open_installments)
            .bind(r.original_plan)
            .bind(r.original_installment_cents)
            .bind(r.down_payment_cents)
            .bind(r.refin_plan)
            .bind(r.refin_installments)
            .bind(r.refin_installment_cents)
            .bind(r.total_refinanced_cents)
            .bind(r.monthly_interest.as_deref().map(str::trim))
            .bind(r.annual_cet.as_deref().map(str::trim))
            .bind(opt_date_text(r.first_due_date))
            .bind(opt_date_text(r.last_due_date))
            .bind(r.agency.trim())
            .bind(r.priority)
            .bind(extra_text(&r.extra))
            .bind(ctx.run_id)
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
        Ok(if n == 0 {
            Outcome::ContractNotFound
        } else {
            Outcome::Applied
        })
    }

    /// Deletes what other runs wrote for the contract (`sql` is one of the `DELETE_*`).
    async fn delete_other_runs(
        &mut self,
        sql: &'static str,
        ctx: &ImportContext,
        contract: &str,
    ) -> Result<()> {
        sqlx::query(sql)
            .bind(&ctx.workspace)
            .bind(contract)
            .bind(ctx.run_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}
