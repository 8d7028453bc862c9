//! The individual spec migrations, one function per version, each turning a flow at
//! the previous version into one at its own (the driver in `mod.rs` sets
//! `spec_version`). What each does was learnt from goflow's migration fixtures and spec
//! notes; every step is tolerant of malformed parts, which it leaves alone.

use atende_excellent::parser::Expr;
use serde_json::{json, Map, Value};

use super::template::{rewrite, visit};
use super::walk::{
    actions_mut, all_actions_mut, for_each_template, localization_mut, nodes_mut, snakify,
    translations_of, truncate_chars, type_of,
};
use crate::services::UuidSource;

/// Longest result name goflow accepts (and so longest result key).
const MAX_RESULT_NAME: usize = 64;
/// Longest category name goflow accepts.
const MAX_CATEGORY_NAME: usize = 36;
/// Most quick replies a message may carry.
const MAX_QUICK_REPLIES: usize = 10;
/// Longest expiry of a messaging flow (14 days), and of a voice flow.
const MAX_EXPIRE_MESSAGING: i64 = 20160;
const MAX_EXPIRE_VOICE: i64 = 15;

/// Rewrites every template of the flow with an expression transform.
fn rewrite_templates(flow: &mut Value, tx: &mut dyn FnMut(&mut Expr) -> bool) {
    for_each_template(flow, &mut |s| {
        if let Some(new) = rewrite(s, tx) {
            *s = new;
        }
    });
}

/// 13.1.0: message templating gained its own UUID (so it can be localized).
pub fn v13_1_0(flow: &mut Value, uuids: &mut dyn UuidSource) {
    for action in all_actions_mut(flow) {
        if let Some(templating) = action.get_mut("templating").and_then(Value::as_object_mut) {
            if !templating.contains_key("uuid") {
                templating.insert("uuid".into(), Value::String(uuids.new_v4()));
            }
        }
    }
}

/// 13.2.0: the pseudo-language `base` became `und` (undetermined).
pub fn v13_2_0(flow: &mut Value, _: &mut dyn UuidSource) {
    if flow.get("language").and_then(Value::as_str) == Some("base") {
        flow["language"] = json!("und");
    }
}

/// 13.3.0: `@webhook` became an object whose parsed body is `@webhook.json`, so every
/// reference to the old `webhook` value now reads its `json`.
pub fn v13_3_0(flow: &mut Value, _: &mut dyn UuidSource) {
    rewrite_templates(flow, &mut |e| {
        visit(e, &mut |e| match e {
            Expr::Ref(name) if name.eq_ignore_ascii_case("webhook") => {
                *e = Expr::Dot(Box::new(Expr::Ref(name.clone())), "json".into());
                true
            }
            _ => false,
        })
    });
}

/// 13.4.0: templating variables became components; the old variables are the `body`
/// component (with a new UUID) and their translations move to that component.
pub fn v13_4_0(flow: &mut Value, uuids: &mut dyn UuidSource) {
    // (old templating uuid, new component uuid)
    let mut moved: Vec<(String, String)> = Vec::new();
    for action in all_actions_mut(flow) {
        let Some(templating) = action.get_mut("templating").and_then(Value::as_object_mut) else {
            continue;
        };
        let old_uuid = templating.remove("uuid");
        let variables = templating.remove("variables");
        let has_vars = variables
            .as_ref()
            .and_then(Value::as_array)
            .is_some_and(|v| !v.is_empty());
        if has_vars {
            let uuid = uuids.new_v4();
            if let Some(Value::String(old)) = old_uuid {
                moved.push((old, uuid.clone()));
            }
            templating.insert(
                "components".into(),
                json!([{"uuid": uuid, "name": "body", "params": variables}]),
            );
        }
    }
    let Some(loc) = localization_mut(flow) else {
        return;
    };
    for items in loc.values_mut().filter_map(Value::as_object_mut) {
        for (old, new) in &moved {
            if let Some(mut item) = items.remove(old) {
                if let Some(obj) = item.as_object_mut() {
                    if let Some(vars) = obj.remove("variables") {
                        obj.insert("params".into(), vars);
                    }
                }
                items.insert(new.clone(), item);
            }
        }
    }
}

