//! Export layouts as data: the files the hub *writes* for the dialer (the Manager's
//! mailing, UC003/R012) and its write-off file (the baixa, UC007), described in TOML like
//! the import layouts and documented key by key in `export_layouts/README.md`.
//!
//! A layout names, for every field of the line, where its value comes from (`source =
//! "customer.document"`, `"phone[3].score"`, …) and how it is written (type, width,
//! padding, date pattern, decimal separator). The writer is generic: fixed width or
//! delimited with a header, UTF-8, Latin-1 or plain ASCII, `\n` or `\r\n`. The same
//! layout reads a written file back ([`ExportLayout::read`]) with the import parser's
//! value rules, so a test (or an operator) can check a file against its layout.
//!
//! Pure like the rest of the crate: the caller hands in the records (through
//! [`ExportRecord`]) and the time the file is for.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::Path;

use jiff::civil::{Date, DateTime};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::layout::{header_key, LayoutError};
use crate::pattern::{DatePattern, NamePattern};
use crate::value::{parse_cell, DecimalFormat, DocumentKind, FieldType, Value};

/// What an export file is for.
///
/// ```
/// use atende_collections::ExportKind;
/// assert_eq!("baixa".parse::<ExportKind>(), Ok(ExportKind::Baixa));
/// assert_eq!(ExportKind::Mailing.as_str(), "mailing");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    /// The dialer's mailing (UC003, R012): one line per contract to dial, with its phones.
    Mailing,
    /// The write-off file (UC007): contracts the dialer must stop working.
    Baixa,
}

impl ExportKind {
    pub const ALL: [ExportKind; 2] = [ExportKind::Mailing, ExportKind::Baixa];

    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Mailing => "mailing",
            ExportKind::Baixa => "baixa",
        }
    }

    /// The contract statuses a layout of this kind lists unless it says otherwise.
    pub fn default_statuses(self) -> &'static [&'static str] {
        match self {
            ExportKind::Mailing => &["ATIVO"],
            ExportKind::Baixa => &[
                "EXCLUIDO",
                "RETIRADO",
                "TODOS CONTRATOS BAIXADOS",
                "BLOQUEIO PARCIAL",
            ],
        }
    }
}

impl fmt::Display for ExportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ExportKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ExportKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown export kind {s:?} (mailing or baixa)"))
    }
}

/// A whole list or only what changed since the last file of the kind.
///
/// ```
/// use atende_collections::ExportMode;
/// assert_eq!("incremental".parse::<ExportMode>(), Ok(ExportMode::Incremental));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportMode {
    /// Every contract of the layout's statuses; the dialer replaces its list.
    Full,
    /// Only contracts whose line differs from the last one sent (or never sent).
    Incremental,
}

impl ExportMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportMode::Full => "full",
            ExportMode::Incremental => "incremental",
        }
    }
}

impl fmt::Display for ExportMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ExportMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "full" => Ok(ExportMode::Full),
            "incremental" => Ok(ExportMode::Incremental),
            _ => Err(format!("unknown export mode {s:?} (full or incremental)")),
        }
    }
}

/// The statuses the portfolio knows (the store's `ContractStatus`), to catch typos in a
/// layout's `statuses`.
const KNOWN_STATUSES: [&str; 5] = [
    "ATIVO",
    "BLOQUEIO PARCIAL",
    "TODOS CONTRATOS BAIXADOS",
    "EXCLUIDO",
    "RETIRADO",
];

/// A customer column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerField {
    /// CPF or CNPJ, normalised.
    Document,
    Name,
    CrmId,
    /// `F` or `J`.
    PersonType,
}

/// A contract column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContractField {
    Contract,
    Portfolio,
    Product,
    DaysLate,
    /// Money, in cents.
    InstallmentValue,
    Status,
    StatusSince,
    /// Why the contract got its status (the exclusão file's reason, `batimento`, …).
    StatusReason,
}

/// A part of the N-th phone of the contract (dialling order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneField {
    Ddd,
    Number,
    /// DDD followed by the number.
    Full,
    /// The line type as the source gave it (`R`, `C`, `M`, `O`, …).
    Kind,
    /// The spec's phone type: `ENRIQUECIMENTO` for enrichment phones (R025), else the kind.
    Type,
    /// `Remessa`, `Enriquecimento N`, `Portal`, …
    Origin,
    Score,
}

/// A part of the N-th address of the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressField {
    Kind,
    Street,
    Number,
    Complement,
    District,
    City,
    State,
    Zip,
}

/// Facts about the export itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunField {
    /// The date the file is for.
    Date,
    /// The date and time the file is for.
    DateTime,
    /// `F` (full) or `I` (incremental).
    Mode,
}

/// Where a field's value comes from (`source` in the layout).
///
/// ```
/// use atende_collections::{PhoneField, Source};
/// assert_eq!(Source::parse("phone[2].score"), Ok(Source::Phone(2, PhoneField::Score)));
/// assert!(Source::parse("phone[0].ddd").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Customer(CustomerField),
    Contract(ContractField),
    /// `contract.extra.NAME`: a remessa field kept as is (by its import field name).
    Extra(String),
    /// `phone[N].PART`, N from 1.
    Phone(usize, PhoneField),
    /// `phones.count`: how many phones the contract has.
    PhoneCount,
    /// `address[N].PART`, N from 1.
    Address(usize, AddressField),
    /// `email[N]`, N from 1.
    Email(usize),
    /// `export.date`, `export.datetime`, `export.mode`.
    Run(RunField),
    /// `value = "…"` in the layout: the same text on every line.
    Constant(String),
}

/// The kind of value a source gives, to check it against the field's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Natural {
    Text,
    Digits,
    Int,
    Cents,
    Date,
    DateTime,
    Document,
    Phone,
    Any,
}

