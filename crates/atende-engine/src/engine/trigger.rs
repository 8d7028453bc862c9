//! The trigger and the message input as a session keeps them.

use serde_json::{json, Map, Value as Json};

use crate::engine::time::normalise_times;
use crate::engine::Assets;

/// The session input from a `msg_received` event (of a msg trigger or resume): the
/// message with the event's UUID and time. Channel references resolve against the
/// assets (their current name); a channel the workspace does not have is dropped.
pub(super) fn input_from_event(assets: &Assets, event: &Json) -> Json {
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

pub(super) fn input_from_msg(msg: &Json) -> Json {
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

/// The trigger as the session keeps it: Go's time format (params aside), and a msg event's message
/// without its own UUID (the event's UUID identifies the input).
pub(super) fn trigger_json(trigger: &Json) -> Json {
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
