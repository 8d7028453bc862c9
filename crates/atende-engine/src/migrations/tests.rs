//! Unit tests: one or more per migration step, plus the driver and error messages.

use serde_json::{json, Value};

use super::*;
use crate::services::SeededUuids;

fn flow(version: &str, extra: Value) -> Value {
    let mut f = json!({
        "uuid": "76f0a02f-3b75-4b86-9064-e9195e1b3a02",
        "name": "Test",
        "spec_version": version,
        "language": "eng",
        "type": "messaging",
        "nodes": []
    });
    for (k, v) in extra.as_object().unwrap() {
        f[k] = v.clone();
    }
    f
}

fn run(f: Value, to: &str) -> Value {
    migrate(f, Some(to), &mut SeededUuids::new(123456)).unwrap()
}

fn node(actions: Value, router: Value) -> Value {
    json!({"nodes": [{"uuid": "n1", "actions": actions, "router": router, "exits": []}]})
}

#[test]
fn versions_compare_numerically() {
    assert_eq!(
        compare_versions("13.10.0", "13.9.1"),
        Some(Ordering::Greater)
    );
    assert_eq!(compare_versions("14", "14.0.0"), Some(Ordering::Equal));
    assert_eq!(compare_versions("14.x", "14.0.0"), None);
    assert_eq!(Version::parse("1.2.3.4"), None);
}

#[test]
fn driver_runs_steps_up_to_target_and_sets_version() {
    let out = run(flow("13.0.0", json!({})), "13.4.0");
    assert_eq!(out["spec_version"], "13.4.0");
    let out = migrate(flow("13.0.0", json!({})), None, &mut SeededUuids::new(1)).unwrap();
    assert_eq!(out["spec_version"], CURRENT_VERSION);
    // already past the target: untouched
    let f = flow("14.0.0", json!({"language": "base"}));
    assert_eq!(run(f.clone(), "13.2.0"), f);
}

#[test]
fn errors_name_flow_and_path() {
    let mut u = SeededUuids::new(1);
    let mut f = flow("13.0.0", json!({}));
    f.as_object_mut().unwrap().remove("spec_version");
    let e = migrate(f, None, &mut u).unwrap_err().to_string();
    assert!(
        e.contains("\"Test\" (76f0a02f") && e.contains("$.spec_version"),
        "{e}"
    );
    let e = migrate(flow("15.0.0", json!({})), None, &mut u).unwrap_err();
    assert!(matches!(e, MigrationError::TooNew { .. }));
    assert!(e.to_string().contains("newer than 14.4.2"));
    let e = migrate(flow("11.12", json!({})), None, &mut u).unwrap_err();
    assert!(matches!(e, MigrationError::Legacy { .. }));
    let e = migrate(flow("abc", json!({})), None, &mut u).unwrap_err();
    assert!(matches!(e, MigrationError::InvalidVersion { .. }));
    let e = migrate(flow("13.0.0", json!({})), Some("99"), &mut u).unwrap_err();
    assert!(matches!(e, MigrationError::InvalidTarget { .. }));
    let e = migrate(json!([]), None, &mut u).unwrap_err();
    assert_eq!(e.to_string(), "$: a flow definition must be a JSON object");
}

#[test]
fn assets_migrate_only_new_spec_flows() {
    let legacy = json!({"metadata": {"uuid": "x"}, "version": "11.12", "action_sets": []});
    let assets =
        json!({"flows": [legacy, flow("13.1.0", json!({"language": "base"}))], "fields": []});
    let out = migrate_assets(assets, &mut SeededUuids::new(1)).unwrap();
    assert_eq!(out["flows"][0], legacy);
    assert_eq!(out["flows"][1]["spec_version"], CURRENT_VERSION);
    assert_eq!(out["flows"][1]["language"], "und");
    let bad = json!({"flows": [flow("99.0.0", json!({}))]});
    let e = migrate_assets(bad, &mut SeededUuids::new(1)).unwrap_err();
    assert!(e.to_string().contains("$.flows[0].spec_version"), "{e}");
}