impl Source {
    /// Reads a `source` string (see `export_layouts/README.md` for the list).
    pub fn parse(text: &str) -> Result<Source, String> {
        let t = text.trim();
        let indexed = |prefix: &str| -> Option<Result<(usize, &str), String>> {
            let rest = t.strip_prefix(prefix)?.strip_prefix('[')?;
            let (n, rest) = rest.split_once(']')?;
            Some(match n.parse::<usize>() {
                Ok(n) if (1..=99).contains(&n) => Ok((n, rest)),
                _ => Err(format!(
                    "source {t:?}: the index in [] goes from 1 to 99 (got {n:?})"
                )),
            })
        };
        if let Some(r) = indexed("phone") {
            let (n, rest) = r?;
            let part = match rest {
                ".ddd" => PhoneField::Ddd,
                ".number" => PhoneField::Number,
                ".ddd_number" => PhoneField::Full,
                ".kind" => PhoneField::Kind,
                ".type" => PhoneField::Type,
                ".origin" => PhoneField::Origin,
                ".score" => PhoneField::Score,
                _ => return Err(format!("source {t:?}: phone parts are ddd, number, ddd_number, kind, type, origin, score")),
            };
            return Ok(Source::Phone(n, part));
        }
        if let Some(r) = indexed("address") {
            let (n, rest) = r?;
            let part = match rest {
                ".kind" => AddressField::Kind,
                ".street" => AddressField::Street,
                ".number" => AddressField::Number,
                ".complement" => AddressField::Complement,
                ".district" => AddressField::District,
                ".city" => AddressField::City,
                ".state" => AddressField::State,
                ".zip" => AddressField::Zip,
                _ => return Err(format!("source {t:?}: address parts are kind, street, number, complement, district, city, state, zip")),
            };
            return Ok(Source::Address(n, part));
        }
        if let Some(r) = indexed("email") {
            let (n, rest) = r?;
            if !rest.is_empty() {
                return Err(format!("source {t:?}: write email[N] alone"));
            }
            return Ok(Source::Email(n));
        }
        if let Some(name) = t.strip_prefix("contract.extra.") {
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                return Err(format!(
                    "source {t:?}: contract.extra.NAME takes an import field name (lowercase, digits, _)"
                ));
            }
            return Ok(Source::Extra(name.into()));
        }
        Ok(match t {
            "customer.document" => Source::Customer(CustomerField::Document),
            "customer.name" => Source::Customer(CustomerField::Name),
            "customer.crm_id" => Source::Customer(CustomerField::CrmId),
            "customer.person_type" => Source::Customer(CustomerField::PersonType),
            "contract.contract" => Source::Contract(ContractField::Contract),
            "contract.portfolio" => Source::Contract(ContractField::Portfolio),
            "contract.product" => Source::Contract(ContractField::Product),
            "contract.days_late" => Source::Contract(ContractField::DaysLate),
            "contract.installment_value_cents" => Source::Contract(ContractField::InstallmentValue),
            "contract.status" => Source::Contract(ContractField::Status),
            "contract.status_since" => Source::Contract(ContractField::StatusSince),
            "contract.status_reason" => Source::Contract(ContractField::StatusReason),
            "phones.count" => Source::PhoneCount,
            "export.date" => Source::Run(RunField::Date),
            "export.datetime" => Source::Run(RunField::DateTime),
            "export.mode" => Source::Run(RunField::Mode),
            _ => {
                return Err(format!(
                    "unknown source {t:?} (see export_layouts/README.md)"
                ))
            }
        })
    }

    fn natural(&self) -> Natural {
        match self {
            Source::Customer(CustomerField::Document) => Natural::Document,
            Source::Customer(_) => Natural::Text,
            Source::Contract(ContractField::DaysLate) => Natural::Int,
            Source::Contract(ContractField::InstallmentValue) => Natural::Cents,
            Source::Contract(ContractField::StatusSince) => Natural::Date,
            Source::Contract(_) => Natural::Text,
            Source::Extra(_) | Source::Constant(_) => Natural::Any,
            Source::Phone(_, PhoneField::Ddd | PhoneField::Number) => Natural::Digits,
            Source::Phone(_, PhoneField::Full) => Natural::Phone,
            Source::Phone(_, PhoneField::Score) => Natural::Int,
            Source::Phone(..) => Natural::Text,
            Source::PhoneCount => Natural::Int,
            Source::Address(_, AddressField::Zip) => Natural::Digits,
            Source::Address(..) | Source::Email(_) => Natural::Text,
            Source::Run(RunField::Date) => Natural::Date,
            Source::Run(RunField::DateTime) => Natural::DateTime,
            Source::Run(RunField::Mode) => Natural::Text,
        }
    }
}

/// One value handed to the writer by an [`ExportRecord`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Datum<'a> {
    Empty,
    Text(Cow<'a, str>),
    Int(i64),
    /// Money in cents.
    Cents(i64),
    Date(Date),
    DateTime(DateTime),
}

/// A record to export (a contract with its customer and contact data): the value of each
/// source. [`Source::Run`] and [`Source::Constant`] are the writer's, never asked for.
pub trait ExportRecord {
    fn datum(&self, source: &Source) -> Datum<'_>;
}

/// Character set of the written file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// ISO-8859-1: one byte per character; characters outside it become `?`.
    Latin1,
    /// Accents dropped (`JOÃO` → `JOAO`); anything else outside ASCII becomes `?`.
    Ascii,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// One field of an export layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportField {
    name: String,
    column: String,
    /// 0-based character position (fixed width).
    start: usize,
    /// Characters (fixed width); the maximum for text (delimited), if given.
    length: Option<usize>,
    ty: FieldType,
    /// Places written after the separator (`decimal` with a separator).
    places: u32,
    source: Source,
    required: bool,
    default: Option<String>,
    map: BTreeMap<String, String>,
    align: Align,
    pad: char,
    description: String,
}

impl ExportField {
    /// The field's name (unique in the layout).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The header title (delimited layouts).
    pub fn column(&self) -> &str {
        &self.column
    }

    /// 1-based start and length (fixed-width layouts).
    pub fn position(&self) -> Option<(usize, usize)> {
        self.length.map(|l| (self.start + 1, l))
    }

    pub fn source(&self) -> &Source {
        &self.source
    }

    /// `text`, `email`, `integer`, `decimal`, `date`, `datetime`, `document` or `phone`.
    pub fn type_name(&self) -> &'static str {
        self.ty.name()
    }

    pub fn description(&self) -> &str {
        &self.description
    }
}

/// What a layout reads from the portfolio, so the exporter fetches no more.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// Highest phone index used (0: none, unless `phone_count`).
    pub phones: usize,
    /// `phones.count` is used (all phones must be counted).
    pub phone_count: bool,
    pub addresses: usize,
    pub emails: usize,
    /// `contract.extra.*` is used.
    pub extra: bool,
    /// `contract.status_reason` is used.
    pub status_reason: bool,
}

/// The time and mode a file is written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenderContext {
    pub at: DateTime,
    pub mode: ExportMode,
}

/// A line that could not be written: its field and why. The line is left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderError {
    pub field: String,
    pub reason: String,
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field {}: {}", self.field, self.reason)
    }
}

/// A validated export layout.
///
/// ```
/// use atende_collections::{ExportKind, ExportLayouts};
/// let layouts = ExportLayouts::defaults();
/// let mailing = layouts.get(ExportKind::Mailing);
/// assert_eq!(mailing.separator(), Some(';'));
/// assert!(mailing.plausible());
/// assert_eq!(mailing.statuses(), ["ATIVO"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportLayout {
    name: String,
    kind: ExportKind,
    description: String,
    plausible: bool,
    file_name: NamePattern,
    incremental_file_name: Option<NamePattern>,
    /// `None`: fixed width.
    separator: Option<char>,
    header: bool,
    length: usize,
    encoding: Encoding,
    crlf: bool,
    statuses: Vec<String>,
    fields: Vec<ExportField>,
}

