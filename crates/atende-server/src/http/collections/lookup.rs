//! The customer lookup (UC009, `shared/seeds/001_*.txt`): the BOT, the IVR and the
//! portal's screen pop ask for a customer by CPF/CNPJ or by CRM id and get the whole
//! "ficha" in one answer, read in one consistent snapshot
//! ([`atende_store::Store::customer_by_document`]). Not found (FA001) is a 404 with the
//! document in the body; a store that cannot answer (FA002) is a 503, never a partial
//! answer. Nothing here logs the document.

use std::sync::Arc;

use atende_store::portfolio::CustomerView;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use crate::http::{ApiError, Workspace};
use crate::App;

/// Longest CRM id accepted (the files' CRM ids are a few characters).
const MAX_CRM_ID: usize = 64;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/customers/by-crm/{crm_id}", get(by_crm_id))
        .route("/customers/{document}", get(by_document))
}

async fn by_document(
    State(app): State<Arc<App>>,
    Workspace(workspace): Workspace,
    Path(document): Path<String>,
) -> Result<Response, ApiError> {
    let document = atende_br::document::parse(&document)
        .map_err(|e| ApiError::bad_request(format!("document: {e}")))?;
    match app
        .store
        .customer_by_document(&workspace, document.as_str())
        .await?
    {
        Some(view) => Ok(answer(&view)),
        None => Err(ApiError::not_found(format!(
            "customer {} not found",
            document.formatted()
        ))),
    }
}

async fn by_crm_id(
    State(app): State<Arc<App>>,
    Workspace(workspace): Workspace,
    Path(crm_id): Path<String>,
) -> Result<Response, ApiError> {
    let crm_id = crm_id.trim();
    if crm_id.is_empty() || crm_id.chars().count() > MAX_CRM_ID || crm_id.contains(char::is_control)
    {
        return Err(ApiError::bad_request(format!(
            "crm_id: expected 1 to {MAX_CRM_ID} printable characters"
        )));
    }
    match app.store.customer_by_crm_id(&workspace, crm_id).await? {
        Some(view) => Ok(answer(&view)),
        None => Err(ApiError::not_found(format!(
            "customer with CRM id {crm_id} not found"
        ))),
    }
}

/// The record as JSON. A record is often hundreds of KB: written into a buffer sized for
/// that at once, not grown from axum's default 128 bytes by doubling.
fn answer(view: &CustomerView) -> Response {
    let mut body = Vec::with_capacity(256 * 1024);
    match serde_json::to_writer(&mut body, view) {
        Ok(()) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "customer record not serialisable");
            ApiError(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "customer record not serialisable".into(),
            )
            .into_response()
        }
    }
}

