//! Typed field values and the conversions from a field's text (the parser's hot path:
//! nothing here allocates unless a value is rejected).

use std::fmt;

use atende_br::document::Document;
use atende_br::phone::{Phone, PhoneType};
use atende_br::{cnpj, cpf};
use jiff::civil::{Date, DateTime};
use rust_decimal::Decimal;

use crate::pattern::DatePattern;

/// One field's value in a parsed row.
///
/// Text borrows from the line being parsed, so rows cost no allocation; copy what you keep
/// (`value.to_string()` gives the canonical text form: ISO dates, `.` decimals, bare
/// document digits, E.164 phones).
///
/// ```
/// use atende_collections::Value;
///
/// let v = Value::Text("JOAO DA SILVA");
/// assert_eq!(v.to_string(), "JOAO DA SILVA");
/// assert!(Value::Empty.is_empty());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// Blank (spaces only), or an all-zero date/document/phone (`00000000`).
    Empty,
    /// Text and e-mail fields, trimmed.
    Text(&'a str),
    /// `integer` fields.
    Integer(i64),
    /// `decimal` fields, exact.
    Decimal(Decimal),
    /// `date` fields.
    Date(Date),
    /// `datetime` fields.
    DateTime(DateTime),
    /// `document` fields: a valid CPF or CNPJ (normalised: `Document::as_str`).
    Document(Document),
    /// `phone` fields: a valid Brazilian geographic number (mobile or landline), so
    /// `ddd()` is always `Some`; `national()` is DDD + number.
    Phone(Phone),
}

impl Value<'_> {
    /// `true` for [`Value::Empty`].
    ///
    /// ```
    /// assert!(atende_collections::Value::Empty.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        matches!(self, Value::Empty)
    }
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Empty => Ok(()),
            Value::Text(s) => f.write_str(s),
            Value::Integer(n) => write!(f, "{n}"),
            Value::Decimal(d) => write!(f, "{d}"),
            Value::Date(d) => write!(f, "{d}"),
            Value::DateTime(d) => write!(f, "{d}"),
            Value::Document(d) => f.write_str(d.as_str()),
            Value::Phone(p) => f.write_str(p.e164()),
        }
    }
}

/// A value as the parser stores it: text as a byte range of the line (or of the
/// parser's scratch buffer, for unquoted CSV text), so a row's cells need no lifetime.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Cell {
    Empty,
    Text { start: u32, end: u32, scratch: bool },
    Integer(i64),
    Decimal(Decimal),
    Date(Date),
    DateTime(DateTime),
    Document(Document),
    Phone(Phone),
}

impl Cell {
    pub(crate) fn value<'a>(&self, line: &'a str, scratch: &'a str) -> Value<'a> {
        match *self {
            Cell::Empty => Value::Empty,
            Cell::Text {
                start,
                end,
                scratch: s,
            } => {
                let src = if s { scratch } else { line };
                Value::Text(&src[start as usize..end as usize])
            }
            Cell::Integer(n) => Value::Integer(n),
            Cell::Decimal(d) => Value::Decimal(d),
            Cell::Date(d) => Value::Date(d),
            Cell::DateTime(d) => Value::DateTime(d),
            Cell::Document(d) => Value::Document(d),
            Cell::Phone(p) => Value::Phone(p),
        }
    }
}

/// Which documents a `document` field takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DocumentKind {
    Cpf,
    Cnpj,
    Any,
}

/// How a `decimal` field writes its amounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DecimalFormat {
    /// Digits only, the last `n` are decimals (`000000012345` with 2 → 123.45).
    Implied(u32),
    /// An explicit separator (`,` or `.`), the other one allowed as a thousands separator
    /// in groups of three (`23.814,80`); `percent` allows a trailing `%`.
    Separator { sep: u8, percent: bool },
}

/// A field's type, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FieldType {
    Text { values: Vec<String> },
    Email,
    Integer,
    Decimal(DecimalFormat),
    Date(Vec<DatePattern>),
    DateTime(Vec<DatePattern>),
    Document(DocumentKind),
    Phone,
}

