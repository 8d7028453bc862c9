//! Runner for the `routers/` fixtures (corpus README §6): each case injects one router
//! into the single node of `_assets.json`'s first flow, starts a session for
//! `_contact.json` with a manual trigger and compares the run's results and the events
//! between `run_started` and `run_ended`, normalised as in `flows/` (generated UUIDs and
//! timestamps become placeholders). Re-marshalling, templates, localizables and
//! inspection are not compared: the engine has no API for them yet.

use std::collections::HashSet;
use std::path::Path;

use atende_engine::contact::Contact;
use atende_engine::engine::{self, Assets, Services};
use atende_engine::services::{MockHttp, NullEmail, SeededUuids, SequentialClock};
use atende_excellent::{Environment, Pcg};
use serde_json::{json, Value as Json};

use super::flows::{collect_generated, normalise};
use super::{first_difference, read_json};
use crate::{CorpusError, Report};

/// Fields of a case that hold expected outputs rather than inputs.
const EXPECTED_FIELDS: &[&str] = &[
    "results",
    "events",
    "templates",
    "localizables",
    "inspection",
    "read_error",
];

/// The sorted names of a folder's case files (`*.json` not starting with `_`, which
/// are shared inputs such as `_assets.json`).
pub(crate) fn case_files(dir: &Path) -> Result<Vec<String>, CorpusError> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|source| CorpusError::Io {
            path: dir.to_path_buf(),
            source,
        })?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json") && !n.starts_with('_'))
        .collect();
    names.sort();
    Ok(names)
}

/// Runs every case file of the folder, each a JSON list of cases.
pub(crate) fn run_cases(
    dir: &Path,
    mut run_case: impl FnMut(&Json) -> Result<(), String>,
) -> Result<Report, CorpusError> {
    let mut report = Report::default();
    for name in case_files(dir)? {
        let cases = match read_json(&dir.join(&name)) {
            Ok(Json::Array(cases)) => cases,
            Ok(_) | Err(CorpusError::Malformed { .. }) => {
                report.fail(&format!("{name}#*"), "file is not a JSON list of cases");
                continue;
            }
            Err(e) => return Err(e),
        };
        for (i, case) in cases.iter().enumerate() {
            match run_case(case) {
                Ok(()) => report.pass(),
                Err(why) => report.fail(&format!("{name}#{i}"), why),
            }
        }
    }
    Ok(report)
}

/// The mocked universe's clock: starts at goflow's fixed instant, one second per call.
pub(crate) fn mock_clock() -> SequentialClock {
    let start: jiff::Timestamp = "2025-05-04T12:30:45.123456789Z"
        .parse()
        .expect("valid timestamp");
    SequentialClock::new(start, jiff::SignedDuration::from_secs(1))
}

/// The case minus its expected outputs: the values in it are inputs, kept verbatim by
/// normalisation.
pub(crate) fn case_inputs(case: &Json, expected: &[&str]) -> Json {
    let mut inputs = case.clone();
    if let Some(o) = inputs.as_object_mut() {
        for key in expected {
            o.remove(*key);
        }
    }
    inputs
}

/// Runs every case file of the folder against `_assets.json` and `_contact.json`.
pub fn run_dir(dir: &Path) -> Result<Report, CorpusError> {
    let assets = read_json(&dir.join("_assets.json"))?;
    let contact = read_json(&dir.join("_contact.json"))?;
    run_cases(dir, |case| run_case(&assets, &contact, case))
}

fn run_case(holder: &Json, contact_json: &Json, case: &Json) -> Result<(), String> {
    let mut assets_json = holder.clone();
    assets_json["flows"][0]["nodes"][0]["router"] = case["router"].clone();

    let mut uuids = SeededUuids::new(123456);
    let assets = Assets::from_json_migrating(&assets_json, &mut uuids);
    let assets = match (assets, case.get("read_error")) {
        (Ok(_), Some(_)) => return Err("expected a read error, the flow was read".into()),
        (Err(_), Some(_)) => return Ok(()),
        (Err(e), None) => return Err(format!("read error: {e}")),
        (Ok(a), None) => a,
    };
    let env = Environment::default();
    let mut contact = Contact::from_json(contact_json)?;
    let flow = &assets_json["flows"][0];
    let trigger = json!({
        "type": "manual",
        "flow": { "uuid": flow["uuid"], "name": flow["name"] },
        "triggered_on": "2000-01-01T00:00:00Z",
    });
    let mut clock = mock_clock();
    let mut random = Pcg::new(123456, 123456);
    let mut http = MockHttp::from_json(case.get("http_mocks"));
    let mut email = NullEmail;
    let (session, sprint) = engine::start(
        &assets,
        &env,
        &mut contact,
        &trigger,
        Services::new(&mut clock, &mut uuids, &mut random)
            .with_http(&mut http)
            .with_email(&mut email),
    )
    .map_err(|e| e.to_string())?;

    let mut events: Vec<Json> = sprint.events.iter().map(|e| e.to_json()).collect();
    if events.first().and_then(|e| e.get("type")) == Some(&json!("run_started")) {
        events.remove(0);
    }
    if events.last().and_then(|e| e.get("type")) == Some(&json!("run_ended")) {
        events.pop();
    }
    let results = session
        .runs
        .first()
        .map(|r| Json::Object(r.results.clone()))
        .unwrap_or(json!({}));

    let mut known = HashSet::new();
    collect_generated(&assets_json, &mut known);
    collect_generated(contact_json, &mut known);
    collect_generated(&case_inputs(case, EXPECTED_FIELDS), &mut known);
    // one normalisation pass over both, so a timestamp shared by a result and its
    // event keeps one placeholder
    let expected = normalise(
        json!({
            "results": case.get("results").cloned().unwrap_or(json!({})),
            "events": case.get("events").cloned().unwrap_or(json!([])),
        }),
        &known,
    );
    let actual = normalise(json!({"results": results, "events": events}), &known);
    for key in ["results", "events"] {
        if let Some(d) = first_difference(&expected[key], &actual[key]) {
            return Err(format!("{key}{}", d.trim_start_matches('$')));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_inputs_drop_expected_outputs() {
        let case = json!({"router": {"type": "random"}, "events": [], "results": {}});
        assert_eq!(
            case_inputs(&case, EXPECTED_FIELDS),
            json!({"router": {"type": "random"}})
        );
    }

    #[test]
    fn mock_clock_ticks_one_second() {
        use atende_engine::services::Clock;
        let mut clock = mock_clock();
        let a = clock.now();
        let b = clock.now();
        assert_eq!(b.duration_since(a), jiff::SignedDuration::from_secs(1));
    }
}
