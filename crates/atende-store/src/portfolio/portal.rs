//! What the agents' portal writes (UC010, UC011) and the back-office workflow queue it
//! feeds (UC012), `shared/seeds/001_*.txt`.
//!
//! - **Tabulation tree** (ListagemTabulacoesCampanha, `tabulation_results`): per campaign,
//!   the outcomes an agent may record, as a tree (`parent_code`); a node may be marked as
//!   an indication for the workflow (`workflow_kind` `REFIN` or `EA`) and as a right-party
//!   contact (`cpc`). [`Tx::replace_tabulations`] swaps a campaign's whole tree.
//! - **InsertTabulação** ([`Tx::record_tabulation`]): the outcome must be in the
//!   campaign's tree; the customer is found by CRM id and/or CPF/CNPJ; the occurrence goes
//!   through [`Tx::insert_occurrence`] (source `portal`, idempotency key). An outcome
//!   marked REFIN or EA puts the contract into the workflow queue in the same
//!   transaction.
//! - **Workflow queue** (`workflow_items`, `workflow_history`): an item starts as
//!   [`WORKFLOW_PENDING`] and the analyst moves it through the spec's business statuses
//!   ([`WORKFLOW_STATUSES`]); every change bumps `version` (optimistic concurrency) and
//!   appends a history row. A contract indicated again while it has an open item of the
//!   same kind ([`workflow_status_is_open`]) does not get a second item: the item points
//!   at the new tabulation and the history says so.
//! - **Contact data** (InclusãoTelefone, InsertEmail, InsertEndereco): the portfolio's
//!   merges ([`Tx::add_phones`], [`Tx::add_emails`], [`Tx::add_addresses`]) with origin
//!   [`ORIGIN_PORTAL`]; these rows carry run id 0 (not from a file).
//! - **Proposals** (Atualizar Proposta PAN, `proposals`): stored per contract, idempotent
//!   by key; every field the portal sent is kept in `fields`.

use std::collections::HashMap;

use jiff::civil::Date;
use serde_json::{Map, Value as Json};
use sqlx::any::AnyRow;
use sqlx::{Executor, Row};

use super::batch::Params;
use super::occurrences::source;
use super::{
    date_text, document_arg, normalize_document, Address, BadArg, ContractStatus, ImportContext,
    NewOccurrence, NewPhone, Outcome,
};
use crate::{col, Backend, Result, Store, StoreError, Tx};

/// Origin of phones, e-mails and addresses the portal adds (UC010 FA002–FA004).
pub const ORIGIN_PORTAL: &str = "Portal";

/// The status a workflow item starts in: indicated, no analyst has acted yet. Not one of
/// the spec's business statuses, which are what an analyst assigns.
pub const WORKFLOW_PENDING: &str = "Pendente";

/// The spec's "Status de Negócio Workflow" (UC012), in its order.
pub const WORKFLOW_STATUSES: [&str; 11] = [
    "Acordo Realizado",
    "Agendamento de Contato",
    "Proposta enviada para o Pan",
    "Sem condições de Pagamento - Atraso de salário",
    "Sem condições de Pagamento - Desemprego",
    "Sem condições de Pagamento - Redução de Renda",
    "Sem condições de Pagamento - Doença",
    "Sem condições de Pagamento - Financiou para Terceiros",
    "Sem condições de Pagamento - Bem Furtado/Roubado",
    "Sem condições de Pagamento - Óbito/Falecimento",
    "Sem condições de Pagamento - Débito em Outras Instituições",
];

/// Statuses in which the analyst is still working the contract: a new indication of the
/// same kind joins the item instead of opening another.
pub fn workflow_status_is_open(status: &str) -> bool {
    matches!(
        status,
        WORKFLOW_PENDING | "Agendamento de Contato" | "Proposta enviada para o Pan"
    )
}

/// The business status `text` names, ignoring case, accents, runs of spaces and the kind
/// of dash (`–` and `-`), or `None`.
pub fn workflow_status(text: &str) -> Option<&'static str> {
    let key = fold(text);
    WORKFLOW_STATUSES.into_iter().find(|s| fold(s) == key)
}

/// Lower case, Portuguese accents dropped, dashes unified, spaces collapsed.
fn fold(text: &str) -> String {
    let mapped: String = text
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'Á' | 'À' | 'Â' | 'Ã' => 'a',
            'é' | 'ê' | 'É' | 'Ê' => 'e',
            'í' | 'Í' => 'i',
            'ó' | 'ô' | 'õ' | 'Ó' | 'Ô' | 'Õ' => 'o',
            'ú' | 'ü' | 'Ú' | 'Ü' => 'u',
            'ç' | 'Ç' => 'c',
            '–' | '—' | '‐' | '−' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What a tabulation outcome sends to the back-office workflow (UC012).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum WorkflowKind {
    /// "Indicação ao Refinanciamento".
    #[serde(rename = "REFIN")]
    Refin,
    /// "Indicação de EA" (entrega amigável: the customer hands the vehicle back).
    #[serde(rename = "EA")]
    Ea,
}

impl WorkflowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowKind::Refin => "REFIN",
            WorkflowKind::Ea => "EA",
        }
    }

    /// `REFIN` or `EA`, any case.
    pub fn parse(text: &str) -> Option<WorkflowKind> {
        match text.trim().to_ascii_uppercase().as_str() {
            "REFIN" => Some(WorkflowKind::Refin),
            "EA" => Some(WorkflowKind::Ea),
            _ => None,
        }
    }

    /// The kind the spec's outcome names imply: "Indicação ao Refinanciamento" and
    /// "Indicação de EA" (case, accents and spacing ignored).
    pub fn from_outcome_name(name: &str) -> Option<WorkflowKind> {
        match fold(name).as_str() {
            "indicacao ao refinanciamento" => Some(WorkflowKind::Refin),
            "indicacao de ea" => Some(WorkflowKind::Ea),
            _ => None,
        }
    }
}

/// A node of a campaign's tabulation tree.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TabulationNode {
    /// The outcome's id (`Resultado`), unique in the campaign.
    pub code: String,
    pub name: String,
    /// The parent's code, or empty for a root.
    pub parent: String,
    /// Set when recording this outcome indicates the contract to the workflow.
    pub workflow: Option<WorkflowKind>,
    /// Contato com a Pessoa Certa: the outcome means the agent reached the customer.
    pub cpc: bool,
}

/// Why a tree was refused: the node (index in the list) and its field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeError {
    pub index: usize,
    /// `code`, `name` or `parent`.
    pub field: &'static str,
    pub message: String,
}

