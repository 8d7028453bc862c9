//! The customer's record as bots, the IVR and agents read it (UC009): one consistent
//! snapshot, a fixed number of indexed queries whatever the number of contracts.

use std::collections::HashMap;

use jiff::civil::Date;
use sqlx::any::AnyRow;
use sqlx::Executor;

use super::contracts::status_col;
use super::{
    normalize_document, parse_date, parse_extra, Address, Agreement, ContractStatus, Extra,
    Guarantee, Installment, RefinOffer,
};
use crate::{col, Backend, Result, Store};

/// A customer with everything the portfolio holds about them.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CustomerView {
    pub document: String,
    /// `F` (CPF) or `J` (CNPJ).
    pub person_type: String,
    pub name: String,
    pub crm_id: String,
    pub created_on: String,
    pub modified_on: String,
    /// By contract number.
    pub contracts: Vec<ContractView>,
    /// In arrival order.
    pub addresses: Vec<StoredAddress>,
    /// In arrival order.
    pub emails: Vec<Email>,
    /// Mass-action marks of the customer and of their contracts, oldest first.
    pub mass_actions: Vec<MassAction>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ContractView {
    pub contract: String,
    pub portfolio: String,
    pub product: String,
    pub days_late: Option<i64>,
    pub installment_value_cents: Option<i64>,
    pub status: ContractStatus,
    pub status_since: Date,
    /// The remittance's other fields.
    pub extra: Extra,
    pub created_on: String,
    pub modified_on: String,
    /// Oldest first.
    pub status_history: Vec<StatusChange>,
    /// In dialling order: the remessa's first, enrichment last.
    pub phones: Vec<Phone>,
    /// By number.
    pub installments: Vec<Installment>,
    pub guarantees: Vec<Guarantee>,
    pub refin: Vec<RefinOffer>,
    /// By agreement and installment.
    pub agreements: Vec<Agreement>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StatusChange {
    pub status: ContractStatus,
    pub since: Date,
    pub reason: String,
    pub run_id: Option<i64>,
    pub changed_on: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Phone {
    pub ddd: String,
    pub number: String,
    pub kind: String,
    pub score: Option<i64>,
    /// `Remessa`, `Enriquecimento N`, …: the spec's tipoTelefone for enrichment phones.
    pub origin: String,
    pub position: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StoredAddress {
    #[serde(flatten)]
    pub address: Address,
    pub origin: String,
    pub position: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Email {
    pub email: String,
    pub origin: String,
    pub position: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MassAction {
    pub id: String,
    /// [`super::MARK_EMAIL`], [`super::MARK_SMS`] or [`super::MARK_WHATSAPP`].
    pub kind: String,
    /// The contract marked (`None` for a mark on the customer).
    pub contract: Option<String>,
    /// The e-mail or phone (DDD + number) the action went to.
    pub address: String,
    pub protocol: String,
    pub sent_on: Option<String>,
    pub message: String,
    pub journey: String,
    pub result: String,
    pub run_id: Option<i64>,
    pub created_on: String,
}

const CUSTOMER: &str =
    "SELECT document, person_type, name, crm_id, created_on, modified_on FROM customers";

/// Child rows of the customer's contracts (`table` aliased `t`). Written as `IN` so
/// that both planners go from the customer's contracts to the child table's primary key:
/// as a join, SQLite without statistics would rather scan the child table.
fn of_contracts(columns: &str, table: &str, order: &str) -> String {
    format!(
        "SELECT t.contract, {columns} FROM {table} t
         WHERE t.workspace_id = $1
           AND t.contract IN (SELECT c.contract FROM contracts c WHERE c.workspace_id = $1 AND c.document = $2)
         ORDER BY t.contract, {order}"
    )
}

impl Store {
    /// The customer with this CPF/CNPJ (any punctuation), or `None`.
    pub async fn customer_by_document(
        &self,
        workspace: &str,
        document: &str,
    ) -> Result<Option<CustomerView>> {
        let Some(document) = normalize_document(document) else {
            return Ok(None);
        };
        self.customer_view(
            workspace,
            &format!("{CUSTOMER} WHERE workspace_id = $1 AND document = $2"),
            &document,
        )
        .await
    }

    /// The customer with this CRM id, or `None` (the first by document should a file
    /// have given two customers the same id).
    pub async fn customer_by_crm_id(
        &self,
        workspace: &str,
        crm_id: &str,
    ) -> Result<Option<CustomerView>> {
        self.customer_view(
            workspace,
            &format!(
                "{CUSTOMER} WHERE workspace_id = $1 AND crm_id = $2 ORDER BY document LIMIT 1"
            ),
            crm_id.trim(),
        )
        .await
    }

    async fn customer_view(
        &self,
        workspace: &str,
        customer_sql: &str,
        key: &str,
    ) -> Result<Option<CustomerView>> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            // one snapshot for all the queries below
            (&mut *tx)
                .execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .await?;
        }
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(customer_sql.to_string()))
            .bind(workspace)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        let document: String = col(&row, "document")?;
        let mut view = CustomerView {
            document: document.clone(),
            person_type: col(&row, "person_type")?,
            name: col(&row, "name")?,
            crm_id: col(&row, "crm_id")?,
            created_on: col(&row, "created_on")?,
            modified_on: col(&row, "modified_on")?,
            contracts: Vec::new(),
            addresses: Vec::new(),
            emails: Vec::new(),
            mass_actions: Vec::new(),
        };
        let fetch = |sql: String| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(workspace.to_string())
                .bind(document.clone())
        };

        for r in fetch(
            "SELECT contract, portfolio, product, days_late, installment_value_cents, status, status_since,
                    extra, created_on, modified_on
             FROM contracts WHERE workspace_id = $1 AND document = $2 ORDER BY contract"
                .into(),
        )
        .fetch_all(&mut *tx)
        .await?
        {
            view.contracts.push(ContractView {
                contract: col(&r, "contract")?,
                portfolio: col(&r, "portfolio")?,
                product: col(&r, "product")?,
                days_late: col(&r, "days_late")?,
                installment_value_cents: col(&r, "installment_value_cents")?,
                status: status_col(&r, "status")?,
                status_since: date_col(&r, "status_since")?,
                extra: extra_col(&r, "extra")?,
                created_on: col(&r, "created_on")?,
                modified_on: col(&r, "modified_on")?,
                status_history: Vec::new(),
                phones: Vec::new(),
                installments: Vec::new(),
                guarantees: Vec::new(),
                refin: Vec::new(),
                agreements: Vec::new(),
            });
        }
        let index: HashMap<String, usize> = view
            .contracts
            .iter()
            .enumerate()
            .map(|(i, c)| (c.contract.clone(), i))
            .collect();
        // each child row goes to its contract
        macro_rules! children {
            ($sql:expr, $field:ident, $decode:expr) => {
                for r in fetch($sql).fetch_all(&mut *tx).await? {
                    let contract: String = col(&r, "contract")?;
                    if let Some(&i) = index.get(&contract) {
                        view.contracts[i].$field.push($decode(&r)?);
                    }
                }
            };
        }
        if !view.contracts.is_empty() {
            children!(
                of_contracts(
                    "t.status, t.status_since, t.reason, t.run_id, t.changed_on",
                    "contract_status_history",
                    "t.version"
                ),
                status_history,
                decode_status_change
            );
            children!(
                of_contracts(
                    "t.ddd, t.number, t.kind, t.score, t.origin, t.position",
                    "contract_phones",
                    "t.position"
                ),
                phones,
                decode_phone
            );
            children!(
                of_contracts(
                    "t.number, t.due_date, t.value_cents, t.balance_cents, t.days_late, t.status, t.extra",
                    "installments",
                    "t.number"
                ),
                installments,
                decode_installment
            );
            children!(
                of_contracts(
                    "t.seq, t.kind, t.make, t.model, t.manufacture_year, t.model_year, t.plate, t.chassis,
                     t.renavam, t.color, t.extra",
                    "guarantees",
                    "t.seq"
                ),
                guarantees,
                decode_guarantee
            );
            children!(
                of_contracts(
                    "t.delay_band, t.collection, t.overdue_installments, t.upcoming_installments,
                     t.open_installments, t.original_plan, t.original_installment_cents, t.down_payment_cents,
                     t.refin_plan, t.refin_installments, t.refin_installment_cents, t.total_refinanced_cents,
                     t.monthly_interest, t.annual_cet, t.first_due_date, t.last_due_date, t.agency, t.priority,
                     t.extra",
                    "refin_offers",
                    "t.seq"
                ),
                refin,
                decode_refin
            );
            children!(
                of_contracts(
                    "t.agreement_no, t.installment_no, t.document, t.due_date, t.amount_cents,
                     t.total_debt_cents, t.written_off_on, t.reason, t.extra",
                    "agreements",
                    "t.agreement_no, t.installment_no"
                ),
                agreements,
                decode_agreement
            );
        }
        for r in fetch(
            "SELECT kind, street, number, complement, district, city, state, zip, origin, position
             FROM customer_addresses WHERE workspace_id = $1 AND document = $2 ORDER BY position"
                .into(),
        )
        .fetch_all(&mut *tx)
        .await?
        {
            view.addresses.push(StoredAddress {
                address: Address {
                    kind: col(&r, "kind")?,
                    street: col(&r, "street")?,
                    number: col(&r, "number")?,
                    complement: col(&r, "complement")?,
                    district: col(&r, "district")?,
                    city: col(&r, "city")?,
                    state: col(&r, "state")?,
                    zip: col(&r, "zip")?,
                },
                origin: col(&r, "origin")?,
                position: col(&r, "position")?,
            });
        }
        for r in fetch(
            "SELECT email, origin, position FROM customer_emails
             WHERE workspace_id = $1 AND document = $2 ORDER BY position"
                .into(),
        )
        .fetch_all(&mut *tx)
        .await?
        {
            view.emails.push(Email {
                email: col(&r, "email")?,
                origin: col(&r, "origin")?,
                position: col(&r, "position")?,
            });
        }
        for r in fetch(
            "SELECT id, kind, contract, address, protocol, sent_on, message, journey, result, run_id, created_on
             FROM mass_actions WHERE workspace_id = $1 AND document = $2 ORDER BY created_on, id"
                .into(),
        )
        .fetch_all(&mut *tx)
        .await?
        {
            let contract: String = col(&r, "contract")?;
            view.mass_actions.push(MassAction {
                id: col(&r, "id")?,
                kind: col(&r, "kind")?,
                contract: (!contract.is_empty()).then_some(contract),
                address: col(&r, "address")?,
                protocol: col(&r, "protocol")?,
                sent_on: col(&r, "sent_on")?,
                message: col(&r, "message")?,
                journey: col(&r, "journey")?,
                result: col(&r, "result")?,
                run_id: col(&r, "run_id")?,
                created_on: col(&r, "created_on")?,
            });
        }
        tx.rollback().await?;
        Ok(Some(view))
    }
}

fn date_col(row: &AnyRow, name: &str) -> Result<Date> {
    let text: String = col(row, name)?;
    parse_date(name, &text)
}

fn opt_date_col(row: &AnyRow, name: &str) -> Result<Option<Date>> {
    let text: Option<String> = col(row, name)?;
    text.map(|t| parse_date(name, &t)).transpose()
}

fn extra_col(row: &AnyRow, name: &str) -> Result<Extra> {
    let text: String = col(row, name)?;
    parse_extra(name, &text)
}

fn decode_status_change(r: &AnyRow) -> Result<StatusChange> {
    Ok(StatusChange {
        status: status_col(r, "status")?,
        since: date_col(r, "status_since")?,
        reason: col(r, "reason")?,
        run_id: col(r, "run_id")?,
        changed_on: col(r, "changed_on")?,
    })
}

fn decode_phone(r: &AnyRow) -> Result<Phone> {
    Ok(Phone {
        ddd: col(r, "ddd")?,
        number: col(r, "number")?,
        kind: col(r, "kind")?,
        score: col(r, "score")?,
        origin: col(r, "origin")?,
        position: col(r, "position")?,
    })
}

fn decode_installment(r: &AnyRow) -> Result<Installment> {
    Ok(Installment {
        contract: col(r, "contract")?,
        number: col(r, "number")?,
        due_date: opt_date_col(r, "due_date")?,
        value_cents: col(r, "value_cents")?,
        balance_cents: col(r, "balance_cents")?,
        days_late: col(r, "days_late")?,
        status: col(r, "status")?,
        extra: extra_col(r, "extra")?,
    })
}

fn decode_guarantee(r: &AnyRow) -> Result<Guarantee> {
    Ok(Guarantee {
        contract: col(r, "contract")?,
        seq: col(r, "seq")?,
        kind: col(r, "kind")?,
        make: col(r, "make")?,
        model: col(r, "model")?,
        manufacture_year: col(r, "manufacture_year")?,
        model_year: col(r, "model_year")?,
        plate: col(r, "plate")?,
        chassis: col(r, "chassis")?,
        renavam: col(r, "renavam")?,
        color: col(r, "color")?,
        extra: extra_col(r, "extra")?,
    })
}

fn decode_refin(r: &AnyRow) -> Result<RefinOffer> {
    Ok(RefinOffer {
        contract: col(r, "contract")?,
        delay_band: col(r, "delay_band")?,
        collection: col(r, "collection")?,
        overdue_installments: col(r, "overdue_installments")?,
        upcoming_installments: col(r, "upcoming_installments")?,
        open_installments: col(r, "open_installments")?,
        original_plan: col(r, "original_plan")?,
        original_installment_cents: col(r, "original_installment_cents")?,
        down_payment_cents: col(r, "down_payment_cents")?,
        refin_plan: col(r, "refin_plan")?,
        refin_installments: col(r, "refin_installments")?,
        refin_installment_cents: col(r, "refin_installment_cents")?,
        total_refinanced_cents: col(r, "total_refinanced_cents")?,
        monthly_interest: col(r, "monthly_interest")?,
        annual_cet: col(r, "annual_cet")?,
        first_due_date: opt_date_col(r, "first_due_date")?,
        last_due_date: opt_date_col(r, "last_due_date")?,
        agency: col(r, "agency")?,
        priority: col(r, "priority")?,
        extra: extra_col(r, "extra")?,
    })
}

fn decode_agreement(r: &AnyRow) -> Result<Agreement> {
    Ok(Agreement {
        contract: col(r, "contract")?,
        agreement_no: col(r, "agreement_no")?,
        installment_no: col(r, "installment_no")?,
        document: col(r, "document")?,
        due_date: opt_date_col(r, "due_date")?,
        amount_cents: col(r, "amount_cents")?,
        total_debt_cents: col(r, "total_debt_cents")?,
        written_off_on: opt_date_col(r, "written_off_on")?,
        reason: col(r, "reason")?,
        extra: extra_col(r, "extra")?,
    })
}
