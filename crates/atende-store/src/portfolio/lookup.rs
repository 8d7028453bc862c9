//! The customer's record as bots, the IVR and agents read it (UC009, the "ficha"): one
//! consistent snapshot (one read transaction, repeatable read on PostgreSQL) and a fixed
//! number of indexed queries (14) whatever the number of contracts, installments or
//! occurrences. The HTTP lookup serialises [`CustomerView`] as it is, so its field names
//! are the API's JSON keys; `crates/atende-server/src/http/collections/lookup.rs`
//! documents how they map to the spec's domain map.

use std::collections::HashMap;

use jiff::civil::Date;
use serde_json::Value as Json;
use sqlx::any::AnyRow;
use sqlx::Executor;

use super::contracts::status_col;
use super::occurrences::occurrence_row;
use super::{
    normalize_document, parse_date, parse_extra, Address, Agreement, ChannelType, ContractStatus,
    Extra, Guarantee, Installment, Occurrence, RefinOffer, MARK_WHATSAPP, ORIGIN_ENRICHMENT,
};
use crate::{col, Backend, Result, Store, StoreError};

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
    /// Acionamentos: the number of the customer's occurrences (all of them, = the length
    /// of `occurrences`).
    pub contacts_made: i64,
    /// Boletos: the number of the customer's occurrences that sent a boleto
    /// (`boleto_sent_by` set).
    pub boletos_sent: i64,
    /// By contract number.
    pub contracts: Vec<ContractView>,
    /// telefones_disponiveis: every contract's phones once, remessa (and portal) phones
    /// first, enrichment phones last; within each group by contract, then dialling order.
    pub phones: Vec<AvailablePhone>,
    /// The latest agreement (proposal or acordo), `None` when there was none.
    pub last_agreement: Option<LastAgreement>,
    /// In arrival order.
    pub addresses: Vec<StoredAddress>,
    /// In arrival order.
    pub emails: Vec<Email>,
    /// Histórico de Ocorrências, newest first.
    pub occurrences: Vec<OccurrenceEntry>,
    /// HISTÓRICO WHATSAPP: the omnichannel platform's events linked to the customer.
    pub whatsapp_history: WhatsappHistory,
    /// Mass-action marks of the customer and of their contracts (Histórico Massivo
    /// E-mail and SMS, and WhatsApp marks), oldest first.
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
    /// Bem Financiado: make, model and years of the contract's vehicle (its first
    /// guarantee of kind `veiculo`, else its first guarantee).
    pub financed_asset: Option<FinancedAsset>,
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
pub struct FinancedAsset {
    pub make: String,
    pub model: String,
    pub manufacture_year: Option<i64>,
    pub model_year: Option<i64>,
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

/// A phone of the customer, once whatever the number of contracts holding it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AvailablePhone {
    pub ddd: String,
    pub number: String,
    /// Line type (`CELULAR`, `RESIDENCIAL`, …) of the first contract listing it.
    pub kind: String,
    pub score: Option<i64>,
    /// `Remessa`, `Enriquecimento N`, `Portal`, … (first contract listing it).
    pub origin: String,
    /// The contracts holding it, in the order of `contracts`.
    pub contracts: Vec<String>,
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

/// An occurrence as the history shows it: the stored record plus its local date and time.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct OccurrenceEntry {
    #[serde(flatten)]
    pub occurrence: Occurrence,
    /// Data Cadastro (`YYYY-MM-DD`) and Horário (`HH:MM:SS`), in the workspace's time
    /// zone (`created_on` is UTC).
    pub date: String,
    pub time: String,
    /// idTipoCanal's name: `TELEFONE`, `EMAIL`, `SMS`, `WHATSAPP` (`""` when not given).
    pub channel: String,
}

