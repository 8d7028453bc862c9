//! The engine's entry points: `start` a session from a trigger, `resume` a waiting one.
//! Each sprint walks nodes (actions, then the router) until the flow waits or ends. Emits
//! events; never does I/O. The run loop, routing, actions and context live in submodules.

use std::sync::Arc;

use atende_excellent::locations::Location;
use atende_excellent::{Environment, RandomSource};
use serde_json::Value as Json;

use crate::contact::{Contact, FieldDef};
use crate::definition::Flow;
use crate::events::Event;
use crate::services::{
    AirtimeService, Classifier, Clock, EmailService, HttpService, LlmService, SendCheck, UrnClaims,
    UuidSource,
};
use crate::session::{RunStatus, Session, SessionStatus};

mod actions;
mod asset_refs;
mod context;
mod dial;
mod evaluate;
mod field_value;
pub(crate) mod groups;
mod modify;
mod router;
mod run_loop;
mod time;
mod trigger;
mod webhook;

pub(crate) use asset_refs::missing_dependency_data;
pub use context::result_key;
pub use context::CONTEXT_KEYS;
pub(crate) use field_value::field_value;
pub(crate) use time::go_time;
pub use time::{format_time, normalise_times};

use context::ContactValues;
use trigger::{input_from_event, input_from_msg, trigger_json};

/// Where legacy flows' relative media paths point (goflow's test default).
pub const LEGACY_MEDIA_URL: &str = "http://temba.io/";

/// Most nodes one sprint may visit (goflow's limit), so a loop in a flow ends.
pub const MAX_STEPS_PER_SPRINT: usize = 100;

/// Longest text a template may produce.
pub const MAX_TEMPLATE_CHARS: usize = 10_000;

/// Longest request/response text a webhook event keeps (longer ones end in `...`), and
/// the biggest body whose JSON becomes a result's `extra` and is persisted in `@webhook`.
pub const MAX_WEBHOOK_TRACE_CHARS: usize = 10_000;

/// Biggest webhook response body read; a bigger one counts as a connection error.
pub const MAX_WEBHOOK_RESPONSE_BYTES: usize = 100_000;

/// Lengths the engine cuts contact values to (goflow's engine settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest contact field value kept (goflow's default 640).
    pub max_field_chars: usize,
    /// Longest contact name kept (goflow's default 128).
    pub max_name_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_field_chars: 640,
            max_name_chars: 128,
        }
    }
}

/// Everything a flow may refer to: flows, fields, groups, channels, globals.
#[derive(Clone, Debug, Default)]
pub struct Assets {
    pub flows: Vec<Flow>,
    pub fields: Vec<FieldDef>,
    pub groups: Vec<Json>,
    pub channels: Vec<Json>,
    pub globals: Vec<Json>,
    pub labels: Vec<Json>,
    /// `{"slug", "subscribers": [url…]}`
    pub resthooks: Vec<Json>,
    pub topics: Vec<Json>,
    pub users: Vec<Json>,
    /// `{"uuid", "name", "type"}`: the LLMs `call_llm` may name.
    pub llms: Vec<Json>,
    /// Channel message templates (WhatsApp): `{"uuid", "name", "translations": [{"channel",
    /// "locale", "components", "variables"}]}`.
    pub templates: Vec<Json>,
    /// The location tree (countries → states → districts → wards), shared with every
    /// session's environment without copying.
    pub locations: Arc<Vec<Location>>,
}

/// Errors for misuse of the engine API (a flow's own mistakes become events instead).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    Assets(String),
    #[error("no flow with UUID {0}")]
    NoSuchFlow(String),
    #[error("trigger: {0}")]
    Trigger(String),
    #[error("resume: {0}")]
    Resume(String),
    #[error("can't resume a session with status {0:?}")]
    NotWaiting(SessionStatus),
}

impl Assets {
    /// Reads a RapidPro/TextIt/Weni asset or export file, migrating every flow to the
    /// current spec (legacy pre-13 definitions first to 13.0.0, then 13.x/14.x steps).
    /// UUIDs that migrations create come from `uuids`.
    pub fn from_json_migrating(
        json: &Json,
        uuids: &mut dyn UuidSource,
    ) -> Result<Assets, EngineError> {
        Self::from_json(&Self::migrate_json(json, uuids)?)
    }

