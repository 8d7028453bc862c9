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
    pub uuid: String,
    pub key: String,
    pub name: String,
    #[serde(rename = "type")]
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
}

/// A URN without its query (`tel:+5511…?channel=…` → `tel:+5511…`).
pub fn urn_identity(urn: &str) -> &str {
    urn.split('?').next().unwrap_or(urn)
}

fn datetime_value(s: &str) -> Value {
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
        let mut obj = Object::new();
        for scheme in URN_SCHEMES {
            let first = self
                .urns
                .iter()
                .map(|u| urn_identity(u))
                .find(|u| u.split(':').next() == Some(scheme));
            obj.insert(*scheme, first.map(Value::from).unwrap_or(Value::Null));
        }
        Value::Object(Arc::new(obj))
    }

    /// `@contact`: renders as the name.
    pub fn context(&self, defs: &[FieldDef]) -> Value {
        let mut c = Object::with_default(Value::from(self.name.as_str()));
        c.insert("uuid", Value::from(self.uuid.as_str()));
        c.insert(
            "id",
            Value::from(self.id.map(|i| i.to_string()).unwrap_or_default()),
        );
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
            .map(|u| Value::from(urn_identity(u)))
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
        Value::Object(Arc::new(c))
    }
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

    #[test]
    fn bad_contact_json_names_the_field() {
        let err = Contact::from_json(&json!({"uuid": 5})).unwrap_err();
        assert!(err.starts_with("contact: invalid type"), "{err}");
    }
}
