//! The agents' portal writes to the portfolio (UC010 InsertTabulação, InclusãoTelefone,
//! InsertEmail, InsertEndereco; UC011 Atualizar Proposta PAN), the campaigns' tabulation
//! trees (ListagemTabulacoesCampanha) and the back-office workflow queue (UC012).
//!
//! Decisions the spec leaves open:
//! - **Field names** are matched without regard to case or accents (`Resultado`,
//!   `resultado`; `Usuário`, `usuario`), and
//!   the spec's spellings of the attendance id (`attendanceId`, `AttendanceID`,
//!   `AttendancelD`, `attendancelid`) are the same field. Fields this API does not know
//!   are kept with the tabulation (`extra`) or the proposal (`fields`).
//! - **Idempotency**: an `Idempotency-Key` header makes a retry answer the first record
//!   (200 instead of 201, same id). Without the header, a tabulation with an
//!   `attendanceId` is keyed by attendance, `resultado` and `contrato` (one attendance may
//!   tabulate several contracts); a proposal without the header is not deduplicated.
//!   Phones, e-mails and addresses are merged, so repeating one changes nothing (200).
//! - **Times**: `dataInicioAtendimento` and `dataAgendamento` as the spec writes them
//!   (`2023-09-20 10:36:40`) are São Paulo wall-clock time, stored in UTC; a value with
//!   an offset or `Z` is taken as it says.
//! - **Money**: a JSON number (`1234.56`) or a string in the pt-BR convention
//!   (`"1.234,56"`, `"R$ 1.234,56"`; a `.` followed by three digits groups thousands),
//!   or a plain dot-decimal string (`"1234.56"`); stored in cents, never more than two
//!   decimals. `valorComDesc`, which the spec describes as a percentage, is kept as a
//!   decimal.
//! - **Workflow**: a tree node with `workflow` `REFIN` or `EA` (inferred from the spec's
//!   names "Indicação ao Refinanciamento" / "Indicação de EA" when the node does not say)
//!   queues the contract as `Pendente`; analysts move it to the spec's business statuses.
//! - **Workflow screen** (UC012's "Layout Front-End"), where each field comes from:
//!   `contrato`, `cpfCnpj`, `diasAtraso`, `valorParcelaCents`, `situacaoContrato`: the
//!   contract (remessa); `nome`, `idCrm`: the customer; `telefones`: the contract's
//!   phones in dialling order; `email`, `endereco`: the customer's latest (the portal's
//!   updates come after the remessa's); `parcelasPagas`, `aVencer`, `vencidas`,
//!   `parcelasVencidas`: counted from the installments (paid by status; overdue by status
//!   or a due date before today in São Paulo), or the remessa's counts when the contract
//!   has no installments; `prazo`: the remessa's, else the highest installment number;
//!   `marca`, `modelo`, `ano` (model year, else manufacture year): the first guarantee;
//!   `tabulacao`: the latest indicating tabulation's outcome; `observacao`: its `Obs`.
//! - **Phones without `contrato`** go on every active contract of the customer (every
//!   contract when none is active), since the portfolio keeps phones per contract.

use super::op;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use atende_br::rust_decimal::prelude::ToPrimitive;
use atende_br::rust_decimal::Decimal;
use atende_store::portfolio::portal::{
    check_tree, workflow_status, ContactWrite, ListPlacement, NewProposal, ProposalOutcome,
    TabulationNode, TabulationOutcome, WorkflowChange, WorkflowItem, WorkflowKind, WorkflowUpdate,
    WorkflowUpdateOutcome, WORKFLOW_PENDING, WORKFLOW_STATUSES,
};
use atende_store::portfolio::{
    normalize_document, occurrence_source, Address, ChannelType, NewOccurrence, NewPhone,
};
use atende_store::{time_text, wall_now};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use jiff::civil::Date;
use serde_json::{json, Map, Value};

use crate::http::{ApiError, Workspace};
use crate::App;

type Result<T> = std::result::Result<T, ApiError>;

/// The portal's and the back office's time zone.
const ZONE: &str = "America/Sao_Paulo";

/// Longest `Idempotency-Key` accepted.
const MAX_KEY: usize = 200;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/campaigns/{campaign}/tabulations",
            get(list_tabulations).put(replace_tabulations),
        )
        .route("/tabulations", post(insert_tabulation))
        .route("/customers/{document}/phones", post(insert_phone))
        .route("/customers/{document}/emails", post(insert_email))
        .route("/customers/{document}/addresses", post(insert_address))
        .route("/proposals", post(insert_proposal))
        .route("/workflow", get(list_workflow))
        .route("/workflow/{id}", get(get_workflow).post(update_workflow))
}

// ---------------------------------------------------------------------------------------
// request bodies

/// A JSON object whose keys are matched without regard to case or accents; the spec's
/// spellings of a field are aliases of one name.
struct Fields {
    /// Lower-cased key → (key as sent, value).
    map: HashMap<String, (String, Value)>,
    used: HashSet<String>,
}

/// Other spellings the spec uses, lower-cased.
const ALIASES: &[(&str, &[&str])] = &[("attendanceid", &["attendanceld", "attendancelid"])];

impl Fields {
    fn new(body: Value) -> Result<Fields> {
        let Value::Object(object) = body else {
            return Err(ApiError::bad_request("the body must be a JSON object"));
        };
        let mut map = HashMap::with_capacity(object.len());
        for (key, value) in object {
            let mut lower = fold_key(&key);
            for (name, others) in ALIASES {
                if others.contains(&lower.as_str()) {
                    lower = (*name).to_string();
                }
            }
            if let Some((first, _)) = map.get(&lower) {
                return Err(ApiError::bad_request(format!(
                    "fields '{first}' and '{key}' are the same field; send it once"
                )));
            }
            map.insert(lower, (key, value));
        }
        Ok(Fields {
            map,
            used: HashSet::new(),
        })
    }