#[test]
fn v13_1_adds_templating_uuid() {
    let f = flow(
        "13.0.0",
        node(
            json!([{"uuid": "a", "type": "send_msg", "text": "hi", "templating": {"template": {}, "variables": []}}]),
            Value::Null,
        ),
    );
    let out = run(f, "13.1.0");
    assert_eq!(
        out["nodes"][0]["actions"][0]["templating"]["uuid"],
        "1b2083ab-a0cb-48da-924e-9de1a11831b3"
    );
}

#[test]
fn v13_2_replaces_base_language() {
    assert_eq!(
        run(flow("13.1.0", json!({"language": "base"})), "13.2.0")["language"],
        "und"
    );
    assert_eq!(run(flow("13.1.0", json!({})), "13.2.0")["language"], "eng");
}

#[test]
fn v13_3_points_webhook_at_json() {
    let f = flow(
        "13.2.0",
        json!({
            "localization": {"spa": {"a": {"text": ["@webhook"], "name": ["@webhook"]}}},
            "nodes": [{"uuid": "n", "actions": [{"uuid": "a", "type": "send_msg", "text": "@webhook.x mail@@webhook.com"}],
                       "router": {"type": "switch", "operand": "@(webhook.a & \"@webhook\")", "cases": []}, "exits": []}]
        }),
    );
    let out = run(f, "13.3.0");
    assert_eq!(
        out["nodes"][0]["actions"][0]["text"],
        "@webhook.json.x mail@@webhook.com"
    );
    assert_eq!(
        out["nodes"][0]["router"]["operand"],
        "@(webhook.json.a & \"@webhook\")"
    );
    assert_eq!(out["localization"]["spa"]["a"]["text"][0], "@webhook.json");
    assert_eq!(out["localization"]["spa"]["a"]["name"][0], "@webhook");
}

#[test]
fn v13_4_and_13_5_flatten_templating() {
    let f = flow(
        "13.3.0",
        json!({
            "localization": {"spa": {"t1": {"variables": ["Hola"]}}},
            "nodes": [{"uuid": "n", "actions": [{"uuid": "a", "type": "send_msg", "text": "x",
                "templating": {"uuid": "t1", "template": {"uuid": "tt", "name": "w"}, "variables": ["@contact.name"]}}], "exits": []}]
        }),
    );
    let mid = run(f.clone(), "13.4.0");
    let comp = "1b2083ab-a0cb-48da-924e-9de1a11831b3";
    assert_eq!(
        mid["nodes"][0]["actions"][0]["templating"],
        json!({"template": {"uuid": "tt", "name": "w"}, "components": [{"uuid": comp, "name": "body", "params": ["@contact.name"]}]})
    );
    assert_eq!(
        mid["localization"]["spa"][comp],
        json!({"params": ["Hola"]})
    );
    let out = run(f, "13.5.0");
    let action = &out["nodes"][0]["actions"][0];
    assert_eq!(action["template"], json!({"uuid": "tt", "name": "w"}));
    assert_eq!(action["template_variables"], json!(["@contact.name"]));
    assert!(action.get("templating").is_none());
    assert_eq!(
        out["localization"],
        json!({"spa": {"a": {"template_variables": ["Hola"]}}})
    );
}

#[test]
fn v13_6_0_truncates_names() {
    let long = "x".repeat(70);
    let f = flow(
        "13.5.0",
        node(
            json!([{"uuid": "a", "type": "set_run_result", "name": long, "value": long, "category": "c".repeat(31) + " and more"}]),
            json!({"type": "switch", "result_name": long, "categories": [{"uuid": "c", "name": "y".repeat(40)}]}),
        ),
    );
    let out = run(f, "13.6.0");
    let a = &out["nodes"][0]["actions"][0];
    assert_eq!(a["name"], "x".repeat(64));
    assert_eq!(a["value"], long);
    assert_eq!(a["category"], "c".repeat(31) + " and"); // cut at 36, space trimmed
    assert_eq!(out["nodes"][0]["router"]["result_name"], "x".repeat(64));
    assert_eq!(
        out["nodes"][0]["router"]["categories"][0]["name"],
        "y".repeat(36)
    );
}

