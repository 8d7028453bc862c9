//! Installments (parcelas file, R005): the bulk path, a few statements per chunk of rows
//! carried in one parameter each ([`JsonRows`]).

use std::collections::{HashMap, HashSet};

use super::batch::{pieces, statement, Cell, JsonRows};
use super::{contract_arg, opt_date_text, ImportContext, Installment, Outcome};
use crate::{col, Backend, Result, Tx};

/// Rows per chunk: their contracts are probed and their earlier rows deleted in one
/// statement each, and on PostgreSQL they are inserted as one parameter (no limit on
/// bound values applies); bigger chunks only save round trips.
pub const INSTALLMENT_BATCH: usize = 2000;

/// Rows per `VALUES` statement on SQLite, which inserts bound values cheaper than it
/// expands a JSON parameter (`json_each` and `->>` were half of its time at 1M rows).
const SQLITE_VALUES_ROWS: usize = 500;

impl Tx {
    /// Stores installments: a contract's first rows in this run replace the set earlier
    /// runs wrote; a repeated (contract, number) keeps the last row. Returns the rows not
    /// written (index into `rows`, [`Outcome::ContractNotFound`]). Pass many rows at once,
    /// in file order (thousands: they are written [`INSTALLMENT_BATCH`] per statement).
    pub async fn put_installments(
        &mut self,
        ctx: &ImportContext,
        rows: &[Installment],
    ) -> Result<Vec<(usize, Outcome)>> {
        for r in rows {
            contract_arg(&r.contract)?;
        }
        // PostgreSQL refuses to update one row twice in a statement: keep the last
        let mut last = HashMap::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            last.insert((r.contract.trim(), r.number), i);
        }
        let keep: Vec<&Installment> = rows
            .iter()
            .enumerate()
            .filter(|(i, r)| last[&(r.contract.trim(), r.number)] == *i)
            .map(|(_, r)| r)
            .collect();
        let mut unknown = HashSet::new();
        for piece in keep.chunks(INSTALLMENT_BATCH) {
            let mut seen = HashSet::new();
            let contracts: Vec<&str> = piece
                .iter()
                .map(|r| r.contract.trim())
                .filter(|c| seen.insert(*c))
                .collect();
            let (missing, written) = self.probe_installment_contracts(ctx, &contracts).await?;
            self.delete_earlier_installments(ctx, &contracts).await?;
            // rows of contracts this run wrote already may repeat a number: only those
            // need the (slower) upsert; the others are new to the table
            let (again, fresh): (Vec<&Installment>, Vec<&Installment>) = piece
                .iter()
                .filter(|r| !missing.contains(r.contract.trim()))
                .partition(|r| written.contains(r.contract.trim()));
            self.insert_installments(ctx, &fresh, false).await?;
            self.insert_installments(ctx, &again, true).await?;
            unknown.extend(missing);
        }
        Ok(rows
            .iter()
            .enumerate()
            .filter(|(_, r)| unknown.contains(r.contract.trim()))
            .map(|(i, _)| (i, Outcome::ContractNotFound))
            .collect())
    }

    /// One installment; see [`Tx::put_installments`].
    pub async fn put_installment(
        &mut self,
        ctx: &ImportContext,
        row: &Installment,
    ) -> Result<Outcome> {
        Ok(self
            .put_installments(ctx, std::slice::from_ref(row))
            .await?
            .pop()
            .map_or(Outcome::Applied, |(_, o)| o))
    }

    /// Of `contracts`, those not in the base, and those with installments this run wrote.
    async fn probe_installment_contracts(
        &mut self,
        ctx: &ImportContext,
        contracts: &[&str],
    ) -> Result<(HashSet<String>, HashSet<String>)> {
        // scalar subqueries, one index probe per contract: PostgreSQL turns an `EXISTS`
        // into a hash of the whole workspace's installments when it misjudges their count
        let sql = format!(
            "SELECT contract, CAST(CASE WHEN known IS NULL THEN 0 ELSE 1 END AS BIGINT) AS known
             FROM (SELECT k.value->>0 AS contract,
                (SELECT 1 FROM contracts c WHERE c.workspace_id = $1 AND c.contract = k.value->>0 LIMIT 1) AS known,
                (SELECT 1 FROM installments i WHERE i.workspace_id = $1 AND i.contract = k.value->>0
                    AND i.run_id = $3 LIMIT 1) AS written
                FROM {}) AS x
             WHERE known IS NULL OR written IS NOT NULL",
            JsonRows::from_item(self.backend, "$2", "k")
        );
        let found = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&ctx.workspace)
            .bind(contract_list(contracts))
            .bind(ctx.run_id)
            .fetch_all(&mut *self.tx)
            .await?;
        let (mut missing, mut written) = (HashSet::new(), HashSet::new());
        for row in &found {
            let contract: String = col(row, "contract")?;
            if col::<i64>(row, "known")? == 0 {
                missing.insert(contract);
            } else {
                written.insert(contract);
            }
        }
        Ok((missing, written))
    }

    async fn delete_earlier_installments(
        &mut self,
        ctx: &ImportContext,
        contracts: &[&str],
    ) -> Result<()> {
        let sql = format!(
            "DELETE FROM installments WHERE workspace_id = $1 AND run_id <> $2 AND contract {}",
            JsonRows::in_first_column(self.backend, "$3")
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&ctx.workspace)
            .bind(ctx.run_id)
            .bind(contract_list(contracts))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Inserts rows of known contracts; `upsert` when a row may replace one this run
    /// wrote.
    async fn insert_installments(
        &mut self,
        ctx: &ImportContext,
        rows: &[&Installment],
        upsert: bool,
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let conflict = if upsert {
            "WHERE true
             ON CONFLICT (workspace_id, contract, number) DO UPDATE SET due_date = excluded.due_date,
                value_cents = excluded.value_cents, balance_cents = excluded.balance_cents,
                days_late = excluded.days_late, status = excluded.status, extra = excluded.extra,
                run_id = excluded.run_id"
        } else {
            ""
        };
        const INSERT: &str = "INSERT INTO installments (workspace_id, contract, number, due_date, \
            value_cents, balance_cents, days_late, status, extra, run_id)";
        match self.backend {
            Backend::Postgres => {
                let mut param = JsonRows::new();
                for r in rows {
                    let due = opt_date_text(r.due_date);
                    param.push(&[
                        r.contract.trim().into(),
                        r.number.into(),
                        due.as_ref().into(),
                        r.value_cents.into(),
                        r.balance_cents.into(),
                        r.days_late.into(),
                        (&r.status).into(),
                        r.extra.as_str().into(),
                    ]);
                }
                let sql = format!(
                    "{INSERT}
                     SELECT $1, r.value->>0, CAST(r.value->>1 AS BIGINT), r.value->>2, CAST(r.value->>3 AS BIGINT),
                        CAST(r.value->>4 AS BIGINT), CAST(r.value->>5 AS BIGINT), r.value->>6, r.value->>7, $2
                     FROM {} {conflict}",
                    JsonRows::from_item(self.backend, "$3", "r")
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(&ctx.workspace)
                    .bind(ctx.run_id)
                    .bind(param.finish())
                    .execute(&mut *self.tx)
                    .await?;
            }
            Backend::Sqlite => {
                let name = if upsert {
                    "installments upsert"
                } else {
                    "installments insert"
                };
                for piece in pieces(rows, SQLITE_VALUES_ROWS) {
                    let sql = statement(name, self.backend, piece.len(), |p| {
                        let (ws, run) = (p.next(), p.next());
                        format!(
                            "{INSERT} SELECT {ws}, column1, column2, column3, column4, column5, \
                                column6, column7, column8, {run} FROM (VALUES {}) {conflict}",
                            p.rows(piece.len(), 8)
                        )
                    });
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(&ctx.workspace)
                        .bind(ctx.run_id);
                    for r in piece {
                        q = q
                            .bind(r.contract.trim())
                            .bind(r.number)
                            .bind(opt_date_text(r.due_date))
                            .bind(r.value_cents)
                            .bind(r.balance_cents)
                            .bind(r.days_late)
                            .bind(&r.status)
                            .bind(r.extra.as_str());
                    }
                    q.execute(&mut *self.tx).await?;
                }
            }
        }
        Ok(())
    }
}

/// Contract numbers as a [`JsonRows`] parameter of one column.
fn contract_list(contracts: &[&str]) -> String {
    let mut list = JsonRows::new();
    for c in contracts {
        list.push(&[Cell::Text(c)]);
    }
    list.finish()
}
