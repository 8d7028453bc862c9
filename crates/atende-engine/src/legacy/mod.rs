//! Legacy (pre-spec-13) RapidPro flow definitions → goflow spec 13.0.0.
//!
//! RapidPro stored flows as `action_sets` (lists of actions with one exit) and
//! `rule_sets` (a question or split whose `rules` each pair a test with a category and
//! a destination), texts as `{"eng": …, "fra": …}` maps and expressions in the old
//! Excel-like syntax. This module rewrites such a definition into the node/router/exit
//! shape of spec 13.0.0 (the newer migrations in `crate::migrations` take it from
//! there): translations move to `localization`, positions to `_ui`, expressions through
//! [`expressions`]. New UUIDs (categories, cases, actions a ruleset implies) are drawn
//! from the given [`UuidSource`] in a fixed order — all of a ruleset's categories, then
//! its cases, then its actions — so seeded runs reproduce goflow's output exactly.

pub mod expressions;

mod flow;

use serde_json::Value;

use crate::services::UuidSource;

pub use expressions::{migrate_template_with, MigrateOptions};

/// Why a legacy definition could not be migrated.
#[derive(Debug, thiserror::Error)]
pub enum LegacyError {
    /// A part of the definition has an unexpected shape.
    #[error("legacy flow '{flow}': {path}: {message}")]
    Invalid {
        flow: String,
        path: String,
        message: String,
    },
}

/// True when `flow` looks like a pre-spec-13 definition (no `spec_version`, or legacy
/// keys such as `action_sets`, `rule_sets`, `base_language`, `flow_type`).
pub fn is_legacy(flow: &Value) -> bool {
    let Some(obj) = flow.as_object() else {
        return false;
    };
    if obj.contains_key("spec_version") {
        return false;
    }
    [
        "action_sets",
        "rule_sets",
        "base_language",
        "flow_type",
        "metadata",
    ]
    .iter()
    .any(|k| obj.contains_key(*k))
        || obj
            .get("version")
            .is_some_and(|v| v.is_string() || v.is_number())
}

/// Migrates a legacy definition to a spec 13.0.0 flow. Relative media paths are made
/// absolute with `base_media_url`.
pub fn migrate_legacy(
    flow: Value,
    base_media_url: &str,
    uuids: &mut dyn UuidSource,
) -> Result<Value, LegacyError> {
    flow::migrate_flow(&flow, base_media_url, uuids)
}

/// Migrates a legacy template (`Hi @contact.name`, `@(WORD(step.value, 1))`) to an
/// Excellent template. Pieces that do not parse are kept verbatim.
pub fn migrate_template(template: &str) -> Result<String, LegacyError> {
    Ok(migrate_template_with(template, MigrateOptions::default()))
}