    /// The value of `name` (the canonical spelling), `None` when absent or null.
    fn get(&mut self, name: &str) -> Option<Value> {
        let lower = fold_key(name);
        self.used.insert(lower.clone());
        match self.map.get(&lower) {
            None | Some((_, Value::Null)) => None,
            Some((_, v)) => Some(v.clone()),
        }
    }

    /// Text (a number is taken as its digits); blank is absent.
    fn text(&mut self, name: &str) -> Result<Option<String>> {
        Ok(match self.get(name) {
            None => None,
            Some(Value::String(s)) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(_) => return Err(bad(name, "must be text")),
        })
    }

    fn required_text(&mut self, name: &str) -> Result<String> {
        self.text(name)?
            .ok_or_else(|| ApiError::bad_request(format!("field '{name}' is required")))
    }

    /// An integer, as a JSON number or digits in a string.
    fn int(&mut self, name: &str) -> Result<Option<i64>> {
        Ok(match self.get(name) {
            None => None,
            Some(Value::Number(n)) => Some(
                n.as_i64()
                    .ok_or_else(|| bad(name, "must be a whole number"))?,
            ),
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(
                s.trim()
                    .parse()
                    .map_err(|_| bad(name, &format!("{s:?} is not a whole number")))?,
            ),
            Some(_) => return Err(bad(name, "must be a whole number")),
        })
    }

    fn boolean(&mut self, name: &str) -> Result<Option<bool>> {
        Ok(match self.get(name) {
            None => None,
            Some(Value::Bool(b)) => Some(b),
            Some(Value::String(s)) => match s.trim().to_lowercase().as_str() {
                "" => None,
                "true" | "sim" | "s" | "1" => Some(true),
                "false" | "nao" | "não" | "n" | "0" => Some(false),
                _ => return Err(bad(name, &format!("{s:?} is not true or false"))),
            },
            Some(_) => return Err(bad(name, "must be true or false")),
        })
    }

    fn decimal(&mut self, name: &str) -> Result<Option<Decimal>> {
        Ok(match self.get(name) {
            None => None,
            Some(Value::Number(n)) => {
                Some(number_decimal(&n).ok_or_else(|| bad(name, "is not a number"))?)
            }
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(text_decimal(&s).ok_or_else(|| {
                bad(
                    name,
                    &format!("{s:?} is not an amount (write 1234.56 or \"1.234,56\")"),
                )
            })?),
            Some(_) => return Err(bad(name, "must be a number")),
        })
    }

    /// Money in cents (not negative, at most two decimals).
    fn cents(&mut self, name: &str) -> Result<Option<i64>> {
        let Some(d) = self.decimal(name)? else {
            return Ok(None);
        };
        if d.is_sign_negative() && !d.is_zero() {
            return Err(bad(name, "must not be negative"));
        }
        let cents = d * Decimal::ONE_HUNDRED;
        if cents.fract() != Decimal::ZERO {
            return Err(bad(name, &format!("{d} has fractions of a cent")));
        }
        cents
            .to_i64()
            .map(Some)
            .ok_or_else(|| bad(name, "is too large"))
    }

    /// A date: `YYYY-MM-DD` (a time after it is ignored) or `DD/MM/YYYY`.
    fn date(&mut self, name: &str) -> Result<Option<Date>> {
        let Some(text) = self.text(name)? else {
            return Ok(None);
        };
        parse_date(&text).map(Some).ok_or_else(|| {
            bad(
                name,
                &format!("{text:?} is not a date (YYYY-MM-DD or DD/MM/YYYY)"),
            )
        })
    }

    /// A moment: São Paulo wall-clock `YYYY-MM-DD HH:MM:SS` (the spec's example), or
    /// RFC 3339 with an offset; as the store's UTC time text.
    fn moment(&mut self, name: &str) -> Result<Option<String>> {
        let Some(text) = self.text(name)? else {
            return Ok(None);
        };
        parse_moment(&text).map(Some).ok_or_else(|| {
            bad(
                name,
                &format!("{text:?} is not a date and time like 2023-09-20 10:36:40"),
            )
        })
    }

    /// Any JSON, as sent.
    fn raw(&mut self, name: &str) -> Option<Value> {
        self.get(name)
    }

    /// The fields not read, under the names they were sent with.
    fn rest(self) -> Map<String, Value> {
        self.map
            .into_iter()
            .filter(|(lower, _)| !self.used.contains(lower))
            .map(|(_, (key, value))| (key, value))
            .collect()
    }
}

/// A field name without case or accents: `Usuário` is `usuario`.
fn fold_key(key: &str) -> String {
    key.chars()
        .map(|c| match c.to_lowercase().next().unwrap_or(c) {
            'á' | 'à' | 'â' | 'ã' => 'a',
            'é' | 'ê' => 'e',
            'í' => 'i',
            'ó' | 'ô' | 'õ' => 'o',
            'ú' | 'ü' => 'u',
            'ç' => 'c',
            c => c,
        })
        .collect()
}

fn bad(name: &str, what: &str) -> ApiError {
    ApiError::bad_request(format!("field '{name}' {what}"))
}

fn number_decimal(n: &serde_json::Number) -> Option<Decimal> {
    let text = n.to_string();
    text.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(&text).ok())
}

