//! The collections portfolio ("ATOM", `shared/seeds/001_*.txt`): what a collection agency
//! keeps about the creditor's customers and contracts, fed by the creditor's daily files
//! and read by bots, the IVR and agents. This module stores it and applies the rules that
//! are storage decisions; parsing the layouts and ordering the day's files belong to the
//! importer (`atende-collections`), which maps each parsed row to one method here.
//!
//! # Tables (migration 3), all keyed by workspace
//!
//! | table | key | holds |
//! |---|---|---|
//! | `customers` | document | CPF (11 digits) or CNPJ (14, alphanumeric allowed), name, CRM id (given by the file or minted from the workspace counter `crm_id`) |
//! | `contracts` | contract number | customer document, portfolio, product, days late, installment value, status + `status_since` (a date), `version` (bumped by every write), the remittance's other fields as JSON (`extra`) |
//! | `contract_status_history` | contract, version | every status assignment: status, since, reason, run |
//! | `installments` | contract, number | due date, value, balance, days late, status, `extra` (R005) |
//! | `guarantees` | contract, seq | vehicle make, model, years, plate, chassis, RENAVAM, colour, `extra` (R006–R009) |
//! | `customer_addresses` | document, normalised address | kind, street … zip, origin, order |
//! | `contract_phones` | contract, DDD, number | order, kind, score, origin (`Remessa`, `Enriquecimento N`, …) |
//! | `customer_emails` | document, e-mail | order, origin |
//! | `refin_offers` | contract, seq | the spec's DadosRefin columns (R026–R029) |
//! | `agreements` | contract, agreement, installment | acordos; `written_off_on` set once baixado (R017, R019) |
//! | `mass_actions` | id | marks: e-mail by customer, SMS per contract holding the phone, WhatsApp per contract (R030–R036) |
//! | `import_runs`, `import_errors` | run id; run, seq | one row per file delivered, and its error lines |
//!
//! Values: money is BIGINT cents (`*_cents`, exact and summable in SQL); rates are TEXT
//! decimals with a dot (`"1.66"` for 1,66 %); dates are `YYYY-MM-DD` text ([`Date`]);
//! times are the store's fixed-width UTC text; documents are stored without punctuation.
//! Child rows carry their parent's natural key (document or contract number), so a
//! per-row write never has to look an id up first.
//!
//! # Rules
//!
//! - **Remessa** ([`Tx::upsert_remessa_batch`], R004, R020): creates or updates the customer and
//!   the contract (status `ATIVO`) and merges the record's addresses, phones and e-mails. A
//!   contract in `BLOQUEIO PARCIAL` whose status is less than [`PARTIAL_BLOCK_DAYS`] days
//!   older than the file's date is left untouched, customer included, and the method
//!   answers [`Outcome::PartialBlock`] for the error log; from the 4th day (blocked on D,
//!   file of D+3) the remessa re-activates it. Any other status is re-activated too: a
//!   contract the creditor sends again is being collected again.
//! - **Enrichment** (UC002): installments and guarantees replace the contract's earlier
//!   set: the first row of a contract in a run deletes what other runs wrote
//!   ([`Tx::put_installments`] is the batched fast path); REFIN replaces the contract's
//!   earlier REFIN data (R029); phones from the telefones file go after the contract's
//!   existing ones as `Enriquecimento N` (N counts the contract's enrichment phones) with
//!   their score, and a number already on the contract is not added again, only its score
//!   updated (R023–R025).
//! - **Acordos baixados** ([`Tx::write_off_agreement`], R017, R019): stores the agreement
//!   row with its write-off date and puts the contract in `BLOQUEIO PARCIAL` since the
//!   file's date (a later write-off renews the date).
//! - **Exclusão e retirada** ([`Tx::exclude_contract`], R011): status `EXCLUIDO` or
//!   `RETIRADO`.
//! - **Batimento** ([`Tx::begin_batimento`], R016, R021, R022): rows go to a temporary table
//!   of seen contracts; [`Tx::finish_batimento`] then writes off, in two set-based
//!   statements, every `ATIVO` contract of the portfolio the file did not list (`TODOS
//!   CONTRATOS BAIXADOS`). Contracts listed but absent from the base are not created
//!   ([`Outcome::ContractNotFound`]); contracts listed but not active are not re-activated.
//! - **Mass actions** (R035, R036, UC013): `Ação Massiva – Email` marks the customer by
//!   CPF, `Ação Massiva – SMS` marks every contract holding the phone, `Ação Massiva –
//!   WhatsApp` marks the contract.
//! - A row naming a contract, customer or phone that is not in the base is an
//!   [`Outcome`], not an `Err`: the importer writes an error line and goes on (FA006).
//!   `Err` means the database failed or the caller passed a malformed key.
//! - Every status assignment appends to `contract_status_history`, keyed by the
//!   contract's `version` after the write.
//! - **Runs** ([`Tx::begin_run`]): a file is identified by its name and the SHA-256 of its
//!   content ([`content_hash`]); the same name and content already imported answers
//!   [`RunStart::AlreadyImported`] and nothing is imported again, new content (or a run
//!   that was rejected or never finished) makes a new run. A unique index over imported
//!   runs makes a racing second import of the same file fail at `finish_run`.
//!
//! # Speed
//!
//! Each statement costs a round trip to the database (tens of microseconds through sqlx
//! on SQLite), so the big files have bulk paths that take many rows per call and write
//! them in multi-row statements: [`Tx::upsert_remessa_batch`], [`Tx::put_installments`],
//! [`Tx::batimento_rows`]; the one-row methods are the same code with one row. Pass
//! thousands of rows per call. On PostgreSQL [`Tx::put_installments`] sends a chunk of
//! 2,000 rows as one JSON parameter that the database expands (`batch::JsonRows`; a
//! `VALUES` list of thousands of parameters is slow to bind and to plan); on SQLite,
//! where expanding JSON costs more than binding, it binds `VALUES` lists of 500 rows
//! whose statement text is built once per shape (`batch::statement`). It checks each
//! chunk's contracts in one query instead of joining every row to `contracts`, and
//! inserts without `ON CONFLICT` unless the run wrote the contract already. Its
//! statements probe indexes key by key whatever the planner's statistics say, so a
//! parcelas import needs no `ANALYZE` on the way. The remessa keeps `VALUES` lists of 500
//! records: its rows carry ~4 KB of `extra` each, which inside a JSON parameter must be
//! escaped and parsed again (measured slower on both backends: 100,000 records on
//! PostgreSQL 19.0 s against 14.8 s, 40,000 on SQLite 5.4 s against 4.4 s). What cost a
//! remessa most on PostgreSQL was compressing that `extra` with pglz; [`Tx::bulk_load`]
//! makes the file's transaction use lz4. Positions (`position` of phones, addresses,
//! e-mails) order a list; a batch may leave gaps between them.
//!
//! # Transactions
//!
//! The importer runs one file in one [`Tx`] (all or nothing, issue 6 item 5): a file
//! rolled back, or a process killed mid-file, leaves the base as it was. Begin the run in
//! a short transaction of its own, so that a rejected file still leaves its run and error
//! lines (written after the rollback) behind. On SQLite the file's transaction holds the
//! store's single writer for its whole length.

