//! Runner for the `flows/` fixtures: whole sessions (assets + trigger + resumes →
//! session JSON, events and path segments per sprint), compared in the corpus README's
//! *normalised* mode: UUIDs and timestamps that do not occur in the inputs are replaced
//! by `<uuid-N>` / `<time-N>`, numbered by first appearance, so identity is compared but
//! not the generated values.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use atende_engine::contact::Contact;
use atende_engine::engine::{self, Assets, Services};
use atende_engine::services::{MockHttp, NullEmail, SeededUuids, SequentialClock};
use atende_engine::session::{Session, SessionStatus};
use atende_excellent::{Environment, Pcg};
use serde_json::{json, Value as Json};

use super::stubs::{with_test_prompts, StubAirtime, StubLlm};
use super::{first_difference, read_json};
use crate::{CorpusError, Report};

/// Runs every `X.T.json` test of the folder against its `X.json` assets.
pub fn run_dir(dir: &Path) -> Result<Report, CorpusError> {
    let only = std::env::var("ATENDE_RUNNER_ONLY").ok();
    let mut report = Report::default();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|source| CorpusError::Io {
            path: dir.to_path_buf(),
            source,
        })?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json") && n.matches('.').count() == 2)
        .collect();
    names.sort();
    // ATENDE_RUNNER_ONLY=name runs one test of the folder
    names.retain(|n| only.as_deref().is_none_or(|o| n.starts_with(o)));
    for name in names {
        let asset_name = format!("{}.json", name.split('.').next().unwrap_or_default());
        let test = read_json(&dir.join(&name))?;
        let assets = read_json(&dir.join(&asset_name))?;
        match run_test(&assets, &test) {
            Ok(()) => report.pass(),
            Err(why) => report.fail(&format!("{name}#0"), why),
        }
    }
    Ok(report)
}