impl FieldType {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            FieldType::Text { .. } => "text",
            FieldType::Email => "email",
            FieldType::Integer => "integer",
            FieldType::Decimal(_) => "decimal",
            FieldType::Date(_) => "date",
            FieldType::DateTime(_) => "datetime",
            FieldType::Document(_) => "document",
            FieldType::Phone => "phone",
        }
    }
}

/// The byte range of `raw` without leading and trailing padding (spaces, tabs, NULs).
/// Byte-wise: padding is ASCII, and ASCII bytes never occur inside a multi-byte character.
fn trim_pad(raw: &str) -> (usize, usize) {
    let b = raw.as_bytes();
    let pad = |c: &u8| matches!(c, b' ' | b'\t' | 0);
    // Fixed-width text is mostly trailing spaces: drop them eight at a time first.
    let mut end = b.len();
    while end >= 8 && b[end - 8..end] == *b"        " {
        end -= 8;
    }
    let start = b[..end].iter().position(|c| !pad(c)).unwrap_or(end);
    let end = b[start..end]
        .iter()
        .rposition(|c| !pad(c))
        .map_or(start, |i| start + i + 1);
    (start, end)
}

/// Parses one field's raw text. `offset` is where `raw` starts in its source, so text
/// values can be stored as ranges. Errors are the reason only (the caller adds line and
/// field).
pub(crate) fn parse_cell(
    ty: &FieldType,
    raw: &str,
    offset: usize,
    scratch: bool,
) -> Result<Cell, String> {
    let (ts, te) = trim_pad(raw);
    if ts == te {
        return Ok(Cell::Empty);
    }
    let s = &raw[ts..te];
    let text_cell = || Cell::Text {
        start: (offset + ts) as u32,
        end: (offset + te) as u32,
        scratch,
    };
    match ty {
        FieldType::Text { values } => {
            if !values.is_empty() && !values.iter().any(|v| v.eq_ignore_ascii_case(s)) {
                return Err(format!(
                    "{s:?} não é um dos valores permitidos ({})",
                    values.join(", ")
                ));
            }
            Ok(text_cell())
        }
        FieldType::Email => {
            check_email(s)?;
            Ok(text_cell())
        }
        FieldType::Integer => parse_integer(s)
            .map(Cell::Integer)
            .ok_or_else(|| format!("não é um número inteiro: {s:?}")),
        FieldType::Decimal(fmt) => parse_decimal(s, *fmt).map(Cell::Decimal),
        FieldType::Date(patterns) => {
            if all_zero(s) {
                return Ok(Cell::Empty);
            }
            patterns
                .iter()
                .find_map(|p| p.parse_date(s))
                .map(Cell::Date)
                .ok_or_else(|| {
                    format!(
                        "não é uma data no formato {}: {s:?}",
                        pattern_list(patterns)
                    )
                })
        }
        FieldType::DateTime(patterns) => {
            if all_zero(s) {
                return Ok(Cell::Empty);
            }
            patterns
                .iter()
                .find_map(|p| p.parse_datetime(s))
                .map(Cell::DateTime)
                .ok_or_else(|| {
                    format!(
                        "não é uma data/hora no formato {}: {s:?}",
                        pattern_list(patterns)
                    )
                })
        }
        FieldType::Document(kind) => {
            if all_zero(s) {
                return Ok(Cell::Empty);
            }
            parse_document(s, *kind).map(Cell::Document)
        }
        FieldType::Phone => {
            if all_zero(s) {
                return Ok(Cell::Empty);
            }
            parse_phone(s).map(Cell::Phone)
        }
    }
}

fn pattern_list(patterns: &[DatePattern]) -> String {
    patterns
        .iter()
        .map(DatePattern::source)
        .collect::<Vec<_>>()
        .join(" ou ")
}

/// Only zeros and separators: the "no value" filler of bank files.
fn all_zero(s: &str) -> bool {
    s.bytes().any(|b| b == b'0')
        && s.bytes()
            .all(|b| matches!(b, b'0' | b'/' | b'-' | b'.' | b':' | b' '))
}

pub(crate) fn parse_integer(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(d - b'0');
    }
    Some(if neg { -v } else { v })
}

