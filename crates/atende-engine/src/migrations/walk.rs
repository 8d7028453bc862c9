//! Navigating a flow definition held as plain JSON.
//!
//! Migrations run before a flow is validated, so nothing here assumes a well-formed
//! flow: a missing or mistyped part is simply skipped and left for flow reading to
//! report. The table of which action properties are templates lets template-rewriting
//! migrations reach every expression of a flow without knowing each action type.

use serde_json::{Map, Value};

/// The flow's nodes, as objects (anything else in `nodes` is skipped).
pub fn nodes_mut(flow: &mut Value) -> impl Iterator<Item = &mut Map<String, Value>> {
    flow.get_mut("nodes")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

/// A node's actions, as objects.
pub fn actions_mut(node: &mut Map<String, Value>) -> impl Iterator<Item = &mut Map<String, Value>> {
    node.get_mut("actions")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

/// Every action of every node.
pub fn all_actions_mut(flow: &mut Value) -> impl Iterator<Item = &mut Map<String, Value>> {
    nodes_mut(flow).flat_map(actions_mut)
}

/// The `type` of an action, router or case.
pub fn type_of(obj: &Map<String, Value>) -> &str {
    obj.get("type").and_then(Value::as_str).unwrap_or_default()
}

/// The flow's localization as `{lang: {uuid: {key: [..]}}}`, if it is an object.
pub fn localization_mut(flow: &mut Value) -> Option<&mut Map<String, Value>> {
    flow.get_mut("localization").and_then(Value::as_object_mut)
}

/// Every language's translation object for one item uuid, with its language.
pub fn translations_of<'a>(
    flow: &'a mut Value,
    uuid: &'a str,
) -> impl Iterator<Item = (&'a String, &'a mut Map<String, Value>)> + 'a {
    localization_mut(flow)
        .into_iter()
        .flat_map(|l| l.iter_mut())
        .filter_map(move |(lang, items)| {
            items
                .get_mut(uuid)
                .and_then(Value::as_object_mut)
                .map(|t| (lang, t))
        })
}

/// Properties of each action type that are templates, as dotted paths where `*` means
/// every item of an array (or value of an object).
fn action_template_paths(action_type: &str) -> &'static [&'static str] {
    match action_type {
        "add_contact_groups" | "remove_contact_groups" => &["groups.*.name_match"],
        "add_contact_urn" => &["path"],
        "add_input_labels" => &["labels.*.name_match"],
        "call_classifier" => &["input"],
        "call_llm" => &["instructions", "input"],
        "call_webhook" => &["url", "headers.*", "body"],
        "open_ticket" => &["subject", "body", "note"],
        "play_audio" => &["audio_url"],
        "say_msg" => &["text"],
        "send_broadcast" => &[
            "text",
            "attachments.*",
            "quick_replies.*",
            "legacy_vars.*",
            "contact_query",
            "templating.variables.*",
            "template_variables.*",
        ],
        "send_email" => &["addresses.*", "subject", "body"],
        "send_msg" => &[
            "text",
            "attachments.*",
            "quick_replies.*",
            "templating.variables.*",
            "templating.components.*.params.*",
            "template_variables.*",
        ],
        "set_contact_field" => &["value"],
        "set_contact_language" => &["language"],
        "set_contact_name" => &["name"],
        "set_contact_timezone" => &["timezone"],
        "set_run_local" | "set_run_result" => &["value"],
        "start_session" => &["legacy_vars.*", "contact_query"],
        _ => &[],
    }
}

/// Router properties that are templates.
const ROUTER_TEMPLATE_PATHS: &[&str] = &["operand", "cases.*.arguments.*", "wait.phone"];

/// Localized properties that are templates (category `name`s and audio URLs are not).
const LOCALIZED_TEMPLATE_KEYS: &[&str] = &[
    "text",
    "attachments",
    "quick_replies",
    "arguments",
    "template_variables",
    "variables",
    "params",
    "subject",
    "body",
];

