//! `set_contact_name`: renames the contact (`contact_name_changed`).
//!
//! ```json
//! {"uuid": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d", "type": "set_contact_name", "name": "@results.name.value"}
//! ```

use crate::definition::action::SetContactName;
use crate::engine::Machine;
use crate::modifiers::{Modifier, Name};
use crate::session::Session;

impl Machine<'_, '_> {
    pub(super) fn set_contact_name(&mut self, session: &Session, idx: usize, a: &SetContactName) {
        let Some(name) = self.text_checked(session, idx, &a.name) else {
            return; // the expression error was reported
        };
        let name = name.trim().to_string();
        self.apply_modifier(&Modifier::Name(Name { name }));
    }
}
