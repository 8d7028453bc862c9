//! Layouts as data: what a creditor file looks like (name pattern, fixed-width or
//! delimited, record types, fields and their types), read from TOML. The format is
//! documented key by key in `layouts/README.md`.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use jiff::civil::DateTime;
use serde::Deserialize;

use crate::pattern::{DatePattern, FileInfo, NamePattern};
use crate::value::{DecimalFormat, DocumentKind, FieldType};

/// What a file is for: the importer picks its rules (and the order of the day's files)
/// by kind. One kind per file the ATOM specification names.
///
/// ```
/// use atende_collections::Kind;
///
/// assert_eq!(Kind::AcordosBaixados.as_str(), "acordos_baixados");
/// assert_eq!("batimento".parse::<Kind>(), Ok(Kind::Batimento));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Remessa assessoria: customers, contracts, addresses, phones (the main file).
    Remessa,
    /// Remessa parcelas: the installments of each contract.
    Parcelas,
    /// Remessa garantias: the financed vehicle and other guarantees.
    Garantias,
    /// Remessa baixa: agreements made and not yet settled (partial block).
    Baixa,
    /// Exclusão e retirada: contracts leaving the collection base.
    Exclusao,
    /// Acordos baixados: settled agreements (partial block for 3 days).
    AcordosBaixados,
    /// Batimento: the contracts to work today; active contracts absent are settled.
    Batimento,
    /// Telefones: enrichment phones with their score.
    Telefones,
    /// REFIN: refinancing offers, replacing earlier ones per contract.
    Refin,
    /// Ações massivas WhatsApp: HSM template sends.
    AcoesWhatsapp,
    /// Histórico de ações massivas por e-mail: marks customers by CPF.
    HistoricoEmail,
    /// Histórico de ações massivas por SMS: marks customers by phone.
    HistoricoSms,
}

impl Kind {
    /// Every kind, in the order the specification lists the files.
    ///
    /// ```
    /// assert_eq!(atende_collections::Kind::ALL.len(), 12);
    /// ```
    pub const ALL: [Kind; 12] = [
        Kind::Remessa,
        Kind::Parcelas,
        Kind::Garantias,
        Kind::Baixa,
        Kind::Exclusao,
        Kind::AcordosBaixados,
        Kind::Batimento,
        Kind::Telefones,
        Kind::Refin,
        Kind::AcoesWhatsapp,
        Kind::HistoricoEmail,
        Kind::HistoricoSms,
    ];

    /// The name used in layout files (`remessa`, `acordos_baixados`, …).
    ///
    /// ```
    /// assert_eq!(atende_collections::Kind::HistoricoSms.as_str(), "historico_sms");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Remessa => "remessa",
            Kind::Parcelas => "parcelas",
            Kind::Garantias => "garantias",
            Kind::Baixa => "baixa",
            Kind::Exclusao => "exclusao",
            Kind::AcordosBaixados => "acordos_baixados",
            Kind::Batimento => "batimento",
            Kind::Telefones => "telefones",
            Kind::Refin => "refin",
            Kind::AcoesWhatsapp => "acoes_whatsapp",
            Kind::HistoricoEmail => "historico_email",
            Kind::HistoricoSms => "historico_sms",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown kind {s:?}"))
    }
}

/// Why a layout file was refused.
///
/// ```
/// use atende_collections::Layout;
///
/// let err = Layout::from_toml("name = 'x'").unwrap_err();
/// assert!(err.to_string().starts_with("layout x:"), "{err}");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// Not valid TOML, or keys that the format does not have.
    #[error("layout {name}: {message}")]
    Toml {
        /// The layout's name, or the file name when the name could not be read.
        name: String,
        /// What the TOML reader said (with the line and column).
        message: String,
    },
    /// Valid TOML describing an impossible layout (overlapping fields, unknown key field…).
    #[error("layout {name}: {reason}")]
    Invalid {
        /// The layout's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A layout folder or file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The folder or file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// The physical shape of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// Fixed-width records; `record_type` is the 0-based character span of the type code.
    Fixed { record_type: Option<(usize, usize)> },
    /// Separated values with a header line.
    Delimited { separator: u8 },
}

