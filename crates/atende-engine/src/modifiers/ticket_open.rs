//! `ticket_open`: hands the contact to a human agent by opening a ticket with a topic (the
//! workspace's first when none is given), an optional assignee and note (`ticket_opened`,
//! `ticket_note_added`). A contact has one open ticket at a time: while one is open this
//! does nothing.
//!
//! ```json
//! {"type": "ticket_open", "topic": {"uuid": "472a7a73-96cb-4736-b567-056d987cc5b4", "name": "Financeiro"}, "assignee": {"uuid": "0c78ef47-7d56-44d8-8f57-96e0f30e8f44", "name": "Ana"}, "note": "Cliente pediu segunda via"}
//! ```

use serde::Serialize;
use serde_json::json;

use super::{ticket_is_open, ModifierError, Reader, Ref, Target};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TicketOpen {
    pub topic: Option<Ref>,
    pub assignee: Option<Ref>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl TicketOpen {
    pub(super) fn read(r: &Reader) -> Result<TicketOpen, ModifierError> {
        Ok(TicketOpen {
            topic: r.optional("topic")?,
            assignee: r.optional("assignee")?,
            note: r.text("note")?,
        })
    }

    pub(super) fn apply(&self, t: &mut Target) -> bool {
        if t.contact.tickets.iter().any(ticket_is_open) {
            return false;
        }
        let assets = t.assets;
        let topic = match &self.topic {
            Some(r) => match t.resolve(&assets.topics, "topic", r) {
                Some(x) => Some(Ref::of(x)),
                None => return false,
            },
            None => assets.topics.first().map(Ref::of),
        };
        // an assignee who is gone leaves the ticket unassigned
        let assignee = self
            .assignee
            .as_ref()
            .and_then(|r| t.resolve(&assets.users, "user", r))
            .map(Ref::of);
        let uuid = t.services.uuids.new_v7(t.services.clock);
        let mut ticket = json!({ "uuid": uuid, "status": "open" });
        if let Some(topic) = topic {
            ticket["topic"] = json!(topic);
        }
        if let Some(assignee) = assignee {
            ticket["assignee"] = json!(assignee);
        }
        t.contact.tickets.push(ticket.clone());
        t.event("ticket_opened", json!({ "ticket": ticket }));
        let note = self.note.trim();
        if !note.is_empty() {
            t.event(
                "ticket_note_added",
                json!({ "ticket_uuid": uuid, "note": note }),
            );
        }
        true
    }
}
