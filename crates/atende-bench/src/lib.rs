//! Inputs for the benchmarks, read from `../shared/corpus/bench`.
//!
//! The Excellent benchmark evaluates goflow's 11 benchmark templates against the
//! context goflow builds for the bench contact. Until the flow engine exists, the
//! context is assembled here from `case.json` + `assets.json` the way a session would
//! present it (`contact`, `fields`, `urns`, with field values typed by their asset type).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use atende_excellent::value::{from_json, parse_decimal};
use atende_excellent::{Environment, Object, Value};
use serde_json::Value as Json;

/// The bench corpus folder, if present.
pub fn bench_dir() -> Option<PathBuf> {
    atende_conformance::shared_corpus_dir().map(|c| c.join("bench"))
}

/// The benchmark templates (`templates.txt`, comments and blank lines dropped).
pub fn templates(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("templates.txt"))
        .expect("templates.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The environment and context root for the bench contact.
pub fn context(dir: &Path) -> (Environment, Value) {
    let read = |name: &str| -> Json {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).expect(name)).expect(name)
    };
    let case = read("case.json");
    let assets = read("assets.json");
    let contact = &case["contact"];

    let mut env = Environment::default();
    if let Some(tz) = contact["timezone"].as_str() {
        if let Ok(z) = jiff_tz(tz) {
            env.timezone = z;
            env.timezone_name = tz.to_string();
        }
    }

    let mut fields = Object::new();
    for field in assets["fields"].as_array().into_iter().flatten() {
        let key = field["key"].as_str().unwrap_or_default();
        let raw = &contact["fields"][key];
        let value = match (field["type"].as_str(), raw) {
            (_, Json::Null) => Value::Null,
            (Some("number"), v) => v["number"]
                .as_f64()
                .and_then(|n| parse_decimal(&n.to_string()))
                .map(Value::Number)
                .unwrap_or(Value::Null),
            (_, v) => v["text"].as_str().map(Value::from).unwrap_or(Value::Null),
        };
        fields.insert(key, value);
    }
    let fields = Value::Object(Arc::new(fields));

    let urn_list: Vec<Value> = contact["urns"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u.as_str().map(Value::from))
        .collect();
    let mut urns = Object::new();
    for u in &urn_list {
        let s = u.render();
        if let Some((scheme, _)) = s.split_once(':') {
            if urns.get(scheme).is_none() {
                urns.insert(scheme, u.clone());
            }
        }
    }

    let name = contact["name"].as_str().unwrap_or_default();
    let mut c = Object::with_default(Value::from(name));
    c.insert("uuid", from_json(&contact["uuid"]));
    c.insert("id", Value::from(contact["id"].to_string()));
    c.insert("name", Value::from(name));
    c.insert(
        "first_name",
        Value::from(name.split_whitespace().next().unwrap_or_default()),
    );
    c.insert("language", from_json(&contact["language"]));
    c.insert("status", from_json(&contact["status"]));
    c.insert("timezone", from_json(&contact["timezone"]));
    c.insert("urns", Value::array(urn_list.clone()));
    c.insert("urn", urn_list.first().cloned().unwrap_or(Value::Null));
    c.insert("groups", from_json(&contact["groups"]));
    c.insert("fields", fields.clone());

    let mut root = Object::new();
    root.insert("contact", Value::Object(Arc::new(c)));
    root.insert("fields", fields);
    root.insert("urns", Value::Object(Arc::new(urns)));
    root.insert("results", Value::Object(Arc::new(Object::new())));
    root.insert("globals", Value::Object(Arc::new(Object::new())));
    (env, Value::Object(Arc::new(root)))
}

fn jiff_tz(name: &str) -> Result<jiff::tz::TimeZone, jiff::Error> {
    jiff::tz::TimeZone::get(name)
}

/// The instant the benchmarks freeze `now()` at.
pub fn now() -> jiff::Timestamp {
    "2018-04-11T18:24:30.123456Z".parse().expect("timestamp")
}
