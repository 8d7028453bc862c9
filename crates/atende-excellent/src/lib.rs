//! Excellent, the expression language of RapidPro/goflow flows, as a pure library.
//!
//! A template such as `Olá @contact.first_name, hoje é @(format_date(today()))` is
//! scanned into segments ([`Template`]), each expression parsed into an [`Expr`], and
//! evaluated by an [`Evaluator`] against a context [`Value`] in an [`Environment`].
//! The crate does no I/O and never reads the clock or an OS random source: `now` and the
//! [`RandomSource`] are given by the caller, so evaluation is deterministic.

pub mod dates;
pub mod env;
pub mod eval;
pub mod functions;
pub mod locations;
pub mod parser;
mod regex_cache;
pub mod services;
pub mod template;
pub mod value;
pub mod words;

pub use env::Environment;
pub use eval::{Evaluator, Rendered};
pub use parser::{parse, Expr, ParseError};
pub use services::{Pcg, RandomSource};
pub use template::{Segment, Template};
pub use value::{Object, Value};