/// pt-BR first (`1.234,56`, `R$ 10`, `1.500` = 1500); then a plain dot-decimal (`10.5`).
fn text_decimal(text: &str) -> Option<Decimal> {
    if let Ok(d) = atende_br::money::parse(text) {
        return Some(d);
    }
    let t = text.trim();
    let plain = t.strip_prefix('-').unwrap_or(t);
    let ok = !plain.is_empty()
        && plain.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && plain.bytes().filter(|&b| b == b'.').count() <= 1
        && !plain.starts_with('.')
        && !plain.ends_with('.');
    ok.then(|| t.parse().ok()).flatten()
}

fn parse_date(text: &str) -> Option<Date> {
    let t = text.trim();
    if let Some((d, m, y)) = t
        .split_once('/')
        .and_then(|(d, rest)| rest.split_once('/').map(|(m, y)| (d, m, y)))
    {
        return Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok();
    }
    let day = t.get(..10)?;
    match t.as_bytes().get(10) {
        None | Some(b'T') | Some(b' ') => day.parse().ok(),
        _ => None,
    }
}

fn parse_moment(text: &str) -> Option<String> {
    let t = text.trim();
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Some(time_text(ts));
    }
    let civil: jiff::civil::DateTime = t.replacen(' ', "T", 1).parse().ok()?;
    let zoned = civil.to_zoned(zone()).ok()?;
    Some(time_text(zoned.timestamp()))
}

fn zone() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(ZONE).unwrap_or(jiff::tz::TimeZone::UTC)
}

/// Today in São Paulo: which installments are overdue.
fn today() -> Date {
    wall_now().to_zoned(zone()).date()
}

/// The `Idempotency-Key` header, if sent.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = v
        .to_str()
        .map_err(|_| ApiError::bad_request("header 'Idempotency-Key' must be visible ASCII"))?
        .trim();
    if key.is_empty() || key.len() > MAX_KEY {
        return Err(ApiError::bad_request(format!(
            "header 'Idempotency-Key' must have 1 to {MAX_KEY} characters"
        )));
    }
    Ok(Some(key.to_string()))
}

fn body_json(
    body: std::result::Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Value> {
    body.map(|Json(v)| v).map_err(|e| {
        ApiError::bad_request(format!("the body is not valid JSON: {}", e.body_text()))
    })
}

type Body = std::result::Result<Json<Value>, axum::extract::rejection::JsonRejection>;

// ---------------------------------------------------------------------------------------
// tabulation trees

fn node_json(n: &TabulationNode) -> Value {
    json!({
        "code": n.code,
        "name": n.name,
        "parent": (!n.parent.is_empty()).then_some(&n.parent),
        "workflow": n.workflow.map(WorkflowKind::as_str),
        "cpc": n.cpc,
    })
}

fn campaign_arg(campaign: &str) -> Result<&str> {
    let c = campaign.trim();
    if c.is_empty() {
        return Err(ApiError::bad_request("the campaign id is empty"));
    }
    Ok(c)
}

async fn list_tabulations(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Path(campaign): Path<String>,
) -> Result<Json<Value>> {
    let campaign = campaign_arg(&campaign)?;
    let nodes = app.store.tabulations(&ws, campaign).await?;
    Ok(Json(json!({
        "campaign": campaign,
        "tabulations": nodes.iter().map(node_json).collect::<Vec<_>>(),
    })))
}

/// One node of a PUT body; `path` is `tabulations[i]`.
fn parse_node(v: Value, path: &str) -> Result<TabulationNode> {
    let field = |name: &str, what: &str| ApiError::bad_request(format!("{path}.{name}: {what}"));
    let Value::Object(o) = v else {
        return Err(ApiError::bad_request(format!("{path}: must be an object")));
    };
    let text = |name: &str| -> Result<Option<String>> {
        match o.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(field(name, "must be text")),
        }
    };
    let code = text("code")?.ok_or_else(|| field("code", "is required"))?;
    let name = text("name")?.ok_or_else(|| field("name", "is required"))?;
    let parent = text("parent")?.unwrap_or_default();
    let workflow = match o.get("workflow") {
        None => WorkflowKind::from_outcome_name(&name),
        Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(
            WorkflowKind::parse(s)
                .ok_or_else(|| field("workflow", "must be \"REFIN\", \"EA\" or null"))?,
        ),
        Some(_) => return Err(field("workflow", "must be \"REFIN\", \"EA\" or null")),
    };
    let cpc = match o.get("cpc") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(field("cpc", "must be true or false")),
    };
    for key in o.keys() {
        if !["code", "name", "parent", "workflow", "cpc"].contains(&key.as_str()) {
            return Err(field(
                key,
                "unknown field (code, name, parent, workflow, cpc)",
            ));
        }
    }
    Ok(TabulationNode {
        code,
        name,
        parent,
        workflow,
        cpc,
    })
}

/// `{"tabulations": [{code, name, parent?, workflow?, cpc?}]}` replaces the tree.
async fn replace_tabulations(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Path(campaign): Path<String>,
    body: Body,
) -> Result<Json<Value>> {
    let campaign = campaign_arg(&campaign)?.to_string();
    let body = body_json(body)?;
    let Some(Value::Array(list)) = body.get("tabulations").cloned() else {
        return Err(ApiError::bad_request(
            "field 'tabulations' is required: a list of {code, name, parent?, workflow?, cpc?}",
        ));
    };
    let nodes = list
        .into_iter()
        .enumerate()
        .map(|(i, v)| parse_node(v, &format!("tabulations[{i}]")))
        .collect::<Result<Vec<_>>>()?;
    check_tree(&nodes).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let mut tx = app.store.begin().await?;
    tx.replace_tabulations(&ws, &campaign, &nodes).await?;
    tx.commit().await?;
    Ok(Json(json!({
        "campaign": campaign,
        "tabulations": nodes.iter().map(node_json).collect::<Vec<_>>(),
    })))
}

