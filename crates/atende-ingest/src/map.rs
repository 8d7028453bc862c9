//! Parsed rows → portfolio records, by the layouts' standard field names
//! (`crates/atende-collections/layouts/README.md`), so a replaced layout keeps working as
//! long as it names its fields the same way.

use atende_collections::rust_decimal::prelude::ToPrimitive;
use atende_collections::rust_decimal::Decimal;
use atende_collections::{Record, Row, Value};
use atende_store::portfolio::{
    Address, Agreement, EncodedExtra, Extra, ExtraWriter, Guarantee, Installment, NewPhone,
    RefinOffer, RemessaRecord,
};
use jiff::civil::Date;
use serde_json::Value as Json;

/// Text of a field (`""` when empty or absent).
pub fn text(row: &Row<'_>, name: &str) -> String {
    text_of(row.get(name))
}

fn text_of(value: Option<Value<'_>>) -> String {
    match value {
        Some(Value::Empty) | None => String::new(),
        Some(Value::Text(t)) => t.to_string(),
        Some(v) => v.to_string(),
    }
}

/// A field as an integer (integer, or a decimal with no fraction, or digits in text).
pub fn int(row: &Row<'_>, name: &str) -> Option<i64> {
    int_of(row.get(name)?)
}

fn int_of(value: Value<'_>) -> Option<i64> {
    match value {
        Value::Integer(n) => Some(n),
        Value::Decimal(d) => d.trunc().to_i64(),
        Value::Text(t) => t.trim().parse().ok(),
        _ => None,
    }
}

/// A money field in cents.
pub fn cents(row: &Row<'_>, name: &str) -> Option<i64> {
    cents_of(row.get(name)?)
}

fn cents_of(value: Value<'_>) -> Option<i64> {
    match value {
        Value::Decimal(d) => (d * Decimal::from(100)).round().to_i64(),
        Value::Integer(n) => n.checked_mul(100),
        _ => None,
    }
}

/// A rate kept as decimal text with a dot (`1.66`).
pub fn rate(row: &Row<'_>, name: &str) -> Option<String> {
    match row.get(name)? {
        Value::Decimal(d) => Some(d.normalize().to_string()),
        Value::Integer(n) => Some(n.to_string()),
        _ => None,
    }
}

pub fn date(row: &Row<'_>, name: &str) -> Option<Date> {
    match row.get(name)? {
        Value::Date(d) => Some(d),
        Value::DateTime(dt) => Some(dt.date()),
        _ => None,
    }
}

/// The CPF/CNPJ of a `document` field, normalised.
pub fn document(row: &Row<'_>, name: &str) -> Option<String> {
    match row.get(name)? {
        Value::Document(d) => Some(d.as_str().to_string()),
        _ => None,
    }
}

/// `(DDD, number)` of a `phone` field.
pub fn phone(row: &Row<'_>, name: &str) -> Option<(String, String)> {
    phone_of(row.get(name))
}

fn phone_of(value: Option<Value<'_>>) -> Option<(String, String)> {
    match value? {
        Value::Phone(p) => {
            let national = p.national();
            Some((national[..2].to_string(), national[2..].to_string()))
        }
        _ => None,
    }
}

/// Every non-empty field not in `used`, as JSON (the remittance's other columns, kept).
pub fn extra(row: &Row<'_>, used: &[&str]) -> Extra {
    let mut out = Extra::new();
    for (field, value) in row.record().fields().iter().zip(row.values()) {
        if used.contains(&field.name()) || value.is_empty() || field.name() == "tipo_registro" {
            continue;
        }
        out.insert(field.name().to_string(), extra_value(value));
    }
    out
}

/// [`extra`] written straight to JSON text (the big files' path: no map per row).
pub fn encoded_extra(row: &Row<'_>, used: &[&str]) -> EncodedExtra {
    let mut out = ExtraWriter::new();
    for (field, value) in row.record().fields().iter().zip(row.values()) {
        if used.contains(&field.name()) || field.name() == "tipo_registro" {
            continue;
        }
        write_extra(&mut out, field.name(), value);
    }
    out.finish()
}

