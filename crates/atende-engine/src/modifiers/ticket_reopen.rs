//! `ticket_reopen`: reopens one of the contact's closed tickets (`ticket_reopened`),
//! unless another ticket is open: a contact has one open ticket at a time.
//!
//! ```json
//! {"type": "ticket_reopen", "ticket_uuid": "01992f54-5ab6-725e-be9c-0c6407efd755"}
//! ```

use serde::Serialize;
use serde_json::json;

use super::{ticket_index, ticket_is_open, ModifierError, Reader, Target};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TicketReopen {
    pub ticket_uuid: String,
}

impl TicketReopen {
    pub(super) fn read(r: &Reader) -> Result<TicketReopen, ModifierError> {
        Ok(TicketReopen {
            ticket_uuid: r.required("ticket_uuid")?,
        })
    }

    pub(super) fn apply(&self, t: &mut Target) -> bool {
        let Some(i) = ticket_index(t.contact, &self.ticket_uuid) else {
            return false;
        };
        if t.contact.tickets.iter().any(ticket_is_open) {
            return false;
        }
        t.contact.tickets[i]["status"] = json!("open");
        t.event(
            "ticket_reopened",
            json!({ "ticket_uuid": self.ticket_uuid }),
        );
        true
    }
}
