//! `send_broadcast`: a message to other contacts, groups or URNs, in every language the
//! flow has (`broadcast_created`).
//!
//! ```json
//! {"uuid": "b6a7b8c9-decb-40b7-a8d9-0e1f2a3b4c5d", "type": "send_broadcast", "text": "Seu boleto vence hoje", "urns": ["tel:+5511999990000"], "groups": [{"uuid": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "name": "Clientes"}]}
//! ```

use serde_json::{json, Map, Value as Json};

use crate::definition::action::{Action, SendBroadcast};
use crate::definition::Flow;
use crate::engine::actions::Recipients;
use crate::engine::Machine;
use crate::session::Session;

/// A localised list (`text`, `attachments`, …) of an action, when the flow has one.
fn localized(flow: &Flow, lang: &str, uuid: &str, key: &str) -> Option<Vec<String>> {
    let items = flow
        .localization
        .get(lang)?
        .get(uuid)?
        .get(key)?
        .as_array()?;
    Some(
        items
            .iter()
            .filter_map(Json::as_str)
            .map(str::to_owned)
            .collect(),
    )
}

impl Machine<'_, '_> {
    pub(super) fn send_broadcast(
        &mut self,
        session: &Session,
        idx: usize,
        flow: &Flow,
        action: &Action,
        a: &SendBroadcast,
    ) {
        if self.is_batch_start(session) && !a.groups.is_empty() {
            self.event(
                "error",
                json!({ "text": "Can't send broadcasts to groups during batch starts" }),
            );
            return;
        }
        let mut translations = Map::new();
        let mut languages = vec![flow.language.clone()];
        if let Some(loc) = flow.localization.as_object() {
            languages.extend(loc.keys().filter(|k| **k != flow.language).cloned());
        }
        for lang in languages {
            let text = localized(flow, &lang, &action.uuid, "text")
                .and_then(|v| v.into_iter().next())
                .unwrap_or_else(|| a.text.clone());
            let text = self.text(session, idx, &text);
            let mut t = json!({ "text": text });
            let atts = localized(flow, &lang, &action.uuid, "attachments")
                .unwrap_or_else(|| a.attachments.clone());
            let atts: Vec<String> = atts
                .iter()
                .map(|x| self.text(session, idx, x))
                .filter(|x| !x.is_empty())
                .collect();
            if !atts.is_empty() {
                t["attachments"] = json!(atts);
            }
            let qrs = localized(flow, &lang, &action.uuid, "quick_replies").unwrap_or_else(|| {
                a.quick_replies
                    .iter()
                    .filter_map(|q| q.as_str().or_else(|| q.get("text")?.as_str()))
                    .map(str::to_owned)
                    .collect()
            });
            let qrs: Vec<Json> = qrs
                .iter()
                .map(|q| self.text(session, idx, q))
                .filter(|q| !q.is_empty())
                .map(|q| json!({ "text": q, "type": "text" }))
                .collect();
            if !qrs.is_empty() {
                t["quick_replies"] = Json::Array(qrs);
            }
            translations.insert(lang, t);
        }
        let mut data = json!({ "translations": translations, "base_language": flow.language });
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
        // nobody to send to: nothing happens (goflow's no-op)
        let has = |k: &str| data.get(k).is_some_and(|v| v != "");
        if !["urns", "contacts", "groups", "contact_query"]
            .iter()
            .any(|k| has(k))
        {
            return;
        }
        self.event("broadcast_created", data);
    }
}