/// The omnichannel platform's events (UC008 webhooks) linked to the customer, each list
/// newest first.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct WhatsappHistory {
    /// `webhook_type` `attendance`.
    pub attendances: Vec<OmniEvent>,
    /// `webhook_type` `visitor` (widget visits).
    pub widget_visits: Vec<OmniEvent>,
    /// `webhook_type` `hsm`.
    pub hsm: Vec<OmniEvent>,
    /// `webhook_type` `occurrence`.
    pub occurrences: Vec<OmniEvent>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct OmniEvent {
    pub webhook_type: String,
    /// The platform's event id (`id` of the webhook).
    pub event_id: String,
    pub attendance_id: String,
    /// How the receiver linked it to the customer (attendance, CRM id, document, …).
    pub matched_by: String,
    pub contract: String,
    pub occurrence_id: String,
    pub received_on: String,
    /// The webhook's JSON as received (a string if it was not JSON).
    pub payload: Json,
}

/// The latest agreement of the customer: whichever is newer of the latest proposal the
/// portal recorded (UC011, `proposals`) and the latest acordo the creditor's files
/// brought (`agreements`, acordos baixados and remessa baixa).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LastAgreement {
    /// `proposal` or `acordo`.
    pub source: String,
    pub contract: String,
    /// The proposal's id, or the acordo's NumAcordo.
    pub reference: String,
    /// When ATOM recorded it (a proposal's arrival; an acordo's first row).
    pub made_on: String,
    /// Datas de Pagamento: a proposal's first due date (primeiroVencimento); an acordo's
    /// installments' due dates (DtVcto), ascending.
    pub payment_dates: Vec<String>,
    /// Resumo Pagamento.
    pub summary: AgreementSummary,
    /// Jornada: the journey (`jornada1`, `jornada2`) of the latest WhatsApp mass action
    /// on the agreement's contract (`""`: none).
    pub journey: String,
    /// Valor a Pagar: a proposal's valorProposto; the sum of an acordo's installments'
    /// amounts (VlrMovt).
    pub amount_to_pay_cents: Option<i64>,
    /// Envio Boleto.
    pub boleto: BoletoSent,
    /// The proposal as recorded (source `proposal` only; an acordo's rows are in its
    /// contract's `agreements`).
    pub proposal: Option<ProposalRecord>,
}

/// Resumo Pagamento.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct AgreementSummary {
    /// tipoAcordo (Quitação, Parcial, TotaisEmAtraso); `""` for an acordo.
    pub agreement_type: String,
    /// qtdParcelas; an acordo's number of installment rows.
    pub installments_count: Option<i64>,
    /// valorEntrada (proposals only).
    pub down_payment_cents: Option<i64>,
    /// TotDiv (acordos only: the largest of its rows).
    pub total_debt_cents: Option<i64>,
    /// Installments written off (acordos only).
    pub written_off_installments: Option<i64>,
}

/// Envio Boleto: whether a boleto went out for the agreement and how. Read from the
/// latest occurrence on the agreement's contract (or on no contract) that records one.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BoletoSent {
    pub sent: bool,
    /// `email`, `sms`, `whatsapp`, … as the occurrence says (`""`: not sent).
    pub sent_by: String,
    pub sent_on: Option<String>,
    pub occurrence_id: Option<String>,
}

/// A proposal as the portal recorded it (UC011).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ProposalRecord {
    pub id: String,
    pub contract: String,
    pub attendance_id: String,
    /// ticketPan.
    pub ticket: String,
    pub user_login: String,
    /// tipoAcordo.
    pub agreement_type: String,
    /// valorProposto.
    pub proposed_cents: Option<i64>,
    /// qtdParcelas.
    pub installments_count: Option<i64>,
    /// valorEntrada.
    pub down_payment_cents: Option<i64>,
    /// primeiroVencimento.
    pub first_due_date: Option<String>,
    /// UC011's other fields as sent.
    pub fields: Json,
    pub created_on: String,
}

const CUSTOMER: &str =
    "SELECT c.document, c.person_type, c.name, c.crm_id, c.created_on, c.modified_on, w.environment
     FROM customers c JOIN workspaces w ON w.id = c.workspace_id";

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

