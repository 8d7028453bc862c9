//! Values from and to JSON: plain JSON (webhook bodies, `parse_json`) and the typed
//! encoding the conformance corpus uses for contexts and expected values.

use std::sync::Arc;

use jiff::tz::TimeZone;
use serde_json::{Map, Value as Json};

use super::{format_decimal, parse_decimal, Func, Object, Value};

/// Plain JSON → value: numbers become exact decimals, objects keep their keys.
pub fn from_json(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => {
            let s = n.to_string();
            match parse_decimal(&s) {
                Some(d) => Value::Number(d),
                None => Value::error(format!("number {s} is out of range")),
            }
        }
        Json::String(s) => Value::text(s.as_str()),
        Json::Array(items) => Value::array(items.iter().map(from_json).collect()),
        Json::Object(map) => {
            let obj = Object::from_pairs(
                map.iter()
                    .map(|(k, v)| (Arc::from(k.as_str()), from_json(v))),
            );
            Value::Object(Arc::new(obj))
        }
    }
}

/// Typed JSON (`{"number": "1.5"}`, `{"datetime": …, "tz": …}`, `{"object": …, "default": …}`)
/// → value. The path names where a bad entry is.
pub fn from_typed_json(json: &Json, path: &str) -> Result<Value, String> {
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::String(s) => Value::text(s.as_str()),
        Json::Number(n) => {
            return Err(format!(
                "{path}: bare JSON number {n}; write {{\"number\": \"{n}\"}}"
            ))
        }
        Json::Array(items) => Value::array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| from_typed_json(v, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(map) => typed_object(map, path)?,
    })
}

fn typed_object(map: &Map<String, Json>, path: &str) -> Result<Value, String> {
    let str_field = |key: &str| -> Result<&str, String> {
        map.get(key)
            .and_then(Json::as_str)
            .ok_or_else(|| format!("{path}.{key}: expected text"))
    };
    let deprecated = map.get("deprecated").and_then(Json::as_str).map(Arc::from);
    if map.contains_key("number") {
        let s = str_field("number")?;
        return parse_decimal(s)
            .map(Value::Number)
            .ok_or_else(|| format!("{path}.number: invalid number {s:?}"));
    }
    if map.contains_key("date") {
        let s = str_field("date")?;
        return s
            .parse::<jiff::civil::Date>()
            .map(Value::Date)
            .map_err(|e| format!("{path}.date: {e}"));
    }
    if map.contains_key("time") {
        let s = str_field("time")?;
        return s
            .parse::<jiff::civil::Time>()
            .map(Value::Time)
            .map_err(|e| format!("{path}.time: {e}"));
    }
    if map.contains_key("datetime") {
        let s = str_field("datetime")?;
        let ts: jiff::Timestamp = s.parse().map_err(|e| format!("{path}.datetime: {e}"))?;
        let tz = match map.get("tz").and_then(Json::as_str) {
            Some(name) => TimeZone::get(name).map_err(|e| format!("{path}.tz: {e}"))?,
            None => {
                let offset =
                    parse_offset(s).ok_or_else(|| format!("{path}.datetime: no offset"))?;
                TimeZone::fixed(offset)
            }
        };
        return Ok(Value::datetime(ts.to_zoned(tz)));
    }
    if map.contains_key("function") {
        let name = str_field("function")?;
        return crate::functions::lookup(name)
            .map(|def| Value::Function(Func::Native(def)))
            .ok_or_else(|| format!("{path}.function: unknown function {name:?}"));
    }
    if map.contains_key("error") {
        return Ok(Value::error(str_field("error")?));
    }
    if let Some(props) = map.get("object") {
        let Json::Object(props) = props else {
            return Err(format!("{path}.object: expected an object"));
        };
        let mut obj = Object::new();
        for (k, v) in props {
            obj.insert(k.as_str(), from_typed_json(v, &format!("{path}.{k}"))?);
            // a deprecated text, array, … warns when looked up on this object
            if let Some(msg) = deprecated_scalar(v) {
                obj.deprecate(k.as_str(), msg);
            }
        }
        if let Some(d) = map.get("default") {
            obj.default = Some(from_typed_json(d, &format!("{path}.default"))?);
        }
        obj.deprecated = deprecated;
        return Ok(Value::Object(Arc::new(obj)));
    }
    for key in ["text", "boolean", "array"] {
        if let Some(v) = map.get(key) {
            return from_typed_json(v, &format!("{path}.{key}"));
        }
    }
    Err(format!("{path}: object without a type key"))
}

/// The deprecation message of a typed value that is not an object (objects carry
/// their own).
fn deprecated_scalar(v: &Json) -> Option<&str> {
    let map = v.as_object()?;
    if map.contains_key("object") {
        return None;
    }
    map.get("deprecated").and_then(Json::as_str)
}

fn parse_offset(s: &str) -> Option<jiff::tz::Offset> {
    if s.ends_with('Z') {
        return Some(jiff::tz::Offset::UTC);
    }
    let tail = &s[s.len().checked_sub(6)?..];
    let sign = match tail.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h: i32 = tail[1..3].parse().ok()?;
    let m: i32 = tail[4..6].parse().ok()?;
    jiff::tz::Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()
}

/// Value → typed JSON, the corpus's encoding of expected values.
pub fn to_typed_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Text(t) => Json::String(t.to_string()),
        Value::Number(n) => serde_json::json!({ "number": format_decimal(n) }),
        Value::Date(d) => serde_json::json!({ "date": crate::dates::iso_date(*d) }),
        Value::Time(t) => serde_json::json!({ "time": crate::dates::iso_time(*t) }),
        Value::DateTime(z) => {
            let mut m = Map::new();
            m.insert(
                "datetime".into(),
                Json::String(crate::dates::iso_datetime_nanos(z)),
            );
            if let Some(name) = z.time_zone().iana_name() {
                m.insert("tz".into(), Json::String(name.to_string()));
            }
            Json::Object(m)
        }
        Value::Array(items) => Json::Array(items.iter().map(to_typed_json).collect()),
        Value::Object(o) => {
            let props: Map<String, Json> = o
                .iter()
                .map(|(k, v)| (k.to_string(), to_typed_json(v)))
                .collect();
            let mut m = Map::new();
            m.insert("object".into(), Json::Object(props));
            if let Some(d) = &o.default {
                m.insert("default".into(), to_typed_json(d));
            }
            Json::Object(m)
        }
        Value::Function(f) => serde_json::json!({ "function": f.name() }),
        Value::Error(e) => serde_json::json!({ "error": e.as_ref() }),
    }
}
