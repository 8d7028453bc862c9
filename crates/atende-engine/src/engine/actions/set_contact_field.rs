//! `set_contact_field`: sets a contact field, or clears it with an empty value
//! (`contact_field_changed`).
//!
//! ```json
//! {"uuid": "7c6d5e4f-3a21-4c1d-8e9f-0a1b2c3d4e5f", "type": "set_contact_field", "field": {"key": "cpf", "name": "CPF"}, "value": "@results.cpf.value"}
//! ```

use crate::definition::action::SetContactField;
use crate::engine::Machine;
use crate::modifiers::{Field, FieldRef, Modifier};
use crate::session::Session;

impl Machine<'_, '_> {
    pub(super) fn set_contact_field(&mut self, session: &Session, idx: usize, a: &SetContactField) {
        let value = self.text(session, idx, &a.value);
        self.apply_modifier(&Modifier::Field(Field {
            field: FieldRef {
                key: a.field.key.clone(),
                name: a.field.name.clone(),
            },
            value,
        }));
    }
}
