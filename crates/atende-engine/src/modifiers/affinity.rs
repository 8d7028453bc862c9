//! `affinity`: routes one of the contact's URNs through a channel and makes it the
//! preferred URN, first in the list (`contact_urns_changed`). A URN the contact does not
//! have is left alone; a null channel clears the URN's.
//!
//! ```json
//! {"type": "affinity", "urn": "tel:+5511987654321", "channel": {"uuid": "3a05eaf5-cb1b-4246-bef1-f277419c83a7", "name": "Vonage"}}
//! ```

use serde::Serialize;

use super::routes::set_urns;
use super::{ModifierError, Reader, Ref, Target};
use crate::urns;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Affinity {
    pub urn: String,
    pub channel: Option<Ref>,
}

impl Affinity {
    pub(super) fn read(r: &Reader) -> Result<Affinity, ModifierError> {
        Ok(Affinity {
            urn: r.required("urn")?,
            channel: r.optional("channel")?,
        })
    }

    pub(super) fn apply(&self, t: &mut Target) -> bool {
        let wanted = urns::identity(&urns::normalise(&self.urn, &t.env.default_country));
        let Some(pos) = t
            .contact
            .urns
            .iter()
            .position(|u| urns::identity(u) == wanted)
        else {
            return false;
        };
        let assets = t.assets;
        let channel = match &self.channel {
            Some(r) => match t.resolve(&assets.channels, "channel", r) {
                Some(_) => Some(r.uuid.as_str()),
                None => return false,
            },
            None => None,
        };
        let mut new = t.contact.urns.clone();
        let urn = urns::with_channel(&new.remove(pos), channel);
        new.insert(0, urn);
        set_urns(t, new)
    }
}
