//! Runner for the `resumes/` fixtures (corpus README §6): each case optionally injects a
//! wait into the router of the first flow's first node, starts the case's flow for a new
//! empty contact "Bob" (language `eng`, UUID drawn from the seeded generator), checks the
//! session waits, resumes it with the case's resume and compares the run and session
//! statuses and the resume sprint's events (all but the final `run_ended`), normalised
//! as in `flows/`; a case with `resume_error`/`read_error` expects the resume to fail.

use std::collections::HashSet;
use std::path::Path;

use atende_engine::contact::Contact;
use atende_engine::engine::{self, Assets, Services};
use atende_engine::services::{Clock, MockHttp, NullEmail, SeededUuids, UuidSource};
use atende_engine::session::SessionStatus;
use atende_excellent::{Environment, Pcg};
use serde_json::{json, Value as Json};

use super::first_difference;
use super::flows::{collect_generated, normalise};
use super::read_json;
use super::routers::{case_inputs, mock_clock, run_cases};
use crate::{CorpusError, Report};

/// Fields of a case that hold expected outputs rather than inputs.
const EXPECTED_FIELDS: &[&str] = &[
    "events",
    "run_status",
    "session_status",
    "resume_error",
    "read_error",
];

/// The call goflow's resume tests start voice flows on.
const VOICE_CALL_UUID: &str = "01978a2f-ad9a-7f2e-ad44-6e7547078cec";

/// Runs every case file of the folder against `_assets.json`.
pub fn run_dir(dir: &Path) -> Result<Report, CorpusError> {
    let assets = read_json(&dir.join("_assets.json"))?;
    run_cases(dir, |case| run_case(&assets, case))
}