mod agreements;
mod batch;
mod batimento;
mod contact_data;
mod contracts;
mod enrichment;
pub mod exports;
mod installments;
mod lookup;
mod marks;
mod occurrences;
pub mod omni;
pub mod portal;
mod remessa;
mod runs;

use contact_data::check_phone;

use jiff::civil::Date;
use serde_json::{Map, Value as Json};

#[cfg(doc)]
use crate::Tx;
use crate::{time_text, Result, StoreError};

pub use batimento::{Batimento, BatimentoSummary};
pub use installments::INSTALLMENT_BATCH;
pub use lookup::{
    AgreementSummary, AvailablePhone, BoletoSent, ContractView, CustomerView, Email, FinancedAsset,
    InstallmentView, Installments, LastAgreement, MassAction, OccurrenceEntry, Occurrences,
    OmniEvent, Phone, ProposalRecord, RawList, StatusChange, StoredAddress, WhatsappHistory,
};
pub use occurrences::{
    source as occurrence_source, ChannelType, EntryCursor, NewOccurrence, Occurrence,
};
pub use remessa::REMESSA_BATCH;
pub use runs::{content_hash, ImportError, ImportRun, NewRun, RunCounts, RunStart, RunStatus};

/// Free-form fields of a record, kept as a JSON object.
pub type Extra = Map<String, Json>;