/// An acordo of the customer while reading: where its rows are and when it arrived.
struct AcordoSeen {
    contract: usize,
    agreement_no: String,
    first_created_on: String,
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
            &format!("{CUSTOMER} WHERE c.workspace_id = $1 AND c.document = $2"),
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
                "{CUSTOMER} WHERE c.workspace_id = $1 AND c.crm_id = $2 ORDER BY c.document LIMIT 1"
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
        let time_zone = workspace_time_zone(&col::<String>(&row, "environment")?);
        let mut view = CustomerView {
            document: document.clone(),
            person_type: col(&row, "person_type")?,
            name: col(&row, "name")?,
            crm_id: col(&row, "crm_id")?,
            created_on: col(&row, "created_on")?,
            modified_on: col(&row, "modified_on")?,
            contacts_made: 0,
            boletos_sent: 0,
            contracts: Vec::new(),
            phones: Vec::new(),
            last_agreement: None,
            addresses: Vec::new(),
            emails: Vec::new(),
            occurrences: Vec::new(),
            whatsapp_history: WhatsappHistory::default(),
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
                financed_asset: None,
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
        let mut acordos: Vec<AcordoSeen> = Vec::new();
        let mut proposal = None;
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
            for r in fetch(of_contracts(
                "t.agreement_no, t.installment_no, t.document, t.due_date, t.amount_cents,
                 t.total_debt_cents, t.written_off_on, t.reason, t.extra, t.created_on",
                "agreements",
                "t.agreement_no, t.installment_no",
            ))
            .fetch_all(&mut *tx)
            .await?
            {
                let contract: String = col(&r, "contract")?;
                let Some(&i) = index.get(&contract) else {
                    continue;
                };
                let a = decode_agreement(&r)?;
                let created_on: String = col(&r, "created_on")?;
                match acordos
                    .iter_mut()
                    .find(|s| s.contract == i && s.agreement_no == a.agreement_no)
                {
                    Some(seen) => {
                        if created_on < seen.first_created_on {
                            seen.first_created_on = created_on;
                        }
                    }
                    None => acordos.push(AcordoSeen {
                        contract: i,
                        agreement_no: a.agreement_no.clone(),
                        first_created_on: created_on,
                    }),
                }
                view.contracts[i].agreements.push(a);
            }
            proposal = fetch(of_contracts(
                "t.id, t.attendance_id, t.ticket, t.user_login, t.agreement_type, t.proposed_cents,
                 t.installments_count, t.down_payment_cents, t.first_due_date, t.fields, t.created_on",
                "proposals",
                "t.id",
            )
            // the latest only
            .replace(
                "ORDER BY t.contract, t.id",
                "ORDER BY t.created_on DESC, t.id DESC LIMIT 1",
            ))
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| decode_proposal(&r))
            .transpose()?;
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
        for r in fetch(
            "SELECT * FROM occurrences WHERE workspace_id = $1 AND document = $2
             ORDER BY created_on DESC, id DESC"
                .into(),
        )
        .fetch_all(&mut *tx)
        .await?
        {
            let occurrence = occurrence_row(&r)?;
            let (date, time) = local_date_time(&occurrence.created_on, &time_zone)?;
            view.occurrences.push(OccurrenceEntry {
                channel: channel_name(occurrence.data.channel_type).into(),
                occurrence,
                date,
                time,
            });
        }
        for r in fetch(
            "SELECT webhook_type, event_id, attendance_id, matched_by, contract, occurrence_id,
                    received_on, payload
             FROM omni_events WHERE workspace_id = $1 AND document = $2
             ORDER BY received_on DESC, event_key DESC"
                .into(),
        )
        .fetch_all(&mut *tx)
        .await?
        {
            let event = decode_omni_event(&r)?;
            let h = &mut view.whatsapp_history;
            match event.webhook_type.as_str() {
                "attendance" => h.attendances.push(event),
                "visitor" => h.widget_visits.push(event),
                "hsm" => h.hsm.push(event),
                "occurrence" => h.occurrences.push(event),
                // resume_users and the like are about agents, not customers
                _ => {}
            }
        }
        tx.rollback().await?;

        view.contacts_made = view.occurrences.len() as i64;
        view.boletos_sent = view
            .occurrences
            .iter()
            .filter(|o| !o.occurrence.data.boleto_sent_by.is_empty())
            .count() as i64;
        for c in &mut view.contracts {
            c.financed_asset = financed_asset(&c.guarantees);
        }
        view.phones = available_phones(&view.contracts);
        view.last_agreement = last_agreement(&view, &acordos, proposal);
        Ok(Some(view))
    }
}

