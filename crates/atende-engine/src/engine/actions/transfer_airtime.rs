//! `transfer_airtime`: sends mobile credit to the contact's phone number through the
//! host's [`AirtimeService`](crate::services::AirtimeService) (`airtime_created`). The
//! transfer's UUID goes in `@locals._new_transfer` (empty when none was made), which the
//! node's router splits on.
//!
//! ```json
//! {"uuid": "f3a4b5c6-d7e8-4f9a-8b0c-1d2e3f4a5b6c", "type": "transfer_airtime", "amounts": {"BRL": 10, "USD": 2}}
//! ```

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::{json, Value as Json};

use crate::definition::action::{airtime_amount, TransferAirtime};
use crate::definition::Node;
use crate::engine::Machine;
use crate::session::Session;

/// The local the router reads.
const LOCAL: &str = "_new_transfer";

/// A decimal as a JSON number: an integer when it is one, else a float.
fn decimal_json(d: Decimal) -> Json {
    if d.fract().is_zero() {
        if let Some(i) = d.to_i64() {
            return json!(i);
        }
    }
    d.to_f64().map(|f| json!(f)).unwrap_or(Json::Null)
}

impl Machine<'_, '_> {
    pub(super) fn transfer_airtime(
        &mut self,
        session: &mut Session,
        idx: usize,
        node: &Node,
        a: &TransferAirtime,
    ) {
        let transfer = self.make_transfer(a);
        let uuid = transfer.clone().unwrap_or_default();
        session.runs[idx].locals.insert(LOCAL.into(), json!(uuid));
        // flows older than 14.3 saved the result on the action itself
        if let (Some(uuid), false) = (transfer, a.result_name.is_empty()) {
            let node_uuid = node.uuid.clone();
            self.save_result(
                session,
                idx,
                &a.result_name,
                &uuid,
                "Success",
                &node_uuid,
                None,
                None,
            );
        }
    }

    /// Makes the transfer, returning its UUID; failures are reported as `error` events.
    fn make_transfer(&mut self, a: &TransferAirtime) -> Option<String> {
        let Some((recipient, sender)) = self.airtime_route() else {
            self.event(
                "error",
                json!({ "text": "can't transfer airtime to contact without a phone number" }),
            );
            return None;
        };
        // amounts were checked when the flow was read
        let amounts: Vec<(String, Decimal)> = a
            .amounts
            .iter()
            .filter_map(|(currency, v)| Some((currency.clone(), airtime_amount(v)?)))
            .collect();
        let outcome = match self.services.airtime.as_deref_mut() {
            Some(service) => service.transfer(&sender, &recipient, &amounts),
            None => Err("no airtime service available".into()),
        };
        let t = match outcome {
            Ok(t) => t,
            Err(why) => {
                self.event("error", json!({ "text": why }));
                return None;
            }
        };
        let logs: Vec<Json> = t.http_logs.iter().map(|l| l.to_json()).collect();
        self.event(
            "airtime_created",
            json!({
                "external_id": t.external_id,
                "sender": sender,
                "recipient": recipient,
                "currency": t.currency,
                "amount": decimal_json(t.amount),
                "http_logs": logs,
            }),
        );
        // the event's UUID identifies the transfer
        self.sprint.events.last().map(|e| e.uuid.clone())
    }

    /// The contact's first phone number, and the URN of the channel that sends to it:
    /// the one the URN names, else the first that sends phone messages (empty if none).
    fn airtime_route(&self) -> Option<(String, String)> {
        let urn = self.contact.urns.iter().find(|u| u.starts_with("tel:"))?;
        let recipient = crate::contact::urn_identity(urn).to_string();
        let affinity = urn
            .split_once("channel=")
            .map(|(_, rest)| rest.split(['&', '#']).next().unwrap_or_default());
        let has = |ch: &Json, key: &str, v: &str| {
            ch.get(key)
                .and_then(Json::as_array)
                .is_some_and(|l| l.iter().any(|x| x == v))
        };
        let channels = &self.assets.channels;
        let sender = affinity
            .and_then(|uuid| channels.iter().find(|ch| ch["uuid"] == uuid))
            .or_else(|| {
                channels
                    .iter()
                    .find(|ch| has(ch, "schemes", "tel") && has(ch, "roles", "send"))
            })
            .and_then(|ch| ch.get("address").and_then(Json::as_str))
            .map(|addr| format!("tel:{addr}"))
            .unwrap_or_default();
        Some((recipient, sender))
    }
}

#[cfg(test)]
mod tests {
    use atende_excellent::{Environment, Pcg};
    use rust_decimal::Decimal;
    use serde_json::{json, Value as Json};

