//! `name`: renames the contact (`contact_name_changed`), cutting names longer than the
//! engine's limit.
//!
//! ```json
//! {"type": "name", "name": "Ana Souza"}
//! ```

use serde::Serialize;
use serde_json::json;

use super::{ModifierError, Reader, Target};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Name {
    pub name: String,
}

impl Name {
    pub(super) fn read(r: &Reader) -> Result<Name, ModifierError> {
        Ok(Name {
            name: r.text("name")?,
        })
    }

    pub(super) fn apply(&self, t: &mut Target) -> bool {
        let limit = t.services.limits.max_name_chars;
        let name = crate::prefix_chars(&self.name, limit).to_string();
        if name == t.contact.name {
            return false;
        }
        t.contact.name = name.clone();
        t.event("contact_name_changed", json!({ "name": name }));
        true
    }
}