fn parse_decimal(s: &str, fmt: DecimalFormat) -> Result<Decimal, String> {
    let bad = || match fmt {
        DecimalFormat::Implied(n) => {
            format!("não é um valor numérico (dígitos com {n} casas decimais implícitas): {s:?}")
        }
        DecimalFormat::Separator { sep, .. } => {
            format!(
                "não é um valor numérico (separador decimal {:?}): {s:?}",
                char::from(sep)
            )
        }
    };
    let b = s.as_bytes();
    let (neg, body) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let mut mantissa: i128 = 0;
    let mut digits = 0u32;
    let scale = match fmt {
        DecimalFormat::Implied(n) => {
            if body.is_empty() {
                return Err(bad());
            }
            if body.len() <= 18 {
                // Fast path: fits an i64, the usual case (15-character amount fields).
                let mut v: i64 = 0;
                for &d in body {
                    if !d.is_ascii_digit() {
                        return Err(bad());
                    }
                    v = v * 10 + i64::from(d - b'0');
                }
                return Ok(Decimal::new(if neg { -v } else { v }, n));
            }
            for &d in body {
                if !d.is_ascii_digit() {
                    return Err(bad());
                }
                mantissa = mantissa * 10 + i128::from(d - b'0');
                digits += 1;
                if digits > 28 {
                    return Err(bad());
                }
            }
            n
        }
        DecimalFormat::Separator { sep, percent } => {
            let body = match body.strip_suffix(b"%") {
                Some(rest) if percent => rest,
                Some(_) => return Err(bad()),
                None => body,
            };
            let thousands = if sep == b',' { b'.' } else { b',' };
            let (int, frac) = match body.iter().position(|&c| c == sep) {
                Some(p) => (&body[..p], Some(&body[p + 1..])),
                None => (body, None),
            };
            if int.is_empty() && frac.is_none_or(<[u8]>::is_empty) {
                return Err(bad());
            }
            // Thousands groups: 1–3 digits, then exactly three after each separator.
            let mut group = 0usize;
            let mut grouped = false;
            for (i, &d) in int.iter().enumerate() {
                if d == thousands {
                    if i == 0 || (grouped && group != 3) || group > 3 {
                        return Err(bad());
                    }
                    grouped = true;
                    group = 0;
                    continue;
                }
                if !d.is_ascii_digit() {
                    return Err(bad());
                }
                mantissa = mantissa * 10 + i128::from(d - b'0');
                digits += 1;
                group += 1;
            }
            if grouped && group != 3 {
                return Err(bad());
            }
            let mut scale = 0u32;
            for &d in frac.unwrap_or_default() {
                if !d.is_ascii_digit() {
                    return Err(bad());
                }
                mantissa = mantissa * 10 + i128::from(d - b'0');
                digits += 1;
                scale += 1;
            }
            if digits > 28 {
                return Err(bad());
            }
            scale
        }
    };
    let m = if neg { -mantissa } else { mantissa };
    Decimal::try_from_i128_with_scale(m, scale).map_err(|_| bad())
}

fn check_email(s: &str) -> Result<(), String> {
    let ok = match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("não é um endereço de e-mail: {s:?}"))
    }
}

