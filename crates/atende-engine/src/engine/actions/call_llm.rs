//! `call_llm`: asks a large language model through the host's
//! [`LlmService`](crate::services::LlmService) (`llm_called`) and keeps the answer in a
//! local, `<ERROR>` when there is none, for the node's router to split on.
//!
//! ```json
//! {"uuid": "a7b8c9d0-e1f2-4a3b-8c4d-5e6f7a8b9c0d", "type": "call_llm", "llm": {"uuid": "14115c03-b4c5-49e2-b9ac-390c43e9d7ce", "name": "GPT-4"}, "instructions": "Classifique a mensagem como Elogio ou Reclamação", "input": "@input.text", "output_local": "_llm_output"}
//! ```

use serde_json::json;

use crate::definition::action::CallLlm;
use crate::engine::Machine;
use crate::session::Session;

/// What the output local holds when the model gave no answer.
const NO_OUTPUT: &str = "<ERROR>";

impl Machine<'_, '_> {
    pub(super) fn call_llm(&mut self, session: &mut Session, idx: usize, a: &CallLlm) {
        let output = self.ask_llm(session, idx, a);
        session.runs[idx].locals.insert(
            a.output_local.clone(),
            json!(output.unwrap_or_else(|| NO_OUTPUT.to_string())),
        );
    }

    /// The model's answer; failures are reported as `error` events.
    fn ask_llm(&mut self, session: &Session, idx: usize, a: &CallLlm) -> Option<String> {
        let Some(llm) = self
            .assets
            .llms
            .iter()
            .find(|l| l.get("uuid").and_then(|u| u.as_str()) == Some(a.llm.uuid.as_str()))
        else {
            self.missing_dependency("llm", &a.llm.uuid, &a.llm.name);
            return None;
        };
        let instructions = self.text(session, idx, &a.instructions);
        let input = self.text(session, idx, &a.input);
        let start = self.services.clock.now();
        let outcome = match self.services.llm.as_deref_mut() {
            Some(service) => service.call(llm, &instructions, &input),
            None => Err("no LLM service available".into()),
        };
        let elapsed = self.services.clock.now().duration_since(start).as_millis();
        match outcome {
            Ok(r) => {
                self.event(
                    "llm_called",
                    json!({
                        "llm": { "uuid": llm["uuid"], "name": llm["name"] },
                        "instructions": instructions,
                        "input": input,
                        "output": r.output,
                        "tokens": { "input": r.input_tokens, "output": r.output_tokens },
                        "elapsed_ms": elapsed.max(0),
                    }),
                );
                Some(r.output)
            }
            Err(why) => {
                self.event("error", json!({ "text": why }));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use atende_excellent::{Environment, Pcg};
    use serde_json::{json, Value as Json};

    use crate::contact::Contact;
    use crate::engine::{start, Assets, Services};
    use crate::services::{LlmResponse, LlmService, SeededUuids, SequentialClock};

    /// Answers with the instructions' last word; fails on `boom`.
    struct LastWord;

    impl LlmService for LastWord {
        fn call(
            &mut self,
            llm: &Json,
            instructions: &str,
            input: &str,
        ) -> Result<LlmResponse, String> {
            assert_eq!(llm["type"], "anthropic");
            if input == "boom" {
                return Err("overloaded".into());
            }
            Ok(LlmResponse {
                output: instructions
                    .split_whitespace()
                    .last()
                    .unwrap_or_default()
                    .into(),
                input_tokens: 3,
                output_tokens: 1,
            })
        }
    }

    /// Runs a `call_llm` action on `input` with `llm`; gives the events and the local.
    fn run(llm_uuid: &str, input: &str, service: Option<&mut dyn LlmService>) -> (Vec<Json>, Json) {
        let assets = Assets::from_json(&json!({"flows": [{
            "uuid": "5b2a6f0e-0a44-4c47-9b1f-5d4f8c1e2a10", "name": "IA", "spec_version": "14.4.2",
            "language": "por", "type": "messaging",
            "nodes": [{
                "uuid": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                "actions": [{"uuid": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "type": "call_llm",
                             "llm": {"uuid": llm_uuid, "name": "Claude"},
                             "instructions": "Responda Elogio ou Reclamação", "input": input,
                             "output_local": "_llm_output"}],
                "exits": [{"uuid": "e1"}]
            }]
        }],
        "llms": [{"uuid": "51ade705-8338-40a9-8a77-37657a936966", "name": "Claude", "type": "anthropic"}]}))
        .unwrap();
        let env = Environment::default();
        let mut contact = Contact::from_json(&json!({"uuid": "c1", "name": "Ana"})).unwrap();
        let start_at: jiff::Timestamp = "2025-05-04T12:30:45Z".parse().unwrap();
        let mut clock = SequentialClock::new(start_at, jiff::SignedDuration::from_secs(1));
        let mut uuids = SeededUuids::new(1);
        let mut random = Pcg::new(1, 1);
        let trigger = json!({"type": "manual", "flow": {"uuid": "5b2a6f0e-0a44-4c47-9b1f-5d4f8c1e2a10", "name": "IA"},
                             "triggered_on": "2000-01-01T00:00:00Z"});
        let mut services = Services::new(&mut clock, &mut uuids, &mut random);
        if let Some(s) = service {
            services = services.with_llm(s);
        }
        let (session, sprint) = start(&assets, &env, &mut contact, &trigger, services).unwrap();
        let events = sprint.events.iter().map(|e| e.to_json()).collect();
        (events, session.runs[0].locals["_llm_output"].clone())
    }

    const CLAUDE: &str = "51ade705-8338-40a9-8a77-37657a936966";

    #[test]
    fn the_answer_goes_in_the_local() {
        let (events, local) = run(CLAUDE, "Adorei o atendimento", Some(&mut LastWord));
        assert_eq!(local, "Reclamação");
        let called = &events[1];
        assert_eq!(called["type"], "llm_called");
        assert_eq!(called["llm"], json!({"uuid": CLAUDE, "name": "Claude"}));
        assert_eq!(called["input"], "Adorei o atendimento");
        assert_eq!(called["tokens"], json!({"input": 3, "output": 1}));
    }

    #[test]
    fn failures_leave_an_error_marker() {
        let (events, local) = run(CLAUDE, "boom", Some(&mut LastWord));
        assert_eq!(
            (events[1]["text"].clone(), local),
            (json!("overloaded"), json!("<ERROR>"))
        );
        let (events, local) = run(CLAUDE, "oi", None);
        assert_eq!(events[1]["text"], "no LLM service available");
        assert_eq!(local, "<ERROR>");
        let (events, local) = run(
            "63998ee7-a7a5-4cc5-be67-c773e1b6b9b1",
            "oi",
            Some(&mut LastWord),
        );
        assert_eq!(events[1]["code"], "dependency:missing");
        assert_eq!(local, "<ERROR>");
    }
}
