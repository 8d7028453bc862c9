//! `call_classifier`: classifies the input into intents and entities with the host's
//! [`Classifier`](crate::services::Classifier) and saves the top intent as a result whose
//! `extra` holds the classification, so `has_intent`/`has_top_intent` can route on it.
//! Without a classifier service it behaves as goflow does now that NLU was removed: a
//! warning and a `Failure` result.
//!
//! ```json
//! {"uuid": "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b", "type": "call_classifier", "classifier": {"uuid": "1c06c884-39dd-4ce4-ad9f-9a01cbe6c000", "name": "Booking"}, "input": "@input.text", "result_name": "Intent"}
//! ```

use serde_json::json;

use crate::definition::action::CallClassifier;
use crate::definition::Node;
use crate::engine::Machine;
use crate::session::Session;

/// Result categories, as goflow's classifier routers name them.
const SUCCESS: &str = "Success";
const SKIPPED: &str = "Skipped";
const FAILURE: &str = "Failure";

impl Machine<'_, '_> {
    pub(super) fn call_classifier(
        &mut self,
        session: &mut Session,
        idx: usize,
        node: &Node,
        a: &CallClassifier,
    ) {
        if self.services.classifier.is_none() {
            self.event(
                "warning",
                json!({ "text": "NLU classifiers are no longer supported" }),
            );
            self.classifier_result(session, idx, node, a, "0", FAILURE, None, None);
            return;
        }
        let input = self.text(session, idx, &a.input);
        if input.trim().is_empty() {
            // nothing to classify: not the classifier's failure
            self.classifier_result(session, idx, node, a, "0", SKIPPED, Some(input), None);
            return;
        }
        let outcome = match self.services.classifier.as_deref_mut() {
            Some(c) => c.classify(&input),
            None => Err("no classifier".into()),
        };
        match outcome {
            Ok(classification) => {
                let top = classification
                    .intents
                    .first()
                    .map(|i| i.name.clone())
                    .unwrap_or_default();
                let extra = classification.to_json();
                self.classifier_result(
                    session,
                    idx,
                    node,
                    a,
                    &top,
                    SUCCESS,
                    Some(input),
                    Some(extra),
                );
            }
            Err(why) => {
                self.event(
                    "error",
                    json!({ "text": format!("classification failed: {why}") }),
                );
                self.classifier_result(session, idx, node, a, "0", FAILURE, Some(input), None);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn classifier_result(
        &mut self,
        session: &mut Session,
        idx: usize,
        node: &Node,
        a: &CallClassifier,
        value: &str,
        category: &str,
        input: Option<String>,
        extra: Option<serde_json::Value>,
    ) {
        if a.result_name.is_empty() {
            return;
        }
        let node_uuid = node.uuid.clone();
        self.save_result(
            session,
            idx,
            &a.result_name,
            value,
            category,
            &node_uuid,
            input,
            extra,
        );
    }
}

#[cfg(test)]
mod tests {
    use atende_excellent::{Environment, Pcg};
    use serde_json::{json, Value as Json};

    use crate::contact::Contact;
    use crate::engine::{start, Assets, Services};
    use crate::services::{
        Classification, Classifier, EntityValue, Intent, SeededUuids, SequentialClock,
    };

    struct Booking;

    impl Classifier for Booking {
        fn classify(&mut self, text: &str) -> Result<Classification, String> {
            if text == "fail" {
                return Err("service down".into());
            }
            Ok(Classification {
                intents: vec![
                    Intent {
                        name: "book_flight".into(),
                        confidence: 0.9,
                    },
                    Intent {
                        name: "book_hotel".into(),
                        confidence: 0.6,
                    },
                ],
                entities: vec![(
                    "location".into(),
                    vec![EntityValue {
                        value: "Quito".into(),
                        confidence: 1.0,
                    }],
                )],
            })
        }
    }

    /// Runs a classifier node then a router on `has_top_intent`; gives the events and
    /// the category the router picked.
    fn run(input: &str, classifier: Option<&mut dyn Classifier>) -> (Vec<Json>, String) {
        let assets = Assets::from_json(&json!({"flows": [{
            "uuid": "5b2a6f0e-0a44-4c47-9b1f-5d4f8c1e2a10", "name": "NLU", "spec_version": "14.4.2",
            "language": "eng", "type": "messaging",
            "nodes": [{
                "uuid": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                "actions": [{"uuid": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "type": "call_classifier",
                             "input": input, "result_name": "Intent"}],
                "router": {"type": "switch", "operand": "@results.intent",
                    "cases": [{"uuid": "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d", "type": "has_top_intent",
                               "arguments": ["book_flight", "0.5"], "category_uuid": "c1"}],
                    "categories": [{"uuid": "c1", "name": "Flight", "exit_uuid": "e1"},
                                   {"uuid": "c2", "name": "Other", "exit_uuid": "e2"}],
                    "default_category_uuid": "c2", "result_name": "Routed"},
                "exits": [{"uuid": "e1"}, {"uuid": "e2"}]
            }]
        }]}))
        .unwrap();
        let env = Environment::default();
        let mut contact = Contact::from_json(&json!({"uuid": "c1", "name": "Ana"})).unwrap();
        let start_at: jiff::Timestamp = "2025-05-04T12:30:45Z".parse().unwrap();
        let mut clock = SequentialClock::new(start_at, jiff::SignedDuration::from_secs(1));
        let mut uuids = SeededUuids::new(1);
        let mut random = Pcg::new(1, 1);
        let trigger = json!({"type": "manual", "flow": {"uuid": "5b2a6f0e-0a44-4c47-9b1f-5d4f8c1e2a10", "name": "NLU"},
                             "triggered_on": "2000-01-01T00:00:00Z"});
        let mut services = Services::new(&mut clock, &mut uuids, &mut random);
        if let Some(c) = classifier {
            services = services.with_classifier(c);
        }
        let (session, sprint) = start(&assets, &env, &mut contact, &trigger, services).unwrap();
        let events = sprint.events.iter().map(|e| e.to_json()).collect();
        let routed = session.runs[0].results["routed"]["category"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        (events, routed)
    }

    fn of_type<'a>(events: &'a [Json], t: &str) -> Vec<&'a Json> {
        events.iter().filter(|e| e["type"] == t).collect()
    }

    #[test]
    fn without_a_classifier_it_warns_and_fails() {
        let (events, routed) = run("book me a flight", None);
        assert_eq!(
            of_type(&events, "warning")[0]["text"],
            "NLU classifiers are no longer supported"
        );
        let result = of_type(&events, "run_result_changed")[0];
        assert_eq!(result["value"], "0");
        assert_eq!(result["category"], "Failure");
        assert_eq!(routed, "Other");
    }

    #[test]
    fn with_a_classifier_intents_route() {
        let mut booking = Booking;
        let (events, routed) = run("book me a flight", Some(&mut booking));
        let result = of_type(&events, "run_result_changed")[0];
        assert_eq!(result["value"], "book_flight");
        assert_eq!(result["category"], "Success");
        assert_eq!(result["extra"]["intents"][1]["name"], "book_hotel");
        assert_eq!(result["extra"]["entities"]["location"][0]["value"], "Quito");
        assert_eq!(routed, "Flight");
    }

    #[test]
    fn classifier_errors_and_empty_input() {
        let mut booking = Booking;
        let (events, routed) = run("fail", Some(&mut booking));
        assert_eq!(
            of_type(&events, "error")[0]["text"],
            "classification failed: service down"
        );
        assert_eq!(
            of_type(&events, "run_result_changed")[0]["category"],
            "Failure"
        );
        assert_eq!(routed, "Other");
        let mut booking = Booking;
        let (events, _) = run("  ", Some(&mut booking));
        assert_eq!(
            of_type(&events, "run_result_changed")[0]["category"],
            "Skipped"
        );
    }
}
