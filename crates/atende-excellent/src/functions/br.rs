//! Brazilian billing functions, so flows identify customers and hand out payment codes
//! without a webhook: `has_cpf`, `has_cnpj`, `has_cpf_or_cnpj` (router tests),
//! `format_cpf`, `format_cnpj`, `mask_document`, `boleto_info`, `pix_payload`,
//! `format_brl`, `month_name`.
//!
//! Every doc line of the form `` `@(…)` → `…` `` below is run as a test (in a
//! `DD-MM-YYYY`, `America/Sao_Paulo` environment with now = 2026-11-26T12:00:00Z).

use std::sync::Arc;

use atende_br::{boleto, cnpj, cpf, date, document, money, pix};
use rust_decimal::Decimal;

use super::tests::{test_result_false, test_result_match};
use super::{int_arg, tri, FunctionDef};
use crate::eval::Evaluator;
use crate::value::{Object, Value};

pub(crate) const FUNCTIONS: &[FunctionDef] = &[
    FunctionDef::new("has_cpf", 1, Some(1), has_cpf),
    FunctionDef::new("has_cnpj", 1, Some(1), has_cnpj),
    FunctionDef::new("has_cpf_or_cnpj", 1, Some(1), has_cpf_or_cnpj),
    FunctionDef::new("format_cpf", 1, Some(1), format_cpf),
    FunctionDef::new("format_cnpj", 1, Some(1), format_cnpj),
    FunctionDef::new("mask_document", 1, Some(1), mask_document),
    FunctionDef::new("boleto_info", 1, Some(1), boleto_info),
    FunctionDef::new("pix_payload", 3, Some(6), pix_payload),
    FunctionDef::new("format_brl", 1, Some(1), format_brl),
    FunctionDef::new("month_name", 1, Some(2), month_name),
];

/// Tests whether `text` contains a valid CPF; the match is its 11 digits.
///
/// `@(has_cpf("meu cpf é 529.982.247-25").match)` → `52998224725`
/// `@(has_cpf("529.982.247-26"))` → `false`
fn has_cpf(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    match cpf::find(&text) {
        Some(c) => test_result_match(Value::from(c.as_str()), None),
        None => test_result_false(),
    }
}

/// Tests whether `text` contains a valid CNPJ (numeric or alphanumeric); the match is
/// its 14 characters.
///
/// `@(has_cnpj("CNPJ 11.222.333/0001-81").match)` → `11222333000181`
/// `@(has_cnpj("11.222.333/0001-80"))` → `false`
fn has_cnpj(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    match cnpj::find(&text) {
        Some(c) => test_result_match(Value::from(c.as_str()), None),
        None => test_result_false(),
    }
}

/// Tests whether `text` contains a valid CPF or CNPJ; the match is the normalised
/// document and `extra.type` says which (`cpf` or `cnpj`).
///
/// `@(has_cpf_or_cnpj("11.222.333/0001-81").extra.type)` → `cnpj`
/// `@(has_cpf_or_cnpj("52998224725").match)` → `52998224725`
/// `@(has_cpf_or_cnpj("não sei"))` → `false`
fn has_cpf_or_cnpj(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    match document::find(&text) {
        Some(d) => {
            let mut extra = Object::new();
            extra.insert("type", Value::from(d.kind()));
            extra.insert("formatted", Value::from(d.formatted()));
            test_result_match(
                Value::from(d.as_str()),
                Some(Value::Object(Arc::new(extra))),
            )
        }
        None => test_result_false(),
    }
}

/// Formats a CPF as `000.000.000-00`; an invalid CPF is an error that says why.
///
/// `@(format_cpf("52998224725"))` → `529.982.247-25`
/// `@(format_cpf("123"))` → `ERROR`
fn format_cpf(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    match cpf::format(&text) {
        Ok(s) => Value::from(s),
        Err(e) => Value::error(e.to_string()),
    }
}

/// Formats a CNPJ as `00.000.000/0000-00`; an invalid CNPJ is an error.
///
/// `@(format_cnpj("11222333000181"))` → `11.222.333/0001-81`
/// `@(format_cnpj("11222333000180"))` → `ERROR`
fn format_cnpj(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    match cnpj::format(&text) {
        Ok(s) => Value::from(s),
        Err(e) => Value::error(e.to_string()),
    }
}

/// Masks a CPF or CNPJ for messages and logs, keeping only the middle digits.
///
/// `@(mask_document("529.982.247-25"))` → `***.982.247-**`
fn mask_document(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    match document::mask_document(&text) {
        Ok(s) => Value::from(s),
        Err(e) => Value::error(e.to_string()),
    }
}

/// Reads a boleto's barcode or digitable line (bank or convênio) into an object with
/// `type`, `bank`, `bank_name`, `segment`, `amount`, `due_date`, `barcode`,
/// `digitable` and `digitable_formatted`. The due date is resolved against today.
///
/// `@(boleto_info("00190500954014481606906809350314337370000000100").amount)` → `1`
/// `@(boleto_info("00190500954014481606906809350314337370000000100").due_date)` → `2032-08-21` (factor 3737 after the 2025 restart)
/// `@(boleto_info("00190500954014481606906809350314337370000000100").bank)` → `001`
/// `@(boleto_info("00190500954014481606906809350314337370000000101"))` → `ERROR`
fn boleto_info(ev: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let b = match boleto::parse(&text) {
        Ok(b) => b,
        Err(e) => return Value::error(e.to_string()),
    };
    let today = ev.now().to_zoned(ev.env.timezone.clone()).date();
    let opt_text = |s: Option<&str>| s.map(Value::from).unwrap_or(Value::Null);
    let mut o = Object::with_default(Value::from(b.digitable()));
    o.insert("type", Value::from(b.kind().as_str()));
    o.insert("bank", opt_text(b.bank_code()));
    o.insert("bank_name", opt_text(b.bank_name()));
    o.insert("segment", opt_text(b.segment_name()));
    o.insert(
        "amount",
        b.amount().map(Value::Number).unwrap_or(Value::Null),
    );
    o.insert(
        "due_date",
        b.due_date(today).map(Value::Date).unwrap_or(Value::Null),
    );
    o.insert("barcode", Value::from(b.barcode()));
    o.insert("digitable", Value::from(b.digitable()));
    o.insert("digitable_formatted", Value::from(b.digitable_formatted()));
    Value::Object(Arc::new(o))
}

