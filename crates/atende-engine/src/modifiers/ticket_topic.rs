//! `ticket_topic`: changes the topic of one of the contact's tickets
//! (`ticket_topic_changed`).
//!
//! ```json
//! {"type": "ticket_topic", "ticket_uuid": "01969b47-0583-76f8-ae7f-f8b243c49ff5", "topic": {"uuid": "472a7a73-96cb-4736-b567-056d987cc5b4", "name": "Financeiro"}}
//! ```

use serde::Serialize;
use serde_json::json;

use super::{ticket_index, ModifierError, Reader, Ref, Target};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TicketTopic {
    pub ticket_uuid: String,
    pub topic: Ref,
}

impl TicketTopic {
    pub(super) fn read(r: &Reader) -> Result<TicketTopic, ModifierError> {
        Ok(TicketTopic {
            ticket_uuid: r.required("ticket_uuid")?,
            topic: r.required("topic")?,
        })
    }

    pub(super) fn apply(&self, t: &mut Target) -> bool {
        let Some(i) = ticket_index(t.contact, &self.ticket_uuid) else {
            return false;
        };
        let assets = t.assets;
        let Some(topic) = t.resolve(&assets.topics, "topic", &self.topic).map(Ref::of) else {
            return false;
        };
        let current = t.contact.tickets[i]
            .pointer("/topic/uuid")
            .and_then(serde_json::Value::as_str);
        if current == Some(topic.uuid.as_str()) {
            return false;
        }
        t.contact.tickets[i]["topic"] = json!(topic);
        t.event(
            "ticket_topic_changed",
            json!({ "ticket_uuid": self.ticket_uuid, "topic": topic }),
        );
        true
    }
}
