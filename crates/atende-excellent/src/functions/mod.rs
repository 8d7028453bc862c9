//! The built-in functions, one family per file. Each family exports a `FUNCTIONS` table;
//! [`lookup`] finds a function by name, ignoring case.
//!
//! Every function takes already evaluated arguments (errors included: a function decides
//! whether an error argument is a failure, as `is_error` and `default` show) and returns
//! a value; the evaluator wraps a returned error as `error calling name(...): …`.

use std::sync::OnceLock;

use crate::eval::Evaluator;
use crate::value::Value;

mod array;
mod br;
mod conversion;
mod datetime;
mod encoded;
mod json;
mod llm;
mod logic;
mod number;
mod tests;
mod text;
mod utility;

pub use encoded::format_phone_national;
pub use tests::{test_result_false, test_result_match};

/// The native signature of a built-in function.
pub type NativeFn = fn(&mut Evaluator<'_>, &[Value]) -> Value;

/// A built-in function and how many arguments it takes.
pub struct FunctionDef {
    pub name: &'static str,
    pub min_args: usize,
    /// `None` = any number.
    pub max_args: Option<usize>,
    pub call: NativeFn,
}

impl FunctionDef {
    pub const fn new(
        name: &'static str,
        min_args: usize,
        max_args: Option<usize>,
        call: NativeFn,
    ) -> Self {
        FunctionDef {
            name,
            min_args,
            max_args,
            call,
        }
    }

    /// The goflow error for a wrong argument count, or `None` when the count is fine.
    pub fn check_arity(&self, got: usize) -> Option<String> {
        match self.max_args {
            Some(max) if max == self.min_args && got != max => {
                Some(format!("need {max} argument(s), got {got}"))
            }
            Some(max) if got < self.min_args || got > max => Some(format!(
                "need {} to {max} argument(s), got {got}",
                self.min_args
            )),
            None if got < self.min_args => Some(format!(
                "need at least {} argument(s), got {got}",
                self.min_args
            )),
            _ => None,
        }
    }
}

/// Every function family's table.
const FAMILIES: &[&[FunctionDef]] = &[
    array::FUNCTIONS,
    br::FUNCTIONS,
    conversion::FUNCTIONS,
    datetime::FUNCTIONS,
    encoded::FUNCTIONS,
    json::FUNCTIONS,
    llm::FUNCTIONS,
    logic::FUNCTIONS,
    number::FUNCTIONS,
    tests::FUNCTIONS,
    text::FUNCTIONS,
    utility::FUNCTIONS,
];

/// Every function, sorted by name for binary search (names are lowercase ASCII).
fn registry() -> &'static [&'static FunctionDef] {
    static REGISTRY: OnceLock<Vec<&'static FunctionDef>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut all: Vec<&'static FunctionDef> =
            FAMILIES.iter().flat_map(|family| family.iter()).collect();
        all.sort_by_key(|d| d.name);
        all
    })
}

fn find(name: &str) -> Option<&'static FunctionDef> {
    let reg = registry();
    reg.binary_search_by(|d| d.name.cmp(name))
        .ok()
        .map(|i| reg[i])
}

/// Finds a built-in function by name, ignoring case.
pub fn lookup(name: &str) -> Option<&'static FunctionDef> {
    if let Some(def) = find(name) {
        return Some(def);
    }
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        return find(&name.to_ascii_lowercase());
    }
    None
}

/// The names of all built-in functions, sorted.
pub fn names() -> Vec<&'static str> {
    registry().iter().map(|d| d.name).collect()
}

// Argument helpers shared by the families. Each returns the conversion error as the
// `Err` value so a function can `?`-style bail with `match`.

/// Text argument.
#[allow(dead_code)]
pub(crate) fn text_arg(v: &Value) -> Result<String, Value> {
    v.to_text()
}

/// Number argument.
#[allow(dead_code)]
pub(crate) fn number_arg(v: &Value) -> Result<rust_decimal::Decimal, Value> {
    v.to_number()
}

/// Integer argument as goflow reads one: the fraction is cut off and the value must fit
/// in 32 bits (`number value X is out of range for an integer`).
pub(crate) fn int_arg(v: &Value) -> Result<i64, Value> {
    text::to_integer(v)
}

/// Unwraps `Result<Value, Value>` chains inside function bodies.
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return e,
        }
    };
}
pub(crate) use tri;