// ---------------------------------------------------------------------------------------
// InsertTabulação

/// UC010's table plus `contrato`, `parcelas`, `telefoneAgendado`, `dataAgendamento`,
/// `boletoEnviadoPor` and `cpfCnpj`.
async fn insert_tabulation(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Value>)> {
    let mut f = Fields::new(body_json(body)?)?;
    let campaign = f.required_text("idCampanha")?;
    let crm_id = f.text("idCrm")?.unwrap_or_default();
    let document = match f.text("cpfCnpj")? {
        Some(d) => normalize_document(&d).ok_or_else(|| {
            bad(
                "cpfCnpj",
                "is not a CPF (11 digits) or CNPJ (14 characters)",
            )
        })?,
        None => String::new(),
    };
    if crm_id.is_empty() && document.is_empty() {
        return Err(ApiError::bad_request(
            "field 'idCrm' is required (or 'cpfCnpj'): it names the customer",
        ));
    }
    let result = f.required_text("resultado")?;
    let user = f.required_text("usuario")?;
    let channel = match f.int("idTipoCanal")? {
        Some(c) => ChannelType::try_from(c)
            .map_err(|e| ApiError::bad_request(format!("field 'idTipoCanal': {e}")))?,
        None => {
            return Err(ApiError::bad_request(
                "field 'idTipoCanal' is required (1-TELEFONE, 2-EMAIL, 3-SMS, 5-WHATSAPP)",
            ))
        }
    };
    let o = NewOccurrence {
        document,
        crm_id,
        contract: f.text("contrato")?.unwrap_or_default(),
        campaign_id: campaign.clone(),
        result_code: result.clone(),
        result_name: String::new(),
        phone_worked: f.text("telefoneTrabalhado")?.unwrap_or_default(),
        scheduled_phone: f.text("telefoneAgendado")?.unwrap_or_default(),
        scheduled_for: f.moment("dataAgendamento")?,
        installments: match f.raw("parcelas") {
            None => String::new(),
            Some(Value::String(s)) => s.trim().to_string(),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.trim().to_string()),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err(bad(
                        "parcelas",
                        "must be text or a list of installment numbers",
                    )),
                })
                .collect::<Result<Vec<_>>>()?
                .join(","),
            Some(_) => {
                return Err(bad(
                    "parcelas",
                    "must be text or a list of installment numbers",
                ))
            }
        },
        user_login: user,
        channel_type: Some(channel),
        notes: f.text("obs")?.unwrap_or_default(),
        attendance_id: f.text("attendanceId")?.unwrap_or_default(),
        protocol: f.text("protocolo")?.unwrap_or_default(),
        ticket_id: f.text("ticketId")?.unwrap_or_default(),
        attendance_started_on: f.moment("dataInicioAtendimento")?,
        boleto_sent_by: f.text("boletoEnviadoPor")?.unwrap_or_default(),
        source: occurrence_source::PORTAL.into(),
        idempotency_key: String::new(),
        extra: Map::new(),
    };
    let key = match idempotency_key(&headers)? {
        Some(k) => format!("portal:{k}"),
        None if !o.attendance_id.is_empty() => format!(
            "portal:attendance:{}:{}:{}",
            o.attendance_id, o.result_code, o.contract
        ),
        None => String::new(),
    };
    let o = NewOccurrence {
        idempotency_key: key,
        extra: f.rest(),
        ..o
    };
    let mut tx = app.store.begin().await?;
    let outcome = tx.record_tabulation(&ws, o, &time_text(wall_now())).await?;
    match outcome {
        TabulationOutcome::Recorded {
            occurrence_id,
            created,
            contract,
            workflow_item,
        } => {
            tx.commit().await?;
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok((
                status,
                Json(json!({
                    "id": occurrence_id,
                    "contrato": (!contract.is_empty()).then_some(contract),
                    "workflowItem": workflow_item,
                    "created": created,
                })),
            ))
        }
        TabulationOutcome::UnknownResult => Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "field 'resultado': {result:?} is not in campaign {campaign:?}'s tabulation tree \
                 (GET /api/v1/collections/campaigns/{campaign}/tabulations)"
            ),
        )),
        TabulationOutcome::CustomerNotFound => {
            Err(ApiError::not_found("no customer with this idCrm/cpfCnpj"))
        }
        TabulationOutcome::ContractNotFound => Err(ApiError::not_found(
            "field 'contrato': not a contract of this customer",
        )),
        TabulationOutcome::ContractRequired { contracts } => {
            Err(ApiError::bad_request(if contracts.is_empty() {
                "field 'contrato': this result sends a contract to the workflow and the customer has no contract".to_string()
            } else {
                format!(
                    "field 'contrato' is required: this result sends a contract to the workflow and the customer has {} ({})",
                    contracts.len(),
                    contracts.join(", ")
                )
            }))
        }
    }
}

// ---------------------------------------------------------------------------------------
// InclusãoTelefone, InsertEmail, InsertEndereco

fn document_path(document: &str) -> Result<String> {
    normalize_document(document).ok_or_else(|| {
        ApiError::bad_request(
            "path 'document' is not a CPF (11 digits) or CNPJ (14 characters, punctuation allowed)",
        )
    })
}

fn digits(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect()
}