impl ExportLayout {
    /// Reads and validates a layout from its TOML text.
    pub fn from_toml(text: &str) -> Result<ExportLayout, LayoutError> {
        let raw: RawExportLayout = toml::from_str(text).map_err(|e| LayoutError::Toml {
            name: text
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once('=')?;
                    (k.trim() == "name").then(|| v.trim().trim_matches(['"', '\'']).to_owned())
                })
                .unwrap_or_else(|| "?".into()),
            message: e.to_string(),
        })?;
        let name = raw.name.clone();
        raw.validate()
            .map_err(|reason| LayoutError::Invalid { name, reason })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> ExportKind {
        self.kind
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    /// `true` when the layout is Atende's guess, to be replaced by the dialer's real one
    /// (the specification's LAYOUT_MANAGER.xlsx was not available).
    pub fn plausible(&self) -> bool {
        self.plausible
    }

    /// `Some(separator)` for delimited layouts, `None` for fixed width.
    pub fn separator(&self) -> Option<char> {
        self.separator
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The contract statuses listed (`ATIVO` for a mailing; the write-off statuses for a
    /// baixa).
    pub fn statuses(&self) -> &[String] {
        &self.statuses
    }

    /// The fields, in line order (repeat groups expanded).
    pub fn fields(&self) -> &[ExportField] {
        &self.fields
    }

    /// The record length in characters (fixed width; 0 for delimited).
    pub fn length(&self) -> usize {
        self.length
    }

    /// What the layout reads.
    pub fn needs(&self) -> Needs {
        let mut n = Needs::default();
        for f in &self.fields {
            match &f.source {
                Source::Phone(i, _) => n.phones = n.phones.max(*i),
                Source::PhoneCount => n.phone_count = true,
                Source::Address(i, _) => n.addresses = n.addresses.max(*i),
                Source::Email(i) => n.emails = n.emails.max(*i),
                Source::Extra(_) => n.extra = true,
                Source::Contract(ContractField::StatusReason) => n.status_reason = true,
                _ => {}
            }
        }
        n
    }

    /// The name of a file written at `at` in `mode`.
    ///
    /// ```
    /// use atende_collections::{ExportKind, ExportLayouts, ExportMode};
    /// let l = ExportLayouts::defaults();
    /// let at = jiff::civil::date(2026, 8, 4).at(6, 30, 5, 0);
    /// assert_eq!(l.get(ExportKind::Mailing).file_name(at, ExportMode::Full), "MAILING_ATOM_20260804_063005.csv");
    /// assert_eq!(l.get(ExportKind::Mailing).file_name(at, ExportMode::Incremental), "MAILING_ATOM_INC_20260804_063005.csv");
    /// ```
    pub fn file_name(&self, at: DateTime, mode: ExportMode) -> String {
        match (mode, &self.incremental_file_name) {
            (ExportMode::Incremental, Some(p)) => p.render(at, ""),
            _ => self.file_name.render(at, ""),
        }
    }

    fn line_end(&self) -> &'static str {
        if self.crlf {
            "\r\n"
        } else {
            "\n"
        }
    }

    /// The header line (delimited layouts with `header`), encoded, with its line end.
    pub fn header(&self) -> Option<Vec<u8>> {
        let sep = self.separator?;
        if !self.header {
            return None;
        }
        let mut line = String::new();
        for (i, f) in self.fields.iter().enumerate() {
            if i > 0 {
                line.push(sep);
            }
            push_delimited(&mut line, &f.column, sep);
        }
        line.push_str(self.line_end());
        Some(encode(&line, self.encoding))
    }

    /// Appends the record's line (encoded, with its line end) to `out`. A value that
    /// cannot be written (a required field empty, a number wider than its field, text
    /// where a date belongs) leaves `out` untouched and says which field.
    pub fn render_into(
        &self,
        record: &dyn ExportRecord,
        ctx: &RenderContext,
        out: &mut Vec<u8>,
    ) -> Result<(), RenderError> {
        let mut line = String::with_capacity(self.length.max(256));
        let mut have = 0usize;
        let mut value = String::new();
        for (i, f) in self.fields.iter().enumerate() {
            value.clear();
            let datum = match &f.source {
                Source::Constant(v) => Datum::Text(Cow::Borrowed(v.as_str())),
                Source::Run(RunField::Date) => Datum::Date(ctx.at.date()),
                Source::Run(RunField::DateTime) => Datum::DateTime(ctx.at),
                Source::Run(RunField::Mode) => Datum::Text(Cow::Borrowed(match ctx.mode {
                    ExportMode::Full => "F",
                    ExportMode::Incremental => "I",
                })),
                other => record.datum(other),
            };
            let err = |reason: String| RenderError {
                field: f.name.clone(),
                reason,
            };
            if datum == Datum::Empty {
                match &f.default {
                    Some(d) => value.push_str(d),
                    None if f.required => return Err(err("required value is empty".into())),
                    None => {}
                }
            } else {
                format_datum(f, &datum, &mut value).map_err(err)?;
                if let Some(m) = f.map.get(value.as_str()) {
                    value.clone_from(m);
                }
            }
            match self.separator {
                Some(sep) => {
                    if i > 0 {
                        line.push(sep);
                    }
                    if let Some(max) = f.length {
                        truncate_chars(&mut value, max);
                    }
                    push_delimited(&mut line, &value, sep);
                }
                None => {
                    let len = f.length.unwrap_or(0);
                    line.extend(std::iter::repeat_n(' ', f.start.saturating_sub(have)));
                    place_fixed(f, &value, len, &mut line).map_err(err)?;
                    have = f.start + len;
                }
            }
        }
        if self.separator.is_none() {
            line.extend(std::iter::repeat_n(' ', self.length.saturating_sub(have)));
        }
        line.push_str(self.line_end());
        out.extend_from_slice(&encode(&line, self.encoding));
        Ok(())
    }

    /// A fingerprint of what the record's line says, leaving out what depends on the
    /// export rather than the record (`export.*`, constants): equal fingerprints mean an
    /// unchanged line, so an incremental file can skip it. `salt` is mixed in (a baixa
    /// passes the contract's version, so a contract written off again is sent again).
    /// Stable across builds (FNV-1a), since fingerprints are stored.
    pub fn fingerprint(&self, record: &dyn ExportRecord, salt: i64) -> i64 {
        let mut h = Fnv::new();
        h.bytes(&salt.to_le_bytes());
        for f in &self.fields {
            if matches!(f.source, Source::Run(_) | Source::Constant(_)) {
                continue;
            }
            match record.datum(&f.source) {
                Datum::Empty => h.bytes(&[0]),
                Datum::Text(t) => {
                    h.bytes(&[1]);
                    h.bytes(&(t.len() as u64).to_le_bytes());
                    h.bytes(t.as_bytes());
                }
                Datum::Int(n) => {
                    h.bytes(&[2]);
                    h.bytes(&n.to_le_bytes());
                }
                Datum::Cents(n) => {
                    h.bytes(&[3]);
                    h.bytes(&n.to_le_bytes());
                }
                Datum::Date(d) => {
                    h.bytes(&[4]);
                    h.bytes(d.to_string().as_bytes());
                }
                Datum::DateTime(dt) => {
                    h.bytes(&[5]);
                    h.bytes(dt.to_string().as_bytes());
                }
            }
        }
        h.0 as i64
    }

    /// Reads a file written with this layout back, checking every value against its
    /// field with the import parser's rules (dates in their pattern, valid CPF/CNPJ and
    /// phones, amounts). Values come back in canonical text (ISO dates, `.` decimals,
    /// bare document digits, E.164 phones). `Err` names the line and field.
    ///
    /// ```
    /// use atende_collections::{ExportKind, ExportLayouts};
    /// let l = ExportLayouts::defaults();
    /// let mailing = l.get(ExportKind::Mailing);
    /// let rows = mailing.read(&mailing.header().unwrap()).unwrap();
    /// assert!(rows.is_empty());
    /// ```
    pub fn read(&self, bytes: &[u8]) -> Result<Vec<ExportRow>, String> {
        let text: String = match self.encoding {
            Encoding::Utf8 => {
                String::from_utf8(bytes.to_vec()).map_err(|e| format!("not UTF-8: {e}"))?
            }
            Encoding::Latin1 | Encoding::Ascii => bytes.iter().map(|&b| char::from(b)).collect(),
        };
        let mut lines = text.split('\n').enumerate().map(|(i, l)| {
            let l = l.strip_suffix('\r').unwrap_or(l);
            if l.contains('\r') {
                return Err(format!("line {}: stray carriage return", i + 1));
            }
            Ok((i + 1, l))
        });
        let mut rows = Vec::new();
        let mut order: Vec<usize> = (0..self.fields.len()).collect();
        if let Some(sep) = self.separator {
            if self.header {
                let Some(first) = lines.next() else {
                    return Err("empty file: no header".into());
                };
                let (_, header) = first?;
                let titles = split_delimited(header, sep).map_err(|e| format!("line 1: {e}"))?;
                let keys: Vec<String> = titles.iter().map(|t| header_key(t)).collect();
                for (i, f) in self.fields.iter().enumerate() {
                    let key = header_key(&f.column);
                    order[i] = keys
                        .iter()
                        .position(|k| *k == key)
                        .ok_or_else(|| format!("line 1: header lacks column {}", f.column))?;
                }
            }
        }
        for item in lines {
            let (n, line) = item?;
            if line.is_empty() {
                continue;
            }
            let at =
                |field: &ExportField, e: String| format!("line {n}, field {}: {e}", field.name);
            let mut values = Vec::with_capacity(self.fields.len());
            match self.separator {
                Some(sep) => {
                    let cells = split_delimited(line, sep).map_err(|e| format!("line {n}: {e}"))?;
                    for (i, f) in self.fields.iter().enumerate() {
                        let raw = cells.get(order[i]).ok_or_else(|| {
                            format!(
                                "line {n}: {} columns, the layout needs {}",
                                cells.len(),
                                self.fields.len()
                            )
                        })?;
                        values.push((f.name.clone(), check(f, raw).map_err(|e| at(f, e))?));
                    }
                }
                None => {
                    let chars: Vec<char> = line.chars().collect();
                    if chars.len() != self.length {
                        return Err(format!(
                            "line {n}: {} characters, the layout's record has {}",
                            chars.len(),
                            self.length
                        ));
                    }
                    for f in &self.fields {
                        let len = f.length.unwrap_or(0);
                        let raw: String = chars[f.start..f.start + len].iter().collect();
                        values.push((f.name.clone(), check(f, &raw).map_err(|e| at(f, e))?));
                    }
                }
            }
            rows.push(ExportRow { line: n, values });
        }
        Ok(rows)
    }
}

/// FNV-1a, 64 bits.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// One line read back by [`ExportLayout::read`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportRow {
    /// 1-based line number in the file.
    pub line: usize,
    /// `(field name, canonical text)` in layout order; `""` for empty.
    pub values: Vec<(String, String)>,
}

