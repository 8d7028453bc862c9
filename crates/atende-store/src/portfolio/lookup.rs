//! The customer's record as bots, the IVR and agents read it (UC009, the "ficha"): one
//! statement of indexed subqueries, so one snapshot and one round trip whatever the
//! number of contracts, installments or occurrences. The HTTP lookup serialises
//! [`CustomerView`] as it is, so its field names are the API's JSON keys;
//! `crates/atende-server/src/http/collections/lookup.rs` documents how they map to the
//! spec's domain map.
//!
//! Speed (target p99 ≤ 5 ms on SQLite for 10 contracts, 480 installments and 200
//! occurrences; `benches/lookup.rs`): sqlx copies every value of every row twice on
//! SQLite (the row, then the `Any` row) and every statement is a round trip to the
//! connection's thread, so a query per table and a row per record cost ~9 ms of CPU. The
//! statement answers instead one row holding one JSON array per table, built by the
//! database ([`Dialect`], the one place where the lookup speaks each backend's dialect)
//! and decoded by serde (~3 ms); stored JSON (`extra`) is passed through as [`RawJson`]
//! instead of being rebuilt as a map and written out again. Occurrences (35 % of the
//! benchmark's 406 KB) are neither built nor decoded: each keeps, from when it was
//! recorded, its history entry as JSON text (`occurrences.entry`, with its local date and
//! time), which the statement concatenates and the view keeps as is ([`Occurrences`]),
//! with the few fields the rest of the record needs beside it (building them in SQL was
//! a sixth of a lookup's instructions). Installments (40 %) and contracts come as arrays
//! of values without keys, their stored `extra` copied as is ([`Dialect::row_list`]):
//! building objects, SQLite parsed every stored `extra` again (a contract's is ~4 KB),
//! and the keys made the text a third longer. Counted by callgrind, a lookup is ~18 M
//! instructions (24.6 M before occurrences kept their entry and contracts came as
//! arrays), about half in SQLite; the rest is mostly serde scanning the raw JSON it
//! keeps. A token check is answered from memory ([`crate::tokens::TOKEN_CACHE_TTL`]).

use std::collections::HashMap;

use jiff::civil::Date;
use serde_json::value::RawValue;
use serde_json::Value as Json;
use sqlx::any::AnyRow;

use super::{
    normalize_document, Address, Agreement, ChannelType, ContractStatus, Guarantee, RefinOffer,
    MARK_WHATSAPP, ORIGIN_ENRICHMENT,
};
use crate::{col, Backend, Result, Store, StoreError};

/// Stored JSON, kept as its text: read without building a map, written out as is.
#[derive(Clone, Debug)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The value, parsed.
    pub fn parse(&self) -> Json {
        serde_json::from_str(self.0.get()).unwrap_or(Json::Null)
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &RawJson) -> bool {
        self.get() == other.get()
    }
}

impl serde::Serialize for RawJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for RawJson {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Box::<RawValue>::deserialize(d).map(RawJson)
    }
}

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
    pub occurrences: Occurrences,
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
    /// The remittance's other fields (a JSON object).
    pub extra: RawJson,
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
    pub installments: Installments,
    pub guarantees: Vec<Guarantee>,
    pub refin: Vec<RefinOffer>,
    /// By agreement and installment.
    pub agreements: Vec<Agreement>,
}

/// Records each kept as the JSON text of a `T`: written out as read, so only scanned,
/// never decoded field by field (the occurrences are 35 % of the benchmark's 406 KB
/// record); [`RawList::rows`] decodes them when wanted.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(transparent)]
pub struct RawList<T> {
    items: Vec<RawJson>,
    #[serde(skip)]
    of: std::marker::PhantomData<fn() -> T>,
}

impl<T> Default for RawList<T> {
    fn default() -> Self {
        RawList {
            items: Vec::new(),
            of: std::marker::PhantomData,
        }
    }
}

impl<T: serde::de::DeserializeOwned> RawList<T> {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The records, decoded.
    pub fn rows(&self) -> Result<Vec<T>> {
        self.items
            .iter()
            .map(|raw| parse_json(raw.get(), std::any::type_name::<T>()))
            .collect()
    }

    fn push(&mut self, raw: RawJson) {
        self.items.push(raw);
    }
}

/// A contract's installments, by number.
pub type Installments = Vec<InstallmentView>;

