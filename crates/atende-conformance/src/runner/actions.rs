//! Runner for the `actions/` fixtures (corpus README §5): each case injects one action
//! into the holder flow of `_assets.json`, starts a session for `_contact.json` (or the
//! case's contact) and compares the events between `run_started` and `run_ended`, in the
//! same normalised mode as `flows/` (generated UUIDs and timestamps become placeholders).

use std::collections::HashSet;
use std::path::Path;

use atende_engine::contact::{query_matches, Contact, GroupRef};
use atende_engine::engine::{self, Assets, Services};
use atende_engine::services::{
    Clock, EmailService, MockHttp, SeededUuids, SequentialClock, UuidSource,
};
use atende_excellent::{Environment, Pcg};
use serde_json::{json, Value as Json};

use super::flows::{collect_generated, normalise};
use super::stubs::{with_test_prompts, ForbiddenWord, StubAirtime, StubLlm};
use super::{first_difference, read_json};
use crate::{CorpusError, Report};

/// Fields of a case that hold expected outputs rather than inputs.
const EXPECTED_FIELDS: &[&str] = &[
    "events",
    "contact_after",
    "locals_after",
    "webhook",
    "templates",
    "localizables",
    "inspection",
    "read_error",
];

/// Runs every `<action_type>.json` of the folder.
pub fn run_dir(dir: &Path) -> Result<Report, CorpusError> {
    let assets = read_json(&dir.join("_assets.json"))?;
    let contact = read_json(&dir.join("_contact.json"))?;
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|source| CorpusError::Io {
            path: dir.to_path_buf(),
            source,
        })?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json") && !n.starts_with('_'))
        .collect();
    names.sort();
    // ATENDE_RUNNER_ONLY=file or file#case runs only the matching cases
    let only = std::env::var("ATENDE_RUNNER_ONLY")
        .ok()
        .filter(|o| !o.is_empty());
    let mut report = Report::default();
    for name in names {
        let path = dir.join(&name);
        let cases = match read_json(&path) {
            Ok(Json::Array(cases)) => cases,
            Ok(_) | Err(CorpusError::Malformed { .. }) => {
                report.fail(&format!("{name}#*"), "file is not a JSON list of cases");
                continue;
            }
            Err(e) => return Err(e),
        };
        for (i, case) in cases.iter().enumerate() {
            let id = format!("{name}#{i}");
            if let Some(o) = &only {
                if !(id == *o || name.trim_end_matches(".json") == o || name == *o) {
                    continue;
                }
            }
            match run_case(&assets, &contact, case) {
                Ok(()) => report.pass(),
                Err(why) => report.fail(&id, why),
            }
        }
    }
    Ok(report)
}

/// The webhook hosts goflow's test engine blocks (corpus README §2).
const BLOCKED_HOSTS: &[&str] = &["graph.facebook.com"];

/// goflow's mock SMTP sender: accepts every message, or fails with the case's
/// `smtp_error`.
struct StubEmail(Option<String>);