    /// The asset file with every flow migrated to the current spec (what
    /// [`Assets::from_json_migrating`] reads; the server stores this form).
    pub fn migrate_json(json: &Json, uuids: &mut dyn UuidSource) -> Result<Json, EngineError> {
        let mut json = json.clone();
        if let Some(flows) = json.get_mut("flows").and_then(Json::as_array_mut) {
            for flow in flows.iter_mut() {
                if crate::migrations::is_legacy_flow(flow) {
                    let migrated =
                        crate::legacy::migrate_legacy(flow.take(), LEGACY_MEDIA_URL, uuids)
                            .map_err(|e| EngineError::Assets(e.to_string()))?;
                    *flow = migrated;
                }
            }
        }
        crate::migrations::migrate_assets(json, uuids)
            .map_err(|e| EngineError::Assets(e.to_string()))
    }

    /// Reads an asset file whose flows are already at the current spec.
    pub fn from_json(json: &Json) -> Result<Assets, EngineError> {
        let list = |key: &str| -> Vec<Json> {
            json.get(key)
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let mut flows = Vec::new();
        for f in list("flows") {
            flows.push(Flow::read(&f).map_err(|e| EngineError::Assets(e.to_string()))?);
        }
        let fields = serde_json::from_value(Json::Array(list("fields")))
            .map_err(|e| EngineError::Assets(format!("fields: {e}")))?;
        Ok(Assets {
            flows,
            fields,
            groups: list("groups"),
            channels: list("channels"),
            globals: list("globals"),
            labels: list("labels"),
            resthooks: list("resthooks"),
            topics: list("topics"),
            users: list("users"),
            llms: list("llms"),
            templates: list("templates"),
            locations: Arc::new(
                list("locations")
                    .iter()
                    .filter_map(Location::from_json)
                    .collect(),
            ),
        })
    }

    pub fn flow(&self, uuid: &str) -> Option<&Flow> {
        self.flows.iter().find(|f| f.uuid == uuid)
    }
}

/// The injected services a sprint uses. Without an HTTP service webhooks fail as
/// connection errors; without an e-mail, airtime or LLM service the action using it
/// reports an error.
pub struct Services<'a> {
    pub clock: &'a mut dyn Clock,
    pub uuids: &'a mut dyn UuidSource,
    pub random: &'a mut dyn RandomSource,
    pub http: Option<&'a mut dyn HttpService>,
    pub email: Option<&'a mut dyn EmailService>,
    /// Without one `call_classifier` fails, as NLU classifiers are no longer supported.
    pub classifier: Option<&'a mut dyn Classifier>,
    /// Without one `transfer_airtime` reports an error and transfers nothing.
    pub airtime: Option<&'a mut dyn AirtimeService>,
    /// Without one `call_llm` reports an error and its output is `<ERROR>`.
    pub llm: Option<&'a mut dyn LlmService>,
    /// Marks messages the host won't send (content rules); without one all may be sent.
    pub send_check: Option<&'a mut dyn SendCheck>,
    /// Hosts webhooks may not call (`url:blocked`), e.g. a messaging API that must only
    /// be reached through a channel.
    pub blocked_hosts: &'a [&'a str],
    /// Asked before a URN is added to a contact; without one no URN is taken.
    pub urn_claims: Option<&'a mut dyn UrnClaims>,
    pub limits: Limits,
}

