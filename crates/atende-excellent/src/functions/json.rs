//! JSON functions: `json`, `parse_json`.

use super::{tri, FunctionDef};
use crate::eval::Evaluator;
use crate::value::{from_json, Value};

pub(crate) const FUNCTIONS: &[FunctionDef] = &[
    FunctionDef::new("json", 1, Some(1), json),
    FunctionDef::new("parse_json", 1, Some(1), parse_json),
];

/// `json(value)`: `@(json(object("foo", 1, "bar", "x")))` → `{"bar":"x","foo":1}`.
fn json(_: &mut Evaluator, args: &[Value]) -> Value {
    Value::text(tri!(args[0].to_json_string()))
}

/// `parse_json(text)`: `@(parse_json("[1,2,3,4]")[2])` → `3`.
fn parse_json(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(j) => from_json(&j),
        Err(_) => Value::error("invalid JSON"),
    }
}
