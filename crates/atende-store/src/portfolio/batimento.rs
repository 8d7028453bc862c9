//! Batimento (R016, R021, R022): the day's list of contracts to work. Rows go to a
//! temporary table of the contracts seen; the end writes off, set-based, every active
//! contract of the portfolio the list left out.

use sqlx::Executor;

use super::batch::{shapes, Params};
use super::{contract_arg, ContractStatus, ImportContext, Outcome};
use crate::{Backend, Result, StoreError, Tx};

/// A batimento under way in a transaction, from [`Tx::begin_batimento`] to
/// [`Tx::finish_batimento`].
#[must_use = "finish the batimento with Tx::finish_batimento"]
#[derive(Debug)]
pub struct Batimento {
    portfolio: String,
    seen: u64,
}

/// What a batimento did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BatimentoSummary {
    /// Rows naming a contract of the base (repeats included).
    pub seen: u64,
    /// Active contracts of the portfolio written off (`TODOS CONTRATOS BAIXADOS`).
    pub written_off: u64,
}

/// Active contracts of the portfolio ($2) the file did not list.
const NOT_SEEN: &str = "workspace_id = $1 AND portfolio = $2 AND status = 'ATIVO'
    AND NOT EXISTS (SELECT 1 FROM batimento_seen s WHERE s.contract = contracts.contract)";

impl Tx {
    /// Starts the batimento of `portfolio` (the contracts' `portfolio`, as the remessa
    /// stored it). Run it after the day's remessa and acordos baixados (R021).
    pub async fn begin_batimento(&mut self, portfolio: &str) -> Result<Batimento> {
        let create = match self.backend {
            Backend::Sqlite => {
                "CREATE TEMP TABLE IF NOT EXISTS batimento_seen (contract TEXT PRIMARY KEY)"
            }
            // dropped with the transaction, however it ends
            Backend::Postgres => {
                "CREATE TEMP TABLE IF NOT EXISTS batimento_seen (contract TEXT PRIMARY KEY) ON COMMIT DROP"
            }
        };
        (&mut *self.tx).execute(create).await?;
        (&mut *self.tx)
            .execute("DELETE FROM batimento_seen")
            .await?;
        Ok(Batimento {
            portfolio: portfolio.trim().into(),
            seen: 0,
        })
    }

    /// One row of the batimento file. A contract that is not in the base is not created
    /// ([`Outcome::ContractNotFound`], an error line).
    pub async fn batimento_row(
        &mut self,
        ctx: &ImportContext,
        batimento: &mut Batimento,
        contract: &str,
    ) -> Result<Outcome> {
        Ok(self
            .batimento_rows(ctx, batimento, &[contract])
            .await?
            .pop()
            .map_or(Outcome::Applied, |(_, o)| o))
    }

    /// Many rows at once (the fast path; 500 per statement). Returns the rows naming a
    /// contract that is not in the base (index into `contracts`).
    pub async fn batimento_rows(
        &mut self,
        ctx: &ImportContext,
        batimento: &mut Batimento,
        contracts: &[&str],
    ) -> Result<Vec<(usize, Outcome)>> {
        const BATCH: usize = 500;
        let mut refused = Vec::new();
        let mut first = 0;
        for size in shapes(contracts.len(), BATCH) {
            let chunk = &contracts[first..first + size];
            let keys = chunk
                .iter()
                .map(|c| contract_arg(c).map_err(StoreError::from))
                .collect::<Result<Vec<_>>>()?;
            let mut p = Params::new(self.backend);
            let insert = format!(
                "INSERT INTO batimento_seen (contract)
                 SELECT c.contract FROM contracts c WHERE c.workspace_id = {} AND c.contract IN ({})
                 ON CONFLICT (contract) DO NOTHING",
                p.next(),
                p.list(keys.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(insert)).bind(&ctx.workspace);
            for k in &keys {
                q = q.bind(*k);
            }
            q.execute(&mut *self.tx).await?;
            let mut p = Params::new(self.backend);
            let values = p.rows(keys.len(), 1);
            let missing = format!(
                "SELECT v.column1 FROM (VALUES {values}) AS v
                 WHERE NOT EXISTS (SELECT 1 FROM contracts c WHERE c.workspace_id = {} AND c.contract = v.column1)",
                p.next()
            );
            let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(missing));
            for k in &keys {
                q = q.bind(*k);
            }
            let q = q.bind(&ctx.workspace);
            let missing: std::collections::HashSet<String> =
                q.fetch_all(&mut *self.tx).await?.into_iter().collect();
            for (i, k) in keys.iter().enumerate() {
                if missing.contains(*k) {
                    refused.push((first + i, Outcome::ContractNotFound));
                } else {
                    batimento.seen += 1;
                }
            }
            first += size;
        }
        Ok(refused)
    }

    /// Writes off every `ATIVO` contract of the portfolio the file did not list (`TODOS
    /// CONTRATOS BAIXADOS` since the file's date, with its history row), in two
    /// set-based statements. Contracts listed but not active stay as they are (R022). A
    /// file that named no contract of the base is refused (`Err`): it would write off
    /// the whole portfolio.
    pub async fn finish_batimento(
        &mut self,
        ctx: &ImportContext,
        batimento: Batimento,
    ) -> Result<BatimentoSummary> {
        if batimento.seen == 0 {
            // said in Portuguese: the importer refuses the file with it
            return Err(StoreError::Invalid(format!(
                "o arquivo de batimento não traz nenhum contrato da base: recusado para não baixar todos os contratos da carteira {:?}",
                batimento.portfolio
            )));
        }
        if self.backend == Backend::Postgres {
            // a fresh temporary table has no statistics; the anti-join needs them
            (&mut *self.tx).execute("ANALYZE batimento_seen").await?;
        }
        let status = ContractStatus::AllWrittenOff.as_str();
        let history = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO contract_status_history (workspace_id, contract, version, status, status_since, reason, run_id, changed_on)
             SELECT workspace_id, contract, version + 1, $3, $4, 'batimento', $5, $6
             FROM contracts WHERE {NOT_SEEN}"
        )))
        .bind(&ctx.workspace)
        .bind(&batimento.portfolio)
        .bind(status)
        .bind(&ctx.date_text)
        .bind(ctx.run_id)
        .bind(&ctx.now_text)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        let written_off = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE contracts SET status = $3, status_since = $4, version = version + 1, run_id = $5, modified_on = $6
             WHERE {NOT_SEEN}"
        )))
        .bind(&ctx.workspace)
        .bind(&batimento.portfolio)
        .bind(status)
        .bind(&ctx.date_text)
        .bind(ctx.run_id)
        .bind(&ctx.now_text)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if history != written_off {
            return Err(StoreError::Invalid(format!(
                "batimento: {history} registros de histórico gravados para {written_off} contratos baixados"
            )));
        }
        (&mut *self.tx)
            .execute("DELETE FROM batimento_seen")
            .await?;
        Ok(BatimentoSummary {
            seen: batimento.seen,
            written_off,
        })
    }
}
