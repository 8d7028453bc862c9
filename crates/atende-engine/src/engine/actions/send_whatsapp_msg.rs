//! `send_whatsapp_msg` (Weni's goflow fork): a WhatsApp message with a header, a footer
//! and reply buttons, a list of options or a URL button. It becomes an ordinary
//! `msg_created`, so every channel can send it (text, attachments, quick replies), and
//! carries the WhatsApp-only parts in an extra object on the message, `whatsapp`, for a
//! WhatsApp channel to render:
//!
//! ```json
//! {"uuid": "6d1f0c1e-8a2b-4c3d-9e4f-5a6b7c8d9e0f", "type": "send_whatsapp_msg",
//!  "header_type": "text", "header_text": "Cobrança", "text": "Olá @contact.first_name, escolha uma opção",
//!  "footer": "Atende Financeira", "interaction_type": "list", "button_text": "Ver opções",
//!  "list_items": [{"uuid": "0b6c…", "title": "Segunda via", "description": "Boleto do mês"}]}
//! ```
//!
//! gives a message whose quick replies are the list's titles (each description as the
//! quick reply's `extra`), and
//!
//! ```json
//! "whatsapp": {
//!   "interaction_type": "list",
//!   "header": {"type": "text", "text": "Cobrança"},
//!   "footer": "Atende Financeira",
//!   "list": {"button_text": "Ver opções",
//!            "items": [{"uuid": "0b6c…", "title": "Segunda via", "description": "Boleto do mês"}]}
//! }
//! ```
//!
//! The `whatsapp` object has, each only when present:
//! - `interaction_type`: `replies` (up to 3 buttons: the message's quick replies), `list`,
//!   `cta_url` or `location` (ask the contact to share their location);
//! - `header`: `{"type": "text", "text"}`, or `{"type": "media"}` when the header is the
//!   message's first attachment (the action's `attachment`, `content-type:url`);
//! - `footer`: the small text under the message;
//! - `list`: `{"button_text", "items": [{"uuid", "title", "description"}]}`, the button
//!   that opens the list and its options (the titles are also the quick replies, so the
//!   contact's answer is a title whatever channel sends it);
//! - `cta_url`: `{"display_text", "url"}`, a button that opens a URL.
//!
//! Text, header text, footer, button text, attachment and quick replies are templates,
//! translated like `send_msg`'s (localization keys `text`, `header_text`, `footer`,
//! `button_text`, `attachments`, `quick_replies`); list items and the URL are
//! templates in the flow's language. Weni's WhatsApp Flows (`flow_msg`) and payment
//! (`order_details`) interactions need Meta-side assets we do not have: the message is
//! sent without them, after a warning.

use serde_json::{json, Map, Value as Json};

use super::send_msg::{written_quick_replies, OutgoingMsg};
use crate::definition::action::{Action, SendWhatsappMsg};
use crate::definition::Flow;
use crate::engine::Machine;
use crate::session::Session;

/// The interactions a WhatsApp channel can render from the `whatsapp` object.
const INTERACTIONS: &[&str] = &["replies", "list", "cta_url", "location"];

