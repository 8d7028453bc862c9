//! Runner for the `modifiers/` fixtures (corpus README §6): each case reads a contact
//! modifier, checks it re-marshals to the same JSON, applies it to `contact_before` with
//! the assets of `_assets.json` in the default environment, and compares the contact
//! after and the events, normalised as in `flows/` (generated UUIDs and timestamps become
//! placeholders). goflow's test engine keeps field values to 256 characters and treats a
//! URN whose path contains `taken` as belonging to another contact.

use std::collections::HashSet;
use std::path::Path;

use atende_engine::contact::Contact;
use atende_engine::engine::{Assets, Limits, Services};
use atende_engine::modifiers::Modifier;
use atende_engine::services::{SeededUuids, UrnClaims};
use atende_excellent::{Environment, Pcg};
use serde_json::{json, Value as Json};

use super::flows::{collect_generated, normalise};
use super::routers::{case_inputs, mock_clock, run_cases};
use super::{first_difference, read_json};
use crate::{CorpusError, Report};

/// Fields of a case that hold expected outputs rather than inputs.
const EXPECTED_FIELDS: &[&str] = &["contact_after", "events"];

/// goflow's test engine: URNs whose path contains `taken` belong to someone else.
struct TakenClaims;

impl UrnClaims for TakenClaims {
    fn is_taken(&mut self, _contact: &Contact, urn: &str) -> bool {
        urn.split_once(':')
            .is_some_and(|(_, path)| path.to_lowercase().contains("taken"))
    }
}

/// Runs every case file of the folder against `_assets.json`.
pub fn run_dir(dir: &Path) -> Result<Report, CorpusError> {
    let assets_json = read_json(&dir.join("_assets.json"))?;
    let assets = Assets::from_json(&assets_json).map_err(|e| CorpusError::Malformed {
        path: dir.join("_assets.json"),
        line: 0,
        message: e.to_string(),
    })?;
    run_cases(dir, |case| run_case(&assets_json, &assets, case))
}

fn run_case(assets_json: &Json, assets: &Assets, case: &Json) -> Result<(), String> {
    let modifier_json = case.get("modifier").ok_or("case has no modifier")?;
    let modifier = Modifier::from_json(modifier_json).map_err(|e| format!("read error: {e}"))?;
    if let Some(d) = first_difference(modifier_json, &modifier.to_json()) {
        return Err(format!("modifier{}", d.trim_start_matches('$')));
    }
    let env = Environment::default();
    let before = case
        .get("contact_before")
        .ok_or("case has no contact_before")?;
    let mut contact = Contact::from_json(before)?;

    let mut clock = mock_clock();
    let mut uuids = SeededUuids::new(123456);
    let mut random = Pcg::new(123456, 123456);
    let mut claims = TakenClaims;
    let mut services = Services::new(&mut clock, &mut uuids, &mut random)
        .with_urn_claims(&mut claims)
        .with_limits(Limits {
            max_field_chars: 256,
            ..Limits::default()
        });
    let events: Vec<Json> = modifier
        .apply(&env, assets, &mut contact, &mut services)
        .iter()
        .map(|e| e.to_json())
        .collect();
    let contact_after = serde_json::to_value(&contact).map_err(|e| e.to_string())?;

    let mut known = HashSet::new();
    collect_generated(assets_json, &mut known);
    collect_generated(&case_inputs(case, EXPECTED_FIELDS), &mut known);
    // one pass over both: a generated ticket UUID is in the contact and in its events
    let expected = normalise(
        json!({
            "contact_after": case.get("contact_after").cloned().unwrap_or(Json::Null),
            "events": case.get("events").cloned().unwrap_or(json!([])),
        }),
        &known,
    );
    let actual = normalise(
        json!({ "contact_after": contact_after, "events": events }),
        &known,
    );
    for key in ["contact_after", "events"] {
        if let Some(d) = first_difference(&expected[key], &actual[key]) {
            return Err(format!("{key}{}", d.trim_start_matches('$')));
        }
    }
    Ok(())
}