fn run_test(assets_json: &Json, test: &Json) -> Result<(), String> {
    // migrations draw their UUIDs from the same seeded generator, before the session
    let mut uuids = SeededUuids::new(123456);
    let assets =
        Assets::from_json_migrating(assets_json, &mut uuids).map_err(|e| format!("assets: {e}"))?;
    let env = with_test_prompts(match test.get("environment") {
        Some(e) if !e.is_null() => Environment::from_json(e).map_err(|e| e.to_string())?,
        _ => Environment::default(),
    });
    let mut contact = Contact::from_json(&test["contact"])?;
    let start: jiff::Timestamp = "2025-05-04T12:30:45.123456789Z"
        .parse()
        .map_err(|e| format!("{e}"))?;
    let mut clock = SequentialClock::new(start, jiff::SignedDuration::from_secs(1));
    let mut random = Pcg::new(123456, 123456);
    let mut http = MockHttp::from_json(test.get("http_mocks"));
    let mut airtime = StubAirtime::default();
    let mut llm = StubLlm;
    let mut email = NullEmail;

    let mut outputs = Vec::new();
    let (mut session, mut sprint) = engine::start_with_call(
        &assets,
        &env,
        &mut contact,
        &test["trigger"],
        test.get("call").filter(|c| !c.is_null()),
        Services::new(&mut clock, &mut uuids, &mut random)
            .with_http(&mut http)
            .with_email(&mut email)
            .with_airtime(&mut airtime)
            .with_llm(&mut llm),
    )
    .map_err(|e| e.to_string())?;
    let empty = Vec::new();
    for resume in test
        .get("resumes")
        .and_then(Json::as_array)
        .unwrap_or(&empty)
    {
        session.compact();
        outputs.push(output(&session, &sprint));
        // persistence round trip between sprints, through indented JSON text as goflow's
        // harness does (result extras keep that text)
        session = Session::from_text(&session.to_pretty_text())?;
        if session.status != SessionStatus::Waiting {
            return Err(format!(
                "did not stop at expected wait (session is {:?}; events: {})",
                session.status,
                sprint
                    .events
                    .iter()
                    .map(|e| e.event_type)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        sprint = engine::resume(
            &assets,
            &env,
            &mut session,
            &mut contact,
            resume,
            Services::new(&mut clock, &mut uuids, &mut random)
                .with_http(&mut http)
                .with_email(&mut email)
                .with_airtime(&mut airtime)
                .with_llm(&mut llm),
        )
        .map_err(|e| e.to_string())?;
    }
    session.compact();
    outputs.push(output(&session, &sprint));
    if let Some(e) = http.error.take() {
        return Err(e);
    }
    if let Some(url) = http.unused() {
        return Err(format!("http mock for {url} not consumed"));
    }

    // ATENDE_RUNNER_DUMP=dir also writes the raw outputs, to compare generated values
    if let Ok(dir) = std::env::var("ATENDE_RUNNER_DUMP") {
        let raw = serde_json::to_string_pretty(&outputs).unwrap_or_default();
        let _ = std::fs::write(Path::new(&dir).join("raw.json"), raw);
    }
    let mut inputs = test.clone();
    if let Some(o) = inputs.as_object_mut() {
        o.remove("outputs");
    }
    let mut known = HashSet::new();
    collect_generated(assets_json, &mut known);
    collect_generated(&inputs, &mut known);
    // ATENDE_RUNNER_STRICT=1 compares generated values too (README §3 strict mode: the
    // clock and UUID calls must come in goflow's order)
    if std::env::var_os("ATENDE_RUNNER_STRICT").is_some() {
        known.clear();
        for o in &outputs {
            collect_generated(o, &mut known);
        }
    }
    let expected = normalise(test.get("outputs").cloned().unwrap_or(Json::Null), &known);
    let actual = normalise(Json::Array(outputs), &known);
    // ATENDE_RUNNER_DUMP=dir writes both normalised sides, to diff a failing case by eye.
    if let Ok(dir) = std::env::var("ATENDE_RUNNER_DUMP") {
        let pretty = |v: &Json| serde_json::to_string_pretty(v).unwrap_or_default();
        let _ = std::fs::write(Path::new(&dir).join("expected.json"), pretty(&expected));
        let _ = std::fs::write(Path::new(&dir).join("actual.json"), pretty(&actual));
    }
    let (Json::Array(exp), Json::Array(act)) = (&expected, &actual) else {
        return Err("test has no outputs".into());
    };
    if exp.len() != act.len() {
        return Err(format!("expected {} sprints got {}", exp.len(), act.len()));
    }
    for (i, (e, a)) in exp.iter().zip(act).enumerate() {
        for key in ["session", "events", "segments"] {
            if let Some(d) = first_difference(&e[key], &a[key]) {
                return Err(format!("outputs[{i}].{key}{}", d.trim_start_matches('$')));
            }
        }
    }
    Ok(())
}

fn output(session: &Session, sprint: &engine::Sprint) -> Json {
    json!({
        "session": session.to_json(),
        "events": sprint.events.iter().map(|e| e.to_json()).collect::<Vec<_>>(),
        "segments": sprint.segments,
    })
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && s.parse::<jiff::Timestamp>().is_ok()
}

/// Adds every UUID and timestamp in `json` to `out` (values the inputs already hold).
pub(crate) fn collect_generated(json: &Json, out: &mut HashSet<String>) {
    match json {
        Json::String(s) if is_uuid(s) || is_timestamp(s) => {
            out.insert(s.clone());
        }
        Json::Array(a) => a.iter().for_each(|v| collect_generated(v, out)),
        Json::Object(o) => o.values().for_each(|v| collect_generated(v, out)),
        _ => {}
    }
}

/// Replaces generated UUIDs and timestamps (those not in `known`) by numbered
/// placeholders, walking keys in sorted order.
pub(crate) fn normalise(json: Json, known: &HashSet<String>) -> Json {
    fn walk(
        v: Json,
        known: &HashSet<String>,
        seen: &mut HashMap<String, String>,
        counts: &mut [usize; 2],
    ) -> Json {
        match v {
            Json::String(s) if !known.contains(&s) && (is_uuid(&s) || is_timestamp(&s)) => {
                if let Some(p) = seen.get(&s) {
                    return Json::String(p.clone());
                }
                let (kind, n) = if is_uuid(&s) {
                    ("uuid", 0)
                } else {
                    ("time", 1)
                };
                counts[n] += 1;
                let p = format!("<{kind}-{}>", counts[n]);
                seen.insert(s, p.clone());
                Json::String(p)
            }
            Json::Array(a) => Json::Array(
                a.into_iter()
                    .map(|x| walk(x, known, seen, counts))
                    .collect(),
            ),
            Json::Object(o) => {
                let mut keys: Vec<(String, Json)> = o.into_iter().collect();
                keys.sort_by(|a, b| a.0.cmp(&b.0));
                let mut out = serde_json::Map::new();
                for (k, v) in keys {
                    let v = if k == "elapsed_ms" {
                        json!(0)
                    } else {
                        walk(v, known, seen, counts)
                    };
                    out.insert(k, v);
                }
                Json::Object(out)
            }
            other => other,
        }
    }
    walk(json, known, &mut HashMap::new(), &mut [0, 0])
}