impl Machine<'_, '_> {
    pub(super) fn send_whatsapp_msg(
        &mut self,
        session: &Session,
        idx: usize,
        flow: &Flow,
        action: &Action,
        a: &SendWhatsappMsg,
    ) {
        let mut whatsapp = Map::new();
        let interaction = a.interaction_type.as_str();
        if INTERACTIONS.contains(&interaction) {
            whatsapp.insert("interaction_type".into(), json!(interaction));
        } else if !interaction.is_empty() {
            self.event(
                "warning",
                json!({ "text": format!(
                    "send_whatsapp_msg interaction '{interaction}' (Weni) is not supported: sending the message without it"
                ) }),
            );
        }

        let header_text =
            self.translated_text(session, idx, flow, action, "header_text", &a.header_text);
        let text = self.translated_text(session, idx, flow, action, "text", &a.text);
        let (urn, channel) = self.route_for_contact();
        let written: Vec<String> = Some(a.attachment.clone())
            .filter(|att| !att.is_empty())
            .into_iter()
            .collect();
        let attachments = self.msg_attachments(session, idx, flow, action, &written);
        match a.header_type.as_str() {
            "media" if !attachments.is_empty() => {
                whatsapp.insert("header".into(), json!({ "type": "media" }));
            }
            "text" | "" if !header_text.is_empty() => {
                whatsapp.insert(
                    "header".into(),
                    json!({ "type": "text", "text": header_text }),
                );
            }
            _ => {}
        }
        let footer = self.translated_text(session, idx, flow, action, "footer", &a.footer);
        if !footer.is_empty() {
            whatsapp.insert("footer".into(), json!(footer));
        }
        let button_text =
            self.translated_text(session, idx, flow, action, "button_text", &a.button_text);

        let mut quick_replies: Vec<(String, Option<String>)> = Vec::new();
        if interaction == "list" && !a.list_items.is_empty() {
            let mut items = Vec::new();
            for item in &a.list_items {
                let title = self.text(session, idx, &item.title);
                let description = self.text(session, idx, &item.description);
                if title.is_empty() {
                    self.event(
                        "error",
                        json!({ "text": "List option title evaluated to empty string and will be ignored" }),
                    );
                    continue;
                }
                let mut row = json!({ "title": title });
                if !item.uuid.is_empty() {
                    row["uuid"] = json!(item.uuid);
                }
                if !description.is_empty() {
                    row["description"] = json!(description);
                }
                items.push(row);
                quick_replies.push((title, Some(description)));
            }
            whatsapp.insert(
                "list".into(),
                json!({ "button_text": button_text, "items": items }),
            );
        } else {
            let written = written_quick_replies(&a.quick_replies);
            let buttons = self.msg_quick_replies(session, idx, flow, action, &written);
            quick_replies.extend(buttons.into_iter().map(|b| (b, None)));
        }
        if interaction == "cta_url" {
            let url = self.text(session, idx, &a.action_url);
            if url.trim().is_empty() {
                self.event(
                    "error",
                    json!({ "text": "URL button evaluated to an empty URL and will be ignored" }),
                );
            } else {
                whatsapp.insert(
                    "cta_url".into(),
                    json!({ "display_text": button_text, "url": url.trim() }),
                );
            }
        }

        let locale = self.locale(flow, channel.as_ref());
        let msg = OutgoingMsg {
            text,
            attachments,
            quick_replies,
            templating: None,
            locale,
            channel_extra: (!whatsapp.is_empty()).then_some(("whatsapp", Json::Object(whatsapp))),
        };
        self.msg_created(urn, channel, msg);
    }

    /// An action's text for `key`, translated and evaluated (empty when not written).
    fn translated_text(
        &mut self,
        session: &Session,
        idx: usize,
        flow: &Flow,
        action: &Action,
        key: &str,
        written: &str,
    ) -> String {
        let template = self.translated(flow, action, key, written);
        if template.is_empty() {
            return String::new();
        }
        self.text(session, idx, &template)
    }
}

#[cfg(test)]
mod tests {
    use atende_excellent::{Environment, Pcg};
    use serde_json::{json, Value as Json};

    use crate::contact::Contact;
    use crate::engine::{start, Assets, Services};
    use crate::services::{SeededUuids, SequentialClock};