/// An installment (the parcelas file's fields, R005), as stored.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InstallmentView {
    pub number: i64,
    pub due_date: Option<Date>,
    pub value_cents: Option<i64>,
    /// Updated amount due, when the file gives it.
    pub balance_cents: Option<i64>,
    pub days_late: Option<i64>,
    /// As the file names it (`ABERTA`, `PAGA`, …).
    pub status: String,
    /// The file's other fields.
    pub extra: RawJson,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FinancedAsset {
    pub make: String,
    pub model: String,
    pub manufacture_year: Option<i64>,
    pub model_year: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StatusChange {
    pub status: ContractStatus,
    pub since: Date,
    pub reason: String,
    pub run_id: Option<i64>,
    pub changed_on: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredAddress {
    #[serde(flatten)]
    pub address: Address,
    pub origin: String,
    pub position: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Email {
    pub email: String,
    pub origin: String,
    pub position: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// The customer's occurrences, newest first ([`RawList`]), with the few fields the
/// record's other parts are derived from.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[serde(transparent)]
pub struct Occurrences {
    list: RawList<OccurrenceEntry>,
    #[serde(skip)]
    heads: Vec<OccurrenceHead>,
}

impl std::ops::Deref for Occurrences {
    type Target = RawList<OccurrenceEntry>;
    fn deref(&self) -> &RawList<OccurrenceEntry> {
        &self.list
    }
}

/// What the rest of the record reads of an occurrence.
#[derive(Clone, Debug, PartialEq)]
struct OccurrenceHead {
    id: String,
    created_on: String,
    contract: String,
    boleto_sent_by: String,
}

/// An occurrence (tabulation) as the history shows it: the stored record (see
/// [`super::NewOccurrence`] for the fields) plus its local date and time. Written once,
/// when the occurrence is recorded ([`occurrence_entry`], kept in `occurrences.entry`),
/// and copied as text by every lookup after.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OccurrenceEntry {
    /// Data Cadastro (`YYYY-MM-DD`) and Horário (`HH:MM:SS`), in the workspace's time
    /// zone when it was recorded (`created_on` is UTC).
    pub date: String,
    pub time: String,
    pub id: String,
    pub created_on: String,
    pub crm_id: String,
    pub contract: String,
    pub campaign_id: String,
    /// Ocorrência: the result's code in the campaign's tree and its name.
    pub result_code: String,
    pub result_name: String,
    /// Número Discado.
    pub phone_worked: String,
    /// Telefone Agendado, and when.
    pub scheduled_phone: String,
    pub scheduled_for: Option<String>,
    /// Parcela(s) negociada(s).
    pub installments: String,
    /// Usuário cadastro.
    pub user_login: String,
    /// idTipoCanal: 1, 2, 3 or 5 (`None` when not given).
    pub channel_type: Option<i64>,
    /// idTipoCanal's name: `TELEFONE`, `EMAIL`, `SMS`, `WHATSAPP` (`""` when not given).
    pub channel: String,
    pub notes: String,
    pub attendance_id: String,
    pub protocol: String,
    pub ticket_id: String,
    pub attendance_started_on: Option<String>,
    /// How a boleto went out (`""`: none).
    pub boleto_sent_by: String,
    /// Who recorded it ([`super::occurrence_source`]).
    pub source: String,
    pub extra: RawJson,
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
    pub payload: RawJson,
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
    pub fields: RawJson,
    pub created_on: String,
}

/// The SQL of the whole record in one statement, whose snapshot is the answer's (one
/// statement reads one snapshot on both backends, so no transaction is needed). One
/// row: the customer's columns, then one JSON array per child table built by the
/// database (see [`Dialect`]). `document` is the SQL of the customer's document (`$2`, or
/// a subquery on the CRM id `$2`); `$1` is the workspace.
///
/// Child rows of contracts are selected with `IN` so that both planners go from the
/// customer's contracts to the child table's primary key (as a join, SQLite without
/// statistics would rather scan the child table). The arrays come in no particular order
/// and are sorted after decoding: an `ORDER BY` in the aggregate makes SQLite copy every
/// object through a sorter, dearer than sorting the decoded rows.
fn lookup_sql(backend: Backend, document: &str) -> String {
    let d = Dialect(backend);
    let of_contracts = "t.workspace_id = $1 AND t.contract IN \
        (SELECT k.contract FROM contracts k WHERE k.workspace_id = $1 AND k.document = c.document)";
    let of_customer = "t.workspace_id = $1 AND t.document = c.document";
    let col = |name: &str| (name.to_string(), format!("t.{name}"));
    let cols = |names: &[&str]| names.iter().map(|n| col(n)).collect::<Vec<_>>();
    let with_extra = |names: &[&str]| {
        let mut v = cols(names);
        v.push(("extra".into(), d.json("t.extra")));
        v
    };
    // a contract's `extra` (the remessa's other fields, ~4 KB each) is copied as stored:
    // json() parsed and wrote it out again
    let contracts = d.row_list(
        &[
            "t.contract",
            "t.portfolio",
            "t.product",
            "t.days_late",
            "t.installment_value_cents",
            "t.status",
            "t.status_since",
            "t.created_on",
            "t.modified_on",
        ],
        "t.extra",
        &format!("contracts t WHERE {of_customer}"),
    );
    let status_history = d.list(
        &d.array(&[
            "t.contract".into(),
            "t.version".into(),
            d.object(&[
                col("status"),
                ("since".into(), "t.status_since".into()),
                col("reason"),
                col("run_id"),
                col("changed_on"),
            ]),
        ]),
        &format!("contract_status_history t WHERE {of_contracts}"),
    );
    let phones = d.list(
        &d.array(&[
            "t.contract".into(),
            d.object(&cols(&[
                "ddd", "number", "kind", "score", "origin", "position",
            ])),
        ]),
        &format!("contract_phones t WHERE {of_contracts}"),
    );
    let installments = d.row_list(
        &[
            "t.contract",
            "t.number",
            "t.due_date",
            "t.value_cents",
            "t.balance_cents",
            "t.days_late",
            "t.status",
        ],
        "t.extra",
        &format!("installments t WHERE {of_contracts}"),
    );
    let guarantees = d.list(
        &d.object(&with_extra(&[
            "contract",
            "seq",
            "kind",
            "make",
            "model",
            "manufacture_year",
            "model_year",
            "plate",
            "chassis",
            "renavam",
            "color",
        ])),
        &format!("guarantees t WHERE {of_contracts}"),
    );
    let refin = d.list(
        &d.array(&[
            "t.seq".into(),
            d.object(&with_extra(&[
                "contract",
                "delay_band",
                "collection",
                "overdue_installments",
                "upcoming_installments",
                "open_installments",
                "original_plan",
                "original_installment_cents",
                "down_payment_cents",
                "refin_plan",
                "refin_installments",
                "refin_installment_cents",
                "total_refinanced_cents",
                "monthly_interest",
                "annual_cet",
                "first_due_date",
                "last_due_date",
                "agency",
                "priority",
            ])),
        ]),
        &format!("refin_offers t WHERE {of_contracts}"),
    );
    let agreements = d.list(
        &d.array(&[
            "t.created_on".into(),
            d.object(&with_extra(&[
                "contract",
                "agreement_no",
                "installment_no",
                "document",
                "due_date",
                "amount_cents",
                "total_debt_cents",
                "written_off_on",
                "reason",
            ])),
        ]),
        &format!("agreements t WHERE {of_contracts}"),
    );
    // the other work items' data: `fields` and `payload` are kept as text (a body that
    // was not JSON must not fail the lookup) and parsed after
    let proposal = d.one(
        &d.object(&cols(&[
            "id",
            "contract",
            "attendance_id",
            "ticket",
            "user_login",
            "agreement_type",
            "proposed_cents",
            "installments_count",
            "down_payment_cents",
            "first_due_date",
            "fields",
            "created_on",
        ])),
        &format!("proposals t WHERE {of_contracts} ORDER BY t.created_on DESC, t.id DESC LIMIT 1"),
    );
    let addresses = d.list(
        &d.object(&cols(&[
            "kind",
            "street",
            "number",
            "complement",
            "district",
            "city",
            "state",
            "zip",
            "origin",
            "position",
        ])),
        &format!("customer_addresses t WHERE {of_customer}"),
    );
    let emails = d.list(
        &d.object(&cols(&["email", "origin", "position"])),
        &format!("customer_emails t WHERE {of_customer}"),
    );
    let mut mass = cols(&[
        "id",
        "kind",
        "address",
        "protocol",
        "sent_on",
        "message",
        "journey",
        "result",
        "run_id",
        "created_on",
    ]);
    mass.push(("contract".into(), "NULLIF(t.contract, '')".into()));
    let mass_actions = d.list(
        &d.object(&mass),
        &format!("mass_actions t WHERE {of_customer}"),
    );
    // occurrences recorded before `entry` existed: an OccurrenceEntry but its local date
    // and time (added in Rust, the database knows no time zones)
    let mut occurrence = cols(&[
        "id",
        "created_on",
        "crm_id",
        "contract",
        "campaign_id",
        "result_code",
        "result_name",
        "phone_worked",
        "scheduled_phone",
        "scheduled_for",
        "installments",
        "user_login",
    ]);
    let (channel_type, channel) = channel_sql("t.channel_type");
    occurrence.push(("channel_type".into(), channel_type));
    occurrence.push(("channel".into(), channel));
    occurrence.extend(cols(&[
        "notes",
        "attendance_id",
        "protocol",
        "ticket_id",
        "attendance_started_on",
        "boleto_sent_by",
        "source",
    ]));
    occurrence.push(("extra".into(), d.json("t.extra")));
    let occurrences = d.row_list(
        &[
            "t.created_on",
            "t.id",
            "t.contract",
            "t.boleto_sent_by",
            "CASE WHEN t.entry <> '' THEN 1 ELSE 0 END",
        ],
        &format!(
            "CASE WHEN t.entry <> '' THEN t.entry ELSE {} END",
            d.text(&d.object(&occurrence))
        ),
        &format!("occurrences t WHERE {of_customer}"),
    );
    let omni_events = d.list(
        &d.object(&cols(&[
            "event_key",
            "webhook_type",
            "event_id",
            "attendance_id",
            "matched_by",
            "contract",
            "occurrence_id",
            "received_on",
            "payload",
        ])),
        &format!("omni_events t WHERE {of_customer}"),
    );
    format!(
        "SELECT c.document, c.person_type, c.name, c.crm_id, c.created_on, c.modified_on, w.environment,
            {contracts} AS contracts, {status_history} AS status_history, {phones} AS phones,
            {installments} AS installments, {guarantees} AS guarantees, {refin} AS refin,
            {agreements} AS agreements, {proposal} AS proposal, {addresses} AS addresses,
            {emails} AS emails, {mass_actions} AS mass_actions, {occurrences} AS occurrences,
            {omni_events} AS omni_events
         FROM customers c JOIN workspaces w ON w.id = c.workspace_id
         WHERE c.workspace_id = $1 AND c.document = {document}"
    )
}

/// The JSON functions of each backend: the one place the lookup speaks two dialects.
struct Dialect(Backend);

impl Dialect {
    /// An object of `(key, SQL expression)` pairs.
    fn object(&self, pairs: &[(String, String)]) -> String {
        let args: Vec<String> = pairs.iter().map(|(k, v)| format!("'{k}', {v}")).collect();
        match self.0 {
            Backend::Sqlite => format!("json_object({})", args.join(", ")),
            Backend::Postgres => format!("json_build_object({})", args.join(", ")),
        }
    }

    /// An array of SQL expressions.
    fn array(&self, items: &[String]) -> String {
        match self.0 {
            Backend::Sqlite => format!("json_array({})", items.join(", ")),
            Backend::Postgres => format!("json_build_array({})", items.join(", ")),
        }
    }

    /// A column holding JSON text, embedded as JSON.
    fn json(&self, expr: &str) -> String {
        match self.0 {
            Backend::Sqlite => format!("json({expr})"),
            Backend::Postgres => format!("CAST({expr} AS JSON)"),
        }
    }

    /// The text of the JSON array of `item` over the rows of `from` (`[]` for none).
    fn list(&self, item: &str, from: &str) -> String {
        match self.0 {
            Backend::Sqlite => format!("(SELECT json_group_array({item}) FROM {from})"),
            Backend::Postgres => {
                format!("(SELECT CAST(COALESCE(json_agg({item}), '[]') AS TEXT) FROM {from})")
            }
        }
    }

    /// The rows of `from` as JSON arrays separated by spaces, each the `values` then the
    /// stored JSON of `json` (NULL for none; read by [`rows`]): the keys are left to the
    /// reader. For the 480 installments of the lookup benchmark, SQLite builds this in
    /// 0.48 ms where `json_object` (which parses every stored JSON again) took 0.68 ms,
    /// and the text is a third shorter. No enclosing `[…]`: adding it copied the
    /// installments' 160 KB and the occurrences' 130 KB twice more.
    fn row_list(&self, values: &[&str], json: &str, from: &str) -> String {
        match self.0 {
            Backend::Sqlite => {
                // the values' array without its `]` (scalars never end with one), the JSON
                // after them: one json_array call a row instead of a json_quote a value
                format!(
                    "(SELECT group_concat(concat(rtrim(json_array({}), ']'), ',', COALESCE({json}, 'null'), ']'), ' ') FROM {from})",
                    values.join(", ")
                )
            }
            Backend::Postgres => {
                let mut items: Vec<String> = values.iter().map(|v| v.to_string()).collect();
                items.push(self.json(json));
                format!(
                    "(SELECT string_agg(CAST({} AS TEXT), ' ') FROM {from})",
                    self.array(&items)
                )
            }
        }
    }

    /// A JSON expression as text.
    fn text(&self, expr: &str) -> String {
        match self.0 {
            Backend::Sqlite => expr.to_string(),
            Backend::Postgres => format!("CAST({expr} AS TEXT)"),
        }
    }

    /// The text of `item` for the first row of `from`, or NULL.
    fn one(&self, item: &str, from: &str) -> String {
        match self.0 {
            Backend::Sqlite => format!("(SELECT {item} FROM {from})"),
            Backend::Postgres => format!("(SELECT CAST({item} AS TEXT) FROM {from})"),
        }
    }
}

/// The statement for each backend and key, built once.
fn cached_sql(backend: Backend, by_crm_id: bool) -> &'static str {
    static SQL: std::sync::OnceLock<[String; 4]> = std::sync::OnceLock::new();
    // ordered by an expression: ordered by the column, SQLite (no statistics) walks the
    // workspace's customers in document order instead of using customers_crm
    const BY_CRM_ID: &str = "(SELECT d.document FROM customers d WHERE d.workspace_id = $1 \
        AND d.crm_id = $2 ORDER BY d.document || '' LIMIT 1)";
    let all = SQL.get_or_init(|| {
        [
            lookup_sql(Backend::Sqlite, "$2"),
            lookup_sql(Backend::Sqlite, BY_CRM_ID),
            lookup_sql(Backend::Postgres, "$2"),
            lookup_sql(Backend::Postgres, BY_CRM_ID),
        ]
    });
    let i = match backend {
        Backend::Sqlite => 0,
        Backend::Postgres => 2,
    } + usize::from(by_crm_id);
    &all[i]
}

/// An installment as the lookup's statement gives it ([`Dialect::row_list`]): contract,
/// then the [`InstallmentView`]'s fields in order, its `extra` borrowed from the
/// statement's text.
#[derive(serde::Deserialize)]
struct InstallmentItem<'a>(
    #[serde(borrow)] std::borrow::Cow<'a, str>,
    i64,
    Option<Date>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    String,
    #[serde(borrow)] &'a RawValue,
);

/// A contract as the lookup's statement gives it ([`Dialect::row_list`]): its
/// [`ContractView`]'s own fields in the statement's order, `extra` last.
#[derive(serde::Deserialize)]
struct ContractItem<'a>(
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    ContractStatus,
    Date,
    String,
    String,
    #[serde(borrow)] &'a RawValue,
);

