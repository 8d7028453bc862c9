//! `open_ticket`: hands the conversation to a human agent (`ticket_opened`, and
//! `ticket_note_added` with a note); the node's router then takes its Success exit.
//!
//! ```json
//! {"uuid": "d8c9d0e1-f0ed-42d9-8afb-2a3b4c5d6e7f", "type": "open_ticket", "topic": {"uuid": "472a7a73-96cb-4736-b567-056d987cc5b4", "name": "Financeiro"}, "note": "Cliente pediu segunda via", "result_name": "Ticket"}
//! ```

use serde_json::{json, Value as Json};

use crate::definition::action::OpenTicket;
use crate::definition::Node;
use crate::engine::Machine;
use crate::session::Session;

impl Machine<'_, '_> {
    pub(super) fn open_ticket(
        &mut self,
        session: &mut Session,
        idx: usize,
        node: &Node,
        a: &OpenTicket,
    ) {
        let topic = a.topic.as_ref().and_then(|t| {
            self.assets
                .topics
                .iter()
                .find(|x| x.get("uuid").and_then(Json::as_str) == Some(t.uuid.as_str()))
                .map(|x| json!({ "uuid": x["uuid"], "name": x["name"] }))
        });
        // older flows put the note in `body`
        let note_template = if a.note.is_empty() { &a.body } else { &a.note };
        let note = self.text(session, idx, note_template).trim().to_string();
        let uuid = self.v7();
        let mut ticket = json!({ "uuid": uuid, "status": "open" });
        if let Some(t) = &topic {
            ticket["topic"] = t.clone();
        }
        if let Some(assignee) = &a.assignee {
            ticket["assignee"] = assignee.clone();
        }
        self.contact.tickets.push(ticket.clone());
        self.event("ticket_opened", json!({ "ticket": ticket }));
        if !note.is_empty() {
            self.event(
                "ticket_note_added",
                json!({ "ticket_uuid": uuid, "note": note }),
            );
        }
        // the node's router reads this to take its Success exit
        session.runs[idx]
            .locals
            .insert("_new_ticket".into(), json!(uuid));
        if !a.result_name.is_empty() {
            self.save_result(
                session,
                idx,
                &a.result_name,
                &uuid,
                "Success",
                &node.uuid,
                None,
                None,
            );
        }
        self.reevaluate_groups();
    }
}