/// One field of [`encoded_extra`], as [`extra_value`] renders it; empty ones are left out.
fn write_extra(out: &mut ExtraWriter, name: &str, value: Value<'_>) {
    match value {
        Value::Empty => {}
        Value::Integer(n) => out.integer(name, n),
        Value::Text(t) => out.text(name, t),
        Value::Decimal(d) => out.text(name, &d.normalize().to_string()),
        v => out.text(name, &v.to_string()),
    }
}

fn extra_value(value: Value<'_>) -> Json {
    match value {
        Value::Integer(n) => Json::from(n),
        Value::Text(t) => Json::String(t.to_string()),
        Value::Decimal(d) => Json::String(d.normalize().to_string()),
        v => Json::String(v.to_string()),
    }
}

const REMESSA_USED: &[&str] = &[
    "cpf_cnpj",
    "nome_cliente",
    "id_crm",
    "numero_contrato",
    "carteira",
    "produto",
    "dias_atraso",
    "valor_parcela",
];

const ADDRESS_PARTS: [&str; 8] = [
    "tipo",
    "logradouro",
    "numero",
    "complemento",
    "bairro",
    "cidade",
    "uf",
    "cep",
];

/// Where a remessa record's fields are: looked up by name once per file, not on every
/// row (by name, a 280-field record cost ~70 µs a row in string comparisons, as much as
/// parsing it).
#[derive(Clone, Debug)]
pub struct RemessaFields {
    document: Option<usize>,
    name: Option<usize>,
    crm_id: Option<usize>,
    contract: Option<usize>,
    portfolio: Option<usize>,
    product: Option<usize>,
    days_late: Option<usize>,
    installment_value: Option<usize>,
    /// `endereco_N_*` in [`ADDRESS_PARTS`] order, for N = 1.. while `logradouro` exists.
    addresses: Vec<[Option<usize>; 8]>,
    /// `telefone_N`, `telefone_N_tipo`, `score_N`.
    phones: Vec<(usize, Option<usize>, Option<usize>)>,
    emails: Vec<usize>,
    /// The other fields, kept in `extra` when not empty; sorted by name.
    extra: Vec<(usize, String)>,
}

impl RemessaFields {
    pub fn new(record: &Record) -> RemessaFields {
        let at = |name: &str| record.index_of(name);
        let mut used: Vec<String> = REMESSA_USED.iter().map(|s| s.to_string()).collect();
        let mut addresses = Vec::new();
        for n in 1..=9 {
            if at(&format!("endereco_{n}_logradouro")).is_none() {
                break;
            }
            let names = ADDRESS_PARTS.map(|s| format!("endereco_{n}_{s}"));
            addresses.push(names.each_ref().map(|name| at(name)));
            used.extend(names);
        }
        let mut phones = Vec::new();
        for n in 1..=20 {
            let name = format!("telefone_{n}");
            let Some(i) = at(&name) else { break };
            let (kind, score) = (format!("{name}_tipo"), format!("score_{n}"));
            phones.push((i, at(&kind), at(&score)));
            used.extend([name, kind, score]);
        }
        let mut emails = Vec::new();
        for n in 1..=9 {
            let name = format!("email_{n}");
            let Some(i) = at(&name) else { break };
            emails.push(i);
            used.push(name);
        }
        let mut extra: Vec<(usize, String)> = record
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| f.name() != "tipo_registro" && !used.iter().any(|u| u == f.name()))
            .map(|(i, f)| (i, f.name().to_string()))
            .collect();
        // by name, so that collecting a row's extras into the map is a bulk build of
        // sorted keys rather than a search per key
        extra.sort_by(|a, b| a.1.cmp(&b.1));
        RemessaFields {
            document: at("cpf_cnpj"),
            name: at("nome_cliente"),
            crm_id: at("id_crm"),
            contract: at("numero_contrato"),
            portfolio: at("carteira"),
            product: at("produto"),
            days_late: at("dias_atraso"),
            installment_value: at("valor_parcela"),
            addresses,
            phones,
            emails,
            extra,
        }
    }

    /// The remessa's customer, contract, addresses, phones and e-mails; `row` must follow
    /// the record this was made for.
    pub fn map(&self, row: &Row<'_>, portfolio: &str) -> Result<RemessaRecord, (String, String)> {
        let value = |i: Option<usize>| i.and_then(|i| row.value(i));
        let text = |i: Option<usize>| text_of(value(i));
        let document = match value(self.document) {
            Some(Value::Document(d)) => d.as_str().to_string(),
            _ => {
                return Err((
                    "cpf_cnpj".to_string(),
                    "CPF/CNPJ obrigatório mas vazio".to_string(),
                ))
            }
        };
        let contract = text(self.contract);
        if contract.is_empty() {
            return Err((
                "numero_contrato".into(),
                "número do contrato obrigatório mas vazio".into(),
            ));
        }
        let addresses = self
            .addresses
            .iter()
            .map(
                |&[kind, street, number, complement, district, city, state, zip]| Address {
                    kind: text(kind),
                    street: text(street),
                    number: text(number),
                    complement: text(complement),
                    district: text(district),
                    city: text(city),
                    state: text(state),
                    zip: text(zip),
                },
            )
            .filter(|a| !a.street.is_empty())
            .collect();
        let phones = self
            .phones
            .iter()
            .filter_map(|&(phone, kind, score)| {
                let (ddd, number) = phone_of(value(Some(phone)))?;
                Some(NewPhone {
                    ddd,
                    number,
                    kind: text(kind),
                    score: value(score).and_then(int_of),
                })
            })
            .collect();
        let emails = self
            .emails
            .iter()
            .map(|&i| text(Some(i)))
            .filter(|e| !e.is_empty())
            .map(|e| e.to_lowercase())
            .collect();
        let mut extra = ExtraWriter::new();
        for (i, name) in &self.extra {
            if let Some(v) = row.value(*i) {
                write_extra(&mut extra, name, v);
            }
        }
        let extra = extra.finish();
        let carteira = text(self.portfolio);
        Ok(RemessaRecord {
            document,
            name: text(self.name),
            crm_id: Some(text(self.crm_id)).filter(|s| !s.is_empty()),
            contract,
            portfolio: if carteira.is_empty() {
                portfolio.to_string()
            } else {
                carteira
            },
            product: text(self.product),
            days_late: value(self.days_late).and_then(int_of),
            installment_value_cents: value(self.installment_value).and_then(cents_of),
            extra,
            addresses,
            phones,
            emails,
        })
    }
}