/// A latest proposal as the lookup's statement gives it.
#[derive(serde::Deserialize)]
struct ProposalRow {
    id: String,
    contract: String,
    attendance_id: String,
    ticket: String,
    user_login: String,
    agreement_type: String,
    proposed_cents: Option<i64>,
    installments_count: Option<i64>,
    down_payment_cents: Option<i64>,
    first_due_date: Option<String>,
    fields: String,
    created_on: String,
}

/// An omnichannel event as the lookup's statement gives it.
#[derive(serde::Deserialize)]
struct OmniRow {
    event_key: String,
    webhook_type: String,
    event_id: String,
    attendance_id: String,
    matched_by: String,
    contract: String,
    occurrence_id: String,
    received_on: String,
    payload: String,
}

/// An occurrence as the lookup's statement gives it: created_on, id, contract,
/// boleto_sent_by, whether the entry is the one stored when it was recorded (1), then
/// that [`OccurrenceEntry`]'s JSON (or, for rows recorded before entries were stored
/// (0), the same without its date and time).
#[derive(serde::Deserialize)]
struct OccurrenceItem<'a>(
    String,
    String,
    String,
    String,
    u8,
    #[serde(borrow)] &'a RawValue,
);

/// The occurrences column as [`Occurrences`], newest first.
fn occurrences(text: Option<&str>, time_zone: &jiff::tz::TimeZone) -> Result<Occurrences> {
    let corrupt = |why: String| StoreError::Corrupt {
        what: "occurrences".into(),
        why,
    };
    let mut items: Vec<OccurrenceItem> = rows(text, "occurrences")?;
    items.sort_unstable_by(|a, b| (&b.0, &b.1).cmp(&(&a.0, &a.1)));
    let mut all = Occurrences::default();
    all.list.items.reserve(items.len());
    all.heads.reserve(items.len());
    for OccurrenceItem(created_on, id, contract, boleto_sent_by, stored, object) in items {
        let entry = if stored == 1 {
            object.to_owned()
        } else {
            // its local date and time written in front
            let (date, time) = local_date_time(&created_on, time_zone)?;
            let rest = object
                .get()
                .strip_prefix('{')
                .ok_or_else(|| corrupt("an occurrence is not an object".into()))?;
            let text = format!(r#"{{"date":"{date}","time":"{time}",{rest}"#);
            RawValue::from_string(text).map_err(|e| corrupt(e.to_string()))?
        };
        all.list.push(RawJson(entry));
        all.heads.push(OccurrenceHead {
            id,
            created_on,
            contract,
            boleto_sent_by,
        });
    }
    Ok(all)
}

/// The text of an occurrence's [`OccurrenceEntry`], as it is stored when recorded
/// (`created_on`: its store time; `extra`: the JSON text of `o.extra`).
pub(super) fn occurrence_entry(
    id: &str,
    o: &super::NewOccurrence,
    created_on: &str,
    extra: &str,
    time_zone: &jiff::tz::TimeZone,
) -> Result<String> {
    let (date, time) = local_date_time(created_on, time_zone)?;
    let extra = RawValue::from_string(extra.to_string()).map_err(|e| StoreError::Corrupt {
        what: "occurrences.extra".into(),
        why: e.to_string(),
    })?;
    let entry = OccurrenceEntry {
        date,
        time,
        id: id.to_string(),
        created_on: created_on.to_string(),
        crm_id: o.crm_id.clone(),
        contract: o.contract.clone(),
        campaign_id: o.campaign_id.clone(),
        result_code: o.result_code.clone(),
        result_name: o.result_name.clone(),
        phone_worked: o.phone_worked.clone(),
        scheduled_phone: o.scheduled_phone.clone(),
        scheduled_for: o.scheduled_for.clone(),
        installments: o.installments.clone(),
        user_login: o.user_login.clone(),
        channel_type: o.channel_type.map(i64::from),
        channel: o.channel_type.map_or("", ChannelType::name).to_string(),
        notes: o.notes.clone(),
        attendance_id: o.attendance_id.clone(),
        protocol: o.protocol.clone(),
        ticket_id: o.ticket_id.clone(),
        attendance_started_on: o.attendance_started_on.clone(),
        boleto_sent_by: o.boleto_sent_by.clone(),
        source: o.source.clone(),
        extra: RawJson(extra),
    };
    serde_json::to_string(&entry).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// An acordo of the customer: its contract and when its first row arrived.
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
        self.customer_view(workspace, false, &document).await
    }

    /// The customer with this CRM id, or `None` (the first by document should a file
    /// have given two customers the same id).
    pub async fn customer_by_crm_id(
        &self,
        workspace: &str,
        crm_id: &str,
    ) -> Result<Option<CustomerView>> {
        self.customer_view(workspace, true, crm_id.trim()).await
    }

    async fn customer_view(
        &self,
        workspace: &str,
        by_crm_id: bool,
        key: &str,
    ) -> Result<Option<CustomerView>> {
        let sql = cached_sql(self.backend, by_crm_id);
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(workspace)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        decode_view(&row).map(Some)
    }
}

