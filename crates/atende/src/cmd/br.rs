//! `atende br …`: Brazilian documents and payments.
//!
//! `check` runs vector files (the format of `shared/corpus/br/`) through the same runner
//! CI uses; the other subcommands explain one value the way a support agent needs it:
//! valid or not and why, and every useful form of it. They exit 0 for a valid value and
//! 1 for an invalid one, so scripts can use them as validators.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use atende_br::jiff::civil::Date;
use atende_br::{boleto, cnpj, cpf, date, money, phone, pix, BrError};
use clap::Subcommand;

/// Brazilian documents and payments: CPF, CNPJ, boleto, Pix, phones.
#[derive(Subcommand)]
pub enum BrCommand {
    /// Run vector files (one JSON case per line) and close with `N passed, M failed`.
    ///
    /// A directory stands for every `.jsonl` file in it. Exit status 1 when any case fails.
    Check {
        /// `.jsonl` files or folders of them (e.g. ../shared/corpus/br).
        #[arg(required = true, value_name = "FILE.jsonl")]
        files: Vec<PathBuf>,
    },
    /// Explain a CPF: valid or not and why, normalised, formatted and masked forms.
    Cpf {
        /// The CPF, masked or not.
        value: String,
    },
    /// Explain a CNPJ (numeric or alphanumeric).
    Cnpj {
        /// The CNPJ, masked or not.
        value: String,
    },
    /// Explain a boleto barcode or digitable line: bank or segment, amount, due date and
    /// both representations.
    Boleto {
        /// 44-digit barcode, 47-digit bank line or 48-digit arrecadação line; spaces, dots
        /// and hyphens are fine.
        value: String,
        /// Resolve the due-date factor as seen from this date (YYYY-MM-DD) instead of today.
        #[arg(long, value_name = "YYYY-MM-DD")]
        today: Option<Date>,
    },
    /// Explain a Pix BR Code ("copia e cola"): type, key, amount, payee, txid, CRC.
    Pix {
        /// The payload.
        value: String,
    },
    /// Explain a phone number or WhatsApp id: E.164, line type, DDD, WhatsApp ids.
    Phone {
        /// The number in any usual notation, or a WhatsApp id.
        value: String,
    },
}