fn run_case(holder: &Json, case: &Json) -> Result<(), String> {
    let mut assets_json = holder.clone();
    if let Some(wait) = case.get("wait") {
        assets_json["flows"][0]["nodes"][0]["router"]["wait"] = wait.clone();
    }
    let mut uuids = SeededUuids::new(123456);
    let assets = Assets::from_json_migrating(&assets_json, &mut uuids)
        .map_err(|e| format!("read error: {e}"))?;
    let env = Environment::default();
    let mut clock = mock_clock();
    let mut random = Pcg::new(123456, 123456);
    let mut http = MockHttp::from_json(case.get("http_mocks"));
    let mut email = NullEmail;

    // goflow's harness makes a new empty contact: a fresh v4 UUID, created now
    let contact_uuid = uuids.new_v4();
    let created_on = engine::format_time(clock.now());
    let mut contact = Contact::from_json(&json!({
        "uuid": contact_uuid,
        "name": "Bob",
        "language": "eng",
        "status": "active",
        "created_on": created_on,
    }))?;
    let flow_uuid = case
        .get("flow_uuid")
        .and_then(Json::as_str)
        .ok_or("case has no flow_uuid")?;
    let flow_json = assets_json["flows"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["uuid"] == flow_uuid));
    let flow_name = flow_json.map(|f| f["name"].clone()).unwrap_or(Json::Null);
    let trigger = json!({
        "type": "manual",
        "flow": { "uuid": flow_uuid, "name": flow_name },
        "triggered_on": "2000-01-01T00:00:00Z",
    });
    // a voice flow runs on a call (goflow's harness: a fixed call on the first channel)
    let call = flow_json.filter(|f| f["type"] == "voice").map(|_| {
        let channel = &assets_json["channels"][0];
        json!({
            "uuid": VOICE_CALL_UUID,
            "channel": {"uuid": channel["uuid"], "name": channel["name"]},
            "urn": "tel:+12065551212",
        })
    });
    let (mut session, _) = engine::start_with_call(
        &assets,
        &env,
        &mut contact,
        &trigger,
        call.as_ref(),
        Services::new(&mut clock, &mut uuids, &mut random)
            .with_http(&mut http)
            .with_email(&mut email),
    )
    .map_err(|e| format!("start: {e}"))?;
    if session.status != SessionStatus::Waiting {
        return Err(format!(
            "session_status: expected \"waiting\" before the resume got {:?}",
            session.status
        ));
    }
    let resumed = engine::resume(
        &assets,
        &env,
        &mut session,
        &mut contact,
        &case["resume"],
        Services::new(&mut clock, &mut uuids, &mut random)
            .with_http(&mut http)
            .with_email(&mut email),
    );
    let want_error = case.get("resume_error").or_else(|| case.get("read_error"));
    let sprint = match (resumed, want_error) {
        (Ok(_), Some(e)) => return Err(format!("resume_error: expected {e} got nothing")),
        (Err(_), Some(_)) => return Ok(()),
        (Err(e), None) => return Err(format!("resume_error: expected nothing got \"{e}\"")),
        (Ok(s), None) => s,
    };

    let mut events: Vec<Json> = sprint.events.iter().map(|e| e.to_json()).collect();
    if events.last().and_then(|e| e.get("type")) == Some(&json!("run_ended")) {
        events.pop();
    }
    let run_status = session
        .runs
        .first()
        .map(|r| json!(r.status.as_str()))
        .unwrap_or(Json::Null);
    let session_status = serde_json::to_value(session.status).map_err(|e| e.to_string())?;

    let mut known = HashSet::new();
    collect_generated(&assets_json, &mut known);
    collect_generated(&case_inputs(case, EXPECTED_FIELDS), &mut known);
    let expected = normalise(
        json!({
            "run_status": case.get("run_status"),
            "session_status": case.get("session_status"),
            "events": case.get("events").cloned().unwrap_or(json!([])),
        }),
        &known,
    );
    let actual = normalise(
        json!({"run_status": run_status, "session_status": session_status, "events": events}),
        &known,
    );
    for key in ["run_status", "session_status", "events"] {
        if let Some(d) = first_difference(&expected[key], &actual[key]) {
            return Err(format!("{key}{}", d.trim_start_matches('$')));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-node flow waiting for a message, routing everything to "Other".
    fn holder() -> Json {
        json!({"flows": [{
            "uuid": "ed352c17-191e-4e75-b366-1b2c54bb32d8",
            "name": "Resume Tester",
            "spec_version": "13.0.0",
            "language": "eng",
            "type": "messaging",
            "nodes": [{
                "uuid": "46d51f50-58de-49da-8d13-dadbf322685d",
                "actions": [],
                "router": {
                    "type": "switch",
                    "wait": {"type": "msg"},
                    "categories": [{
                        "uuid": "78ae8f05-f92e-43b2-a886-406eaea1b8e0",
                        "name": "Other",
                        "exit_uuid": "84696f43-07b5-4fde-9991-73d10f8406a5"
                    }],
                    "default_category_uuid": "78ae8f05-f92e-43b2-a886-406eaea1b8e0",
                    "operand": "@input.text",
                    "cases": []
                },
                "exits": [{"uuid": "84696f43-07b5-4fde-9991-73d10f8406a5"}]
            }]
        }]})
    }

    fn case(resume: Json, run_status: &str) -> Json {
        json!({
            "flow_uuid": "ed352c17-191e-4e75-b366-1b2c54bb32d8",
            "resume": resume,
            "events": [],
            "run_status": run_status,
            "session_status": "completed",
        })
    }

    #[test]
    fn expiration_ends_the_run_as_expired() {
        let expire = json!({"type": "wait_expiration", "resumed_on": "2000-01-01T00:00:00Z"});
        assert_eq!(
            run_case(&holder(), &case(expire.clone(), "expired")),
            Ok(())
        );
        assert_eq!(
            run_case(&holder(), &case(expire, "completed")).unwrap_err(),
            "run_status: expected \"completed\" got \"expired\""
        );
    }

    #[test]
    fn an_expected_resume_error_passes_only_when_the_resume_fails() {
        let mut bad = case(json!({"type": "no_such_resume"}), "completed");
        assert!(run_case(&holder(), &bad).is_err());
        bad["resume_error"] = json!("unknown resume type");
        assert_eq!(run_case(&holder(), &bad), Ok(()));
    }
}