/// One field of a record.
///
/// ```
/// use atende_collections::Layouts;
///
/// let layouts = Layouts::defaults();
/// let f = layouts.get("parcelas").unwrap().records()[0].field("valor_parcela").unwrap();
/// assert_eq!((f.type_name(), f.required()), ("decimal", true));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    name: String,
    column: Option<String>,
    /// 0-based character position (fixed-width).
    start: usize,
    /// Characters (fixed-width); the maximum length of text, if any (delimited).
    length: Option<usize>,
    pub(crate) ty: FieldType,
    required: bool,
    description: String,
    /// `column` normalised for header matching (delimited).
    pub(crate) column_key: String,
}

impl Field {
    /// The field's name in Atende (`numero_contrato`): the same across layouts for the
    /// same meaning (see the standard names in `layouts/README.md`).
    ///
    /// ```
    /// let l = atende_collections::Layouts::defaults();
    /// assert_eq!(l.get("batimento").unwrap().records()[0].fields()[0].name(), "numero_contrato");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The column title in the file's header (delimited layouts).
    ///
    /// ```
    /// let l = atende_collections::Layouts::defaults();
    /// assert_eq!(l.get("batimento").unwrap().records()[0].fields()[0].column(), Some("CONTRATO"));
    /// ```
    pub fn column(&self) -> Option<&str> {
        self.column.as_deref()
    }

    /// 1-based start and length in characters (fixed-width layouts).
    ///
    /// ```
    /// let l = atende_collections::Layouts::defaults();
    /// assert_eq!(l.get("parcelas").unwrap().records()[0].fields()[0].position(), Some((1, 20)));
    /// ```
    pub fn position(&self) -> Option<(usize, usize)> {
        self.column
            .is_none()
            .then(|| (self.start + 1, self.length.unwrap_or(0)))
    }

    /// `text`, `email`, `integer`, `decimal`, `date`, `datetime`, `document` or `phone`.
    ///
    /// ```
    /// let l = atende_collections::Layouts::defaults();
    /// let f = l.get("telefones").unwrap().records()[0].field("telefone_1").unwrap();
    /// assert_eq!(f.type_name(), "phone");
    /// ```
    pub fn type_name(&self) -> &'static str {
        self.ty.name()
    }

    /// Whether an empty value rejects the row (key fields are always required).
    ///
    /// ```
    /// let l = atende_collections::Layouts::defaults();
    /// assert!(l.get("telefones").unwrap().records()[0].field("numero_contrato").unwrap().required());
    /// ```
    pub fn required(&self) -> bool {
        self.required
    }

    /// The layout's description of the field (may be empty).
    ///
    /// ```
    /// let l = atende_collections::Layouts::defaults();
    /// let f = l.get("refin").unwrap().records()[0].field("faixa_atraso").unwrap();
    /// assert_eq!(f.description(), "Faixa de atraso (ex.: d) 91 a 120)");
    /// ```
    pub fn description(&self) -> &str {
        &self.description
    }

    pub(crate) fn start(&self) -> usize {
        self.start
    }

    pub(crate) fn length(&self) -> Option<usize> {
        self.length
    }
}

/// One record type of a layout (delimited and single-record layouts have exactly one).
///
/// ```
/// let l = atende_collections::Layouts::defaults();
/// let g = l.get("garantias").unwrap();
/// let lengths: Vec<_> = g.records().iter().map(|r| (r.code(), r.length(), r.fields().len())).collect();
/// assert_eq!(lengths, [(Some("1"), Some(902), 20), (Some("2"), Some(199), 8), (Some("3"), Some(362), 12)]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    code: Option<String>,
    description: String,
    length: Option<usize>,
    key: Vec<String>,
    pub(crate) fields: Vec<Field>,
}

impl Record {
    /// The record-type code (`"1"`), for layouts with several record types.
    ///
    /// ```
    /// let l = atende_collections::Layouts::defaults();
    /// assert_eq!(l.get("parcelas").unwrap().records()[0].code(), None);
    /// ```
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The layout's description of the record type (may be empty).
    ///
    /// ```
    /// let l = atende_collections::Layouts::defaults();
    /// assert!(l.get("garantias").unwrap().records()[2].description().starts_with("Garantidor"));
    /// ```
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The record length in characters (fixed-width layouts).
    ///
    /// ```
    /// let l = atende_collections::Layouts::defaults();
    /// assert_eq!(l.get("baixa").unwrap().records()[0].length(), Some(302));
    /// ```
    pub fn length(&self) -> Option<usize> {
        self.length
    }

