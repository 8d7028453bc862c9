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
use crate::modifiers::{Modifier, Ref, TicketOpen};
use crate::session::Session;

impl Machine<'_, '_> {
    pub(super) fn open_ticket(
        &mut self,
        session: &mut Session,
        idx: usize,
        node: &Node,
        a: &OpenTicket,
    ) {
        // one open ticket at a time: the conversation is already with an agent
        let has_open = self
            .contact
            .tickets
            .iter()
            .any(|t| t.get("status").and_then(Json::as_str).unwrap_or("open") == "open");
        if has_open {
            // the router reads an empty local as "no ticket opened"
            session.runs[idx]
                .locals
                .insert("_new_ticket".into(), json!(""));
            return;
        }
        let reference = |x: &Json| json!({ "uuid": x["uuid"], "name": x["name"] });
        let topic = match &a.topic {
            Some(t) => {
                let found = self
                    .assets
                    .topics
                    .iter()
                    .find(|x| x.get("uuid").and_then(Json::as_str) == Some(t.uuid.as_str()));
                match found {
                    Some(x) => Some(reference(x)),
                    None => {
                        self.missing_dependency("topic", &t.uuid, &t.name);
                        // the router reads an empty local as "no ticket opened"
                        session.runs[idx]
                            .locals
                            .insert("_new_ticket".into(), json!(""));
                        return;
                    }
                }
            }
            // no topic: the workspace's default, listed first
            None => self.assets.topics.first().map(reference),
        };
        let assignee = match &a.assignee {
            Some(wanted) => self.find_assignee(session, idx, wanted),
            None => None,
        };
        // older flows put the note in `body`
        let note_template = if a.note.is_empty() { &a.body } else { &a.note };
        let note = self.text(session, idx, note_template).trim().to_string();
        let opened = self.contact.tickets.len();
        self.apply_modifier(&Modifier::TicketOpen(TicketOpen {
            topic: topic.as_ref().map(Ref::of),
            assignee: assignee.as_ref().map(Ref::of),
            note,
        }));
        let Some(uuid) = self.contact.tickets[opened..]
            .first()
            .and_then(|t| t.get("uuid").and_then(Json::as_str))
            .map(str::to_owned)
        else {
            return;
        };
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
    }
    /// The user a ticket is assigned to, by UUID or by an e-mail template; an unknown
    /// e-mail is reported and the ticket opened unassigned.
    fn find_assignee(&mut self, session: &Session, idx: usize, wanted: &Json) -> Option<Json> {
        let reference = |x: &Json| json!({ "uuid": x["uuid"], "name": x["name"] });
        if let Some(uuid) = wanted.get("uuid").and_then(Json::as_str) {
            return match self.assets.users.iter().find(|u| u["uuid"] == uuid) {
                Some(u) => Some(reference(u)),
                None => {
                    let name = wanted
                        .get("name")
                        .and_then(Json::as_str)
                        .unwrap_or_default();
                    self.missing_dependency("user", uuid, name);
                    None
                }
            };
        }
        let template = wanted.get("email").and_then(Json::as_str)?;
        let email = self
            .text_checked(session, idx, template)?
            .trim()
            .to_string();
        let found = self.assets.users.iter().find(|u| {
            u.get("email")
                .and_then(Json::as_str)
                .is_some_and(|e| e.eq_ignore_ascii_case(&email))
        });
        match found {
            Some(u) => Some(reference(u)),
            None => {
                self.event(
                    "error",
                    json!({
                        "text": format!("No such user with email '{email}'"),
                        "code": "user:missing",
                        "extra": { "email": email },
                    }),
                );
                None
            }
        }
    }
}