impl ExportRow {
    /// The value of field `name` (`None` when the layout has no such field).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A value read back, checked against its field's type, in canonical text.
fn check(f: &ExportField, raw: &str) -> Result<String, String> {
    if f.default.as_deref().is_some_and(|d| d == raw.trim()) || !f.map.is_empty() {
        // defaults and mapped values are the layout's own text, not the type's
        return Ok(raw.trim().to_string());
    }
    let cell = parse_cell(&f.ty, raw, 0, false)?;
    let v = cell.value(raw, "");
    if f.required && v == Value::Empty {
        return Err("required value is empty".into());
    }
    Ok(v.to_string())
}

fn truncate_chars(s: &mut String, max: usize) {
    if let Some((i, _)) = s.char_indices().nth(max) {
        s.truncate(i);
    }
}

fn push_delimited(line: &mut String, value: &str, sep: char) {
    if value.contains(sep) || value.contains('"') {
        line.push('"');
        line.push_str(&value.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(value);
    }
}

/// Splits a delimited line, honouring `"…"` quoting with `""` for a quote.
fn split_delimited(line: &str, sep: char) -> Result<Vec<String>, String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    cell.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                cell.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == sep {
            cells.push(std::mem::take(&mut cell));
            at_start = true;
        } else {
            cell.push(c);
            at_start = false;
        }
    }
    if quoted {
        return Err("unterminated quote".into());
    }
    cells.push(cell);
    Ok(cells)
}

/// Puts `value` in a fixed-width field of `len` characters.
fn place_fixed(f: &ExportField, value: &str, len: usize, line: &mut String) -> Result<(), String> {
    let n = value.chars().count();
    if n > len {
        if matches!(f.ty, FieldType::Text { .. } | FieldType::Email) {
            line.extend(value.chars().take(len));
            return Ok(());
        }
        // never cut a number, date, document or phone: a wrong value is worse than none
        return Err(format!(
            "{n} characters do not fit in {len} ({} field)",
            f.ty.name()
        ));
    }
    if n == 0 {
        line.extend(std::iter::repeat_n(' ', len));
        return Ok(());
    }
    match f.align {
        Align::Left => {
            line.push_str(value);
            line.extend(std::iter::repeat_n(f.pad, len - n));
        }
        Align::Right => {
            // a sign goes before zero padding: -0000123
            let (sign, digits) = match value.strip_prefix('-') {
                Some(rest) if f.pad == '0' => ("-", rest),
                _ => ("", value),
            };
            line.push_str(sign);
            line.extend(std::iter::repeat_n(f.pad, len - n));
            line.push_str(digits);
        }
    }
    Ok(())
}