    /// The names of the fields that identify the record (`numero_contrato`, …).
    ///
    /// ```
    /// let l = atende_collections::Layouts::defaults();
    /// assert_eq!(l.get("parcelas").unwrap().records()[0].key(), ["numero_contrato", "numero_parcela"]);
    /// ```
    pub fn key(&self) -> &[String] {
        &self.key
    }

    /// The fields, in the order of a row's values.
    ///
    /// ```
    /// let l = atende_collections::Layouts::defaults();
    /// assert_eq!(l.get("parcelas").unwrap().records()[0].fields().len(), 18);
    /// ```
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The field called `name`.
    ///
    /// ```
    /// let l = atende_collections::Layouts::defaults();
    /// assert!(l.get("parcelas").unwrap().records()[0].field("no_such_field").is_none());
    /// ```
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The position of field `name` in a row's values, to look values up by index in a
    /// hot loop.
    ///
    /// ```
    /// let l = atende_collections::Layouts::defaults();
    /// assert_eq!(l.get("parcelas").unwrap().records()[0].index_of("cpf_cnpj"), Some(1));
    /// ```
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }
}

/// A validated layout: how to recognise a file by its name and how to read its rows.
///
/// ```
/// use atende_collections::{Kind, Layouts};
///
/// let layouts = Layouts::defaults();
/// let remessa = layouts.get("remessa").unwrap();
/// assert_eq!(remessa.kind(), Kind::Remessa);
/// assert!(remessa.plausible());
/// assert_eq!(remessa.records()[0].fields().len(), 280);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    name: String,
    kind: Kind,
    description: String,
    plausible: bool,
    file_names: Vec<NamePattern>,
    pub(crate) format: Format,
    pub(crate) records: Vec<Record>,
}

impl Layout {
    /// Reads and validates a layout from its TOML text.
    ///
    /// ```
    /// use atende_collections::Layout;
    ///
    /// let layout = Layout::from_toml(r#"
    ///     name = "exemplo"
    ///     kind = "telefones"
    ///     file_names = ["fones_<AAAAMMDD>.csv"]
    ///     format = { type = "delimited" }
    ///     key = ["numero_contrato"]
    ///     fields = [
    ///       { name = "numero_contrato", column = "CONTRATO" },
    ///       { name = "telefone_1", column = "FONE", type = "phone", required = true },
    ///     ]
    /// "#).unwrap();
    /// assert_eq!(layout.name(), "exemplo");
    /// ```
    pub fn from_toml(text: &str) -> Result<Layout, LayoutError> {
        let raw: RawLayout = toml::from_str(text).map_err(|e| LayoutError::Toml {
            name: guess_name(text),
            message: e.to_string(),
        })?;
        let name = raw.name.clone();
        raw.validate()
            .map_err(|reason| LayoutError::Invalid { name, reason })
    }

    /// The layout's unique name (`remessa`, `parcelas`, …).
    ///
    /// ```
    /// assert_eq!(atende_collections::Layouts::defaults().get("refin").unwrap().name(), "refin");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the file is for.
    ///
    /// ```
    /// use atende_collections::{Kind, Layouts};
    /// assert_eq!(Layouts::defaults().get("refin").unwrap().kind(), Kind::Refin);
    /// ```
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// One paragraph on the file and where its definition comes from.
    ///
    /// ```
    /// assert!(!atende_collections::Layouts::defaults().get("baixa").unwrap().description().is_empty());
    /// ```
    pub fn description(&self) -> &str {
        &self.description
    }

    /// `true` when the specification gives only a count of fields and this layout is
    /// Atende's plausible design, to be replaced by the creditor's real one.
    ///
    /// ```
    /// let l = atende_collections::Layouts::defaults();
    /// assert!(!l.get("batimento").unwrap().plausible());
    /// ```
    pub fn plausible(&self) -> bool {
        self.plausible
    }

    /// The file-name patterns, as written in the layout.
    ///
    /// ```
    /// let l = atende_collections::Layouts::defaults();
    /// assert_eq!(l.get("acordos_baixados").unwrap().file_names().next(), Some("AcordosBaixados_<DDMMAAAA>_<ID>.csv"));
    /// ```
    pub fn file_names(&self) -> impl Iterator<Item = &str> {
        self.file_names.iter().map(NamePattern::source)
    }

    /// `Some(separator)` for delimited layouts, `None` for fixed-width ones.
    ///
    /// ```
    /// let l = atende_collections::Layouts::defaults();
    /// assert_eq!(l.get("batimento").unwrap().separator(), Some(';'));
    /// assert_eq!(l.get("remessa").unwrap().separator(), None);
    /// ```
    pub fn separator(&self) -> Option<char> {
        match self.format {
            Format::Delimited { separator } => Some(char::from(separator)),
            Format::Fixed { .. } => None,
        }
    }