/// `{contrato?, ddd, numero, tipo?, score?}`; `numero` may carry the DDD (10 or 11
/// digits) when `ddd` is absent.
async fn insert_phone(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Path(document): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<Value>)> {
    let document = document_path(&document)?;
    let mut f = Fields::new(body_json(body)?)?;
    let contract = f.text("contrato")?;
    let mut number = digits(&f.required_text("numero")?);
    let ddd = match f.text("ddd")? {
        Some(d) => digits(&d),
        None if (10..=11).contains(&number.len()) => {
            let ddd = number[..2].to_string();
            number = number[2..].to_string();
            ddd
        }
        None => return Err(ApiError::bad_request("field 'ddd' is required")),
    };
    if ddd.len() != 2
        || !ddd.bytes().all(|b| b.is_ascii_digit())
        || !atende_br::phone::is_valid_ddd(ddd.parse().unwrap_or(0))
    {
        return Err(bad("ddd", &format!("{ddd:?} is not a DDD in use")));
    }
    let valid_number = number.bytes().all(|b| b.is_ascii_digit())
        && match number.len() {
            9 => number.starts_with('9'),
            8 => !number.starts_with('0'),
            _ => false,
        };
    if !valid_number {
        return Err(bad(
            "numero",
            "must be 8 digits (landline) or 9 starting with 9 (mobile), without the DDD",
        ));
    }
    let score = f.int("score")?;
    if score.is_some_and(|s| s < 0) {
        return Err(bad("score", "must not be negative"));
    }
    let kind = f.text("tipo")?.unwrap_or_default().to_uppercase();
    reject_unknown(f, "contrato, ddd, numero, tipo, score")?;
    let phone = NewPhone {
        ddd,
        number,
        kind,
        score,
    };
    let mut tx = app.store.begin().await?;
    let out = tx
        .portal_add_phone(
            &ws,
            &document,
            contract.as_deref(),
            &phone,
            wall_now(),
            today(),
        )
        .await?;
    let placed = match out {
        ContactWrite::Applied(p) => p,
        ContactWrite::CustomerNotFound => {
            return Err(ApiError::not_found("no customer with this CPF/CNPJ"))
        }
        ContactWrite::ContractNotFound => {
            return Err(ApiError::not_found(
                "field 'contrato': not a contract of this customer",
            ))
        }
        ContactWrite::NoContracts => {
            return Err(ApiError(
                StatusCode::UNPROCESSABLE_ENTITY,
                "the customer has no contract to hold the phone".into(),
            ))
        }
    };
    tx.commit().await?;
    let status = if placed.iter().any(|p| p.added) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let phones: Vec<Value> = placed
        .iter()
        .map(|p| {
            json!({"contrato": p.contract, "posicao": p.position, "tipo": p.kind, "score": p.score,
                   "origem": p.origin, "adicionado": p.added})
        })
        .collect();
    Ok((
        status,
        Json(json!({"ddd": phone.ddd, "numero": phone.number, "contratos": phones})),
    ))
}

/// Refuses fields the endpoint does not know (a typo would otherwise be lost).
fn reject_unknown(f: Fields, known: &str) -> Result<()> {
    let rest = f.rest();
    match rest.keys().next() {
        Some(k) => Err(bad(k, &format!("is not known here ({known})"))),
        None => Ok(()),
    }
}

fn placement(status_of: &ListPlacement, body: Value) -> (StatusCode, Json<Value>) {
    let mut body = body;
    body["posicao"] = json!(status_of.position);
    body["origem"] = json!(status_of.origin);
    body["adicionado"] = json!(status_of.added);
    let status = if status_of.added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(body))
}

fn contact_write<T>(w: ContactWrite<T>) -> Result<T> {
    match w {
        ContactWrite::Applied(t) => Ok(t),
        _ => Err(ApiError::not_found("no customer with this CPF/CNPJ")),
    }
}

/// An e-mail address good enough to send to: one `@`, a dot in the domain, no spaces.
fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `{email}`.
async fn insert_email(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Path(document): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<Value>)> {
    let document = document_path(&document)?;
    let mut f = Fields::new(body_json(body)?)?;
    let email = f.required_text("email")?.to_lowercase();
    if !valid_email(&email) {
        return Err(bad("email", "is not an e-mail address"));
    }
    reject_unknown(f, "email")?;
    let mut tx = app.store.begin().await?;
    let placed = contact_write(
        tx.portal_add_email(&ws, &document, &email, wall_now(), today())
            .await?,
    )?;
    tx.commit().await?;
    Ok(placement(&placed, json!({"email": email})))
}

const UFS: [&str; 27] = [
    "AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA", "PB", "PR",
    "PE", "PI", "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO",
];

/// `{tipo?, logradouro, numero?, complemento?, bairro?, cidade, uf, cep}`.
async fn insert_address(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Path(document): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<Value>)> {
    let document = document_path(&document)?;
    let mut f = Fields::new(body_json(body)?)?;
    let street = f.required_text("logradouro")?;
    let city = f.required_text("cidade")?;
    let state = f.required_text("uf")?.to_uppercase();
    if !UFS.contains(&state.as_str()) {
        return Err(bad(
            "uf",
            &format!("{state:?} is not a Brazilian state (UF)"),
        ));
    }
    let zip = digits(&f.required_text("cep")?);
    if zip.len() != 8 || !zip.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("cep", "must have 8 digits"));
    }
    let address = Address {
        kind: f.text("tipo")?.unwrap_or_default().to_uppercase(),
        street,
        number: f.text("numero")?.unwrap_or_default(),
        complement: f.text("complemento")?.unwrap_or_default(),
        district: f.text("bairro")?.unwrap_or_default(),
        city,
        state,
        zip,
    };
    reject_unknown(
        f,
        "tipo, logradouro, numero, complemento, bairro, cidade, uf, cep",
    )?;
    let mut tx = app.store.begin().await?;
    let placed = contact_write(
        tx.portal_add_address(&ws, &document, &address, wall_now(), today())
            .await?,
    )?;
    tx.commit().await?;
    Ok(placement(&placed, address_json(&address)))
}