/// Writes a value in the field's type.
fn format_datum(f: &ExportField, d: &Datum<'_>, out: &mut String) -> Result<(), String> {
    use std::fmt::Write;
    let text_of = |d: &Datum<'_>| -> String {
        match d {
            Datum::Empty => String::new(),
            Datum::Text(s) => s.to_string(),
            Datum::Int(n) => n.to_string(),
            Datum::Cents(c) => Decimal::new(*c, 2).to_string().replace('.', ","),
            Datum::Date(d) => d.to_string(),
            Datum::DateTime(dt) => dt.to_string(),
        }
    };
    match &f.ty {
        FieldType::Text { .. } | FieldType::Email => {
            // a line break or tab inside a value would break the file's lines
            out.extend(
                text_of(d)
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c }),
            );
        }
        FieldType::Integer => {
            let n = match d {
                Datum::Int(n) | Datum::Cents(n) => *n,
                Datum::Text(s) => s
                    .trim()
                    .parse()
                    .map_err(|_| format!("not an integer: {} characters of text", s.len()))?,
                other => return Err(format!("{} is not an integer", kind_of(other))),
            };
            let _ = write!(out, "{n}");
        }
        FieldType::Decimal(fmt) => {
            let v = match d {
                Datum::Int(n) => Decimal::from(*n),
                Datum::Cents(c) => Decimal::new(*c, 2),
                Datum::Text(s) => s
                    .trim()
                    .replace(',', ".")
                    .parse::<Decimal>()
                    .map_err(|_| "not an amount".to_string())?,
                other => return Err(format!("{} is not an amount", kind_of(other))),
            };
            match *fmt {
                DecimalFormat::Implied(n) => {
                    let mut m = v.round_dp(n);
                    m.rescale(n);
                    let _ = write!(out, "{}", m.mantissa());
                }
                DecimalFormat::Separator { sep, .. } => {
                    let mut m = v.round_dp(f.places);
                    m.rescale(f.places);
                    let s = m.to_string();
                    out.push_str(&if sep == b',' { s.replace('.', ",") } else { s });
                }
            }
        }
        FieldType::Date(ps) | FieldType::DateTime(ps) => {
            let dt = match d {
                Datum::Date(d) => d.to_datetime(jiff::civil::Time::midnight()),
                Datum::DateTime(dt) => *dt,
                Datum::Text(s) => {
                    let s = s.trim();
                    s.parse::<DateTime>()
                        .or_else(|_| {
                            s.parse::<Date>()
                                .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
                        })
                        .map_err(|_| format!("not an ISO date: {s:?}"))?
                }
                other => return Err(format!("{} is not a date", kind_of(other))),
            };
            ps[0].format(dt, out);
        }
        FieldType::Document(_) | FieldType::Phone => match d {
            Datum::Text(s) => out.push_str(s.trim()),
            other => return Err(format!("{} is not a {}", kind_of(other), f.ty.name())),
        },
    }
    Ok(())
}

fn kind_of(d: &Datum<'_>) -> &'static str {
    match d {
        Datum::Empty => "an empty value",
        Datum::Text(_) => "text",
        Datum::Int(_) => "an integer",
        Datum::Cents(_) => "an amount",
        Datum::Date(_) => "a date",
        Datum::DateTime(_) => "a date and time",
    }
}

/// Portuguese (and other Latin) letters without their accents, for ASCII files.
fn unaccent(c: char) -> Option<char> {
    Some(match c {
        'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
        'Á' | 'À' | 'Â' | 'Ã' | 'Ä' => 'A',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'É' | 'È' | 'Ê' | 'Ë' => 'E',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'Í' | 'Ì' | 'Î' | 'Ï' => 'I',
        'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
        'Ó' | 'Ò' | 'Ô' | 'Õ' | 'Ö' => 'O',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'Ú' | 'Ù' | 'Û' | 'Ü' => 'U',
        'ç' => 'c',
        'Ç' => 'C',
        'ñ' => 'n',
        'Ñ' => 'N',
        'º' => 'o',
        'ª' => 'a',
        _ => return None,
    })
}

fn encode(line: &str, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Utf8 => line.as_bytes().to_vec(),
        Encoding::Latin1 => line
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
            .collect(),
        Encoding::Ascii => line
            .chars()
            .map(|c| {
                if c.is_ascii() {
                    c as u8
                } else {
                    unaccent(c).map_or(b'?', |a| a as u8)
                }
            })
            .collect(),
    }
}

/// The export layouts in use: one per kind, the shipped default unless a folder gives
/// one of that kind.
///
/// ```
/// use atende_collections::{ExportKind, ExportLayouts};
/// let l = ExportLayouts::defaults();
/// assert_eq!(l.get(ExportKind::Baixa).name(), "manager_baixa");
/// assert_eq!(l.get(ExportKind::Baixa).separator(), None);
/// ```
#[derive(Clone, Debug)]
pub struct ExportLayouts {
    mailing: ExportLayout,
    baixa: ExportLayout,
}

const EXPORT_DEFAULTS: [(&str, &str); 2] = [
    (
        "manager_mailing.toml",
        include_str!("../export_layouts/manager_mailing.toml"),
    ),
    (
        "manager_baixa.toml",
        include_str!("../export_layouts/manager_baixa.toml"),
    ),
];

impl ExportLayouts {
    /// The layouts shipped in `crates/atende-collections/export_layouts/`.
    pub fn defaults() -> ExportLayouts {
        let [mailing, baixa] = EXPORT_DEFAULTS.map(|(file, text)| {
            ExportLayout::from_toml(text)
                .unwrap_or_else(|e| panic!("shipped export layout {file}: {e}"))
        });
        ExportLayouts { mailing, baixa }
    }

    /// The defaults, with the layout of each kind replaced by the folder's `*.toml` of
    /// that kind (two of one kind in the folder is an error).
    pub fn load_dir(dir: &Path) -> Result<ExportLayouts, LayoutError> {
        let mut layouts = ExportLayouts::defaults();
        let mut seen = HashSet::new();
        for layout in crate::layout::read_toml_dir(dir, ExportLayout::from_toml)? {
            if !seen.insert(layout.kind) {
                return Err(LayoutError::Invalid {
                    name: layout.name,
                    reason: format!(
                        "{} holds two export layouts of kind {}",
                        dir.display(),
                        layout.kind
                    ),
                });
            }
            layouts.insert(layout);
        }
        Ok(layouts)
    }

    /// Uses `layout` for its kind.
    pub fn insert(&mut self, layout: ExportLayout) {
        match layout.kind {
            ExportKind::Mailing => self.mailing = layout,
            ExportKind::Baixa => self.baixa = layout,
        }
    }

