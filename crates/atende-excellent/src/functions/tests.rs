//! (being written)

use super::FunctionDef;

pub(crate) const FUNCTIONS: &[FunctionDef] = &[];

use crate::value::Value;

/// The result of a test that did not match.
pub fn test_result_false() -> Value {
    Value::Bool(false)
}

/// The result of a test that matched `m`.
pub fn test_result_match(m: Value, _extra: Option<Value>) -> Value {
    m
}