/// Days a `BLOQUEIO PARCIAL` lasts against the remessa (R015, R020): blocked on D, the
/// remessa of D+1 and D+2 is refused, the one of D+3 (the 4th day) re-activates.
pub const PARTIAL_BLOCK_DAYS: i64 = 3;

/// `Ação Massiva – Email` (R035).
pub const MARK_EMAIL: &str = "Ação Massiva – Email";
/// `Ação Massiva – SMS` (R036).
pub const MARK_SMS: &str = "Ação Massiva – SMS";
/// `Ação Massiva – WhatsApp` (UC013/UC014).
pub const MARK_WHATSAPP: &str = "Ação Massiva – WhatsApp";

/// Origin of phones, addresses and e-mails that came with the remessa.
pub const ORIGIN_REMESSA: &str = "Remessa";
/// Prefix of the origin of phones from the telefones file: `Enriquecimento N`.
pub const ORIGIN_ENRICHMENT: &str = "Enriquecimento";

/// A contract's status. Stored as the spec's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ContractStatus {
    /// `ATIVO`: being collected.
    #[serde(rename = "ATIVO")]
    Active,
    /// `BLOQUEIO PARCIAL`: an agreement was written off; waits 3 days for the payment to
    /// be confirmed (R019, R020).
    #[serde(rename = "BLOQUEIO PARCIAL")]
    PartialBlock,
    /// `TODOS CONTRATOS BAIXADOS`: missing from the day's batimento (R022).
    #[serde(rename = "TODOS CONTRATOS BAIXADOS")]
    AllWrittenOff,
    /// `EXCLUIDO`: excluded by the exclusão e retirada file (R011).
    #[serde(rename = "EXCLUIDO")]
    Excluded,
    /// `RETIRADO`: removed by the exclusão e retirada file (R011).
    #[serde(rename = "RETIRADO")]
    Removed,
}

impl ContractStatus {
    pub const ALL: [ContractStatus; 5] = [
        ContractStatus::Active,
        ContractStatus::PartialBlock,
        ContractStatus::AllWrittenOff,
        ContractStatus::Excluded,
        ContractStatus::Removed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContractStatus::Active => "ATIVO",
            ContractStatus::PartialBlock => "BLOQUEIO PARCIAL",
            ContractStatus::AllWrittenOff => "TODOS CONTRATOS BAIXADOS",
            ContractStatus::Excluded => "EXCLUIDO",
            ContractStatus::Removed => "RETIRADO",
        }
    }

    pub fn parse(text: &str) -> Option<ContractStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl std::fmt::Display for ContractStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What became of one row. Anything but [`Outcome::Applied`] wrote nothing and is an
/// error line for the run ([`Outcome::reason`]); the rest of the file goes on.
#[must_use]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// R020: the contract is in `BLOQUEIO PARCIAL` since `since`, less than
    /// [`PARTIAL_BLOCK_DAYS`] days before the file's date; the remessa line is ignored.
    PartialBlock {
        since: Date,
    },
    /// The contract the row names is not in the base (FA006; batimento rows: R022).
    ContractNotFound,
    /// No customer has the row's CPF/CNPJ.
    CustomerNotFound,
    /// No contract holds the row's phone.
    PhoneNotFound,
}

impl Outcome {
    pub fn is_applied(&self) -> bool {
        matches!(self, Outcome::Applied)
    }