#[test]
fn v13_6_1_truncates_result_references() {
    let key = "k".repeat(70);
    let f = flow(
        "13.6.0",
        node(
            json!([{"uuid": "a", "type": "send_msg", "text": format!("@results.{key}.value @(parent.results.{key}) @fields.{key}")}]),
            Value::Null,
        ),
    );
    let out = run(f, "13.6.1");
    let k64 = "k".repeat(64);
    assert_eq!(
        out["nodes"][0]["actions"][0]["text"],
        format!("@results.{k64}.value @(parent.results.{k64}) @fields.{key}")
    );
}

#[test]
fn v14_0_caps_expiry() {
    assert_eq!(
        run(
            flow("13.6.1", json!({"expire_after_minutes": 50000})),
            "14.0.0"
        )["expire_after_minutes"],
        20160
    );
    assert_eq!(
        run(
            flow("13.6.1", json!({"expire_after_minutes": 60})),
            "14.0.0"
        )["expire_after_minutes"],
        60
    );
    assert_eq!(
        run(
            flow(
                "13.6.1",
                json!({"type": "voice", "expire_after_minutes": 60})
            ),
            "14.0.0"
        )["expire_after_minutes"],
        15
    );
    assert!(run(flow("13.6.1", json!({})), "14.0.0")
        .get("expire_after_minutes")
        .is_none());
}

fn webhook_router(operand: &str) -> Value {
    json!({
        "type": "switch", "operand": operand,
        "cases": [
            {"uuid": "c1", "type": "has_only_text", "arguments": ["Success"], "category_uuid": "s"},
            {"uuid": "c2", "type": "has_only_text", "arguments": ["Failure"], "category_uuid": "f"}
        ],
        "categories": [{"uuid": "s", "name": "Success", "exit_uuid": "e1"}, {"uuid": "f", "name": "Failure", "exit_uuid": "e2"}],
        "default_category_uuid": "f"
    })
}

