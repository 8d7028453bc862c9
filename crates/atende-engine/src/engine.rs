//! The run loop: starts sessions from triggers and resumes waiting ones, walking nodes
//! (actions, then the router) until the flow waits or ends. Emits events; never does I/O.

use std::sync::Arc;

use atende_excellent::locations::{Level, Location};
use atende_excellent::{Environment, Evaluator, Object, RandomSource, Template, Value};
use serde_json::{json, Map, Value as Json};

use crate::contact::{Contact, FieldDef, FieldValue, GroupRef};
use crate::definition::action::{Action, ActionKind, AssetRef};
use crate::definition::{Flow, Node, Wait};
use crate::events::Event;
use crate::services::{Clock, EmailService, HttpRequest, HttpService, UuidSource};
use crate::session::{Run, RunStatus, Session, SessionStatus, Step};

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
    /// The location tree (countries → states → districts → wards).
    pub locations: Vec<Location>,
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
        let json = crate::migrations::migrate_assets(json, uuids)
            .map_err(|e| EngineError::Assets(e.to_string()))?;
        Self::from_json(&json)
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
            locations: list("locations")
                .iter()
                .filter_map(Location::from_json)
                .collect(),
        })
    }

    pub fn flow(&self, uuid: &str) -> Option<&Flow> {
        self.flows.iter().find(|f| f.uuid == uuid)
    }
}

/// The injected services a sprint uses. Without an HTTP service webhooks fail as
/// connection errors; without an e-mail service `send_email` reports an error.
pub struct Services<'a> {
    pub clock: &'a mut dyn Clock,
    pub uuids: &'a mut dyn UuidSource,
    pub random: &'a mut dyn RandomSource,
    pub http: Option<&'a mut dyn HttpService>,
    pub email: Option<&'a mut dyn EmailService>,
}

