//! `ticket_close`: closes one of the contact's open tickets (`ticket_closed`).
//!
//! ```json
//! {"type": "ticket_close", "ticket_uuid": "01969b47-0583-76f8-ae7f-f8b243c49ff5"}
//! ```

use serde::Serialize;
use serde_json::json;

use super::{ticket_index, ticket_is_open, ModifierError, Reader, Target};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TicketClose {
    pub ticket_uuid: String,
}

impl TicketClose {
    pub(super) fn read(r: &Reader) -> Result<TicketClose, ModifierError> {
        Ok(TicketClose {
            ticket_uuid: r.required("ticket_uuid")?,
        })
    }

    pub(super) fn apply(&self, t: &mut Target) -> bool {
        let Some(i) = ticket_index(t.contact, &self.ticket_uuid) else {
            return false;
        };
        if !ticket_is_open(&t.contact.tickets[i]) {
            return false;
        }
        t.contact.tickets[i]["status"] = json!("closed");
        t.event("ticket_closed", json!({ "ticket_uuid": self.ticket_uuid }));
        true
    }
}