/// 13.5.0: templating was flattened into the action: `template` plus one list of
/// `template_variables` (all components' params in order); component translations
/// become translated `template_variables` of the action, falling back to the base
/// params for components a language did not translate.
pub fn v13_5_0(flow: &mut Value, _: &mut dyn UuidSource) {
    struct Flattened {
        action_uuid: String,
        components: Vec<(String, Vec<Value>)>,
    }
    let mut flattened = Vec::new();
    for action in all_actions_mut(flow) {
        let Some(Value::Object(mut templating)) = action.remove("templating") else {
            continue;
        };
        if let Some(template) = templating.remove("template") {
            action.insert("template".into(), template);
        }
        let mut components = Vec::new();
        let mut variables = Vec::new();
        if let Some(Value::Array(comps)) = templating.remove("components") {
            for comp in comps {
                let uuid = comp.get("uuid").and_then(Value::as_str).unwrap_or_default();
                let params = comp
                    .get("params")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                variables.extend(params.iter().cloned());
                components.push((uuid.to_string(), params));
            }
        }
        if !variables.is_empty() {
            action.insert("template_variables".into(), Value::Array(variables));
        }
        if let Some(uuid) = action.get("uuid").and_then(Value::as_str) {
            flattened.push(Flattened {
                action_uuid: uuid.to_string(),
                components,
            });
        }
    }
    let Some(loc) = localization_mut(flow) else {
        return;
    };
    for items in loc.values_mut().filter_map(Value::as_object_mut) {
        for f in &flattened {
            let mut translated = false;
            let mut vars = Vec::new();
            for (uuid, base) in &f.components {
                let params = items
                    .remove(uuid)
                    .and_then(|item| item.get("params").and_then(Value::as_array).cloned());
                match params {
                    Some(p) => {
                        translated = true;
                        vars.extend(p);
                    }
                    None => vars.extend(base.iter().cloned()),
                }
            }
            if translated {
                let item = items
                    .entry(f.action_uuid.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Some(obj) = item.as_object_mut() {
                    obj.insert("template_variables".into(), Value::Array(vars));
                }
            }
        }
    }
}

/// Cuts a string property to `max` characters in place.
fn truncate_field(obj: &mut Map<String, Value>, key: &str, max: usize) {
    if let Some(Value::String(s)) = obj.get_mut(key) {
        *s = truncate_chars(s, max);
    }
}

/// 13.6.0: result names longer than 64 characters and category names longer than 36
/// are cut, as goflow now rejects them.
pub fn v13_6_0(flow: &mut Value, _: &mut dyn UuidSource) {
    for node in nodes_mut(flow) {
        for action in actions_mut(node) {
            if type_of(action) == "set_run_result" {
                truncate_field(action, "name", MAX_RESULT_NAME);
                truncate_field(action, "category", MAX_CATEGORY_NAME);
            }
        }
        if let Some(router) = node.get_mut("router").and_then(Value::as_object_mut) {
            truncate_field(router, "result_name", MAX_RESULT_NAME);
            let cats = router.get_mut("categories").and_then(Value::as_array_mut);
            for cat in cats.into_iter().flatten().filter_map(Value::as_object_mut) {
                truncate_field(cat, "name", MAX_CATEGORY_NAME);
            }
        }
    }
}

/// 13.6.1: since result names were cut to 64 characters, references to longer result
/// keys (`@results.<key>`, also under `run`, `parent`, `child`) are cut to match.
pub fn v13_6_1(flow: &mut Value, _: &mut dyn UuidSource) {
    rewrite_templates(flow, &mut |e| {
        visit(e, &mut |e| {
            let Expr::Dot(target, key) = e else {
                return false;
            };
            let is_results = match target.as_ref() {
                Expr::Ref(n) => n.eq_ignore_ascii_case("results"),
                Expr::Dot(root, k) => {
                    k.eq_ignore_ascii_case("results")
                        && matches!(root.as_ref(), Expr::Ref(r)
                            if ["run", "parent", "child"].iter().any(|n| r.eq_ignore_ascii_case(n)))
                }
                _ => false,
            };
            if is_results && key.chars().count() > MAX_RESULT_NAME {
                let cut: String = key.chars().take(MAX_RESULT_NAME).collect();
                *key = cut.into();
                true
            } else {
                false
            }
        })
    });
}

/// 14.0.0: expiries beyond what a flow type allows are capped (14 days for messaging
/// flows, 15 minutes for voice).
pub fn v14_0_0(flow: &mut Value, _: &mut dyn UuidSource) {
    let max = match flow.get("type").and_then(Value::as_str) {
        Some("voice") => MAX_EXPIRE_VOICE,
        _ => MAX_EXPIRE_MESSAGING,
    };
    if let Some(n) = flow.get("expire_after_minutes").and_then(Value::as_i64) {
        if n > max {
            flow["expire_after_minutes"] = json!(max);
        }
    }
}

/// Whether a node calls a webhook or resthook (so its router may split on the call).
fn is_webhook_node(node: &mut Map<String, Value>) -> bool {
    actions_mut(node).any(|a| matches!(type_of(a), "call_webhook" | "call_resthook"))
}

/// Whether `operand` is `@results.<key>` or `@results.<key>.category`.
fn is_result_operand(operand: &str, key: &str) -> bool {
    let operand = operand.trim().to_lowercase();
    let base = format!("@results.{key}");
    operand == base || operand == format!("{base}.category")
}

/// Replaces a split's cases by one: the case leading to the `Success` category (or the
/// first case), keeping its UUID and category, with a new test; the other outcomes
/// fall to the default (`Failure`) category.
fn keep_success_case(router: &mut Map<String, Value>, test: &str, arguments: Value) {
    let success_cat = router
        .get("categories")
        .and_then(Value::as_array)
        .and_then(|cats| {
            cats.iter().find(|c| {
                c.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case("success"))
            })
        })
        .and_then(|c| c.get("uuid"))
        .cloned();
    let Some(Value::Array(cases)) = router.get_mut("cases") else {
        return;
    };
    let idx = cases
        .iter()
        .position(|c| success_cat.is_some() && c.get("category_uuid") == success_cat.as_ref())
        .unwrap_or(0);
    if idx >= cases.len() {
        return;
    }
    let mut case = cases.swap_remove(idx);
    if let Some(obj) = case.as_object_mut() {
        obj.insert("type".into(), json!(test));
        obj.insert("arguments".into(), arguments);
    }
    *cases = vec![case];
}

