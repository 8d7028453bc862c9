//! Inputs for the benchmarks, read from `../shared/corpus/bench`.
//!
//! The Excellent benchmark evaluates goflow's 11 benchmark templates against the
//! bench contact (`case.json`) with its field definitions (`assets.json`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use atende_engine::contact::{Contact, FieldDef};
use atende_excellent::{Environment, Object, Value};
use serde_json::Value as Json;

/// The bench corpus folder, if present.
pub fn bench_dir() -> Option<PathBuf> {
    atende_conformance::shared_corpus_dir().map(|c| c.join("bench"))
}

/// The benchmark templates (`templates.txt`, comments and blank lines dropped).
pub fn templates(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("templates.txt"))
        .expect("templates.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The environment and context root for the bench contact, built by the engine's
/// contact context (`atende_engine::contact`).
pub fn context(dir: &Path) -> (Environment, Value) {
    let read = |name: &str| -> Json {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).expect(name)).expect(name)
    };
    let case = read("case.json");
    let assets = read("assets.json");
    let contact = Contact::from_json(&case["contact"]).expect("bench contact");
    let defs: Vec<FieldDef> =
        serde_json::from_value(assets["fields"].clone()).expect("bench field definitions");

    let mut env = Environment::default();
    if let Ok(z) = jiff::tz::TimeZone::get(&contact.timezone) {
        env.timezone = z;
        env.timezone_name = contact.timezone.clone();
    }
    let mut root = Object::new();
    root.insert("contact", contact.context(&defs));
    root.insert("fields", contact.fields_context(&defs));
    root.insert("urns", contact.urns_context());
    root.insert("results", Value::Object(Arc::new(Object::new())));
    root.insert("globals", Value::Object(Arc::new(Object::new())));
    (env, Value::Object(Arc::new(root)))
}

/// The instant the benchmarks freeze `now()` at.
pub fn now() -> jiff::Timestamp {
    "2018-04-11T18:24:30.123456Z".parse().expect("timestamp")
}

/// One replayable `runner/flows` case: assets, environment, contact, trigger, resumes.
pub struct FlowCase {
    pub name: String,
    pub assets: atende_engine::engine::Assets,
    pub env: Environment,
    pub contact: Contact,
    pub trigger: Json,
    pub resumes: Vec<Json>,
    pub http_mocks: Option<Json>,
}

/// The `runner/flows` cases the engine can replay (start and every resume succeed).
pub fn flow_cases() -> Vec<FlowCase> {
    let Some(dir) = atende_conformance::shared_corpus_dir().map(|c| c.join("goflow/runner/flows"))
    else {
        return Vec::new();
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json") && n.matches('.').count() == 2)
        .collect();
    names.sort();
    let read =
        |p: &Path| -> Option<Json> { serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok() };
    let mut cases = Vec::new();
    for name in names {
        let Some(test) = read(&dir.join(&name)) else {
            continue;
        };
        let asset_file = format!("{}.json", name.split('.').next().unwrap_or_default());
        let Some(assets_json) = read(&dir.join(asset_file)) else {
            continue;
        };
        let mut uuids = atende_engine::services::SeededUuids::new(123456);
        let Ok(assets) =
            atende_engine::engine::Assets::from_json_migrating(&assets_json, &mut uuids)
        else {
            continue;
        };
        let env = match test.get("environment") {
            Some(e) if !e.is_null() => match Environment::from_json(e) {
                Ok(env) => env,
                Err(_) => continue,
            },
            _ => Environment::default(),
        };
        let Ok(contact) = Contact::from_json(&test["contact"]) else {
            continue;
        };
        let case = FlowCase {
            name: name.trim_end_matches(".json").to_string(),
            assets,
            env,
            contact,
            trigger: test["trigger"].clone(),
            resumes: test["resumes"].as_array().cloned().unwrap_or_default(),
            http_mocks: test.get("http_mocks").cloned(),
        };
        if replays_cleanly(&case) {
            cases.push(case);
        }
    }
    cases
}

fn universe() -> (
    atende_engine::services::SequentialClock,
    atende_engine::services::SeededUuids,
    atende_excellent::Pcg,
) {
    let start: jiff::Timestamp = "2025-05-04T12:30:45.123456789Z".parse().expect("timestamp");
    (
        atende_engine::services::SequentialClock::new(start, jiff::SignedDuration::from_secs(1)),
        atende_engine::services::SeededUuids::new(123456),
        atende_excellent::Pcg::new(123456, 123456),
    )
}

/// Replays one case in goflow's seeded universe: a new session, then every resume,
/// optionally writing and reading the session as JSON between sprints. Returns the
/// session after the first sprint and at the end, or `None` if the engine refused.
pub fn replay(
    case: &FlowCase,
    round_trip: bool,
) -> Option<(
    atende_engine::session::Session,
    atende_engine::session::Session,
)> {
    use atende_engine::engine::{self, Services};
    use atende_engine::services::{MockHttp, NullEmail};
    let (mut clock, mut uuids, mut random) = universe();
    let mut http = MockHttp::from_json(case.http_mocks.as_ref());
    let mut email = NullEmail;
    let mut contact = case.contact.clone();
    let (mut session, _) = engine::start(
        &case.assets,
        &case.env,
        &mut contact,
        &case.trigger,
        Services::new(&mut clock, &mut uuids, &mut random)
            .with_http(&mut http)
            .with_email(&mut email),
    )
    .ok()?;
    let first = session.clone();
    for resume in &case.resumes {
        if round_trip {
            // as the server persists it
            let text = session.to_text();
            session = atende_engine::session::Session::from_text(&text).ok()?;
        }
        engine::resume(
            &case.assets,
            &case.env,
            &mut session,
            &mut contact,
            resume,
            Services::new(&mut clock, &mut uuids, &mut random)
                .with_http(&mut http)
                .with_email(&mut email),
        )
        .ok()?;
    }
    Some((first, session))
}

fn replays_cleanly(case: &FlowCase) -> bool {
    replay(case, true).is_some()
}

/// Min / median / max serialised size (bytes) of each case's session while it waits
/// after the first sprint.
pub fn waiting_session_sizes(cases: &[FlowCase]) -> String {
    let mut sizes: Vec<usize> = cases
        .iter()
        .filter_map(|case| {
            let (first, _) = replay(case, false)?;
            (first.status == atende_engine::session::SessionStatus::Waiting).then(|| {
                serde_json::to_string(&first.to_json())
                    .map(|s| s.len())
                    .unwrap_or(0)
            })
        })
        .collect();
    sizes.sort_unstable();
    match (sizes.first(), sizes.get(sizes.len() / 2), sizes.last()) {
        (Some(a), Some(m), Some(z)) => format!(
            "{a} / {m} / {z} bytes (min / median / max, {} waiting sessions)",
            sizes.len()
        ),
        _ => "no waiting sessions".into(),
    }
}
