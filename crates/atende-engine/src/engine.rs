//! The run loop: starts sessions from triggers and resumes waiting ones, walking nodes
//! (actions, then the router) until the flow waits or ends. Emits events; never does I/O.

use std::sync::Arc;

use atende_excellent::{Environment, Evaluator, Object, RandomSource, Template, Value};
use serde_json::{json, Map, Value as Json};

use crate::contact::{Contact, FieldDef, FieldValue};
use crate::definition::action::ActionKind;
use crate::definition::{Flow, Node, Wait};
use crate::events::Event;
use crate::services::{Clock, UuidSource};
use crate::session::{Run, RunStatus, Session, SessionStatus, Step};

/// Where legacy flows' relative media paths point (goflow's test default).
pub const LEGACY_MEDIA_URL: &str = "http://temba.io/";

/// Most nodes one sprint may visit (goflow's limit), so a loop in a flow ends.
pub const MAX_STEPS_PER_SPRINT: usize = 100;

/// Longest text a template may produce.
pub const MAX_TEMPLATE_CHARS: usize = 10_000;

/// Everything a flow may refer to: flows, fields, groups, channels, globals.
#[derive(Clone, Debug, Default)]
pub struct Assets {
    pub flows: Vec<Flow>,
    pub fields: Vec<FieldDef>,
    pub groups: Vec<Json>,
    pub channels: Vec<Json>,
    pub globals: Vec<Json>,
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
        })
    }

    pub fn flow(&self, uuid: &str) -> Option<&Flow> {
        self.flows.iter().find(|f| f.uuid == uuid)
    }
}

