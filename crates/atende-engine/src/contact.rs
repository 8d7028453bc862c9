//! The contact a session runs for, as flows see it (`@contact`, `@fields`, `@urns`).
//!
//! Read from goflow's contact JSON; field values are typed by the workspace's field
//! definitions (`number`, `datetime`, `text`, `state`, `district`, `ward`).

use std::collections::BTreeMap;
use std::sync::Arc;

use atende_excellent::value::parse_decimal;
use atende_excellent::{Object, Value};
use serde::{Deserialize, Serialize};

/// URN schemes goflow knows; `@urns.<scheme>` exists for each (null when absent).
pub const URN_SCHEMES: &[&str] = &[
    "bsuid",
    "ext",
    "facebook",
    "fcm",
    "freshchat",
    "instagram",
    "jiochat",
    "line",
    "mailto",
    "rocketchat",
    "slack",
    "tel",
    "telegram",
    "twitter",
    "twitterid",
    "viber",
    "vk",
    "webchat",
    "wechat",
    "whatsapp",
];

/// A reference to a group by UUID and name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRef {
    pub uuid: String,
    pub name: String,
}

/// A contact field's stored value: the text as entered plus its typed readings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldValue {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<serde_json::Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datetime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ward: Option<String>,
}

/// A field definition from the assets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDef {
    /// Exports (RapidPro's, Weni's) carry fields without UUIDs.
    #[serde(default)]
    pub uuid: String,
    pub key: String,
    pub name: String,
    /// `text`, `number`, `datetime`, `state`, `district`, `ward`; older exports call
    /// it `value_type`.
    #[serde(rename = "type", alias = "value_type")]
    pub value_type: String,
}

/// A contact.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub uuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub language: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub timezone: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub created_on: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_on: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urns: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupRef>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, FieldValue>,
    /// Tickets, open and closed: `{"uuid", "status", "topic", "assignee"?}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tickets: Vec<serde_json::Value>,
}

/// A URN without its query (`tel:+5511…?channel=…` → `tel:+5511…`).
pub fn urn_identity(urn: &str) -> &str {
    urn.split('?').next().unwrap_or(urn)
}

/// What a redacted URN's path shows (`redaction_policy: urns`).
pub const REDACTED_PATH: &str = "********";

/// A URN as flows see it: without its query, and with its path hidden when `redact`
/// (`tel:+5511…` → `tel:********`).
pub fn context_urn(urn: &str, redact: bool) -> String {
    let id = urn_identity(urn);
    match id.split_once(':') {
        Some((scheme, _)) if redact => format!("{scheme}:{REDACTED_PATH}"),
        _ => id.to_string(),
    }
}

pub(crate) fn datetime_value(s: &str) -> Value {
    let Ok(ts) = s.parse::<jiff::Timestamp>() else {
        return Value::from(s);
    };
    // keep the offset the value was written with, as goflow does
    let tz = match offset_of(s) {
        Some(offset) if !s.ends_with('Z') => jiff::tz::TimeZone::fixed(offset),
        _ => jiff::tz::TimeZone::UTC,
    };
    Value::datetime(ts.to_zoned(tz))
}

fn offset_of(s: &str) -> Option<jiff::tz::Offset> {
    let tail = s.get(s.len().checked_sub(6)?..)?;
    let sign = match tail.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h: i32 = tail.get(1..3)?.parse().ok()?;
    let m: i32 = tail.get(4..6)?.parse().ok()?;
    jiff::tz::Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()
}

impl Contact {
    /// Reads goflow's contact JSON, naming the field that is wrong.
    pub fn from_json(json: &serde_json::Value) -> Result<Contact, String> {
        serde_json::from_value(json.clone()).map_err(|e| format!("contact: {e}"))
    }

    /// The first word of the name.
    pub fn first_name(&self) -> &str {
        self.name.split_whitespace().next().unwrap_or("")
    }

    /// A field's value typed by its definition; null when unset.
    pub fn field_value(&self, def: &FieldDef) -> Value {
        let Some(v) = self.fields.get(&def.key) else {
            return Value::Null;
        };
        match def.value_type.as_str() {
            "number" => v
                .number
                .as_ref()
                .and_then(|n| parse_decimal(&n.to_string()))
                .map(Value::Number)
                .unwrap_or(Value::Null),
            "datetime" => v
                .datetime
                .as_deref()
                .map(datetime_value)
                .unwrap_or(Value::Null),
            "state" => v.state.as_deref().map(Value::from).unwrap_or(Value::Null),
            "district" => v
                .district
                .as_deref()
                .map(Value::from)
                .unwrap_or(Value::Null),
            "ward" => v.ward.as_deref().map(Value::from).unwrap_or(Value::Null),
            _ => Value::from(v.text.as_str()),
        }
    }

