//! One module per subcommand.

pub mod br;
pub mod collections;
pub mod conformance;
pub mod eval;
pub mod run;
pub mod serve;