    /// The record types (one for most layouts).
    ///
    /// ```
    /// assert_eq!(atende_collections::Layouts::defaults().get("garantias").unwrap().records().len(), 3);
    /// ```
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The record with type code `code`.
    ///
    /// ```
    /// let l = atende_collections::Layouts::defaults();
    /// assert_eq!(l.get("garantias").unwrap().record("2").unwrap().length(), Some(199));
    /// ```
    pub fn record(&self, code: &str) -> Option<&Record> {
        self.records
            .iter()
            .find(|r| r.code.as_deref() == Some(code))
    }

    /// The date, time and portfolio id in `file_name` when it matches one of this
    /// layout's patterns (a leading directory is ignored).
    ///
    /// ```
    /// let l = atende_collections::Layouts::defaults();
    /// let info = l.get("batimento").unwrap().matches("in/bat_carteira_veic_04082023_528.csv.528").unwrap();
    /// assert_eq!(info.portfolio_id.as_deref(), Some("528"));
    /// ```
    pub fn matches(&self, file_name: &str) -> Option<FileInfo> {
        let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
        self.file_names.iter().find_map(|p| p.matches(base))
    }

    /// The name of a file of this layout produced at `at` for portfolio `portfolio_id`
    /// (the first pattern), as the sample generator and tests need.
    ///
    /// ```
    /// use jiff::civil::date;
    /// let l = atende_collections::Layouts::defaults();
    /// let name = l.get("remessa").unwrap().file_name(date(2023, 8, 4).at(2, 0, 0, 0), "528");
    /// assert_eq!(name, "20230804_020000_remessa_528_out.528");
    /// ```
    pub fn file_name(&self, at: DateTime, portfolio_id: &str) -> String {
        self.file_names[0].render(at, portfolio_id)
    }
}

fn guess_name(text: &str) -> String {
    text.lines()
        .find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == "name").then(|| v.trim().trim_matches(['"', '\'']).to_owned())
        })
        .unwrap_or_else(|| "?".into())
}

/// The layouts an importer knows: the defaults shipped with Atende (embedded), optionally
/// replaced or extended by the `*.toml` files of a folder.
///
/// ```
/// use atende_collections::Layouts;
///
/// let layouts = Layouts::defaults();
/// assert_eq!(layouts.iter().count(), 12);
/// assert!(layouts.identify("notes.txt").is_none());
/// ```
#[derive(Clone, Debug)]
pub struct Layouts {
    layouts: Vec<Layout>,
}

/// The shipped layouts, in the order `identify` tries them.
const DEFAULTS: [(&str, &str); 12] = [
    ("remessa.toml", include_str!("../layouts/remessa.toml")),
    ("parcelas.toml", include_str!("../layouts/parcelas.toml")),
    ("garantias.toml", include_str!("../layouts/garantias.toml")),
    ("baixa.toml", include_str!("../layouts/baixa.toml")),
    ("exclusao.toml", include_str!("../layouts/exclusao.toml")),
    (
        "acordos_baixados.toml",
        include_str!("../layouts/acordos_baixados.toml"),
    ),
    ("batimento.toml", include_str!("../layouts/batimento.toml")),
    ("telefones.toml", include_str!("../layouts/telefones.toml")),
    ("refin.toml", include_str!("../layouts/refin.toml")),
    (
        "acoes_whatsapp.toml",
        include_str!("../layouts/acoes_whatsapp.toml"),
    ),
    (
        "historico_email.toml",
        include_str!("../layouts/historico_email.toml"),
    ),
    (
        "historico_sms.toml",
        include_str!("../layouts/historico_sms.toml"),
    ),
];

impl Layouts {
    /// The layouts shipped in `crates/atende-collections/layouts/`, one per file the
    /// specification names.
    ///
    /// ```
    /// let names: Vec<_> = atende_collections::Layouts::defaults().iter().map(|l| l.name().to_owned()).collect();
    /// assert_eq!(names[0], "remessa");
    /// ```
    pub fn defaults() -> Layouts {
        let layouts = DEFAULTS
            .iter()
            .map(|(file, text)| {
                Layout::from_toml(text).unwrap_or_else(|e| panic!("shipped layout {file}: {e}"))
            })
            .collect();
        Layouts { layouts }
    }