    /// `@fields`: every defined field by key, rendering as `Name: value` lines of the
    /// fields that are set, sorted by name.
    pub fn fields_context(&self, defs: &[FieldDef]) -> Value {
        let mut lines: Vec<(String, String)> = Vec::new();
        let mut obj = Object::new();
        for def in defs {
            let v = self.field_value(def);
            if !v.is_null() {
                lines.push((def.name.clone(), v.render()));
            }
            obj.insert(def.key.as_str(), v);
        }
        lines.sort();
        let default = lines
            .iter()
            .map(|(n, v)| format!("{n}: {v}"))
            .collect::<Vec<_>>()
            .join("\n");
        obj.default = Some(Value::from(default));
        Value::Object(Arc::new(obj))
    }

    /// `@urns`: the first URN of each known scheme.
    pub fn urns_context(&self) -> Value {
        self.urns_context_redacted(false)
    }

    /// `@urns`, with paths hidden when `redact`.
    pub fn urns_context_redacted(&self, redact: bool) -> Value {
        let mut obj = Object::new();
        for scheme in URN_SCHEMES {
            let first = self
                .urns
                .iter()
                .map(|u| urn_identity(u))
                .find(|u| u.split(':').next() == Some(scheme));
            obj.insert(
                *scheme,
                first
                    .map(|u| Value::from(context_urn(u, redact).as_str()))
                    .unwrap_or(Value::Null),
            );
        }
        Value::Object(Arc::new(obj))
    }

    /// `@contact`: renders as the name.
    pub fn context(&self, defs: &[FieldDef]) -> Value {
        self.context_redacted(defs, false)
    }

    /// `@contact`, with URN paths hidden when `redact`.
    pub fn context_redacted(&self, defs: &[FieldDef], redact: bool) -> Value {
        let mut c = Object::with_default(Value::from(self.name.as_str()));
        c.insert("uuid", Value::from(self.uuid.as_str()));
        c.insert(
            "id",
            Value::from(self.id.map(|i| i.to_string()).unwrap_or_default()),
        );
        c.deprecate("id", "@contact.id is deprecated, use @contact.ref instead");
        c.insert("name", Value::from(self.name.as_str()));
        c.insert("first_name", Value::from(self.first_name()));
        c.insert("language", Value::from(self.language.as_str()));
        c.insert("status", Value::from(self.status.as_str()));
        c.insert("timezone", Value::from(self.timezone.as_str()));
        c.insert(
            "created_on",
            if self.created_on.is_empty() {
                Value::Null
            } else {
                datetime_value(&self.created_on)
            },
        );
        c.insert(
            "last_seen_on",
            self.last_seen_on
                .as_deref()
                .map(datetime_value)
                .unwrap_or(Value::Null),
        );
        let urns: Vec<Value> = self
            .urns
            .iter()
            .map(|u| Value::from(context_urn(u, redact).as_str()))
            .collect();
        c.insert("urn", urns.first().cloned().unwrap_or(Value::Null));
        c.insert("urns", Value::array(urns));
        c.insert(
            "groups",
            Value::array(
                self.groups
                    .iter()
                    .map(|g| {
                        let mut o = Object::new();
                        o.insert("uuid", Value::from(g.uuid.as_str()));
                        o.insert("name", Value::from(g.name.as_str()));
                        Value::Object(Arc::new(o))
                    })
                    .collect(),
            ),
        );
        c.insert("fields", self.fields_context(defs));
        c.insert(
            "tickets",
            Value::array(self.tickets.iter().map(ticket_context).collect()),
        );
        c.deprecate(
            "tickets",
            "@contact.tickets is deprecated, use @ticket instead",
        );
        Value::Object(Arc::new(c))
    }
}

/// A ticket as flows see it (`@ticket`, `@contact.tickets`): uuid, topic, assignee.
pub fn ticket_context(ticket: &serde_json::Value) -> Value {
    let mut o = Object::new();
    o.insert(
        "assignee",
        ticket
            .get("assignee")
            .map(atende_excellent::value::from_json)
            .unwrap_or(Value::Null),
    );
    o.insert(
        "topic",
        ticket
            .get("topic")
            .map(atende_excellent::value::from_json)
            .unwrap_or(Value::Null),
    );
    o.insert(
        "uuid",
        Value::from(ticket.get("uuid").and_then(|u| u.as_str()).unwrap_or("")),
    );
    Value::Object(Arc::new(o))
}

