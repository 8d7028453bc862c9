//! `field`: sets a contact field from text, typed by the field's definition, or clears
//! it with empty text (`contact_field_changed`). Values longer than the engine's limit
//! are cut.
//!
//! ```json
//! {"type": "field", "field": {"key": "cpf", "name": "CPF"}, "value": "529.982.247-25"}
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

use super::{ModifierError, Reader, Target};

/// A contact field by key and name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldRef {
    pub key: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Field {
    pub field: FieldRef,
    pub value: String,
}

impl Field {
    pub(super) fn read(r: &Reader) -> Result<Field, ModifierError> {
        Ok(Field {
            field: r.required("field")?,
            value: r.text("value")?,
        })
    }

    pub(super) fn apply(&self, t: &mut Target) -> bool {
        let Some(def) = t.assets.fields.iter().find(|f| f.key == self.field.key) else {
            t.missing_dependency("field", &self.field.key, &self.field.name);
            return false;
        };
        let limit = t.services.limits.max_field_chars;
        let text = crate::prefix_chars(self.value.trim(), limit).to_string();
        let old = t.contact.fields.get(&def.key).cloned();
        let new = (!text.is_empty())
            .then(|| crate::engine::field_value(t.env, t.assets, t.contact, &def.key, &text));
        if old == new {
            return false;
        }
        let value = match &new {
            Some(v) => {
                t.contact.fields.insert(def.key.clone(), v.clone());
                serde_json::to_value(v).unwrap_or(Json::Null)
            }
            None => {
                t.contact.fields.remove(&def.key);
                Json::Null
            }
        };
        t.event(
            "contact_field_changed",
            json!({ "field": { "key": def.key, "name": def.name }, "value": value }),
        );
        true
    }
}
