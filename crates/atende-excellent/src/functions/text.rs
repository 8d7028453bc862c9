//! Text functions.

use super::{tri, FunctionDef};
use crate::eval::Evaluator;
use crate::value::Value;

pub(crate) const FUNCTIONS: &[FunctionDef] = &[
    FunctionDef::new("upper", 1, Some(1), upper),
    FunctionDef::new("lower", 1, Some(1), lower),
];

/// `upper(text)`: `@(upper("Asdf"))` → `ASDF`.
fn upper(_: &mut Evaluator, args: &[Value]) -> Value {
    Value::text(tri!(args[0].to_text()).to_uppercase())
}

/// `lower(text)`: `@(lower("HellO"))` → `hello`.
fn lower(_: &mut Evaluator, args: &[Value]) -> Value {
    Value::text(tri!(args[0].to_text()).to_lowercase())
}