    use crate::contact::Contact;
    use crate::engine::{start, Assets, Services};
    use crate::services::{AirtimeService, AirtimeTransfer, SeededUuids, SequentialClock};

    /// Pays in BRL only.
    struct Reais;

    impl AirtimeService for Reais {
        fn transfer(
            &mut self,
            sender: &str,
            recipient: &str,
            amounts: &[(String, Decimal)],
        ) -> Result<AirtimeTransfer, String> {
            assert_eq!(sender, "tel:+5511999990000");
            assert_eq!(recipient, "tel:+5511988887777");
            let (currency, amount) = amounts
                .iter()
                .find(|(c, _)| c == "BRL")
                .ok_or("no BRL amount")?;
            Ok(AirtimeTransfer {
                external_id: "X1".into(),
                currency: currency.clone(),
                amount: *amount,
                http_logs: vec![],
            })
        }
    }

    /// Runs a transfer node routed on `@locals._new_transfer`: the events, the local
    /// and the category picked.
    fn run(amounts: Json, service: Option<&mut dyn AirtimeService>) -> (Vec<Json>, Json, String) {
        let assets = Assets::from_json(&json!({"flows": [{
            "uuid": "5b2a6f0e-0a44-4c47-9b1f-5d4f8c1e2a10", "name": "Recarga", "spec_version": "14.4.2",
            "language": "por", "type": "messaging",
            "nodes": [{
                "uuid": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                "actions": [{"uuid": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "type": "transfer_airtime",
                             "amounts": amounts}],
                "router": {"type": "switch", "operand": "@locals._new_transfer",
                    "cases": [{"uuid": "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d", "type": "has_text",
                               "arguments": [], "category_uuid": "c1"}],
                    "categories": [{"uuid": "c1", "name": "Success", "exit_uuid": "e1"},
                                   {"uuid": "c2", "name": "Failure", "exit_uuid": "e2"}],
                    "default_category_uuid": "c2", "result_name": "Recarga"},
                "exits": [{"uuid": "e1"}, {"uuid": "e2"}]
            }]
        }],
        "channels": [{"uuid": "57f1078f-88aa-46f4-a59a-948a5739c03d", "name": "Vivo", "address": "+5511999990000",
                      "schemes": ["tel"], "roles": ["send", "receive"]}]}))
        .unwrap();
        let env = Environment::default();
        let mut contact = Contact::from_json(
            &json!({"uuid": "c1", "name": "Ana", "urns": ["whatsapp:5511988887777", "tel:+5511988887777"]}),
        )
        .unwrap();
        let start_at: jiff::Timestamp = "2025-05-04T12:30:45Z".parse().unwrap();
        let mut clock = SequentialClock::new(start_at, jiff::SignedDuration::from_secs(1));
        let mut uuids = SeededUuids::new(1);
        let mut random = Pcg::new(1, 1);
        let trigger = json!({"type": "manual", "flow": {"uuid": "5b2a6f0e-0a44-4c47-9b1f-5d4f8c1e2a10", "name": "Recarga"},
                             "triggered_on": "2000-01-01T00:00:00Z"});
        let mut services = Services::new(&mut clock, &mut uuids, &mut random);
        if let Some(s) = service {
            services = services.with_airtime(s);
        }
        let (session, sprint) = start(&assets, &env, &mut contact, &trigger, services).unwrap();
        let events = sprint.events.iter().map(|e| e.to_json()).collect();
        let run = &session.runs[0];
        let category = run.results["recarga"]["category"]
            .as_str()
            .unwrap_or_default();
        (
            events,
            run.locals["_new_transfer"].clone(),
            category.to_string(),
        )
    }

    #[test]
    fn a_transfer_is_reported_and_routes_on_success() {
        let (events, local, category) = run(json!({"BRL": 10, "USD": 2.5}), Some(&mut Reais));
        let created = events
            .iter()
            .find(|e| e["type"] == "airtime_created")
            .unwrap();
        assert_eq!(created["currency"], "BRL");
        assert_eq!(created["amount"], 10);
        assert_eq!(created["sender"], "tel:+5511999990000");
        assert_eq!(created["recipient"], "tel:+5511988887777");
        assert_eq!(local, created["uuid"]);
        assert_eq!(category, "Success");
    }

    #[test]
    fn failures_are_errors_and_route_to_failure() {
        let (events, local, category) = run(json!({"USD": 2.5}), Some(&mut Reais));
        assert_eq!(events[1]["text"], "no BRL amount");
        assert_eq!((local, category.as_str()), (json!(""), "Failure"));
        let (events, local, _) = run(json!({"BRL": 10}), None);
        assert_eq!(events[1]["text"], "no airtime service available");
        assert_eq!(local, json!(""));
    }
}
