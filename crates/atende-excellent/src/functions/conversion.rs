//! Conversion functions: `text`, `boolean`, `number`, `array`, `object`.

use std::sync::Arc;

use super::{tri, FunctionDef};
use crate::eval::Evaluator;
use crate::value::{Object, Value};

pub(crate) const FUNCTIONS: &[FunctionDef] = &[
    FunctionDef::new("text", 1, Some(1), text),
    FunctionDef::new("boolean", 1, Some(1), boolean),
    FunctionDef::new("number", 1, Some(1), number),
    FunctionDef::new("array", 0, None, array),
    FunctionDef::new("object", 0, None, object),
];

/// `text(value)`: `@(text(3 = 3))` → `true`.
fn text(_: &mut Evaluator, args: &[Value]) -> Value {
    match &args[0] {
        Value::Error(_) => args[0].clone(),
        Value::Text(_) => args[0].clone(),
        v => Value::text(v.render()),
    }
}

/// `boolean(value)`: `@(boolean("FALSE"))` → `false`.
fn boolean(_: &mut Evaluator, args: &[Value]) -> Value {
    Value::Bool(tri!(args[0].to_bool()))
}

/// `number(value)`: `@(number("123.45000"))` → `123.45`.
fn number(_: &mut Evaluator, args: &[Value]) -> Value {
    Value::Number(tri!(args[0].to_number()))
}

/// `array(values...)`: `@(array(1, "x", true))` → `[1, x, true]`.
fn array(_: &mut Evaluator, args: &[Value]) -> Value {
    if let Some(e) = args.iter().find(|a| a.is_error()) {
        return e.clone();
    }
    Value::array(args.to_vec())
}

/// `object(pairs...)`: `@(object("a", 123, "b", "hello"))` → `{a: 123, b: hello}`.
fn object(_: &mut Evaluator, args: &[Value]) -> Value {
    if !args.len().is_multiple_of(2) {
        return Value::error("requires an even number of arguments");
    }
    let mut obj = Object::new();
    for pair in args.chunks(2) {
        let key = tri!(pair[0].to_text());
        if pair[1].is_error() {
            return pair[1].clone();
        }
        obj.insert(Arc::<str>::from(key), pair[1].clone());
    }
    Value::Object(Arc::new(obj))
}

/// Array conversion used by the array functions: arrays as they are, null as empty.
pub(crate) fn to_array(v: &Value) -> Result<Arc<Vec<Value>>, Value> {
    match v.default_or_self() {
        Value::Array(a) => Ok(a.clone()),
        Value::Null => Ok(Arc::new(Vec::new())),
        Value::Error(_) => Err(v.clone()),
        _ => Err(v.conversion_error("an array")),
    }
}

/// Object conversion used by `keys`, `extract`, `foreach_value`: null is an empty object.
pub(crate) fn to_object(v: &Value) -> Result<Arc<Object>, Value> {
    match v {
        Value::Object(o) => Ok(o.clone()),
        Value::Null => Ok(Arc::new(Object::new())),
        Value::Error(_) => Err(v.clone()),
        _ => Err(v.conversion_error("an object")),
    }
}
