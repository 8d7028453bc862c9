//! Runner for the Brazilian billing vectors (`shared/corpus/br/*.jsonl`).
//!
//! One JSON case per line; the `kind` field picks the checker, and `corpus/br/README.md`
//! says when each kind passes. `disputed.jsonl` mixes kinds and is run the same way (its
//! `rule` field is quoted in failures). A case without an `id` is named `<file>:<line>`.
//!
//! Policies the vectors leave open and that the checks below encode:
//! - money: our formatter uses the CLDR no-break space (`formatted`); the plain-space
//!   spelling (`formatted_plain_space`) is checked against `Space::Plain`, and both must
//!   parse back to the input amount;
//! - pix: `valid` is the strict parse; `crc_ok` is checked against the CRC-only check.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

use atende_br::jiff::civil::Date;
use atende_br::rust_decimal::Decimal;
use atende_br::{boleto, cnpj, cpf, date, money, phone, pix, BrError};
use serde_json::Value;

use crate::{CorpusError, Report};

/// Runs every case of every file and returns one report, failures in file order.
pub fn run_files(paths: &[PathBuf]) -> Result<Report, CorpusError> {
    let mut report = Report::default();
    for case in run_cases(paths)? {
        match case.outcome {
            Ok(()) => report.pass(),
            Err(why) => report.fail(&case.id, why),
        }
    }
    Ok(report)
}

/// Like [`run_files`], split by case `kind` (for the per-kind counts in release notes).
pub fn run_files_by_kind(paths: &[PathBuf]) -> Result<BTreeMap<String, Report>, CorpusError> {
    let mut by_kind: BTreeMap<String, Report> = BTreeMap::new();
    for case in run_cases(paths)? {
        let report = by_kind.entry(case.kind).or_default();
        match case.outcome {
            Ok(()) => report.pass(),
            Err(why) => report.fail(&case.id, why),
        }
    }
    Ok(by_kind)
}

/// The `.jsonl` files of a folder, sorted, for "run the whole corpus".
pub fn corpus_files(dir: &std::path::Path) -> Result<Vec<PathBuf>, CorpusError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CorpusError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    Ok(files)
}

struct CaseOutcome {
    id: String,
    kind: String,
    outcome: Result<(), String>,
}

fn run_cases(paths: &[PathBuf]) -> Result<Vec<CaseOutcome>, CorpusError> {
    let mut out = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(path).map_err(|source| CorpusError::Io {
            path: path.clone(),
            source,
        })?;
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let case: Value = serde_json::from_str(line).map_err(|e| CorpusError::Malformed {
                path: path.clone(),
                line: i + 1,
                message: e.to_string(),
            })?;
            let id = case
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{file}:{}", i + 1));
            let kind = case
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("(none)")
                .to_owned();
            let mut outcome = check_case(&case);
            if let (Err(why), Some(rule)) = (&mut outcome, case.get("rule").and_then(Value::as_str))
            {
                why.push_str(&format!(" [rule: {rule}]"));
            }
            out.push(CaseOutcome { id, kind, outcome });
        }
    }
    Ok(out)
}

/// Checks one case; `Err` is the "what differs" text of its failure line.
pub fn check_case(case: &Value) -> Result<(), String> {
    let kind = case
        .get("kind")
        .and_then(Value::as_str)
        .ok_or("case has no \"kind\"")?;
    match kind {
        "cpf" => check_cpf(case),
        "cnpj" => check_cnpj(case),
        "boleto" => check_boleto(case),
        "pix" => check_pix(case),
        "phone" => check_phone(case),
        "whatsapp" => check_whatsapp(case),
        "money" => check_money(case),
        "date" => check_date(case),
        other => Err(format!("unknown kind {other:?}")),
    }
}

fn text<'a>(case: &'a Value, name: &str) -> Result<&'a str, String> {
    case.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("case has no string field {name:?}"))
}

fn flag(case: &Value, name: &str) -> Result<bool, String> {
    case.get(name)
        .and_then(Value::as_bool)
        .ok_or_else(|| format!("case has no boolean field {name:?}"))
}

/// Collects field mismatches so one failure line shows all of them.
#[derive(Default)]
struct Diffs(Vec<String>);