    /// The reason for the run's error line, in Portuguese (it goes back to the creditor in
    /// the file's `.errors.csv`), or `None` when the row was applied.
    pub fn reason(&self) -> Option<String> {
        match self {
            Outcome::Applied => None,
            Outcome::PartialBlock { since } => Some(format!(
                "contrato em BLOQUEIO PARCIAL desde {:02}/{:02}/{:04}, há menos de {PARTIAL_BLOCK_DAYS} dias da data do arquivo: linha ignorada (R020)",
                since.day(),
                since.month(),
                since.year()
            )),
            Outcome::ContractNotFound => Some("contrato não encontrado na base".into()),
            Outcome::CustomerNotFound => Some("nenhum cliente da base tem este CPF/CNPJ".into()),
            Outcome::PhoneNotFound => Some("nenhum contrato da base tem este telefone".into()),
        }
    }
}

/// Where the rows of one file go: the workspace, the run, the file's date (the rules'
/// "today") and the time written into the rows.
#[derive(Clone, Debug)]
pub struct ImportContext {
    pub workspace: String,
    pub run_id: i64,
    pub file_date: Date,
    date_text: String,
    now_text: String,
}

impl ImportContext {
    pub fn new(workspace: &str, run_id: i64, file_date: Date, now: jiff::Timestamp) -> Self {
        ImportContext {
            workspace: workspace.into(),
            run_id,
            file_date,
            date_text: date_text(file_date),
            now_text: time_text(now),
        }
    }
}

/// A phone as a file or the portal gives it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewPhone {
    /// Area code, 2 digits.
    pub ddd: String,
    /// 8 or 9 digits, without the DDD.
    pub number: String,
    /// Line type as the source names it (`CELULAR`, `RESIDENCIAL`, …); may be empty.
    pub kind: String,
    pub score: Option<i64>,
}

/// An address as a file or the portal gives it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Address {
    /// `RESIDENCIAL`, `COMERCIAL`, …; may be empty.
    pub kind: String,
    pub street: String,
    pub number: String,
    pub complement: String,
    pub district: String,
    pub city: String,
    /// UF, two letters.
    pub state: String,
    /// CEP, digits.
    pub zip: String,
}

/// One record of the remessa assessoria (R004): customer, contract and the customer's
/// contact data. Fields of the 280 the model has no column for go in `extra`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RemessaRecord {
    /// CPF or CNPJ; punctuation is dropped, and it must then have 11 or 14 characters.
    pub document: String,
    pub name: String,
    /// The customer's CRM id when the file carries one; otherwise the store mints one.
    pub crm_id: Option<String>,
    pub contract: String,
    pub portfolio: String,
    pub product: String,
    pub days_late: Option<i64>,
    pub installment_value_cents: Option<i64>,
    pub extra: EncodedExtra,
    pub addresses: Vec<Address>,
    pub phones: Vec<NewPhone>,
    pub emails: Vec<String>,
}

/// An installment (parcelas file, R005).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Installment {
    pub contract: String,
    pub number: i64,
    pub due_date: Option<Date>,
    pub value_cents: Option<i64>,
    /// Updated amount due, when the file gives it.
    pub balance_cents: Option<i64>,
    pub days_late: Option<i64>,
    /// As the file names it (`ABERTA`, `PAGA`, …).
    pub status: String,
    pub extra: EncodedExtra,
}

/// A guarantee: the financed vehicle (garantias file, R006–R009). The importer merges the
/// file's record types into one value per guarantee.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Guarantee {
    pub contract: String,
    /// Item number within the contract (1 for a contract's only vehicle).
    pub seq: i64,
    pub kind: String,
    pub make: String,
    pub model: String,
    pub manufacture_year: Option<i64>,
    pub model_year: Option<i64>,
    pub plate: String,
    pub chassis: String,
    pub renavam: String,
    pub color: String,
    pub extra: Extra,
}