impl std::fmt::Display for TreeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "tabulations[{}].{}: {}",
            self.index, self.field, self.message
        )
    }
}

/// Checks a tree: codes and names not empty, codes unique, every parent a code of the
/// list, and no cycle through parents.
pub fn check_tree(nodes: &[TabulationNode]) -> std::result::Result<(), TreeError> {
    let mut at: HashMap<&str, usize> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        let err = |field, message: String| TreeError {
            index: i,
            field,
            message,
        };
        if n.code.trim().is_empty() {
            return Err(err("code", "must not be empty".into()));
        }
        if n.code.trim() != n.code {
            return Err(err("code", "must not start or end with spaces".into()));
        }
        if n.name.trim().is_empty() {
            return Err(err("name", "must not be empty".into()));
        }
        if let Some(j) = at.insert(&n.code, i) {
            return Err(err(
                "code",
                format!("{:?} is already the code of tabulations[{j}]", n.code),
            ));
        }
    }
    for (i, n) in nodes.iter().enumerate() {
        if n.parent.is_empty() {
            continue;
        }
        if !at.contains_key(n.parent.as_str()) {
            return Err(TreeError {
                index: i,
                field: "parent",
                message: format!("no tabulation of the list has code {:?}", n.parent),
            });
        }
        // walk up: more steps than nodes means a cycle
        let mut code = n.parent.as_str();
        let mut steps = 0;
        while !code.is_empty() {
            if code == n.code || steps > nodes.len() {
                return Err(TreeError {
                    index: i,
                    field: "parent",
                    message: format!("{:?} is its own ancestor", n.code),
                });
            }
            code = nodes[at[code]].parent.as_str();
            steps += 1;
        }
    }
    Ok(())
}

/// What became of an InsertTabulação.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TabulationOutcome {
    /// Stored (`created`), or the idempotency key had been used and this is the first
    /// occurrence (`!created`). `workflow_item` is the queue item the tabulation put the
    /// contract in, if any.
    Recorded {
        occurrence_id: String,
        created: bool,
        contract: String,
        workflow_item: Option<String>,
    },
    /// `Resultado` is not in the campaign's tree.
    UnknownResult,
    /// No customer with that CRM id (and CPF/CNPJ, when both are given).
    CustomerNotFound,
    /// The contract given is not one of the customer's.
    ContractNotFound,
    /// The outcome sends a contract to the workflow, none was given and the customer does
    /// not have exactly one: these are theirs.
    ContractRequired { contracts: Vec<String> },
}

/// A queue item as the back office reads it: the item, the tabulation behind it, and the
/// contract's sheet (the spec's "Layout Front-End").
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct WorkflowItem {
    pub id: String,
    pub contract: String,
    pub document: String,
    pub kind: String,
    pub status: String,
    /// The analyst who changed it last (empty while [`WORKFLOW_PENDING`]).
    pub assigned_to: String,
    /// The operator's observation on the indicating tabulation (`Obs`).
    pub notes: String,
    pub version: i64,
    pub created_on: String,
    pub modified_on: String,
    /// The latest tabulation that indicated the contract.
    pub occurrence_id: String,
    pub result_code: String,
    pub result_name: String,
    /// Who tabulated it.
    pub indicated_by: String,
    pub sheet: ContractSheet,
}

/// What the portfolio holds about a contract, for the workflow screen.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ContractSheet {
    pub name: String,
    pub crm_id: String,
    /// In dialling order.
    pub phones: Vec<SheetPhone>,
    /// The customer's latest e-mail (the portal's updates come after the remessa's).
    pub email: Option<String>,
    /// The customer's latest address.
    pub address: Option<Address>,
    /// Prazo: the remessa's `prazo`, else the highest installment number known.
    pub term: Option<i64>,
    /// Parcelas pagas, a vencer, vencidas: counted from the installments when the
    /// contract has any, else the remessa's `parcelas_pagas`, `parcelas_a_vencer`,
    /// `parcelas_vencidas`.
    pub paid: Option<i64>,
    pub upcoming: Option<i64>,
    pub overdue: Option<i64>,
    /// The overdue installments (see [`installment_state`]).
    pub overdue_installments: Vec<SheetInstallment>,
    /// Valor da parcela (the remessa's).
    pub installment_value_cents: Option<i64>,
    /// Dias de atraso (the remessa's).
    pub days_late: Option<i64>,
    pub contract_status: Option<ContractStatus>,
    /// The financed vehicle: the contract's first guarantee.
    pub make: String,
    pub model: String,
    pub manufacture_year: Option<i64>,
    pub model_year: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SheetPhone {
    pub ddd: String,
    pub number: String,
    pub kind: String,
    pub score: Option<i64>,
    pub origin: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SheetInstallment {
    pub number: i64,
    pub due_date: Option<Date>,
    pub value_cents: Option<i64>,
    pub balance_cents: Option<i64>,
    pub days_late: Option<i64>,
}

/// Paid, overdue or upcoming.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstallmentState {
    Paid,
    Overdue,
    Upcoming,
}

/// How an installment counts on `today`: paid when its status says so (`P`, `PAGA`,
/// `PG`, …: starts with P); else overdue when its status says so (`V`, `VENCIDA`) or its
/// due date is before `today`; else upcoming. The date wins over an `A` (a vencer) the
/// file wrote days ago.
pub fn installment_state(status: &str, due_date: Option<Date>, today: Date) -> InstallmentState {
    let status = status.trim().to_ascii_uppercase();
    if status.starts_with('P') {
        InstallmentState::Paid
    } else if status.starts_with('V') || due_date.is_some_and(|d| d < today) {
        InstallmentState::Overdue
    } else {
        InstallmentState::Upcoming
    }
}

/// A workflow history row.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct WorkflowChange {
    pub version: i64,
    pub status: String,
    pub user_login: String,
    pub notes: String,
    /// The tabulation behind the entry (an indication), or empty (an analyst's change).
    pub occurrence_id: String,
    pub changed_on: String,
}

/// An analyst's change to a queue item.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkflowUpdate {
    /// One of [`WORKFLOW_STATUSES`].
    pub status: String,
    pub user_login: String,
    pub notes: String,
    /// The version the analyst saw; `None` applies the change whatever the version.
    pub version: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkflowUpdateOutcome {
    /// The item's new version.
    Updated(i64),
    NotFound,
    /// The item changed since the version given; this is its version now.
    Stale(i64),
}