/// The remessa's customer, contract, addresses, phones and e-mails (for many rows, make
/// one [`RemessaFields`] and call [`RemessaFields::map`]).
pub fn remessa(row: &Row<'_>, portfolio: &str) -> Result<RemessaRecord, (String, String)> {
    RemessaFields::new(row.record()).map(row, portfolio)
}

pub fn installment(row: &Row<'_>) -> Installment {
    const USED: &[&str] = &[
        "numero_contrato",
        "numero_parcela",
        "data_vencimento",
        "valor_parcela",
        "valor_atualizado",
        "dias_atraso",
        "situacao",
    ];
    Installment {
        contract: text(row, "numero_contrato"),
        number: int(row, "numero_parcela").unwrap_or_default(),
        due_date: date(row, "data_vencimento"),
        value_cents: cents(row, "valor_parcela"),
        balance_cents: cents(row, "valor_atualizado"),
        days_late: int(row, "dias_atraso"),
        status: text(row, "situacao"),
        extra: encoded_extra(row, USED),
    }
}

/// A garantias record: type 1 is the financed vehicle; types 2 (lien) and 3 (guarantor)
/// are kept as guarantees of their own kind with their fields in `extra`.
pub fn guarantee(row: &Row<'_>, seq: i64) -> Guarantee {
    let kind = match row.record_type {
        Some("1") | None => "veiculo",
        Some("2") => "gravame",
        Some("3") => "garantidor",
        Some(_) => "outro",
    };
    const USED: &[&str] = &[
        "numero_contrato",
        "marca",
        "modelo",
        "ano_fabricacao",
        "ano_modelo",
        "placa",
        "chassi",
        "renavam",
        "cor",
    ];
    Guarantee {
        contract: text(row, "numero_contrato"),
        seq,
        kind: kind.into(),
        make: text(row, "marca"),
        model: text(row, "modelo"),
        manufacture_year: int(row, "ano_fabricacao"),
        model_year: int(row, "ano_modelo"),
        plate: text(row, "placa"),
        chassis: text(row, "chassi"),
        renavam: text(row, "renavam"),
        color: text(row, "cor"),
        extra: extra(row, USED),
    }
}

