//! `send_msg`: a message to the contact (`msg_created`), on the first URN a channel can
//! send to; without one the message is marked unsendable.
//!
//! ```json
//! {"uuid": "b2a7c3e0-5c1d-4a55-9d4e-1f0a3b6c7d81", "type": "send_msg", "text": "Olá @contact.first_name!", "attachments": ["image/jpeg:http://example.com/boleto.jpg"], "quick_replies": ["Sim", "Não"]}
//! ```

use serde_json::{json, Map, Value as Json};

use crate::definition::action::SendMsg;
use crate::definition::Flow;
use crate::engine::{tel_country, Machine};
use crate::session::Session;

impl Machine<'_, '_> {
    pub(super) fn send_msg(&mut self, session: &Session, idx: usize, flow: &Flow, a: &SendMsg) {
        let text = self.text(session, idx, &a.text);
        let mut msg = Map::new();
        let (urn, channel) = self.route_for_contact();
        if let Some(u) = &urn {
            msg.insert("urn".into(), json!(u));
        }
        if let Some(c) = &channel {
            msg.insert("channel".into(), c.clone());
        }
        msg.insert("text".into(), json!(text));
        let mut attachments = Vec::new();
        for att in &a.attachments {
            let t = self.text(session, idx, att);
            if !t.is_empty() {
                attachments.push(json!(t));
            }
        }
        if !attachments.is_empty() {
            msg.insert("attachments".into(), Json::Array(attachments));
        }
        let mut qrs = Vec::new();
        for qr in &a.quick_replies {
            let raw = qr
                .as_str()
                .map(str::to_owned)
                .or_else(|| qr.get("text").and_then(Json::as_str).map(str::to_owned));
            if let Some(raw) = raw {
                let t = self.text(session, idx, &raw);
                if !t.is_empty() {
                    qrs.push(json!({ "text": t, "type": "text" }));
                }
            }
        }
        if !qrs.is_empty() {
            msg.insert("quick_replies".into(), Json::Array(qrs));
        }
        msg.insert("locale".into(), json!(self.locale(flow, channel.as_ref())));
        if urn.is_none() {
            msg.insert("unsendable_reason".into(), json!("no_route"));
        }
        self.event("msg_created", json!({ "msg": Json::Object(msg) }));
    }

    /// The URN and channel a message to the contact goes out on.
    pub(super) fn route_for_contact(&self) -> (Option<String>, Option<Json>) {
        for urn in &self.contact.urns {
            let identity = crate::contact::urn_identity(urn);
            let scheme = identity.split(':').next().unwrap_or_default();
            for ch in &self.assets.channels {
                let sends = ch
                    .get("roles")
                    .and_then(Json::as_array)
                    .is_some_and(|r| r.contains(&json!("send")));
                let scheme_ok = ch
                    .get("schemes")
                    .and_then(Json::as_array)
                    .is_some_and(|s| s.contains(&json!(scheme)));
                if sends && scheme_ok {
                    let reference = json!({ "uuid": ch["uuid"], "name": ch["name"] });
                    return (Some(identity.to_string()), Some(reference));
                }
            }
        }
        (None, None)
    }

    /// `eng-US`: the message language and the channel's (or environment's) country.
    pub(super) fn locale(&self, flow: &Flow, channel: Option<&Json>) -> String {
        let lang = if !self.contact.language.is_empty()
            && self.env.allowed_languages.contains(&self.contact.language)
        {
            self.contact.language.clone()
        } else {
            flow.language.clone()
        };
        let country = channel
            .and_then(|c| c.get("uuid").and_then(Json::as_str))
            .and_then(|uuid| {
                self.assets
                    .channels
                    .iter()
                    .find(|ch| ch.get("uuid").and_then(Json::as_str) == Some(uuid))
            })
            .and_then(|ch| ch.get("country").and_then(Json::as_str))
            .map(str::to_owned)
            .or_else(|| tel_country(self.contact))
            .unwrap_or_else(|| self.env.default_country.clone());
        if country.is_empty() {
            lang
        } else {
            format!("{lang}-{country}")
        }
    }
}