impl<'a> Services<'a> {
    /// The required services; HTTP and e-mail are added with the `with_*` methods.
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
        }
    }

    pub fn with_http(mut self, http: &'a mut dyn HttpService) -> Services<'a> {
        self.http = Some(http);
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
    let flow_uuid = trigger
        .pointer("/flow/uuid")
        .and_then(Json::as_str)
        .ok_or_else(|| EngineError::Trigger("field 'flow.uuid' is required".into()))?;
    let flow = assets
        .flow(flow_uuid)
        .ok_or_else(|| EngineError::NoSuchFlow(flow_uuid.into()))?;
    let env = &session_env(assets, env, contact);
    let mut m = Machine {
        assets,
        env,
        contact,
        services,
        sprint: Sprint::default(),
        segments: Vec::new(),
        last_node: None,
        contact_cache: Default::default(),
        steps: 0,
    };
    let uuid = m.v7();
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
        call_uuid: None,
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

/// Resumes a waiting session with `{"type": "msg" | "wait_timeout" | "wait_expiration", …}`.
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
    let env = &session_env(assets, env, contact);
    let mut m = Machine {
        assets,
        env,
        contact,
        services,
        sprint: Sprint::default(),
        segments: Vec::new(),
        last_node: None,
        contact_cache: Default::default(),
        steps: 0,
    };
    session.sprints += 1;
    session.status = SessionStatus::Active;
    let Some(run_idx) = session.active_run_index() else {
        return Err(EngineError::Resume("session has no waiting run".into()));
    };
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
            session.runs[run_idx].had_input = true;
            m.resume_wait(session, run_idx, false);
        }
        "wait_timeout" => m.resume_wait(session, run_idx, true),
        "wait_expiration" | "run_expiration" => {
            // expiration ends every run of the session
            for i in (0..session.runs.len()).rev() {
                if !session.runs[i].status.is_exited() {
                    m.end_run(session, i, RunStatus::Expired);
                }
            }
            session.status = SessionStatus::Completed;
            return Ok(m.finish());
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

/// The environment a session runs in: the workspace's, with the contact's country
/// filled in when the workspace sets none (from the channel, else the phone number).
fn session_env(assets: &Assets, env: &Environment, contact: &Contact) -> Environment {
    let mut env = env.clone();
    if env.locations.is_none() && !assets.locations.is_empty() {
        env.locations = Some(Arc::new(assets.locations.clone()));
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
    let tel = contact
        .urns
        .iter()
        .map(|u| crate::contact::urn_identity(u))
        .find_map(|u| u.strip_prefix("tel:"))?;
    let parsed = phonenumber::parse(None, tel).ok()?;
    let id = parsed.country().id()?;
    Some(format!("{id:?}"))
}

/// The session input from a `msg_received` event (of a msg trigger or resume): the
/// message with the event's UUID and time. Channel references resolve against the
/// assets (their current name); a channel the workspace does not have is dropped.
fn input_from_event(assets: &Assets, event: &Json) -> Json {
    let mut input = input_from_msg(&event["msg"]);
    if let Some(uuid) = input.pointer("/channel/uuid").and_then(Json::as_str) {
        let known = assets
            .channels
            .iter()
            .find(|c| c.get("uuid").and_then(Json::as_str) == Some(uuid));
        match known {
            Some(ch) => input["channel"] = json!({ "uuid": ch["uuid"], "name": ch["name"] }),
            None => {
                if let Some(o) = input.as_object_mut() {
                    o.remove("channel");
                }
            }
        }
    }
    if let Some(uuid) = event.get("uuid") {
        input["uuid"] = uuid.clone();
    }
    if let Some(c) = event.get("created_on") {
        input["created_on"] = c.clone();
    }
    input
}

fn input_from_msg(msg: &Json) -> Json {
    let mut input = Map::new();
    input.insert("type".into(), json!("msg"));
    input.insert("text".into(), msg.get("text").cloned().unwrap_or(json!("")));
    for key in [
        "uuid",
        "urn",
        "channel",
        "attachments",
        "external_id",
        "created_on",
    ] {
        if let Some(v) = msg.get(key) {
            if !v.is_null() && v != &json!("") && v != &json!([]) {
                input.insert(key.into(), v.clone());
            }
        }
    }
    Json::Object(input)
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
}

/// Where the loop goes next for a run.
enum Next {
    Node(String),
    Wait,
    End(RunStatus),
    /// A subflow started: the loop goes on with the child run.
    Child,
}

impl<'a> Machine<'a, '_> {
    /// The sprint's output.
    fn finish(mut self) -> Sprint {
        self.sprint.segments = self.segments.into_iter().map(|(_, s)| s).collect();
        self.sprint
    }

    fn now(&mut self) -> String {
        format_time(self.services.clock.now())
    }

    fn v7(&mut self) -> String {
        self.services.uuids.new_v7(self.services.clock)
    }

    fn event(&mut self, event_type: &'static str, data: Json) {
        let uuid = self.v7();
        let created_on = self.now();
        let data = match data {
            Json::Object(m) => m,
            _ => Map::new(),
        };
        self.sprint.events.push(Event {
            uuid,
            event_type,
            created_on,
            data,
        });
    }

    fn start_run(
        &mut self,
        session: &mut Session,
        flow: &Flow,
        parent: Option<String>,
        terminal: bool,
    ) {
        let created_on = self.now();
        let uuid = self.v7();
        let parent_for_event = parent.clone();
        let run = Run {
            uuid: uuid.clone(),
            flow: flow_ref(flow),
            status: RunStatus::Active,
            path: Vec::new(),
            results: Map::new(),
            locals: Map::new(),
            webhook: None,
            parent_uuid: parent,
            had_input: false,
            modified_on: created_on.clone(),
            created_on,
            exited_on: None,
        };
        session.runs.push(run);
        let mut data = json!({ "flow": flow_ref(flow), "run_uuid": uuid });
        if let Some(p) = parent_for_event {
            data["parent_uuid"] = json!(p);
        }
        if terminal {
            data["terminal"] = json!(true);
        }
        self.event("run_started", data);
    }

    fn flow_of(&self, run: &Run) -> Option<&'a Flow> {
        let uuid = run.flow.get("uuid").and_then(Json::as_str)?;
        self.assets.flow(uuid)
    }

    /// Runs the active run from its current position until a wait or the end.
    fn run_until_wait(&mut self, session: &mut Session) {
        loop {
            let Some(idx) = session.active_run_index() else {
                session.status = SessionStatus::Completed;
                return;
            };
            let run = &session.runs[idx];
            let Some(flow) = self.flow_of(run) else {
                self.end_run(session, idx, RunStatus::Failed);
                continue;
            };
            let next = match run.path.last() {
                // a fresh run starts at the first node
                None => match flow.nodes.first() {
                    Some(n) => Next::Node(n.uuid.clone()),
                    None => Next::End(RunStatus::Completed),
                },
                Some(_) if run.status == RunStatus::Waiting => {
                    session.status = SessionStatus::Waiting;
                    return;
                }
                // a parent whose child just ended routes on from the node it was at
                Some(step) => match flow.node(&step.node_uuid) {
                    Some(node) => self.route(session, idx, flow, node, false),
                    None => Next::End(RunStatus::Failed),
                },
            };
            match self.walk(session, idx, flow, next) {
                Next::Child => continue,
                Next::Wait => {
                    session.status = SessionStatus::Waiting;
                    return;
                }
                Next::End(status) => {
                    self.end_run(session, idx, status);
                    if status == RunStatus::Failed {
                        session.status = SessionStatus::Failed;
                        return;
                    }
                    if session.active_run_index().is_none() {
                        session.status = SessionStatus::Completed;
                        return;
                    }
                }
                Next::Node(_) => unreachable!("walk only returns waits, ends and children"),
            }
        }
    }

    fn end_run(&mut self, session: &mut Session, idx: usize, status: RunStatus) {
        let now = self.now();
        let run = &mut session.runs[idx];
        run.status = status;
        run.exited_on = Some(now.clone());
        run.modified_on = now;
        let flow = run.flow.clone();
        let run_uuid = run.uuid.clone();
        self.event(
            "run_ended",
            json!({ "flow": flow, "run_uuid": run_uuid, "status": status.as_str() }),
        );
    }

    /// Visits nodes from `next` until the run waits or ends.
    fn walk(&mut self, session: &mut Session, idx: usize, flow: &'a Flow, mut next: Next) -> Next {
        loop {
            let node_uuid = match next {
                Next::Node(u) => u,
                other => return other,
            };
            self.steps += 1;
            if self.steps > MAX_STEPS_PER_SPRINT {
                self.event(
                    "failure",
                    json!({ "text": format!("Reached maximum number of steps per sprint ({MAX_STEPS_PER_SPRINT})") }),
                );
                return Next::End(RunStatus::Failed);
            }
            let Some(node) = flow.node(&node_uuid) else {
                return Next::End(RunStatus::Failed);
            };
            let arrived_on = self.now();
            session.runs[idx].modified_on = arrived_on.clone();
            self.last_node = Some(node.uuid.clone());
            session.runs[idx].path.push(Step {
                node_uuid: node.uuid.clone(),
                arrived_on,
                exit_uuid: None,
                uuid: None,
            });
            // a subflow starts once the node's other actions have run
            let mut child_flow: Option<(&'a Flow, bool)> = None;
            for action in &node.actions {
                if let ActionKind::EnterFlow(a) = &action.kind {
                    match self.assets.flow(&a.flow.uuid) {
                        Some(child) => child_flow = Some((child, a.terminal)),
                        None => {
                            self.event(
                                "error",
                                json!({ "text": format!("missing dependency: flow[uuid={},name={}]", a.flow.uuid, a.flow.name) }),
                            );
                            return Next::End(RunStatus::Failed);
                        }
                    }
                    continue;
                }
                self.execute(session, idx, flow, node, action);
            }
            if let Some((child, terminal)) = child_flow {
                let parent = session.runs[idx].uuid.clone();
                // a terminal subflow replaces its parent, which ends first
                if terminal {
                    self.end_run(session, idx, RunStatus::Completed);
                }
                self.start_run(session, child, Some(parent), terminal);
                return Next::Child;
            }
            if let Some(router) = &node.router {
                if let Some(wait) = &router.wait {
                    self.begin_wait(session, idx, flow, wait);
                    return Next::Wait;
                }
            }
            next = self.route(session, idx, flow, node, false);
        }
    }

    fn begin_wait(&mut self, session: &mut Session, idx: usize, flow: &Flow, wait: &Wait) {
        session.runs[idx].status = RunStatus::Waiting;
        let minutes = flow.expire_after_minutes.unwrap_or(match flow.flow_type {
            crate::definition::FlowType::Voice => 5,
            _ => 4320,
        });
        let expires = self
            .services
            .clock
            .now()
            .checked_add(jiff::SignedDuration::from_mins(minutes))
            .map(format_time)
            .unwrap_or_default();
        let mut data = json!({ "expires_on": expires });
        if let Wait::Msg { timeout, hint } = wait {
            if let Some(t) = timeout {
                data["timeout_seconds"] = json!(t.seconds);
            }
            if let Some(h) = hint {
                data["hint"] = h.clone();
            }
        }
        self.event("msg_wait", data);
        session.runs[idx].modified_on = self.now();
    }

    /// Resumes the waiting node of run `idx` (routing on the new input or the timeout).
    fn resume_wait(&mut self, session: &mut Session, idx: usize, timed_out: bool) {
        session.runs[idx].status = RunStatus::Active;
        let Some(flow) = self.flow_of(&session.runs[idx]) else {
            return;
        };
        let Some(node) = session.runs[idx]
            .path
            .last()
            .and_then(|s| flow.node(&s.node_uuid))
        else {
            return;
        };
        let next = self.route(session, idx, flow, node, timed_out);
        match self.walk(session, idx, flow, next) {
            Next::Wait | Next::Child => {}
            Next::End(status) => {
                self.end_run(session, idx, status);
                if status == RunStatus::Failed {
                    session.status = SessionStatus::Failed;
                }
            }
            Next::Node(_) => {}
        }
    }

    /// Picks the node's exit: through its router, or its only exit.
    fn route(
        &mut self,
        session: &mut Session,
        idx: usize,
        flow: &Flow,
        node: &Node,
        timed_out: bool,
    ) -> Next {
        let mut operand_text: Option<String> = None;
        let exit_uuid = match &node.router {
            None => node.exits.first().map(|e| e.uuid.clone()),
            Some(router) => {
                let mut chosen: Option<(String, Value)> = None;
                let mut test_extra: Option<Json> = None;
                if timed_out {
                    if let Some(Wait::Msg {
                        timeout: Some(t), ..
                    }) = &router.wait
                    {
                        chosen = Some((t.category_uuid.clone(), Value::Null));
                    }
                }
                let mut input_text = String::new();
                if chosen.is_none() {
                    match router.router_type {
                        crate::definition::RouterType::Random => {
                            let n = router.categories.len().max(1) as f64;
                            let i = (self.services.random.next_f64() * n) as usize;
                            chosen = router
                                .categories
                                .get(i)
                                .map(|c| (c.uuid.clone(), Value::Null));
                        }
                        crate::definition::RouterType::Switch => {
                            let (operand, _) = self.evaluate(session, idx, &router.operand);
                            input_text = operand.render();
                            // goflow omits an empty operand from the segment
                            if !input_text.is_empty() {
                                operand_text = Some(input_text.clone());
                            }
                            for case in &router.cases {
                                let mut args = vec![operand.clone()];
                                for a in &case.arguments {
                                    args.push(Value::from(
                                        self.evaluate(session, idx, a).0.render(),
                                    ));
                                }
                                if let Some((m, extra)) = self.test(session, idx, &case.test, &args)
                                {
                                    chosen = Some((case.category_uuid.clone(), m));
                                    test_extra = extra;
                                    break;
                                }
                            }
                            if chosen.is_none() {
                                chosen = router
                                    .default_category_uuid
                                    .clone()
                                    .map(|c| (c, Value::Null));
                            }
                        }
                    }
                }
                let Some((cat_uuid, matched)) = chosen else {
                    return Next::End(RunStatus::Failed);
                };
                let Some(category) = router.categories.iter().find(|c| c.uuid == cat_uuid) else {
                    return Next::End(RunStatus::Failed);
                };
                if !router.result_name.is_empty() {
                    let value = match &matched {
                        Value::Null => input_text.clone(),
                        m => m.render(),
                    };
                    // a router without a wait reads its operand, not the last message
                    let session_input = || {
                        session
                            .input
                            .as_ref()
                            .and_then(|i| i.get("text"))
                            .and_then(Json::as_str)
                            .map(str::to_owned)
                    };
                    let input = if router.wait.is_none() && operand_text.is_some() {
                        operand_text.clone()
                    } else {
                        session_input().or_else(|| operand_text.clone())
                    };
                    self.save_result(
                        session,
                        idx,
                        &router.result_name,
                        &value,
                        &category.name,
                        &node.uuid,
                        input,
                        test_extra,
                    );
                }
                Some(category.exit_uuid.clone())
            }
        };
        let Some(exit_uuid) = exit_uuid else {
            return Next::End(RunStatus::Completed);
        };
        let destination = node
            .exits
            .iter()
            .find(|e| e.uuid == exit_uuid)
            .and_then(|e| e.destination_uuid.clone());
        if let Some(dest) = &destination {
            let time = self.now();
            let from = self.last_node.clone().unwrap_or_else(|| node.uuid.clone());
            let mut seg = json!({
                "flow_uuid": flow.uuid, "node_uuid": from, "exit_uuid": exit_uuid,
                "destination_uuid": dest, "time": time,
            });
            if let Some(op) = operand_text {
                seg["operand"] = json!(op);
            }
            self.segments.push((idx, seg));
        }
        match destination {
            Some(d) => Next::Node(d),
            None => Next::End(RunStatus::Completed),
        }
    }

    /// Calls a router test by name; `Some((match, extra))` when it matched.
    fn test(
        &mut self,
        session: &Session,
        idx: usize,
        name: &str,
        args: &[Value],
    ) -> Option<(Value, Option<Json>)> {
        let def = atende_excellent::functions::lookup(name)?;
        // router tests read only their arguments and the environment
        let _ = (session, idx);
        let root = Value::Object(Arc::new(Object::new()));
        let now = self.services.clock.now();
        let mut ev = Evaluator::new(self.env, &root, now, self.services.random);
        let r = ev.call(&atende_excellent::value::Func::Native(def), args);
        let Value::Object(o) = &r else { return None };
        if o.default.as_ref().and_then(|d| d.to_bool().ok()) == Some(true) {
            // tests like has_pattern return extra values (the groups) kept on the result
            let extra = o
                .get("extra")
                .filter(|e| !e.is_null())
                .and_then(|e| e.to_json_string().ok())
                .and_then(|t| serde_json::from_str::<Json>(&t).ok());
            Some((o.get("match").cloned().unwrap_or(Value::Null), extra))
        } else {
            None
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn save_result(
        &mut self,
        session: &mut Session,
        idx: usize,
        name: &str,
        value: &str,
        category: &str,
        node_uuid: &str,
        input: Option<String>,
        extra: Option<Json>,
    ) {
        let created_on = self.now();
        let mut r = json!({ "name": name, "value": value, "node_uuid": node_uuid, "created_on": created_on });
        if !category.is_empty() {
            r["category"] = json!(category);
        }
        if let Some(i) = input {
            r["input"] = json!(i);
        }
        if let Some(e) = &extra {
            r["extra"] = e.clone();
        }
        let previous = session.runs[idx].results.insert(result_key(name), r);
        let mut data = json!({ "name": name, "value": value });
        if !category.is_empty() {
            data["category"] = json!(category);
        }
        if let Some(e) = extra {
            data["extra"] = e;
        }
        if let Some(p) = previous {
            let mut prev = json!({ "value": p["value"] });
            if let Some(c) = p.get("category") {
                prev["category"] = c.clone();
            }
            data["previous"] = prev;
        }
        self.event("run_result_changed", data);
    }

    /// Evaluates a template in the run's context; errors become `error` events.
    fn evaluate(&mut self, session: &Session, idx: usize, template: &str) -> (Value, String) {
        // Most templates in real flows are plain text: skip building the context.
        if !template.contains('@') {
            return (Value::from(template), truncate_output(template.to_string()));
        }
        let tpl = Template::parse(template, &|n| {
            CONTEXT_KEYS.iter().any(|k| k.eq_ignore_ascii_case(n))
        });
        // build only the top-level values the template names
        let mut names: Vec<String> = Vec::new();
        for seg in &tpl.segments {
            if let atende_excellent::Segment::Expr { expr: Ok(e), .. } = seg {
                referenced_names(e, &mut names);
            }
        }
        let root = self.context_with(session, idx, &|k| {
            names.iter().any(|n| n.eq_ignore_ascii_case(k))
        });
        let now = self.services.clock.now();
        // one evaluation gives both the typed value and the text
        let (value, errors, warnings) = {
            let mut ev = Evaluator::new(self.env, &root, now, self.services.random);
            let (value, errors) = ev.template_value(&tpl);
            (value, errors, std::mem::take(&mut ev.warnings))
        };
        let text = match &value {
            Value::Error(_) => String::new(),
            v => v.render(),
        };
        for w in warnings {
            self.event(
                "warning",
                json!({ "code": "context:deprecated", "text": w }),
            );
        }
        for e in errors {
            self.event("error", expression_error(&e));
        }
        (value, truncate_output(text))
    }

    fn text(&mut self, session: &Session, idx: usize, template: &str) -> String {
        self.evaluate(session, idx, template).1
    }

    /// `@contact`, `@fields` and `@urns`, rebuilt only when the contact changed since
    /// the last evaluation (comparing the contact is far cheaper than building them).
    fn contact_values(&self) -> ContactValues {
        let mut cache = self.contact_cache.borrow_mut();
        if let Some((seen, values)) = cache.as_ref() {
            if seen == &*self.contact {
                return values.clone();
            }
        }
        let values = (
            self.contact.context(&self.assets.fields),
            self.contact.fields_context(&self.assets.fields),
            self.contact.urns_context(),
        );
        *cache = Some((self.contact.clone(), values.clone()));
        values
    }

    /// The Excellent context of run `idx`.
    #[allow(dead_code)]
    fn context(&self, session: &Session, idx: usize) -> Value {
        self.context_with(session, idx, &|_| true)
    }

    /// The context of run `idx` with just the top-level keys `want` accepts (every
    /// key is present so lookups behave the same; unwanted ones are null).
    fn context_with(&self, session: &Session, idx: usize, want: &dyn Fn(&str) -> bool) -> Value {
        let run = &session.runs[idx];
        let mut root = Object::new();
        for key in CONTEXT_KEYS {
            root.insert(*key, Value::Null);
        }
        if want("contact") || want("fields") || want("urns") {
            let (contact, fields, urns) = self.contact_values();
            root.insert("contact", contact);
            root.insert("fields", fields);
            root.insert("urns", urns);
        }
        if want("results") {
            root.insert("results", results_context(&run.results));
        }
        if want("locals") {
            let mut locals = Object::new();
            for (k, v) in &run.locals {
                locals.insert(k.as_str(), atende_excellent::value::from_json(v));
            }
            root.insert("locals", Value::Object(Arc::new(locals)));
        }
        if want("input") {
            let input = match &session.input {
                Some(i) => {
                    let text = i.get("text").and_then(Json::as_str).unwrap_or_default();
                    let mut o = Object::with_default(Value::from(text));
                    if let Value::Object(src) = atende_excellent::value::from_json(i) {
                        for (k, v) in src.iter() {
                            o.insert(k.clone(), v.clone());
                        }
                    }
                    if o.get("text").is_none() {
                        o.insert("text", Value::from(""));
                    }
                    if o.get("attachments").is_none() {
                        o.insert("attachments", Value::array(Vec::new()));
                    }
                    Value::Object(Arc::new(o))
                }
                None => Value::Null,
            };
            root.insert("input", input);
        }
        if want("globals") {
            let mut globals = Object::new();
            for g in &self.assets.globals {
                if let (Some(k), Some(v)) = (
                    g.get("key").and_then(Json::as_str),
                    g.get("value").and_then(Json::as_str),
                ) {
                    globals.insert(k, Value::from(v));
                }
            }
            root.insert("globals", Value::Object(Arc::new(globals)));
        }
        if want("run") {
            let mut run_obj = Object::new();
            run_obj.insert("uuid", Value::from(run.uuid.as_str()));
            run_obj.insert("status", Value::from(run.status.as_str()));
            run_obj.insert("flow", atende_excellent::value::from_json(&run.flow));
            run_obj.insert("results", results_context(&run.results));
            root.insert("run", Value::Object(Arc::new(run_obj)));
        }
        if want("webhook") {
            root.insert(
                "webhook",
                run.webhook
                    .as_ref()
                    .map(webhook_context)
                    .unwrap_or(Value::Null),
            );
        }
        if want("trigger") {
            root.insert(
                "trigger",
                atende_excellent::value::from_json(&session.trigger),
            );
        }
        if want("child") {
            let child = session
                .runs
                .iter()
                .rev()
                .find(|r| r.parent_uuid.as_deref() == Some(run.uuid.as_str()));
            root.insert(
                "child",
                child.map(|r| self.run_summary(r)).unwrap_or(Value::Null),
            );
        }
        if want("parent") {
            let parent = run
                .parent_uuid
                .as_ref()
                .and_then(|p| session.runs.iter().find(|r| &r.uuid == p));
            // a session started by another session's flow sees that run as its parent
            let triggering = session
                .trigger
                .get("run_summary")
                .filter(|_| idx == 0 && run.parent_uuid.is_none());
            let parent_value = match (parent, triggering) {
                (Some(r), _) => self.run_summary(r),
                (None, Some(summary)) => self.summary_context(summary),
                (None, None) => Value::Null,
            };
            root.insert("parent", parent_value);
        }
        if want("legacy_extra") {
            root.insert("legacy_extra", legacy_extra(session, run));
        }
        if want("ticket") {
            root.insert(
                "ticket",
                self.contact
                    .tickets
                    .last()
                    .map(crate::contact::ticket_context)
                    .unwrap_or(Value::Null),
            );
        }
        Value::Object(Arc::new(root))
    }

    /// `@parent` from a flow_action trigger's `run_summary` (a run of another session,
    /// with its own contact).
    fn summary_context(&self, summary: &Json) -> Value {
        let uuid = summary
            .get("uuid")
            .and_then(Json::as_str)
            .unwrap_or_default();
        let status = summary
            .get("status")
            .and_then(Json::as_str)
            .unwrap_or_default();
        let mut o = Object::with_default(Value::from(uuid));
        o.insert("uuid", Value::from(uuid));
        o.insert("status", Value::from(status));
        o.insert(
            "flow",
            summary
                .get("flow")
                .map(atende_excellent::value::from_json)
                .unwrap_or(Value::Null),
        );
        let results = summary
            .get("results")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default();
        o.insert("results", results_context(&results));
        let contact = summary
            .get("contact")
            .and_then(|c| Contact::from_json(c).ok());
        match contact {
            Some(c) => {
                o.insert("contact", c.context(&self.assets.fields));
                o.insert("fields", c.fields_context(&self.assets.fields));
                o.insert("urns", c.urns_context());
            }
            None => {
                for key in ["contact", "fields", "urns"] {
                    o.insert(key, Value::Null);
                }
            }
        }
        Value::Object(Arc::new(o))
    }

    /// `@parent` / `@child`: a related run as flows see it.
    fn run_summary(&self, run: &Run) -> Value {
        let mut o = Object::with_default(Value::from(run.uuid.as_str()));
        o.insert("uuid", Value::from(run.uuid.as_str()));
        o.insert("status", Value::from(run.status.as_str()));
        let mut r = Object::new();
        r.insert("status", Value::from(run.status.as_str()));
        r.deprecated = Some(Arc::from(format!(
            "@{}.run.status is deprecated, use @{}.status instead",
            if run.parent_uuid.is_some() {
                "child"
            } else {
                "parent"
            },
            if run.parent_uuid.is_some() {
                "child"
            } else {
                "parent"
            }
        )));
        o.insert("run", Value::Object(Arc::new(r)));
        o.insert("flow", atende_excellent::value::from_json(&run.flow));
        o.insert("results", results_context(&run.results));
        let (contact, fields, urns) = self.contact_values();
        o.insert("contact", contact);
        o.insert("fields", fields);
        o.insert("urns", urns);
        Value::Object(Arc::new(o))
    }

    fn contact_is_active(&self) -> bool {
        matches!(self.contact.status.as_str(), "" | "active")
    }

    /// Groups or labels an action names: by UUID from the assets, or by a name template
    /// (`name_match`) matched case-insensitively against asset names.
    fn resolve_assets(
        &mut self,
        session: &Session,
        idx: usize,
        refs: &[AssetRef],
        kind: AssetKind,
    ) -> Vec<Json> {
        let list = match kind {
            AssetKind::Group => &self.assets.groups,
            AssetKind::Label => &self.assets.labels,
        };
        let mut out = Vec::new();
        for r in refs {
            let found = if !r.uuid.is_empty() {
                list.iter()
                    .find(|a| a.get("uuid").and_then(Json::as_str) == Some(r.uuid.as_str()))
                    .cloned()
            } else if !r.name_match.is_empty() {
                let name = self.text(session, idx, &r.name_match).trim().to_lowercase();
                list.iter()
                    .find(|a| {
                        a.get("name")
                            .and_then(Json::as_str)
                            .is_some_and(|n| n.trim().to_lowercase() == name)
                    })
                    .cloned()
            } else {
                None
            };
            match found {
                Some(a) => out.push(a),
                None if !r.uuid.is_empty() => {
                    let what = match kind {
                        AssetKind::Group => "group",
                        AssetKind::Label => "label",
                    };
                    self.event(
                        "error",
                        json!({ "text": format!("missing dependency: {what}[uuid={},name={}]", r.uuid, r.name) }),
                    );
                }
                None => {}
            }
        }
        out
    }

    /// Sets the contact's status; leaving `active` takes the contact out of every group
    /// (smart groups first, then the others), coming back re-evaluates smart groups.
    fn set_status(&mut self, status: &str) {
        if status == self.contact.status {
            return;
        }
        self.contact.status = status.to_string();
        self.event("contact_status_changed", json!({ "status": status }));
        if self.contact_is_active() {
            self.reevaluate_groups();
            return;
        }
        let groups = std::mem::take(&mut self.contact.groups);
        let is_smart = |g: &GroupRef| {
            self.assets
                .groups
                .iter()
                .any(|a| a["uuid"] == json!(g.uuid) && group_query(a).is_some())
        };
        let (smart, manual): (Vec<GroupRef>, Vec<GroupRef>) =
            groups.into_iter().partition(|g| is_smart(g));
        let removed: Vec<Json> = smart
            .iter()
            .chain(&manual)
            .map(|g| json!({ "uuid": g.uuid, "name": g.name }))
            .collect();
        if !removed.is_empty() {
            self.event(
                "contact_groups_changed",
                json!({ "groups_removed": removed }),
            );
        }
    }

    /// Brings the contact's smart (query) groups up to date after a change, emitting
    /// `contact_groups_changed` when membership moved. Queries this engine cannot
    /// evaluate leave membership as it was.
    fn reevaluate_groups(&mut self) {
        let active = self.contact_is_active();
        let mut added = Vec::new();
        let mut removed = Vec::new();
        for g in &self.assets.groups {
            let Some(query) = group_query(g) else {
                continue;
            };
            let r = asset_ref(g);
            let member = self.contact.groups.iter().any(|x| x.uuid == r.uuid);
            let should = active
                && crate::contact::query_matches(self.contact, query, &self.assets.fields)
                    .unwrap_or(member);
            if should && !member {
                added.push(json!({ "uuid": r.uuid, "name": r.name }));
                self.contact.groups.push(r);
            } else if !should && member {
                self.contact.groups.retain(|x| x.uuid != r.uuid);
                removed.push(json!({ "uuid": r.uuid, "name": r.name }));
            }
        }
        if added.is_empty() && removed.is_empty() {
            return;
        }
        let mut data = json!({});
        if !added.is_empty() {
            data["groups_added"] = json!(added);
        }
        if !removed.is_empty() {
            data["groups_removed"] = json!(removed);
        }
        self.event("contact_groups_changed", data);
    }

    /// Makes one HTTP request through the HTTP service, timing it with the clock and
    /// recording the Go wire-format texts webhook events carry.
    fn http_call(
        &mut self,
        method: &str,
        url: &str,
        headers: Vec<(String, String)>,
        body: String,
        resthook: Option<&str>,
    ) -> WebhookCall {
        let request = HttpRequest {
            method: method.to_string(),
            url: url.to_string(),
            headers,
            body,
        };
        let request_trace = request_text(&request);
        let start = self.services.clock.now();
        let result = match self.services.http.as_deref_mut() {
            Some(http) => http.request(&request),
            None => Err("no HTTP service available".to_string()),
        };
        let end = self.services.clock.now();
        let elapsed = end.duration_since(start).as_millis().max(0);
        let mut call = WebhookCall {
            method: method.to_string(),
            url: url.to_string(),
            status: 0,
            headers: None,
            body: String::new(),
            request_trace,
            response_trace: None,
            outcome: "connection_error",
            elapsed_ms: elapsed as i64,
            resthook: resthook.map(str::to_owned),
            response_size: 0,
        };
        if let Ok(resp) = result {
            call.status = resp.status;
            call.response_trace = Some(response_text(&resp));
            call.headers = Some(resp.headers.clone());
            call.response_size = call.response_trace.as_ref().map_or(0, String::len);
            if resp.body.len() > MAX_WEBHOOK_RESPONSE_BYTES {
                // the body is not read: the call counts as failed to connect
                call.response_trace = Some(response_text(&crate::services::HttpResponse {
                    body: String::new(),
                    ..resp.clone()
                }));
                call.body = String::new();
                self.event(
                    "warning",
                    json!({ "code": "webhook:response_size", "text": format!("Webhook response exceeded the limit of {MAX_WEBHOOK_RESPONSE_BYTES} bytes"), "extra": { "limit": MAX_WEBHOOK_RESPONSE_BYTES.to_string() } }),
                );
            } else {
                call.body = resp.body;
                call.outcome = if (200..300).contains(&resp.status) {
                    "success"
                } else {
                    "response_error"
                };
            }
        }
        let mut data = json!({
            "url": call.url,
            "request": truncate_trace(&call.request_trace),
            "elapsed_ms": call.elapsed_ms,
            "retries": 0,
            "status": call.outcome,
            "sizes": {
                "request": call.request_trace.len(),
                "response": call.response_size,
            },
        });
        if call.status != 0 {
            data["status_code"] = json!(call.status);
        }
        if let Some(r) = &call.response_trace {
            data["response"] = json!(truncate_trace(r));
        }
        if let Some(slug) = &call.resthook {
            data["resthook"] = json!(slug);
        }
        self.event("webhook_called", data);
        call
    }

    /// `@webhook` and the optional result (`value` = status, `category` Success or
    /// Failure, `extra` = the body's JSON when small enough).
    fn finish_webhook(
        &mut self,
        session: &mut Session,
        idx: usize,
        node: &Node,
        result_name: &str,
        call: WebhookCall,
    ) {
        let parsed: Option<Json> = serde_json::from_str(&call.body).ok();
        let json_body = parsed.clone().unwrap_or(Json::Null);
        let headers = call.headers.as_ref().map(|h| {
            Json::Object(
                h.iter()
                    .map(|(k, v)| (k.clone(), json!(v)))
                    .collect::<Map<String, Json>>(),
            )
        });
        session.runs[idx].webhook = Some(json!({
            "method": call.method,
            "url": call.url,
            "status": call.status,
            "headers": headers.unwrap_or(Json::Null),
            "json": json_body,
        }));
        if result_name.is_empty() {
            return;
        }
        let category = if call.outcome == "success" {
            "Success"
        } else {
            "Failure"
        };
        let extra = parsed.filter(|_| call.body.len() <= MAX_WEBHOOK_TRACE_CHARS);
        let input = format!("{} {}", call.method, call.url);
        self.save_result(
            session,
            idx,
            result_name,
            &call.status.to_string(),
            category,
            &node.uuid,
            Some(input),
            extra,
        );
    }

    /// What a resthook posts: the run, its contact, path, results and input.
    fn resthook_payload(&self, session: &Session, idx: usize) -> Json {
        let run = &session.runs[idx];
        let mut contact = json!({
            "uuid": self.contact.uuid,
            "name": self.contact.name,
            "urn": self.contact.urns.first().map(|u| crate::contact::urn_identity(u)),
        });
        if !self.contact.language.is_empty() {
            contact["language"] = json!(self.contact.language);
        }
        let mut flow = run.flow.clone();
        if flow.get("revision").is_none() {
            flow["revision"] = json!(0);
        }
        let path: Vec<Json> = run
            .path
            .iter()
            .map(|s| json!({ "node_uuid": s.node_uuid, "arrived_on": micro_time(&s.arrived_on) }))
            .collect();
        let results: Map<String, Json> = run
            .results
            .iter()
            .map(|(k, r)| {
                let mut o = json!({ "value": r["value"], "category": r.get("category").cloned().unwrap_or(json!("")) });
                if let Some(c) = r.get("created_on").and_then(Json::as_str) {
                    o["created_on"] = json!(micro_time(c));
                }
                (k.clone(), o)
            })
            .collect();
        let input = session.input.as_ref().map(|i| {
            json!({
                "text": i.get("text").cloned().unwrap_or(json!("")),
                "attachments": i.get("attachments").cloned().unwrap_or(json!([])),
                "urn": i.get("urn").cloned().unwrap_or(Json::Null),
                "uuid": i.get("uuid").cloned().unwrap_or(Json::Null),
                "created_on": i.get("created_on").and_then(Json::as_str).map(micro_time),
            })
        });
        json!({
            "contact": contact,
            "flow": flow,
            "path": path,
            "results": results,
            "run": { "uuid": run.uuid, "created_on": micro_time(&run.created_on) },
            "input": input,
            "channel": session.input.as_ref().and_then(|i| i.get("channel")).cloned(),
        })
    }

    fn execute(
        &mut self,
        session: &mut Session,
        idx: usize,
        flow: &Flow,
        node: &Node,
        action: &Action,
    ) {
        match &action.kind {
            ActionKind::SendMsg(a) => {
                let text = self.text(session, idx, &a.text);
                let mut msg = Map::new();
                let (urn, channel) = self.route_for_contact();
                if let Some(u) = &urn {
                    msg.insert("urn".into(), json!(u));
                }
                if let Some(c) = &channel {
                    msg.insert("channel".into(), c.clone());
                }
                msg.insert("text".into(), json!(text));
                let mut attachments = Vec::new();
                for att in &a.attachments {
                    let t = self.text(session, idx, att);
                    if !t.is_empty() {
                        attachments.push(json!(t));
                    }
                }
                if !attachments.is_empty() {
                    msg.insert("attachments".into(), Json::Array(attachments));
                }
                let mut qrs = Vec::new();
                for qr in &a.quick_replies {
                    let raw = qr
                        .as_str()
                        .map(str::to_owned)
                        .or_else(|| qr.get("text").and_then(Json::as_str).map(str::to_owned));
                    if let Some(raw) = raw {
                        let t = self.text(session, idx, &raw);
                        if !t.is_empty() {
                            qrs.push(json!({ "text": t, "type": "text" }));
                        }
                    }
                }
                if !qrs.is_empty() {
                    msg.insert("quick_replies".into(), Json::Array(qrs));
                }
                msg.insert("locale".into(), json!(self.locale(flow, channel.as_ref())));
                if urn.is_none() {
                    msg.insert("unsendable_reason".into(), json!("no_route"));
                }
                self.event("msg_created", json!({ "msg": Json::Object(msg) }));
            }
            ActionKind::SetRunResult(a) => {
                let value = self.text(session, idx, &a.value);
                let category = self.text(session, idx, &a.category);
                let node_uuid = node.uuid.clone();
                self.save_result(
                    session, idx, &a.name, &value, &category, &node_uuid, None, None,
                );
            }
            ActionKind::SetContactName(a) => {
                let name = self.text(session, idx, &a.name).trim().to_string();
                if name != self.contact.name {
                    self.contact.name = name.clone();
                    self.event("contact_name_changed", json!({ "name": name }));
                    self.reevaluate_groups();
                }
            }
            ActionKind::SetContactLanguage(a) => {
                let lang = self.text(session, idx, &a.language).trim().to_string();
                if lang != self.contact.language {
                    self.contact.language = lang.clone();
                    self.event("contact_language_changed", json!({ "language": lang }));
                    self.reevaluate_groups();
                }
            }
            ActionKind::SetContactField(a) => {
                let value = self.text(session, idx, &a.value).trim().to_string();
                let old = self.contact.fields.get(&a.field.key).cloned();
                let new = if value.is_empty() {
                    None
                } else {
                    Some(self.field_value(&a.field.key, &value))
                };
                if old != new {
                    match &new {
                        Some(v) => {
                            self.contact.fields.insert(a.field.key.clone(), v.clone());
                        }
                        None => {
                            self.contact.fields.remove(&a.field.key);
                        }
                    }
                    let value_json = new
                        .as_ref()
                        .map(|v| serde_json::to_value(v).unwrap_or(Json::Null))
                        .unwrap_or(Json::Null);
                    self.event(
                        "contact_field_changed",
                        json!({ "field": { "key": a.field.key, "name": a.field.name }, "value": value_json }),
                    );
                    self.reevaluate_groups();
                }
            }
            ActionKind::SetRunLocal(a) => {
                let value = self.text(session, idx, &a.value);
                let locals = &mut session.runs[idx].locals;
                match a.operation.as_str() {
                    "clear" => {
                        locals.remove(&a.local);
                    }
                    "increment" => {
                        let cur = locals
                            .get(&a.local)
                            .and_then(|v| {
                                v.as_str().and_then(atende_excellent::value::parse_decimal)
                            })
                            .unwrap_or_default();
                        let by = atende_excellent::value::parse_decimal(&value).unwrap_or_default();
                        locals.insert(
                            a.local.clone(),
                            json!(atende_excellent::value::format_decimal(&(cur + by))),
                        );
                    }
                    _ => {
                        locals.insert(a.local.clone(), json!(value));
                    }
                }
            }
            ActionKind::AddContactGroups(a) => {
                if !self.contact_is_active() {
                    return;
                }
                let mut added = Vec::new();
                for g in self.resolve_assets(session, idx, &a.groups, AssetKind::Group) {
                    if group_query(&g).is_some() {
                        continue; // smart groups are computed, never joined by hand
                    }
                    let r = asset_ref(&g);
                    if self.contact.groups.iter().any(|x| x.uuid == r.uuid) {
                        continue;
                    }
                    added.push(json!({ "uuid": r.uuid, "name": r.name }));
                    self.contact.groups.push(r);
                }
                if !added.is_empty() {
                    self.event("contact_groups_changed", json!({ "groups_added": added }));
                }
            }
            ActionKind::RemoveContactGroups(a) => {
                // all groups go in the workspace's group order
                let targets: Vec<GroupRef> = if a.all_groups {
                    self.assets.groups.iter().map(asset_ref).collect()
                } else {
                    self.resolve_assets(session, idx, &a.groups, AssetKind::Group)
                        .iter()
                        .map(asset_ref)
                        .collect()
                };
                let mut removed = Vec::new();
                for t in targets {
                    let is_smart = self
                        .assets
                        .groups
                        .iter()
                        .any(|g| g["uuid"] == json!(t.uuid) && group_query(g).is_some());
                    if is_smart {
                        continue;
                    }
                    if let Some(pos) = self.contact.groups.iter().position(|g| g.uuid == t.uuid) {
                        let g = self.contact.groups.remove(pos);
                        removed.push(json!({ "uuid": g.uuid, "name": g.name }));
                    }
                }
                if !removed.is_empty() {
                    self.event(
                        "contact_groups_changed",
                        json!({ "groups_removed": removed }),
                    );
                }
            }
            ActionKind::AddContactUrn(a) => {
                let path = self.text(session, idx, &a.path).trim().to_string();
                if path.is_empty() {
                    return;
                }
                let urn = normalise_urn(&a.scheme, &path, &self.env.default_country);
                let exists = self
                    .contact
                    .urns
                    .iter()
                    .any(|u| crate::contact::urn_identity(u) == urn);
                if !exists {
                    self.contact.urns.push(urn);
                    let urns = self.contact.urns.clone();
                    self.event("contact_urns_changed", json!({ "urns": urns }));
                    self.reevaluate_groups();
                }
            }
            ActionKind::SetContactStatus(a) => self.set_status(&a.status),
            ActionKind::SetContactTimezone(a) => {
                let tz = self.text(session, idx, &a.timezone).trim().to_string();
                if tz != self.contact.timezone {
                    self.contact.timezone = tz.clone();
                    self.event("contact_timezone_changed", json!({ "timezone": tz }));
                    self.reevaluate_groups();
                }
            }
            ActionKind::SetContactChannel(a) => {
                let Some(ch) = a.channel.as_ref().and_then(|c| {
                    self.assets
                        .channels
                        .iter()
                        .find(|x| x.get("uuid").and_then(Json::as_str) == Some(c.uuid.as_str()))
                }) else {
                    return;
                };
                let schemes: Vec<&str> = ch
                    .get("schemes")
                    .and_then(Json::as_array)
                    .map(|a| a.iter().filter_map(Json::as_str).collect())
                    .unwrap_or_default();
                let uuid = ch["uuid"].as_str().unwrap_or_default();
                let Some(pos) = self.contact.urns.iter().position(|u| {
                    schemes.contains(
                        &crate::contact::urn_identity(u)
                            .split(':')
                            .next()
                            .unwrap_or(""),
                    )
                }) else {
                    return;
                };
                let urn = format!(
                    "{}?channel={uuid}",
                    crate::contact::urn_identity(&self.contact.urns[pos])
                );
                if pos == 0 && self.contact.urns[0] == urn {
                    return;
                }
                self.contact.urns.remove(pos);
                self.contact.urns.insert(0, urn);
                let urns = self.contact.urns.clone();
                self.event("contact_urns_changed", json!({ "urns": urns }));
            }
            ActionKind::AddInputLabels(a) => {
                let Some(input_uuid) = session.input.as_ref().and_then(|i| i.get("uuid")).cloned()
                else {
                    return;
                };
                let labels: Vec<Json> = self
                    .resolve_assets(session, idx, &a.labels, AssetKind::Label)
                    .iter()
                    .map(|l| json!({ "uuid": l["uuid"], "name": l["name"] }))
                    .collect();
                if !labels.is_empty() {
                    self.event(
                        "input_labels_added",
                        json!({ "input_uuid": input_uuid, "labels": labels }),
                    );
                }
            }
            ActionKind::SendEmail(a) => {
                let mut to = Vec::new();
                for addr in &a.addresses {
                    let t = self.text(session, idx, addr).trim().to_string();
                    let t = t.strip_prefix("mailto:").unwrap_or(&t).to_string();
                    if !t.is_empty() {
                        to.push(t);
                    }
                }
                let subject = self
                    .text(session, idx, &a.subject)
                    .trim()
                    .replace('\n', " ");
                let body = self.text(session, idx, &a.body);
                if to.is_empty() {
                    return;
                }
                let sent = match self.services.email.as_deref_mut() {
                    Some(email) => email.send(&to, &subject, &body),
                    None => Err("no e-mail service available".to_string()),
                };
                match sent {
                    Ok(()) => self.event(
                        "email_sent",
                        json!({ "to": to, "subject": subject, "body": body }),
                    ),
                    Err(e) => self.event(
                        "error",
                        json!({ "text": format!("unable to send email: {e}") }),
                    ),
                }
            }
            ActionKind::SendBroadcast(a) => {
                let mut translations = Map::new();
                let mut languages = vec![flow.language.clone()];
                if let Some(loc) = flow.localization.as_object() {
                    languages.extend(loc.keys().filter(|k| **k != flow.language).cloned());
                }
                for lang in languages {
                    let text = localized(flow, &lang, &action.uuid, "text")
                        .and_then(|v| v.into_iter().next())
                        .unwrap_or_else(|| a.text.clone());
                    let text = self.text(session, idx, &text);
                    let mut t = json!({ "text": text });
                    let atts = localized(flow, &lang, &action.uuid, "attachments")
                        .unwrap_or_else(|| a.attachments.clone());
                    let atts: Vec<String> = atts
                        .iter()
                        .map(|x| self.text(session, idx, x))
                        .filter(|x| !x.is_empty())
                        .collect();
                    if !atts.is_empty() {
                        t["attachments"] = json!(atts);
                    }
                    translations.insert(lang, t);
                }
                let mut data =
                    json!({ "translations": translations, "base_language": flow.language });
                let urns: Vec<String> = a
                    .urns
                    .iter()
                    .map(|u| self.text(session, idx, u))
                    .filter(|u| !u.is_empty())
                    .collect();
                if !urns.is_empty() {
                    data["urns"] = json!(urns);
                }
                if !a.contacts.is_empty() {
                    data["contacts"] = json!(a.contacts);
                }
                let groups: Vec<Json> = self
                    .resolve_assets(session, idx, &a.groups, AssetKind::Group)
                    .iter()
                    .map(|g| json!({ "uuid": g["uuid"], "name": g["name"] }))
                    .collect();
                if !groups.is_empty() {
                    data["groups"] = json!(groups);
                }
                if !a.contact_query.is_empty() {
                    data["contact_query"] = json!(self.text(session, idx, &a.contact_query));
                }
                self.event("broadcast_created", data);
            }
            ActionKind::StartSession(a) => {
                let Some(target) = self.assets.flow(&a.flow.uuid) else {
                    self.event(
                        "error",
                        json!({ "text": format!("missing dependency: flow[uuid={},name={}]", a.flow.uuid, a.flow.name) }),
                    );
                    return;
                };
                let mut data = json!({ "flow": { "uuid": target.uuid, "name": target.name } });
                let urns: Vec<String> = a
                    .urns
                    .iter()
                    .map(|u| self.text(session, idx, u))
                    .filter(|u| !u.is_empty())
                    .collect();
                if !urns.is_empty() {
                    data["urns"] = json!(urns);
                }
                if !a.contacts.is_empty() {
                    data["contacts"] = json!(a.contacts);
                }
                let groups: Vec<Json> = self
                    .resolve_assets(session, idx, &a.groups, AssetKind::Group)
                    .iter()
                    .map(|g| json!({ "uuid": g["uuid"], "name": g["name"] }))
                    .collect();
                if !groups.is_empty() {
                    data["groups"] = json!(groups);
                }
                if !a.contact_query.is_empty() {
                    data["contact_query"] = json!(self.text(session, idx, &a.contact_query));
                }
                if a.create_contact {
                    data["create_contact"] = json!(true);
                }
                data["exclusions"] = a.exclusions.clone().unwrap_or_else(|| json!({}));
                let prior = session.trigger.get("history");
                let ancestors = prior
                    .and_then(|h| h.get("ancestors"))
                    .and_then(Json::as_i64)
                    .unwrap_or(0);
                let since_input = if session.input.is_some() {
                    0
                } else {
                    prior
                        .and_then(|h| h.get("ancestors_since_input"))
                        .and_then(Json::as_i64)
                        .unwrap_or(0)
                        + 1
                };
                data["history"] = json!({
                    "parent_uuid": session.uuid,
                    "ancestors": ancestors + 1,
                    "ancestors_since_input": since_input,
                });
                let run = &session.runs[idx];
                data["run_summary"] = json!({
                    "uuid": run.uuid,
                    "flow": run.flow,
                    "contact": serde_json::to_value(&*self.contact).unwrap_or(Json::Null),
                    "status": run.status.as_str(),
                    "results": run.results,
                });
                self.event("session_triggered", data);
            }
            ActionKind::OpenTicket(a) => {
                let topic = a.topic.as_ref().and_then(|t| {
                    self.assets
                        .topics
                        .iter()
                        .find(|x| x.get("uuid").and_then(Json::as_str) == Some(t.uuid.as_str()))
                        .map(|x| json!({ "uuid": x["uuid"], "name": x["name"] }))
                });
                // older flows put the note in `body`
                let note_template = if a.note.is_empty() { &a.body } else { &a.note };
                let note = self.text(session, idx, note_template).trim().to_string();
                let uuid = self.v7();
                let mut ticket = json!({ "uuid": uuid, "status": "open" });
                if let Some(t) = &topic {
                    ticket["topic"] = t.clone();
                }
                if let Some(assignee) = &a.assignee {
                    ticket["assignee"] = assignee.clone();
                }
                self.contact.tickets.push(ticket.clone());
                self.event("ticket_opened", json!({ "ticket": ticket }));
                if !note.is_empty() {
                    self.event(
                        "ticket_note_added",
                        json!({ "ticket_uuid": uuid, "note": note }),
                    );
                }
                // the node's router reads this to take its Success exit
                session.runs[idx]
                    .locals
                    .insert("_new_ticket".into(), json!(uuid));
                if !a.result_name.is_empty() {
                    self.save_result(
                        session,
                        idx,
                        &a.result_name,
                        &uuid,
                        "Success",
                        &node.uuid,
                        None,
                        None,
                    );
                }
                self.reevaluate_groups();
            }
            ActionKind::CallWebhook(a) => {
                let url = self.text(session, idx, &a.url).trim().to_string();
                let mut headers = Vec::new();
                for (k, v) in &a.headers {
                    let v = v.as_str().unwrap_or_default();
                    headers.push((canonical_header(k), self.text(session, idx, v)));
                }
                let body = self.text(session, idx, &a.body);
                let method = a.method.to_uppercase();
                let call = self.http_call(&method, &url, headers, body, None);
                self.finish_webhook(session, idx, node, &a.result_name, call);
            }
            ActionKind::CallResthook(a) => {
                let subscribers: Vec<String> = self
                    .assets
                    .resthooks
                    .iter()
                    .find(|r| r.get("slug").and_then(Json::as_str) == Some(a.resthook.as_str()))
                    .and_then(|r| r.get("subscribers").and_then(Json::as_array))
                    .map(|s| {
                        s.iter()
                            .filter_map(Json::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                let payload_json = sorted_json(self.resthook_payload(session, idx));
                let payload = serde_json::to_string(&payload_json).unwrap_or_default();
                self.event(
                    "resthook_called",
                    json!({ "resthook": a.resthook, "payload": payload_json }),
                );
                let mut calls = Vec::new();
                for url in subscribers {
                    let headers =
                        vec![("Content-Type".to_string(), "application/json".to_string())];
                    calls.push(self.http_call(
                        "POST",
                        &url,
                        headers,
                        payload.clone(),
                        Some(&a.resthook),
                    ));
                }
                // the result is the failed call if any failed (410 Gone aside), else the last
                let pick = calls
                    .iter()
                    .position(|c| c.status != 410 && !(200..300).contains(&c.status))
                    .or_else(|| calls.len().checked_sub(1));
                if let Some(i) = pick {
                    let call = calls.swap_remove(i);
                    self.finish_webhook(session, idx, node, &a.result_name, call);
                }
            }
            other => {
                // Not run yet by this engine: say so and carry on, never refuse the flow.
                self.event(
                    "warning",
                    json!({ "text": format!("action type '{}' is not supported yet", other.type_name()) }),
                );
            }
        }
    }

    /// A field value typed for storage (`text` always; `number` when it reads as one).
    fn field_value(&self, key: &str, text: &str) -> FieldValue {
        let mut v = FieldValue {
            text: text.to_string(),
            ..FieldValue::default()
        };
        let def = self.assets.fields.iter().find(|f| f.key == key);
        if let Some(n) = atende_excellent::value::parse_decimal(text) {
            v.number = serde_json::from_str(&atende_excellent::value::format_decimal(&n)).ok();
        }
        // every value gets its datetime reading (whatever the field's type), in the
        // contact's timezone
        let mut env = self.env.clone();
        if let Ok(tz) = atende_excellent::dates::load_location(&self.contact.timezone) {
            env.timezone = tz;
            env.timezone_name = self.contact.timezone.clone();
        }
        if let Ok(z) = atende_excellent::dates::to_datetime(&env, &Value::from(text)) {
            v.datetime = Some(atende_excellent::dates::iso_datetime(&z));
        }
        let level = match def.map(|d| d.value_type.as_str()) {
            Some("state") => Some(Level::State),
            Some("district") => Some(Level::District),
            Some("ward") => Some(Level::Ward),
            _ => None,
        };
        if let Some(level) = level {
            self.locate(&mut v, text, level);
        }
        v
    }

    /// Location readings of a field value: a state anywhere; a district within the
    /// contact's state; a ward within the contact's district. Parents are filled in too.
    fn locate(&self, v: &mut FieldValue, text: &str, level: Level) {
        use atende_excellent::locations::{find_by_name, find_fuzzy, location_name};
        let roots = &self.assets.locations;
        // the contact's current value of the first field of a location type
        let current = |kind: &str, pick: fn(&FieldValue) -> Option<&String>| -> Option<String> {
            self.assets
                .fields
                .iter()
                .filter(|f| f.value_type == kind)
                .find_map(|f| self.contact.fields.get(&f.key).and_then(pick).cloned())
        };
        let parent_level = match level {
            Level::District => Some((Level::State, "state")),
            Level::Ward => Some((Level::District, "district")),
            _ => None,
        };
        let parent_path = match parent_level {
            None => None,
            Some((_, kind)) => {
                let pick: fn(&FieldValue) -> Option<&String> = if kind == "state" {
                    |f| f.state.as_ref()
                } else {
                    |f| f.district.as_ref()
                };
                match current(kind, pick) {
                    Some(p) => Some(p),
                    None => return,
                }
            }
        };
        let parent = match (&parent_path, parent_level) {
            (Some(path), Some((pl, _))) => {
                let found = find_by_name(roots, location_name(path), pl, None)
                    .into_iter()
                    .find(|f| f.path() == *path);
                match found {
                    Some(f) => Some(f),
                    None => return,
                }
            }
            _ => None,
        };
        let Some(found) = find_fuzzy(roots, text, level, parent.as_ref())
            .into_iter()
            .next()
        else {
            return;
        };
        let path = found.path();
        // ancestors are the leading parts of the path
        let parts: Vec<&str> = path.split(" > ").collect();
        let prefix = |n: usize| parts[..n.min(parts.len())].join(" > ");
        match level {
            Level::State => v.state = Some(path.clone()),
            Level::District => {
                v.state = Some(prefix(2));
                v.district = Some(path.clone());
            }
            Level::Ward => {
                v.state = Some(prefix(2));
                v.district = Some(prefix(3));
                v.ward = Some(path.clone());
            }
            Level::Country => {}
        }
    }

    /// The URN and channel a message to the contact goes out on.
    fn route_for_contact(&self) -> (Option<String>, Option<Json>) {
        for urn in &self.contact.urns {
            let identity = crate::contact::urn_identity(urn);
            let scheme = identity.split(':').next().unwrap_or_default();
            for ch in &self.assets.channels {
                let sends = ch
                    .get("roles")
                    .and_then(Json::as_array)
                    .is_some_and(|r| r.contains(&json!("send")));
                let scheme_ok = ch
                    .get("schemes")
                    .and_then(Json::as_array)
                    .is_some_and(|s| s.contains(&json!(scheme)));
                if sends && scheme_ok {
                    let reference = json!({ "uuid": ch["uuid"], "name": ch["name"] });
                    return (Some(identity.to_string()), Some(reference));
                }
            }
        }
        (None, None)
    }

    /// `eng-US`: the message language and the channel's (or environment's) country.
    fn locale(&self, flow: &Flow, channel: Option<&Json>) -> String {
        let lang = if !self.contact.language.is_empty()
            && self.env.allowed_languages.contains(&self.contact.language)
        {
            self.contact.language.clone()
        } else {
            flow.language.clone()
        };
        let country = channel
            .and_then(|c| c.get("uuid").and_then(Json::as_str))
            .and_then(|uuid| {
                self.assets
                    .channels
                    .iter()
                    .find(|ch| ch.get("uuid").and_then(Json::as_str) == Some(uuid))
            })
            .and_then(|ch| ch.get("country").and_then(Json::as_str))
            .map(str::to_owned)
            .or_else(|| tel_country(self.contact))
            .unwrap_or_else(|| self.env.default_country.clone());
        if country.is_empty() {
            lang
        } else {
            format!("{lang}-{country}")
        }
    }
}

/// `@webhook`: renders as the response's JSON, or `METHOD URL` when there is none.
fn webhook_context(webhook: &Json) -> Value {
    let json = webhook.get("json").cloned().unwrap_or(Json::Null);
    let default = if json.is_null() {
        Value::from(
            format!(
                "{} {}",
                webhook["method"].as_str().unwrap_or_default(),
                webhook["url"].as_str().unwrap_or_default()
            )
            .as_str(),
        )
    } else {
        atende_excellent::value::from_json(&json)
    };
    let mut o = Object::with_default(default);
    if let Value::Object(src) = atende_excellent::value::from_json(webhook) {
        for (k, v) in src.iter() {
            o.insert(k.clone(), v.clone());
        }
    }
    Value::Object(Arc::new(o))
}

/// `@legacy_extra` (what legacy flows called `@extra`): the trigger's params, then each
/// result's `extra` (in the order results were saved), its keys merged at the top and
/// also kept whole under the result's key. Deprecated: reading it warns.
fn legacy_extra(session: &Session, run: &crate::session::Run) -> Value {
    let mut o = Object::new();
    o.deprecated = Some(Arc::from("@legacy_extra is deprecated"));
    if let Some(params) = session.trigger.get("params").and_then(Json::as_object) {
        for (k, v) in params {
            o.insert(k.to_lowercase(), atende_excellent::value::from_json(v));
        }
    }
    let mut results: Vec<(&String, &Json)> = run.results.iter().collect();
    results.sort_by_key(|(_, r)| {
        r.get("created_on")
            .and_then(Json::as_str)
            .and_then(|c| c.parse::<jiff::Timestamp>().ok())
    });
    for (key, r) in results {
        let Some(extra) = r.get("extra") else {
            continue;
        };
        if let Some(map) = extra.as_object() {
            for (k, v) in map {
                o.insert(k.to_lowercase(), atende_excellent::value::from_json(v));
            }
        }
        o.insert(key.as_str(), Value::from(extra.to_string().as_str()));
    }
    Value::Object(Arc::new(o))
}

/// An `error` event's fields for a template error (`error evaluating @x: why`), shaped
/// as goflow's: `code` `expression`, the failing expression in `extra`.
fn expression_error(message: &str) -> Json {
    let parsed = message
        .strip_prefix("error evaluating ")
        .and_then(|rest| rest.split_once(": "));
    match parsed {
        Some((source, why)) => json!({
            "code": "expression",
            "extra": { "expression": source },
            "text": format!("Error evaluating expression: {why}"),
        }),
        None => json!({ "text": message }),
    }
}

/// Rebuilds JSON objects with their keys sorted, as Go writes maps.
fn sorted_json(json: Json) -> Json {
    match json {
        Json::Object(o) => {
            let mut entries: Vec<(String, Json)> = o.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Json::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sorted_json(v)))
                    .collect(),
            )
        }
        Json::Array(a) => Json::Array(a.into_iter().map(sorted_json).collect()),
        other => other,
    }
}

/// The trigger as the session keeps it: Go's time format (params aside), and a msg event's message
/// without its own UUID (the event's UUID identifies the input).
fn trigger_json(trigger: &Json) -> Json {
    let mut t = trigger.clone();
    // params and a triggering run's summary are other systems' JSON: kept verbatim
    let verbatim: Vec<(&str, Json)> = ["params", "run_summary"]
        .into_iter()
        .filter_map(|k| Some((k, t.as_object_mut()?.remove(k)?)))
        .collect();
    let mut t = normalise_times(t);
    if let Some(o) = t.as_object_mut() {
        for (k, v) in verbatim {
            o.insert(k.into(), v);
        }
    }
    if let Some(msg) = t.pointer_mut("/event/msg").and_then(Json::as_object_mut) {
        msg.remove("uuid");
    }
    t
}

/// Which asset list a reference points into.
#[derive(Clone, Copy)]
enum AssetKind {
    Group,
    Label,
}

/// One HTTP call as webhook events and `@webhook` report it.
struct WebhookCall {
    method: String,
    url: String,
    /// 0 when there was no response.
    status: u16,
    headers: Option<Vec<(String, String)>>,
    body: String,
    request_trace: String,
    response_trace: Option<String>,
    /// `success`, `response_error` or `connection_error`.
    outcome: &'static str,
    elapsed_ms: i64,
    resthook: Option<String>,
    /// Bytes of the whole response (status line, headers, body), 0 without one.
    response_size: usize,
}

/// The query of a smart group, `None` for a manual one.
fn group_query(g: &Json) -> Option<&str> {
    g.get("query")
        .and_then(Json::as_str)
        .filter(|q| !q.trim().is_empty())
}

fn asset_ref(g: &Json) -> GroupRef {
    GroupRef {
        uuid: g
            .get("uuid")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .into(),
        name: g
            .get("name")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .into(),
    }
}

/// A URN as stored: phone numbers in E.164 when they parse for the country.
fn normalise_urn(scheme: &str, path: &str, country: &str) -> String {
    let scheme = scheme.trim().to_lowercase();
    if scheme == "tel" {
        let region = country.parse::<phonenumber::country::Id>().ok();
        if let Ok(n) = phonenumber::parse(region, path) {
            if phonenumber::is_valid(&n) {
                return format!("tel:{}", n.format().mode(phonenumber::Mode::E164));
            }
        }
        let digits: String = path
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        return format!("tel:{digits}");
    }
    format!("{scheme}:{path}")
}

/// A localised list (`text`, `attachments`, …) of an action, when the flow has one.
fn localized(flow: &Flow, lang: &str, uuid: &str, key: &str) -> Option<Vec<String>> {
    let items = flow
        .localization
        .get(lang)?
        .get(uuid)?
        .get(key)?
        .as_array()?;
    Some(
        items
            .iter()
            .filter_map(Json::as_str)
            .map(str::to_owned)
            .collect(),
    )
}

/// Go's canonical header casing (`content-type` → `Content-Type`).
fn canonical_header(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut c = part.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The request as Go's net/http writes it: request line, `Host`, `User-Agent`,
/// `Content-Length` (when there is a body or the method sends one), the other headers
/// sorted, then `Accept-Encoding: gzip`, a blank line and the body.
fn request_text(req: &HttpRequest) -> String {
    let rest = req
        .url
        .split_once("://")
        .map(|(_, r)| r)
        .unwrap_or(&req.url);
    let (host, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    let mut out = format!("{} {path} HTTP/1.1\r\nHost: {host}\r\n", req.method);
    let ua = req
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("User-Agent"))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| "goflow-testing".to_string());
    out.push_str(&format!("User-Agent: {ua}\r\n"));
    let sends_body = matches!(req.method.as_str(), "POST" | "PUT" | "PATCH");
    if !req.body.is_empty() || sends_body {
        out.push_str(&format!("Content-Length: {}\r\n", req.body.len()));
    }
    let mut headers: Vec<&(String, String)> = req
        .headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("User-Agent"))
        .collect();
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("Accept-Encoding: gzip\r\n\r\n");
    out.push_str(&req.body);
    out
}

/// The response as Go writes it: `HTTP/1.0 <status>`, `Content-Length`, the other
/// headers sorted, a blank line and the body.
fn response_text(resp: &crate::services::HttpResponse) -> String {
    let mut out = format!(
        "HTTP/1.0 {} {}\r\nContent-Length: {}\r\n",
        resp.status,
        status_text(resp.status),
        resp.body.len()
    );
    let mut headers: Vec<&(String, String)> = resp
        .headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("Content-Length"))
        .collect();
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&resp.body);
    out
}

fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// Webhook traces longer than the limit keep their start and end in `...`.
fn truncate_trace(text: &str) -> String {
    if text.chars().count() <= MAX_WEBHOOK_TRACE_CHARS {
        return text.to_string();
    }
    let mut t: String = text.chars().take(MAX_WEBHOOK_TRACE_CHARS - 3).collect();
    t.push_str("...");
    t
}

/// A timestamp with microsecond precision (how Excellent writes dates into JSON).
fn micro_time(s: &str) -> String {
    let Ok(ts) = s.parse::<jiff::Timestamp>() else {
        return s.to_string();
    };
    ts.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The top-level names of a run's context (what `@name` may refer to).
const CONTEXT_KEYS: &[&str] = &[
    "child",
    "contact",
    "fields",
    "globals",
    "input",
    "legacy_extra",
    "locals",
    "node",
    "parent",
    "results",
    "resume",
    "run",
    "ticket",
    "trigger",
    "urns",
    "webhook",
];

/// Collects the top-level names an expression reads (`contact` in `@contact.name`).
fn referenced_names(e: &atende_excellent::Expr, out: &mut Vec<String>) {
    use atende_excellent::Expr;
    match e {
        Expr::Ref(name) => {
            if !out.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                out.push(name.to_string());
            }
        }
        Expr::Dot(t, _) | Expr::Neg(t) => referenced_names(t, out),
        Expr::Index(a, b) | Expr::Binary(_, a, b) => {
            referenced_names(a, out);
            referenced_names(b, out);
        }
        Expr::Call(f, args) => {
            referenced_names(f, out);
            for a in args {
                referenced_names(a, out);
            }
        }
        Expr::Lambda(_, body) => referenced_names(body, out),
        Expr::Text(_) | Expr::Number(_) | Expr::Bool(_) | Expr::Null => {}
    }
}

/// `@contact`, `@fields`, `@urns` of one contact state.
type ContactValues = (Value, Value, Value);

/// Over-long template output keeps its start, marked with `...`.
fn truncate_output(text: String) -> String {
    if text.len() <= MAX_TEMPLATE_CHARS || text.chars().count() <= MAX_TEMPLATE_CHARS {
        return text;
    }
    let mut t: String = text.chars().take(MAX_TEMPLATE_CHARS - 3).collect();
    t.push_str("...");
    t
}

/// `{"uuid", "name"}` (plus `revision` when set) of a flow.
fn flow_ref(flow: &Flow) -> Json {
    let mut r = json!({ "uuid": flow.uuid, "name": flow.name });
    if flow.revision != 0 {
        r["revision"] = json!(flow.revision);
    }
    r
}

/// Result names become keys in snake case (`Favorite Color` → `favorite_color`).
pub fn result_key(name: &str) -> String {
    let mut key = String::new();
    let mut pending_sep = false;
    for c in name.trim().to_lowercase().chars() {
        if c.is_alphanumeric() {
            if pending_sep && !key.is_empty() {
                key.push('_');
            }
            pending_sep = false;
            key.push(c);
        } else {
            pending_sep = true;
        }
    }
    key
}

fn results_context(results: &Map<String, Json>) -> Value {
    let mut o = Object::new();
    for (k, r) in results {
        let value = r.get("value").and_then(Json::as_str).unwrap_or_default();
        let mut res = Object::with_default(Value::from(value));
        for key in [
            "name",
            "value",
            "category",
            "input",
            "node_uuid",
            "created_on",
        ] {
            let v = r
                .get(key)
                .and_then(Json::as_str)
                .map(Value::from)
                .unwrap_or(Value::from(""));
            res.insert(key, v);
        }
        let category = r.get("category").and_then(Json::as_str).unwrap_or_default();
        let localized = r
            .get("category_localized")
            .and_then(Json::as_str)
            .unwrap_or(category);
        res.insert("category_localized", Value::from(localized));
        res.insert(
            "extra",
            r.get("extra")
                .map(atende_excellent::value::from_json)
                .unwrap_or(Value::Null),
        );
        o.insert(k.as_str(), Value::Object(Arc::new(res)));
    }
    Value::Object(Arc::new(o))
}

/// Rewrites RFC 3339 timestamps in `json` the way Go re-serialises them
/// (`2000-01-01T00:00:00.000000000-00:00` → `2000-01-01T00:00:00Z`), keeping offsets.
pub fn normalise_times(json: Json) -> Json {
    match json {
        Json::String(s) => Json::String(go_time(&s).unwrap_or(s)),
        Json::Array(a) => Json::Array(a.into_iter().map(normalise_times).collect()),
        Json::Object(o) => Json::Object(
            o.into_iter()
                .map(|(k, v)| (k, normalise_times(v)))
                .collect(),
        ),
        other => other,
    }
}

/// A timestamp text in Go's RFC3339Nano form, or `None` when `s` is not one.
fn go_time(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[10] != b'T' {
        return None;
    }
    let ts: jiff::Timestamp = s.parse().ok()?;
    let offset = if s.ends_with('Z') || s.ends_with("-00:00") || s.ends_with("+00:00") {
        0
    } else {
        let tail = &s[s.len() - 6..];
        let sign = if tail.starts_with('-') { -1 } else { 1 };
        sign * (tail[1..3].parse::<i32>().ok()? * 3600 + tail[4..6].parse::<i32>().ok()? * 60)
    };
    if offset == 0 {
        return Some(format_time(ts));
    }
    let off = jiff::tz::Offset::from_seconds(offset).ok()?;
    let dt = off.to_datetime(ts);
    let main = dt.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    let frac = format!("{:09}", dt.subsec_nanosecond());
    let frac = frac.trim_end_matches('0');
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.abs();
    let suffix = format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60);
    Some(if frac.is_empty() {
        format!("{main}{suffix}")
    } else {
        format!("{main}.{frac}{suffix}")
    })
}

