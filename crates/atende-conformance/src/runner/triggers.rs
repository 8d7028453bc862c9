//! Runner for the `triggers/` fixtures (corpus README §6): each case reads a trigger and
//! starts a session with it (clock fixed at 2018-10-18T14:20:30.000123456Z, contact Bob),
//! then compares `@(json(trigger))` evaluated in the first run with the case's `context`,
//! and the session's copy of the trigger with the input. The engine has no API to
//! evaluate an expression in a run, so the runner injects a `send_msg` action with that
//! template into the flow and reads the text of the message it creates.

use std::path::Path;

use atende_engine::contact::Contact;
use atende_engine::engine::{self, Assets, Services};
use atende_engine::services::{MockHttp, NullEmail, SeededUuids, SequentialClock};
use atende_excellent::{Environment, Pcg};
use serde_json::{json, Value as Json};

use super::routers::run_cases;
use super::{first_difference, read_json};
use crate::{CorpusError, Report};

/// The action whose message text is the evaluated trigger context.
const PROBE_ACTION_UUID: &str = "4f2f47e0-4e0c-4b2a-9d9a-3a1e6c0e7b11";

/// Runs every case file of the folder against `_assets.json`.
pub fn run_dir(dir: &Path) -> Result<Report, CorpusError> {
    let assets = read_json(&dir.join("_assets.json"))?;
    run_cases(dir, |case| run_case(&assets, case))
}

fn run_case(holder: &Json, case: &Json) -> Result<(), String> {
    let mut assets_json = holder.clone();
    assets_json["flows"][0]["nodes"][0]["actions"] = json!([{
        "uuid": PROBE_ACTION_UUID,
        "type": "send_msg",
        "text": "@(json(trigger))",
    }]);
    let mut uuids = SeededUuids::new(123456);
    let assets = Assets::from_json_migrating(&assets_json, &mut uuids)
        .map_err(|e| format!("read error: {e}"))?;
    let env = Environment::default();
    let mut contact = Contact::from_json(&json!({
        "uuid": "9f7ede93-4b16-4692-80ad-b7dc54a1cd81",
        "name": "Bob",
        "status": "active",
        "created_on": "2018-01-01T12:00:00Z",
    }))?;
    // not the mocked universe: time stands still
    let now: jiff::Timestamp = "2018-10-18T14:20:30.000123456Z"
        .parse()
        .map_err(|e| format!("{e}"))?;
    let mut clock = SequentialClock::new(now, jiff::SignedDuration::ZERO);
    let mut random = Pcg::new(123456, 123456);
    let mut http = MockHttp::from_json(None);
    let mut email = NullEmail;
    let trigger = &case["trigger"];
    let started = engine::start(
        &assets,
        &env,
        &mut contact,
        trigger,
        Services::new(&mut clock, &mut uuids, &mut random)
            .with_http(&mut http)
            .with_email(&mut email),
    );
    let (session, sprint) = match (started, case.get("read_error")) {
        (Ok(_), Some(e)) => return Err(format!("read_error: expected {e} got nothing")),
        (Err(_), Some(_)) => return Ok(()),
        (Err(e), None) => return Err(format!("read_error: expected nothing got \"{e}\"")),
        (Ok(s), None) => s,
    };

    let kept = session.to_json()["trigger"].clone();
    if let Some(d) = first_difference(trigger, &kept) {
        return Err(format!("trigger{}", d.trim_start_matches('$')));
    }
    if let Some(want) = case.get("context") {
        let text = sprint
            .events
            .iter()
            .map(|e| e.to_json())
            .find(|e| e["type"] == "msg_created")
            .and_then(|e| {
                e.pointer("/msg/text")
                    .and_then(Json::as_str)
                    .map(str::to_owned)
            })
            .ok_or("context: the probe send_msg created no message")?;
        let got: Json =
            serde_json::from_str(&text).map_err(|e| format!("context: not JSON ({e}): {text}"))?;
        if let Some(d) = first_difference(want, &got) {
            return Err(format!("context{}", d.trim_start_matches('$')));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder() -> Json {
        json!({"flows": [{
            "uuid": "bead76f5-dac4-4c9d-996c-c62b326e8c0a",
            "name": "Trigger Tester",
            "spec_version": "13.0.0",
            "language": "eng",
            "type": "messaging",
            "nodes": [{
                "uuid": "70e453ef-c21f-4596-9d48-967a6236ccdf",
                "exits": [{"uuid": "c1956e15-3b2a-4232-b9e3-9fead76ff496"}]
            }]
        }]})
    }

    #[test]
    fn a_trigger_without_flow_is_a_read_error() {
        let case = json!({
            "trigger": {"type": "manual", "triggered_on": "2000-01-01T00:00:00Z"},
            "read_error": "field 'flow' is required",
        });
        assert_eq!(run_case(&holder(), &case), Ok(()));
    }

    #[test]
    fn the_trigger_is_kept_by_the_session() {
        let case = json!({"trigger": {
            "type": "manual",
            "flow": {"uuid": "bead76f5-dac4-4c9d-996c-c62b326e8c0a", "name": "Trigger Tester"},
            "triggered_on": "2000-01-01T00:00:00Z",
        }});
        assert_eq!(run_case(&holder(), &case), Ok(()));
    }
}