    /// The layout used for `kind`.
    pub fn get(&self, kind: ExportKind) -> &ExportLayout {
        match kind {
            ExportKind::Mailing => &self.mailing,
            ExportKind::Baixa => &self.baixa,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &ExportLayout> {
        [&self.mailing, &self.baixa].into_iter()
    }
}

// ---------------------------------------------------------------------------------------
// The TOML shape, then validation.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExportLayout {
    name: String,
    kind: ExportKind,
    #[serde(default)]
    description: String,
    #[serde(default)]
    plausible: bool,
    file_name: String,
    #[serde(default)]
    incremental_file_name: Option<String>,
    format: RawExportFormat,
    #[serde(default)]
    length: Option<usize>,
    #[serde(default)]
    encoding: Option<String>,
    #[serde(default)]
    line_ending: Option<String>,
    #[serde(default)]
    statuses: Option<Vec<String>>,
    fields: Vec<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExportFormat {
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    separator: Option<String>,
    #[serde(default)]
    header: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    repeat: usize,
    fields: Vec<RawExportField>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawExportField {
    name: String,
    #[serde(default)]
    column: Option<String>,
    #[serde(default)]
    start: Option<usize>,
    #[serde(default)]
    length: Option<usize>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    value: Option<String>,
    #[serde(rename = "type", default)]
    ty: Option<String>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    default: Option<String>,
    #[serde(default)]
    map: BTreeMap<String, String>,
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default)]
    decimals: Option<u32>,
    #[serde(default)]
    separator: Option<String>,
    #[serde(default)]
    align: Option<String>,
    #[serde(default)]
    pad: Option<String>,
    #[serde(default)]
    description: String,
}

impl RawExportField {
    /// A copy for repetition `n` of a group: `{n}` replaced in name, column and source.
    fn nth(&self, n: usize) -> RawExportField {
        let r = |s: &str| s.replace("{n}", &n.to_string());
        RawExportField {
            name: r(&self.name),
            column: self.column.as_deref().map(r),
            source: self.source.as_deref().map(r),
            ..self.clone()
        }
    }
}

impl RawExportLayout {
    fn validate(self) -> Result<ExportLayout, String> {
        if self.name.trim().is_empty() {
            return Err("`name` is empty".into());
        }
        let pattern = |p: &str, key: &str| -> Result<NamePattern, String> {
            let np = NamePattern::new(p).map_err(|e| format!("{key}: {e}"))?;
            // exports cover every portfolio of the workspace: no <ID> to fill in
            let probe = jiff::civil::date(2000, 1, 1).at(0, 0, 0, 0);
            if np.render(probe, "1") != np.render(probe, "2") {
                return Err(format!("{key}: <ID> has no value in an export's name"));
            }
            if p.contains(['/', '\\']) {
                return Err(format!("{key}: a file name, without folders"));
            }
            Ok(np)
        };
        let file_name = pattern(&self.file_name, "file_name")?;
        let incremental_file_name = match &self.incremental_file_name {
            Some(p) if self.kind == ExportKind::Mailing => {
                Some(pattern(p, "incremental_file_name")?)
            }
            Some(_) => return Err("incremental_file_name is for mailing layouts".into()),
            None => None,
        };
        let (separator, header) = match self.format.ty.as_str() {
            "fixed" => {
                if self.format.separator.is_some() || self.format.header.is_some() {
                    return Err("format: `separator` and `header` are for delimited layouts".into());
                }
                (None, false)
            }
            "delimited" => {
                let sep = self.format.separator.as_deref().unwrap_or(";");
                let mut chars = sep.chars();
                let c = match (chars.next(), chars.next()) {
                    (Some(c), None) if c == '\t' || (c.is_ascii_punctuation() && c != '"') => c,
                    _ => {
                        return Err(format!(
                            "format.separator: {sep:?} must be one ASCII punctuation character or a tab"
                        ))
                    }
                };
                if self.length.is_some() {
                    return Err("`length` (record length) is for fixed-width layouts".into());
                }
                (Some(c), self.format.header.unwrap_or(true))
            }
            other => {
                return Err(format!(
                    "format.type: {other:?} is neither \"fixed\" nor \"delimited\""
                ))
            }
        };
        let encoding = match self.encoding.as_deref().unwrap_or("utf-8") {
            "utf-8" | "utf8" => Encoding::Utf8,
            "latin1" | "iso-8859-1" => Encoding::Latin1,
            "ascii" => Encoding::Ascii,
            other => {
                return Err(format!(
                    "encoding: {other:?} is not \"utf-8\", \"latin1\" or \"ascii\""
                ))
            }
        };
        let crlf = match self.line_ending.as_deref().unwrap_or("lf") {
            "lf" => false,
            "crlf" => true,
            other => return Err(format!("line_ending: {other:?} is not \"lf\" or \"crlf\"")),
        };
        let statuses: Vec<String> = match self.statuses {
            Some(list) if list.is_empty() => return Err("`statuses` is empty".into()),
            Some(list) => list,
            None => self
                .kind
                .default_statuses()
                .iter()
                .map(|s| s.to_string())
                .collect(),
        };
        for s in &statuses {
            if !KNOWN_STATUSES.contains(&s.as_str()) {
                return Err(format!(
                    "statuses: unknown status {s:?} (one of {})",
                    KNOWN_STATUSES.join(", ")
                ));
            }
        }
        // expand repeat groups
        let mut raw_fields = Vec::new();
        for (i, v) in self.fields.into_iter().enumerate() {
            let is_group = v.as_table().is_some_and(|t| t.contains_key("repeat"));
            if is_group {
                let g: RawGroup = v
                    .try_into()
                    .map_err(|e| format!("fields[{i}] (repeat group): {e}"))?;
                if !(1..=99).contains(&g.repeat) {
                    return Err(format!("fields[{i}]: `repeat` goes from 1 to 99"));
                }
                if let Some(f) = g.fields.iter().find(|f| !f.name.contains("{n}")) {
                    return Err(format!(
                        "fields[{i}]: field {} of a repeat group needs {{n}} in its name",
                        f.name
                    ));
                }
                if g.fields.iter().any(|f| f.start.is_some()) {
                    return Err(format!(
                        "fields[{i}]: fields of a repeat group follow each other (no `start`)"
                    ));
                }
                for n in 1..=g.repeat {
                    raw_fields.extend(g.fields.iter().map(|f| f.nth(n)));
                }
            } else {
                let f: RawExportField = v.try_into().map_err(|e| format!("fields[{i}]: {e}"))?;
                raw_fields.push(f);
            }
        }
        if raw_fields.is_empty() {
            return Err("no `fields`".into());
        }
        let fixed = separator.is_none();
        let mut fields: Vec<ExportField> = Vec::with_capacity(raw_fields.len());
        let mut names = HashSet::new();
        let mut columns = HashSet::new();
        let mut next = 0usize;
        for f in raw_fields {
            let name = f.name.clone();
            let field = validate_field(f, fixed, next).map_err(|e| format!("field {name}: {e}"))?;
            if !names.insert(field.name.clone()) {
                return Err(format!("field {name} appears twice"));
            }
            if fixed {
                if field.start < next {
                    return Err(format!(
                        "field {name}: starts at {} but the previous field ends at {next}",
                        field.start + 1
                    ));
                }
                next = field.start + field.length.unwrap_or(0);
            } else if !columns.insert(header_key(&field.column)) {
                return Err(format!(
                    "field {name}: column {} appears twice",
                    field.column
                ));
            }
            fields.push(field);
        }
        let length = if fixed {
            match self.length {
                Some(l) if l < next => {
                    return Err(format!("the fields end at {next}, past `length` {l}"))
                }
                Some(l) => l,
                None => next,
            }
        } else {
            0
        };
        Ok(ExportLayout {
            name: self.name,
            kind: self.kind,
            description: self.description.trim().to_owned(),
            plausible: self.plausible,
            file_name,
            incremental_file_name,
            separator,
            header,
            length,
            encoding,
            crlf,
            statuses,
            fields,
        })
    }
}

fn validate_field(f: RawExportField, fixed: bool, next: usize) -> Result<ExportField, String> {
    if f.name.is_empty()
        || !f
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err("names are lowercase ASCII letters, digits and `_`".into());
    }
    let source = match (&f.source, &f.value) {
        (Some(s), None) => Source::parse(s)?,
        (None, Some(v)) => Source::Constant(v.clone()),
        _ => return Err("give either `source` or `value`".into()),
    };
    let ty_name = f.ty.as_deref().unwrap_or("text");
    let only = |key: &str, set: bool, types: &str| {
        if set && !types.split('|').any(|t| t == ty_name) {
            Err(format!("`{key}` does not apply to type {ty_name}"))
        } else {
            Ok(())
        }
    };
    only("pattern", f.pattern.is_some(), "date|datetime")?;
    only("decimals", f.decimals.is_some(), "decimal")?;
    only("separator", f.separator.is_some(), "decimal")?;
    only("map", !f.map.is_empty(), "text")?;
    let mut places = 2;
    let ty = match ty_name {
        "text" => FieldType::Text { values: Vec::new() },
        "email" => FieldType::Email,
        "integer" => FieldType::Integer,
        "decimal" => match (f.separator.as_deref(), f.decimals) {
            (None, Some(n)) if n <= 10 => FieldType::Decimal(DecimalFormat::Implied(n)),
            (None, Some(_)) | (Some(_), Some(11..)) => return Err("`decimals` is at most 10".into()),
            (sep, n) => {
                places = n.unwrap_or(2);
                let sep = match sep.unwrap_or(",") {
                    "," => b',',
                    "." => b'.',
                    other => return Err(format!("`separator` {other:?} is neither \",\" nor \".\"")),
                };
                FieldType::Decimal(DecimalFormat::Separator { sep, percent: false })
            }
        },
        "date" | "datetime" => {
            let p = f
                .pattern
                .as_deref()
                .ok_or_else(|| format!("type {ty_name} needs a `pattern`"))?;
            let dp = DatePattern::new(p)?;
            if ty_name == "date" {
                FieldType::Date(vec![dp])
            } else {
                FieldType::DateTime(vec![dp])
            }
        }
        "document" => FieldType::Document(DocumentKind::Any),
        "phone" => FieldType::Phone,
        other => {
            return Err(format!(
                "unknown type {other:?} (text, email, integer, decimal, date, datetime, document, phone)"
            ))
        }
    };
    let natural = source.natural();
    let fits = match &ty {
        FieldType::Text { .. } => true,
        FieldType::Email => matches!(natural, Natural::Text | Natural::Any),
        FieldType::Integer => matches!(
            natural,
            Natural::Int | Natural::Cents | Natural::Digits | Natural::Any
        ),
        FieldType::Decimal(_) => matches!(natural, Natural::Int | Natural::Cents | Natural::Any),
        FieldType::Date(_) | FieldType::DateTime(_) => {
            matches!(natural, Natural::Date | Natural::DateTime | Natural::Any)
        }
        FieldType::Document(_) => matches!(natural, Natural::Document | Natural::Any),
        FieldType::Phone => matches!(natural, Natural::Phone | Natural::Any),
    };
    if !fits {
        return Err(format!(
            "its source gives {}, which a {ty_name} field cannot hold",
            match natural {
                Natural::Text => "text",
                Natural::Digits => "digits",
                Natural::Int => "an integer",
                Natural::Cents => "an amount",
                Natural::Date => "a date",
                Natural::DateTime => "a date and time",
                Natural::Document => "a CPF/CNPJ",
                Natural::Phone => "a phone",
                Natural::Any => "anything",
            }
        ));
    }
    let numeric = matches!(
        ty,
        FieldType::Integer | FieldType::Decimal(_) | FieldType::Document(_)
    );
    let align = match f.align.as_deref() {
        None if numeric => Align::Right,
        None | Some("left") => Align::Left,
        Some("right") => Align::Right,
        Some(other) => return Err(format!("`align` {other:?} is not \"left\" or \"right\"")),
    };
    let pad = match f.pad.as_deref() {
        None if numeric && align == Align::Right => '0',
        None | Some(" ") => ' ',
        Some("0") => '0',
        Some(other) => return Err(format!("`pad` {other:?} is not \" \" or \"0\"")),
    };
    if !fixed && (f.align.is_some() || f.pad.is_some()) {
        return Err("`align` and `pad` are for fixed-width layouts".into());
    }
    let (start, length) = if fixed {
        if f.column.is_some() {
            return Err("`column` is for delimited layouts".into());
        }
        let length = f.length.ok_or("fixed-width fields need a `length`")?;
        if length == 0 {
            return Err("`length` must be positive".into());
        }
        let start = match f.start {
            Some(0) => return Err("`start` begins at 1".into()),
            Some(s) => s - 1,
            None => next,
        };
        if let FieldType::Date(ps) | FieldType::DateTime(ps) = &ty {
            if ps[0].width() != length {
                return Err(format!(
                    "pattern {:?} writes {} characters, the field has {length}",
                    ps[0].source(),
                    ps[0].width()
                ));
            }
        }
        (start, Some(length))
    } else {
        if f.start.is_some() {
            return Err("`start` is for fixed-width layouts".into());
        }
        if f.length.is_some() && !matches!(ty, FieldType::Text { .. } | FieldType::Email) {
            return Err("in delimited layouts `length` (maximum length) applies to text".into());
        }
        (0, f.length)
    };
    if let Some(d) = &f.default {
        if d.contains(['\r', '\n']) {
            return Err("`default` is one line".into());
        }
    }
    let column = f.column.unwrap_or_else(|| f.name.to_uppercase());
    if !fixed && header_key(&column).is_empty() {
        return Err("`column` is empty".into());
    }
    Ok(ExportField {
        name: f.name,
        column,
        start,
        length,
        ty,
        places,
        source,
        required: f.required,
        default: f.default,
        map: f.map,
        align,
        pad,
        description: f.description.trim().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rec;
    impl ExportRecord for Rec {
        fn datum(&self, source: &Source) -> Datum<'_> {
            match source {
                Source::Customer(CustomerField::Document) => Datum::Text("52998224725".into()),
                Source::Customer(CustomerField::Name) => Datum::Text("JOÃO D'ÁVILA; \"ZÉ\"".into()),
                Source::Contract(ContractField::Contract) => Datum::Text("123".into()),
                Source::Contract(ContractField::InstallmentValue) => Datum::Cents(-12345),
                Source::Contract(ContractField::StatusSince) => {
                    Datum::Date(jiff::civil::date(2026, 8, 4))
                }
                Source::Phone(1, PhoneField::Full) => Datum::Text("11987654321".into()),
                Source::Phone(1, PhoneField::Score) => Datum::Int(87),
                Source::Phone(1, PhoneField::Kind) => Datum::Text("M".into()),
                _ => Datum::Empty,
            }
        }
    }

    fn ctx() -> RenderContext {
        RenderContext {
            at: jiff::civil::date(2026, 8, 4).at(6, 0, 0, 0),
            mode: ExportMode::Full,
        }
    }

    const FIXED: &str = r#"
        name = "t"
        kind = "baixa"
        file_name = "b_<AAAAMMDD>.txt"
        format = { type = "fixed" }
        length = 80
        encoding = "latin1"
        fields = [
          { name = "contrato", source = "contract.contract", length = 10, required = true },
          { name = "cpf", source = "customer.document", type = "document", length = 14 },
          { name = "valor", source = "contract.installment_value_cents", type = "decimal", decimals = 2, length = 9 },
          { name = "data", source = "contract.status_since", type = "date", pattern = "DDMMAAAA", length = 8 },
          { name = "nome", source = "customer.name", length = 10 },
          { name = "tipo", value = "X", length = 1 },
          { repeat = 2, fields = [
              { name = "fone_{n}", source = "phone[{n}].ddd_number", type = "phone", length = 11 },
              { name = "score_{n}", source = "phone[{n}].score", type = "integer", length = 3 },
          ] },
        ]
    "#;

    #[test]
    fn fixed_width_round_trip() {
        let l = ExportLayout::from_toml(FIXED).unwrap();
        assert_eq!(l.length(), 80);
        assert_eq!(l.fields().len(), 10);
        assert_eq!(l.fields()[6].position(), Some((53, 11)));
        let mut out = Vec::new();
        l.render_into(&Rec, &ctx(), &mut out).unwrap();
        // Latin-1: one byte per character
        assert_eq!(out.len(), 81);
        let line: String = out.iter().map(|&b| char::from(b)).take(66).collect();
        assert_eq!(
            line,
            "123       00052998224725-0001234504082026JOÃO D'ÁVIX11987654321087"
        );
        let rows = l.read(&out).unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(r.get("cpf"), Some("52998224725"));
        assert_eq!(r.get("valor"), Some("-123.45"));
        assert_eq!(r.get("data"), Some("2026-08-04"));
        assert_eq!(r.get("fone_1"), Some("+5511987654321"));
        assert_eq!(r.get("score_1"), Some("87"));
        assert_eq!(r.get("fone_2"), Some(""));
        assert_eq!(l.needs().phones, 2);
        // the export's own fields do not change the fingerprint; the record's and the
        // salt do
        let later = RenderContext {
            at: jiff::civil::date(2027, 1, 1).at(0, 0, 0, 0),
            mode: ExportMode::Incremental,
        };
        let fp = l.fingerprint(&Rec, 0);
        let mut other = Vec::new();
        l.render_into(&Rec, &later, &mut other).unwrap();
        assert_eq!(fp, l.fingerprint(&Rec, 0));
        assert_ne!(fp, l.fingerprint(&Rec, 1));
        struct Changed;
        impl ExportRecord for Changed {
            fn datum(&self, s: &Source) -> Datum<'_> {
                match s {
                    Source::Phone(1, PhoneField::Score) => Datum::Int(88),
                    other => Rec.datum(other),
                }
            }
        }
        assert_ne!(fp, l.fingerprint(&Changed, 0));
    }

