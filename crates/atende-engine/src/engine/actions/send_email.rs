//! `send_email`: an e-mail through the injected e-mail service (`email_sent`, or an `error`).
//!
//! ```json
//! {"uuid": "a5f6a7b8-cdba-4fa6-97c8-9d0e1f2a3b4c", "type": "send_email", "addresses": ["financeiro@example.com"], "subject": "Boleto de @contact.name", "body": "Linha digitável: @results.boleto.value"}
//! ```

use serde_json::json;

use crate::definition::action::SendEmail;
use crate::engine::Machine;
use crate::session::Session;

impl Machine<'_, '_> {
    pub(super) fn send_email(&mut self, session: &Session, idx: usize, a: &SendEmail) {
        let mut to = Vec::new();
        for addr in &a.addresses {
            let t = self.text(session, idx, addr).trim().to_string();
            let t = t.strip_prefix("mailto:").unwrap_or(&t).to_string();
            if t.is_empty() {
                self.event(
                    "error",
                    json!({ "text": "Email address evaluated to empty string, skipping" }),
                );
            } else {
                to.push(t);
            }
        }
        // a subject is one line: runs of whitespace (tabs, newlines) become one space
        let subject = self
            .text(session, idx, &a.subject)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let body = self.text(session, idx, &a.body);
        if body.is_empty() {
            self.event(
                "error",
                json!({ "text": "Email body evaluated to empty string, skipping" }),
            );
            return;
        }
        if to.is_empty() {
            return;
        }
        let sent = match self.services.email.as_deref_mut() {
            Some(email) => email.send(&to, &subject, &body),
            None => Err("no e-mail service available".to_string()),
        };
        match sent {
            Ok(()) => self.event(
                "email_sent",
                json!({ "to": to, "subject": subject, "body": body }),
            ),
            Err(e) => self.event(
                "error",
                json!({ "text": format!("Unable to send email: {e}") }),
            ),
        }
    }
}
