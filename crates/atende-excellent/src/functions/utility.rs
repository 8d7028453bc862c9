//! Utility functions: `is_error`, `count`, `default`, `read_chars`, `extract`,
//! `extract_object`, `foreach`, `foreach_value`, `keys`, `format`.

use std::sync::Arc;

use rust_decimal::Decimal;

use super::conversion::{to_array, to_object};
use super::{tri, FunctionDef};
use crate::eval::Evaluator;
use crate::value::{format_number_with, Object, Value};

pub(crate) const FUNCTIONS: &[FunctionDef] = &[
    FunctionDef::new("is_error", 1, Some(1), is_error),
    FunctionDef::new("count", 1, Some(1), count),
    FunctionDef::new("default", 2, Some(2), default),
    FunctionDef::new("read_chars", 1, Some(1), read_chars),
    FunctionDef::new("extract", 2, Some(2), extract),
    FunctionDef::new("extract_object", 2, None, extract_object),
    FunctionDef::new("foreach", 2, None, foreach),
    FunctionDef::new("foreach_value", 2, None, foreach_value),
    FunctionDef::new("keys", 1, Some(1), keys),
    FunctionDef::new("format", 1, Some(1), format),
];

/// `is_error(value)`: `@(is_error(datetime("foo")))` → `true`.
fn is_error(_: &mut Evaluator, args: &[Value]) -> Value {
    Value::Bool(args[0].is_error())
}

/// `count(value)`: items of an array or properties of an object.
fn count(_: &mut Evaluator, args: &[Value]) -> Value {
    let n = match &args[0] {
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        Value::Null => 0,
        _ => return Value::error("value isn't countable"),
    };
    Value::Number(Decimal::from(n))
}

/// `default(value, default)`: `default` when `value` is empty or an error.
fn default(_: &mut Evaluator, args: &[Value]) -> Value {
    let empty = match args[0].default_or_self() {
        Value::Null | Value::Error(_) => true,
        Value::Text(t) => t.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty() && o.default.is_none(),
        _ => false,
    };
    if empty {
        args[1].clone()
    } else {
        args[0].clone()
    }
}

/// `read_chars(text)`: spells a code out for text-to-speech, in groups of 3 or 4.
fn read_chars(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let chars: Vec<char> = text.trim_start_matches('+').chars().collect();
    let spell = |group: &[char]| {
        group
            .iter()
            .map(char::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let size = if chars.len().is_multiple_of(3) {
        3
    } else if chars.len().is_multiple_of(4) {
        4
    } else {
        1
    };
    let groups: Vec<String> = chars.chunks(size).map(spell).collect();
    Value::text(groups.join(" , "))
}

/// `extract(object, property)`: `@(extract(contact, "name"))` → `Ryan Lewis`.
fn extract(ev: &mut Evaluator, args: &[Value]) -> Value {
    let key = tri!(args[1].to_text());
    match &args[0] {
        Value::Error(_) => args[0].clone(),
        Value::Object(o) => o.get(&key).cloned().unwrap_or(Value::Null),
        other => ev.lookup_key(other, &key),
    }
}

/// `extract_object(object, properties...)`: a new object with just those properties.
fn extract_object(_: &mut Evaluator, args: &[Value]) -> Value {
    let src = tri!(to_object(&args[0]));
    let mut out = Object::new();
    for k in &args[1..] {
        let key = tri!(k.to_text());
        let v = src.get(&key).cloned().unwrap_or(Value::Null);
        out.insert(Arc::<str>::from(key), v);
    }
    Value::Object(Arc::new(out))
}

/// `foreach(array, func, args...)`: `@(foreach(array("a", "b"), upper))` → `[A, B]`.
fn foreach(ev: &mut Evaluator, args: &[Value]) -> Value {
    let arr = tri!(to_array(&args[0]));
    if !matches!(args[1], Value::Function(_)) {
        return ev.call_value(&args[1], &[]);
    }
    let mut out = Vec::with_capacity(arr.len());
    let mut call_args = Vec::with_capacity(args.len() - 1);
    for item in arr.iter() {
        call_args.clear();
        call_args.push(item.clone());
        call_args.extend_from_slice(&args[2..]);
        let v = ev.call_value(&args[1], &call_args);
        if v.is_error() {
            return v;
        }
        out.push(v);
    }
    Value::array(out)
}

/// `foreach_value(object, func, args...)`: applies `func` to each property value.
fn foreach_value(ev: &mut Evaluator, args: &[Value]) -> Value {
    let obj = tri!(to_object(&args[0]));
    if !matches!(args[1], Value::Function(_)) {
        return ev.call_value(&args[1], &[]);
    }
    let mut out = Object::new();
    for (k, v) in obj.iter() {
        let mut call_args = vec![v.clone()];
        call_args.extend_from_slice(&args[2..]);
        let r = ev.call_value(&args[1], &call_args);
        if r.is_error() {
            return r;
        }
        out.insert(k.clone(), r);
    }
    Value::Object(Arc::new(out))
}

/// `keys(object)`: `@(keys(object("a", 123, "b", "hello")))` → `[a, b]`.
fn keys(_: &mut Evaluator, args: &[Value]) -> Value {
    let obj = tri!(to_object(&args[0]));
    Value::array(obj.keys().map(|k| Value::Text(k.clone())).collect())
}

/// `format(value)`: a value as a person reads it, in the environment's formats.
fn format(ev: &mut Evaluator, args: &[Value]) -> Value {
    let env = ev.env;
    Value::text(match args[0].default_or_self() {
        Value::Error(_) => return args[0].clone(),
        Value::Number(n) => format_number_with(n, None, true, &env.number_format),
        Value::Date(d) => crate::dates::format_date_env(env, *d),
        Value::DateTime(z) => crate::dates::format_datetime_env(env, z),
        Value::Time(t) => crate::dates::format_time_env(env, *t),
        other => other.render(),
    })
}