/// A CPF or CNPJ as bank files write them: bare or masked, zero-padded to 14 characters
/// in "CPF/CNPJ" columns, or missing leading zeros (a spreadsheet that took it for a
/// number). See `layouts/README.md` for the rules.
fn parse_document(s: &str, kind: DocumentKind) -> Result<Document, String> {
    let b = s.as_bytes();
    let all_digits = b.iter().all(u8::is_ascii_digit);
    let as_cpf = |t: &str| cpf::parse(t).map(Document::Cpf);
    let as_cnpj = |t: &str| cnpj::parse(t).map(Document::Cnpj);
    let result = if all_digits {
        match (b.len(), kind) {
            (9..=11, DocumentKind::Cpf | DocumentKind::Any) => {
                let mut buf = [b'0'; 11];
                buf[11 - b.len()..].copy_from_slice(b);
                as_cpf(std::str::from_utf8(&buf).expect("digits"))
            }
            (14, DocumentKind::Cpf) if b.starts_with(b"000") => as_cpf(&s[3..]),
            (14, DocumentKind::Any) if b.starts_with(b"000") => {
                // Zero-padded "CPF/CNPJ" column: a CPF when the last 11 digits are one.
                as_cpf(&s[3..]).or_else(|_| as_cnpj(s))
            }
            (12..=14, DocumentKind::Cnpj | DocumentKind::Any) => {
                let mut buf = [b'0'; 14];
                buf[14 - b.len()..].copy_from_slice(b);
                as_cnpj(std::str::from_utf8(&buf).expect("digits"))
            }
            (n, DocumentKind::Cpf) => {
                return Err(format!(
                    "CPF: tamanho errado: esperado 11 dígitos, encontrado {n}"
                ));
            }
            (n, DocumentKind::Cnpj) => {
                return Err(format!(
                    "CNPJ: tamanho errado: esperado 14 caracteres, encontrado {n}"
                ));
            }
            (n, DocumentKind::Any) => {
                return Err(format!(
                    "CPF/CNPJ: tamanho errado: esperado 11 dígitos (CPF) ou 14 caracteres (CNPJ), encontrado {n}"
                ));
            }
        }
    } else {
        match kind {
            DocumentKind::Cpf => as_cpf(s),
            DocumentKind::Cnpj => as_cnpj(s),
            DocumentKind::Any => atende_br::document::parse(s),
        }
    };
    result.map_err(|e| crate::pt::br_error(&e))
}