/// Where a phone the portal sent went, per contract.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PhonePlacement {
    pub contract: String,
    pub position: i64,
    pub kind: String,
    pub score: Option<i64>,
    pub origin: String,
    /// `false`: the contract had the number; its score and type were updated if given.
    pub added: bool,
}

/// What became of a contact-data write from the portal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContactWrite<T> {
    Applied(T),
    CustomerNotFound,
    /// The contract given is not one of the customer's.
    ContractNotFound,
    /// The customer has no contract to hold a phone.
    NoContracts,
}

/// Where an e-mail or an address is in the customer's list.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ListPlacement {
    pub position: i64,
    pub origin: String,
    /// `false`: the customer had it already.
    pub added: bool,
}

/// Atualizar Proposta PAN (UC011). Money in cents; every field the portal sent is in
/// `fields` (normalised: money in cents, dates `YYYY-MM-DD`).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct NewProposal {
    pub contract: String,
    pub user_login: String,
    pub attendance_id: String,
    /// `ticketPan`.
    pub ticket: String,
    /// `Quitação`, `Parcial` or `TotaisEmAtraso`.
    pub agreement_type: String,
    pub proposed_cents: Option<i64>,
    pub installments_count: Option<i64>,
    pub down_payment_cents: Option<i64>,
    pub first_due_date: Option<Date>,
    pub fields: Map<String, Json>,
    /// `""`: none. The same key again answers the first proposal.
    pub idempotency_key: String,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Proposal {
    pub id: String,
    pub document: String,
    pub created_on: String,
    #[serde(flatten)]
    pub data: NewProposal,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProposalOutcome {
    Created(String),
    /// The idempotency key had been used: the first proposal's id.
    Existing(String),
    ContractNotFound,
}

impl Tx {
    /// Replaces a campaign's tabulation tree (ListagemTabulacoesCampanha). Occurrences
    /// keep the code and name they were recorded with.
    pub async fn replace_tabulations(
        &mut self,
        workspace: &str,
        campaign: &str,
        nodes: &[TabulationNode],
    ) -> Result<()> {
        let campaign = campaign_arg(campaign)?;
        check_tree(nodes).map_err(|e| StoreError::Invalid(e.to_string()))?;
        sqlx::query("DELETE FROM tabulation_results WHERE workspace_id = $1 AND campaign_id = $2")
            .bind(workspace)
            .bind(campaign)
            .execute(&mut *self.tx)
            .await?;
        for (i, n) in nodes.iter().enumerate() {
            sqlx::query(
                "INSERT INTO tabulation_results (workspace_id, campaign_id, code, name, parent_code, workflow_kind, cpc, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(workspace)
            .bind(campaign)
            .bind(&n.code)
            .bind(n.name.trim())
            .bind(&n.parent)
            .bind(n.workflow.map_or("", WorkflowKind::as_str))
            .bind(i64::from(n.cpc))
            .bind(i as i64 + 1)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    /// InsertTabulação (UC010): `o` names the customer by `crm_id` and/or `document`
    /// (when both, they must be the same customer), the campaign and the outcome code;
    /// the outcome's name, the customer's other key and, when the customer has one
    /// contract only, the contract are filled in. An outcome marked REFIN or EA queues
    /// the contract for the workflow (UC012). A used idempotency key answers the first
    /// occurrence before anything else is checked.
    pub async fn record_tabulation(
        &mut self,
        workspace: &str,
        mut o: NewOccurrence,
        now: &str,
    ) -> Result<TabulationOutcome> {
        o.source = source::PORTAL.into();
        if !o.idempotency_key.is_empty() {
            let existing: Option<String> = sqlx::query_scalar(
                "SELECT id FROM occurrences WHERE workspace_id = $1 AND idempotency_key = $2",
            )
            .bind(workspace)
            .bind(&o.idempotency_key)
            .fetch_optional(&mut *self.tx)
            .await?;
            if let Some(id) = existing {
                return self.recorded_before(workspace, id).await;
            }
        }
        let node = sqlx::query(
            "SELECT code, name, parent_code, workflow_kind, cpc FROM tabulation_results
             WHERE workspace_id = $1 AND campaign_id = $2 AND code = $3",
        )
        .bind(workspace)
        .bind(o.campaign_id.trim())
        .bind(o.result_code.trim())
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some(node) = node.as_ref().map(decode_node).transpose()? else {
            return Ok(TabulationOutcome::UnknownResult);
        };
        o.campaign_id = o.campaign_id.trim().into();
        o.result_code = node.code;
        o.result_name = node.name;

        let document = if o.document.trim().is_empty() {
            None
        } else {
            Some(document_arg(&o.document).map_err(BadArg::en)?)
        };
        let customer: Option<(String, String)> = match (o.crm_id.trim(), &document) {
            ("", None) => {
                return Err(StoreError::Invalid(
                    "a tabulation names the customer by CRM id or CPF/CNPJ".into(),
                ))
            }
            ("", Some(doc)) => sqlx::query_as(
                "SELECT document, crm_id FROM customers WHERE workspace_id = $1 AND document = $2",
            )
            .bind(workspace)
            .bind(doc)
            .fetch_optional(&mut *self.tx)
            .await?,
            (crm, doc) => {
                let found: Vec<(String, String)> = sqlx::query_as(
                    "SELECT document, crm_id FROM customers WHERE workspace_id = $1 AND crm_id = $2
                     ORDER BY document",
                )
                .bind(workspace)
                .bind(crm)
                .fetch_all(&mut *self.tx)
                .await?;
                match doc {
                    Some(doc) => found.into_iter().find(|(d, _)| d == doc),
                    None => found.into_iter().next(),
                }
            }
        };
        let Some((document, crm_id)) = customer else {
            return Ok(TabulationOutcome::CustomerNotFound);
        };
        o.document = document;
        o.crm_id = crm_id;

        let contracts: Vec<String> = sqlx::query_scalar(
            "SELECT contract FROM contracts WHERE workspace_id = $1 AND document = $2 ORDER BY contract",
        )
        .bind(workspace)
        .bind(&o.document)
        .fetch_all(&mut *self.tx)
        .await?;
        o.contract = o.contract.trim().into();
        if !o.contract.is_empty() {
            if !contracts.contains(&o.contract) {
                return Ok(TabulationOutcome::ContractNotFound);
            }
        } else if contracts.len() == 1 {
            o.contract = contracts[0].clone();
        } else if node.workflow.is_some() {
            return Ok(TabulationOutcome::ContractRequired { contracts });
        }

        let (id, created) = self.insert_occurrence(workspace, &o, now).await?;
        if !created {
            return self.recorded_before(workspace, id).await;
        }
        let workflow_item = match node.workflow {
            Some(kind) => Some(self.indicate(workspace, &o, &id, kind, now).await?),
            None => None,
        };
        Ok(TabulationOutcome::Recorded {
            occurrence_id: id,
            created: true,
            contract: o.contract,
            workflow_item,
        })
    }

    /// The answer to a retried tabulation: its occurrence and the queue item it fed.
    async fn recorded_before(&mut self, workspace: &str, id: String) -> Result<TabulationOutcome> {
        let contract: String = sqlx::query_scalar(
            "SELECT contract FROM occurrences WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace)
        .bind(&id)
        .fetch_one(&mut *self.tx)
        .await?;
        let workflow_item: Option<String> = sqlx::query_scalar(
            "SELECT item_id FROM workflow_history WHERE workspace_id = $1 AND occurrence_id = $2
             ORDER BY version LIMIT 1",
        )
        .bind(workspace)
        .bind(&id)
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(TabulationOutcome::Recorded {
            occurrence_id: id,
            created: false,
            contract,
            workflow_item,
        })
    }

    /// Puts the occurrence's contract in the queue, or joins the open item of the same
    /// kind the contract has. Returns the item's id.
    async fn indicate(
        &mut self,
        workspace: &str,
        o: &NewOccurrence,
        occurrence_id: &str,
        kind: WorkflowKind,
        now: &str,
    ) -> Result<String> {
        // serialises indications of one contract (a row lock on PostgreSQL; SQLite has
        // one writer anyway), so two tabulations cannot both open an item
        sqlx::query(
            "UPDATE contracts SET modified_on = modified_on WHERE workspace_id = $1 AND contract = $2",
        )
        .bind(workspace)
        .bind(&o.contract)
        .execute(&mut *self.tx)
        .await?;
        let open: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT id, status, version FROM workflow_items
             WHERE workspace_id = $1 AND contract = $2 AND kind = $3 ORDER BY id DESC",
        )
        .bind(workspace)
        .bind(&o.contract)
        .bind(kind.as_str())
        .fetch_all(&mut *self.tx)
        .await?;
        if let Some((id, status, version)) = open
            .into_iter()
            .find(|(_, status, _)| workflow_status_is_open(status))
        {
            let version = version + 1;
            sqlx::query(
                "UPDATE workflow_items SET occurrence_id = $3, notes = $4, version = $5, modified_on = $6
                 WHERE workspace_id = $1 AND id = $2",
            )
            .bind(workspace)
            .bind(&id)
            .bind(occurrence_id)
            .bind(o.notes.trim())
            .bind(version)
            .bind(now)
            .execute(&mut *self.tx)
            .await?;
            self.append_workflow_history(
                workspace,
                &id,
                version,
                &status,
                &o.user_login,
                &format!("nova indicação: {}", o.notes.trim()),
                occurrence_id,
                now,
            )
            .await?;
            return Ok(id);
        }
        let id = uuid::Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO workflow_items (workspace_id, id, contract, document, occurrence_id, kind, status,
                assigned_to, notes, version, created_on, modified_on)
             VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8, 1, $9, $9)",
        )
        .bind(workspace)
        .bind(&id)
        .bind(&o.contract)
        .bind(&o.document)
        .bind(occurrence_id)
        .bind(kind.as_str())
        .bind(WORKFLOW_PENDING)
        .bind(o.notes.trim())
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        self.append_workflow_history(
            workspace,
            &id,
            1,
            WORKFLOW_PENDING,
            &o.user_login,
            o.notes.trim(),
            occurrence_id,
            now,
        )
        .await?;
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)]
    async fn append_workflow_history(
        &mut self,
        workspace: &str,
        item: &str,
        version: i64,
        status: &str,
        user: &str,
        notes: &str,
        occurrence_id: &str,
        now: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO workflow_history (workspace_id, item_id, version, status, user_login, notes, occurrence_id, changed_on)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(workspace)
        .bind(item)
        .bind(version)
        .bind(status)
        .bind(user.trim())
        .bind(notes)
        .bind(occurrence_id)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// An analyst moves a queue item to a business status (UC012). With a version, a
    /// change made meanwhile by someone else answers [`WorkflowUpdateOutcome::Stale`].
    pub async fn update_workflow(
        &mut self,
        workspace: &str,
        id: &str,
        u: &WorkflowUpdate,
        now: &str,
    ) -> Result<WorkflowUpdateOutcome> {
        let status = workflow_status(&u.status).ok_or_else(|| {
            StoreError::Invalid(format!(
                "{:?} is not a workflow status; valid: {}",
                u.status,
                WORKFLOW_STATUSES.join(", ")
            ))
        })?;
        let current: Option<i64> = sqlx::query_scalar(
            "SELECT version FROM workflow_items WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace)
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some(current) = current else {
            return Ok(WorkflowUpdateOutcome::NotFound);
        };
        let expected = u.version.unwrap_or(current);
        // the version in the WHERE re-checks under the row lock (PostgreSQL)
        let version: Option<i64> = sqlx::query_scalar(
            "UPDATE workflow_items SET status = $3, assigned_to = $4, version = version + 1, modified_on = $5
             WHERE workspace_id = $1 AND id = $2 AND version = $6
             RETURNING version",
        )
        .bind(workspace)
        .bind(id)
        .bind(status)
        .bind(u.user_login.trim())
        .bind(now)
        .bind(expected)
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some(version) = version else {
            let now_version: i64 = sqlx::query_scalar(
                "SELECT version FROM workflow_items WHERE workspace_id = $1 AND id = $2",
            )
            .bind(workspace)
            .bind(id)
            .fetch_one(&mut *self.tx)
            .await?;
            return Ok(WorkflowUpdateOutcome::Stale(now_version));
        };
        self.append_workflow_history(
            workspace,
            id,
            version,
            status,
            &u.user_login,
            u.notes.trim(),
            "",
            now,
        )
        .await?;
        Ok(WorkflowUpdateOutcome::Updated(version))
    }

    /// InclusãoTelefone (UC010 FA002): the phone goes after the existing ones of the
    /// contract given, or of each of the customer's active contracts (all of them when
    /// none is active), with origin [`ORIGIN_PORTAL`] and its score; a contract that has
    /// the number gets the score and type updated.
    pub async fn portal_add_phone(
        &mut self,
        workspace: &str,
        document: &str,
        contract: Option<&str>,
        phone: &NewPhone,
        now: jiff::Timestamp,
        today: Date,
    ) -> Result<ContactWrite<Vec<PhonePlacement>>> {
        let Some(document) = normalize_document(document) else {
            return Ok(ContactWrite::CustomerNotFound);
        };
        let ctx = ImportContext::new(workspace, 0, today, now);
        if !self.customer_exists(&ctx, &document).await? {
            return Ok(ContactWrite::CustomerNotFound);
        }
        let contracts: Vec<(String, String)> = sqlx::query_as(
            "SELECT contract, status FROM contracts WHERE workspace_id = $1 AND document = $2 ORDER BY contract",
        )
        .bind(workspace)
        .bind(&document)
        .fetch_all(&mut *self.tx)
        .await?;
        let targets: Vec<String> = match contract.map(str::trim) {
            Some(c) => {
                if !contracts.iter().any(|(k, _)| k == c) {
                    return Ok(ContactWrite::ContractNotFound);
                }
                vec![c.to_string()]
            }
            None => {
                let active: Vec<String> = contracts
                    .iter()
                    .filter(|(_, s)| s == ContractStatus::Active.as_str())
                    .map(|(c, _)| c.clone())
                    .collect();
                if active.is_empty() {
                    contracts.into_iter().map(|(c, _)| c).collect()
                } else {
                    active
                }
            }
        };
        if targets.is_empty() {
            return Ok(ContactWrite::NoContracts);
        }
        let (ddd, number) = super::check_phone(&phone.ddd, &phone.number).map_err(BadArg::en)?;
        let mut out = Vec::with_capacity(targets.len());
        for c in targets {
            let had = self
                .phone_row(workspace, &c, &ddd, &number)
                .await?
                .is_some();
            match self
                .add_phones(&ctx, &c, std::slice::from_ref(phone), ORIGIN_PORTAL)
                .await?
            {
                Outcome::Applied => {}
                other => {
                    return Err(StoreError::Invalid(
                        other.reason().unwrap_or_default().to_string(),
                    ))
                }
            }
            let Some(mut placed) = self.phone_row(workspace, &c, &ddd, &number).await? else {
                return Err(StoreError::Corrupt {
                    what: "contract_phones".into(),
                    why: "the phone just merged is not there".into(),
                });
            };
            placed.added = !had;
            out.push(placed);
        }
        Ok(ContactWrite::Applied(out))
    }

    async fn phone_row(
        &mut self,
        workspace: &str,
        contract: &str,
        ddd: &str,
        number: &str,
    ) -> Result<Option<PhonePlacement>> {
        let row = sqlx::query(
            "SELECT position, kind, score, origin FROM contract_phones
             WHERE workspace_id = $1 AND contract = $2 AND ddd = $3 AND number = $4",
        )
        .bind(workspace)
        .bind(contract)
        .bind(ddd)
        .bind(number)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.map(|r| {
            Ok(PhonePlacement {
                contract: contract.to_string(),
                position: col(&r, "position")?,
                kind: col(&r, "kind")?,
                score: col(&r, "score")?,
                origin: col(&r, "origin")?,
                added: true,
            })
        })
        .transpose()
    }

    /// InsertEmail (UC010 FA003): added (lower-cased) after the customer's e-mails unless
    /// there already.
    pub async fn portal_add_email(
        &mut self,
        workspace: &str,
        document: &str,
        email: &str,
        now: jiff::Timestamp,
        today: Date,
    ) -> Result<ContactWrite<ListPlacement>> {
        let Some(document) = normalize_document(document) else {
            return Ok(ContactWrite::CustomerNotFound);
        };
        let email = email.trim().to_lowercase();
        let ctx = ImportContext::new(workspace, 0, today, now);
        let find = "SELECT position, origin FROM customer_emails WHERE workspace_id = $1 AND document = $2 AND email = $3";
        let had: Option<(i64, String)> = self.placement(find, workspace, &document, &email).await?;
        if let Some((position, origin)) = had {
            return Ok(ContactWrite::Applied(ListPlacement {
                position,
                origin,
                added: false,
            }));
        }
        if self
            .add_emails(&ctx, &document, std::slice::from_ref(&email), ORIGIN_PORTAL)
            .await?
            == Outcome::CustomerNotFound
        {
            return Ok(ContactWrite::CustomerNotFound);
        }
        let (position, origin): (i64, String) = self
            .placement(find, workspace, &document, &email)
            .await?
            .ok_or_else(|| StoreError::Corrupt {
                what: "customer_emails".into(),
                why: "the e-mail just added is not there".into(),
            })?;
        Ok(ContactWrite::Applied(ListPlacement {
            position,
            origin,
            added: true,
        }))
    }

    /// InsertEndereco (UC010 FA004): added after the customer's addresses unless one with
    /// the same street, number, complement and CEP is there.
    pub async fn portal_add_address(
        &mut self,
        workspace: &str,
        document: &str,
        address: &Address,
        now: jiff::Timestamp,
        today: Date,
    ) -> Result<ContactWrite<ListPlacement>> {
        let Some(document) = normalize_document(document) else {
            return Ok(ContactWrite::CustomerNotFound);
        };
        let key = super::contact_data::address_key(address);
        let ctx = ImportContext::new(workspace, 0, today, now);
        let find = "SELECT position, origin FROM customer_addresses WHERE workspace_id = $1 AND document = $2 AND address_key = $3";
        let had: Option<(i64, String)> = self.placement(find, workspace, &document, &key).await?;
        if let Some((position, origin)) = had {
            return Ok(ContactWrite::Applied(ListPlacement {
                position,
                origin,
                added: false,
            }));
        }
        if self
            .add_addresses(
                &ctx,
                &document,
                std::slice::from_ref(address),
                ORIGIN_PORTAL,
            )
            .await?
            == Outcome::CustomerNotFound
        {
            return Ok(ContactWrite::CustomerNotFound);
        }
        let placed: Option<(i64, String)> =
            self.placement(find, workspace, &document, &key).await?;
        let Some((position, origin)) = placed else {
            return Err(StoreError::Invalid(
                "an address needs a street or a CEP".into(),
            ));
        };
        Ok(ContactWrite::Applied(ListPlacement {
            position,
            origin,
            added: true,
        }))
    }

    /// Where an e-mail or address (`find` selects `position, origin` by workspace,
    /// document and key) sits in the customer's list, if it is there.
    async fn placement(
        &mut self,
        find: &'static str,
        workspace: &str,
        document: &str,
        key: &str,
    ) -> Result<Option<(i64, String)>> {
        Ok(sqlx::query_as(find)
            .bind(workspace)
            .bind(document)
            .bind(key)
            .fetch_optional(&mut *self.tx)
            .await?)
    }

    /// Atualizar Proposta PAN (UC011): stores the proposal on its contract.
    pub async fn insert_proposal(
        &mut self,
        workspace: &str,
        p: &NewProposal,
        now: &str,
    ) -> Result<ProposalOutcome> {
        let contract = super::contract_arg(&p.contract).map_err(BadArg::en)?;
        let find_key = "SELECT id FROM proposals WHERE workspace_id = $1 AND idempotency_key = $2";
        if !p.idempotency_key.is_empty() {
            let existing: Option<String> = sqlx::query_scalar(find_key)
                .bind(workspace)
                .bind(&p.idempotency_key)
                .fetch_optional(&mut *self.tx)
                .await?;
            if let Some(id) = existing {
                return Ok(ProposalOutcome::Existing(id));
            }
        }
        let document: Option<String> = sqlx::query_scalar(
            "SELECT document FROM contracts WHERE workspace_id = $1 AND contract = $2",
        )
        .bind(workspace)
        .bind(contract)
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some(document) = document else {
            return Ok(ProposalOutcome::ContractNotFound);
        };
        let id = uuid::Uuid::now_v7().to_string();
        let fields =
            serde_json::to_string(&p.fields).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let inserted = sqlx::query(
            "INSERT INTO proposals (workspace_id, id, contract, document, attendance_id, ticket, user_login,
                agreement_type, proposed_cents, installments_count, down_payment_cents, first_due_date,
                fields, idempotency_key, created_on)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             ON CONFLICT (workspace_id, idempotency_key) WHERE idempotency_key <> '' DO NOTHING",
        )
        .bind(workspace)
        .bind(&id)
        .bind(contract)
        .bind(&document)
        .bind(p.attendance_id.trim())
        .bind(p.ticket.trim())
        .bind(p.user_login.trim())
        .bind(&p.agreement_type)
        .bind(p.proposed_cents)
        .bind(p.installments_count)
        .bind(p.down_payment_cents)
        .bind(p.first_due_date.map(date_text))
        .bind(fields)
        .bind(&p.idempotency_key)
        .bind(now)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            let id: String = sqlx::query_scalar(find_key)
                .bind(workspace)
                .bind(&p.idempotency_key)
                .fetch_one(&mut *self.tx)
                .await?;
            return Ok(ProposalOutcome::Existing(id));
        }
        Ok(ProposalOutcome::Created(id))
    }
}

impl Store {
    /// A campaign's tabulation tree, in the order it was given.
    pub async fn tabulations(
        &self,
        workspace: &str,
        campaign: &str,
    ) -> Result<Vec<TabulationNode>> {
        let rows = sqlx::query(
            "SELECT code, name, parent_code, workflow_kind, cpc FROM tabulation_results
             WHERE workspace_id = $1 AND campaign_id = $2 ORDER BY position",
        )
        .bind(workspace)
        .bind(campaign.trim())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode_node).collect()
    }

    /// The queue, oldest first: items in `status` (any when `None`) after the item `after`
    /// (a cursor: the last id of the previous page), at most `limit`. `today` decides
    /// which installments are overdue.
    pub async fn workflow_items(
        &self,
        workspace: &str,
        status: Option<&str>,
        after: Option<&str>,
        limit: i64,
        today: Date,
    ) -> Result<Vec<WorkflowItem>> {
        let mut sql = String::from(
            "SELECT w.id, w.contract, w.document, w.kind, w.status, w.assigned_to, w.notes, w.version,
                w.created_on, w.modified_on, w.occurrence_id,
                COALESCE(o.result_code, '') AS result_code, COALESCE(o.result_name, '') AS result_name,
                COALESCE(o.user_login, '') AS indicated_by
             FROM workflow_items w
             LEFT JOIN occurrences o ON o.workspace_id = w.workspace_id AND o.id = w.occurrence_id
             WHERE w.workspace_id = $1",
        );
        let mut n = 1;
        if status.is_some() {
            n += 1;
            sql.push_str(&format!(" AND w.status = ${n}"));
        }
        if after.is_some() {
            n += 1;
            sql.push_str(&format!(" AND w.id > ${n}"));
        }
        sql.push_str(&format!(" ORDER BY w.id LIMIT ${}", n + 1));
        let mut tx = self.read_snapshot().await?;
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(workspace);
        if let Some(s) = status {
            q = q.bind(s);
        }
        if let Some(a) = after {
            q = q.bind(a);
        }
        let rows = q.bind(limit).fetch_all(&mut *tx).await?;
        let mut items = rows.iter().map(decode_item).collect::<Result<Vec<_>>>()?;
        self.fill_sheets(&mut tx, workspace, &mut items, today)
            .await?;
        tx.rollback().await?;
        Ok(items)
    }

    /// One queue item and its history (oldest first).
    pub async fn workflow_item(
        &self,
        workspace: &str,
        id: &str,
        today: Date,
    ) -> Result<Option<(WorkflowItem, Vec<WorkflowChange>)>> {
        let mut tx = self.read_snapshot().await?;
        let row = sqlx::query(
            "SELECT w.id, w.contract, w.document, w.kind, w.status, w.assigned_to, w.notes, w.version,
                w.created_on, w.modified_on, w.occurrence_id,
                COALESCE(o.result_code, '') AS result_code, COALESCE(o.result_name, '') AS result_name,
                COALESCE(o.user_login, '') AS indicated_by
             FROM workflow_items w
             LEFT JOIN occurrences o ON o.workspace_id = w.workspace_id AND o.id = w.occurrence_id
             WHERE w.workspace_id = $1 AND w.id = $2",
        )
        .bind(workspace)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut items = vec![decode_item(&row)?];
        self.fill_sheets(&mut tx, workspace, &mut items, today)
            .await?;
        let history = sqlx::query(
            "SELECT version, status, user_login, notes, occurrence_id, changed_on FROM workflow_history
             WHERE workspace_id = $1 AND item_id = $2 ORDER BY version",
        )
        .bind(workspace)
        .bind(id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| {
            Ok(WorkflowChange {
                version: col(r, "version")?,
                status: col(r, "status")?,
                user_login: col(r, "user_login")?,
                notes: col(r, "notes")?,
                occurrence_id: col(r, "occurrence_id")?,
                changed_on: col(r, "changed_on")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        tx.rollback().await?;
        Ok(items.pop().map(|i| (i, history)))
    }

    /// A contract's proposals, oldest first.
    pub async fn proposals_of(&self, workspace: &str, contract: &str) -> Result<Vec<Proposal>> {
        let rows = sqlx::query(
            "SELECT * FROM proposals WHERE workspace_id = $1 AND contract = $2 ORDER BY created_on, id",
        )
        .bind(workspace)
        .bind(contract.trim())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let fields: String = col(r, "fields")?;
                let due: Option<String> = col(r, "first_due_date")?;
                Ok(Proposal {
                    id: col(r, "id")?,
                    document: col(r, "document")?,
                    created_on: col(r, "created_on")?,
                    data: NewProposal {
                        contract: col(r, "contract")?,
                        user_login: col(r, "user_login")?,
                        attendance_id: col(r, "attendance_id")?,
                        ticket: col(r, "ticket")?,
                        agreement_type: col(r, "agreement_type")?,
                        proposed_cents: col(r, "proposed_cents")?,
                        installments_count: col(r, "installments_count")?,
                        down_payment_cents: col(r, "down_payment_cents")?,
                        first_due_date: due
                            .map(|d| super::parse_date("proposals.first_due_date", &d))
                            .transpose()?,
                        fields: super::parse_extra("proposals.fields", &fields)?,
                        idempotency_key: col(r, "idempotency_key")?,
                    },
                })
            })
            .collect()
    }

    /// A read-only transaction; on PostgreSQL one snapshot for all its queries.
    async fn read_snapshot(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            (&mut *tx)
                .execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .await?;
        }
        Ok(tx)
    }

    /// Reads the sheets of the items' contracts: one query per table for the whole page.
    async fn fill_sheets(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        workspace: &str,
        items: &mut [WorkflowItem],
        today: Date,
    ) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let mut contracts: Vec<String> = items.iter().map(|i| i.contract.clone()).collect();
        contracts.sort();
        contracts.dedup();
        let mut documents: Vec<String> = items.iter().map(|i| i.document.clone()).collect();
        documents.sort();
        documents.dedup();
        let backend = self.backend;
        // `SELECT … WHERE workspace_id = ? AND <key> IN (…)`, bound in that order
        let by = |sql: &str, keys: &[String]| {
            let mut p = Params::new(backend);
            let ws = p.next();
            let list = p.list(keys.len());
            let text = sql.replace("{ws}", &ws).replace("{keys}", &list);
            let mut q = sqlx::query(sqlx::AssertSqlSafe(text)).bind(workspace.to_string());
            for k in keys {
                q = q.bind(k.clone());
            }
            q
        };
        let mut sheets: HashMap<String, ContractSheet> = HashMap::new();
        let mut extras: HashMap<String, Map<String, Json>> = HashMap::new();
        for r in by(
            "SELECT c.contract, c.days_late, c.installment_value_cents, c.status, c.extra, cu.name, cu.crm_id
             FROM contracts c JOIN customers cu ON cu.workspace_id = c.workspace_id AND cu.document = c.document
             WHERE c.workspace_id = {ws} AND c.contract IN ({keys})",
            &contracts,
        )
        .fetch_all(&mut **tx)
        .await?
        {
            let contract: String = col(&r, "contract")?;
            let status: String = col(&r, "status")?;
            let extra: String = col(&r, "extra")?;
            extras.insert(
                contract.clone(),
                super::parse_extra("contracts.extra", &extra)?,
            );
            sheets.insert(
                contract,
                ContractSheet {
                    name: col(&r, "name")?,
                    crm_id: col(&r, "crm_id")?,
                    days_late: col(&r, "days_late")?,
                    installment_value_cents: col(&r, "installment_value_cents")?,
                    contract_status: ContractStatus::parse(&status),
                    ..ContractSheet::default()
                },
            );
        }
        for r in by(
            "SELECT contract, ddd, number, kind, score, origin FROM contract_phones
             WHERE workspace_id = {ws} AND contract IN ({keys}) ORDER BY contract, position",
            &contracts,
        )
        .fetch_all(&mut **tx)
        .await?
        {
            let contract: String = col(&r, "contract")?;
            if let Some(s) = sheets.get_mut(&contract) {
                s.phones.push(SheetPhone {
                    ddd: col(&r, "ddd")?,
                    number: col(&r, "number")?,
                    kind: col(&r, "kind")?,
                    score: col(&r, "score")?,
                    origin: col(&r, "origin")?,
                });
            }
        }
        let mut counted: HashMap<String, (i64, i64, i64, i64)> = HashMap::new();
        for r in by(
            "SELECT contract, number, due_date, value_cents, balance_cents, days_late, status FROM installments
             WHERE workspace_id = {ws} AND contract IN ({keys}) ORDER BY contract, number",
            &contracts,
        )
        .fetch_all(&mut **tx)
        .await?
        {
            let contract: String = col(&r, "contract")?;
            let due: Option<String> = col(&r, "due_date")?;
            let due = due
                .map(|d| super::parse_date("installments.due_date", &d))
                .transpose()?;
            let status: String = col(&r, "status")?;
            let number: i64 = col(&r, "number")?;
            let c = counted.entry(contract.clone()).or_default();
            c.3 = c.3.max(number);
            match installment_state(&status, due, today) {
                InstallmentState::Paid => c.0 += 1,
                InstallmentState::Upcoming => c.1 += 1,
                InstallmentState::Overdue => {
                    c.2 += 1;
                    if let Some(s) = sheets.get_mut(&contract) {
                        s.overdue_installments.push(SheetInstallment {
                            number,
                            due_date: due,
                            value_cents: col(&r, "value_cents")?,
                            balance_cents: col(&r, "balance_cents")?,
                            days_late: col(&r, "days_late")?,
                        });
                    }
                }
            }
        }
        for r in by(
            "SELECT contract, make, model, manufacture_year, model_year FROM guarantees
             WHERE workspace_id = {ws} AND contract IN ({keys}) ORDER BY contract, seq",
            &contracts,
        )
        .fetch_all(&mut **tx)
        .await?
        {
            let contract: String = col(&r, "contract")?;
            if let Some(s) = sheets.get_mut(&contract) {
                if s.make.is_empty() && s.model.is_empty() {
                    s.make = col(&r, "make")?;
                    s.model = col(&r, "model")?;
                    s.manufacture_year = col(&r, "manufacture_year")?;
                    s.model_year = col(&r, "model_year")?;
                }
            }
        }
        let mut emails: HashMap<String, String> = HashMap::new();
        for r in by(
            "SELECT document, email FROM customer_emails
             WHERE workspace_id = {ws} AND document IN ({keys}) ORDER BY document, position",
            &documents,
        )
        .fetch_all(&mut **tx)
        .await?
        {
            // the last one wins: the newest
            emails.insert(col(&r, "document")?, col(&r, "email")?);
        }
        let mut addresses: HashMap<String, Address> = HashMap::new();
        for r in by(
            "SELECT document, kind, street, number, complement, district, city, state, zip FROM customer_addresses
             WHERE workspace_id = {ws} AND document IN ({keys}) ORDER BY document, position",
            &documents,
        )
        .fetch_all(&mut **tx)
        .await?
        {
            addresses.insert(
                col(&r, "document")?,
                Address {
                    kind: col(&r, "kind")?,
                    street: col(&r, "street")?,
                    number: col(&r, "number")?,
                    complement: col(&r, "complement")?,
                    district: col(&r, "district")?,
                    city: col(&r, "city")?,
                    state: col(&r, "state")?,
                    zip: col(&r, "zip")?,
                },
            );
        }
        for item in items.iter_mut() {
            let mut sheet = sheets.get(&item.contract).cloned().unwrap_or_default();
            let extra = extras.get(&item.contract);
            let from_extra = |key: &str| extra.and_then(|e| e.get(key)).and_then(json_int);
            match counted.get(&item.contract) {
                Some(&(paid, upcoming, overdue, highest)) => {
                    sheet.paid = Some(paid);
                    sheet.upcoming = Some(upcoming);
                    sheet.overdue = Some(overdue);
                    sheet.term = from_extra("prazo").or(Some(highest));
                }
                None => {
                    sheet.paid = from_extra("parcelas_pagas");
                    sheet.upcoming = from_extra("parcelas_a_vencer");
                    sheet.overdue = from_extra("parcelas_vencidas");
                    sheet.term = from_extra("prazo");
                }
            }
            sheet.email = emails.get(&item.document).cloned();
            sheet.address = addresses.get(&item.document).cloned();
            item.sheet = sheet;
        }
        Ok(())
    }
}

