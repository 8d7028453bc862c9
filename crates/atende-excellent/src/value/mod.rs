//! The typed values an expression produces: one variant per Excellent type.
//!
//! Values are cheap to clone (shared `Arc`s) because the evaluator passes them around
//! freely; contexts are built once per sprint and read many times.

use std::fmt;
use std::sync::Arc;

use jiff::civil::{Date, Time};
use jiff::Zoned;
use rust_decimal::Decimal;

use crate::functions::FunctionDef;
use crate::parser::Expr;

mod convert;
mod json;
mod object;

pub use convert::{format_decimal, format_number_with, parse_decimal};
pub use json::{from_json, from_typed_json, to_typed_json};
pub use object::Object;

/// An Excellent value.
#[derive(Clone)]
pub enum Value {
    Null,
    Text(Arc<str>),
    Number(Decimal),
    Bool(bool),
    Date(Date),
    Time(Time),
    DateTime(Arc<Zoned>),
    Array(Arc<Vec<Value>>),
    Object(Arc<Object>),
    Function(Func),
    Error(Arc<str>),
}

/// A callable value: a built-in function or an anonymous `(x) => …` function.
#[derive(Clone)]
pub enum Func {
    Native(&'static FunctionDef),
    Lambda(Arc<Lambda>),
}

/// An anonymous function together with the lambda parameters in scope where it was made.
pub struct Lambda {
    pub params: Vec<Arc<str>>,
    pub body: Arc<Expr>,
    pub captured: Vec<(Arc<str>, Value)>,
}

impl Func {
    pub fn name(&self) -> &str {
        match self {
            Func::Native(def) => def.name,
            Func::Lambda(_) => "<anon>",
        }
    }
}

impl Value {
    pub fn text(s: impl Into<Arc<str>>) -> Value {
        Value::Text(s.into())
    }

    pub fn error(msg: impl Into<String>) -> Value {
        Value::Error(Arc::from(msg.into()))
    }

    pub fn number(n: impl Into<Decimal>) -> Value {
        Value::Number(n.into())
    }

    pub fn array(items: Vec<Value>) -> Value {
        Value::Array(Arc::new(items))
    }

    pub fn datetime(z: Zoned) -> Value {
        Value::DateTime(Arc::new(z))
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Value::Error(_))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Objects with a `__default__` stand for that default in most operations.
    pub fn default_or_self(&self) -> &Value {
        match self {
            Value::Object(o) => o.default.as_ref().unwrap_or(self),
            _ => self,
        }
    }

    /// The error message, when this is an error.
    pub fn error_message(&self) -> Option<&str> {
        match self {
            Value::Error(e) => Some(e),
            _ => None,
        }
    }

    /// The type name used in error messages and `@(type)`-like descriptions.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Text(_) => "text",
            Value::Number(_) => "number",
            Value::Bool(_) => "boolean",
            Value::Date(_) => "date",
            Value::Time(_) => "time",
            Value::DateTime(_) => "datetime",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
            Value::Function(_) => "function",
            Value::Error(_) => "error",
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", to_typed_json(self))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(Arc::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(Arc::from(s))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<Decimal> for Value {
    fn from(d: Decimal) -> Value {
        Value::Number(d)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Number(Decimal::from(n))
    }
}