/// Builds a static Pix "copia e cola" payload: `pix_payload(key, name, city [, amount
/// [, txid [, description]]])`. An empty or null amount lets the payer type it.
///
/// `@(pix_payload("52998224725", "Loja Exemplo", "Sao Paulo", 10.5, "PED123"))` → `00020126330014br.gov.bcb.pix011152998224725520400005303986540510.505802BR5912Loja Exemplo6009Sao Paulo62100506PED12363041D15`
/// `@(pix_payload("chave inválida", "Loja", "Recife"))` → `ERROR`
fn pix_payload(_: &mut Evaluator, args: &[Value]) -> Value {
    let key = tri!(args[0].to_text());
    let name = tri!(args[1].to_text());
    let city = tri!(args[2].to_text());
    let amount: Option<Decimal> = match args.get(3) {
        None | Some(Value::Null) => None,
        Some(Value::Text(t)) if t.trim().is_empty() => None,
        Some(v) => Some(tri!(v.to_number())),
    };
    let txid = match args.get(4) {
        None | Some(Value::Null) => None,
        Some(v) => Some(tri!(v.to_text())).filter(|t| !t.is_empty()),
    };
    let description = match args.get(5) {
        None | Some(Value::Null) => None,
        Some(v) => Some(tri!(v.to_text())).filter(|t| !t.is_empty()),
    };
    let spec = pix::StaticPix {
        key: &key,
        merchant_name: &name,
        merchant_city: &city,
        amount,
        txid: txid.as_deref(),
        description: description.as_deref(),
    };
    match pix::static_payload(&spec) {
        Ok(p) => Value::from(p),
        Err(e) => Value::error(e.to_string()),
    }
}

/// Formats an amount in reais with exact decimals. The space after `R$` is an
/// ordinary space (flows often go out by SMS, where a no-break space forces UCS-2).
///
/// `@(format_brl(1234.5))` → `R$ 1.234,50`
/// `@(format_brl("-0.5"))` → `-R$ 0,50`
fn format_brl(_: &mut Evaluator, args: &[Value]) -> Value {
    let n = tri!(args[0].to_number());
    Value::from(money::format_with(n, money::Space::Plain))
}

/// The pt-BR name of a month, from its number (1–12) or a date; `"abbr"` as the second
/// argument gives the abbreviation.
///
/// `@(month_name(12))` → `dezembro`
/// `@(month_name(date_from_parts(2026, 3, 1), "abbr"))` → `mar`
/// `@(month_name(format_date(today(), "M")))` → `novembro`
/// `@(month_name(13))` → `ERROR`
fn month_name(ev: &mut Evaluator, args: &[Value]) -> Value {
    let month: i64 = match args[0].default_or_self() {
        Value::Date(d) => i64::from(d.month()),
        Value::DateTime(z) => i64::from(z.month()),
        v => tri!(int_arg(v)),
    };
    let abbr = match args.get(1) {
        Some(v) => tri!(v.to_text()).eq_ignore_ascii_case("abbr"),
        None => false,
    };
    let _ = ev;
    let name = i8::try_from(month).ok().and_then(|m| {
        if abbr {
            date::month_abbreviation(m)
        } else {
            date::month_name(m)
        }
    });
    match name {
        Some(n) => Value::from(n),
        None => Value::error(format!("month {month} is not between 1 and 12")),
    }
}

#[cfg(test)]
mod tests {
    use crate::{Environment, Evaluator, Object, Pcg, Value};

    /// Runs every `` `@(…)` → `…` `` example of this file; `ERROR` means an error.
    #[test]
    fn doc_examples() {
        let src = include_str!("br.rs");
        let env = Environment::brazil();
        let root = Value::Object(std::sync::Arc::new(Object::new()));
        let now: jiff::Timestamp = "2026-11-26T12:00:00Z".parse().unwrap();
        let mut count = 0;
        for line in src.lines() {
            let Some(rest) = line.trim().strip_prefix("/// `@(") else {
                continue;
            };
            let (tpl, expected) = rest.split_once("` → `").expect("example has → ");
            let tpl = format!("@({tpl}");
            let expected = expected.split('`').next().unwrap_or_default();
            let mut rng = Pcg::new(1, 1);
            let mut ev = Evaluator::new(&env, &root, now, &mut rng);
            let r = ev.template(&tpl);
            if expected == "ERROR" {
                assert!(!r.errors.is_empty(), "{tpl} should fail, gave {:?}", r.text);
            } else {
                assert_eq!(r.text, expected, "{tpl}: {:?}", r.errors);
            }
            count += 1;
        }
        // every function in this file has at least one example
        for def in super::FUNCTIONS {
            assert!(
                src.contains(&format!("/// `@({}(", def.name)),
                "{} has no example",
                def.name
            );
        }
        assert!(count >= 20);
    }
}
