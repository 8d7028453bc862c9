//! `channel`: the channel the contact prefers. The first URN the channel can send to is
//! routed through it and put first (`contact_urns_changed`); a null channel clears every
//! URN's channel. A channel that cannot send is refused with an error.
//!
//! ```json
//! {"type": "channel", "channel": {"uuid": "57f1078f-88aa-46f4-a59a-948a5739c03d", "name": "WhatsApp"}}
//! ```

use serde::Serialize;
use serde_json::{json, Value as Json};

use super::routes::set_urns;
use super::{ModifierError, Reader, Ref, Target};
use crate::urns;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Channel {
    pub channel: Option<Ref>,
}

impl Channel {
    pub(super) fn read(r: &Reader) -> Result<Channel, ModifierError> {
        Ok(Channel {
            channel: r.optional("channel")?,
        })
    }

    pub(super) fn apply(&self, t: &mut Target) -> bool {
        let Some(wanted) = &self.channel else {
            let new = t
                .contact
                .urns
                .iter()
                .map(|u| urns::with_channel(u, None))
                .collect();
            return set_urns(t, new);
        };
        let assets = t.assets;
        let Some(ch) = t.resolve(&assets.channels, "channel", wanted) else {
            return false;
        };
        let sends = ch
            .get("roles")
            .and_then(Json::as_array)
            .is_some_and(|r| r.contains(&json!("send")));
        if !sends {
            t.error("Can't set channel that can't send as the preferred channel");
            return false;
        }
        let schemes: Vec<&str> = ch
            .get("schemes")
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        let Some(pos) = t
            .contact
            .urns
            .iter()
            .position(|u| urns::parse(u).is_some_and(|p| schemes.contains(&p.scheme)))
        else {
            return false;
        };
        let uuid = ch.get("uuid").and_then(Json::as_str).unwrap_or_default();
        let mut new = t.contact.urns.clone();
        let urn = urns::with_channel(&new.remove(pos), Some(uuid));
        new.insert(0, urn);
        set_urns(t, new)
    }
}
