//! `set_contact_name`: renames the contact (`contact_name_changed`).
//!
//! ```json
//! {"uuid": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d", "type": "set_contact_name", "name": "@results.name.value"}
//! ```

use serde_json::json;

use crate::definition::action::SetContactName;
use crate::engine::Machine;
use crate::session::Session;

/// Longest contact name kept (goflow's limit); longer names are cut.
const MAX_CONTACT_NAME_CHARS: usize = 128;

impl Machine<'_, '_> {
    pub(super) fn set_contact_name(&mut self, session: &Session, idx: usize, a: &SetContactName) {
        let Some(name) = self.text_checked(session, idx, &a.name) else {
            return; // the expression error was reported
        };
        let name: String = name.trim().chars().take(MAX_CONTACT_NAME_CHARS).collect();
        if name != self.contact.name {
            self.contact.name = name.clone();
            self.event("contact_name_changed", json!({ "name": name }));
            self.reevaluate_groups();
        }
    }
}