#[test]
fn v14_1_splits_webhooks_on_status_and_caps_quick_replies() {
    let f = flow(
        "14.0.0",
        node(
            json!([{"uuid": "a", "type": "call_resthook", "resthook": "r", "result_name": "Response 1"},
                   {"uuid": "m", "type": "send_msg", "text": "x", "quick_replies": (0..12).map(|i| i.to_string()).collect::<Vec<_>>()}]),
            webhook_router("@results.response_1.category"),
        ),
    );
    let out = run(f, "14.1.0");
    let r = &out["nodes"][0]["router"];
    assert_eq!(r["operand"], "@webhook.status");
    assert_eq!(
        r["cases"],
        json!([{"uuid": "c1", "type": "has_number_between", "arguments": ["200", "299"], "category_uuid": "s"}])
    );
    assert_eq!(
        out["nodes"][0]["actions"][1]["quick_replies"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
    // a split on some other result is left alone
    let f = flow(
        "14.0.0",
        node(
            json!([{"uuid": "a", "type": "call_webhook", "result_name": "X"}]),
            webhook_router("@results.y.category"),
        ),
    );
    assert_eq!(
        run(f, "14.1.0")["nodes"][0]["router"]["operand"],
        "@results.y.category"
    );
}

#[test]
fn v14_2_renames_body_and_drops_bad_languages() {
    let mut f = flow(
        "14.1.0",
        node(
            json!([{"uuid": "a", "type": "open_ticket", "body": "b"}]),
            Value::Null,
        ),
    );
    f["localization"] = json!({"base": {}, "fra": {}, "pt-BR": {}});
    let out = run(f, "14.2.0");
    assert_eq!(
        out["nodes"][0]["actions"][0],
        json!({"uuid": "a", "type": "open_ticket", "note": "b"})
    );
    assert_eq!(out["localization"], json!({"fra": {}}));
}

#[test]
fn v14_3_moves_airtime_result_to_router() {
    let mut router = webhook_router("@results.transfer");
    router["cases"][0]["type"] = json!("has_category");
    let f = flow(
        "13.0.0",
        node(
            json!([{"uuid": "a", "type": "transfer_airtime", "amounts": {"BRL": 10}, "result_name": "Transfer"}]),
            router,
        ),
    );
    let out = run(f, "14.3.0");
    assert!(out["nodes"][0]["actions"][0].get("result_name").is_none());
    let r = &out["nodes"][0]["router"];
    assert_eq!(r["result_name"], "Transfer");
    assert_eq!(r["operand"], "@locals._new_transfer");
    assert_eq!(r["cases"][0]["type"], "has_text");
}

#[test]
fn v14_3_moves_ticket_result_to_router() {
    let mut router = webhook_router("@results.ticket");
    router["cases"][0]["type"] = json!("has_category");
    let f = flow(
        "14.2.0",
        node(
            json!([{"uuid": "a", "type": "open_ticket", "result_name": "Ticket"}]),
            router,
        ),
    );
    let out = run(f, "14.3.0");
    assert!(out["nodes"][0]["actions"][0].get("result_name").is_none());
    let r = &out["nodes"][0]["router"];
    assert_eq!(r["result_name"], "Ticket");
    assert_eq!(r["operand"], "@locals._new_ticket");
    assert_eq!(
        r["cases"],
        json!([{"uuid": "c1", "type": "has_text", "arguments": [], "category_uuid": "s"}])
    );
}

#[test]
fn v14_3_1_joins_word_arguments() {
    let mut f = flow(
        "14.3.0",
        node(
            json!([]),
            json!({"type": "switch", "operand": "@input.text", "cases": [
                {"uuid": "c1", "type": "has_any_word", "arguments": ["a", "b"], "category_uuid": "x"},
                {"uuid": "c2", "type": "has_number_between", "arguments": ["1", "2"], "category_uuid": "x"}
            ]}),
        ),
    );
    f["localization"] =
        json!({"spa": {"c1": {"arguments": ["c", "d"]}, "c2": {"arguments": ["3", "4"]}}});
    let out = run(f, "14.3.1");
    assert_eq!(
        out["nodes"][0]["router"]["cases"][0]["arguments"],
        json!(["a b"])
    );
    assert_eq!(
        out["nodes"][0]["router"]["cases"][1]["arguments"],
        json!(["1", "2"])
    );
    assert_eq!(
        out["localization"]["spa"]["c1"]["arguments"],
        json!(["c d"])
    );
    assert_eq!(
        out["localization"]["spa"]["c2"]["arguments"],
        json!(["3", "4"])
    );
}

#[test]
fn v14_4_0_removes_all_urns() {
    let f = flow(
        "14.3.1",
        node(
            json!([{"uuid": "a", "type": "send_msg", "text": "x", "all_urns": true}]),
            Value::Null,
        ),
    );
    assert_eq!(
        run(f, "14.4.0")["nodes"][0]["actions"][0],
        json!({"uuid": "a", "type": "send_msg", "text": "x"})
    );
}

#[test]
fn v14_4_1_and_14_4_2_fix_webhook_status_splits() {
    let f = flow(
        "14.4.0",
        node(
            json!([{"uuid": "a", "type": "call_webhook", "url": "u"}]),
            webhook_router("@webhook.json.status"),
        ),
    );
    let out = run(f.clone(), "14.4.1");
    assert_eq!(out["nodes"][0]["router"]["operand"], "@webhook.status");
    assert_eq!(
        out["nodes"][0]["router"]["cases"].as_array().unwrap().len(),
        1
    );
    let out = run(f, "14.4.2");
    assert_eq!(
        out["nodes"][0]["router"]["operand"],
        "@(default(webhook.status, 0))"
    );
    // without a webhook action the router is not a webhook split
    let f = flow(
        "14.4.0",
        node(json!([]), webhook_router("@webhook.json.status")),
    );
    assert_eq!(
        run(f, "14.4.2")["nodes"][0]["router"]["operand"],
        "@webhook.json.status"
    );
}
