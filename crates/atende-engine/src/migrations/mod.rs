//! Flow spec migrations 13.0.0 → 14.4.2, as JSON → JSON transforms.
//!
//! Exported flows carry the `spec_version` of the editor that saved them; the engine
//! only reads the current spec, so older flows are migrated step by step on load. Each
//! step (in `steps.rs`) is a transform on the raw JSON, run in version order for every
//! step newer than the flow and not newer than the target, and `spec_version` is set
//! as each one completes — so a flow can also be migrated to an intermediate version,
//! as goflow's fixtures do. Pre-13 (legacy) flows are another helper's job: they are
//! refused here and passed through untouched by [`migrate_assets`].

use std::cmp::Ordering;
use std::fmt;

use serde_json::Value;

use crate::services::UuidSource;

mod steps;
pub mod template;
mod walk;

/// The spec version the engine reads; every migration ends here.
pub const CURRENT_VERSION: &str = "14.4.2";

/// The oldest spec version these migrations start from.
pub const FIRST_VERSION: &str = "13.0.0";

type Step = fn(&mut Value, &mut dyn UuidSource);

/// Every migration, in version order.
const STEPS: &[(&str, Step)] = &[
    ("13.1.0", steps::v13_1_0),
    ("13.2.0", steps::v13_2_0),
    ("13.3.0", steps::v13_3_0),
    ("13.4.0", steps::v13_4_0),
    ("13.5.0", steps::v13_5_0),
    ("13.6.0", steps::v13_6_0),
    ("13.6.1", steps::v13_6_1),
    ("14.0.0", steps::v14_0_0),
    ("14.1.0", steps::v14_1_0),
    ("14.2.0", steps::v14_2_0),
    ("14.3.0", steps::v14_3_0),
    ("14.3.1", steps::v14_3_1),
    ("14.4.0", steps::v14_4_0),
    ("14.4.1", steps::v14_4_1),
    ("14.4.2", steps::v14_4_2),
];

/// Why a flow could not be migrated. Every message names the flow and the JSON path
/// of the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MigrationError {
    #[error("{path}: a flow definition must be a JSON object")]
    NotAnObject { path: String },
    #[error("flow {flow}: {path} is missing, so the flow's spec version is unknown")]
    MissingVersion { flow: String, path: String },
    #[error("flow {flow}: {path}: {version} is not a spec version (expected numbers like 13.1.0)")]
    InvalidVersion {
        flow: String,
        path: String,
        version: String,
    },
    #[error(
        "flow {flow}: {path}: spec version {version} is older than {FIRST_VERSION} (a legacy \
         flow: it needs the legacy migration first)"
    )]
    Legacy {
        flow: String,
        path: String,
        version: String,
    },
    #[error(
        "flow {flow}: {path}: spec version {version} is newer than {CURRENT_VERSION}, the \
         newest this engine supports"
    )]
    TooNew {
        flow: String,
        path: String,
        version: String,
    },
    #[error(
        "flow {flow}: cannot migrate to version {target:?}: expected a version from \
         {FIRST_VERSION} to {CURRENT_VERSION}"
    )]
    InvalidTarget { flow: String, target: String },
}

/// A spec version compared by its numeric parts (`13.10.0` > `13.9.1`); missing parts
/// count as zero (`14` = `14.0.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version([u64; 3]);

impl Version {
    pub fn parse(s: &str) -> Option<Version> {
        let mut parts = [0u64; 3];
        for (i, part) in s.trim().split('.').enumerate() {
            if i == 3 || part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            parts[i] = part.parse().ok()?;
        }
        Some(Version(parts))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0[0], self.0[1], self.0[2])
    }
}

/// Compares two version strings by numeric parts; `None` if either is not a version.
pub fn compare_versions(a: &str, b: &str) -> Option<Ordering> {
    Some(Version::parse(a)?.cmp(&Version::parse(b)?))
}

fn current() -> Version {
    Version::parse(CURRENT_VERSION).unwrap_or(Version([14, 4, 2]))
}

fn first() -> Version {
    Version::parse(FIRST_VERSION).unwrap_or(Version([13, 0, 0]))
}

