//! Installments (parcelas file, R005): the bulk path, in multi-row statements.

use std::collections::{HashMap, HashSet};

use super::batch::{shapes, Params};
use super::{contract_arg, opt_date_text, ImportContext, Installment, Outcome};
use crate::{Result, Tx};

/// Rows per multi-row statement: 500 rows of 8 values stay far below SQLite's (32766) and
/// PostgreSQL's (65535) limits on bound values, and amortise a statement's round trip.
pub const INSTALLMENT_BATCH: usize = 500;

const COLUMNS: usize = 8;

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
        let keep: Vec<(usize, &Installment)> = rows
            .iter()
            .enumerate()
            .filter(|(i, r)| last[&(r.contract.trim(), r.number)] == *i)
            .collect();
        let mut unknown = HashSet::new();
        let mut at = 0;
        for size in shapes(keep.len(), INSTALLMENT_BATCH) {
            let piece: Vec<&Installment> = keep[at..at + size].iter().map(|(_, r)| *r).collect();
            at += size;
            self.delete_earlier_installments(ctx, &piece).await?;
            let written = self.insert_installments(ctx, &piece).await?;
            if written < size as u64 {
                let known = self.known_contracts(ctx, &piece).await?;
                unknown.extend(
                    piece
                        .iter()
                        .map(|r| r.contract.trim())
                        .filter(|c| !known.contains(*c)),
                );
            }
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

    async fn delete_earlier_installments(
        &mut self,
        ctx: &ImportContext,
        rows: &[&Installment],
    ) -> Result<()> {
        let mut p = Params::new(self.backend);
        let sql = format!(
            "DELETE FROM installments WHERE workspace_id = {} AND run_id <> {} AND contract IN ({})",
            p.next(),
            p.next(),
            p.list(rows.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&ctx.workspace)
            .bind(ctx.run_id);
        for r in rows {
            q = q.bind(r.contract.trim());
        }
        q.execute(&mut *self.tx).await?;
        Ok(())
    }

    async fn insert_installments(
        &mut self,
        ctx: &ImportContext,
        rows: &[&Installment],
    ) -> Result<u64> {
        let mut p = Params::new(self.backend);
        // placeholders in the order of the text: run, the rows, workspace
        let run = p.next();
        let values = p.rows(rows.len(), COLUMNS);
        let workspace = p.next();
        let sql = format!(
            "INSERT INTO installments (workspace_id, contract, number, due_date, value_cents, balance_cents, days_late, status, extra, run_id)
             SELECT c.workspace_id, v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, {run}
             FROM (VALUES {values}) AS v
             JOIN contracts c ON c.workspace_id = {workspace} AND c.contract = v.column1
             WHERE true
             ON CONFLICT (workspace_id, contract, number) DO UPDATE SET due_date = excluded.due_date,
                value_cents = excluded.value_cents, balance_cents = excluded.balance_cents,
                days_late = excluded.days_late, status = excluded.status, extra = excluded.extra,
                run_id = excluded.run_id"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ctx.run_id);
        for r in rows {
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
        Ok(q.bind(&ctx.workspace)
            .execute(&mut *self.tx)
            .await?
            .rows_affected())
    }

    async fn known_contracts(
        &mut self,
        ctx: &ImportContext,
        rows: &[&Installment],
    ) -> Result<HashSet<String>> {
        let mut p = Params::new(self.backend);
        let sql = format!(
            "SELECT contract FROM contracts WHERE workspace_id = {} AND contract IN ({})",
            p.next(),
            p.list(rows.len())
        );
        let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(&ctx.workspace);
        for r in rows {
            q = q.bind(r.contract.trim());
        }
        Ok(q.fetch_all(&mut *self.tx).await?.into_iter().collect())
    }
}
