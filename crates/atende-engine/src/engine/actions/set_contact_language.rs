//! `set_contact_language`: the contact's language, an ISO 639-3 code (`contact_language_changed`).
//!
//! ```json
//! {"uuid": "6b5c4d3e-2f10-4b0c-9d8e-7f6a5b4c3d2e", "type": "set_contact_language", "language": "por"}
//! ```

use crate::definition::action::SetContactLanguage;
use crate::engine::Machine;
use crate::modifiers::{Language, Modifier};
use crate::session::Session;

impl Machine<'_, '_> {
    pub(super) fn set_contact_language(
        &mut self,
        session: &Session,
        idx: usize,
        a: &SetContactLanguage,
    ) {
        let Some(lang) = self.text_checked(session, idx, &a.language) else {
            return; // the expression error was reported
        };
        let language = Some(lang.trim().to_string()).filter(|l| !l.is_empty());
        self.apply_modifier(&Modifier::Language(Language { language }));
    }
}
