//! `timezone`: the contact's IANA time zone; empty clears it (`contact_timezone_changed`).
//!
//! ```json
//! {"type": "timezone", "timezone": "America/Sao_Paulo"}
//! ```

use serde::Serialize;
use serde_json::json;

use super::{ModifierError, Reader, Target};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Timezone {
    pub timezone: String,
}

impl Timezone {
    pub(super) fn read(r: &Reader) -> Result<Timezone, ModifierError> {
        Ok(Timezone {
            timezone: r.text("timezone")?,
        })
    }

    pub(super) fn apply(&self, t: &mut Target) -> bool {
        let tz = self.timezone.trim();
        if !tz.is_empty() && jiff::tz::TimeZone::get(tz).is_err() {
            t.event(
                "error",
                json!({
                    "text": format!("Unrecognized timezone: '{tz}'"),
                    "code": "timezone:invalid",
                    "extra": { "timezone": tz },
                }),
            );
            return false;
        }
        if tz == t.contact.timezone {
            return false;
        }
        t.contact.timezone = tz.to_string();
        t.event("contact_timezone_changed", json!({ "timezone": tz }));
        true
    }
}
