//! Flow definitions in the goflow flow spec (14.4.2 after migration): flows, nodes,
//! exits, routers, categories, cases, waits and actions, read with errors that name
//! the flow, the node and the JSON path of the problem.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

pub mod action;

pub use action::Action;

/// The current flow spec version; older definitions are migrated to it on read.
pub const SPEC_VERSION: &str = "14.4.2";

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// The kinds of flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowType {
    Messaging,
    MessagingOffline,
    MessagingBackground,
    Voice,
}

/// A flow: a graph of nodes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Flow {
    pub uuid: String,
    pub name: String,
    pub spec_version: String,
    pub language: String,
    #[serde(rename = "type")]
    pub flow_type: FlowType,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub revision: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_after_minutes: Option<i64>,
    #[serde(default, skip_serializing_if = "Json::is_null")]
    pub localization: Json,
    pub nodes: Vec<Node>,
    #[serde(default, rename = "_ui", skip_serializing_if = "Json::is_null")]
    pub ui: Json,
}

/// A node: actions run in order, then the router picks an exit.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Node {
    pub uuid: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub router: Option<Router>,
    pub exits: Vec<Exit>,
}

/// A way out of a node, optionally to another node.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Exit {
    pub uuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_uuid: Option<String>,
}

/// A router: `switch` tests an operand against cases; `random` picks a category.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Router {
    #[serde(rename = "type")]
    pub router_type: RouterType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<Wait>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub result_name: String,
    pub categories: Vec<Category>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub operand: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cases: Vec<Case>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_category_uuid: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouterType {
    Switch,
    Random,
    /// Weni's fork: the operand is classified by Weni's zero-shot AI service into one of
    /// the categories (the cases' arguments describe them). We have no such service: the
    /// router warns and takes its default category.
    Smart,
}

/// What a router's result is called when chosen, and which exit it takes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Category {
    pub uuid: String,
    pub name: String,
    pub exit_uuid: String,
}

/// One test of a switch router (`has_any_word`, `has_number_between`, …).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Case {
    pub uuid: String,
    #[serde(rename = "type")]
    pub test: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<String>,
    pub category_uuid: String,
}

/// What a router waits for before routing.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Wait {
    /// A message from the contact, optionally with a timeout.
    Msg {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout: Option<Timeout>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hint: Option<Json>,
    },
    /// The result of dialling a phone number (voice flows).
    Dial {
        phone: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dial_limit_seconds: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_limit_seconds: Option<i64>,
    },
}

/// A wait's timeout: after `seconds` without input, route to `category_uuid`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Timeout {
    pub seconds: i64,
    pub category_uuid: String,
}

/// Why a definition could not be read; the message names the flow and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("flow '{flow}': {path}: {message}")]
pub struct DefinitionError {
    pub flow: String,
    /// JSON path of the problem (`nodes[2].router.categories[1].exit_uuid`).
    pub path: String,
    pub message: String,
}

impl Flow {
    /// Reads and validates a flow definition already at the current spec version.
    pub fn read(json: &Json) -> Result<Flow, DefinitionError> {
        let name = json
            .get("name")
            .and_then(Json::as_str)
            .or_else(|| json.get("uuid").and_then(Json::as_str))
            .unwrap_or("?")
            .to_string();
        let mut flow: Flow = serde_json::from_value(json.clone()).map_err(|e| DefinitionError {
            flow: name.clone(),
            path: serde_path(json, &e),
            message: e.to_string(),
        })?;
        // editors write `"default_category_uuid": ""` for "no default"
        for node in &mut flow.nodes {
            if let Some(router) = &mut node.router {
                if router.default_category_uuid.as_deref() == Some("") {
                    router.default_category_uuid = None;
                }
            }
        }
        flow.validate()?;
        Ok(flow)
    }