    /// The defaults with every `*.toml` in `dir` applied: a file whose `name` is a
    /// default layout's replaces it (keeping its place), any other is added after them.
    ///
    /// ```no_run
    /// let layouts = atende_collections::Layouts::load_dir("/etc/atende/layouts".as_ref()).unwrap();
    /// ```
    pub fn load_dir(dir: &Path) -> Result<Layouts, LayoutError> {
        let mut layouts = Layouts::defaults();
        for layout in read_toml_dir(dir, Layout::from_toml)? {
            layouts.insert(layout);
        }
        Ok(layouts)
    }

    /// Adds `layout`, replacing the one with the same name.
    ///
    /// ```
    /// let mut layouts = atende_collections::Layouts::defaults();
    /// let copy = layouts.get("refin").unwrap().clone();
    /// layouts.insert(copy);
    /// assert_eq!(layouts.iter().count(), 12);
    /// ```
    pub fn insert(&mut self, layout: Layout) {
        match self.layouts.iter_mut().find(|l| l.name == layout.name) {
            Some(slot) => *slot = layout,
            None => self.layouts.push(layout),
        }
    }

    /// The layout called `name`.
    ///
    /// ```
    /// assert!(atende_collections::Layouts::defaults().get("nope").is_none());
    /// ```
    pub fn get(&self, name: &str) -> Option<&Layout> {
        self.layouts.iter().find(|l| l.name == name)
    }

    /// Every layout, in identification order.
    ///
    /// ```
    /// assert!(atende_collections::Layouts::defaults().iter().any(|l| l.plausible()));
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &Layout> {
        self.layouts.iter()
    }

    /// The first layout whose file-name patterns match `file_name`, with the date, time
    /// and portfolio id the name carries; `None` for names outside every pattern (the
    /// pick-up ignores and logs those files).
    ///
    /// ```
    /// let layouts = atende_collections::Layouts::defaults();
    /// let (layout, info) = layouts.identify("telefones_carteira_veic_040823101112.csv").unwrap();
    /// assert_eq!((layout.name(), info.date.to_string()), ("telefones", "2023-08-04".to_string()));
    /// assert!(layouts.identify("telefones_carteira_veic_0408231011.csv").is_none());
    /// ```
    pub fn identify(&self, file_name: &str) -> Option<(&Layout, FileInfo)> {
        self.layouts
            .iter()
            .find_map(|l| l.matches(file_name).map(|info| (l, info)))
    }
}

