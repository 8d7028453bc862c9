//! `ticket_assignee`: assigns one of the contact's tickets to a user, or unassigns it
//! with a null assignee (`ticket_assignee_changed`, with the previous assignee).
//!
//! ```json
//! {"type": "ticket_assignee", "ticket_uuid": "01969b47-0583-76f8-ae7f-f8b243c49ff5", "assignee": {"uuid": "23d5108e-b25e-41d5-9482-1501d12a74ae", "name": "Ana"}}
//! ```

use serde::Serialize;
use serde_json::json;

use super::{ticket_index, ModifierError, Reader, Ref, Target};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TicketAssignee {
    pub ticket_uuid: String,
    pub assignee: Option<Ref>,
}

impl TicketAssignee {
    pub(super) fn read(r: &Reader) -> Result<TicketAssignee, ModifierError> {
        Ok(TicketAssignee {
            ticket_uuid: r.required("ticket_uuid")?,
            assignee: r.optional("assignee")?,
        })
    }

    pub(super) fn apply(&self, t: &mut Target) -> bool {
        let Some(i) = ticket_index(t.contact, &self.ticket_uuid) else {
            return false;
        };
        let assets = t.assets;
        let assignee = match &self.assignee {
            Some(r) => match t.resolve(&assets.users, "user", r) {
                Some(u) => Some(Ref::of(u)),
                None => return false,
            },
            None => None,
        };
        let previous: Option<Ref> = t.contact.tickets[i]
            .get("assignee")
            .filter(|a| !a.is_null())
            .and_then(|a| serde_json::from_value(a.clone()).ok());
        if previous.as_ref().map(|p| &p.uuid) == assignee.as_ref().map(|a| &a.uuid) {
            return false;
        }
        let ticket = t.contact.tickets[i].as_object_mut();
        if let Some(ticket) = ticket {
            match &assignee {
                Some(a) => {
                    ticket.insert("assignee".into(), json!(a));
                }
                None => {
                    ticket.remove("assignee");
                }
            }
        }
        let mut data = json!({ "ticket_uuid": self.ticket_uuid, "assignee": assignee });
        if let Some(p) = previous {
            data["previous"] = json!(p);
        }
        t.event("ticket_assignee_changed", data);
        true
    }
}