impl Diffs {
    /// Compares when the case has the field; JSON `null` means "absent".
    fn opt(&mut self, case: &Value, name: &str, got: Option<&str>) {
        let Some(want) = case.get(name) else {
            return;
        };
        let (matches, expected) = match want {
            Value::Null => (got.is_none(), "null".to_owned()),
            Value::String(w) => (got == Some(w.as_str()), format!("{w:?}")),
            Value::Bool(w) => (
                got == Some(if *w { "true" } else { "false" }),
                w.to_string(),
            ),
            Value::Number(w) => (got == Some(w.to_string().as_str()), w.to_string()),
            other => (false, format!("unsupported value {other}")),
        };
        if !matches {
            self.0
                .push(format!("{name}: expected {expected}, got {}", show(got)));
        }
    }

    fn eq(&mut self, name: &str, want: &str, got: &str) {
        if want != got {
            self.0
                .push(format!("{name}: expected {want:?}, got {got:?}"));
        }
    }

    fn finish(self, input: &str) -> Result<(), String> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(format!("{input:?}: {}", self.0.join("; ")))
        }
    }
}

/// `"text"` or `null`, as in the case files.
fn show(got: Option<&str>) -> String {
    got.map_or_else(|| "null".to_owned(), |g| format!("{g:?}"))
}

/// The shared valid/invalid logic: `fields` runs only when both sides say valid.
fn verdict<T>(
    case: &Value,
    input: &str,
    result: Result<T, BrError>,
    describe: impl Fn(&T) -> String,
    fields: impl FnOnce(T, &mut Diffs),
) -> Result<(), String> {
    let want = match case.get("valid") {
        None => true,
        Some(_) => flag(case, "valid")?,
    };
    match (result, want) {
        (Ok(v), true) => {
            let mut d = Diffs::default();
            fields(v, &mut d);
            d.finish(input)
        }
        (Err(_), false) => Ok(()),
        (Err(e), true) => Err(format!("{input:?}: expected valid, got invalid ({e})")),
        (Ok(v), false) => Err(format!(
            "{input:?}: expected invalid, got valid ({})",
            describe(&v)
        )),
    }
}

fn check_cpf(case: &Value) -> Result<(), String> {
    let input = text(case, "input")?;
    verdict(
        case,
        input,
        cpf::parse(input),
        |c| c.as_str().to_owned(),
        |c, d| {
            d.opt(case, "normalized", Some(c.as_str()));
            d.opt(case, "formatted", Some(&c.formatted()));
        },
    )
}

fn check_cnpj(case: &Value) -> Result<(), String> {
    let input = text(case, "input")?;
    verdict(
        case,
        input,
        cnpj::parse(input),
        |c| c.as_str().to_owned(),
        |c, d| {
            d.opt(case, "normalized", Some(c.as_str()));
            d.opt(case, "formatted", Some(&c.formatted()));
        },
    )
}

fn check_boleto(case: &Value) -> Result<(), String> {
    let input = text(case, "input")?;
    let reference = match case.get("ref_date").and_then(Value::as_str) {
        Some(s) => Some(Date::from_str(s).map_err(|e| format!("bad ref_date {s:?}: {e}"))?),
        None => None,
    };
    verdict(
        case,
        input,
        boleto::parse(input),
        |b| b.barcode().to_owned(),
        |b, d| {
            d.opt(case, "type", Some(b.kind().as_str()));
            d.opt(case, "barcode", Some(b.barcode()));
            d.opt(case, "digitable", Some(b.digitable()));
            d.opt(case, "amount", b.amount().map(|a| a.to_string()).as_deref());
            d.opt(case, "factor", b.factor().map(|f| f.to_string()).as_deref());
            if case.get("due_date").is_some() {
                match reference {
                    Some(r) => d.opt(
                        case,
                        "due_date",
                        b.due_date(r).map(|x| x.to_string()).as_deref(),
                    ),
                    None => d.0.push("due_date given without ref_date".into()),
                }
            }
        },
    )
}

