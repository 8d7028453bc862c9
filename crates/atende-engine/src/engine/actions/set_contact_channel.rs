//! `set_contact_channel`: the channel the contact prefers, put first on the URN it can
//! send to (`contact_urns_changed`).
//!
//! ```json
//! {"uuid": "e3d4e5f6-ab98-4d84-b5a6-7b8c9d0e1f2a", "type": "set_contact_channel", "channel": {"uuid": "57f1078f-88aa-46f4-a59a-948a5739c03d", "name": "WhatsApp"}}
//! ```

use serde_json::{json, Value as Json};

use crate::definition::action::SetContactChannel;
use crate::engine::Machine;

impl Machine<'_, '_> {
    pub(super) fn set_contact_channel(&mut self, a: &SetContactChannel) {
        let Some(wanted) = &a.channel else {
            return;
        };
        let Some(ch) = self
            .assets
            .channels
            .iter()
            .find(|x| x.get("uuid").and_then(Json::as_str) == Some(wanted.uuid.as_str()))
        else {
            self.missing_dependency("channel", &wanted.uuid, &wanted.name);
            return;
        };
        let sends = ch
            .get("roles")
            .and_then(Json::as_array)
            .is_some_and(|r| r.contains(&json!("send")));
        if !sends {
            self.event(
                "error",
                json!({ "text": "Can't set channel that can't send as the preferred channel" }),
            );
            return;
        }
        let schemes: Vec<&str> = ch
            .get("schemes")
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        let uuid = ch["uuid"].as_str().unwrap_or_default();
        let Some(pos) = self.contact.urns.iter().position(|u| {
            schemes.contains(
                &crate::contact::urn_identity(u)
                    .split(':')
                    .next()
                    .unwrap_or(""),
            )
        }) else {
            return;
        };
        // `scheme:path?channel=…#display`: the query goes before the display fragment
        let current = &self.contact.urns[pos];
        let (rest, display) = match current.split_once('#') {
            Some((r, d)) => (r, format!("#{d}")),
            None => (current.as_str(), String::new()),
        };
        let path = crate::contact::urn_identity(rest);
        let urn = format!("{path}?channel={uuid}{display}");
        if pos == 0 && self.contact.urns[0] == urn {
            return;
        }
        self.contact.urns.remove(pos);
        self.contact.urns.insert(0, urn);
        let urns = self.contact.urns.clone();
        self.event("contact_urns_changed", json!({ "urns": urns }));
    }
}