/// The lookup statement's row as the view.
fn decode_view(row: &AnyRow) -> Result<CustomerView> {
    let time_zone = workspace_time_zone(&col::<String>(row, "environment")?);
    let mut contracts: Vec<ContractView> =
        rows::<ContractItem>(opt_text_col(row, "contracts")?, "contracts")?
            .into_iter()
            .map(
                |ContractItem(
                    contract,
                    portfolio,
                    product,
                    days_late,
                    installment_value_cents,
                    status,
                    status_since,
                    created_on,
                    modified_on,
                    extra,
                )| ContractView {
                    contract,
                    portfolio,
                    product,
                    days_late,
                    installment_value_cents,
                    status,
                    status_since,
                    extra: RawJson(extra.to_owned()),
                    created_on,
                    modified_on,
                    financed_asset: None,
                    status_history: Vec::new(),
                    phones: Vec::new(),
                    installments: Vec::new(),
                    guarantees: Vec::new(),
                    refin: Vec::new(),
                    agreements: Vec::new(),
                },
            )
            .collect();
    contracts.sort_unstable_by(|a, b| a.contract.cmp(&b.contract));
    let index: HashMap<String, usize> = contracts
        .iter()
        .enumerate()
        .map(|(i, c)| (c.contract.clone(), i))
        .collect();
    let at = |contract: &str| index.get(contract).copied();

    let mut history: Vec<(String, i64, StatusChange)> = json_list(row, "status_history")?;
    history.sort_unstable_by_key(|(_, version, _)| *version);
    for (contract, _, change) in history {
        if let Some(i) = at(&contract) {
            contracts[i].status_history.push(change);
        }
    }
    for (contract, phone) in json_list::<(String, Phone)>(row, "phones")? {
        if let Some(i) = at(&contract) {
            contracts[i].phones.push(phone);
        }
    }
    let mut installments: Vec<InstallmentItem> =
        rows(opt_text_col(row, "installments")?, "installments")?;
    installments.sort_unstable_by_key(|i| i.1);
    for InstallmentItem(contract, number, due_date, value, balance, days_late, status, extra) in
        installments
    {
        if let Some(k) = at(&contract) {
            contracts[k].installments.push(InstallmentView {
                number,
                due_date,
                value_cents: value,
                balance_cents: balance,
                days_late,
                status,
                extra: RawJson(extra.to_owned()),
            });
        }
    }
    for g in json_list::<Guarantee>(row, "guarantees")? {
        if let Some(i) = at(&g.contract) {
            contracts[i].guarantees.push(g);
        }
    }
    let mut refin: Vec<(i64, RefinOffer)> = json_list(row, "refin")?;
    refin.sort_unstable_by_key(|(seq, _)| *seq);
    for (_, r) in refin {
        if let Some(i) = at(&r.contract) {
            contracts[i].refin.push(r);
        }
    }
    let mut acordos: Vec<AcordoSeen> = Vec::new();
    for (created_on, a) in json_list::<(String, Agreement)>(row, "agreements")? {
        let Some(i) = at(&a.contract) else {
            continue;
        };
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
        contracts[i].agreements.push(a);
    }
    for c in &mut contracts {
        c.phones.sort_unstable_by_key(|p| p.position);
        c.guarantees.sort_unstable_by_key(|g| g.seq);
        c.agreements.sort_unstable_by(|a, b| {
            (&a.agreement_no, a.installment_no).cmp(&(&b.agreement_no, b.installment_no))
        });
        c.financed_asset = financed_asset(&c.guarantees);
    }

    let proposal = col::<Option<String>>(row, "proposal")?
        .map(|text| parse_json::<ProposalRow>(&text, "proposal"))
        .transpose()?
        .map(|p| ProposalRecord {
            id: p.id,
            contract: p.contract,
            attendance_id: p.attendance_id,
            ticket: p.ticket,
            user_login: p.user_login,
            agreement_type: p.agreement_type,
            proposed_cents: p.proposed_cents,
            installments_count: p.installments_count,
            down_payment_cents: p.down_payment_cents,
            first_due_date: p.first_due_date,
            fields: json_or_text(p.fields),
            created_on: p.created_on,
        });
    let mut addresses: Vec<StoredAddress> = json_list(row, "addresses")?;
    addresses.sort_unstable_by_key(|a| a.position);
    let mut emails: Vec<Email> = json_list(row, "emails")?;
    emails.sort_unstable_by_key(|e| e.position);
    let mut mass_actions: Vec<MassAction> = json_list(row, "mass_actions")?;
    mass_actions.sort_unstable_by(|a, b| (&a.created_on, &a.id).cmp(&(&b.created_on, &b.id)));

    let occurrences = occurrences(opt_text_col(row, "occurrences")?, &time_zone)?;

    let mut events: Vec<OmniRow> = json_list(row, "omni_events")?;
    events.sort_unstable_by(|a, b| {
        (&b.received_on, &b.event_key).cmp(&(&a.received_on, &a.event_key))
    });
    let mut whatsapp_history = WhatsappHistory::default();
    for e in events {
        let list = match e.webhook_type.as_str() {
            "attendance" => &mut whatsapp_history.attendances,
            "visitor" => &mut whatsapp_history.widget_visits,
            "hsm" => &mut whatsapp_history.hsm,
            "occurrence" => &mut whatsapp_history.occurrences,
            // resume_users and the like are about agents, not customers
            _ => continue,
        };
        list.push(OmniEvent {
            webhook_type: e.webhook_type,
            event_id: e.event_id,
            attendance_id: e.attendance_id,
            matched_by: e.matched_by,
            contract: e.contract,
            occurrence_id: e.occurrence_id,
            received_on: e.received_on,
            payload: json_or_text(e.payload),
        });
    }

    let mut view = CustomerView {
        document: col(row, "document")?,
        person_type: col(row, "person_type")?,
        name: col(row, "name")?,
        crm_id: col(row, "crm_id")?,
        created_on: col(row, "created_on")?,
        modified_on: col(row, "modified_on")?,
        contacts_made: occurrences.len() as i64,
        boletos_sent: occurrences
            .heads
            .iter()
            .filter(|o| !o.boleto_sent_by.is_empty())
            .count() as i64,
        phones: available_phones(&contracts),
        contracts,
        last_agreement: None,
        addresses,
        emails,
        occurrences,
        whatsapp_history,
        mass_actions,
    };
    view.last_agreement = last_agreement(&view, &acordos, proposal);
    Ok(view)
}

