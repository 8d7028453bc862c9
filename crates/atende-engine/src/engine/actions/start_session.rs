//! `start_session`: starts a flow for other contacts (`session_triggered`, with this run's
//! summary and the ancestry that bounds session loops).
//!
//! ```json
//! {"uuid": "c7b8c9d0-efdc-41c8-b9ea-1f2a3b4c5d6e", "type": "start_session", "flow": {"uuid": "2c4d6e8f-1a3b-4c5d-9e7f-0a2b4c6d8e0f", "name": "Lembrete"}, "groups": [{"uuid": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "name": "Clientes"}], "create_contact": false}
//! ```

use serde_json::{json, Value as Json};

use crate::definition::action::StartSession;
use crate::engine::actions::Recipients;
use crate::engine::Machine;
use crate::session::Session;

/// The contact as goflow writes it, timestamps in Go's format.
fn contact_json(contact: &crate::contact::Contact) -> Json {
    let mut json = serde_json::to_value(contact).unwrap_or(Json::Null);
    for key in ["created_on", "last_seen_on"] {
        if let Some(t) = json.get(key).and_then(Json::as_str) {
            let go = crate::engine::normalise_times(json!(t));
            json[key] = go;
        }
    }
    json
}

impl Machine<'_, '_> {
    pub(super) fn start_session(&mut self, session: &Session, idx: usize, a: &StartSession) {
        let Some(target) = self.assets.flow(&a.flow.uuid) else {
            self.missing_dependency("flow", &a.flow.uuid, &a.flow.name);
            return;
        };
        if self.is_batch_start(session) && (!a.groups.is_empty() || !a.contact_query.is_empty()) {
            self.event(
                "error",
                json!({ "text": "Can't start new sessions for groups or queries during batch starts" }),
            );
            return;
        }
        let mut data = json!({ "flow": { "uuid": target.uuid, "name": target.name } });
        self.add_recipients(
            session,
            idx,
            Recipients {
                urns: &a.urns,
                contacts: &a.contacts,
                groups: &a.groups,
                contact_query: &a.contact_query,
                legacy_vars: &a.legacy_vars,
            },
            &mut data,
        );
        if a.create_contact {
            data["create_contact"] = json!(true);
        }
        data["exclusions"] = a.exclusions.clone().unwrap_or_else(|| json!({}));
        // nobody to start: nothing happens (goflow's no-op)
        let has = |k: &str| data.get(k).is_some_and(|v| v != "");
        if !a.create_contact
            && !["urns", "contacts", "groups", "contact_query"]
                .iter()
                .any(|k| has(k))
        {
            return;
        }
        let prior = session.trigger.get("history");
        let ancestors = prior
            .and_then(|h| h.get("ancestors"))
            .and_then(Json::as_i64)
            .unwrap_or(0);
        let since_input = if session.input.is_some() {
            0
        } else {
            prior
                .and_then(|h| h.get("ancestors_since_input"))
                .and_then(Json::as_i64)
                .unwrap_or(0)
                + 1
        };
        data["history"] = json!({
            "parent_uuid": session.uuid,
            "ancestors": ancestors + 1,
            "ancestors_since_input": since_input,
        });
        let run = &session.runs[idx];
        data["run_summary"] = json!({
            "uuid": run.uuid,
            "flow": run.flow,
            "contact": contact_json(self.contact),
            "status": run.status.as_str(),
            "results": run.results,
        });
        self.event("session_triggered", data);
    }
}
