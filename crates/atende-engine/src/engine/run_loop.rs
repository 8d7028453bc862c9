//! The run loop: walks a run's nodes (actions, then the router) until it waits or
//! ends, starting and ending runs, waits and subflows.

use serde_json::{json, Map, Value as Json};

use crate::definition::action::ActionKind;
use crate::definition::{Flow, Wait};
use crate::engine::context::result_key;
use crate::engine::time::format_time;
use crate::engine::{Machine, Next, Sprint, MAX_STEPS_PER_SPRINT};
use crate::session::{Run, RunStatus, Session, SessionStatus, Step};

/// `{"uuid", "name"}` (plus `revision` when set) of a flow.
fn flow_ref(flow: &Flow) -> Json {
    let mut r = json!({ "uuid": flow.uuid, "name": flow.name });
    if flow.revision != 0 {
        r["revision"] = json!(flow.revision);
    }
    r
}

impl<'a> Machine<'a, '_> {
    /// The sprint's output.
    pub(super) fn finish(mut self) -> Sprint {
        self.sprint.segments = self.segments.into_iter().map(|(_, s)| s).collect();
        self.sprint
    }

    pub(super) fn now(&mut self) -> String {
        format_time(self.services.clock.now())
    }

    pub(super) fn v7(&mut self) -> String {
        self.services.uuids.new_v7(self.services.clock)
    }

    pub(super) fn event(&mut self, event_type: &'static str, data: Json) {
        let event = self.services.new_event(event_type, data);
        self.sprint.events.push(event);
    }

    pub(super) fn start_run(
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
            extra_text: Default::default(),
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

    pub(super) fn flow_of(&self, run: &Run) -> Option<&'a Flow> {
        let uuid = run.flow.get("uuid").and_then(Json::as_str)?;
        self.assets.flow(uuid)
    }

    /// Runs the active run from its current position until a wait or the end.
    pub(super) fn run_until_wait(&mut self, session: &mut Session) {
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

    pub(super) fn end_run(&mut self, session: &mut Session, idx: usize, status: RunStatus) {
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
    pub(super) fn walk(
        &mut self,
        session: &mut Session,
        idx: usize,
        flow: &'a Flow,
        mut next: Next,
    ) -> Next {
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
            self.failed_node = None;
            // a subflow starts once the node's other actions have run
            let mut child_flow: Option<(&'a Flow, bool)> = None;
            for action in &node.actions {
                if let ActionKind::EnterFlow(a) = &action.kind {
                    match self.assets.flow(&a.flow.uuid) {
                        // voice and messaging flows can't call each other: the contact
                        // is on a call in one and not in the other
                        Some(child) if is_voice(child) != is_voice(flow) => {
                            self.event(
                                "failure",
                                json!({ "text": format!(
                                    "Can't enter flow[uuid={},name={}] of type {} from type {}",
                                    child.uuid, child.name, flow_type_name(child), flow_type_name(flow)
                                ) }),
                            );
                            return Next::End(RunStatus::Failed);
                        }
                        Some(child) => child_flow = Some((child, a.terminal)),
                        None => {
                            self.event(
                                "failure",
                                json!({ "text": format!("Unable to find flow '{}'", a.flow.name) }),
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

    pub(super) fn begin_wait(
        &mut self,
        session: &mut Session,
        idx: usize,
        flow: &Flow,
        wait: &Wait,
    ) {
        if let Wait::Dial {
            phone,
            dial_limit_seconds,
            call_limit_seconds,
        } = wait
        {
            self.begin_dial_wait(
                session,
                idx,
                phone,
                *dial_limit_seconds,
                *call_limit_seconds,
            );
            return;
        }
        session.runs[idx].status = RunStatus::Waiting;
        // offline (Surveyor) flows collect answers on a device: their waits don't
        // expire in the engine, their expiry is when they began
        let minutes = flow.expire_after_minutes.unwrap_or(match flow.flow_type {
            crate::definition::FlowType::Voice => 5,
            crate::definition::FlowType::MessagingOffline => 0,
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
    pub(super) fn resume_wait(&mut self, session: &mut Session, idx: usize, timed_out: bool) {
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
        // the sprint starts at the waiting node: segments a parent takes after this
        // run ends start there too
        self.last_node = Some(node.uuid.clone());
        session.runs[idx].modified_on = self.now();
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

    #[allow(clippy::too_many_arguments)]
    pub(super) fn save_result(
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
        // goflow keeps at most this many characters of a result's value
        let value = crate::prefix_chars(value, MAX_RESULT_VALUE_CHARS);
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
        let key = result_key(name);
        session.runs[idx].extra_text.remove(&key);
        let previous = session.runs[idx].results.insert(key, r);
        session.runs[idx].modified_on = self.now();
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
}

/// Longest result value kept (goflow's limit); longer values are cut.
const MAX_RESULT_VALUE_CHARS: usize = 640;

fn is_voice(flow: &Flow) -> bool {
    flow.flow_type == crate::definition::FlowType::Voice
}

/// The wire name of a flow's type (`messaging`, `voice`, …).
fn flow_type_name(flow: &Flow) -> String {
    serde_json::to_value(flow.flow_type)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
