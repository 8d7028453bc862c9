//! `add_contact_urn`: adds a URN, phone numbers in E.164 (`contact_urns_changed`), and
//! puts it in `@locals._has_urn` (empty when it was invalid) for the router.
//!
//! ```json
//! {"uuid": "b0a1b2c3-7e65-4a51-82d3-4e5f6a7b8c9d", "type": "add_contact_urn", "scheme": "tel", "path": "@results.phone.value"}
//! ```

use serde_json::json;

use crate::definition::action::AddContactUrn;
use crate::engine::Machine;
use crate::modifiers::{Modifier, Urns, UrnsModification};
use crate::session::Session;

/// The local the router reads: the URN added (or already there), empty if invalid.
const HAS_URN: &str = "_has_urn";

impl Machine<'_, '_> {
    pub(super) fn add_contact_urn(&mut self, session: &mut Session, idx: usize, a: &AddContactUrn) {
        let path = self.text(session, idx, &a.path).trim().to_string();
        if path.is_empty() {
            self.event("error", json!({ "text": "Can't add URN with empty path" }));
            return;
        }
        let urn = crate::urns::normalise(&format!("{}:{path}", a.scheme), &self.contact_country());
        let local = if crate::urns::is_valid(&urn) {
            urn.clone()
        } else {
            String::new()
        };
        session.runs[idx]
            .locals
            .insert(HAS_URN.into(), json!(local));
        // normalised (phone numbers in E.164) and checked again by the modifier, which
        // reports an invalid URN
        self.apply_modifier(&Modifier::Urns(Urns {
            urns: vec![urn],
            modification: UrnsModification::Append,
        }));
    }
}