    /// Checks the graph: unique node UUIDs, exits pointing at existing nodes, categories
    /// pointing at their node's exits, cases and defaults pointing at categories.
    pub fn validate(&self) -> Result<(), DefinitionError> {
        let err = |path: String, message: String| DefinitionError {
            flow: self.name.clone(),
            path,
            message,
        };
        let mut node_uuids = HashSet::new();
        for (i, node) in self.nodes.iter().enumerate() {
            if !node_uuids.insert(node.uuid.as_str()) {
                return Err(err(
                    format!("nodes[{i}].uuid"),
                    format!("duplicate node UUID {}", node.uuid),
                ));
            }
        }
        for (i, node) in self.nodes.iter().enumerate() {
            // Weni's `call_brain` hands the conversation to its AI agent: its node has
            // no exits, and the run ends there
            let hands_over = node
                .actions
                .iter()
                .any(|a| a.kind.type_name() == "call_brain");
            if node.exits.is_empty() && !hands_over {
                return Err(err(
                    format!("nodes[{i}].exits"),
                    "a node needs at least one exit".into(),
                ));
            }
            let mut exits = HashSet::new();
            for (j, exit) in node.exits.iter().enumerate() {
                exits.insert(exit.uuid.as_str());
                if let Some(dest) = &exit.destination_uuid {
                    if !node_uuids.contains(dest.as_str()) {
                        return Err(err(
                            format!("nodes[{i}].exits[{j}].destination_uuid"),
                            format!("destination {dest} is not a node of this flow"),
                        ));
                    }
                }
            }
            for (j, action) in node.actions.iter().enumerate() {
                action
                    .validate()
                    .map_err(|m| err(format!("nodes[{i}].actions[{j}]"), m))?;
            }
            let Some(router) = &node.router else {
                if node.exits.len() > 1 {
                    return Err(err(
                        format!("nodes[{i}].exits"),
                        "a node without a router can only have one exit".into(),
                    ));
                }
                continue;
            };
            let mut categories = HashSet::new();
            for (j, cat) in router.categories.iter().enumerate() {
                categories.insert(cat.uuid.as_str());
                if !exits.contains(cat.exit_uuid.as_str()) {
                    return Err(err(
                        format!("nodes[{i}].router.categories[{j}].exit_uuid"),
                        format!(
                            "exit {} is not an exit of node {}",
                            cat.exit_uuid, node.uuid
                        ),
                    ));
                }
            }
            let check_cat = |path: String, uuid: &str| {
                if categories.contains(uuid) {
                    Ok(())
                } else {
                    Err(err(
                        path,
                        format!("category {uuid} is not a category of this router"),
                    ))
                }
            };
            for (j, case) in router.cases.iter().enumerate() {
                let is_test = case.test.starts_with("has_")
                    && atende_excellent::functions::lookup(&case.test).is_some();
                if !is_test {
                    return Err(err(
                        format!("nodes[{i}].router.cases[{j}].type"),
                        format!("{} is not a registered test function", case.test),
                    ));
                }
                check_cat(
                    format!("nodes[{i}].router.cases[{j}].category_uuid"),
                    &case.category_uuid,
                )?;
            }
            if let Some(d) = &router.default_category_uuid {
                check_cat(format!("nodes[{i}].router.default_category_uuid"), d)?;
            }
            if let Some(Wait::Msg {
                timeout: Some(t), ..
            }) = &router.wait
            {
                check_cat(
                    format!("nodes[{i}].router.wait.timeout.category_uuid"),
                    &t.category_uuid,
                )?;
            }
            if router.categories.is_empty() {
                return Err(err(
                    format!("nodes[{i}].router.categories"),
                    "a router needs categories".into(),
                ));
            }
        }
        Ok(())
    }

    pub fn node(&self, uuid: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.uuid == uuid)
    }

    /// A reference to this flow (`{"uuid": …, "name": …}`), as events and runs carry it.
    pub fn reference(&self) -> Json {
        serde_json::json!({ "uuid": self.uuid, "name": self.name })
    }
}

/// Best-effort JSON path for a serde error: serde_json reports line/column only, so we
/// locate the first node whose own deserialisation fails.
fn serde_path(json: &Json, e: &serde_json::Error) -> String {
    if let Some(nodes) = json.get("nodes").and_then(Json::as_array) {
        for (i, node) in nodes.iter().enumerate() {
            if serde_json::from_value::<Node>(node.clone()).is_err() {
                if let Some(actions) = node.get("actions").and_then(Json::as_array) {
                    for (j, a) in actions.iter().enumerate() {
                        if serde_json::from_value::<Action>(a.clone()).is_err() {
                            return format!("nodes[{i}].actions[{j}]");
                        }
                    }
                }
                if let Some(r) = node.get("router") {
                    if serde_json::from_value::<Router>(r.clone()).is_err() {
                        return format!("nodes[{i}].router");
                    }
                }
                return format!("nodes[{i}]");
            }
        }
    }
    let _ = e;
    "$".into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flow(nodes: Json) -> Json {
        json!({"uuid": "f1", "name": "Cobrança", "spec_version": "14.4.2", "language": "por",
               "type": "messaging", "nodes": nodes})
    }

    #[test]
    fn reads_a_valid_flow_and_writes_it_back() {
        let j = flow(json!([
            {"uuid": "n1", "actions": [{"uuid": "a1", "type": "send_msg", "text": "Olá"}],
             "exits": [{"uuid": "e1", "destination_uuid": "n2"}]},
            {"uuid": "n2", "router": {"type": "switch", "operand": "@input.text",
                "wait": {"type": "msg", "timeout": {"seconds": 900, "category_uuid": "c3"}},
                "cases": [{"uuid": "k1", "type": "has_any_word", "arguments": ["sim"], "category_uuid": "c1"}],
                "categories": [{"uuid": "c1", "name": "Sim", "exit_uuid": "x1"},
                               {"uuid": "c2", "name": "Other", "exit_uuid": "x2"},
                               {"uuid": "c3", "name": "No Response", "exit_uuid": "x2"}],
                "default_category_uuid": "c2"},
             "exits": [{"uuid": "x1"}, {"uuid": "x2"}]}
        ]));
        let f = Flow::read(&j).unwrap();
        assert_eq!(serde_json::to_value(&f).unwrap(), j);
    }

    #[test]
    fn errors_name_the_flow_and_path() {
        let j =
            flow(json!([{"uuid": "n1", "exits": [{"uuid": "e1", "destination_uuid": "nope"}]}]));
        assert_eq!(
            Flow::read(&j).unwrap_err().to_string(),
            "flow 'Cobrança': nodes[0].exits[0].destination_uuid: destination nope is not a node of this flow"
        );
        let j = flow(
            json!([{"uuid": "n1", "actions": [{"uuid": "a1", "type": "send_msg"}], "exits": [{"uuid": "e1"}]}]),
        );
        let e = Flow::read(&j).unwrap_err();
        assert_eq!(e.path, "nodes[0].actions[0]");
        assert!(e.message.contains("text"), "{e}");
    }
}