/// 14.1.0: webhook and resthook splits read the call's status (`@webhook.status`
/// between 200 and 299) instead of the `Success` category of its result; messages
/// carry at most 10 quick replies.
pub fn v14_1_0(flow: &mut Value, _: &mut dyn UuidSource) {
    let mut send_msgs = Vec::new();
    for node in nodes_mut(flow) {
        let mut keys = Vec::new();
        for action in actions_mut(node) {
            match type_of(action) {
                "call_webhook" | "call_resthook" => {
                    if let Some(name) = action.get("result_name").and_then(Value::as_str) {
                        keys.push(snakify(name));
                    }
                }
                "send_msg" => {
                    if let Some(Value::Array(qrs)) = action.get_mut("quick_replies") {
                        qrs.truncate(MAX_QUICK_REPLIES);
                    }
                    if let Some(uuid) = action.get("uuid").and_then(Value::as_str) {
                        send_msgs.push(uuid.to_string());
                    }
                }
                _ => {}
            }
        }
        let Some(router) = node.get_mut("router").and_then(Value::as_object_mut) else {
            continue;
        };
        let operand = router
            .get("operand")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if type_of(router) == "switch" && keys.iter().any(|k| is_result_operand(operand, k)) {
            router.insert("operand".into(), json!("@webhook.status"));
            keep_success_case(router, "has_number_between", json!(["200", "299"]));
        }
    }
    for uuid in send_msgs {
        for (_, item) in translations_of(flow, &uuid) {
            if let Some(Value::Array(qrs)) = item.get_mut("quick_replies") {
                qrs.truncate(MAX_QUICK_REPLIES);
            }
        }
    }
}

/// Whether a localization key is a plausible ISO-639-3 code (three lowercase letters).
fn is_language_code(lang: &str) -> bool {
    lang.len() == 3 && lang.bytes().all(|b| b.is_ascii_lowercase())
}

/// 14.2.0: `open_ticket`'s `body` was renamed `note`; translations under keys that are
/// not language codes (such as the old `base`) are dropped.
pub fn v14_2_0(flow: &mut Value, _: &mut dyn UuidSource) {
    for action in all_actions_mut(flow) {
        if type_of(action) == "open_ticket" {
            if let Some(body) = action.remove("body") {
                action.insert("note".into(), body);
            }
        }
    }
    if let Some(loc) = localization_mut(flow) {
        loc.retain(|lang, _| is_language_code(lang));
    }
}

/// Actions that stopped saving results in 14.3.0, with the local each sets instead (the
/// new ticket's or transfer's UUID, empty when none was made).
const RESULT_TO_LOCAL: &[(&str, &str)] = &[
    ("open_ticket", "_new_ticket"),
    ("transfer_airtime", "_new_transfer"),
];