/// A REFIN offer (the spec's DadosRefin, R026–R029). Counts are integers, money cents,
/// rates decimals in percent (`"1.66"`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RefinOffer {
    pub contract: String,
    /// FX_ATRASO (`d) 91 a 120`).
    pub delay_band: String,
    /// COLLECTION.
    pub collection: String,
    /// QTD_PARCELAS_VENCIDAS.
    pub overdue_installments: Option<i64>,
    /// QTD_PARCELAS_VENCER.
    pub upcoming_installments: Option<i64>,
    /// QTD_PARCELAS_ABERTO.
    pub open_installments: Option<i64>,
    /// PLANO ORIGINAL.
    pub original_plan: Option<i64>,
    /// PARCELA_ORIGINAL.
    pub original_installment_cents: Option<i64>,
    /// ENTRADA_REFIN.
    pub down_payment_cents: Option<i64>,
    /// PLANO_REFIN.
    pub refin_plan: Option<i64>,
    /// QTD_PARC_REFIN.
    pub refin_installments: Option<i64>,
    /// PARCELA_REFIN.
    pub refin_installment_cents: Option<i64>,
    /// TOTAL_REFINANCIADO.
    pub total_refinanced_cents: Option<i64>,
    /// JURO_MENSAL, percent.
    pub monthly_interest: Option<String>,
    /// CET_ANUAL, percent.
    pub annual_cet: Option<String>,
    /// VENC_PRIMEIRA_PARCELA.
    pub first_due_date: Option<Date>,
    /// VENC_ULT_PARCELA.
    pub last_due_date: Option<Date>,
    /// ESCOB.
    pub agency: String,
    /// PRIORIDADE.
    pub priority: Option<i64>,
    pub extra: Extra,
}

/// An agreement (acordo) installment: the acordos baixados file (R017) or the remessa
/// baixa (R010). `written_off_on` set means written off (baixado).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Agreement {
    /// OperOriginal.
    pub contract: String,
    /// NumAcordo.
    pub agreement_no: String,
    /// NumParcela (0 when the row is the agreement as a whole).
    pub installment_no: i64,
    /// NumCpfCgc (may be empty).
    pub document: String,
    /// DtVcto.
    pub due_date: Option<Date>,
    /// VlrMovt.
    pub amount_cents: Option<i64>,
    /// TotDiv.
    pub total_debt_cents: Option<i64>,
    /// DtMovto; [`Tx::write_off_agreement`] uses the file's date when it is missing.
    pub written_off_on: Option<Date>,
    /// Motivo.
    pub reason: String,
    /// The file's other columns (Cobrador, NomeCobrador, NossoNum, LocalRecebimento,
    /// ParcNegociadas, …).
    pub extra: Extra,
}

/// Details of a mass action (the histórico files' columns).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MassActionInfo {
    pub protocol: String,
    pub sent_on: Option<jiff::Timestamp>,
    pub message: String,
}