/// Runs one `atende br` subcommand.
pub fn run(command: BrCommand) -> anyhow::Result<ExitCode> {
    let (valid, text) = match command {
        BrCommand::Check { files } => return check(&files),
        BrCommand::Cpf { value } => explain_cpf(&value),
        BrCommand::Cnpj { value } => explain_cnpj(&value),
        BrCommand::Boleto { value, today } => {
            let today = today.unwrap_or_else(system_today);
            explain_boleto(&value, today)
        }
        BrCommand::Pix { value } => explain_pix(&value),
        BrCommand::Phone { value } => explain_phone(&value),
    };
    print!("{text}");
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Today in the system time zone. The library never reads the clock (due dates take a
/// reference date); the CLI is the shell that supplies it.
#[allow(clippy::disallowed_methods)] // the one place `atende br` reads the clock, see above
fn system_today() -> Date {
    atende_br::jiff::Zoned::now().date()
}

fn check(inputs: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let found = atende_conformance::br::corpus_files(input)
                .with_context(|| format!("listing {}", input.display()))?;
            anyhow::ensure!(!found.is_empty(), "no .jsonl files in {}", input.display());
            files.extend(found);
        } else {
            files.push(input.clone());
        }
    }
    let report = atende_conformance::br::run_files(&files)?;
    for failure in &report.failures {
        println!("{failure}");
    }
    println!("{}", report.summary());
    Ok(if report.failed() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `(valid, text)` of an invalid value: the error already names what is wrong.
fn invalid(what: &str, value: &str, err: &BrError) -> (bool, String) {
    (false, format!("{what} {value:?}: invalid\n  why: {err}\n"))
}

fn explain_cpf(value: &str) -> (bool, String) {
    match cpf::parse(value) {
        Err(e) => invalid("CPF", value, &e),
        Ok(c) => {
            let mut t = format!("CPF {}: valid\n", c.formatted());
            let _ = writeln!(t, "  normalized:    {}", c.as_str());
            let _ = writeln!(t, "  formatted:     {}", c.formatted());
            let _ = writeln!(t, "  masked (logs): {}", c.masked());
            let _ = writeln!(
                t,
                "  fiscal region: {} ({})",
                c.fiscal_region(),
                c.fiscal_region_states()
            );
            (true, t)
        }
    }
}

fn explain_cnpj(value: &str) -> (bool, String) {
    match cnpj::parse(value) {
        Err(e) => invalid("CNPJ", value, &e),
        Ok(c) => {
            let kind = if c.is_alphanumeric() {
                "alphanumeric"
            } else {
                "numeric"
            };
            let mut t = format!("CNPJ {}: valid ({kind})\n", c.formatted());
            let _ = writeln!(t, "  normalized:    {}", c.as_str());
            let _ = writeln!(t, "  formatted:     {}", c.formatted());
            let _ = writeln!(t, "  masked (logs): {}", c.masked());
            let office = if c.is_head_office() {
                "head office, matriz"
            } else {
                "branch, filial"
            };
            let _ = writeln!(t, "  root:          {}", c.root());
            let _ = writeln!(t, "  order:         {} ({office})", c.order());
            (true, t)
        }
    }
}

fn explain_boleto(value: &str, today: Date) -> (bool, String) {
    let b = match boleto::parse(value) {
        Err(e) => return invalid("Boleto", value, &e),
        Ok(b) => b,
    };
    let mut t = String::new();
    match b.kind() {
        boleto::BoletoKind::Bank => {
            let _ = writeln!(t, "Boleto: valid (bank collection)");
            let code = b.bank_code().unwrap_or_default();
            match b.bank_name() {
                Some(name) => {
                    let _ = writeln!(t, "  bank:       {code} ({name})");
                }
                None => {
                    let _ = writeln!(t, "  bank:       {code}");
                }
            }
            let currency = match b.currency_code() {
                Some(9) => "real (9)".to_owned(),
                Some(c) => format!("other currency ({c})"),
                None => String::new(),
            };
            let _ = writeln!(t, "  currency:   {currency}");
            match b.amount_cents() {
                Some(0) | None => {
                    let _ = writeln!(t, "  amount:     not set (the payer types it)");
                }
                Some(c) => {
                    let _ = writeln!(t, "  amount:     {}", plain_brl(c));
                }
            }
            let factor = b.factor().unwrap_or_default();
            let due = match (factor, b.due_date(today)) {
                (0, _) => "none (factor 0000)".to_owned(),
                (1..=999, _) => format!("none (factor {factor:04} is not a date factor)"),
                (_, Some(d)) => format!(
                    "{} ({}; factor {factor}, seen from {})",
                    date::format_short(d),
                    date::format_full(d),
                    date::format_short(today)
                ),
                (_, None) => format!(
                    "none: factor {factor} falls outside the payment window seen from {}",
                    date::format_short(today)
                ),
            };
            let _ = writeln!(t, "  due date:   {due}");
        }
        boleto::BoletoKind::Convenio => {
            let _ = writeln!(t, "Boleto: valid (arrecadação/convênio)");
            let segment = b.segment().unwrap_or_default();
            let _ = writeln!(
                t,
                "  segment:    {segment} ({})",
                b.segment_name().unwrap_or("unknown")
            );
            let value_id = b.value_id().unwrap_or_default();
            let module = if value_id <= 7 { "mod 10" } else { "mod 11" };
            let _ = writeln!(t, "  value id:   {value_id} ({module})");
            match (b.amount_cents(), b.reference_value()) {
                (Some(c), _) => {
                    let _ = writeln!(t, "  amount:     {}", plain_brl(c));
                }
                (None, Some(r)) => {
                    let _ = writeln!(t, "  amount:     none (reference value {r})");
                }
                _ => {}
            }
            let _ = writeln!(t, "  company id: {}", b.company_id().unwrap_or_default());
            let _ = writeln!(
                t,
                "  due date:   none (arrecadação codes carry no due date)"
            );
        }
    }
    let _ = writeln!(t, "  barcode:    {}", b.barcode());
    let _ = writeln!(t, "  digitable:  {}", b.digitable_formatted());
    let _ = writeln!(t, "              {}", b.digitable());
    (true, t)
}

/// Plain space: terminals and logs copy U+00A0 badly.
fn plain_brl(cents: u64) -> String {
    let cents = i64::try_from(cents).unwrap_or(i64::MAX);
    money::format_with(
        atende_br::rust_decimal::Decimal::new(cents, 2),
        money::Space::Plain,
    )
}

fn explain_pix(value: &str) -> (bool, String) {
    let strict = pix::parse(value);
    let (valid, code, mut t) = match (&strict, pix::parse_lenient(value)) {
        (Ok(c), _) => (
            true,
            c.clone(),
            format!("Pix BR Code: valid ({})\n", c.kind().as_str()),
        ),
        (Err(e), Ok(c)) => (
            false,
            c,
            format!("Pix BR Code: invalid\n  why: {e}\n  fields as read by the tolerant parse:\n"),
        ),
        (Err(e), Err(_)) => {
            let crc = if pix::crc_ok(value) {
                "\n  (the CRC matches, so the text was built wrong rather than damaged)"
            } else {
                ""
            };
            return (
                false,
                format!("Pix BR Code {value:?}: invalid\n  why: {e}{crc}\n"),
            );
        }
    };
    if let Some(key) = code.key {
        let kind = code
            .key_kind()
            .map(|k| match k {
                pix::PixKeyKind::Cpf => "cpf",
                pix::PixKeyKind::Cnpj => "cnpj",
                pix::PixKeyKind::Email => "e-mail",
                pix::PixKeyKind::Phone => "phone",
                pix::PixKeyKind::Random => "random key (evp)",
            })
            .unwrap_or("not in a DICT key format");
        let _ = writeln!(t, "  key:          {key} ({kind})");
    }
    if let Some(url) = code.url {
        let _ = writeln!(t, "  url:          https://{url}");
    }
    if let Some(url) = code.recurrence_url {
        let _ = writeln!(t, "  recurrence:   https://{url} (Pix Automático)");
    }
    let amount = match code.amount() {
        Some(a) => money::format_with(a, money::Space::Plain),
        None => "not set (the payer types it)".to_owned(),
    };
    let _ = writeln!(t, "  amount:       {amount}");
    let _ = writeln!(
        t,
        "  merchant:     {}, {}",
        code.merchant_name.unwrap_or("?"),
        code.merchant_city.unwrap_or("?")
    );
    if let Some(d) = code.description {
        let _ = writeln!(t, "  description:  {d}");
    }
    if let Some(txid) = code.txid {
        let _ = writeln!(t, "  txid:         {txid}");
    }
    let use_ = if code.is_single_use() {
        "single use"
    } else {
        "reusable"
    };
    let _ = writeln!(t, "  use:          {use_}");
    let _ = writeln!(t, "  crc:          {:04X} (ok)", code.crc);
    (valid, t)
}

fn explain_phone(value: &str) -> (bool, String) {
    let (p, note) = match phone::parse(value) {
        Ok(p) => (p, None),
        Err(e) => match phone::from_whatsapp_id(value) {
            Ok(w) if w.inserted_ninth_digit => (
                w.phone,
                Some("read as a legacy WhatsApp id: the 9th digit was restored"),
            ),
            _ => return invalid("Phone", value, &e),
        },
    };
    let mut t = format!("Phone {}: valid ({})\n", p.e164(), p.kind().as_str());
    if let Some(note) = note {
        let _ = writeln!(t, "  note:          {note}");
    }
    let _ = writeln!(t, "  e164:          {}", p.e164());
    let _ = writeln!(t, "  national:      {}", p.formatted_national());
    let _ = writeln!(t, "  international: {}", p.formatted_international());
    if let (Some(ddd), Some(uf)) = (p.ddd(), p.state()) {
        let _ = writeln!(t, "  ddd:           {ddd} ({uf})");
    }
    let _ = writeln!(t, "  whatsapp id:   {}", p.whatsapp_id());
    if let Some(legacy) = p.legacy_whatsapp_id() {
        let _ = writeln!(t, "  legacy wa id:  {legacy} (without the 9th digit)");
    }
    if let Some(key) = p.match_key() {
        let _ = writeln!(t, "  match key:     {key}");
    }
    let _ = writeln!(t, "  masked (logs): {}", p.masked());
    (true, t)
}