/// 14.3.0: `open_ticket` and `transfer_airtime` no longer save a result; the node's
/// router does, splitting on the action's local (`@locals._new_ticket`,
/// `@locals._new_transfer`) instead of the result category.
pub fn v14_3_0(flow: &mut Value, _: &mut dyn UuidSource) {
    for node in nodes_mut(flow) {
        let mut names = Vec::new();
        for action in actions_mut(node) {
            let Some((_, local)) = RESULT_TO_LOCAL.iter().find(|(t, _)| type_of(action) == *t)
            else {
                continue;
            };
            if let Some(Value::String(name)) = action.remove("result_name") {
                if !name.is_empty() {
                    names.push((name, *local));
                }
            }
        }
        let Some((name, local)) = names.into_iter().next() else {
            continue;
        };
        let Some(router) = node.get_mut("router").and_then(Value::as_object_mut) else {
            continue;
        };
        if type_of(router) != "switch" {
            continue;
        }
        let operand = router
            .get("operand")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if is_result_operand(operand, &snakify(&name)) {
            router.insert("operand".into(), json!(format!("@locals.{local}")));
            keep_success_case(router, "has_text", json!([]));
        }
        let has_result = router
            .get("result_name")
            .and_then(Value::as_str)
            .is_some_and(|n| !n.is_empty());
        if !has_result {
            router.insert("result_name".into(), json!(name));
        }
    }
}

/// Word and phrase tests take a single argument; older editors saved one argument per
/// word, which goflow now joins with spaces.
const JOINED_ARGUMENT_TESTS: &[&str] = &[
    "has_any_word",
    "has_all_words",
    "has_phrase",
    "has_only_phrase",
];

/// Joins a list of string arguments with spaces when there is more than one.
fn join_arguments(args: &mut Value) {
    if let Value::Array(items) = args {
        if items.len() > 1 {
            let joined: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            *args = json!([joined.join(" ")]);
        }
    }
}

/// 14.3.1: multi-argument word/phrase cases (and their translations) are joined into
/// one argument.
pub fn v14_3_1(flow: &mut Value, _: &mut dyn UuidSource) {
    let mut case_uuids = Vec::new();
    for node in nodes_mut(flow) {
        let cases = node
            .get_mut("router")
            .and_then(|r| r.get_mut("cases"))
            .and_then(Value::as_array_mut);
        for case in cases.into_iter().flatten().filter_map(Value::as_object_mut) {
            if JOINED_ARGUMENT_TESTS.contains(&type_of(case)) {
                if let Some(args) = case.get_mut("arguments") {
                    join_arguments(args);
                }
                if let Some(uuid) = case.get("uuid").and_then(Value::as_str) {
                    case_uuids.push(uuid.to_string());
                }
            }
        }
    }
    for uuid in case_uuids {
        for (_, item) in translations_of(flow, &uuid) {
            if let Some(args) = item.get_mut("arguments") {
                join_arguments(args);
            }
        }
    }
}

/// 14.4.0: `send_msg` lost `all_urns` (messages go to the preferred URN).
pub fn v14_4_0(flow: &mut Value, _: &mut dyn UuidSource) {
    for action in all_actions_mut(flow) {
        if type_of(action) == "send_msg" {
            action.remove("all_urns");
        }
    }
}

/// 14.4.1: webhook splits on `@webhook.json.status` (a field of the response body,
/// not the HTTP status) become the standard split on `@webhook.status`.
pub fn v14_4_1(flow: &mut Value, _: &mut dyn UuidSource) {
    for node in nodes_mut(flow) {
        if !is_webhook_node(node) {
            continue;
        }
        let Some(router) = node.get_mut("router").and_then(Value::as_object_mut) else {
            continue;
        };
        let operand = router
            .get("operand")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if type_of(router) == "switch" && operand.trim() == "@webhook.json.status" {
            router.insert("operand".into(), json!("@webhook.status"));
            keep_success_case(router, "has_number_between", json!(["200", "299"]));
        }
    }
}

/// 14.4.2: webhook splits on `@webhook.status` use `@(default(webhook.status, 0))` so a
/// call that could not be made (no `@webhook`) routes to Failure without an error.
pub fn v14_4_2(flow: &mut Value, _: &mut dyn UuidSource) {
    for node in nodes_mut(flow) {
        if !is_webhook_node(node) {
            continue;
        }
        let Some(router) = node.get_mut("router").and_then(Value::as_object_mut) else {
            continue;
        };
        let operand = router
            .get("operand")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if type_of(router) == "switch" && operand.trim() == "@webhook.status" {
            router.insert("operand".into(), json!("@(default(webhook.status, 0))"));
        }
    }
}
