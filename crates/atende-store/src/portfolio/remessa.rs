//! The remessa assessoria (R004, R020): customers, contracts and their contact data, a
//! few multi-row statements per [`REMESSA_BATCH`] records.

use std::collections::{HashMap, HashSet};

use super::batch::{pieces, Params};
use super::contact_data::{address_key, check_phones};
use super::{
    contract_arg, date_text, document_arg, parse_date, person_type, Address, ContractStatus,
    ImportContext, NewPhone, Outcome, RemessaRecord, ORIGIN_REMESSA, PARTIAL_BLOCK_DAYS,
};
use crate::{col, Result, StoreError, Tx};

/// Records per multi-row statement (7 values each for the contracts).
pub const REMESSA_BATCH: usize = 500;

/// A record whose keys were checked.
struct Checked<'a> {
    index: usize,
    record: &'a RemessaRecord,
    document: String,
    contract: &'a str,
    phones: Vec<NewPhone>,
    extra: &'a str,
}

impl Tx {
    /// Applies one remessa record: see [`Tx::upsert_remessa_batch`].
    pub async fn upsert_remessa(
        &mut self,
        ctx: &ImportContext,
        record: &RemessaRecord,
    ) -> Result<Outcome> {
        Ok(self
            .upsert_remessa_batch(ctx, std::slice::from_ref(record))
            .await?
            .pop()
            .map_or(Outcome::Applied, |(_, o)| o))
    }

