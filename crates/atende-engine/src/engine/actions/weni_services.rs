//! Weni's service actions ([`WENI_SERVICE_TYPES`]): calls to services only Weni's
//! platform has. A flow exported from Weni keeps them (they load and write back
//! verbatim); running one here says so with a `warning` and fails the way a webhook
//! that cannot connect fails: the action's result, when it names one, is saved with the
//! category `Failure` (and an empty value), and the node's router leaves by its
//! `Failure` category when it has one. A router without one decides as usual.
//!
//! The wire formats, as Weni's editor writes them (each node holds the action alone,
//! with a router on its result: `@results.x` tested with `has_category "Success"`, or
//! `@results.x.category` with `has_only_text "Success"`, Failure being the default):
//!
//! ```json
//! {"uuid": "…", "type": "call_external_service", "external_service": {"uuid": "…", "name": "ERP", "external_service_type": "…"},
//!  "call": {"name": "…", "value": "…", "verboseName": "…"}, "params": [{"type": "…", "data": {"value": "…"}}], "result_name": "Result"}
//! {"uuid": "…", "type": "call_wenigpt", "knowledge_base": "12", "input": "@input.text", "result_name": "Result"}
//! {"uuid": "…", "type": "run_code_action", "codeaction": {"id": "…", "name": "…"}, "result_name": "Result"}
//! {"uuid": "…", "type": "send_msg_catalog", "products": [{"product_retailer_id": "…"}], "productViewSettings": {"header": "…", "body": "…", "footer": "…", "action": "…"},
//!  "automaticProductSearch": false, "productSearch": "", "sendCatalog": false, "result_name": "Result"}
//! {"uuid": "…", "type": "call_brain", "entry": "@input.text"}
//! ```
//!
//! `call_brain` hands the conversation to Weni's AI agent and names no result: its node
//! has no exits, so the run ends there. A code action's router sends every answer to
//! its first category (Success): here it leaves by Failure all the same.

use serde_json::{json, Map, Value as Json};

#[cfg(doc)]
use crate::definition::action::WENI_SERVICE_TYPES;
use crate::definition::Node;
use crate::engine::Machine;
use crate::session::Session;

/// The category a failed service call saves, as goflow's webhook routers name it.
pub(in crate::engine) const FAILURE: &str = "Failure";

impl Machine<'_, '_> {
    pub(super) fn weni_service(
        &mut self,
        session: &mut Session,
        idx: usize,
        node: &Node,
        action_type: &str,
        params: &Map<String, Json>,
    ) {
        self.event(
            "warning",
            json!({ "text": format!(
                "action type '{action_type}' (Weni) is not supported: taking the Failure exit"
            ) }),
        );
        let result_name = params
            .get("result_name")
            .and_then(Json::as_str)
            .map(str::trim)
            .unwrap_or_default();
        if !result_name.is_empty() {
            let node_uuid = node.uuid.clone();
            self.save_result(
                session,
                idx,
                result_name,
                "",
                FAILURE,
                &node_uuid,
                None,
                None,
            );
        }
        self.failed_node = Some(node.uuid.clone());
    }
}

#[cfg(test)]
mod tests {
    use atende_excellent::{Environment, Pcg};
    use serde_json::{json, Value as Json};

    use crate::contact::Contact;
    use crate::engine::{start, Assets, Services};
    use crate::services::{SeededUuids, SequentialClock};

    /// Runs a node with `action` and a router on `@results.result`; gives the events
    /// and the message sent from the exit taken.
    fn run(action: Json, categories: &[&str]) -> (Vec<Json>, String) {
        let mut action = action;
        action["uuid"] = json!("1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e");
        let cats: Vec<Json> = categories
            .iter()
            .enumerate()
            .map(|(i, name)| json!({"uuid": format!("c{i}"), "name": name, "exit_uuid": format!("e{i}")}))
            .collect();
        let exits: Vec<Json> = categories
            .iter()
            .enumerate()
            .map(|(i, _)| json!({"uuid": format!("e{i}"), "destination_uuid": format!("n{i}")}))
            .collect();
        let mut nodes = vec![json!({"uuid": "start", "actions": [action],
            "router": {"type": "switch", "operand": "@results.result",
                "cases": [{"uuid": "k0", "type": "has_category", "arguments": ["Success"], "category_uuid": "c0"}],
                "categories": cats, "default_category_uuid": format!("c{}", categories.len() - 1)},
            "exits": exits})];
        for (i, name) in categories.iter().enumerate() {
            nodes.push(json!({"uuid": format!("n{i}"), "actions": [{"uuid": format!("a{i}"), "type": "send_msg", "text": name}],
                              "exits": [{"uuid": format!("x{i}")}]}));
        }
        let assets = Assets::from_json(&json!({"flows": [{
            "uuid": "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", "name": "Serviço", "spec_version": "14.4.2",
            "language": "por", "type": "messaging", "nodes": nodes}]}))
        .unwrap();
        let env = Environment::brazil();
        let mut contact = Contact::from_json(&json!({"uuid": "c1", "name": "Ana"})).unwrap();
        let start_at: jiff::Timestamp = "2025-05-04T12:30:45Z".parse().unwrap();
        let mut clock = SequentialClock::new(start_at, jiff::SignedDuration::from_secs(1));
        let mut uuids = SeededUuids::new(1);
        let mut random = Pcg::new(1, 1);
        let trigger = json!({"type": "manual", "flow": {"uuid": "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", "name": "Serviço"},
                             "triggered_on": "2000-01-01T00:00:00Z"});
        let services = Services::new(&mut clock, &mut uuids, &mut random);
        let (_, sprint) = start(&assets, &env, &mut contact, &trigger, services).unwrap();
        let events: Vec<Json> = sprint.events.iter().map(|e| e.to_json()).collect();
        let sent = events
            .iter()
            .find(|e| e["type"] == "msg_created")
            .and_then(|e| e["msg"]["text"].as_str())
            .unwrap_or_default()
            .to_string();
        (events, sent)
    }

    #[test]
    fn a_service_result_fails_and_the_failure_exit_is_taken() {
        let (events, sent) = run(
            json!({"type": "call_wenigpt", "knowledge_base": 7, "input": "@input.text", "result_name": "Result"}),
            &["Success", "Failure"],
        );
        assert_eq!(
            events[1]["text"],
            "action type 'call_wenigpt' (Weni) is not supported: taking the Failure exit"
        );
        assert_eq!(events[2]["type"], "run_result_changed");
        assert_eq!(events[2]["category"], "Failure");
        assert_eq!(sent, "Failure");
    }

    #[test]
    fn without_a_failure_category_the_router_decides() {
        // no result to save, and no Failure category: the default is taken
        let (events, sent) = run(
            json!({"type": "send_msg_catalog", "products": [], "productViewSettings": {"body": "Veja"}}),
            &["Success", "Outros"],
        );
        assert!(!events.iter().any(|e| e["type"] == "run_result_changed"));
        assert_eq!(sent, "Outros");
    }
}