/// Evaluates a simple contact query (the language of smart groups) against a contact:
/// conditions `key op value` (`=`, `!=`, `~`, `<`, `<=`, `>`, `>=`) joined by `AND` /
/// `OR` (AND binds tighter; no parentheses). Keys are field keys, `name`, `language`,
/// `status`, `uuid`, `urn` or a URN scheme. `None` when the query uses something this
/// evaluator does not understand, so the caller can leave membership as it was.
pub fn query_matches(contact: &Contact, query: &str, defs: &[FieldDef]) -> Option<bool> {
    query_matches_in(
        &atende_excellent::Environment::default(),
        contact,
        query,
        defs,
    )
}

/// [`query_matches`] in an environment: dates in the query (`last_seen_on >= 2026-01-01`,
/// datetime fields) are read in its date format and compared by day in its timezone.
pub fn query_matches_in(
    env: &atende_excellent::Environment,
    contact: &Contact,
    query: &str,
    defs: &[FieldDef],
) -> Option<bool> {
    if query.contains('(') {
        return None;
    }
    let mut any = false;
    for alternative in split_keyword(query, "OR") {
        let mut all = true;
        for condition in split_keyword(&alternative, "AND") {
            all &= condition_matches(env, contact, condition.trim(), defs)?;
        }
        any |= all;
    }
    Some(any)
}

/// Splits on a keyword surrounded by spaces, outside quotes, case-insensitively.
fn split_keyword(text: &str, keyword: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let chars: Vec<char> = text.chars().collect();
    let kw: Vec<char> = format!(" {keyword} ").chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '"' {
            quoted = !quoted;
        }
        if !quoted
            && i + kw.len() <= chars.len()
            && chars[i..i + kw.len()]
                .iter()
                .zip(&kw)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
        {
            parts.push(std::mem::take(&mut current));
            i += kw.len();
            continue;
        }
        current.push(chars[i]);
        i += 1;
    }
    parts.push(current);
    parts
}

fn condition_matches(
    env: &atende_excellent::Environment,
    contact: &Contact,
    condition: &str,
    defs: &[FieldDef],
) -> Option<bool> {
    let ops = ["!=", ">=", "<=", "=", "~", ">", "<"];
    let (pos, op) = ops
        .iter()
        .filter_map(|op| condition.find(op).map(|p| (p, *op)))
        .min_by_key(|(p, op)| (*p, std::cmp::Reverse(op.len())))?;
    let key = condition[..pos].trim().to_lowercase();
    let raw = condition[pos + op.len()..].trim();
    let value = raw
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(raw)
        .to_string();
    if key.is_empty() || key.contains(' ') {
        return None;
    }
    let text_cmp = |actual: Option<&str>| -> Option<bool> {
        let a = actual.unwrap_or("").to_lowercase();
        let v = value.to_lowercase();
        match op {
            "=" => Some(actual.is_some() && a == v || (v.is_empty() && a.is_empty())),
            "!=" => Some(a != v),
            "~" => Some(actual.is_some() && a.contains(&v)),
            _ => None,
        }
    };
    match key.as_str() {
        "name" => return text_cmp(Some(contact.name.as_str()).filter(|n| !n.is_empty())),
        "language" => return text_cmp(Some(contact.language.as_str()).filter(|n| !n.is_empty())),
        "status" => return text_cmp(Some(contact.status.as_str())),
        "uuid" => return text_cmp(Some(contact.uuid.as_str())),
        "created_on" => {
            let on = Some(contact.created_on.as_str()).filter(|s| !s.is_empty());
            return date_matches(env, on, op, &value);
        }
        "last_seen_on" => return date_matches(env, contact.last_seen_on.as_deref(), op, &value),
        _ => {}
    }
    if key == "urn" || URN_SCHEMES.contains(&key.as_str()) {
        let paths: Vec<&str> = contact
            .urns
            .iter()
            .map(|u| urn_identity(u))
            .filter_map(|u| {
                let (scheme, path) = u.split_once(':')?;
                (key == "urn" || scheme == key).then_some(if key == "urn" { u } else { path })
            })
            .collect();
        let v = value.to_lowercase();
        return match op {
            "=" => Some(
                paths.iter().any(|p| p.to_lowercase() == v) || (v.is_empty() && paths.is_empty()),
            ),
            "!=" => Some(!paths.iter().any(|p| p.to_lowercase() == v)),
            "~" => Some(paths.iter().any(|p| p.to_lowercase().contains(&v))),
            _ => None,
        };
    }
    if key == "tickets" {
        // the number of open tickets the contact has
        let open = contact
            .tickets
            .iter()
            .filter(|t| {
                t.get("status")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("open")
                    == "open"
            })
            .count();
        let actual = parse_decimal(&open.to_string())?;
        let wanted = parse_decimal(&value)?;
        return Some(match op {
            "=" => actual == wanted,
            "!=" => actual != wanted,
            ">" => actual > wanted,
            ">=" => actual >= wanted,
            "<" => actual < wanted,
            "<=" => actual <= wanted,
            _ => return None,
        });
    }
    let def = defs.iter().find(|d| d.key == key)?;
    let stored = contact.fields.get(&def.key);
    match def.value_type.as_str() {
        "number" => {
            let actual = stored
                .and_then(|f| f.number.as_ref())
                .and_then(|n| parse_decimal(&n.to_string()));
            let wanted = parse_decimal(&value)?;
            Some(match (op, actual) {
                ("!=", None) => true,
                (_, None) => false,
                ("=", Some(a)) => a == wanted,
                ("!=", Some(a)) => a != wanted,
                (">", Some(a)) => a > wanted,
                (">=", Some(a)) => a >= wanted,
                ("<", Some(a)) => a < wanted,
                ("<=", Some(a)) => a <= wanted,
                _ => return None,
            })
        }
        "text" => text_cmp(stored.map(|f| f.text.as_str())),
        "datetime" => date_matches(env, stored.and_then(|f| f.datetime.as_deref()), op, &value),
        "state" | "district" | "ward" => {
            let v = stored.and_then(|f| match def.value_type.as_str() {
                "state" => f.state.as_deref(),
                "district" => f.district.as_deref(),
                _ => f.ward.as_deref(),
            });
            // locations match on their last path element (`Rwanda > Kigali City` = `kigali city`)
            text_cmp(v.map(|p| p.rsplit('>').next().unwrap_or(p).trim()))
        }
        _ => None,
    }
}