    /// Applies remessa records (R004) as if one after the other: the contract is created
    /// `ATIVO`, updated, or re-activated unless R020's partial block holds it; then the
    /// customer (a CRM id minted for a new one the file gives none) and the record's
    /// addresses, phones (origin `Remessa`) and e-mails are merged with what the base has.
    /// A record held by a partial block writes nothing and is returned (index into
    /// `records`, [`Outcome::PartialBlock`]). A malformed CPF/CNPJ, contract number or
    /// phone fails the call (`Err`) before anything is written. Pass many records at once
    /// (thousands; they are written [`REMESSA_BATCH`] per statement).
    pub async fn upsert_remessa_batch(
        &mut self,
        ctx: &ImportContext,
        records: &[RemessaRecord],
    ) -> Result<Vec<(usize, Outcome)>> {
        let checked = records
            .iter()
            .enumerate()
            .map(|(index, record)| {
                Ok(Checked {
                    index,
                    record,
                    document: document_arg(&record.document)?,
                    contract: contract_arg(&record.contract)?,
                    phones: check_phones(&record.phones)?,
                    extra: record.extra.as_str(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut refused = Vec::new();
        // segments in which no contract repeats, so each statement touches a row once
        let mut start = 0;
        while start < checked.len() {
            let mut seen = HashSet::new();
            let mut end = start;
            while end < checked.len()
                && end - start < REMESSA_BATCH
                && seen.insert(checked[end].contract)
            {
                end += 1;
            }
            refused.extend(self.remessa_segment(ctx, &checked[start..end]).await?);
            start = end;
        }
        Ok(refused)
    }

    async fn remessa_segment(
        &mut self,
        ctx: &ImportContext,
        segment: &[Checked<'_>],
    ) -> Result<Vec<(usize, Outcome)>> {
        // 1. insert new contracts, update active ones
        let mut versions: HashMap<String, i64> = HashMap::new();
        for piece in pieces(segment, REMESSA_BATCH) {
            versions.extend(self.upsert_active(ctx, piece).await?);
        }
        let mut history: Vec<(&str, i64)> = segment
            .iter()
            .filter(|c| versions.get(c.contract) == Some(&1))
            .map(|c| (c.contract, 1))
            .collect();
        // 2. re-activate the others, unless a young partial block holds them (R020)
        let others: Vec<&Checked> = segment
            .iter()
            .filter(|c| !versions.contains_key(c.contract))
            .collect();
        let mut refused = Vec::new();
        let mut blocked = HashSet::new();
        if !others.is_empty() {
            let cutoff = ctx
                .file_date
                .checked_sub(jiff::Span::new().days(PARTIAL_BLOCK_DAYS))
                .map_err(|_| {
                    StoreError::Invalid(format!(
                        "data do arquivo {} fora do calendário",
                        ctx.file_date
                    ))
                })?;
            let mut reactivated = HashMap::new();
            for piece in pieces(&others, REMESSA_BATCH) {
                reactivated.extend(self.reactivate(ctx, piece, &date_text(cutoff)).await?);
            }
            for c in &others {
                match reactivated.get(c.contract) {
                    Some(&version) => history.push((c.contract, version)),
                    None => {
                        let since: String = sqlx::query_scalar(
                            "SELECT status_since FROM contracts WHERE workspace_id = $1 AND contract = $2",
                        )
                        .bind(&ctx.workspace)
                        .bind(c.contract)
                        .fetch_one(&mut *self.tx)
                        .await?;
                        let since = parse_date("contracts.status_since", &since)?;
                        refused.push((c.index, Outcome::PartialBlock { since }));
                        blocked.insert(c.contract);
                    }
                }
            }
        }
        for piece in pieces(&history, REMESSA_BATCH) {
            self.insert_active_history(ctx, piece).await?;
        }
        let applied: Vec<&Checked> = segment
            .iter()
            .filter(|c| !blocked.contains(c.contract))
            .collect();
        // 3. customers, then their contact data
        self.upsert_customers(ctx, &applied).await?;
        self.merge_remessa_phones(ctx, &applied).await?;
        self.merge_remessa_addresses(ctx, &applied).await?;
        self.merge_remessa_emails(ctx, &applied).await?;
        Ok(refused)
    }

    /// Inserts new contracts `ATIVO` and updates the ones that are `ATIVO` already
    /// (keeping their `status_since`); returns their versions, 1 for those inserted.
    async fn upsert_active(
        &mut self,
        ctx: &ImportContext,
        piece: &[Checked<'_>],
    ) -> Result<Vec<(String, i64)>> {
        let mut p = Params::new(self.backend);
        let (ws, date, run, now, now2) = (p.next(), p.next(), p.next(), p.next(), p.next());
        let values = p.rows(piece.len(), 7);
        let sql = format!(
            "INSERT INTO contracts (workspace_id, contract, document, portfolio, product, days_late,
                installment_value_cents, extra, status, status_since, version, run_id, created_on, modified_on)
             SELECT {ws}, v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7,
                'ATIVO', {date}, 1, {run}, {now}, {now2}
             FROM (VALUES {values}) AS v WHERE true
             ON CONFLICT (workspace_id, contract) DO UPDATE SET document = excluded.document,
                portfolio = excluded.portfolio, product = excluded.product, days_late = excluded.days_late,
                installment_value_cents = excluded.installment_value_cents, extra = excluded.extra,
                version = contracts.version + 1, run_id = excluded.run_id, modified_on = excluded.modified_on
             WHERE contracts.status = 'ATIVO'
             RETURNING contract, version"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&ctx.workspace)
            .bind(&ctx.date_text)
            .bind(ctx.run_id)
            .bind(&ctx.now_text)
            .bind(&ctx.now_text);
        for c in piece {
            q = q
                .bind(c.contract)
                .bind(&c.document)
                .bind(c.record.portfolio.trim())
                .bind(c.record.product.trim())
                .bind(c.record.days_late)
                .bind(c.record.installment_value_cents)
                .bind(c.extra);
        }
        let rows = q.fetch_all(&mut *self.tx).await?;
        rows.iter()
            .map(|r| Ok((col(r, "contract")?, col(r, "version")?)))
            .collect()
    }

    /// Re-activates contracts in another status unless in a partial block since after
    /// `cutoff`; returns the versions of those re-activated.
    async fn reactivate(
        &mut self,
        ctx: &ImportContext,
        piece: &[&Checked<'_>],
        cutoff: &str,
    ) -> Result<Vec<(String, i64)>> {
        let mut p = Params::new(self.backend);
        let (date, run, now) = (p.next(), p.next(), p.next());
        let values = p.rows(piece.len(), 7);
        let (ws, after) = (p.next(), p.next());
        let sql = format!(
            "UPDATE contracts SET document = v.column2, portfolio = v.column3, product = v.column4,
                days_late = v.column5, installment_value_cents = v.column6, extra = v.column7, status = 'ATIVO',
                status_since = {date}, version = contracts.version + 1, run_id = {run}, modified_on = {now}
             FROM (VALUES {values}) AS v
             WHERE contracts.workspace_id = {ws} AND contracts.contract = v.column1
               AND NOT (contracts.status = 'BLOQUEIO PARCIAL' AND contracts.status_since > {after})
             RETURNING contract, version"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&ctx.date_text)
            .bind(ctx.run_id)
            .bind(&ctx.now_text);
        for c in piece {
            q = q
                .bind(c.contract)
                .bind(&c.document)
                .bind(c.record.portfolio.trim())
                .bind(c.record.product.trim())
                .bind(c.record.days_late)
                .bind(c.record.installment_value_cents)
                .bind(c.extra);
        }
        let rows = q
            .bind(&ctx.workspace)
            .bind(cutoff)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter()
            .map(|r| Ok((col(r, "contract")?, col(r, "version")?)))
            .collect()
    }

    async fn insert_active_history(
        &mut self,
        ctx: &ImportContext,
        piece: &[(&str, i64)],
    ) -> Result<()> {
        let mut p = Params::new(self.backend);
        let (ws, status, date, run, now) = (p.next(), p.next(), p.next(), p.next(), p.next());
        let values = p.rows(piece.len(), 2);
        let sql = format!(
            "INSERT INTO contract_status_history (workspace_id, contract, version, status, status_since, reason, run_id, changed_on)
             SELECT {ws}, v.column1, v.column2, {status}, {date}, 'remessa', {run}, {now}
             FROM (VALUES {values}) AS v"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&ctx.workspace)
            .bind(ContractStatus::Active.as_str())
            .bind(&ctx.date_text)
            .bind(ctx.run_id)
            .bind(&ctx.now_text);
        for (contract, version) in piece {
            q = q.bind(*contract).bind(*version);
        }
        q.execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Creates or updates the records' customers (the last non-empty name and CRM id of a
    /// document win), minting CRM ids from the workspace counter `crm_id` for new
    /// customers the file gives none.
    async fn upsert_customers(
        &mut self,
        ctx: &ImportContext,
        applied: &[&Checked<'_>],
    ) -> Result<()> {
        // (document, name, crm id), first appearance order; as record by record, a new
        // customer gets a minted id when its first record has none, even if a later one
        // brings one
        let mut customers: Vec<(&str, &str, String)> = Vec::new();
        let mut needing: Vec<usize> = Vec::new();
        let mut at: HashMap<&str, usize> = HashMap::new();
        for c in applied {
            let name = c.record.name.trim();
            let crm = c
                .record
                .crm_id
                .as_deref()
                .map(str::trim)
                .unwrap_or_default();
            match at.get(c.document.as_str()) {
                Some(&i) => {
                    if !name.is_empty() {
                        customers[i].1 = name;
                    }
                    if !crm.is_empty() {
                        customers[i].2 = crm.into();
                    }
                }
                None => {
                    if crm.is_empty() {
                        needing.push(customers.len());
                    }
                    at.insert(&c.document, customers.len());
                    customers.push((&c.document, name, crm.into()));
                }
            }
        }
        if !needing.is_empty() {
            let mut existing = HashSet::new();
            let docs: Vec<&str> = needing.iter().map(|&i| customers[i].0).collect();
            for piece in pieces(&docs, REMESSA_BATCH) {
                let mut p = Params::new(self.backend);
                let sql = format!(
                    "SELECT document FROM customers WHERE workspace_id = {} AND document IN ({})",
                    p.next(),
                    p.list(piece.len())
                );
                let mut q =
                    sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql)).bind(&ctx.workspace);
                for d in piece {
                    q = q.bind(*d);
                }
                existing.extend(q.fetch_all(&mut *self.tx).await?);
            }
            let new: Vec<usize> = needing
                .into_iter()
                .filter(|&i| !existing.contains(customers[i].0))
                .collect();
            if !new.is_empty() {
                let last: i64 = sqlx::query_scalar(
                    "INSERT INTO counters (workspace_id, name, value) VALUES ($1, 'crm_id', $2)
                     ON CONFLICT (workspace_id, name) DO UPDATE SET value = counters.value + excluded.value
                     RETURNING value",
                )
                .bind(&ctx.workspace)
                .bind(new.len() as i64)
                .fetch_one(&mut *self.tx)
                .await?;
                let first = last - new.len() as i64 + 1;
                for (n, &i) in new.iter().enumerate() {
                    if customers[i].2.is_empty() {
                        customers[i].2 = (first + n as i64).to_string();
                    }
                }
            }
        }
        for piece in pieces(&customers, REMESSA_BATCH) {
            let mut p = Params::new(self.backend);
            let (ws, now, now2) = (p.next(), p.next(), p.next());
            let values = p.rows(piece.len(), 4);
            let sql = format!(
                "INSERT INTO customers (workspace_id, document, person_type, name, crm_id, created_on, modified_on)
                 SELECT {ws}, v.column1, v.column2, v.column3, v.column4, {now}, {now2}
                 FROM (VALUES {values}) AS v WHERE true
                 ON CONFLICT (workspace_id, document) DO UPDATE SET
                    name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE customers.name END,
                    crm_id = CASE WHEN excluded.crm_id <> '' THEN excluded.crm_id ELSE customers.crm_id END,
                    modified_on = excluded.modified_on"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&ctx.workspace)
                .bind(&ctx.now_text)
                .bind(&ctx.now_text);
            for (document, name, crm) in piece {
                q = q
                    .bind(*document)
                    .bind(person_type(document))
                    .bind(*name)
                    .bind(crm.as_str());
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// The records' phones after each contract's existing ones; a number the contract
    /// has already only gets its score and kind updated.
    async fn merge_remessa_phones(
        &mut self,
        ctx: &ImportContext,
        applied: &[&Checked<'_>],
    ) -> Result<()> {
        // (contract, phone, order within the contract); a number repeated in a record
        // keeps its first place and its last score and kind
        let mut rows: Vec<(&str, NewPhone, i64)> = Vec::new();
        for c in applied {
            let mut at: HashMap<(&str, &str), usize> = HashMap::new();
            for p in &c.phones {
                match at.get(&(p.ddd.as_str(), p.number.as_str())) {
                    Some(&i) => {
                        let kept = &mut rows[i].1;
                        if p.score.is_some() {
                            kept.score = p.score;
                        }
                        if !p.kind.is_empty() {
                            kept.kind.clone_from(&p.kind);
                        }
                    }
                    None => {
                        at.insert((&p.ddd, &p.number), rows.len());
                        let order = at.len() as i64;
                        rows.push((c.contract, p.clone(), order));
                    }
                }
            }
        }
        for piece in pieces(&rows, REMESSA_BATCH) {
            let mut p = Params::new(self.backend);
            let (ws, ws2, origin, run, now) = (p.next(), p.next(), p.next(), p.next(), p.next());
            let values = p.rows(piece.len(), 6);
            let sql = format!(
                "INSERT INTO contract_phones (workspace_id, contract, ddd, number, position, kind, score, origin, run_id, created_on)
                 SELECT {ws}, v.column1, v.column2, v.column3,
                    (SELECT COALESCE(MAX(p.position), 0) FROM contract_phones p
                     WHERE p.workspace_id = {ws2} AND p.contract = v.column1) + v.column6,
                    v.column4, v.column5, {origin}, {run}, {now}
                 FROM (VALUES {values}) AS v WHERE true
                 ON CONFLICT (workspace_id, contract, ddd, number) DO UPDATE SET
                    score = COALESCE(excluded.score, contract_phones.score),
                    kind = CASE WHEN excluded.kind <> '' THEN excluded.kind ELSE contract_phones.kind END
                 WHERE (excluded.score IS NOT NULL AND excluded.score IS DISTINCT FROM contract_phones.score)
                    OR (excluded.kind <> '' AND excluded.kind <> contract_phones.kind)"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&ctx.workspace)
                .bind(&ctx.workspace)
                .bind(ORIGIN_REMESSA)
                .bind(ctx.run_id)
                .bind(&ctx.now_text);
            for (contract, phone, order) in piece {
                q = q
                    .bind(*contract)
                    .bind(&phone.ddd)
                    .bind(&phone.number)
                    .bind(&phone.kind)
                    .bind(phone.score)
                    .bind(*order);
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// The records' addresses after each customer's existing ones, unless known.
    async fn merge_remessa_addresses(
        &mut self,
        ctx: &ImportContext,
        applied: &[&Checked<'_>],
    ) -> Result<()> {
        let mut rows: Vec<(&str, String, i64, &Address)> = Vec::new();
        let mut seen: HashSet<(&str, String)> = HashSet::new();
        let mut count: HashMap<&str, i64> = HashMap::new();
        for c in applied {
            for a in &c.record.addresses {
                if a.street.trim().is_empty() && a.zip.trim().is_empty() {
                    continue;
                }
                let key = address_key(a);
                if seen.insert((&c.document, key.clone())) {
                    let order = count.entry(&c.document).or_default();
                    *order += 1;
                    rows.push((&c.document, key, *order, a));
                }
            }
        }
        for piece in pieces(&rows, REMESSA_BATCH) {
            let mut p = Params::new(self.backend);
            let (ws, ws2, origin, run, now) = (p.next(), p.next(), p.next(), p.next(), p.next());
            let values = p.rows(piece.len(), 11);
            let sql = format!(
                "INSERT INTO customer_addresses (workspace_id, document, address_key, position, kind, street, number,
                    complement, district, city, state, zip, origin, run_id, created_on)
                 SELECT {ws}, v.column1, v.column2,
                    (SELECT COALESCE(MAX(a.position), 0) FROM customer_addresses a
                     WHERE a.workspace_id = {ws2} AND a.document = v.column1) + v.column3,
                    v.column4, v.column5, v.column6, v.column7, v.column8, v.column9, v.column10, v.column11,
                    {origin}, {run}, {now}
                 FROM (VALUES {values}) AS v WHERE true
                 ON CONFLICT (workspace_id, document, address_key) DO NOTHING"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&ctx.workspace)
                .bind(&ctx.workspace)
                .bind(ORIGIN_REMESSA)
                .bind(ctx.run_id)
                .bind(&ctx.now_text);
            for (document, key, order, a) in piece {
                q = q
                    .bind(*document)
                    .bind(key.as_str())
                    .bind(*order)
                    .bind(a.kind.trim())
                    .bind(a.street.trim())
                    .bind(a.number.trim())
                    .bind(a.complement.trim())
                    .bind(a.district.trim())
                    .bind(a.city.trim())
                    .bind(a.state.trim())
                    .bind(a.zip.trim());
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// The records' e-mails (lower-cased) after each customer's existing ones, unless
    /// known.
    async fn merge_remessa_emails(
        &mut self,
        ctx: &ImportContext,
        applied: &[&Checked<'_>],
    ) -> Result<()> {
        let mut rows: Vec<(&str, String, i64)> = Vec::new();
        let mut seen: HashSet<(&str, String)> = HashSet::new();
        let mut count: HashMap<&str, i64> = HashMap::new();
        for c in applied {
            for e in &c.record.emails {
                let email = e.trim().to_lowercase();
                if !email.is_empty() && seen.insert((&c.document, email.clone())) {
                    let order = count.entry(&c.document).or_default();
                    *order += 1;
                    rows.push((&c.document, email, *order));
                }
            }
        }
        for piece in pieces(&rows, REMESSA_BATCH) {
            let mut p = Params::new(self.backend);
            let (ws, ws2, origin, run, now) = (p.next(), p.next(), p.next(), p.next(), p.next());
            let values = p.rows(piece.len(), 3);
            let sql = format!(
                "INSERT INTO customer_emails (workspace_id, document, email, position, origin, run_id, created_on)
                 SELECT {ws}, v.column1, v.column2,
                    (SELECT COALESCE(MAX(e.position), 0) FROM customer_emails e
                     WHERE e.workspace_id = {ws2} AND e.document = v.column1) + v.column3,
                    {origin}, {run}, {now}
                 FROM (VALUES {values}) AS v WHERE true
                 ON CONFLICT (workspace_id, document, email) DO NOTHING"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&ctx.workspace)
                .bind(&ctx.workspace)
                .bind(ORIGIN_REMESSA)
                .bind(ctx.run_id)
                .bind(&ctx.now_text);
            for (document, email, order) in piece {
                q = q.bind(*document).bind(email.as_str()).bind(*order);
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }
}