fn parse_phone(s: &str) -> Result<Phone, String> {
    let p = atende_br::phone::parse(s).map_err(|e| crate::pt::br_error(&e))?;
    match p.kind() {
        PhoneType::Mobile | PhoneType::Landline => Ok(p),
        other => Err(format!(
            "telefone: o número do cliente precisa de DDD (celular ou fixo), e este é {}",
            crate::pt::phone_type(other)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn comma() -> DecimalFormat {
        DecimalFormat::Separator {
            sep: b',',
            percent: false,
        }
    }

    #[test]
    fn integers() {
        assert_eq!(parse_integer("00042"), Some(42));
        assert_eq!(parse_integer("-7"), Some(-7));
        assert_eq!(parse_integer("4 2"), None);
        assert_eq!(parse_integer("-"), None);
        assert_eq!(parse_integer("9999999999999999999"), None);
    }

    #[test]
    fn decimals() {
        let implied = DecimalFormat::Implied(2);
        assert_eq!(parse_decimal("000000059537", implied), Ok(dec("595.37")));
        assert_eq!(parse_decimal("-100", implied), Ok(dec("-1.00")));
        assert!(parse_decimal("5953,7", implied).is_err());

        assert_eq!(parse_decimal("595,37", comma()), Ok(dec("595.37")));
        assert_eq!(parse_decimal("23.814,80", comma()), Ok(dec("23814.80")));
        assert_eq!(parse_decimal("1.234.567,8", comma()), Ok(dec("1234567.8")));
        assert_eq!(parse_decimal("59", comma()), Ok(dec("59")));
        assert_eq!(parse_decimal(",5", comma()), Ok(dec("0.5")));
        // A decimal point in a decimal-comma column is an error, never ×100.
        assert!(parse_decimal("595.37", comma()).is_err());
        assert!(parse_decimal("23.81,00", comma()).is_err());
        assert!(parse_decimal("1234.567,00", comma()).is_err());
        assert!(parse_decimal(".567,00", comma()).is_err());
        assert!(parse_decimal("1,66%", comma()).is_err());
        let pct = DecimalFormat::Separator {
            sep: b',',
            percent: true,
        };
        assert_eq!(parse_decimal("1,66%", pct), Ok(dec("1.66")));
        assert_eq!(parse_decimal("22,18", pct), Ok(dec("22.18")));
        let dot = DecimalFormat::Separator {
            sep: b'.',
            percent: false,
        };
        assert_eq!(parse_decimal("1,234.5", dot), Ok(dec("1234.5")));
        assert_eq!(
            parse_decimal("12x", comma()).unwrap_err(),
            "não é um valor numérico (separador decimal ','): \"12x\""
        );
    }

    #[test]
    fn documents() {
        let any = DocumentKind::Any;
        let doc = |s| parse_document(s, any).map(|d| d.as_str().to_owned());
        assert_eq!(doc("52998224725").unwrap(), "52998224725");
        assert_eq!(doc("529.982.247-25").unwrap(), "52998224725");
        assert_eq!(doc("00052998224725").unwrap(), "52998224725");
        // Leading zeros lost by a spreadsheet.
        assert_eq!(doc("1234567890").unwrap(), "01234567890");
        assert_eq!(doc("54550752000155").unwrap(), "54550752000155");
        assert_eq!(doc("12.ABC.345/01DE-35").unwrap(), "12ABC34501DE35");
        assert_eq!(doc("12ABC34501DE35").unwrap(), "12ABC34501DE35");
        // The one ambiguity: 14 digits starting 000 whose last 11 are a valid CPF read as
        // that CPF in a CPF/CNPJ column (Banco do Brasil's CNPJ is also CPF 000.000.001-91);
        // a CNPJ-only column reads the CNPJ.
        assert_eq!(doc("00000000000191").unwrap(), "00000000191");
        assert_eq!(
            parse_document("00000000000191", DocumentKind::Cnpj)
                .unwrap()
                .as_str(),
            "00000000000191"
        );
        assert_eq!(
            doc("52998224726").unwrap_err(),
            "CPF: segundo dígito verificador errado: esperado 5, encontrado 6"
        );
        assert_eq!(
            doc("123").unwrap_err(),
            "CPF/CNPJ: tamanho errado: esperado 11 dígitos (CPF) ou 14 caracteres (CNPJ), encontrado 3"
        );
        assert_eq!(
            parse_document("1234567", DocumentKind::Cpf).unwrap_err(),
            "CPF: tamanho errado: esperado 11 dígitos, encontrado 7"
        );
        assert!(parse_document("54550752000155", DocumentKind::Cpf).is_err());
        assert!(parse_document("52998224725", DocumentKind::Cnpj).is_err());
    }

    #[test]
    fn phones_and_cells() {
        let t = FieldType::Phone;
        let Ok(Cell::Phone(p)) = parse_cell(&t, "11987654321", 0, false) else {
            panic!()
        };
        assert_eq!((p.ddd(), p.national()), (Some(11), "11987654321"));
        assert!(matches!(
            parse_cell(&t, "1133334444 ", 0, false),
            Ok(Cell::Phone(_))
        ));
        assert!(matches!(
            parse_cell(&t, "00000000000", 0, false),
            Ok(Cell::Empty)
        ));
        assert_eq!(
            parse_cell(&t, "08001234567", 0, false).unwrap_err(),
            "telefone: o número do cliente precisa de DDD (celular ou fixo), e este é um número gratuito (0800)"
        );
        assert_eq!(
            parse_cell(&t, "2398765-4321", 0, false).unwrap_err(),
            "telefone: o DDD 23 não existe"
        );
        assert!(parse_cell(&t, "987654321", 0, false).is_err());

        let text = FieldType::Text { values: vec![] };
        let Ok(Cell::Text { start, end, .. }) = parse_cell(&text, "  JOSE  ", 10, false) else {
            panic!()
        };
        assert_eq!((start, end), (12, 16));
        let yn = FieldType::Text {
            values: vec!["S".into(), "N".into()],
        };
        assert!(parse_cell(&yn, "s", 0, false).is_ok());
        assert_eq!(
            parse_cell(&yn, "X", 0, false).unwrap_err(),
            "\"X\" não é um dos valores permitidos (S, N)"
        );
        assert!(parse_cell(&FieldType::Email, "a@b.com", 0, false).is_ok());
        assert!(parse_cell(&FieldType::Email, "a@b", 0, false).is_err());
        assert!(parse_cell(&FieldType::Email, "a b@c.com", 0, false).is_err());
        let date = FieldType::Date(vec![DatePattern::new("AAAAMMDD").unwrap()]);
        assert!(matches!(
            parse_cell(&date, "00000000", 0, false),
            Ok(Cell::Empty)
        ));
        assert_eq!(
            parse_cell(&date, "20231301", 0, false).unwrap_err(),
            "não é uma data no formato AAAAMMDD: \"20231301\""
        );
    }
}