/// Compares a stored timestamp with a date of the query, by whole days in the
/// environment's timezone: `= d` is any time that day, `> d` from the next day on,
/// `>= d` from that day on, `< d` before it, `<= d` up to its end. Unset never matches
/// (except `!=`).
fn date_matches(
    env: &atende_excellent::Environment,
    actual: Option<&str>,
    op: &str,
    value: &str,
) -> Option<bool> {
    let day = atende_excellent::dates::parse_date_text(env, value)?;
    let start = day.to_zoned(env.timezone.clone()).ok()?.timestamp();
    let end = day
        .tomorrow()
        .ok()?
        .to_zoned(env.timezone.clone())
        .ok()?
        .timestamp();
    let Some(actual) = actual.and_then(|a| a.parse::<jiff::Timestamp>().ok()) else {
        return Some(op == "!=");
    };
    Some(match op {
        "=" => start <= actual && actual < end,
        "!=" => !(start <= actual && actual < end),
        ">" => actual >= end,
        ">=" => actual >= start,
        "<" => actual < start,
        "<=" => actual < end,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defs() -> Vec<FieldDef> {
        serde_json::from_value(json!([
            {"uuid": "1", "key": "age", "name": "Age", "type": "number"},
            {"uuid": "2", "key": "cpf", "name": "CPF", "type": "text"},
            {"uuid": "3", "key": "vencimento", "name": "Vencimento", "type": "datetime"},
            {"uuid": "4", "key": "unset", "name": "Unset", "type": "text"}
        ]))
        .unwrap()
    }

    #[test]
    fn context_types_fields_and_renders_like_goflow() {
        let c = Contact::from_json(&json!({
            "uuid": "ba96bf7f-bc2a-4873-a7c7-254d1927c4e3",
            "name": "Ana Souza",
            "urns": ["whatsapp:5511987654321?channel=x", "tel:+5511987654321"],
            "fields": {
                "age": {"text": "23", "number": 23},
                "cpf": {"text": "529.982.247-25"},
                "vencimento": {"text": "2026-12-10", "datetime": "2026-12-10T00:00:00-03:00"}
            }
        }))
        .unwrap();
        let ctx = c.context(&defs());
        let Value::Object(o) = &ctx else { panic!() };
        assert_eq!(ctx.render(), "Ana Souza");
        assert_eq!(o.get("first_name").unwrap().render(), "Ana");
        assert_eq!(o.get("urn").unwrap().render(), "whatsapp:5511987654321");
        let fields = o.get("fields").unwrap();
        assert_eq!(
            fields.render(),
            "Age: 23\nCPF: 529.982.247-25\nVencimento: 2026-12-10T00:00:00.000000-03:00"
        );
        let Value::Object(f) = fields else { panic!() };
        assert!(matches!(f.get("age"), Some(Value::Number(_))));
        assert!(f.get("unset").unwrap().is_null());
        let Value::Object(urns) = c.urns_context() else {
            panic!()
        };
        assert_eq!(urns.get("tel").unwrap().render(), "tel:+5511987654321");
        assert!(urns.get("mailto").unwrap().is_null());
    }

    /// With `redaction_policy: urns` flows see each URN's scheme but not its path.
    #[test]
    fn redacted_urns_hide_their_paths() {
        let c = Contact::from_json(&json!({
            "uuid": "u", "name": "Ana", "status": "active",
            "urns": ["whatsapp:5511987654321?channel=x", "tel:+5511987654321"]
        }))
        .unwrap();
        let Value::Object(o) = c.context_redacted(&defs(), true) else {
            panic!()
        };
        assert_eq!(o.get("urn").unwrap().render(), "whatsapp:********");
        assert_eq!(
            o.get("urns").unwrap().render(),
            "[whatsapp:********, tel:********]"
        );
        let Value::Object(urns) = c.urns_context_redacted(true) else {
            panic!()
        };
        assert_eq!(urns.get("tel").unwrap().render(), "tel:********");
        assert_eq!(
            context_urn("tel:+5511987654321?channel=x", false),
            "tel:+5511987654321"
        );
    }

    #[test]
    fn simple_queries_match_like_smart_groups() {
        let c = Contact::from_json(&json!({
            "uuid": "u", "name": "Ben", "language": "eng", "status": "active",
            "urns": ["tel:+17184567890"],
            "fields": {"age": {"text": "50", "number": 50}, "cpf": {"text": "Male"}}
        }))
        .unwrap();
        let d = defs();
        assert_eq!(query_matches(&c, "cpf = Male", &d), Some(true));
        assert_eq!(query_matches(&c, "cpf = \"female\"", &d), Some(false));
        assert_eq!(query_matches(&c, "cpf != \"zed\"", &d), Some(true));
        assert_eq!(query_matches(&c, "unset != \"zed\"", &d), Some(true));
        assert_eq!(query_matches(&c, "age <= 18", &d), Some(false));
        assert_eq!(
            query_matches(&c, "age > 18 AND language = eng", &d),
            Some(true)
        );
        assert_eq!(query_matches(&c, "tel ~ +1718", &d), Some(true));
        assert_eq!(query_matches(&c, "name = \"\" OR age = 50", &d), Some(true));
        assert_eq!(query_matches(&c, "(age = 1)", &d), None);
    }

    #[test]
    fn date_queries_compare_whole_days() {
        let c = Contact::from_json(&json!({
            "uuid": "u", "created_on": "2018-06-20T11:40:30Z",
            "last_seen_on": "2026-02-03T11:40:30.123456789Z",
            "fields": {"vencimento": {"text": "2026-12-10", "datetime": "2026-12-10T00:00:00-03:00"}}
        }))
        .unwrap();
        let d = defs();
        assert_eq!(
            query_matches(&c, "last_seen_on >= 2026-01-01", &d),
            Some(true)
        );
        assert_eq!(
            query_matches(&c, "last_seen_on = 2026-02-03", &d),
            Some(true)
        );
        assert_eq!(
            query_matches(&c, "last_seen_on > 2026-02-03", &d),
            Some(false)
        );
        assert_eq!(
            query_matches(&c, "last_seen_on <= 2026-02-03", &d),
            Some(true)
        );
        assert_eq!(query_matches(&c, "created_on < 2019-01-01", &d), Some(true));
        assert_eq!(query_matches(&c, "vencimento > 2026-12-09", &d), Some(true));
        let unseen = Contact::from_json(&json!({"uuid": "u"})).unwrap();
        assert_eq!(
            query_matches(&unseen, "last_seen_on >= 2026-01-01", &d),
            Some(false)
        );
        assert_eq!(
            query_matches(&unseen, "last_seen_on != 2026-01-01", &d),
            Some(true)
        );
    }

    #[test]
    fn bad_contact_json_names_the_field() {
        let err = Contact::from_json(&json!({"uuid": 5})).unwrap_err();
        assert!(err.starts_with("contact: invalid type"), "{err}");
    }
}
