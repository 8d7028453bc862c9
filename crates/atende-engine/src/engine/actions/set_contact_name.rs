//! `set_contact_name`: renames the contact (`contact_name_changed`).
//!
//! ```json
//! {"uuid": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d", "type": "set_contact_name", "name": "@results.name.value"}
//! ```

use serde_json::json;

use crate::definition::action::SetContactName;
use crate::engine::Machine;
use crate::session::Session;

impl Machine<'_, '_> {
    pub(super) fn set_contact_name(&mut self, session: &Session, idx: usize, a: &SetContactName) {
        let name = self.text(session, idx, &a.name).trim().to_string();
        if name != self.contact.name {
            self.contact.name = name.clone();
            self.event("contact_name_changed", json!({ "name": name }));
            self.reevaluate_groups();
        }
    }
}