/// The injected services a sprint uses.
pub struct Services<'a> {
    pub clock: &'a mut dyn Clock,
    pub uuids: &'a mut dyn UuidSource,
    pub random: &'a mut dyn RandomSource,
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
        trigger: normalise_times(trigger.clone()),
        contact_uuid: m.contact.uuid.clone(),
        runs: Vec::new(),
        sprints: 1,
        input: None,
        call_uuid: None,
    };
    if trigger.get("type").and_then(Json::as_str) == Some("msg") {
        if let Some(msg) = trigger.get("msg") {
            session.input = Some(input_from_msg(msg));
        }
    }
    m.start_run(&mut session, flow, None, false);
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
        steps: 0,
    };
    session.sprints += 1;
    session.status = SessionStatus::Active;
    let Some(run_idx) = session.active_run_index() else {
        return Err(EngineError::Resume("session has no waiting run".into()));
    };
    match kind.as_str() {
        "msg" => {
            let msg = resume
                .pointer("/event/msg")
                .or_else(|| resume.get("msg"))
                .cloned()
                .ok_or_else(|| EngineError::Resume("field 'event.msg' is required".into()))?;
            let mut input = input_from_msg(&msg);
            // channel references resolve against the assets (their current name); a
            // channel the workspace does not have is dropped
            if let Some(uuid) = input.pointer("/channel/uuid").and_then(Json::as_str) {
                let known = assets
                    .channels
                    .iter()
                    .find(|c| c.get("uuid").and_then(Json::as_str) == Some(uuid));
                match known {
                    Some(ch) => {
                        input["channel"] = json!({ "uuid": ch["uuid"], "name": ch["name"] })
                    }
                    None => {
                        if let Some(o) = input.as_object_mut() {
                            o.remove("channel");
                        }
                    }
                }
            }
            if let Some(uuid) = resume.pointer("/event/uuid") {
                input["uuid"] = uuid.clone();
            }
            if let Some(c) = resume.pointer("/event/created_on") {
                input["created_on"] = c.clone();
            }
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
            for action in &node.actions {
                if let ActionKind::EnterFlow(a) = &action.kind {
                    match self.assets.flow(&a.flow.uuid) {
                        Some(child) => {
                            let parent = session.runs[idx].uuid.clone();
                            // a terminal subflow replaces its parent, which ends first
                            if a.terminal {
                                self.end_run(session, idx, RunStatus::Completed);
                            }
                            self.start_run(session, child, Some(parent), a.terminal);
                            return Next::Child;
                        }
                        None => {
                            self.event(
                                "error",
                                json!({ "text": format!("missing dependency: flow[uuid={},name={}]", a.flow.uuid, a.flow.name) }),
                            );
                            return Next::End(RunStatus::Failed);
                        }
                    }
                }
                self.execute(session, idx, flow, node, &action.kind);
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
                                if let Some(m) = self.test(session, idx, &case.test, &args) {
                                    chosen = Some((case.category_uuid.clone(), m));
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
                    let input = session
                        .input
                        .as_ref()
                        .and_then(|i| i.get("text"))
                        .and_then(Json::as_str)
                        .map(str::to_owned)
                        .or_else(|| operand_text.clone());
                    self.save_result(
                        session,
                        idx,
                        &router.result_name,
                        &value,
                        &category.name,
                        &node.uuid,
                        input,
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

    /// Calls a router test by name; `Some(match)` when it matched.
    fn test(&mut self, session: &Session, idx: usize, name: &str, args: &[Value]) -> Option<Value> {
        let def = atende_excellent::functions::lookup(name)?;
        let root = self.context(session, idx);
        let now = self.services.clock.now();
        let mut ev = Evaluator::new(self.env, &root, now, self.services.random);
        let r = ev.call(&atende_excellent::value::Func::Native(def), args);
        let Value::Object(o) = &r else { return None };
        if o.default.as_ref().and_then(|d| d.to_bool().ok()) == Some(true) {
            Some(o.get("match").cloned().unwrap_or(Value::Null))
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
    ) {
        let created_on = self.now();
        let mut r = json!({ "name": name, "value": value, "node_uuid": node_uuid, "created_on": created_on });
        if !category.is_empty() {
            r["category"] = json!(category);
        }
        if let Some(i) = input {
            r["input"] = json!(i);
        }
        let previous = session.runs[idx].results.insert(result_key(name), r);
        let mut data = json!({ "name": name, "value": value });
        if !category.is_empty() {
            data["category"] = json!(category);
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
        let root = self.context(session, idx);
        let now = self.services.clock.now();
        let tpl = Template::parse(
            template,
            &|n| matches!(&root, Value::Object(o) if o.get(n).is_some()),
        );
        let (value, errors, text, mut warnings) = {
            let mut ev = Evaluator::new(self.env, &root, now, self.services.random);
            let (value, _) = ev.template_value(&tpl);
            let r = ev.render(&tpl);
            (value, r.errors, r.text, std::mem::take(&mut ev.warnings))
        };
        // the template was evaluated twice (typed value and text): report each use once
        warnings.dedup();
        for w in warnings {
            self.event(
                "warning",
                json!({ "code": "context:deprecated", "text": w }),
            );
        }
        for e in errors {
            self.event("error", json!({ "text": e }));
        }
        let text: String = text.chars().take(MAX_TEMPLATE_CHARS).collect();
        (value, text)
    }

    fn text(&mut self, session: &Session, idx: usize, template: &str) -> String {
        self.evaluate(session, idx, template).1
    }

    /// The Excellent context of run `idx`.
    fn context(&self, session: &Session, idx: usize) -> Value {
        let run = &session.runs[idx];
        let mut root = Object::new();
        root.insert("contact", self.contact.context(&self.assets.fields));
        root.insert("fields", self.contact.fields_context(&self.assets.fields));
        root.insert("urns", self.contact.urns_context());
        root.insert("results", results_context(&run.results));
        let mut locals = Object::new();
        for (k, v) in &run.locals {
            locals.insert(k.as_str(), atende_excellent::value::from_json(v));
        }
        root.insert("locals", Value::Object(Arc::new(locals)));
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
        let mut run_obj = Object::new();
        run_obj.insert("uuid", Value::from(run.uuid.as_str()));
        run_obj.insert("status", Value::from(run.status.as_str()));
        run_obj.insert("flow", atende_excellent::value::from_json(&run.flow));
        run_obj.insert("results", results_context(&run.results));
        root.insert("run", Value::Object(Arc::new(run_obj)));
        root.insert(
            "webhook",
            run.webhook
                .as_ref()
                .map(atende_excellent::value::from_json)
                .unwrap_or(Value::Null),
        );
        root.insert(
            "trigger",
            atende_excellent::value::from_json(&session.trigger),
        );
        let child = session
            .runs
            .iter()
            .rev()
            .find(|r| r.parent_uuid.as_deref() == Some(run.uuid.as_str()));
        root.insert(
            "child",
            child.map(|r| self.run_summary(r)).unwrap_or(Value::Null),
        );
        let parent = run
            .parent_uuid
            .as_ref()
            .and_then(|p| session.runs.iter().find(|r| &r.uuid == p));
        root.insert(
            "parent",
            parent.map(|r| self.run_summary(r)).unwrap_or(Value::Null),
        );
        for key in ["node", "ticket", "resume"] {
            root.insert(key, Value::Null);
        }
        Value::Object(Arc::new(root))
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
        o.insert("contact", self.contact.context(&self.assets.fields));
        o.insert("fields", self.contact.fields_context(&self.assets.fields));
        o.insert("urns", self.contact.urns_context());
        Value::Object(Arc::new(o))
    }

    fn execute(
        &mut self,
        session: &mut Session,
        idx: usize,
        flow: &Flow,
        node: &Node,
        action: &ActionKind,
    ) {
        let _ = node;
        match action {
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
                self.save_result(session, idx, &a.name, &value, &category, &node_uuid, None);
            }
            ActionKind::SetContactName(a) => {
                let name = self.text(session, idx, &a.name).trim().to_string();
                if name != self.contact.name {
                    self.contact.name = name.clone();
                    self.event("contact_name_changed", json!({ "name": name }));
                }
            }
            ActionKind::SetContactLanguage(a) => {
                let lang = self.text(session, idx, &a.language).trim().to_string();
                if lang != self.contact.language {
                    self.contact.language = lang.clone();
                    self.event("contact_language_changed", json!({ "language": lang }));
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
        if def.map(|d| d.value_type.as_str()) == Some("datetime") {
            if let Ok(z) = atende_excellent::dates::to_datetime(self.env, &Value::from(text)) {
                v.datetime = Some(atende_excellent::dates::iso_datetime(&z));
            }
        }
        v
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
    fn timestamps_like_go() {
        let t: jiff::Timestamp = "2025-05-04T12:30:45.123456789Z".parse().unwrap();
        assert_eq!(format_time(t), "2025-05-04T12:30:45.123456789Z");
        let t: jiff::Timestamp = "2000-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(format_time(t), "2000-01-01T00:00:00Z");
    }
}