fn address_json(a: &Address) -> Value {
    json!({"tipo": a.kind, "logradouro": a.street, "numero": a.number, "complemento": a.complement,
           "bairro": a.district, "cidade": a.city, "uf": a.state, "cep": a.zip})
}

// ---------------------------------------------------------------------------------------
// Atualizar Proposta PAN

/// The agreement types of UC011, with the spellings accepted.
fn agreement_type(text: &str) -> Option<&'static str> {
    match text.trim().to_lowercase().as_str() {
        "quitação" | "quitacao" => Some("Quitação"),
        "parcial" => Some("Parcial"),
        "totaisematraso" | "totais em atraso" => Some("TotaisEmAtraso"),
        _ => None,
    }
}

/// UC011's fields; see the module docs for money and idempotency.
async fn insert_proposal(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Value>)> {
    let mut f = Fields::new(body_json(body)?)?;
    let mut fields = Map::new();
    let contract = f.required_text("contrato")?;
    let user = f.required_text("usuario")?;
    let kind_text = f.required_text("tipoAcordo")?;
    let kind = agreement_type(&kind_text).ok_or_else(|| {
        bad(
            "tipoAcordo",
            &format!("{kind_text:?} is not Quitação, Parcial or TotaisEmAtraso"),
        )
    })?;
    let proposed = f.cents("valorProposto")?;
    if proposed.is_none() {
        return Err(ApiError::bad_request("field 'valorProposto' is required"));
    }
    let attendance = f.text("attendanceId")?.unwrap_or_default();
    let ticket = f.text("ticketPan")?.unwrap_or_default();
    let count = f.int("qtdParcelas")?;
    let down = f.cents("valorEntrada")?;
    let first_due = f.date("primeiroVencimento")?;
    fields.insert("contrato".into(), json!(contract));
    fields.insert("usuario".into(), json!(user));
    fields.insert("tipoAcordo".into(), json!(kind));
    fields.insert("valorPropostoCents".into(), json!(proposed));
    fields.insert("attendanceId".into(), json!(attendance));
    fields.insert("ticketPan".into(), json!(ticket));
    fields.insert("qtdParcelas".into(), json!(count));
    fields.insert("valorEntradaCents".into(), json!(down));
    fields.insert(
        "primeiroVencimento".into(),
        json!(first_due.map(|d| d.to_string())),
    );
    for name in ["parcela", "valorHonorario", "valorSemDesc", "OfertaMinima"] {
        let v = f.cents(name)?;
        fields.insert(format!("{name}Cents"), json!(v));
    }
    let discount = f.decimal("valorComDesc")?;
    fields.insert(
        "valorComDesc".into(),
        json!(discount.map(|d| d.normalize().to_string())),
    );
    for name in [
        "dividaAtraso",
        "dividaPrazo",
        "dividaParcelasPagas",
        "dividaParcelasVenc",
        "dividasAVencer",
    ] {
        let v = f.int(name)?;
        if v.is_some_and(|v| v < 0) {
            return Err(bad(name, "must not be negative"));
        }
        fields.insert(name.into(), json!(v));
    }
    for name in ["negociacaoEntregaAmigavel", "rndRefin"] {
        let v = f.boolean(name)?;
        fields.insert(name.into(), json!(v));
    }
    for name in ["parcelasContratos", "negParcelas"] {
        let v = f.raw(name);
        if let Some(v) = &v {
            if !matches!(v, Value::Array(_) | Value::String(_) | Value::Number(_)) {
                return Err(bad(name, "must be a list or text"));
            }
        }
        fields.insert(name.into(), v.unwrap_or(Value::Null));
    }
    for (k, v) in f.rest() {
        fields.entry(k).or_insert(v);
    }
    let p = NewProposal {
        contract: contract.clone(),
        user_login: user,
        attendance_id: attendance,
        ticket,
        agreement_type: kind.into(),
        proposed_cents: proposed,
        installments_count: count,
        down_payment_cents: down,
        first_due_date: first_due,
        fields,
        idempotency_key: idempotency_key(&headers)?.unwrap_or_default(),
    };
    let mut tx = app.store.begin().await?;
    let out = tx.insert_proposal(&ws, &p, &time_text(wall_now())).await?;
    let (status, id) = match out {
        ProposalOutcome::Created(id) => (StatusCode::CREATED, id),
        ProposalOutcome::Existing(id) => (StatusCode::OK, id),
        ProposalOutcome::ContractNotFound => {
            return Err(ApiError::not_found(format!(
                "contract {contract:?} not found (UC011 FA001): the proposal was not stored"
            )))
        }
    };
    tx.commit().await?;
    Ok((
        status,
        Json(json!({"id": id, "contrato": contract, "created": status == StatusCode::CREATED})),
    ))
}

// ---------------------------------------------------------------------------------------
// workflow (UC012)

