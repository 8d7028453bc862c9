//! Logic functions: `and`, `or`, `if`.

use super::{tri, FunctionDef};
use crate::eval::Evaluator;
use crate::value::Value;

pub(crate) const FUNCTIONS: &[FunctionDef] = &[
    FunctionDef::new("and", 1, None, and),
    FunctionDef::new("or", 1, None, or),
    FunctionDef::new("if", 3, Some(3), if_),
];

/// `and(values...)`: `@(and(true, false, true))` → `false`.
fn and(_: &mut Evaluator, args: &[Value]) -> Value {
    for a in args {
        if !tri!(a.to_bool()) {
            return Value::Bool(false);
        }
    }
    Value::Bool(true)
}

/// `or(values...)`: `@(or(true, false, true))` → `true`.
fn or(_: &mut Evaluator, args: &[Value]) -> Value {
    for a in args {
        if tri!(a.to_bool()) {
            return Value::Bool(true);
        }
    }
    Value::Bool(false)
}

/// `if(test, value1, value2)`: `@(if(1 = 1, "foo", "bar"))` → `foo`.
fn if_(_: &mut Evaluator, args: &[Value]) -> Value {
    if tri!(args[0].to_bool()) {
        args[1].clone()
    } else {
        args[2].clone()
    }
}
