//! Dial waits (voice flows): the call is forwarded to a phone number and the run waits
//! for the dial to end; a `dial` resume carries how it ended (`@resume.dial.status`:
//! `answered`, `no_answer`, `busy`, `failed`; `@resume.dial.duration` in seconds).

use serde_json::json;

use crate::engine::time::format_time;
use crate::engine::Machine;
use crate::session::{RunStatus, Session};

/// How long the dialled phone may ring, unless the wait says.
pub const DEFAULT_DIAL_LIMIT_SECONDS: i64 = 60;
/// How long the forwarded call may last, unless the wait says.
pub const DEFAULT_CALL_LIMIT_SECONDS: i64 = 7200;
/// Margin past the dial and call limits before a dial wait expires.
const DIAL_EXPIRY_MARGIN_SECONDS: i64 = 30;

/// A phone number as a `tel:` URN: E.164 when it parses for `country` (or as an
/// international number), else its digits.
pub(super) fn phone_urn(phone: &str, country: &str) -> String {
    let region = country.parse::<phonenumber::country::Id>().ok();
    let digits: String = phone
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    let international = if digits.starts_with('+') {
        digits.clone()
    } else {
        format!("+{digits}")
    };
    for (region, text) in [(region, phone), (None, international.as_str())] {
        if let Ok(n) = phonenumber::parse(region, text) {
            if phonenumber::is_valid(&n) {
                return format!("tel:{}", n.format().mode(phonenumber::Mode::E164));
            }
        }
    }
    format!("tel:{digits}")
}

impl Machine<'_, '_> {
    /// Starts a dial wait: evaluates the phone number and emits `dial_wait`. The wait
    /// expires once both limits (and a margin) have passed.
    pub(super) fn begin_dial_wait(
        &mut self,
        session: &mut Session,
        idx: usize,
        phone: &str,
        dial_limit: Option<i64>,
        call_limit: Option<i64>,
    ) {
        session.runs[idx].status = RunStatus::Waiting;
        let phone = self.text(session, idx, phone);
        let urn = phone_urn(phone.trim(), &self.env.default_country);
        let dial_limit = dial_limit.unwrap_or(DEFAULT_DIAL_LIMIT_SECONDS);
        let call_limit = call_limit.unwrap_or(DEFAULT_CALL_LIMIT_SECONDS);
        let expires = self
            .services
            .clock
            .now()
            .checked_add(jiff::SignedDuration::from_secs(
                dial_limit + call_limit + DIAL_EXPIRY_MARGIN_SECONDS,
            ))
            .map(format_time)
            .unwrap_or_default();
        self.event(
            "dial_wait",
            json!({
                "urn": urn,
                "dial_limit_seconds": dial_limit,
                "call_limit_seconds": call_limit,
                "expires_on": expires,
            }),
        );
        session.runs[idx].modified_on = self.now();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::phone_urn;
    use crate::contact::Contact;
    use crate::engine::{resume, start_with_call, Assets, Services};
    use crate::services::{SeededUuids, SequentialClock};
    use crate::session::SessionStatus;

    /// A voice flow dials a number, then routes on how the dial ended.
    #[test]
    fn dial_wait_and_resume() {
        let assets = Assets::from_json(&json!({"flows": [{
            "uuid": "f1", "name": "Forward", "spec_version": "14.4.2", "language": "eng",
            "type": "voice", "nodes": [{
                "uuid": "n1",
                "router": {
                    "type": "switch",
                    "wait": {"type": "dial", "phone": "@fields.boss", "dial_limit_seconds": 20},
                    "operand": "@(default(resume.dial.status, \"\"))",
                    "result_name": "Forward",
                    "cases": [{"uuid": "c1", "type": "has_only_text", "arguments": ["answered"], "category_uuid": "k1"}],
                    "categories": [
                        {"uuid": "k1", "name": "Answered", "exit_uuid": "e1"},
                        {"uuid": "k2", "name": "Other", "exit_uuid": "e2"}
                    ],
                    "default_category_uuid": "k2"
                },
                "exits": [{"uuid": "e1"}, {"uuid": "e2"}]
            }]
        }], "fields": [{"uuid": "fd", "key": "boss", "name": "Boss", "type": "text"}]}))
        .unwrap();
        let env = atende_excellent::Environment::default();
        let mut contact = Contact::from_json(&json!({
            "uuid": "c1", "name": "Bob", "status": "active",
            "urns": ["tel:+5511987654321"], "fields": {"boss": {"text": "(11) 91234-5678"}}
        }))
        .unwrap();
        let start_at: jiff::Timestamp = "2025-05-04T12:30:45Z".parse().unwrap();
        let mut clock = SequentialClock::new(start_at, jiff::SignedDuration::from_secs(1));
        let mut uuids = SeededUuids::new(1);
        let mut random = atende_excellent::Pcg::new(1, 1);
        let trigger = json!({"type": "manual", "flow": {"uuid": "f1", "name": "Forward"}, "triggered_on": "2000-01-01T00:00:00Z"});
        let call = json!({"uuid": "call-1", "channel": {"uuid": "ch", "name": "Twilio"}, "urn": "tel:+5511987654321"});
        let (mut session, sprint) = start_with_call(
            &assets,
            &env,
            &mut contact,
            &trigger,
            Some(&call),
            Services::new(&mut clock, &mut uuids, &mut random),
        )
        .unwrap();
        assert_eq!(session.status, SessionStatus::Waiting);
        assert_eq!(session.call_uuid.as_deref(), Some("call-1"));
        let wait = &sprint.events[1];
        assert_eq!(wait.event_type, "dial_wait");
        assert_eq!(wait.data["urn"], json!("tel:+5511912345678"));
        assert_eq!(wait.data["dial_limit_seconds"], json!(20));
        assert_eq!(wait.data["call_limit_seconds"], json!(7200));

        // a message can't end a dial wait
        let msg = json!({"type": "msg", "msg": {"text": "hi"}});
        let services = Services::new(&mut clock, &mut uuids, &mut random);
        assert!(resume(&assets, &env, &mut session, &mut contact, &msg, services).is_err());
        assert_eq!(session.status, SessionStatus::Waiting);

        let dial = json!({"type": "dial", "resumed_on": "2000-01-01T00:00:00Z",
            "event": {"type": "dial_ended", "dial": {"status": "answered", "duration": 12}}});
        let services = Services::new(&mut clock, &mut uuids, &mut random);
        resume(&assets, &env, &mut session, &mut contact, &dial, services).unwrap();
        assert_eq!(session.status, SessionStatus::Completed);
        let result = &session.runs[0].results["forward"];
        assert_eq!(result["category"], json!("Answered"));
        assert_eq!(result["value"], json!("answered"));
    }

    #[test]
    fn phone_numbers_become_tel_urns() {
        assert_eq!(phone_urn("(206)5551212", "US"), "tel:+12065551212");
        assert_eq!(phone_urn("1(206)5551212", ""), "tel:+12065551212");
        assert_eq!(phone_urn("+55 11 98765-4321", ""), "tel:+5511987654321");
        assert_eq!(phone_urn("12-34", ""), "tel:1234");
    }
}