pub fn refin(row: &Row<'_>) -> RefinOffer {
    const USED: &[&str] = &[
        "numero_contrato",
        "faixa_atraso",
        "collection",
        "qtd_parcelas_vencidas",
        "qtd_parcelas_vencer",
        "qtd_parcelas_aberto",
        "plano_original",
        "parcela_original",
        "entrada_refin",
        "plano_refin",
        "qtd_parc_refin",
        "parcela_refin",
        "total_refinanciado",
        "juro_mensal",
        "cet_anual",
        "venc_primeira_parcela",
        "venc_ult_parcela",
        "escob",
        "prioridade",
    ];
    RefinOffer {
        contract: text(row, "numero_contrato"),
        delay_band: text(row, "faixa_atraso"),
        collection: text(row, "collection"),
        overdue_installments: int(row, "qtd_parcelas_vencidas"),
        upcoming_installments: int(row, "qtd_parcelas_vencer"),
        open_installments: int(row, "qtd_parcelas_aberto"),
        original_plan: int(row, "plano_original"),
        original_installment_cents: cents(row, "parcela_original"),
        down_payment_cents: cents(row, "entrada_refin"),
        refin_plan: int(row, "plano_refin"),
        refin_installments: int(row, "qtd_parc_refin"),
        refin_installment_cents: cents(row, "parcela_refin"),
        total_refinanced_cents: cents(row, "total_refinanciado"),
        monthly_interest: rate(row, "juro_mensal"),
        annual_cet: rate(row, "cet_anual"),
        first_due_date: date(row, "venc_primeira_parcela"),
        last_due_date: date(row, "venc_ult_parcela"),
        agency: text(row, "escob"),
        priority: int(row, "prioridade"),
        extra: extra(row, USED),
    }
}

/// An agreement row (baixa: open agreements; acordos baixados: settled ones).
pub fn agreement(row: &Row<'_>, settled: bool) -> Agreement {
    const USED: &[&str] = &[
        "numero_contrato",
        "numero_acordo",
        "numero_parcela",
        "cpf_cnpj",
        "data_vencimento",
        "valor_parcela",
        "valor_movimento",
        "total_divida",
        "valor_acordo",
        "data_movimento",
        "data_pagamento",
        "motivo",
    ];
    let amount = cents(row, "valor_movimento").or_else(|| cents(row, "valor_parcela"));
    let written_off = if settled {
        date(row, "data_movimento")
    } else {
        date(row, "data_pagamento")
    };
    Agreement {
        contract: text(row, "numero_contrato"),
        agreement_no: text(row, "numero_acordo"),
        installment_no: int(row, "numero_parcela").unwrap_or_default(),
        document: document(row, "cpf_cnpj").unwrap_or_default(),
        due_date: date(row, "data_vencimento"),
        amount_cents: amount,
        total_debt_cents: cents(row, "total_divida").or_else(|| cents(row, "valor_acordo")),
        written_off_on: written_off,
        reason: text(row, "motivo"),
        extra: extra(row, USED),
    }
}

