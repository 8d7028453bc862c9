//! `set_contact_timezone`: the contact's time zone (`contact_timezone_changed`).
//!
//! ```json
//! {"uuid": "d2c3d4e5-9a87-4c73-a4f5-6a7b8c9d0e1f", "type": "set_contact_timezone", "timezone": "America/Sao_Paulo"}
//! ```

use crate::definition::action::SetContactTimezone;
use crate::engine::Machine;
use crate::modifiers::{Modifier, Timezone};
use crate::session::Session;

impl Machine<'_, '_> {
    pub(super) fn set_contact_timezone(
        &mut self,
        session: &Session,
        idx: usize,
        a: &SetContactTimezone,
    ) {
        // an empty timezone clears the contact's; any other must be an IANA name
        let timezone = self.text(session, idx, &a.timezone).trim().to_string();
        self.apply_modifier(&Modifier::Timezone(Timezone { timezone }));
    }
}