/// What the answer holds, key by key, and which field of the spec's domain map each is.
const CUSTOMER_MAP: &str = "The customer's record (UC009 domain map), read in one snapshot (one statement). \
Money is integer cents (`*_cents`), dates `YYYY-MM-DD`, times (`*_on`) UTC `YYYY-MM-DDTHH:MM:SS.ffffffZ`. Keys:\n\
- `name` (Nome), `document` (CPF/CNPJ, unpunctuated), `person_type` (`F`/`J`), `crm_id` (ID_CRM), `created_on`, `modified_on`;\n\
- `contacts_made` (Acionamentos: number of occurrences), `boletos_sent` (Boletos: occurrences that sent a boleto);\n\
- `contracts[]` by number: `contract` (Contrato), `portfolio` (Carteira), `product`, `status` (ATIVO, BLOQUEIO PARCIAL, …), `status_since`, `days_late`, \
`installment_value_cents` (Valor Parcela), `extra` (the remessa's other fields, an object), `financed_asset` {`make`, `model`, `manufacture_year`, `model_year`} \
(Bem Financiado: Marca, Modelo, Ano fab/mod), `phones[]` (the contract's, in dialling order), `installments[]` (Parcelas: `number`, `due_date`, `value_cents`, \
`balance_cents`, `days_late`, `status`, `extra`: the file's other fields), `guarantees[]` (Garantias: `kind`, `make`, `model`, years, `plate`, `chassis`, `renavam`, `color`, `extra`), \
`refin[]` (DadosRefin: `delay_band` FX_ATRASO, `collection`, `overdue_installments`, `upcoming_installments`, `open_installments`, `original_plan`, \
`original_installment_cents`, `down_payment_cents` ENTRADA_REFIN, `refin_plan`, `refin_installments`, `refin_installment_cents`, `total_refinanced_cents`, \
`monthly_interest` and `annual_cet` (percent, dot decimal), `first_due_date`, `last_due_date`, `agency` ESCOB, `priority`), `agreements[]` (acordo rows: \
`agreement_no`, `installment_no`, `due_date`, `amount_cents`, `total_debt_cents`, `written_off_on`, `reason`), `status_history[]`;\n\
- `phones[]` (telefones_disponiveis): each number once across contracts, remessa/portal phones first and enrichment phones last: `kind` (Tipo), `ddd`, \
`number` (Fone), `score`, `origin` (`Remessa`, `Enriquecimento N`, …), `contracts`;\n\
- `last_agreement` (null without one): the newer of the latest portal proposal (UC011) and the latest acordo of the files; `source` (`proposal`/`acordo`), \
`contract`, `reference`, `made_on`, `payment_dates` (Datas de Pagamento: primeiroVencimento, or the acordo's DtVcto), `summary` (Resumo Pagamento: \
`agreement_type` tipoAcordo, `installments_count`, `down_payment_cents`, `total_debt_cents`, `written_off_installments`), `journey` (Jornada: of the latest \
WhatsApp mass action on that contract), `amount_to_pay_cents` (Valor a Pagar: valorProposto, or the sum of the acordo's VlrMovt), `boleto` (Envio Boleto: \
`sent`, `sent_by`, `sent_on`, `occurrence_id`, from the latest occurrence recording a boleto on that contract), `proposal` (the proposal as recorded);\n\
- `addresses[]` (enderecos_disponiveis: `kind`, `street`, `number`, `complement`, `district`, `city`, `state`, `zip`, `origin`), `emails[]`;\n\
- `occurrences[]` (Histórico de Ocorrências, newest first): `date` and `time` (Data Cadastro, Horário, workspace time zone), `result_code`/`result_name` \
(Ocorrência), `phone_worked` (Número Discado), `scheduled_phone`/`scheduled_for` (Telefone Agendado), `contract`, `installments` (Parcela), `user_login` \
(Usuário cadastro), `channel_type` (idTipoCanal 1/2/3/5) and `channel` (TELEFONE/EMAIL/SMS/WHATSAPP), `attendance_id`, `protocol`, `ticket_id`, \
`boleto_sent_by`, `notes`, `source`, `created_on`;\n\
- `whatsapp_history` (HISTÓRICO WHATSAPP, omnichannel webhooks linked to the customer, newest first): `attendances[]`, `widget_visits[]`, `hsm[]`, \
`occurrences[]`, each {`event_id`, `attendance_id`, `matched_by`, `contract`, `occurrence_id`, `received_on`, `payload` (as received)};\n\
- `mass_actions[]` (Histórico Massivo E-mail / SMS, and WhatsApp marks, oldest first): `kind`, `contract`, `address` (e-mail or DDD+number), `protocol`, \
`sent_on` (Data de Envio), `message`, `journey`, `result`.";

pub fn openapi_paths() -> Map<String, Value> {
    let responses = |not_found: &str, bad: &str| {
        json!({
            "200": {"description": CUSTOMER_MAP, "content": {"application/json": {"schema": {"type": "object"}}}},
            "400": {"description": bad},
            "401": {"description": "Missing or invalid API token"},
            "404": {"description": not_found},
            "503": {"description": "Store unavailable (FA002): `{\"error\": \"storage unavailable\"}`, never a partial answer"},
        })
    };
    let param = |name: &str, description: &str| json!([{"name": name, "in": "path", "required": true, "description": description, "schema": {"type": "string"}}]);
    let mut paths = Map::new();
    paths.insert(
        "/api/v1/collections/customers/{document}".into(),
        json!({"get": {
            "summary": "Customer lookup by CPF/CNPJ (UC009)",
            "description": "The customer's whole record for the screen pop, in the token's workspace. Target p99 <= 5 ms on SQLite for a customer with 10 contracts and 200 occurrences (benches/lookup.rs).",
            "security": [{"token": []}],
            "parameters": param("document", "CPF or CNPJ, punctuated or not, alphanumeric CNPJ accepted (`529.982.247-25`, `52998224725`, `12.ABC.345%2F01DE-35`: percent-encode `/`); check digits are verified"),
            "responses": responses("`{\"error\": \"customer 529.982.247-25 not found\"}` (FA001)", "Not a valid CPF/CNPJ; the error names `document`"),
        }}),
    );
    paths.insert(
        "/api/v1/collections/customers/by-crm/{crm_id}".into(),
        json!({"get": {
            "summary": "Customer lookup by CRM id (UC009)",
            "description": "As the lookup by document, for the CRM id (ID_CRM) the files gave or the store minted.",
            "security": [{"token": []}],
            "parameters": param("crm_id", "The customer's CRM id (1 to 64 characters)"),
            "responses": responses("`{\"error\": \"customer with CRM id … not found\"}` (FA001)", "Empty or too long; the error names `crm_id`"),
        }}),
    );
    paths
}