/// The telefones file's phones with their scores.
pub fn enrichment_phones(row: &Row<'_>) -> Vec<NewPhone> {
    (1..=3)
        .filter_map(|n| {
            let (ddd, number) = phone(row, &format!("telefone_{n}"))?;
            let score = match row.get(&format!("score_{n}")) {
                Some(Value::Decimal(d)) => d.round().to_i64(),
                Some(Value::Integer(i)) => Some(i),
                _ => None,
            };
            Some(NewPhone {
                ddd,
                number,
                kind: String::new(),
                score,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use atende_collections::{parse, sample, Layouts};

    /// The by-name mapping [`RemessaFields`] replaced, kept as the oracle.
    fn remessa_by_name(row: &Row<'_>, portfolio: &str) -> Result<RemessaRecord, (String, String)> {
        let document = document(row, "cpf_cnpj").ok_or_else(|| {
            (
                "cpf_cnpj".to_string(),
                "CPF/CNPJ obrigatório mas vazio".to_string(),
            )
        })?;
        let contract = text(row, "numero_contrato");
        if contract.is_empty() {
            return Err((
                "numero_contrato".into(),
                "número do contrato obrigatório mas vazio".into(),
            ));
        }
        let mut used: Vec<String> = REMESSA_USED.iter().map(|s| s.to_string()).collect();
        let mut addresses = Vec::new();
        for n in 1..=9 {
            let f = |s: &str| format!("endereco_{n}_{s}");
            if row.record().field(&f("logradouro")).is_none() {
                break;
            }
            let a = Address {
                kind: text(row, &f("tipo")),
                street: text(row, &f("logradouro")),
                number: text(row, &f("numero")),
                complement: text(row, &f("complemento")),
                district: text(row, &f("bairro")),
                city: text(row, &f("cidade")),
                state: text(row, &f("uf")),
                zip: text(row, &f("cep")),
            };
            used.extend(ADDRESS_PARTS.map(f));
            if !a.street.is_empty() {
                addresses.push(a);
            }
        }
        let mut phones = Vec::new();
        for n in 1..=20 {
            let name = format!("telefone_{n}");
            if row.record().field(&name).is_none() {
                break;
            }
            if let Some((ddd, number)) = phone(row, &name) {
                phones.push(NewPhone {
                    ddd,
                    number,
                    kind: text(row, &format!("telefone_{n}_tipo")),
                    score: int(row, &format!("score_{n}")),
                });
            }
            used.extend([name.clone(), format!("{name}_tipo"), format!("score_{n}")]);
        }
        let mut emails = Vec::new();
        for n in 1..=9 {
            let name = format!("email_{n}");
            if row.record().field(&name).is_none() {
                break;
            }
            let e = text(row, &name);
            if !e.is_empty() {
                emails.push(e.to_lowercase());
            }
            used.push(name);
        }
        let used: Vec<&str> = used.iter().map(String::as_str).collect();
        let carteira = text(row, "carteira");
        Ok(RemessaRecord {
            document,
            name: text(row, "nome_cliente"),
            crm_id: Some(text(row, "id_crm")).filter(|s| !s.is_empty()),
            contract,
            portfolio: if carteira.is_empty() {
                portfolio.to_string()
            } else {
                carteira
            },
            product: text(row, "produto"),
            days_late: int(row, "dias_atraso"),
            installment_value_cents: cents(row, "valor_parcela"),
            extra: atende_store::portfolio::EncodedExtra::from(&extra(row, &used)),
            addresses,
            phones,
            emails,
        })
    }

    #[test]
    fn remessa_fields_map_as_by_name() {
        let layouts = Layouts::defaults();
        let layout = layouts.get("remessa").unwrap();
        let fields = RemessaFields::new(&layout.records()[0]);
        assert_eq!(
            (
                fields.addresses.len(),
                fields.phones.len(),
                fields.emails.len()
            ),
            (3, 10, 3)
        );
        let file = sample(layout, 300, 7, jiff::civil::date(2023, 8, 4)).to_bytes();
        let mut rows = 0;
        parse(layout, &file[..], |row| {
            let row = row.unwrap();
            let fast = fields.map(&row, "528").unwrap();
            assert_eq!(
                fast,
                remessa_by_name(&row, "528").unwrap(),
                "line {}",
                row.line
            );
            assert_eq!(fast, remessa(&row, "528").unwrap());
            assert!(
                !fast.extra.is_empty() && !fast.phones.is_empty() && !fast.addresses.is_empty()
            );
            let extra = fast.extra.to_map();
            assert!(!extra.contains_key("cpf_cnpj") && !extra.contains_key("telefone_1"));
            rows += 1;
        })
        .unwrap();
        assert_eq!(rows, 300);
    }

    #[test]
    fn remessa_fields_refuse_as_by_name() {
        let layouts = Layouts::defaults();
        let layout = layouts.get("remessa").unwrap();
        let fields = RemessaFields::new(&layout.records()[0]);
        let file = sample(layout, 1, 7, jiff::civil::date(2023, 8, 4)).to_bytes();
        // a blank contract number (positions 1–20): refused the same way (or by the parser,
        // the field being required)
        let mut blank = file.clone();
        blank[..20].fill(b' ');
        parse(layout, &blank[..], |row| {
            if let Ok(row) = row {
                assert_eq!(fields.map(&row, "528"), remessa_by_name(&row, "528"));
                assert!(fields.map(&row, "528").is_err());
            }
        })
        .unwrap();
    }
}
