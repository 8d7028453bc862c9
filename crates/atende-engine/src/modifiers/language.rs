//! `language`: the contact's language, an ISO 639-3 code; null clears it
//! (`contact_language_changed`).
//!
//! ```json
//! {"type": "language", "language": "por"}
//! ```

use serde::Serialize;
use serde_json::json;

use super::{invalid, ModifierError, Reader, Target};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Language {
    pub language: Option<String>,
}

impl Language {
    pub(super) fn read(r: &Reader) -> Result<Language, ModifierError> {
        let language: Option<String> = r.optional("language")?;
        if let Some(l) = language.as_deref().filter(|l| !l.is_empty()) {
            if l.len() != 3 || !l.bytes().all(|c| c.is_ascii_lowercase()) {
                return Err(invalid(
                    "language",
                    format!("'{l}' is not an ISO 639-3 code"),
                ));
            }
        }
        Ok(Language { language })
    }

    pub(super) fn apply(&self, t: &mut Target) -> bool {
        let language = self.language.clone().unwrap_or_default();
        if language == t.contact.language {
            return false;
        }
        t.contact.language = language.clone();
        t.event("contact_language_changed", json!({ "language": language }));
        true
    }
}
