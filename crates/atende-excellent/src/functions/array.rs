//! Array functions: `slice`, `contains`, `join`, `reverse`, `sort`, `sum`, `unique`,
//! `concat`, `filter`.

use std::cmp::Ordering;
use std::sync::Arc;

use rust_decimal::Decimal;

use super::conversion::to_array;
use super::{int_arg, tri, FunctionDef};
use crate::eval::Evaluator;
use crate::value::Value;

pub(crate) const FUNCTIONS: &[FunctionDef] = &[
    FunctionDef::new("slice", 2, Some(3), slice),
    FunctionDef::new("contains", 2, Some(2), contains),
    FunctionDef::new("join", 2, Some(2), join),
    FunctionDef::new("reverse", 1, Some(1), reverse),
    FunctionDef::new("sort", 1, Some(1), sort),
    FunctionDef::new("sum", 1, Some(1), sum),
    FunctionDef::new("unique", 1, Some(1), unique),
    FunctionDef::new("concat", 2, Some(2), concat),
    FunctionDef::new("filter", 2, Some(2), filter),
];

/// `slice(array, start [, end])`: negative indexes count from the end.
fn slice(_: &mut Evaluator, args: &[Value]) -> Value {
    let arr = tri!(to_array(&args[0]));
    let len = arr.len() as i64;
    let clamp = |i: i64| -> usize {
        let i = if i < 0 { len + i } else { i };
        i.clamp(0, len) as usize
    };
    let start = clamp(tri!(int_arg(&args[1])));
    let end = match args.get(2) {
        Some(e) => clamp(tri!(int_arg(e))),
        None => arr.len(),
    };
    if start >= end {
        return Value::array(Vec::new());
    }
    Value::array(arr[start..end].to_vec())
}

/// `contains(array, value)`: `@(contains(array("a", "b", "c"), "a"))` → `true`.
fn contains(_: &mut Evaluator, args: &[Value]) -> Value {
    let arr = tri!(to_array(&args[0]));
    if args[1].is_error() {
        return args[1].clone();
    }
    for item in arr.iter() {
        if tri!(item.equals(&args[1])) {
            return Value::Bool(true);
        }
    }
    Value::Bool(false)
}

/// `join(array, separator)`: `@(join(array("a", "b", "c"), "|"))` → `a|b|c`.
fn join(_: &mut Evaluator, args: &[Value]) -> Value {
    let arr = tri!(to_array(&args[0]));
    let sep = tri!(args[1].to_text());
    let mut out = String::new();
    for (i, item) in arr.iter().enumerate() {
        if i > 0 {
            out.push_str(&sep);
        }
        out.push_str(&tri!(item.to_text()));
    }
    Value::text(out)
}

/// `reverse(array)`: `@(reverse(array("C", "A", "B")))` → `[B, A, C]`.
fn reverse(_: &mut Evaluator, args: &[Value]) -> Value {
    let arr = tri!(to_array(&args[0]));
    Value::array(arr.iter().rev().cloned().collect())
}

/// `sort(array)`: items must all be of one comparable type.
fn sort(_: &mut Evaluator, args: &[Value]) -> Value {
    let arr = tri!(to_array(&args[0]));
    let Some(first) = arr.first() else {
        return Value::array(Vec::new());
    };
    for item in arr.iter() {
        if !matches!(
            item,
            Value::Text(_)
                | Value::Number(_)
                | Value::Date(_)
                | Value::Time(_)
                | Value::DateTime(_)
        ) {
            return Value::error(format!("{} isn't a comparable type", item.type_name()));
        }
        if std::mem::discriminant(item) != std::mem::discriminant(first) {
            return Value::error("can't sort array of different types");
        }
    }
    let mut items = arr.to_vec();
    items.sort_by(|a, b| match (a, b) {
        (Value::Text(x), Value::Text(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => x.cmp(y),
        (Value::Date(x), Value::Date(y)) => x.cmp(y),
        (Value::Time(x), Value::Time(y)) => x.cmp(y),
        (Value::DateTime(x), Value::DateTime(y)) => x.timestamp().cmp(&y.timestamp()),
        _ => Ordering::Equal,
    });
    Value::array(items)
}

/// `sum(array)`: `@(sum(array(1, 2, "3")))` → `6`.
fn sum(_: &mut Evaluator, args: &[Value]) -> Value {
    let arr = tri!(to_array(&args[0]));
    let mut total = Decimal::ZERO;
    for item in arr.iter() {
        let n = tri!(item.to_number());
        total = match total.checked_add(n) {
            Some(t) => t,
            None => return Value::error("number value out of range"),
        };
    }
    Value::Number(total)
}

/// `unique(array)`: keeps the first of each equal value, in order.
fn unique(_: &mut Evaluator, args: &[Value]) -> Value {
    let arr = tri!(to_array(&args[0]));
    let mut out: Vec<Value> = Vec::with_capacity(arr.len());
    for item in arr.iter() {
        let mut seen = false;
        for o in &out {
            if same(o, item) {
                seen = true;
                break;
            }
        }
        if !seen {
            out.push(item.clone());
        }
    }
    Value::array(out)
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        _ => a.equals(b).unwrap_or(false) && std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

/// `concat(array1, array2)`: `@(concat(array("a", "b"), array("c", "d")))` → `[a, b, c, d]`.
fn concat(_: &mut Evaluator, args: &[Value]) -> Value {
    let a = tri!(to_array(&args[0]));
    let b = tri!(to_array(&args[1]));
    let mut out = Vec::with_capacity(a.len() + b.len());
    out.extend(a.iter().cloned());
    out.extend(b.iter().cloned());
    Value::array(out)
}

/// `filter(array, func)`: keeps the items for which `func` returns something true.
fn filter(ev: &mut Evaluator, args: &[Value]) -> Value {
    let arr = tri!(to_array(&args[0]));
    if !matches!(args[1], Value::Function(_)) {
        return ev.call_value(&args[1], &[]);
    }
    let mut out = Vec::new();
    for item in arr.iter() {
        let keep = ev.call_value(&args[1], std::slice::from_ref(item));
        if tri!(keep.to_bool()) {
            out.push(item.clone());
        }
    }
    Value::Array(Arc::new(out))
}
