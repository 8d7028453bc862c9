//! `add_contact_urn`: adds a URN, phone numbers in E.164 (`contact_urns_changed`).
//!
//! ```json
//! {"uuid": "b0a1b2c3-7e65-4a51-82d3-4e5f6a7b8c9d", "type": "add_contact_urn", "scheme": "tel", "path": "@results.phone.value"}
//! ```

use serde_json::json;

use crate::definition::action::AddContactUrn;
use crate::engine::Machine;
use crate::modifiers::{Modifier, Urns, UrnsModification};
use crate::session::Session;

impl Machine<'_, '_> {
    pub(super) fn add_contact_urn(&mut self, session: &Session, idx: usize, a: &AddContactUrn) {
        let path = self.text(session, idx, &a.path).trim().to_string();
        if path.is_empty() {
            self.event("error", json!({ "text": "Can't add URN with empty path" }));
            return;
        }
        // normalised (phone numbers in E.164) and checked by the modifier
        self.apply_modifier(&Modifier::Urns(Urns {
            urns: vec![format!("{}:{path}", a.scheme)],
            modification: UrnsModification::Append,
        }));
    }
}