/// A JSON array column of the lookup's statement.
fn json_list<T: serde::de::DeserializeOwned>(row: &AnyRow, name: &str) -> Result<Vec<T>> {
    parse_json(text_col(row, name)?, name)
}

/// A text column, borrowed from the row (the arrays are hundreds of KB: not copied).
fn text_col<'r>(row: &'r AnyRow, name: &str) -> Result<&'r str> {
    use sqlx::Row;
    row.try_get(name).map_err(|e| StoreError::Corrupt {
        what: name.into(),
        why: e.to_string(),
    })
}

/// A nullable text column, borrowed from the row.
fn opt_text_col<'r>(row: &'r AnyRow, name: &str) -> Result<Option<&'r str>> {
    use sqlx::Row;
    row.try_get(name).map_err(|e| StoreError::Corrupt {
        what: name.into(),
        why: e.to_string(),
    })
}

/// The values of a [`Dialect::row_list`] column (`None`: no rows), borrowing from it.
fn rows<'a, T: serde::Deserialize<'a>>(text: Option<&'a str>, what: &str) -> Result<Vec<T>> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    serde_json::Deserializer::from_str(text)
        .into_iter()
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| StoreError::Corrupt {
            what: what.into(),
            why: e.to_string(),
        })
}

fn parse_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what: what.into(),
        why: e.to_string(),
    })
}