    #[test]
    fn delimited_quotes_and_maps() {
        let l = ExportLayout::from_toml(
            r#"
            name = "m"
            kind = "mailing"
            file_name = "m_<AAAAMMDD>_<HHMMSS>.csv"
            format = { type = "delimited", separator = ";" }
            line_ending = "crlf"
            encoding = "ascii"
            fields = [
              { name = "contrato", source = "contract.contract" },
              { name = "nome", source = "customer.name" },
              { name = "valor", source = "contract.installment_value_cents", type = "decimal" },
              { name = "tipo", source = "phone[1].kind", map = { M = "CELULAR" } },
              { name = "tipo2", source = "phone[2].kind", default = "NENHUM" },
              { name = "modo", source = "export.mode" },
            ]
        "#,
        )
        .unwrap();
        let mut out = l.header().unwrap();
        l.render_into(&Rec, &ctx(), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            "CONTRATO;NOME;VALOR;TIPO;TIPO2;MODO\r\n123;\"JOAO D'AVILA; \"\"ZE\"\"\";-123,45;CELULAR;NENHUM;F\r\n"
        );
        let rows = l.read(&out).unwrap();
        assert_eq!(rows[0].get("nome"), Some("JOAO D'AVILA; \"ZE\""));
        assert_eq!(rows[0].get("valor"), Some("-123.45"));
        assert_eq!(
            l.file_name(ctx().at, ExportMode::Incremental),
            "m_20260804_060000.csv"
        );
    }