/// The workspace's time zone (goflow environment `timezone`), UTC if unknown.
fn workspace_time_zone(environment: &str) -> jiff::tz::TimeZone {
    serde_json::from_str::<Json>(environment)
        .ok()
        .and_then(|env| {
            env.get("timezone")
                .and_then(Json::as_str)
                .and_then(|name| jiff::tz::TimeZone::get(name).ok())
        })
        .unwrap_or(jiff::tz::TimeZone::UTC)
}

/// `(YYYY-MM-DD, HH:MM:SS)` of a store time in `tz`.
fn local_date_time(time: &str, tz: &jiff::tz::TimeZone) -> Result<(String, String)> {
    let ts: jiff::Timestamp = time.parse().map_err(|e: jiff::Error| StoreError::Corrupt {
        what: "occurrences.created_on".into(),
        why: e.to_string(),
    })?;
    let dt = ts.to_zoned(tz.clone()).datetime();
    Ok((
        format!("{:04}-{:02}-{:02}", dt.year(), dt.month(), dt.day()),
        format!("{:02}:{:02}:{:02}", dt.hour(), dt.minute(), dt.second()),
    ))
}

fn channel_name(channel: Option<ChannelType>) -> &'static str {
    match channel {
        Some(ChannelType::Phone) => "TELEFONE",
        Some(ChannelType::Email) => "EMAIL",
        Some(ChannelType::Sms) => "SMS",
        Some(ChannelType::Whatsapp) => "WHATSAPP",
        None => "",
    }
}

fn financed_asset(guarantees: &[Guarantee]) -> Option<FinancedAsset> {
    let g = guarantees
        .iter()
        .find(|g| g.kind == "veiculo")
        .or_else(|| guarantees.first())?;
    Some(FinancedAsset {
        make: g.make.clone(),
        model: g.model.clone(),
        manufacture_year: g.manufacture_year,
        model_year: g.model_year,
    })
}

/// Every contract's phones once: non-enrichment first, then by contract and position.
fn available_phones(contracts: &[ContractView]) -> Vec<AvailablePhone> {
    let mut all: Vec<(bool, usize, &Phone)> = contracts
        .iter()
        .enumerate()
        .flat_map(|(i, c)| {
            c.phones
                .iter()
                .map(move |p| (p.origin.starts_with(ORIGIN_ENRICHMENT), i, p))
        })
        .collect();
    all.sort_by_key(|(enrichment, i, p)| (*enrichment, *i, p.position));
    let mut out: Vec<AvailablePhone> = Vec::new();
    let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
    for (_, i, p) in all {
        let contract = &contracts[i].contract;
        match seen.get(&(p.ddd.as_str(), p.number.as_str())) {
            Some(&at) => {
                if !out[at].contracts.contains(contract) {
                    out[at].contracts.push(contract.clone());
                }
            }
            None => {
                seen.insert((&p.ddd, &p.number), out.len());
                out.push(AvailablePhone {
                    ddd: p.ddd.clone(),
                    number: p.number.clone(),
                    kind: p.kind.clone(),
                    score: p.score,
                    origin: p.origin.clone(),
                    contracts: vec![contract.clone()],
                });
            }
        }
    }
    out
}

