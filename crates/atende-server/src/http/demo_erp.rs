//! The demo's mock ERP (`/demo/erp/boletos?documento=…`): what a billing system would
//! answer for "segunda via". Any valid CPF or CNPJ has one open boleto whose value and
//! due date derive from the document, so the demo is repeatable.

use axum::extract::Query;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct Params {
    #[serde(default)]
    documento: String,
}

pub async fn boletos(Query(p): Query<Params>) -> (StatusCode, Json<Value>) {
    let doc = p.documento.trim();
    let valid = atende_br::cpf::is_valid(doc) || atende_br::cnpj::is_valid(doc);
    if !valid {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"erro": "documento não encontrado", "documento": doc})),
        );
    }
    let digits: u32 = doc.chars().filter_map(|c| c.to_digit(10)).sum();
    let cents = 9_990 + u64::from(digits) * 137;
    let due = atende_store::wall_now()
        .to_zoned(jiff::tz::TimeZone::get("America/Sao_Paulo").unwrap_or(jiff::tz::TimeZone::UTC))
        .date()
        .checked_add(jiff::Span::new().days(10))
        .unwrap_or_default();
    (
        StatusCode::OK,
        Json(json!({
            "linha_digitavel": "00190.50095 40144.816069 06809.350314 3 37370000000100",
            "vencimento": due.to_string(),
            "valor": format!("{}.{:02}", cents / 100, cents % 100).parse::<f64>().unwrap_or_default(),
        })),
    )
}