impl<'a> Services<'a> {
    /// The required services; the optional ones are added with the `with_*` methods.
    pub fn new(
        clock: &'a mut dyn Clock,
        uuids: &'a mut dyn UuidSource,
        random: &'a mut dyn RandomSource,
    ) -> Services<'a> {
        Services {
            clock,
            uuids,
            random,
            http: None,
            email: None,
            classifier: None,
            airtime: None,
            llm: None,
            send_check: None,
            blocked_hosts: &[],
            urn_claims: None,
            limits: Limits::default(),
        }
    }

    pub fn with_urn_claims(mut self, claims: &'a mut dyn UrnClaims) -> Services<'a> {
        self.urn_claims = Some(claims);
        self
    }

    pub fn with_limits(mut self, limits: Limits) -> Services<'a> {
        self.limits = limits;
        self
    }

    /// A new event stamped now: its v7 UUID is drawn first, then `created_on`, as goflow
    /// does (both take a clock tick).
    pub(crate) fn new_event(&mut self, event_type: &'static str, data: Json) -> Event {
        let uuid = self.uuids.new_v7(self.clock);
        let created_on = time::format_time(self.clock.now());
        let data = match data {
            Json::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        let event = Event {
            uuid,
            event_type,
            created_on,
            data,
        };
        // every event the engine writes has the shape its type has in the catalogue
        #[cfg(debug_assertions)]
        if let Err(problems) = crate::events::catalogue::check(&event.to_json()) {
            panic!("the engine wrote a {event_type} event unlike its type: {problems:?}");
        }
        event
    }

    pub fn with_http(mut self, http: &'a mut dyn HttpService) -> Services<'a> {
        self.http = Some(http);
        self
    }

    pub fn with_classifier(mut self, classifier: &'a mut dyn Classifier) -> Services<'a> {
        self.classifier = Some(classifier);
        self
    }

    pub fn with_airtime(mut self, airtime: &'a mut dyn AirtimeService) -> Services<'a> {
        self.airtime = Some(airtime);
        self
    }

    pub fn with_llm(mut self, llm: &'a mut dyn LlmService) -> Services<'a> {
        self.llm = Some(llm);
        self
    }

    pub fn with_send_check(mut self, check: &'a mut dyn SendCheck) -> Services<'a> {
        self.send_check = Some(check);
        self
    }

    pub fn with_blocked_hosts(mut self, hosts: &'a [&'a str]) -> Services<'a> {
        self.blocked_hosts = hosts;
        self
    }

    pub fn with_email(mut self, email: &'a mut dyn EmailService) -> Services<'a> {
        self.email = Some(email);
        self
    }
}

/// What one sprint produced.
#[derive(Debug, Default)]
pub struct Sprint {
    /// Identifies the sprint (a v4 UUID drawn when it begins).
    pub uuid: String,
    pub events: Vec<Event>,
    /// One `{flow_uuid, node_uuid, exit_uuid, destination_uuid, operand?, time}` per
    /// node-to-node move.
    pub segments: Vec<Json>,
}

/// Starts a session for `contact` from a trigger (`{"type": "manual", "flow": …}`).
pub fn start<'a>(
    assets: &'a Assets,
    env: &'a Environment,
    contact: &'a mut Contact,
    trigger: &Json,
    services: Services<'_>,
) -> Result<(Session, Sprint), EngineError> {
    start_with_call(assets, env, contact, trigger, None, services)
}

/// Starts a session on an IVR call (`{"uuid", "channel": {"uuid", "name"}, "urn"}`),
/// as voice flows run: the session records the call's UUID.
pub fn start_with_call<'a>(
    assets: &'a Assets,
    env: &'a Environment,
    contact: &'a mut Contact,
    trigger: &Json,
    call: Option<&Json>,
    services: Services<'_>,
) -> Result<(Session, Sprint), EngineError> {
    validate_trigger(trigger)?;
    let flow_uuid = trigger
        .pointer("/flow/uuid")
        .and_then(Json::as_str)
        .ok_or_else(|| EngineError::Trigger("field 'flow.uuid' is required".into()))?;
    let flow = assets
        .flow(flow_uuid)
        .ok_or_else(|| EngineError::NoSuchFlow(flow_uuid.into()))?;
    let env = &session_env(assets, env, contact);
    let mut m = Machine::new(assets, env, contact, services);
    let uuid = m.v7();
    m.sprint.uuid = m.services.uuids.new_v4();
    let created_on = m.now();
    let mut session = Session {
        uuid,
        flow_type: serde_json::to_value(flow.flow_type)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        created_on,
        status: SessionStatus::Active,
        trigger: trigger_json(trigger),
        contact_uuid: m.contact.uuid.clone(),
        runs: Vec::new(),
        sprints: 1,
        input: None,
        call_uuid: call
            .and_then(|c| c.get("uuid"))
            .and_then(Json::as_str)
            .map(str::to_owned),
    };
    if trigger.get("type").and_then(Json::as_str) == Some("msg") {
        if let Some(event) = trigger.get("event").filter(|e| e.get("msg").is_some()) {
            session.input = Some(input_from_event(assets, event));
        } else if let Some(msg) = trigger.get("msg") {
            session.input = Some(input_from_msg(msg));
        }
        // the incoming message is when the contact was last seen
        if let Some(on) = trigger.pointer("/event/created_on").and_then(Json::as_str) {
            m.contact.last_seen_on = Some(go_time(on).unwrap_or_else(|| on.to_string()));
        }
    }
    // smart groups may be stale (fields changed outside flows): correct them first
    m.reevaluate_groups();
    // a flow_action trigger names the run that started this session: its run_started
    // event points at it, though the run (in another session) is no parent here
    let triggering_run = trigger
        .pointer("/run_summary/uuid")
        .and_then(Json::as_str)
        .map(str::to_owned);
    let has_trigger_parent = triggering_run.is_some();
    m.start_run(&mut session, flow, triggering_run, false);
    if has_trigger_parent {
        session.runs[0].parent_uuid = None;
    }
    // a run started by an incoming message has had its input
    session.runs[0].had_input = session.input.is_some();
    m.run_until_wait(&mut session);
    Ok((session, m.finish()))
}

/// The checks goflow makes when reading a trigger, beyond its flow.
fn validate_trigger(trigger: &Json) -> Result<(), EngineError> {
    let kind = trigger
        .get("type")
        .and_then(Json::as_str)
        .unwrap_or_default();
    let event_type = trigger.pointer("/event/type").and_then(Json::as_str);
    if kind == "campaign" && event_type.is_some_and(|t| t != "campaign_fired") {
        return Err(EngineError::Trigger(
            "campaign trigger event must be of type campaign_fired".into(),
        ));
    }
    if let Some(km) = trigger.get("keyword_match") {
        if km
            .get("type")
            .and_then(Json::as_str)
            .is_none_or(str::is_empty)
        {
            return Err(EngineError::Trigger(
                "field 'keyword_match.type' is required".into(),
            ));
        }
    }
    Ok(())
}

/// Resumes a waiting session with `{"type": "msg" | "wait_timeout" | "wait_expiration" |
/// "dial", …}`; a `dial` resume's `event.dial` is `@resume.dial`.
pub fn resume<'a>(
    assets: &'a Assets,
    env: &'a Environment,
    session: &mut Session,
    contact: &'a mut Contact,
    resume: &Json,
    services: Services<'_>,
) -> Result<Sprint, EngineError> {
    if session.status != SessionStatus::Waiting {
        return Err(EngineError::NotWaiting(session.status));
    }
    let kind = resume
        .get("type")
        .and_then(Json::as_str)
        .ok_or_else(|| EngineError::Resume("field 'type' is required".into()))?
        .to_string();
    let Some(run_idx) = session.active_run_index() else {
        return Err(EngineError::Resume("session has no waiting run".into()));
    };
    check_resume_fits_wait(assets, session, run_idx, &kind)?;
    let env = &session_env(assets, env, contact);
    let mut m = Machine::new(assets, env, contact, services);
    m.resume = Some(resume.clone());
    m.sprint.uuid = m.services.uuids.new_v4();
    session.sprints += 1;
    session.status = SessionStatus::Active;
    match kind.as_str() {
        "msg" => {
            let input =
                match resume.get("event") {
                    Some(event) if event.get("msg").is_some() => input_from_event(assets, event),
                    _ => input_from_msg(resume.get("msg").ok_or_else(|| {
                        EngineError::Resume("field 'event.msg' is required".into())
                    })?),
                };
            session.input = Some(input);
            // a run's first input modifies it
            if !session.runs[run_idx].had_input {
                session.runs[run_idx].had_input = true;
                session.runs[run_idx].modified_on = m.now();
            }
            m.resume_wait(session, run_idx, false);
        }
        "wait_timeout" => m.resume_wait(session, run_idx, true),
        "dial" => m.resume_wait(session, run_idx, false),
        "wait_expiration" | "run_expiration" => {
            // the waiting run expires; a parent it was called from routes on (its
            // `@child.status` is `expired`), its segment starting at the waiting node
            m.last_node = session.runs[run_idx]
                .path
                .last()
                .map(|s| s.node_uuid.clone());
            m.end_run(session, run_idx, RunStatus::Expired);
        }
        other => {
            return Err(EngineError::Resume(format!(
                "unknown resume type '{other}'"
            )))
        }
    }
    m.run_until_wait(session);
    Ok(m.finish())
}

/// A `dial` resume only ends a dial wait, and message and timeout resumes only a
/// message wait (expirations end any wait).
fn check_resume_fits_wait(
    assets: &Assets,
    session: &Session,
    run_idx: usize,
    kind: &str,
) -> Result<(), EngineError> {
    let run = &session.runs[run_idx];
    let wait = run
        .flow
        .get("uuid")
        .and_then(Json::as_str)
        .and_then(|f| assets.flow(f))
        .zip(run.path.last())
        .and_then(|(flow, step)| flow.node(&step.node_uuid))
        .and_then(|node| node.router.as_ref())
        .and_then(|router| router.wait.as_ref());
    let wait_type = match wait {
        Some(crate::definition::Wait::Dial { .. }) => "dial",
        Some(crate::definition::Wait::Msg { .. }) => "msg",
        None => return Ok(()),
    };
    let fits = match kind {
        "dial" => wait_type == "dial",
        "msg" | "wait_timeout" => wait_type == "msg",
        _ => true,
    };
    if fits {
        Ok(())
    } else {
        Err(EngineError::Resume(format!(
            "resume of type {kind} not accepted by wait of type {wait_type}"
        )))
    }
}

/// The environment a session runs in: the workspace's, with the contact's country
/// filled in when the workspace sets none (from the channel, else the phone number).
fn session_env(assets: &Assets, env: &Environment, contact: &Contact) -> Environment {
    let mut env = env.clone();
    if env.locations.is_none() && !assets.locations.is_empty() {
        env.locations = Some(assets.locations.clone());
    }
    if env.default_country.is_empty() {
        let from_channel = assets
            .channels
            .iter()
            .find_map(|ch| ch.get("country").and_then(Json::as_str))
            .map(str::to_owned);
        if let Some(c) = from_channel.or_else(|| tel_country(contact)) {
            env.default_country = c;
        }
    }
    env
}

/// The country of the contact's first phone number (`tel:+1206…` → `US`).
fn tel_country(contact: &Contact) -> Option<String> {
    thread_local! {
        // phone metadata parsing is costly and every message asks: remember the last number
        static LAST: std::cell::RefCell<Option<(String, Option<String>)>> =
            const { std::cell::RefCell::new(None) };
    }
    let tel = contact
        .urns
        .iter()
        .map(|u| crate::contact::urn_identity(u))
        .find_map(|u| u.strip_prefix("tel:"))?;
    if let Some(hit) = LAST.with(|l| {
        l.borrow()
            .as_ref()
            .filter(|(t, _)| t == tel)
            .map(|(_, c)| c.clone())
    }) {
        return hit;
    }
    let country = phonenumber::parse(None, tel)
        .ok()
        .and_then(|p| p.country().id())
        .map(|id| format!("{id:?}"));
    LAST.with(|l| *l.borrow_mut() = Some((tel.to_string(), country.clone())));
    country
}

struct Machine<'a, 's> {
    assets: &'a Assets,
    env: &'a Environment,
    contact: &'a mut Contact,
    services: Services<'s>,
    sprint: Sprint,
    /// Segments with the index of the run that took them.
    segments: Vec<(usize, Json)>,
    /// The node the sprint last arrived at: a segment starts there even when another
    /// run takes the exit (a parent routing on after its child ended).
    last_node: Option<String>,
    /// The contact as last turned into context values, with those values.
    contact_cache: std::cell::RefCell<Option<(Contact, ContactValues)>>,
    steps: usize,
    /// The resume that started this sprint (`@resume`).
    resume: Option<Json>,
    /// The node whose service action failed for want of the service (Weni's
    /// `call_brain`, `call_wenigpt`, …): its router leaves by its Failure category.
    failed_node: Option<String>,
}

impl<'a, 's> Machine<'a, 's> {
    fn new(
        assets: &'a Assets,
        env: &'a Environment,
        contact: &'a mut Contact,
        services: Services<'s>,
    ) -> Machine<'a, 's> {
        Machine {
            assets,
            env,
            contact,
            services,
            sprint: Sprint::default(),
            segments: Vec::new(),
            last_node: None,
            contact_cache: Default::default(),
            steps: 0,
            resume: None,
            failed_node: None,
        }
    }
}

/// Where the loop goes next for a run.
enum Next {
    Node(String),
    Wait,
    End(RunStatus),
    /// A subflow started: the loop goes on with the child run.
    Child,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::services::HttpRequest;

    struct StubHttp;

    impl HttpService for StubHttp {
        fn request(&mut self, req: &HttpRequest) -> Result<crate::services::HttpResponse, String> {
            if req.url.contains("down") {
                return Err("unable to connect to server".into());
            }
            Ok(crate::services::HttpResponse {
                status: 200,
                headers: vec![],
                body: r#"{"ok":true}"#.into(),
            })
        }
    }

    /// A legacy webhook ruleset POSTs the run's summary; its result's extra shows in
    /// `@legacy_extra` as the server wrote it, and `@results` renders as `Name: value`.
    #[test]
    fn legacy_webhook_body_and_extra() {
        let legacy = json!({"flows": [{
            "entry": "a1", "base_language": "eng", "flow_type": "M", "version": "11.12",
            "metadata": {"name": "Hook", "uuid": "f1", "revision": 3},
            "action_sets": [{"uuid": "a2", "x": 0, "y": 100, "destination": null, "exit_uuid": "x2",
                "actions": [{"type": "reply", "uuid": "r1", "msg": {"eng": "@extra.Webhook_Result | @flow"}}]}],
            "rule_sets": [{"uuid": "a1", "x": 0, "y": 0, "label": "Webhook Result", "ruleset_type": "webhook",
                "operand": "@step.value", "finished_key": null, "response_type": "",
                "config": {"webhook": "http://temba.io/hook", "webhook_action": "POST", "webhook_headers": []},
                "rules": [
                    {"uuid": "u1", "category": {"eng": "Success"}, "destination": "a2", "destination_type": "A",
                     "test": {"type": "webhook_status", "status": "success"}},
                    {"uuid": "u2", "category": {"eng": "Failure"}, "destination": null,
                     "test": {"type": "webhook_status", "status": "failure"}}
                ]}]
        }]});
        let mut uuids = crate::services::SeededUuids::new(1);
        let assets = Assets::from_json_migrating(&legacy, &mut uuids).unwrap();
        let env = Environment::default();
        let mut contact = Contact::from_json(&json!({
            "uuid": "c1", "name": "Bob", "status": "active", "urns": ["tel:+5511987654321"]
        }))
        .unwrap();
        let start_at: jiff::Timestamp = "2025-05-04T12:30:45Z".parse().unwrap();
        let mut clock =
            crate::services::SequentialClock::new(start_at, jiff::SignedDuration::from_secs(1));
        let mut random = atende_excellent::Pcg::new(1, 1);
        let mut http = crate::services::MockHttp::from_json(Some(&json!({
            "http://temba.io/hook": [{"status": 200, "body": "{ \"ok\": true }"}]
        })));
        let trigger = json!({
            "type": "msg", "flow": {"uuid": "f1", "name": "Hook"}, "triggered_on": "2000-01-01T00:00:00Z",
            "event": {"type": "msg_received", "created_on": "2000-01-01T00:00:00Z",
                "msg": {"uuid": "m1", "urn": "tel:+5511987654321", "text": "oi"}}
        });
        let (_, sprint) = start(
            &assets,
            &env,
            &mut contact,
            &trigger,
            Services::new(&mut clock, &mut uuids, &mut random).with_http(&mut http),
        )
        .unwrap();
        let call = sprint
            .events
            .iter()
            .find(|e| e.event_type == "webhook_called")
            .unwrap();
        let request = call.data["request"].as_str().unwrap();
        assert!(request.contains("Content-Type: application/json"));
        let body: Json = serde_json::from_str(request.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["contact"]["urn"], json!("tel:+5511987654321"));
        assert_eq!(body["contact"]["name"], json!("Bob"));
        assert_eq!(body["input"]["text"], json!("oi"));
        assert_eq!(body["flow"]["revision"], json!(3));
        assert_eq!(body["path"].as_array().map(Vec::len), Some(1));
        let reply = sprint
            .events
            .iter()
            .find(|e| e.event_type == "msg_created")
            .unwrap();
        assert_eq!(
            reply.data["msg"]["text"],
            json!("{ \"ok\": true } | Webhook Result: 200")
        );
    }

    /// Contact actions, smart groups and a webhook, end to end through `start`.
    #[test]
    fn contact_actions_groups_and_webhooks() {
        let assets = Assets::from_json(&json!({
            "flows": [{
                "uuid": "f1", "name": "Actions", "spec_version": "14.4.2", "language": "eng",
                "type": "messaging", "nodes": [{
                    "uuid": "n1",
                    "actions": [
                        {"uuid": "a1", "type": "add_contact_groups", "groups": [{"uuid": "3f65d88a-95dc-4140-9451-943e94e06fea", "name": "Testers"}]},
                        {"uuid": "a2", "type": "set_contact_field", "field": {"key": "gender", "name": "Gender"}, "value": "Male"},
                        {"uuid": "a3", "type": "add_contact_urn", "scheme": "twitter", "path": "bob"},
                        {"uuid": "a4", "type": "call_webhook", "method": "GET", "url": "http://temba.io/x", "result_name": "Call"},
                        {"uuid": "a5", "type": "call_webhook", "method": "GET", "url": "http://down.io/", "result_name": "Down"},
                        {"uuid": "a6", "type": "set_contact_status", "status": "stopped"}
                    ],
                    "exits": [{"uuid": "e1"}]
                }]
            }],
            "fields": [{"uuid": "fd", "key": "gender", "name": "Gender", "type": "text"}],
            "groups": [{"uuid": "3f65d88a-95dc-4140-9451-943e94e06fea", "name": "Testers"}, {"uuid": "b7cf0d83-f1c9-411c-96fd-c511a4cfa86d", "name": "Smart", "query": "gender = male"}]
        }))
        .unwrap();
        let env = Environment::default();
        let mut contact =
            Contact::from_json(&json!({"uuid": "c1", "name": "Bob", "status": "active"})).unwrap();
        let start_at: jiff::Timestamp = "2025-05-04T12:30:45Z".parse().unwrap();
        let mut clock =
            crate::services::SequentialClock::new(start_at, jiff::SignedDuration::from_secs(1));
        let mut uuids = crate::services::SeededUuids::new(1);
        let mut random = atende_excellent::Pcg::new(1, 1);
        let mut http = StubHttp;
        let trigger = json!({"type": "manual", "flow": {"uuid": "f1", "name": "Actions"}, "triggered_on": "2000-01-01T00:00:00Z"});
        let (session, sprint) = start(
            &assets,
            &env,
            &mut contact,
            &trigger,
            Services::new(&mut clock, &mut uuids, &mut random).with_http(&mut http),
        )
        .unwrap();
        let types: Vec<&str> = sprint.events.iter().map(|e| e.event_type).collect();
        assert_eq!(
            types,
            [
                "run_started",
                "contact_groups_changed", // Testers
                "contact_field_changed",
                "contact_groups_changed", // Smart, from its query
                "contact_urns_changed",
                "webhook_called",
                "run_result_changed",
                "webhook_called",
                "run_result_changed",
                "contact_status_changed",
                "contact_groups_changed", // stopping leaves every group, smart ones first
                "run_ended"
            ]
        );
        assert_eq!(
            sprint.events[1].data["groups_added"],
            json!([{"uuid": "3f65d88a-95dc-4140-9451-943e94e06fea", "name": "Testers"}])
        );
        assert_eq!(
            sprint.events[10].data["groups_removed"],
            json!([{"uuid": "b7cf0d83-f1c9-411c-96fd-c511a4cfa86d", "name": "Smart"}, {"uuid": "3f65d88a-95dc-4140-9451-943e94e06fea", "name": "Testers"}])
        );
        assert_eq!(sprint.events[5].data["status"], json!("success"));
        assert_eq!(sprint.events[6].data["extra"], json!({"ok": true}));
        assert_eq!(sprint.events[7].data["status"], json!("connection_error"));
        assert_eq!(sprint.events[8].data["category"], json!("Failure"));
        assert_eq!(
            session.runs[0].results["call"]["input"],
            json!("GET http://temba.io/x")
        );
        assert!(contact.groups.is_empty());
        assert_eq!(contact.urns, ["twitter:bob"]);
    }
}
