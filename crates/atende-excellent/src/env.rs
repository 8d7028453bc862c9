//! The environment an expression is evaluated in: formats, time zone, country,
//! languages, collation and redaction — everything that changes what a function returns
//! without being part of the expression itself.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::tz::TimeZone;
use serde_json::Value as Json;

use crate::locations::Location;

/// How dates are written and read (`DD-MM-YYYY` is the Brazilian default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateOrder {
    DayMonthYear,
    MonthDayYear,
    YearMonthDay,
}

/// How text inputs are compared by the `has_*` tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Collation {
    Default,
    Confusables,
    ArabicVariants,
}

/// Whether URNs are shown in full or redacted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedactionPolicy {
    None,
    Urns,
}

/// Symbols used by `format_number` and number rendering in messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberFormat {
    pub decimal_symbol: String,
    pub digit_grouping_symbol: String,
}

/// An evaluation environment. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Environment {
    /// A goflow date layout such as `DD-MM-YYYY`.
    pub date_format: String,
    /// A goflow time layout such as `tt:mm`.
    pub time_format: String,
    pub timezone: TimeZone,
    /// The IANA name of `timezone`, kept for output.
    pub timezone_name: String,
    pub allowed_languages: Vec<String>,
    pub default_language: String,
    /// ISO 3166-1 alpha-2 country used to read phone numbers without a country code.
    pub default_country: String,
    pub number_format: NumberFormat,
    pub input_collation: Collation,
    pub redaction_policy: RedactionPolicy,
    /// The location hierarchy `has_state`/`has_district`/`has_ward` search.
    pub locations: Option<Arc<Vec<Location>>>,
    /// Named prompts for `prompt()`.
    pub llm_prompts: Arc<HashMap<String, String>>,
}

/// The product's default time zone: Atende's users are in Brazil.
pub const DEFAULT_TIMEZONE: &str = "America/Sao_Paulo";

impl Default for Environment {
    /// goflow's default environment (ISO dates, UTC) so imported flows and the
    /// conformance corpus behave as they do upstream; the server overrides it per workspace.
    fn default() -> Self {
        Environment {
            date_format: "YYYY-MM-DD".into(),
            time_format: "tt:mm".into(),
            timezone: TimeZone::UTC,
            timezone_name: "UTC".into(),
            allowed_languages: Vec::new(),
            default_language: String::new(),
            default_country: String::new(),
            number_format: NumberFormat {
                decimal_symbol: ".".into(),
                digit_grouping_symbol: ",".into(),
            },
            input_collation: Collation::Default,
            redaction_policy: RedactionPolicy::None,
            locations: None,
            llm_prompts: Arc::new(HashMap::new()),
        }
    }
}

/// An environment field that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("env field '{field}': {message}")]
pub struct EnvError {
    pub field: String,
    pub message: String,
}

impl Environment {
    /// The Brazilian default: `DD-MM-YYYY`, `America/Sao_Paulo`, country BR, `,` decimals.
    pub fn brazil() -> Environment {
        Environment {
            date_format: "DD-MM-YYYY".into(),
            timezone: TimeZone::get(DEFAULT_TIMEZONE).unwrap_or(TimeZone::UTC),
            timezone_name: DEFAULT_TIMEZONE.into(),
            allowed_languages: vec!["por".into()],
            default_language: "por".into(),
            default_country: "BR".into(),
            number_format: NumberFormat {
                decimal_symbol: ",".into(),
                digit_grouping_symbol: ".".into(),
            },
            ..Environment::default()
        }
    }

    /// Reads goflow's environment JSON; absent fields keep their defaults.
    pub fn from_json(json: &Json) -> Result<Environment, EnvError> {
        let mut env = Environment::default();
        let Some(obj) = json.as_object() else {
            return Err(err("", "expected an object"));
        };
        let text = |key: &str| -> Result<Option<String>, EnvError> {
            match obj.get(key) {
                None | Some(Json::Null) => Ok(None),
                Some(Json::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(err(key, "expected text")),
            }
        };
        if let Some(f) = text("date_format")? {
            if crate::dates::date_order(&f).is_none() {
                return Err(err("date_format", &format!("unknown date format {f:?}")));
            }
            env.date_format = f;
        }
        if let Some(f) = text("time_format")? {
            env.time_format = f;
        }
        if let Some(tz) = text("timezone")? {
            if !tz.is_empty() {
                env.timezone = TimeZone::get(&tz)
                    .map_err(|_| err("timezone", &format!("unknown time zone {tz:?}")))?;
                env.timezone_name = tz;
            }
        }
        if let Some(Json::Array(langs)) = obj.get("allowed_languages") {
            env.allowed_languages = langs
                .iter()
                .filter_map(|l| l.as_str().map(str::to_owned))
                .collect();
        }
        if let Some(l) = text("default_language")? {
            env.default_language = l;
        }
        if let Some(c) = text("default_country")? {
            env.default_country = c;
        }
        if let Some(nf) = obj.get("number_format").and_then(Json::as_object) {
            if let Some(s) = nf.get("decimal_symbol").and_then(Json::as_str) {
                env.number_format.decimal_symbol = s.into();
            }
            if let Some(s) = nf.get("digit_grouping_symbol").and_then(Json::as_str) {
                env.number_format.digit_grouping_symbol = s.into();
            }
        }
        if let Some(c) = text("input_collation")? {
            env.input_collation = match c.as_str() {
                "" | "default" => Collation::Default,
                "confusables" => Collation::Confusables,
                "arabic_variants" => Collation::ArabicVariants,
                _ => return Err(err("input_collation", &format!("unknown collation {c:?}"))),
            };
        }
        if let Some(r) = text("redaction_policy")? {
            env.redaction_policy = match r.as_str() {
                "" | "none" => RedactionPolicy::None,
                "urns" => RedactionPolicy::Urns,
                _ => return Err(err("redaction_policy", &format!("unknown policy {r:?}"))),
            };
        }
        Ok(env)
    }

    pub fn date_order(&self) -> DateOrder {
        crate::dates::date_order(&self.date_format).unwrap_or(DateOrder::YearMonthDay)
    }
}

fn err(field: &str, message: &str) -> EnvError {
    EnvError {
        field: field.into(),
        message: message.into(),
    }
}
