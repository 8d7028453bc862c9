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

/// What a redacted URN path shows.
const REDACTED: &str = "********";

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
        let Some(resthook) = self
            .assets
            .resthooks
            .iter()
            .find(|r| r.get("slug").and_then(Json::as_str) == Some(a.resthook.as_str()))
        else {
            // a resthook nobody registered: nothing to call
            return;
        };
        let subscribers: Vec<String> = resthook
            .get("subscribers")
            .and_then(Json::as_array)
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
        // successful one, else the last
        let pick = calls
            .iter()
            .position(|c| c.status != 410 && !(200..300).contains(&c.status))
            .or_else(|| calls.iter().rposition(|c| (200..300).contains(&c.status)))
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
            "urn": self.contact.urns.first().map(|u| self.redacted(crate::contact::urn_identity(u))),
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
        let input = session.input.as_ref().map(|i| self.input_payload(i));
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

    /// The input as `@(json(input))` writes it: attachments split into content type and
    /// URL, the URN as scheme, path and display.
    fn input_payload(&self, input: &Json) -> Json {
        let attachments: Vec<Json> = input
            .get("attachments")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Json::as_str)
                    .map(|att| {
                        let (content_type, url) = att.split_once(':').unwrap_or(("", att));
                        json!({ "content_type": content_type, "url": url })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let urn = input
            .get("urn")
            .and_then(Json::as_str)
            .map(|u| self.urn_payload(u));
        json!({
            "type": input.get("type").cloned().unwrap_or(json!("msg")),
            "uuid": input.get("uuid").cloned().unwrap_or(Json::Null),
            "text": input.get("text").cloned().unwrap_or(json!("")),
            "attachments": attachments,
            "channel": input.get("channel").cloned().unwrap_or(Json::Null),
            "urn": urn,
            "created_on": input.get("created_on").and_then(Json::as_str).map(micro_time),
        })
    }

    /// A URN as `{scheme, path, display}`, phone numbers displayed the national way.
    fn urn_payload(&self, urn: &str) -> Json {
        let identity = crate::contact::urn_identity(urn);
        let (scheme, rest) = identity.split_once(':').unwrap_or(("", identity));
        let (path, display) = match rest.split_once('#') {
            Some((p, d)) => (p.to_string(), d.to_string()),
            None => (rest.to_string(), String::new()),
        };
        if self.env.redaction_policy == atende_excellent::env::RedactionPolicy::Urns {
            return json!({ "scheme": scheme, "path": REDACTED, "display": REDACTED });
        }
        let display = if !display.is_empty() {
            display
        } else if scheme == "tel" {
            atende_excellent::functions::format_phone_national(&path).unwrap_or(path.clone())
        } else {
            path.clone()
        };
        json!({ "scheme": scheme, "path": path, "display": display })
    }

    /// A URN as the environment lets flows see it (`tel:********` when redacted).
    fn redacted(&self, urn: &str) -> String {
        if self.env.redaction_policy != atende_excellent::env::RedactionPolicy::Urns {
            return urn.to_string();
        }
        let scheme = urn.split(':').next().unwrap_or_default();
        format!("{scheme}:{REDACTED}")
    }
}
