//! `set_contact_channel`: the channel the contact prefers, put first on the URN it can
//! send to (`contact_urns_changed`).
//!
//! ```json
//! {"uuid": "e3d4e5f6-ab98-4d84-b5a6-7b8c9d0e1f2a", "type": "set_contact_channel", "channel": {"uuid": "57f1078f-88aa-46f4-a59a-948a5739c03d", "name": "WhatsApp"}}
//! ```

use crate::definition::action::SetContactChannel;
use crate::engine::Machine;
use crate::modifiers::{Channel, Modifier, Ref};

impl Machine<'_, '_> {
    pub(super) fn set_contact_channel(&mut self, a: &SetContactChannel) {
        let Some(wanted) = &a.channel else {
            return;
        };
        self.apply_modifier(&Modifier::Channel(Channel {
            channel: Some(Ref {
                uuid: wanted.uuid.clone(),
                name: wanted.name.clone(),
            }),
        }));
    }
}