    #[test]
    fn values_that_do_not_fit_are_refused() {
        let l = ExportLayout::from_toml(&FIXED.replace(
            "type = \"decimal\", decimals = 2, length = 9",
            "type = \"decimal\", decimals = 2, length = 4",
        ))
        .unwrap();
        let mut out = Vec::new();
        let e = l.render_into(&Rec, &ctx(), &mut out).unwrap_err();
        assert_eq!(e.field, "valor");
        assert!(e.reason.contains("do not fit in 4"), "{e}");
        assert!(out.is_empty());
        struct Empty;
        impl ExportRecord for Empty {
            fn datum(&self, _: &Source) -> Datum<'_> {
                Datum::Empty
            }
        }
        let e = ExportLayout::from_toml(FIXED)
            .unwrap()
            .render_into(&Empty, &ctx(), &mut out)
            .unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.reason.as_str()),
            ("contrato", "required value is empty")
        );
    }

    #[test]
    fn explains_mistakes() {
        let err = |from: &str, to: &str| {
            ExportLayout::from_toml(&FIXED.replace(from, to))
                .unwrap_err()
                .to_string()
        };
        assert!(
            err("contract.contract", "contract.nope").contains("unknown source \"contract.nope\"")
        );
        assert!(err(
            "\"customer.document\", type = \"document\"",
            "\"customer.document\", type = \"date\", pattern = \"AAAAMMDD\""
        )
        .contains("a CPF/CNPJ, which a date field cannot hold"));
        assert!(err("fone_{n}", "fone").contains("needs {n} in its name"));
        assert!(err("b_<AAAAMMDD>", "b_<ID>_<AAAAMMDD>").contains("<ID> has no value"));
        assert!(err("length = 80", "length = 20").contains("past `length` 20"));
        assert!(err(
            "kind = \"baixa\"",
            "kind = \"baixa\"\nstatuses = [\"ATIVA\"]"
        )
        .contains("unknown status \"ATIVA\""));
        assert!(err(
            "pattern = \"DDMMAAAA\", length = 8",
            "pattern = \"DDMMAAAA\", length = 9"
        )
        .contains("writes 8 characters"));
        assert!(
            err("value = \"X\"", "value = \"X\", source = \"export.date\"")
                .contains("either `source` or `value`")
        );
        assert!(err("repeat = 2", "repeat = 2, colour = 1").contains("unknown field `colour`"));
    }

    #[test]
    fn shipped_layouts() {
        let l = ExportLayouts::defaults();
        let m = l.get(ExportKind::Mailing);
        assert_eq!(m.kind(), ExportKind::Mailing);
        assert!(m.needs().phones >= 10);
        let b = l.get(ExportKind::Baixa);
        assert!(b.statuses().iter().any(|s| s == "EXCLUIDO"));
        assert!(b.needs().status_reason);
    }
}
