//! `ticket_note`: adds a note to one of the contact's tickets (`ticket_note_added`).
//!
//! ```json
//! {"type": "ticket_note", "ticket_uuid": "01969b47-0583-76f8-ae7f-f8b243c49ff5", "note": "Cliente já pagou"}
//! ```

use serde::Serialize;
use serde_json::json;

use super::{ticket_index, ModifierError, Reader, Target};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TicketNote {
    pub ticket_uuid: String,
    pub note: String,
}

impl TicketNote {
    pub(super) fn read(r: &Reader) -> Result<TicketNote, ModifierError> {
        Ok(TicketNote {
            ticket_uuid: r.required("ticket_uuid")?,
            note: r.text("note")?,
        })
    }

    /// The note is an event only: the contact itself does not change.
    pub(super) fn apply(&self, t: &mut Target) -> bool {
        if ticket_index(t.contact, &self.ticket_uuid).is_none() {
            return false;
        }
        t.event(
            "ticket_note_added",
            json!({ "ticket_uuid": self.ticket_uuid, "note": self.note }),
        );
        false
    }
}