/// An integer kept in a contract's `extra` (a number, or digits as text).
fn json_int(v: &Json) -> Option<i64> {
    match v {
        Json::Number(n) => n.as_i64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn campaign_arg(campaign: &str) -> Result<&str> {
    let c = campaign.trim();
    if c.is_empty() {
        return Err(StoreError::Invalid("empty campaign id".into()));
    }
    Ok(c)
}

fn decode_node(r: &AnyRow) -> Result<TabulationNode> {
    let kind: String = col(r, "workflow_kind")?;
    let cpc: i64 = col(r, "cpc")?;
    Ok(TabulationNode {
        code: col(r, "code")?,
        name: col(r, "name")?,
        parent: col(r, "parent_code")?,
        workflow: WorkflowKind::parse(&kind),
        cpc: cpc != 0,
    })
}

fn decode_item(r: &AnyRow) -> Result<WorkflowItem> {
    Ok(WorkflowItem {
        id: col(r, "id")?,
        contract: col(r, "contract")?,
        document: col(r, "document")?,
        kind: col(r, "kind")?,
        status: col(r, "status")?,
        assigned_to: col(r, "assigned_to")?,
        notes: col(r, "notes")?,
        version: col(r, "version")?,
        created_on: col(r, "created_on")?,
        modified_on: col(r, "modified_on")?,
        occurrence_id: col(r, "occurrence_id")?,
        result_code: r.try_get("result_code").unwrap_or_default(),
        result_name: r.try_get("result_name").unwrap_or_default(),
        indicated_by: r.try_get("indicated_by").unwrap_or_default(),
        sheet: ContractSheet::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(code: &str, parent: &str) -> TabulationNode {
        TabulationNode {
            code: code.into(),
            name: format!("n{code}"),
            parent: parent.into(),
            ..TabulationNode::default()
        }
    }

    #[test]
    fn trees_are_checked() {
        assert!(check_tree(&[node("1", ""), node("2", "1"), node("3", "2")]).is_ok());
        let e = check_tree(&[node("1", ""), node("1", "")]).unwrap_err();
        assert_eq!((e.index, e.field), (1, "code"));
        let e = check_tree(&[node("1", ""), node("2", "9")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "tabulations[1].parent: no tabulation of the list has code \"9\""
        );
        let e = check_tree(&[node("1", "2"), node("2", "1")]).unwrap_err();
        assert_eq!((e.index, e.field), (0, "parent"));
        let e = check_tree(&[node("1", "1")]).unwrap_err();
        assert_eq!((e.index, e.field), (0, "parent"));
        let mut blank = node("", "");
        blank.code = " ".into();
        assert_eq!(check_tree(&[blank]).unwrap_err().field, "code");
    }

    #[test]
    fn statuses_match_loosely() {
        assert_eq!(
            workflow_status("sem condicoes de pagamento – obito/falecimento"),
            Some("Sem condições de Pagamento - Óbito/Falecimento")
        );
        assert_eq!(
            workflow_status("  Acordo   realizado "),
            Some("Acordo Realizado")
        );
        assert_eq!(workflow_status("Pendente"), None);
        assert_eq!(workflow_status("Acordo"), None);
        assert!(workflow_status_is_open(WORKFLOW_PENDING));
        assert!(!workflow_status_is_open("Acordo Realizado"));
        assert_eq!(
            WorkflowKind::from_outcome_name("INDICAÇÃO AO REFINANCIAMENTO"),
            Some(WorkflowKind::Refin)
        );
        assert_eq!(
            WorkflowKind::from_outcome_name("Indicacao de EA"),
            Some(WorkflowKind::Ea)
        );
        assert_eq!(WorkflowKind::from_outcome_name("Acordo"), None);
    }

    #[test]
    fn installments_count_by_status_then_date() {
        let today = jiff::civil::date(2024, 5, 10);
        let before = Some(jiff::civil::date(2024, 5, 9));
        let after = Some(jiff::civil::date(2024, 5, 11));
        assert_eq!(
            installment_state("P", before, today),
            InstallmentState::Paid
        );
        assert_eq!(
            installment_state("PAGA", None, today),
            InstallmentState::Paid
        );
        assert_eq!(
            installment_state("A", before, today),
            InstallmentState::Overdue
        );
        assert_eq!(
            installment_state("V", after, today),
            InstallmentState::Overdue
        );
        assert_eq!(
            installment_state("A", after, today),
            InstallmentState::Upcoming
        );
        assert_eq!(
            installment_state("", Some(today), today),
            InstallmentState::Upcoming
        );
    }
}