/// The newer of the latest acordo and the latest proposal, with its journey and boleto.
fn last_agreement(
    view: &CustomerView,
    acordos: &[AcordoSeen],
    proposal: Option<ProposalRecord>,
) -> Option<LastAgreement> {
    let acordo = acordos.iter().max_by(|a, b| {
        (&a.first_created_on, &a.agreement_no).cmp(&(&b.first_created_on, &b.agreement_no))
    });
    // a proposal older than the latest acordo is not the last agreement
    let proposal = proposal.filter(|p| acordo.is_none_or(|a| p.created_on >= a.first_created_on));
    let mut last = if let Some(p) = proposal {
        LastAgreement {
            source: "proposal".into(),
            contract: p.contract.clone(),
            reference: p.id.clone(),
            made_on: p.created_on.clone(),
            payment_dates: p.first_due_date.iter().cloned().collect(),
            summary: AgreementSummary {
                agreement_type: p.agreement_type.clone(),
                installments_count: p.installments_count,
                down_payment_cents: p.down_payment_cents,
                ..AgreementSummary::default()
            },
            journey: String::new(),
            amount_to_pay_cents: p.proposed_cents,
            boleto: BoletoSent::default(),
            proposal: Some(p),
        }
    } else {
        let a = acordo?;
        let contract = &view.contracts[a.contract];
        let rows: Vec<&Agreement> = contract
            .agreements
            .iter()
            .filter(|r| r.agreement_no == a.agreement_no)
            .collect();
        let mut dates: Vec<String> = rows
            .iter()
            .filter_map(|r| r.due_date.map(|d| d.to_string()))
            .collect();
        dates.sort();
        dates.dedup();
        let amounts: Vec<i64> = rows.iter().filter_map(|r| r.amount_cents).collect();
        LastAgreement {
            source: "acordo".into(),
            contract: contract.contract.clone(),
            reference: a.agreement_no.clone(),
            made_on: a.first_created_on.clone(),
            payment_dates: dates,
            summary: AgreementSummary {
                installments_count: Some(rows.len() as i64),
                total_debt_cents: rows.iter().filter_map(|r| r.total_debt_cents).max(),
                written_off_installments: Some(
                    rows.iter().filter(|r| r.written_off_on.is_some()).count() as i64,
                ),
                ..AgreementSummary::default()
            },
            journey: String::new(),
            amount_to_pay_cents: (!amounts.is_empty()).then(|| amounts.iter().sum()),
            boleto: BoletoSent::default(),
            proposal: None,
        }
    };
    last.journey = view
        .mass_actions
        .iter()
        .rev()
        .find(|m| {
            m.kind == MARK_WHATSAPP
                && m.contract.as_deref() == Some(last.contract.as_str())
                && !m.journey.is_empty()
        })
        .map(|m| m.journey.clone())
        .unwrap_or_default();
    if let Some(o) = view.occurrences.iter().find(|o| {
        let d = &o.occurrence.data;
        !d.boleto_sent_by.is_empty() && (d.contract.is_empty() || d.contract == last.contract)
    }) {
        last.boleto = BoletoSent {
            sent: true,
            sent_by: o.occurrence.data.boleto_sent_by.clone(),
            sent_on: Some(o.occurrence.created_on.clone()),
            occurrence_id: Some(o.occurrence.id.clone()),
        };
    }
    Some(last)
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

fn decode_proposal(r: &AnyRow) -> Result<ProposalRecord> {
    Ok(ProposalRecord {
        id: col(r, "id")?,
        contract: col(r, "contract")?,
        attendance_id: col(r, "attendance_id")?,
        ticket: col(r, "ticket")?,
        user_login: col(r, "user_login")?,
        agreement_type: col(r, "agreement_type")?,
        proposed_cents: col(r, "proposed_cents")?,
        installments_count: col(r, "installments_count")?,
        down_payment_cents: col(r, "down_payment_cents")?,
        first_due_date: col(r, "first_due_date")?,
        fields: json_or_text(col(r, "fields")?),
        created_on: col(r, "created_on")?,
    })
}

fn decode_omni_event(r: &AnyRow) -> Result<OmniEvent> {
    Ok(OmniEvent {
        webhook_type: col(r, "webhook_type")?,
        event_id: col(r, "event_id")?,
        attendance_id: col(r, "attendance_id")?,
        matched_by: col(r, "matched_by")?,
        contract: col(r, "contract")?,
        occurrence_id: col(r, "occurrence_id")?,
        received_on: col(r, "received_on")?,
        payload: json_or_text(col(r, "payload")?),
    })
}

/// Stored JSON as a value; text that is not JSON (a body kept as received) as a string.
fn json_or_text(text: String) -> Json {
    serde_json::from_str(&text).unwrap_or(Json::String(text))
}