    /// Runs one `send_whatsapp_msg` action (a 14.4.2 flow); gives the events.
    fn run(action: Json) -> Vec<Json> {
        let mut action = action;
        action["uuid"] = json!("9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f");
        action["type"] = json!("send_whatsapp_msg");
        let assets = Assets::from_json(&json!({"flows": [{
            "uuid": "3a4b5c6d-7e8f-4a9b-8c0d-1e2f3a4b5c6d", "name": "Boleto", "spec_version": "14.4.2",
            "language": "por", "type": "messaging",
            "nodes": [{"uuid": "4b5c6d7e-8f9a-4b0c-9d1e-2f3a4b5c6d7e", "actions": [action],
                       "exits": [{"uuid": "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f"}]}]
        }]}))
        .unwrap();
        let env = Environment::brazil();
        let mut contact = Contact::from_json(&json!({"uuid": "c1", "name": "Ana Souza",
            "urns": ["whatsapp:5511987654321"], "fields": {}}))
        .unwrap();
        let start_at: jiff::Timestamp = "2025-05-04T12:30:45Z".parse().unwrap();
        let mut clock = SequentialClock::new(start_at, jiff::SignedDuration::from_secs(1));
        let mut uuids = SeededUuids::new(1);
        let mut random = Pcg::new(1, 1);
        let trigger = json!({"type": "manual", "flow": {"uuid": "3a4b5c6d-7e8f-4a9b-8c0d-1e2f3a4b5c6d", "name": "Boleto"},
                             "triggered_on": "2000-01-01T00:00:00Z"});
        let services = Services::new(&mut clock, &mut uuids, &mut random);
        let (_, sprint) = start(&assets, &env, &mut contact, &trigger, services).unwrap();
        sprint
            .events
            .iter()
            .map(|e| e.to_json())
            .filter(|e| !e["type"].as_str().unwrap_or_default().starts_with("run_"))
            .collect()
    }

    #[test]
    fn a_url_button_carries_its_text_and_evaluated_url() {
        let events = run(
            json!({"interaction_type": "cta_url", "text": "Seu boleto, @contact.first_name",
            "button_text": "Abrir", "action_url": "https://atende.example/boleto/@contact.uuid"}),
        );
        assert_eq!(events.len(), 1, "{events:?}");
        let msg = &events[0]["msg"];
        assert_eq!(msg["text"], "Seu boleto, Ana");
        assert_eq!(
            msg["whatsapp"],
            json!({"interaction_type": "cta_url",
                   "cta_url": {"display_text": "Abrir", "url": "https://atende.example/boleto/c1"}})
        );
        assert!(msg.get("quick_replies").is_none());
        // no channel sends WhatsApp here: the message has no route
        assert_eq!(msg["unsendable_reason"], "no_route");
    }

    #[test]
    fn plain_text_has_no_whatsapp_object() {
        let events = run(json!({"text": "Olá", "quick_replies": ["Sim", "Não"]}));
        let msg = &events[0]["msg"];
        assert!(msg.get("whatsapp").is_none(), "{msg}");
        assert_eq!(
            msg["quick_replies"][1],
            json!({"text": "Não", "type": "text"})
        );
    }

    #[test]
    fn what_cannot_be_sent_is_reported() {
        let events = run(
            json!({"interaction_type": "flow_msg", "text": "Preencha o formulário",
            "flow_id": "123", "flow_screen": "INICIO", "button_text": "Abrir"}),
        );
        assert_eq!(
            events[0]["text"],
            "send_whatsapp_msg interaction 'flow_msg' (Weni) is not supported: sending the message without it"
        );
        assert_eq!(events[1]["msg"]["text"], "Preencha o formulário");
        assert!(events[1]["msg"].get("whatsapp").is_none());

        let events = run(
            json!({"interaction_type": "list", "text": "Escolha", "button_text": "Ver",
            "list_items": [{"title": "@(\"\")"}, {"title": "Pix", "description": "na hora"}],
            "header_type": "media", "attachment": "@(\"\")", "footer": "rodapé"}),
        );
        let errors: Vec<&Json> = events.iter().filter(|e| e["type"] == "error").collect();
        assert_eq!(
            errors[0]["text"],
            "Attachment evaluated to invalid value and will be ignored"
        );
        assert_eq!(
            errors[1]["text"],
            "List option title evaluated to empty string and will be ignored"
        );
        let msg = &events.last().unwrap()["msg"];
        assert_eq!(
            msg["whatsapp"],
            json!({"interaction_type": "list", "footer": "rodapé",
                   "list": {"button_text": "Ver", "items": [{"title": "Pix", "description": "na hora"}]}})
        );
        assert_eq!(
            msg["quick_replies"],
            json!([{"text": "Pix", "type": "text", "extra": "na hora"}])
        );
    }
}