/// How a flow is named in errors: `"Name" (uuid)`.
fn describe(flow: &Value) -> String {
    let name = flow.get("name").and_then(Value::as_str).unwrap_or("");
    let uuid = flow
        .get("uuid")
        .and_then(Value::as_str)
        .unwrap_or("no uuid");
    format!("{name:?} ({uuid})")
}

/// Migrates one 13.x/14.x flow definition to `to` (default [`CURRENT_VERSION`]). A flow
/// already at or past the target (but not past the current spec) is returned as is.
/// UUIDs that migrations create are v4 from `uuids`.
pub fn migrate(
    flow: Value,
    to: Option<&str>,
    uuids: &mut dyn UuidSource,
) -> Result<Value, MigrationError> {
    migrate_at(flow, to, uuids, "$")
}

fn migrate_at(
    mut flow: Value,
    to: Option<&str>,
    uuids: &mut dyn UuidSource,
    path: &str,
) -> Result<Value, MigrationError> {
    if !flow.is_object() {
        return Err(MigrationError::NotAnObject {
            path: path.to_string(),
        });
    }
    let name = describe(&flow);
    let version_path = format!("{path}.spec_version");
    let from = match flow.get("spec_version") {
        None | Some(Value::Null) => {
            return Err(MigrationError::MissingVersion {
                flow: name,
                path: version_path,
            })
        }
        Some(Value::String(s)) => {
            Version::parse(s).ok_or_else(|| MigrationError::InvalidVersion {
                flow: name.clone(),
                path: version_path.clone(),
                version: s.clone(),
            })?
        }
        Some(other) => {
            return Err(MigrationError::InvalidVersion {
                flow: name,
                path: version_path,
                version: other.to_string(),
            })
        }
    };
    if from < first() {
        return Err(MigrationError::Legacy {
            flow: name,
            path: version_path,
            version: from.to_string(),
        });
    }
    if from > current() {
        return Err(MigrationError::TooNew {
            flow: name,
            path: version_path,
            version: from.to_string(),
        });
    }
    let target = match to {
        None => current(),
        Some(t) => match Version::parse(t) {
            Some(v) if v >= first() && v <= current() => v,
            _ => {
                return Err(MigrationError::InvalidTarget {
                    flow: name,
                    target: t.to_string(),
                })
            }
        },
    };
    for (version, step) in STEPS {
        let v = Version::parse(version).unwrap_or(Version([0; 3]));
        if v > from && v <= target {
            step(&mut flow, uuids);
            flow["spec_version"] = Value::String((*version).to_string());
        }
    }
    Ok(flow)
}

/// Whether a flow in an export is a pre-13 (legacy) definition, which these
/// migrations leave alone: it has no `spec_version` of 13 or later (legacy exports
/// carry `version` instead), or it is made of `action_sets`/`rule_sets` rather than
/// `nodes`. `metadata` alone proves nothing: RapidPro also exports it with 13.x flows.
pub fn is_legacy_flow(flow: &Value) -> bool {
    let legacy_parts = ["action_sets", "rule_sets"]
        .iter()
        .any(|k| flow.get(k).is_some());
    if legacy_parts && flow.get("nodes").is_none() {
        return true;
    }
    match flow.get("spec_version") {
        Some(Value::String(s)) => Version::parse(s).is_some_and(|v| v < first()),
        None | Some(Value::Null) => true,
        // a malformed spec_version is not legacy: migrating it reports the problem
        Some(_) => false,
    }
}

/// Migrates every 13.x/14.x flow in an export or assets file (`{"flows": [...], …}`) to
/// the current spec; legacy flows and everything else are returned untouched.
pub fn migrate_assets(
    mut assets: Value,
    uuids: &mut dyn UuidSource,
) -> Result<Value, MigrationError> {
    let Some(obj) = assets.as_object_mut() else {
        return Err(MigrationError::NotAnObject {
            path: "$".to_string(),
        });
    };
    if let Some(Value::Array(flows)) = obj.get_mut("flows") {
        for (i, slot) in flows.iter_mut().enumerate() {
            if is_legacy_flow(slot) {
                continue;
            }
            let flow = std::mem::take(slot);
            *slot = migrate_at(flow, None, uuids, &format!("$.flows[{i}]"))?;
        }
    }
    Ok(assets)
}

#[cfg(test)]
mod tests;