fn each_at_path(value: &mut Value, path: &[&str], f: &mut dyn FnMut(&mut String)) {
    let Some((first, rest)) = path.split_first() else {
        if let Value::String(s) = value {
            f(s);
        }
        return;
    };
    if *first == "*" {
        match value {
            Value::Array(items) => items.iter_mut().for_each(|v| each_at_path(v, rest, f)),
            Value::Object(map) => map.values_mut().for_each(|v| each_at_path(v, rest, f)),
            _ => {}
        }
    } else if let Some(v) = value.get_mut(*first) {
        each_at_path(v, rest, f);
    }
}

/// Calls `f` on every template string of the flow: action properties, router operands,
/// case arguments and localized texts.
pub fn for_each_template(flow: &mut Value, f: &mut dyn FnMut(&mut String)) {
    if let Some(nodes) = flow.get_mut("nodes").and_then(Value::as_array_mut) {
        for node in nodes.iter_mut() {
            if let Some(actions) = node.get_mut("actions").and_then(Value::as_array_mut) {
                for action in actions.iter_mut() {
                    let paths = action_template_paths(
                        action
                            .get("type")
                            .and_then(Value::as_str)
                            .unwrap_or_default(),
                    );
                    for path in paths {
                        let parts: Vec<&str> = path.split('.').collect();
                        each_at_path(action, &parts, f);
                    }
                }
            }
            if let Some(router) = node.get_mut("router") {
                for path in ROUTER_TEMPLATE_PATHS {
                    let parts: Vec<&str> = path.split('.').collect();
                    each_at_path(router, &parts, f);
                }
            }
        }
    }
    if let Some(loc) = localization_mut(flow) {
        for items in loc.values_mut().filter_map(Value::as_object_mut) {
            for item in items.values_mut().filter_map(Value::as_object_mut) {
                for (key, value) in item.iter_mut() {
                    if LOCALIZED_TEMPLATE_KEYS.contains(&key.as_str()) {
                        each_at_path(value, &["*"], f);
                    }
                }
            }
        }
    }
}

/// goflow's result-name → result-key rule: runs of anything but letters, digits and
/// `_` become `_`, lowercased, with `_` trimmed from both ends.
pub fn snakify(name: &str) -> String {
    let mut out = String::new();
    let mut pending = false;
    for c in name.trim().chars() {
        if c.is_alphabetic() || c.is_numeric() || c == '_' {
            if pending {
                out.push('_');
                pending = false;
            }
            out.extend(c.to_lowercase());
        } else {
            pending = true;
        }
    }
    if pending {
        out.push('_');
    }
    out.trim_matches('_').to_string()
}

/// Cuts `s` to at most `max` characters (not bytes), then trims surrounding spaces so a
/// cut never leaves a dangling space.
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].trim().to_string(),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn snakify_matches_result_keys() {
        assert_eq!(snakify("Call 2"), "call_2");
        assert_eq!(snakify(" Favorite Color? "), "favorite_color");
        assert_eq!(snakify("Ação-Final"), "ação_final");
    }

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate_chars("ééééé", 3), "ééé");
        assert_eq!(truncate_chars("ab cd", 3), "ab");
        assert_eq!(truncate_chars("ab ", 3), "ab ");
    }

    #[test]
    fn templates_are_found_everywhere() {
        let mut flow = json!({
            "localization": {"spa": {"a1": {"text": ["t"], "name": ["n"]}}},
            "nodes": [{
                "actions": [
                    {"type": "send_msg", "text": "x", "quick_replies": ["q"]},
                    {"type": "call_webhook", "url": "u", "headers": {"H": "h"}},
                    {"type": "enter_flow", "flow": {"name": "not a template"}}
                ],
                "router": {"operand": "o", "cases": [{"arguments": ["a"]}]}
            }]
        });
        let mut seen = Vec::new();
        for_each_template(&mut flow, &mut |s| seen.push(s.clone()));
        assert_eq!(seen, ["x", "q", "u", "h", "o", "a", "t"]);
    }
}