fn item_json(i: &WorkflowItem) -> Value {
    let s = &i.sheet;
    json!({
        "id": i.id,
        "status": i.status,
        "version": i.version,
        "tipo": i.kind,
        "criadoEm": i.created_on,
        "alteradoEm": i.modified_on,
        "responsavel": (!i.assigned_to.is_empty()).then_some(&i.assigned_to),
        "contrato": i.contract,
        "nome": s.name,
        "cpfCnpj": i.document,
        "idCrm": s.crm_id,
        "telefones": s.phones.iter().map(|p| json!({
            "ddd": p.ddd, "numero": p.number, "tipo": p.kind, "score": p.score, "origem": p.origin,
        })).collect::<Vec<_>>(),
        "email": s.email,
        "endereco": s.address.as_ref().map(address_json),
        "prazo": s.term,
        "parcelasPagas": s.paid,
        "valorParcelaCents": s.installment_value_cents,
        "aVencer": s.upcoming,
        "vencidas": s.overdue,
        "parcelasVencidas": s.overdue_installments.iter().map(|p| json!({
            "numero": p.number,
            "vencimento": p.due_date.map(|d| d.to_string()),
            "valorCents": p.value_cents,
            "saldoCents": p.balance_cents,
            "diasAtraso": p.days_late,
        })).collect::<Vec<_>>(),
        "diasAtraso": s.days_late,
        "situacaoContrato": s.contract_status,
        "marca": s.make,
        "modelo": s.model,
        "ano": s.model_year.or(s.manufacture_year),
        "anoFabricacao": s.manufacture_year,
        "anoModelo": s.model_year,
        "tabulacao": {"codigo": i.result_code, "nome": i.result_name},
        "observacao": i.notes,
        "ocorrencia": i.occurrence_id,
        "indicadoPor": i.indicated_by,
    })
}

fn history_json(h: &[WorkflowChange]) -> Value {
    h.iter()
        .map(|c| {
            json!({"version": c.version, "status": c.status, "usuario": c.user_login, "obs": c.notes,
                   "ocorrencia": (!c.occurrence_id.is_empty()).then_some(&c.occurrence_id),
                   "em": c.changed_on})
        })
        .collect()
}

fn invalid_status(text: &str) -> ApiError {
    ApiError::bad_request(format!(
        "field 'status': {text:?} is not a workflow status; valid: {}",
        WORKFLOW_STATUSES.join(", ")
    ))
}

#[derive(serde::Deserialize)]
struct QueuePage {
    status: Option<String>,
    after: Option<String>,
    /// Text, so that a bad value gets this API's error body.
    limit: Option<String>,
}

async fn list_workflow(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Query(q): Query<QueuePage>,
) -> Result<Json<Value>> {
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) if s.eq_ignore_ascii_case(WORKFLOW_PENDING) => Some(WORKFLOW_PENDING),
        Some(s) => Some(workflow_status(s).ok_or_else(|| {
            ApiError::bad_request(format!(
                "query 'status': {s:?} is not a workflow status; valid: {WORKFLOW_PENDING}, {}",
                WORKFLOW_STATUSES.join(", ")
            ))
        })?),
    };
    let limit = match q.limit.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => 50,
        Some(l) => l
            .parse::<i64>()
            .map_err(|_| ApiError::bad_request(format!("query 'limit': {l:?} is not a number")))?
            .clamp(1, 200),
    };
    let after = q.after.as_deref().map(str::trim).filter(|a| !a.is_empty());
    let items = app
        .store
        .workflow_items(&ws, status, after, limit, today())
        .await?;
    let next = (items.len() as i64 == limit)
        .then(|| items.last().map(|i| i.id.clone()))
        .flatten();
    Ok(Json(json!({
        "results": items.iter().map(item_json).collect::<Vec<_>>(),
        "next": next,
    })))
}

async fn get_workflow(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let (item, history) = app
        .store
        .workflow_item(&ws, &id, today())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no workflow item {id}")))?;
    let mut body = item_json(&item);
    body["historico"] = history_json(&history);
    Ok(Json(body))
}