/// goflow's timestamp format (RFC 3339 with trailing zeros of the fraction trimmed).
pub fn format_time(ts: jiff::Timestamp) -> String {
    let s = ts.strftime("%Y-%m-%dT%H:%M:%S%.9f").to_string();
    let (main, frac) = s.split_once('.').unwrap_or((&s, ""));
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{main}Z")
    } else {
        format!("{main}.{frac}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_keys() {
        assert_eq!(result_key("Favorite Color"), "favorite_color");
        assert_eq!(result_key(" CPF / CNPJ "), "cpf_cnpj");
    }

    #[test]
    fn requests_and_responses_in_go_wire_format() {
        let req = HttpRequest {
            method: "POST".into(),
            url: "http://temba.io/?q=1".into(),
            headers: vec![("X-Something".into(), "Male".into())],
            body: "Hi there!".into(),
        };
        assert_eq!(
            request_text(&req),
            "POST /?q=1 HTTP/1.1\r\nHost: temba.io\r\nUser-Agent: goflow-testing\r\nContent-Length: 9\r\nX-Something: Male\r\nAccept-Encoding: gzip\r\n\r\nHi there!"
        );
        let resp = crate::services::HttpResponse {
            status: 400,
            headers: vec![],
            body: "{}".into(),
        };
        assert_eq!(
            response_text(&resp),
            "HTTP/1.0 400 Bad Request\r\nContent-Length: 2\r\n\r\n{}"
        );
        assert_eq!(canonical_header("content-type"), "Content-Type");
        assert_eq!(truncate_trace(&"x".repeat(10_005)).len(), 10_000);
    }

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

    /// Contact actions, smart groups and a webhook, end to end through `start`.
    #[test]
    fn contact_actions_groups_and_webhooks() {
        let assets = Assets::from_json(&json!({
            "flows": [{
                "uuid": "f1", "name": "Actions", "spec_version": "14.4.2", "language": "eng",
                "type": "messaging", "nodes": [{
                    "uuid": "n1",
                    "actions": [
                        {"uuid": "a1", "type": "add_contact_groups", "groups": [{"uuid": "g1", "name": "Testers"}, {"uuid": "g2", "name": "Smart"}]},
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
            "groups": [{"uuid": "g1", "name": "Testers"}, {"uuid": "g2", "name": "Smart", "query": "gender = male"}]
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
                "contact_groups_changed", // Testers only: smart groups are not joined by hand
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
            json!([{"uuid": "g1", "name": "Testers"}])
        );
        assert_eq!(
            sprint.events[10].data["groups_removed"],
            json!([{"uuid": "g2", "name": "Smart"}, {"uuid": "g1", "name": "Testers"}])
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

    #[test]
    fn urns_are_normalised() {
        assert_eq!(
            normalise_urn("tel", "(206) 555-1212", "US"),
            "tel:+12065551212"
        );
        assert_eq!(normalise_urn("Twitter", "ben", ""), "twitter:ben");
    }

    #[test]
    fn timestamps_like_go() {
        let t: jiff::Timestamp = "2025-05-04T12:30:45.123456789Z".parse().unwrap();
        assert_eq!(format_time(t), "2025-05-04T12:30:45.123456789Z");
        let t: jiff::Timestamp = "2000-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(format_time(t), "2000-01-01T00:00:00Z");
    }
}
