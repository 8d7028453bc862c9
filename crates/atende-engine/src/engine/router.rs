//! Routing: a node's router picks a category (switch cases, random, a timeout) and the
//! run follows its exit; a router with a result name saves the result.

use std::sync::Arc;

use atende_excellent::{Evaluator, Object, Value};
use serde_json::{json, Value as Json};

use crate::definition::{Flow, Node, Wait};
use crate::engine::{Machine, Next};
use crate::session::{RunStatus, Session};

impl Machine<'_, '_> {
    /// Picks the node's exit: through its router, or its only exit.
    pub(super) fn route(
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
                let mut random_input: Option<String> = None;
                if chosen.is_none() {
                    match router.router_type {
                        crate::definition::RouterType::Random => {
                            // the result's value is the category index, its input the draw
                            let n = router.categories.len().max(1) as f64;
                            let draw = self.services.random.next_f64();
                            let i = (draw * n) as usize;
                            random_input = Some(draw.to_string());
                            chosen = router
                                .categories
                                .get(i)
                                .map(|c| (c.uuid.clone(), Value::from(i.to_string())));
                        }
                        crate::definition::RouterType::Smart => {
                            let (operand, _) = self.evaluate(session, idx, &router.operand);
                            input_text = operand.render();
                            if !input_text.is_empty() {
                                operand_text = Some(input_text.clone());
                            }
                            self.event(
                                "warning",
                                json!({ "text": "router type 'smart' (Weni) is not supported: taking the default category" }),
                            );
                            chosen = router
                                .default_category_uuid
                                .clone()
                                .map(|c| (c, Value::Null));
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
                // a Weni service action of this node failed: leave by the Failure
                // category when the router has one, whatever its cases say
                if self.failed_node.as_deref() == Some(node.uuid.as_str()) && !timed_out {
                    if let Some(failure) = router
                        .categories
                        .iter()
                        .find(|c| c.name.eq_ignore_ascii_case(super::actions::FAILURE))
                    {
                        chosen = Some((failure.uuid.clone(), Value::Null));
                    }
                }
                let Some((cat_uuid, matched)) = chosen else {
                    self.event(
                        "failure",
                        json!({ "text": "Router failed to pick a category" }),
                    );
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
                    let input = if random_input.is_some() {
                        random_input.clone()
                    } else if router.wait.is_none() && operand_text.is_some() {
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
    pub(super) fn test(
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
        let clock = &mut *self.services.clock;
        let mut now = || clock.now();
        let mut ev = Evaluator::with_clock(self.env, &root, &mut now, self.services.random);
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
}