/// `{status, usuario, obs?, version?}`.
async fn update_workflow(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<Value>> {
    let mut f = Fields::new(body_json(body)?)?;
    let status_text = f.required_text("status")?;
    let status = workflow_status(&status_text).ok_or_else(|| invalid_status(&status_text))?;
    let user = f.required_text("usuario")?;
    let notes = f.text("obs")?.unwrap_or_default();
    let version = f.int("version")?;
    reject_unknown(f, "status, usuario, obs, version")?;
    let mut tx = app.store.begin().await?;
    let out = tx
        .update_workflow(
            &ws,
            &id,
            &WorkflowUpdate {
                status: status.into(),
                user_login: user,
                notes,
                version,
            },
            &time_text(wall_now()),
        )
        .await?;
    match out {
        WorkflowUpdateOutcome::Updated(_) => tx.commit().await?,
        WorkflowUpdateOutcome::NotFound => {
            return Err(ApiError::not_found(format!("no workflow item {id}")))
        }
        WorkflowUpdateOutcome::Stale(now) => {
            return Err(ApiError(
                StatusCode::CONFLICT,
                format!(
                    "field 'version': the item changed meanwhile (version {} given, {now} now); read it again",
                    version.unwrap_or_default()
                ),
            ))
        }
    }
    get_workflow(State(app), Workspace(ws), Path(id)).await
}

// ---------------------------------------------------------------------------------------
// OpenAPI

fn with_key_header(mut o: Value) -> Value {
    o["parameters"] = json!([{
        "name": "Idempotency-Key", "in": "header", "required": false,
        "schema": {"type": "string", "maxLength": MAX_KEY},
        "description": "A retry with the same key answers the first record (200, same id)",
    }]);
    o
}

pub fn openapi_paths() -> Map<String, Value> {
    const OK: (&str, &str) = ("200", "OK");
    const BAD: (&str, &str) = (
        "400",
        "Invalid request; the error names the field or JSON path",
    );
    const UNAUTH: (&str, &str) = ("401", "Missing or invalid API token");
    const DOWN: (&str, &str) = ("503", "Storage unavailable; nothing was stored");
    let statuses = WORKFLOW_STATUSES.join(" | ");
    let mut paths = Map::new();
    paths.insert(
        "/api/v1/collections/campaigns/{campaign}/tabulations".into(),
        json!({
            "get": op("ListagemTabulacoesCampanha: the campaign's tabulation tree", None, &[OK, UNAUTH, DOWN]),
            "put": op("Replace the campaign's tabulation tree", Some(
                "{tabulations: [{code, name, parent?: code, workflow?: \"REFIN\"|\"EA\"|null (absent: inferred from the names \"Indicação ao Refinanciamento\"/\"Indicação de EA\"), cpc?: bool}]}; codes unique, parents in the list, no cycles"
            ), &[OK, BAD, UNAUTH, DOWN]),
        }),
    );
    paths.insert(
        "/api/v1/collections/tabulations".into(),
        json!({"post": with_key_header(op(
            "InsertTabulação (UC010): record an attendance's outcome; a REFIN/EA outcome queues the contract for the workflow (UC012)",
            Some("{idCampanha, idCrm (or cpfCnpj), resultado (a code of the campaign's tree), usuario, idTipoCanal: 1|2|3|5, telefoneTrabalhado?, obs?, attendanceId? (also AttendanceID/AttendancelD), protocolo?, ticketId?, dataInicioAtendimento?: \"2023-09-20 10:36:40\" (São Paulo) or RFC 3339, contrato?, parcelas?: text or list, telefoneAgendado?, dataAgendamento?, boletoEnviadoPor?}; other fields are kept. Without Idempotency-Key, attendanceId+resultado+contrato deduplicates"),
            &[("201", "Recorded: {id, contrato, workflowItem, created}"), ("200", "A retry: the first record"), BAD, UNAUTH,
              ("404", "No such customer, or contrato not theirs"), ("422", "resultado is not in the campaign's tree"), DOWN],
        ))}),
    );
    for (path, what, body) in [
        ("phones", "InclusãoTelefone (UC010 FA002): add a phone after the existing ones (origin Portal), on the contract given or on every active contract", "{contrato?, ddd, numero (8 digits, or 9 starting with 9; 10–11 with the DDD when ddd is absent), tipo?, score?: integer ≥ 0}"),
        ("emails", "InsertEmail (UC010 FA003): add an e-mail to the customer", "{email}"),
        ("addresses", "InsertEndereco (UC010 FA004): add an address to the customer", "{tipo?, logradouro, numero?, complemento?, bairro?, cidade, uf, cep (8 digits)}"),
    ] {
        paths.insert(
            format!("/api/v1/collections/customers/{{document}}/{path}"),
            json!({"post": op(what, Some(body), &[("201", "Added"), ("200", "Already there (score/type updated for a phone)"), BAD, UNAUTH,
                ("404", "No such customer (or contract)"), ("422", "The customer has no contract to hold a phone"), DOWN])}),
        );
    }
    paths.insert(
        "/api/v1/collections/proposals".into(),
        json!({"post": with_key_header(op(
            "Atualizar Proposta PAN (UC011): store a proposal on its contract",
            Some("{contrato, usuario, tipoAcordo: Quitação|Parcial|TotaisEmAtraso, valorProposto, parcela?, attendanceId?, ticketPan?, qtdParcelas?, valorEntrada?, valorHonorario?, parcelasContratos?, primeiroVencimento?: YYYY-MM-DD|DD/MM/YYYY, negociacaoEntregaAmigavel?: bool, rndRefin?: bool, negParcelas?, valorSemDesc?, valorComDesc? (percent), OfertaMinima?, dividaAtraso?, dividaPrazo?, dividaParcelasPagas?, dividaParcelasVenc?, dividasAVencer?}; money as 1234.56 or \"1.234,56\", stored in cents"),
            &[("201", "Stored: {id, contrato}"), ("200", "A retry: the first proposal"), BAD, UNAUTH, ("404", "Contract not found (FA001)"), DOWN],
        ))}),
    );
    paths.insert(
        "/api/v1/collections/workflow".into(),
        json!({"get": op(
            &format!("The back-office queue (UC012), oldest first; query: status? ({WORKFLOW_PENDING} | {statuses}), limit? (1–200, default 50), after? (the previous page's `next`)"),
            None,
            &[("200", "{results: [item with the front-end layout: contrato, nome, cpfCnpj, telefones, email, endereco, prazo, parcelasPagas, valorParcelaCents, aVencer, vencidas, parcelasVencidas, diasAtraso, marca, modelo, ano, tabulacao, observacao, status, version], next}"), BAD, UNAUTH, DOWN],
        )}),
    );
    paths.insert(
        "/api/v1/collections/workflow/{id}".into(),
        json!({
            "get": op("A queue item with its history", None, &[OK, UNAUTH, ("404", "No such item"), DOWN]),
            "post": op(
                "An analyst sets the item's business status (appends to its history)",
                Some(&format!("{{status: {statuses}, usuario, obs?, version? (the version read; a stale one answers 409)}}")),
                &[OK, BAD, UNAUTH, ("404", "No such item"), ("409", "The item changed since that version"), DOWN],
            ),
        }),
    );
    paths
}