/// Stored JSON text as is; text that is not JSON (a body kept as received) as a JSON
/// string.
fn json_or_text(text: String) -> RawJson {
    match serde_json::from_str::<&RawValue>(&text) {
        Ok(raw) => RawJson(raw.to_owned()),
        Err(_) => RawJson(serde_json::value::to_raw_value(&text).expect("a string is JSON")),
    }
}

/// The workspace's time zone (goflow environment `timezone`), UTC if unknown.
pub(super) fn workspace_time_zone(environment: &str) -> jiff::tz::TimeZone {
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

/// The SQL of an occurrence's idTipoCanal (NULL unless one of [`ChannelType::ALL`])
/// and of its name (`TELEFONE`, …; `''` for anything else), from the column `column`.
fn channel_sql(column: &str) -> (String, String) {
    let codes = ChannelType::ALL
        .map(|c| i64::from(c).to_string())
        .join(", ");
    let names = ChannelType::ALL
        .map(|c| format!("WHEN {} THEN '{}'", i64::from(c), c.name()))
        .join(" ");
    (
        format!("CASE WHEN {column} IN ({codes}) THEN {column} END"),
        format!("CASE {column} {names} ELSE '' END"),
    )
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
    if let Some(o) = view.occurrences.heads.iter().find(|o| {
        !o.boleto_sent_by.is_empty() && (o.contract.is_empty() || o.contract == last.contract)
    }) {
        last.boleto = BoletoSent {
            sent: true,
            sent_by: o.boleto_sent_by.clone(),
            sent_on: Some(o.created_on.clone()),
            occurrence_id: Some(o.id.clone()),
        };
    }
    Some(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every table the lookup reads is reached through an index, whatever its size: a
    /// `SCAN` in SQLite's plan would make the lookup grow with the portfolio.
    #[tokio::test]
    async fn lookup_statement_uses_indexes_only() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        for by_crm_id in [false, true] {
            let sql = format!(
                "EXPLAIN QUERY PLAN {}",
                cached_sql(Backend::Sqlite, by_crm_id)
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind("w")
                .bind("52998224725")
                .fetch_all(store.pool())
                .await
                .unwrap();
            let plan: Vec<String> = rows.iter().map(|r| col(r, "detail").unwrap()).collect();
            assert!(plan.len() > 14, "{plan:#?}");
            for step in &plan {
                assert!(!step.starts_with("SCAN"), "{step} in {plan:#?}");
            }
            if by_crm_id {
                assert!(
                    plan.iter().any(|s| s.contains("customers_crm")),
                    "{plan:#?}"
                );
            }
        }
    }
}
