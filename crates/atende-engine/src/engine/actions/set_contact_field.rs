//! `set_contact_field`: sets a contact field, or clears it with an empty value
//! (`contact_field_changed`).
//!
//! ```json
//! {"uuid": "7c6d5e4f-3a21-4c1d-8e9f-0a1b2c3d4e5f", "type": "set_contact_field", "field": {"key": "cpf", "name": "CPF"}, "value": "@results.cpf.value"}
//! ```

use serde_json::{json, Value as Json};

use crate::definition::action::SetContactField;
use crate::engine::Machine;
use crate::session::Session;

/// Longest contact field value kept (goflow's limit); longer values are cut.
const MAX_FIELD_VALUE_CHARS: usize = 640;

impl Machine<'_, '_> {
    pub(super) fn set_contact_field(&mut self, session: &Session, idx: usize, a: &SetContactField) {
        let value: String = self
            .text(session, idx, &a.value)
            .trim()
            .chars()
            .take(MAX_FIELD_VALUE_CHARS)
            .collect();
        let old = self.contact.fields.get(&a.field.key).cloned();
        let new = if value.is_empty() {
            None
        } else {
            Some(self.field_value(&a.field.key, &value))
        };
        if old != new {
            match &new {
                Some(v) => {
                    self.contact.fields.insert(a.field.key.clone(), v.clone());
                }
                None => {
                    self.contact.fields.remove(&a.field.key);
                }
            }
            let value_json = new
                .as_ref()
                .map(|v| serde_json::to_value(v).unwrap_or(Json::Null))
                .unwrap_or(Json::Null);
            self.event(
                "contact_field_changed",
                json!({ "field": { "key": a.field.key, "name": a.field.name }, "value": value_json }),
            );
            self.reevaluate_groups();
        }
    }
}