fn check_pix(case: &Value) -> Result<(), String> {
    let input = text(case, "input")?;
    if let Some(want) = case.get("crc_ok").and_then(Value::as_bool) {
        let got = pix::crc_ok(input);
        if got != want {
            return Err(format!("{input:?}: crc_ok: expected {want}, got {got}"));
        }
    }
    verdict(
        case,
        input,
        pix::parse(input),
        |c| format!("{} code", c.kind().as_str()),
        |c, d| {
            d.opt(case, "type", Some(c.kind().as_str()));
            d.opt(case, "key", c.key);
            d.opt(case, "amount", c.amount().map(|a| a.to_string()).as_deref());
            d.opt(case, "amount_raw", c.amount_raw);
            d.opt(case, "txid", c.txid);
            d.opt(case, "merchant_name", c.merchant_name);
            d.opt(case, "city", c.merchant_city);
            d.opt(case, "description", c.description);
            d.opt(case, "url", c.url);
            d.opt(case, "poi", c.point_of_initiation);
            d.opt(case, "recurrence_url", c.recurrence_url);
        },
    )
}

fn check_phone(case: &Value) -> Result<(), String> {
    let input = text(case, "input")?;
    verdict(
        case,
        input,
        phone::parse(input),
        |p| p.e164().to_owned(),
        |p, d| {
            d.opt(case, "e164", Some(p.e164()));
            d.opt(case, "type", Some(p.kind().as_str()));
        },
    )
}

fn check_whatsapp(case: &Value) -> Result<(), String> {
    let input = text(case, "input")?;
    verdict(
        case,
        input,
        phone::from_whatsapp_id(input),
        |w| w.phone.e164().to_owned(),
        |w, d| {
            d.opt(case, "e164", Some(w.phone.e164()));
            d.opt(case, "type", Some(w.phone.kind().as_str()));
            d.opt(case, "match_key", w.phone.match_key().as_deref());
            let yes_no = |b: bool| if b { "true" } else { "false" };
            d.opt(
                case,
                "inserted_ninth_digit",
                Some(yes_no(w.inserted_ninth_digit)),
            );
            d.opt(case, "raw_valid_e164", Some(yes_no(w.raw_valid())));
        },
    )
}

fn check_money(case: &Value) -> Result<(), String> {
    let input = text(case, "input")?;
    let amount = Decimal::from_str(input).map_err(|e| format!("bad input {input:?}: {e}"))?;
    let mut d = Diffs::default();
    for (field, space) in [
        ("formatted", money::Space::NoBreak),
        ("formatted_plain_space", money::Space::Plain),
    ] {
        let Some(want) = case.get(field).and_then(Value::as_str) else {
            continue;
        };
        d.eq(field, want, &money::format_with(amount, space));
        match money::parse(want) {
            Ok(back) if back == amount => {}
            Ok(back) => d.0.push(format!("parsing {field} {want:?} gave {back}")),
            Err(e) => d.0.push(format!("parsing {field} {want:?} failed: {e}")),
        }
    }
    d.finish(input)
}

fn check_date(case: &Value) -> Result<(), String> {
    let input = text(case, "input")?;
    let day = Date::from_str(input).map_err(|e| format!("bad input {input:?}: {e}"))?;
    let mut d = Diffs::default();
    d.opt(case, "long", Some(&date::format_long(day)));
    d.opt(case, "short", Some(&date::format_short(day)));
    d.opt(case, "full", Some(&date::format_full(day)));
    d.opt(case, "month", date::month_name(day.month()));
    d.opt(case, "weekday", Some(date::weekday_name(day.weekday())));
    d.finish(input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_kind_is_a_failure_not_a_panic() {
        assert_eq!(
            check_case(&json!({"kind": "rg", "input": "1"})),
            Err("unknown kind \"rg\"".into())
        );
        assert!(check_case(&json!({"input": "1"})).is_err());
    }

    #[test]
    fn failure_text_says_what_differs() {
        let case = json!({"kind": "cpf", "input": "529.982.247-25", "valid": true,
                          "normalized": "52998224725", "formatted": "529.982.247-26"});
        assert_eq!(
            check_case(&case),
            Err("\"529.982.247-25\": formatted: expected \"529.982.247-26\", got \"529.982.247-25\"".into())
        );
        let case = json!({"kind": "cpf", "input": "111.111.111-11", "valid": true});
        assert_eq!(
            check_case(&case),
            Err(
                "\"111.111.111-11\": expected valid, got invalid (cpf: all digits are the same)"
                    .into()
            )
        );
    }
}
