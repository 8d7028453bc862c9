//! `call_resthook`: posts the run to every subscriber of a resthook (`resthook_called`,
//! then one `webhook_called` per subscriber); the result is the failed call if any.
//!
//! ```json
//! {"uuid": "fae1f2a3-b20f-44fb-8c1d-4c5d6e7f8a9b", "type": "call_resthook", "resthook": "novo-pedido", "result_name": "Pedido"}
//! ```

use serde_json::{json, Map, Value as Json};

use crate::definition::action::CallResthook;
use crate::definition::Node;
use crate::engine::Machine;
use crate::session::Session;

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

/// A timestamp with microsecond precision (how Excellent writes dates into JSON).
fn micro_time(s: &str) -> String {
    let Ok(ts) = s.parse::<jiff::Timestamp>() else {
        return s.to_string();
    };
    ts.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

impl Machine<'_, '_> {
    pub(super) fn call_resthook(
        &mut self,
        session: &mut Session,
        idx: usize,
        node: &Node,
        a: &CallResthook,
    ) {
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
            let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
            calls.push(self.http_call("POST", &url, headers, payload.clone(), Some(&a.resthook)));
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
}