// ---------------------------------------------------------------------------------------
// The TOML shape, then validation into the types above.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayout {
    name: String,
    kind: Kind,
    #[serde(default)]
    description: String,
    #[serde(default)]
    plausible: bool,
    file_names: Vec<String>,
    format: RawFormat,
    #[serde(default)]
    length: Option<usize>,
    #[serde(default)]
    key: Vec<String>,
    #[serde(default)]
    fields: Vec<RawField>,
    #[serde(default)]
    records: Vec<RawRecord>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFormat {
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    separator: Option<String>,
    #[serde(default)]
    record_type: Option<RawSpan>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct RawSpan {
    start: usize,
    length: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecord {
    code: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    length: Option<usize>,
    #[serde(default)]
    key: Vec<String>,
    fields: Vec<RawField>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    name: String,
    #[serde(default)]
    column: Option<String>,
    #[serde(default)]
    start: Option<usize>,
    #[serde(default)]
    length: Option<usize>,
    #[serde(rename = "type", default)]
    ty: Option<String>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    description: String,
    #[serde(default)]
    values: Vec<String>,
    #[serde(default)]
    decimals: Option<u32>,
    #[serde(default)]
    separator: Option<String>,
    #[serde(default)]
    percent: bool,
    #[serde(default)]
    pattern: Option<OneOrMany>,
    #[serde(default)]
    document: Option<String>,
}

impl RawLayout {
    fn validate(self) -> Result<Layout, String> {
        if self.name.trim().is_empty() {
            return Err("`name` is empty".into());
        }
        if self.file_names.is_empty() {
            return Err("`file_names` needs at least one pattern".into());
        }
        let file_names = self
            .file_names
            .iter()
            .map(|p| NamePattern::new(p))
            .collect::<Result<Vec<_>, _>>()?;
        let format = match self.format.ty.as_str() {
            "fixed" => {
                if self.format.separator.is_some() {
                    return Err("format: `separator` is for delimited layouts".into());
                }
                let record_type = match self.format.record_type {
                    Some(RawSpan { start, length }) if start >= 1 && length >= 1 => {
                        Some((start - 1, length))
                    }
                    Some(_) => return Err("format.record_type: start and length begin at 1".into()),
                    None => None,
                };
                Format::Fixed { record_type }
            }
            "delimited" => {
                if self.format.record_type.is_some() {
                    return Err("format: `record_type` is for fixed-width layouts".into());
                }
                let sep = self.format.separator.as_deref().unwrap_or(";");
                let separator = match sep.as_bytes() {
                    [b] if b.is_ascii() && *b != b'"' && !b.is_ascii_alphanumeric() => *b,
                    _ => {
                        return Err(format!(
                        "format.separator: {sep:?} must be one ASCII punctuation character or a tab"
                    ))
                    }
                };
                Format::Delimited { separator }
            }
            other => {
                return Err(format!(
                    "format.type: {other:?} is neither \"fixed\" nor \"delimited\""
                ))
            }
        };
        let fixed = matches!(format, Format::Fixed { .. });

        let raw_records: Vec<RawRecord> = if self.records.is_empty() {
            if self.fields.is_empty() {
                return Err("no `fields` (or `[[records]]`)".into());
            }
            vec![RawRecord {
                code: String::new(),
                description: String::new(),
                length: self.length,
                key: self.key,
                fields: self.fields,
            }]
        } else {
            if !self.fields.is_empty() || !self.key.is_empty() || self.length.is_some() {
                return Err(
                    "use either top-level `fields`/`key`/`length` or `[[records]]`, not both"
                        .into(),
                );
            }
            self.records
        };

        let record_type = match format {
            Format::Fixed { record_type } => record_type,
            Format::Delimited { .. } => None,
        };
        if record_type.is_none() && raw_records.len() > 1 {
            return Err("several `[[records]]` need `format.record_type`".into());
        }
        if record_type.is_some() && raw_records.iter().any(|r| r.code.is_empty()) {
            return Err("with `format.record_type`, every record needs a `code`".into());
        }
        let mut codes = HashSet::new();
        let mut records = Vec::new();
        for raw in raw_records {
            let what = if raw.code.is_empty() {
                String::new()
            } else {
                format!("record {}: ", raw.code)
            };
            if let Some((start, len)) = record_type {
                if raw.code.chars().count() != len {
                    return Err(format!(
                        "{what}code {:?} must have {len} characters (format.record_type.length)",
                        raw.code
                    ));
                }
                if !codes.insert(raw.code.clone()) {
                    return Err(format!("{what}code repeated"));
                }
                if raw.length.is_some_and(|l| start + len > l) {
                    return Err(format!("{what}the record type lies outside the record"));
                }
            }
            let record = validate_record(raw, fixed).map_err(|e| format!("{what}{e}"))?;
            records.push(record);
        }
        Ok(Layout {
            name: self.name,
            kind: self.kind,
            description: self.description.trim().to_owned(),
            plausible: self.plausible,
            file_names,
            format,
            records,
        })
    }
}

fn validate_record(raw: RawRecord, fixed: bool) -> Result<Record, String> {
    if fixed && raw.length == Some(0) {
        return Err("`length` must be positive".into());
    }
    if !fixed && raw.length.is_some() {
        return Err("`length` (record length) is for fixed-width layouts".into());
    }
    let mut fields = Vec::with_capacity(raw.fields.len());
    let mut names = HashSet::new();
    let mut columns = HashSet::new();
    let mut next = 0usize;
    for f in raw.fields {
        let name = f.name.clone();
        let field = validate_field(f, fixed, next).map_err(|e| format!("field {name}: {e}"))?;
        if !names.insert(field.name.clone()) {
            return Err(format!("field {name} appears twice"));
        }
        if fixed {
            let end = field.start + field.length.unwrap_or(0);
            if field.start < next {
                return Err(format!(
                    "field {name}: starts at {} but the previous field ends at {next} (fields go in order and do not overlap)",
                    field.start + 1
                ));
            }
            if let Some(len) = raw.length {
                if end > len {
                    return Err(format!(
                        "field {name}: ends at {end}, past the record length {len}"
                    ));
                }
            }
            next = end;
        } else if !columns.insert(field.column_key.clone()) {
            return Err(format!("field {name}: column appears twice"));
        }
        fields.push(field);
    }
    for k in &raw.key {
        match fields.iter_mut().find(|f| &f.name == k) {
            Some(f) => f.required = true,
            None => return Err(format!("key field {k} is not a field")),
        }
    }
    Ok(Record {
        code: (!raw.code.is_empty()).then_some(raw.code),
        description: raw.description.trim().to_owned(),
        length: if fixed {
            raw.length.or(Some(next))
        } else {
            None
        },
        key: raw.key,
        fields,
    })
}

fn validate_field(f: RawField, fixed: bool, next: usize) -> Result<Field, String> {
    if f.name.is_empty()
        || !f
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err("names are lowercase ASCII letters, digits and `_`".into());
    }
    let ty_name = f.ty.as_deref().unwrap_or("text");
    let only = |key: &str, set: bool, types: &str| {
        if set && !types.split('|').any(|t| t == ty_name) {
            Err(format!("`{key}` does not apply to type {ty_name}"))
        } else {
            Ok(())
        }
    };
    only("values", !f.values.is_empty(), "text")?;
    only("decimals", f.decimals.is_some(), "decimal")?;
    only("separator", f.separator.is_some(), "decimal")?;
    only("percent", f.percent, "decimal")?;
    only("pattern", f.pattern.is_some(), "date|datetime")?;
    only("document", f.document.is_some(), "document")?;
    let patterns = || -> Result<Vec<DatePattern>, String> {
        let list = match &f.pattern {
            None => return Err(format!("type {ty_name} needs a `pattern`")),
            Some(OneOrMany::One(p)) => vec![p.clone()],
            Some(OneOrMany::Many(ps)) if !ps.is_empty() => ps.clone(),
            Some(OneOrMany::Many(_)) => return Err("`pattern` list is empty".into()),
        };
        list.iter().map(|p| DatePattern::new(p)).collect()
    };
    let ty = match ty_name {
        "text" => FieldType::Text {
            values: f.values.clone(),
        },
        "email" => FieldType::Email,
        "integer" => FieldType::Integer,
        "decimal" => match (f.decimals, f.separator.as_deref()) {
            (Some(_), Some(_)) => {
                return Err("`decimals` (implied) and `separator` exclude each other".into())
            }
            (Some(n), None) if n <= 10 => {
                if f.percent {
                    return Err("`percent` needs an explicit `separator`".into());
                }
                FieldType::Decimal(DecimalFormat::Implied(n))
            }
            (Some(_), None) => return Err("`decimals` is at most 10".into()),
            (None, sep) => {
                let sep = match sep.unwrap_or(",") {
                    "," => b',',
                    "." => b'.',
                    other => return Err(format!("`separator` {other:?} is neither \",\" nor \".\"")),
                };
                FieldType::Decimal(DecimalFormat::Separator {
                    sep,
                    percent: f.percent,
                })
            }
        },
        "date" => FieldType::Date(patterns()?),
        "datetime" => FieldType::DateTime(patterns()?),
        "document" => FieldType::Document(match f.document.as_deref().unwrap_or("any") {
            "cpf" => DocumentKind::Cpf,
            "cnpj" => DocumentKind::Cnpj,
            "any" => DocumentKind::Any,
            other => {
                return Err(format!(
                    "`document` {other:?} is not \"cpf\", \"cnpj\" or \"any\""
                ))
            }
        }),
        "phone" => FieldType::Phone,
        other => {
            return Err(format!(
                "unknown type {other:?} (text, email, integer, decimal, date, datetime, document, phone)"
            ))
        }
    };
    if fixed {
        if f.column.is_some() {
            return Err(
                "`column` is for delimited layouts (fixed-width fields have `start`/`length`)"
                    .into(),
            );
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
            if let Some(p) = ps.iter().find(|p| p.width() > length) {
                return Err(format!(
                    "pattern {:?} needs {} characters, the field has {length}",
                    p.source(),
                    p.width()
                ));
            }
        }
        Ok(Field {
            name: f.name,
            column: None,
            start,
            length: Some(length),
            ty,
            required: f.required,
            description: f.description.trim().to_owned(),
            column_key: String::new(),
        })
    } else {
        if f.start.is_some() {
            return Err(
                "`start` is for fixed-width layouts (delimited fields have `column`)".into(),
            );
        }
        if f.length.is_some() && !matches!(ty, FieldType::Text { .. } | FieldType::Email) {
            return Err("in delimited layouts `length` (maximum length) applies to text".into());
        }
        let column = f.column.unwrap_or_else(|| f.name.clone());
        let column_key = header_key(&column);
        if column_key.is_empty() {
            return Err("`column` is empty".into());
        }
        Ok(Field {
            name: f.name,
            column: Some(column),
            start: 0,
            length: f.length,
            ty,
            required: f.required,
            description: f.description.trim().to_owned(),
            column_key,
        })
    }
}

/// A header title reduced for matching: lowercase, without spaces, `_`, `-`, `.` or
/// accents (`"PLANO ORIGINAL"`, `"Plano_Original"` and `"plano original "` agree).
pub(crate) fn header_key(title: &str) -> String {
    title
        .chars()
        .filter(|c| !matches!(c, ' ' | '\t' | '_' | '-' | '.' | '\u{feff}'))
        .map(|c| match c.to_lowercase().next().unwrap_or(c) {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            other => other,
        })
        .collect()
}

/// Every `*.toml` file of `dir`, in name order, read with `parse`; a TOML error names the
/// file it is in.
pub(crate) fn read_toml_dir<T>(
    dir: &Path,
    parse: impl Fn(&str) -> Result<T, LayoutError>,
) -> Result<Vec<T>, LayoutError> {
    let io = |source| LayoutError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    files.retain(|p| p.extension().is_some_and(|e| e == "toml"));
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(|source| LayoutError::Io {
                path: path.clone(),
                source,
            })?;
            parse(&text).map_err(|e| match e {
                LayoutError::Toml { message, .. } => LayoutError::Toml {
                    name: path.display().to_string(),
                    message,
                },
                other => other,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
        name = "t"
        kind = "exclusao"
        file_names = ["<AAAAMMDD>_x_<ID>.txt"]
        format = { type = "fixed" }
        key = ["numero_contrato"]
        fields = [
          { name = "numero_contrato", length = 10 },
          { name = "data", length = 8, type = "date", pattern = "AAAAMMDD" },
        ]
    "#;

    fn err(text: &str) -> String {
        Layout::from_toml(text).unwrap_err().to_string()
    }

    #[test]
    fn minimal_fixed_layout() {
        let l = Layout::from_toml(MINIMAL).unwrap();
        let r = &l.records()[0];
        assert_eq!(r.length(), Some(18));
        assert_eq!(r.fields()[1].position(), Some((11, 8)));
        assert!(r.fields()[0].required(), "key fields are required");
        assert_eq!(
            l.matches("20230804_x_9.txt")
                .unwrap()
                .portfolio_id
                .as_deref(),
            Some("9")
        );
    }

    #[test]
    fn explains_mistakes() {
        assert!(err(&MINIMAL.replace("\"fixed\"", "\"csv\"")).contains("neither \"fixed\""));
        assert!(
            err(&MINIMAL.replace("length = 10 }", "length = 10, colour = 1 }"))
                .contains("unknown field `colour`"),
            "{}",
            err(&MINIMAL.replace("length = 10 }", "length = 10, colour = 1 }"))
        );
        assert!(
            err(&MINIMAL.replace("key = [\"numero_contrato\"]", "key = [\"x\"]"))
                .contains("key field x is not a field")
        );
        assert!(
            err(&MINIMAL.replace("length = 8,", "length = 8, start = 5,"))
                .contains("field data: starts at 5 but the previous field ends at 10")
        );
        assert!(err(&MINIMAL.replace("length = 8,", "length = 6,"))
            .contains("pattern \"AAAAMMDD\" needs 8 characters"));
        assert!(
            err(&MINIMAL.replace("pattern = \"AAAAMMDD\"", "decimals = 2"))
                .contains("`decimals` does not apply to type date")
        );
        assert!(err(&MINIMAL.replace(
            "format = { type = \"fixed\" }",
            "format = { type = \"fixed\" }\nlength = 12"
        ))
        .contains("ends at 18, past the record length 12"));
        assert!(err(&MINIMAL.replace("<AAAAMMDD>", "")).contains("needs a date placeholder"));
        assert!(err("name = 'x'\nkind = 'nope'").starts_with("layout x:"));
    }

    #[test]
    fn header_keys() {
        assert_eq!(header_key("PLANO ORIGINAL"), "planooriginal");
        assert_eq!(header_key(" NomeCliente "), "nomecliente");
        assert_eq!(header_key("Número_Acordo"), "numeroacordo");
    }

    #[test]
    fn kinds_round_trip() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>(), Ok(k));
        }
    }
}