/// A CPF/CNPJ without punctuation, upper-cased: 11 digits (CPF) or 14 characters whose
/// last two are digits (CNPJ, alphanumeric from 2026). Check digits are the importer's
/// (atende-br); leading zeros a spreadsheet dropped must be restored before.
pub fn normalize_document(text: &str) -> Option<String> {
    let doc: String = text
        .chars()
        .filter(|c| !matches!(c, '.' | '-' | '/' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let ok = match doc.len() {
        11 => doc.bytes().all(|b| b.is_ascii_digit()),
        14 => {
            doc.bytes().all(|b| b.is_ascii_alphanumeric())
                && doc.bytes().skip(12).all(|b| b.is_ascii_digit())
        }
        _ => false,
    };
    ok.then_some(doc)
}

/// `F` for a CPF, `J` for a CNPJ (the person types of Brazilian files).
fn person_type(document: &str) -> &'static str {
    if document.len() == 11 {
        "F"
    } else {
        "J"
    }
}

/// A malformed CPF/CNPJ, contract number or phone given to a portfolio method. The
/// import methods refuse the file with it, so `?` words it in Portuguese (it goes back to
/// the creditor in the file's `.errors.csv`); the portal methods answer API clients in
/// English ([`BadArg::en`]).
#[derive(Debug)]
enum BadArg {
    /// The document, masked.
    Document(String),
    Contract,
    /// The DDD and the number, masked.
    Phone(String, String),
}

impl BadArg {
    /// The English wording, for API clients.
    fn en(self) -> StoreError {
        StoreError::Invalid(match self {
            BadArg::Document(doc) => {
                format!("{doc:?} is not a CPF (11 digits) or CNPJ (14 characters)")
            }
            BadArg::Contract => "empty contract number".into(),
            BadArg::Phone(ddd, number) => {
                format!("phone ({ddd}) {number} is not a DDD of 2 digits and a number of 8 or 9")
            }
        })
    }
}

impl From<BadArg> for StoreError {
    fn from(bad: BadArg) -> StoreError {
        StoreError::Invalid(match bad {
            BadArg::Document(doc) => {
                format!("{doc:?} não é um CPF (11 dígitos) nem um CNPJ (14 caracteres)")
            }
            BadArg::Contract => "número do contrato vazio".into(),
            BadArg::Phone(ddd, number) => format!(
                "telefone ({ddd}) {number}: não tem DDD de 2 dígitos e número de 8 ou 9 dígitos"
            ),
        })
    }
}

fn document_arg(text: &str) -> std::result::Result<String, BadArg> {
    normalize_document(text).ok_or_else(|| BadArg::Document(mask(text)))
}

fn contract_arg(contract: &str) -> std::result::Result<&str, BadArg> {
    let c = contract.trim();
    if c.is_empty() {
        return Err(BadArg::Contract);
    }
    Ok(c)
}

/// Shows only the last 4 characters of a document or phone in messages.
fn mask(text: &str) -> String {
    let n = text.chars().count();
    text.chars()
        .enumerate()
        .map(|(i, c)| if i + 4 < n { '*' } else { c })
        .collect()
}

pub(crate) fn date_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

fn opt_date_text(d: Option<Date>) -> Option<String> {
    d.map(date_text)
}

fn parse_date(what: &str, text: &str) -> Result<Date> {
    text.parse().map_err(|e: jiff::Error| StoreError::Corrupt {
        what: what.into(),
        why: e.to_string(),
    })
}

/// A record's free-form fields as the JSON object text the store keeps (`extra`), encoded
/// once by whoever builds the record. A remessa record carries ~190 of them: building a
/// map of them and then serialising it cost more than the parsing of the record itself
/// (profiled with callgrind), so the importer writes the text directly with
/// [`ExtraWriter`]. Collecting `(name, value)` pairs gives the same text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedExtra(String);

impl Default for EncodedExtra {
    fn default() -> Self {
        EncodedExtra("{}".into())
    }
}

impl EncodedExtra {
    /// The JSON object text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The fields as a map (for reading; writing goes by the text).
    pub fn to_map(&self) -> Extra {
        serde_json::from_str(&self.0).unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.0 == "{}"
    }
}

impl serde::Serialize for EncodedExtra {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_map().serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for EncodedExtra {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(EncodedExtra::from(&Extra::deserialize(d)?))
    }
}

impl From<&Extra> for EncodedExtra {
    fn from(extra: &Extra) -> Self {
        EncodedExtra(extra_text(extra))
    }
}

impl FromIterator<(String, Json)> for EncodedExtra {
    fn from_iter<I: IntoIterator<Item = (String, Json)>>(iter: I) -> Self {
        EncodedExtra::from(&iter.into_iter().collect::<Extra>())
    }
}

/// Writes an [`EncodedExtra`] field by field. Give the names in sorted order and each
/// once: the text is then the same as a serialised [`Extra`] map's.
pub struct ExtraWriter(String);

impl Default for ExtraWriter {
    fn default() -> Self {
        ExtraWriter::new()
    }
}

impl ExtraWriter {
    pub fn new() -> ExtraWriter {
        let mut text = String::with_capacity(1024);
        text.push('{');
        ExtraWriter(text)
    }

    fn key(&mut self, name: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        push_json_string(&mut self.0, name);
        self.0.push(':');
    }

    pub fn text(&mut self, name: &str, value: &str) {
        self.key(name);
        push_json_string(&mut self.0, value);
    }

    pub fn integer(&mut self, name: &str, value: i64) {
        use std::fmt::Write;
        self.key(name);
        let _ = write!(self.0, "{value}");
    }

    pub fn finish(mut self) -> EncodedExtra {
        self.0.push('}');
        EncodedExtra(self.0)
    }
}

/// Appends `s` as a JSON string literal (the escapes serde_json writes).
fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            use std::fmt::Write;
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

fn extra_text(extra: &Extra) -> String {
    serde_json::to_string(extra).unwrap_or_else(|_| "{}".into())
}

fn parse_extra(what: &str, text: &str) -> Result<Extra> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what: what.into(),
        why: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_writer_writes_what_serde_json_writes() {
        let tricky = "aspas \" barra \\ nova\nlinha\ttab \u{1} \u{7f} ção €";
        let mut w = ExtraWriter::new();
        w.integer("a_numero", -42);
        w.text("b_texto", tricky);
        w.text("c_vazio", "");
        let mut map = Extra::new();
        map.insert("a_numero".into(), Json::from(-42));
        map.insert("b_texto".into(), Json::from(tricky));
        map.insert("c_vazio".into(), Json::from(""));
        let encoded = w.finish();
        assert_eq!(encoded.as_str(), serde_json::to_string(&map).unwrap());
        assert_eq!(encoded.to_map(), map);
        assert!(ExtraWriter::new().finish().is_empty());
        assert_eq!(EncodedExtra::default().to_map(), Extra::new());
    }

    #[test]
    fn row_reasons_are_portuguese() {
        let since = jiff::civil::date(2023, 8, 2);
        assert_eq!(
            Outcome::PartialBlock { since }.reason().unwrap(),
            "contrato em BLOQUEIO PARCIAL desde 02/08/2023, há menos de 3 dias da data do arquivo: linha ignorada (R020)"
        );
        assert_eq!(
            Outcome::ContractNotFound.reason().unwrap(),
            "contrato não encontrado na base"
        );
        assert_eq!(
            Outcome::CustomerNotFound.reason().unwrap(),
            "nenhum cliente da base tem este CPF/CNPJ"
        );
        assert_eq!(
            Outcome::PhoneNotFound.reason().unwrap(),
            "nenhum contrato da base tem este telefone"
        );
        assert_eq!(Outcome::Applied.reason(), None);
    }

    #[test]
    fn bad_arguments_in_portuguese_for_files_and_english_for_the_api() {
        let pt = |e: BadArg| StoreError::from(e).to_string();
        let en = |e: BadArg| e.en().to_string();
        assert_eq!(
            pt(contract_arg("  ").unwrap_err()),
            "número do contrato vazio"
        );
        assert_eq!(en(contract_arg("").unwrap_err()), "empty contract number");
        assert_eq!(
            pt(document_arg("5299822472").unwrap_err()),
            "\"******2472\" não é um CPF (11 dígitos) nem um CNPJ (14 caracteres)"
        );
        assert_eq!(
            en(document_arg("5299822472").unwrap_err()),
            "\"******2472\" is not a CPF (11 digits) or CNPJ (14 characters)"
        );
        assert_eq!(
            pt(check_phone("1", "987654321").unwrap_err()),
            "telefone (1) *****4321: não tem DDD de 2 dígitos e número de 8 ou 9 dígitos"
        );
        assert_eq!(
            en(check_phone("1", "987654321").unwrap_err()),
            "phone (1) *****4321 is not a DDD of 2 digits and a number of 8 or 9"
        );
    }

    #[test]
    fn documents_are_normalised() {
        assert_eq!(
            normalize_document("529.982.247-25").as_deref(),
            Some("52998224725")
        );
        assert_eq!(
            normalize_document("12.ABC.345/01de-35").as_deref(),
            Some("12ABC34501DE35")
        );
        assert_eq!(normalize_document("5299822472"), None);
        assert_eq!(normalize_document("12ABC34501DE3X"), None);
        assert_eq!(normalize_document("5299822472X"), None);
        assert_eq!(mask("52998224725"), "*******4725");
    }

    #[test]
    fn statuses_round_trip() {
        for s in ContractStatus::ALL {
            assert_eq!(ContractStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                Json::String(s.as_str().into())
            );
        }
        assert_eq!(date_text(jiff::civil::date(2023, 8, 4)), "2023-08-04");
    }
}