impl EmailService for StubEmail {
    fn send(&mut self, _to: &[String], _subject: &str, _body: &str) -> Result<(), String> {
        match &self.0 {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

fn run_case(holder: &Json, default_contact: &Json, case: &Json) -> Result<(), String> {
    let voice = case.get("in_flow_type").and_then(Json::as_str) == Some("voice");
    let flow_index = usize::from(voice);
    let mut assets_json = holder.clone();
    assets_json["flows"][flow_index]["nodes"][0]["actions"] = json!([case["action"].clone()]);
    if let Some(loc) = case.get("localization") {
        assets_json["flows"][flow_index]["localization"] = loc.clone();
    }
    let text = serde_json::to_string(&assets_json)
        .map_err(|e| e.to_string())?
        .replace("http://localhost", "http://localhost:65535");
    let assets_json: Json = serde_json::from_str(&text).map_err(|e| e.to_string())?;

    let mut uuids = SeededUuids::new(123456);
    let assets = Assets::from_json_migrating(&assets_json, &mut uuids);
    let want_read_error = case.get("read_error").and_then(Json::as_str);
    let assets = match (assets, want_read_error) {
        (Ok(_), Some(_)) => return Err("expected a read error, the flow was read".into()),
        // our message names the flow and JSON path around goflow's root error text
        (Err(e), Some(want)) if e.to_string().contains(want) => return Ok(()),
        (Err(e), Some(want)) => return Err(format!("read error {e:?}, expected {want:?}")),
        (Err(e), None) => return Err(format!("read error: {e}")),
        (Ok(a), None) => a,
    };

    let mut env_json = json!({"allowed_languages": ["eng", "spa"], "default_country": "RW"});
    if case.get("redact_urns").and_then(Json::as_bool) == Some(true) {
        env_json["redaction_policy"] = json!("urns");
    }
    let env = with_test_prompts(Environment::from_json(&env_json).map_err(|e| e.to_string())?);
    let mut contact = Contact::from_json(case.get("contact").unwrap_or(default_contact))?;
    if case.get("localization").is_some() {
        contact.language = "spa".into();
    }
    if case.get("has_ticket").and_then(Json::as_bool) == Some(true) {
        contact.tickets.push(json!({
            "uuid": "7f44b065-ec28-4d7a-bbb4-0bda3b75b19d",
            "status": "open",
            "topic": {"uuid": "0d9a2c56-6fc2-4f27-93c5-a6322e26b740", "name": "General"},
        }));
        // goflow's harness re-evaluates smart groups once the ticket is added, so the
        // contact starts the session already in groups like `tickets > 0`
        for g in &assets.groups {
            let (Some(uuid), Some(name), Some(query)) = (
                g.get("uuid").and_then(Json::as_str),
                g.get("name").and_then(Json::as_str),
                g.get("query").and_then(Json::as_str),
            ) else {
                continue;
            };
            let member = contact.groups.iter().any(|x| x.uuid == uuid);
            if !member && query_matches(&contact, query, &assets.fields) == Some(true) {
                contact.groups.push(GroupRef {
                    uuid: uuid.into(),
                    name: name.into(),
                });
            }
        }
    }
    let flow = &assets_json["flows"][flow_index];
    let flow_ref = json!({ "uuid": flow["uuid"], "name": flow["name"] });
    let batch = case.get("no_input").and_then(Json::as_bool) == Some(true)
        || case.get("as_batch").and_then(Json::as_bool) == Some(true);
    let start: jiff::Timestamp = "2025-05-04T12:30:45.123456789Z"
        .parse()
        .map_err(|e| format!("{e}"))?;
    let mut clock = SequentialClock::new(start, jiff::SignedDuration::from_secs(1));
    // goflow's harness makes the incoming message before the session, from the same
    // clock and generator: its UUID (v7, also the input's), its time, then one more tick
    let (msg_uuid, received_on) = if batch || voice {
        Default::default()
    } else {
        let msg_uuid = uuids.new_v7(&mut clock);
        let received_on = engine::format_time(clock.now());
        clock.now();
        (msg_uuid, received_on)
    };
    let trigger = if batch || voice {
        let mut t =
            json!({ "type": "manual", "flow": flow_ref, "triggered_on": "2000-01-01T00:00:00Z" });
        if batch {
            t["batch"] = json!(true);
        }
        t
    } else {
        json!({
            "type": "msg",
            "flow": flow_ref,
            "triggered_on": "2000-01-01T00:00:00Z",
            "event": {
                "type": "msg_received",
                "uuid": msg_uuid,
                "created_on": received_on,
                "msg": {
                    "uuid": msg_uuid,
                    "urn": "tel:+12065551212",
                    "text": "Hi everybody",
                    "attachments": [
                        "image/jpeg:http://http://s3.amazon.com/bucket/test.jpg",
                        "audio/mp3:http://s3.amazon.com/bucket/test.mp3"
                    ]
                }
            }
        })
    };

    let mut random = Pcg::new(123456, 123456);
    let mut http = MockHttp::from_json(case.get("http_mocks"));
    let mut airtime = StubAirtime::default();
    let mut llm = StubLlm;
    let mut send_check = ForbiddenWord;
    let mut email = StubEmail(
        case.get("smtp_error")
            .and_then(Json::as_str)
            .map(str::to_owned),
    );
    let (session, sprint) = engine::start(
        &assets,
        &env,
        &mut contact,
        &trigger,
        Services::new(&mut clock, &mut uuids, &mut random)
            .with_http(&mut http)
            .with_email(&mut email)
            .with_airtime(&mut airtime)
            .with_llm(&mut llm)
            .with_send_check(&mut send_check)
            .with_blocked_hosts(BLOCKED_HOSTS),
    )
    .map_err(|e| e.to_string())?;

    let mut events: Vec<Json> = sprint.events.iter().map(|e| e.to_json()).collect();
    if events.first().and_then(|e| e.get("type")) == Some(&json!("run_started")) {
        events.remove(0);
    }
    if events.last().and_then(|e| e.get("type")) == Some(&json!("run_ended")) {
        events.pop();
    }

    let mut known = HashSet::new();
    collect_generated(&assets_json, &mut known);
    collect_generated(default_contact, &mut known);
    let mut inputs = case.clone();
    if let Some(o) = inputs.as_object_mut() {
        for key in EXPECTED_FIELDS {
            o.remove(*key);
        }
    }
    collect_generated(&inputs, &mut known);

    let locals = session
        .runs
        .first()
        .map(|r| Json::Object(r.locals.clone()))
        .unwrap_or(json!({}));
    // events and locals are normalised together: a local may hold a generated UUID
    // (`_new_ticket`) that an event also carries
    let want_locals = case.get("locals_after").cloned();
    let expected = normalise(
        json!([
            case.get("events").cloned().unwrap_or(json!([])),
            want_locals.clone().unwrap_or(json!({}))
        ]),
        &known,
    );
    let actual = normalise(json!([Json::Array(events), locals]), &known);
    // ATENDE_RUNNER_DUMP=dir writes both normalised sides (of the last case run), to
    // diff a failing case by eye
    if let Ok(dir) = std::env::var("ATENDE_RUNNER_DUMP") {
        let pretty = |v: &Json| serde_json::to_string_pretty(v).unwrap_or_default();
        let _ = std::fs::write(Path::new(&dir).join("expected.json"), pretty(&expected));
        let _ = std::fs::write(Path::new(&dir).join("actual.json"), pretty(&actual));
    }
    if let Some(d) = first_difference(&expected[0], &actual[0]) {
        return Err(format!("events{}", d.trim_start_matches('$')));
    }
    if want_locals.is_some() {
        if let Some(d) = first_difference(&expected[1], &actual[1]) {
            return Err(format!("locals_after{}", d.trim_start_matches('$')));
        }
    }
    Ok(())
}
