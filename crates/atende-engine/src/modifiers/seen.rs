//! `seen`: when the contact was last seen, e.g. when a message came in
//! (`contact_last_seen_changed`).
//!
//! ```json
//! {"type": "seen", "seen_on": "2026-02-03T11:40:30.123456789Z"}
//! ```

use serde::Serialize;
use serde_json::json;

use super::{invalid, ModifierError, Reader, Target};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Seen {
    pub seen_on: String,
}

impl Seen {
    pub(super) fn read(r: &Reader) -> Result<Seen, ModifierError> {
        let seen_on: String = r.required("seen_on")?;
        if seen_on.parse::<jiff::Timestamp>().is_err() {
            return Err(invalid(
                "seen_on",
                format!("'{seen_on}' is not an RFC 3339 timestamp"),
            ));
        }
        Ok(Seen { seen_on })
    }

    pub(super) fn apply(&self, t: &mut Target) -> bool {
        let on = crate::engine::go_time(&self.seen_on).unwrap_or_else(|| self.seen_on.clone());
        if t.contact.last_seen_on.as_deref() == Some(on.as_str()) {
            return false;
        }
        t.contact.last_seen_on = Some(on.clone());
        t.event("contact_last_seen_changed", json!({ "last_seen_on": on }));
        true
    }
}
