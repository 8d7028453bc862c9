//! Exports from Weni's goflow fork (spec 13.1.0, with Weni's own action and router
//! types) load whole and run: `send_whatsapp_msg` becomes a message with quick replies
//! and its WhatsApp parts, Weni's service actions warn and leave by their Failure exit,
//! `smart` routers take their default category. `weni_export.json` is a small bot of our
//! own written in Weni's export format.

use atende_engine::contact::Contact;
use atende_engine::engine::{resume, start, Assets, Services, Sprint};
use atende_engine::services::{SeededUuids, SequentialClock};
use atende_engine::session::{Session, SessionStatus};
use atende_excellent::{Environment, Pcg};
use serde_json::{json, Value as Json};

const COBRANCA: &str = "Cobrança Weni";
const TRIAGEM: &str = "Triagem inteligente";

/// The export, with a WhatsApp channel added so messages have a route.
fn export() -> Json {
    let text = include_str!("weni_export.json");
    let mut json: Json = serde_json::from_str(text).unwrap();
    json["channels"] = json!([{
        "uuid": "5b0e8f7c-3a1d-4f2e-9c6b-8d7a6e5f4c3b", "name": "WhatsApp Atende",
        "address": "+5511900000000", "schemes": ["whatsapp"], "roles": ["send", "receive"]
    }]);
    json
}

fn assets() -> Assets {
    Assets::from_json_migrating(&export(), &mut SeededUuids::new(7)).unwrap()
}

fn contact(language: &str) -> Contact {
    Contact::from_json(&json!({
        "uuid": "0f5c3b1e-6a2d-4e8f-9b7c-1d2e3f4a5b6c", "name": "Ana Souza", "language": language,
        "status": "active", "urns": ["whatsapp:5511987654321"], "fields": {"cpf": {"text": "52998224725"}}
    }))
    .unwrap()
}

/// A conversation with one flow: start it, then send each reply.
struct Chat {
    assets: Assets,
    env: Environment,
    contact: Contact,
    session: Session,
    clock: SequentialClock,
    uuids: SeededUuids,
    random: Pcg,
}

impl Chat {
    fn start(flow_name: &str, language: &str, env: Environment) -> (Chat, Sprint) {
        let assets = assets();
        let flow = assets.flows.iter().find(|f| f.name == flow_name).unwrap();
        let trigger = json!({"type": "manual", "flow": {"uuid": flow.uuid, "name": flow.name},
                             "triggered_on": "2025-05-04T12:30:00Z"});
        let mut contact = contact(language);
        let start_at: jiff::Timestamp = "2025-05-04T12:30:45Z".parse().unwrap();
        let mut clock = SequentialClock::new(start_at, jiff::SignedDuration::from_secs(1));
        let mut uuids = SeededUuids::new(1);
        let mut random = Pcg::new(1, 1);
        let (session, sprint) = start(
            &assets,
            &env,
            &mut contact,
            &trigger,
            Services::new(&mut clock, &mut uuids, &mut random),
        )
        .unwrap();
        let chat = Chat {
            assets,
            env,
            contact,
            session,
            clock,
            uuids,
            random,
        };
        (chat, sprint)
    }

    fn say(&mut self, text: &str) -> Sprint {
        let input = json!({"type": "msg", "resumed_on": "2025-05-04T12:31:00Z",
                           "msg": {"text": text, "urn": "whatsapp:5511987654321"}});
        resume(
            &self.assets,
            &self.env,
            &mut self.session,
            &mut self.contact,
            &input,
            Services::new(&mut self.clock, &mut self.uuids, &mut self.random),
        )
        .unwrap()
    }

    fn result(&self, key: &str) -> &Json {
        &self.session.runs[0].results[key]
    }
}

fn of_type(sprint: &Sprint, t: &str) -> Vec<Json> {
    sprint
        .events
        .iter()
        .filter(|e| e.event_type == t)
        .map(|e| e.to_json())
        .collect()
}

fn texts(sprint: &Sprint, t: &str) -> Vec<String> {
    of_type(sprint, t)
        .iter()
        .map(|e| {
            e.pointer("/msg/text")
                .or_else(|| e.get("text"))
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[test]
fn the_whole_export_loads() {
    let assets = assets();
    let names: Vec<&str> = assets.flows.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, [COBRANCA, TRIAGEM]);
    assert!(assets.flows.iter().all(|f| f.spec_version == "14.4.2"));
    // exports name fields without UUIDs
    assert_eq!(assets.fields[0].key, "cpf");
    assert_eq!(assets.fields[0].value_type, "text");
    // Weni's actions write back as they were read
    let original = export();
    let weni_actions = |flow: &Json| -> Vec<Json> {
        let nodes = flow["nodes"].as_array().unwrap();
        nodes
            .iter()
            .flat_map(|n| n["actions"].as_array().cloned().unwrap_or_default())
            .filter(|a| a["type"] != "send_msg")
            .collect()
    };
    for (i, flow) in assets.flows.iter().enumerate() {
        let written = weni_actions(&serde_json::to_value(flow).unwrap());
        assert_eq!(
            written,
            weni_actions(&original["flows"][i]),
            "{}",
            flow.name
        );
        assert!(!written.is_empty(), "{}", flow.name);
    }
}

#[test]
fn a_whatsapp_list_becomes_quick_replies_and_whatsapp_parts() {
    let (chat, sprint) = Chat::start(COBRANCA, "por", Environment::brazil());
    assert_eq!(chat.session.status, SessionStatus::Waiting);
    let msgs = of_type(&sprint, "msg_created");
    assert_eq!(msgs.len(), 1);
    let msg = &msgs[0]["msg"];
    assert_eq!(msg["text"], "Olá Ana! Como podemos ajudar hoje?");
    assert_eq!(msg["urn"], "whatsapp:5511987654321");
    assert_eq!(msg["channel"]["name"], "WhatsApp Atende");
    assert_eq!(
        msg["quick_replies"],
        json!([
            {"text": "Segunda via", "type": "text", "extra": "Boleto do mês"},
            {"text": "Atendente", "type": "text", "extra": "Falar com uma pessoa"}
        ])
    );
    let whatsapp = &msg["whatsapp"];
    assert_eq!(whatsapp["interaction_type"], "list");
    assert_eq!(
        whatsapp["header"],
        json!({"type": "text", "text": "Atende Financeira"})
    );
    assert_eq!(whatsapp["footer"], "Toque em uma opção");
    assert_eq!(whatsapp["list"]["button_text"], "Ver opções");
    assert_eq!(whatsapp["list"]["items"][0]["title"], "Segunda via");
    assert_eq!(
        whatsapp["list"]["items"][1]["description"],
        "Falar com uma pessoa"
    );
    assert!(of_type(&sprint, "warning").is_empty());
}

#[test]
fn whatsapp_parts_are_translated_like_send_msg() {
    let env = Environment {
        allowed_languages: vec!["por".into(), "eng".into()],
        ..Environment::brazil()
    };
    let (_, sprint) = Chat::start(COBRANCA, "eng", env);
    let msg = &of_type(&sprint, "msg_created")[0]["msg"];
    assert_eq!(msg["text"], "Hi Ana! How can we help today?");
    assert_eq!(msg["whatsapp"]["footer"], "Tap an option");
    assert_eq!(msg["whatsapp"]["header"]["text"], "Atende Finance");
    assert_eq!(msg["whatsapp"]["list"]["button_text"], "See options");
}

#[test]
fn weni_services_warn_and_take_the_failure_exits() {
    let (mut chat, _) = Chat::start(COBRANCA, "por", Environment::brazil());
    let sprint = chat.say("quero a segunda via do boleto");
    assert_eq!(
        texts(&sprint, "warning"),
        [
            "action type 'call_external_service' (Weni) is not supported: taking the Failure exit",
            "action type 'call_wenigpt' (Weni) is not supported: taking the Failure exit",
            "action type 'call_brain' (Weni) is not supported: taking the Failure exit",
        ]
    );
    // the external service's Failure exit, then WeniGPT's, then the hand-over to the brain
    assert_eq!(
        texts(&sprint, "msg_created"),
        [
            "Não consegui consultar seu boleto agora.",
            "Vou chamar nossa assistente."
        ]
    );
    for key in ["boleto", "resposta"] {
        assert_eq!(chat.result(key)["category"], "Failure", "{key}");
        assert_eq!(chat.result(key)["value"], "", "{key}");
    }
    let changed = of_type(&sprint, "run_result_changed");
    assert_eq!(changed[1]["name"], "Boleto");
    assert_eq!(changed[1]["category"], "Failure");
    // call_brain's node has no exits: the run ends there
    assert_eq!(chat.session.status, SessionStatus::Completed);
}

#[test]
fn buttons_with_a_media_header_loop_back_to_the_menu() {
    let (mut chat, _) = Chat::start(COBRANCA, "por", Environment::brazil());
    let sprint = chat.say("hein?");
    let msg = &of_type(&sprint, "msg_created")[0]["msg"];
    assert_eq!(msg["text"], "Não entendi. Escolha uma opção:");
    assert_eq!(
        msg["attachments"],
        json!(["image/png:https://atende.example/logo.png"])
    );
    assert_eq!(
        msg["quick_replies"],
        json!([{"text": "Segunda via", "type": "text"}, {"text": "Atendente", "type": "text"}])
    );
    assert_eq!(
        msg["whatsapp"],
        json!({"interaction_type": "replies", "header": {"type": "media"}})
    );
    assert_eq!(chat.session.status, SessionStatus::Waiting);
}

#[test]
fn smart_routers_take_their_default_and_code_actions_fail() {
    let (mut chat, sprint) = Chat::start(TRIAGEM, "por", Environment::brazil());
    assert_eq!(texts(&sprint, "msg_created"), ["Conte o que você precisa."]);
    let sprint = chat.say("quero pagar um boleto");
    assert_eq!(
        texts(&sprint, "warning"),
        [
            "router type 'smart' (Weni) is not supported: taking the default category",
            "action type 'run_code_action' (Weni) is not supported: taking the Failure exit",
        ]
    );
    assert_eq!(chat.result("assunto")["category"], "All Responses");
    assert_eq!(chat.result("assunto")["value"], "quero pagar um boleto");
    // the code action's router defaults to Success: the failure still takes Failure
    assert_eq!(chat.result("registro")["category"], "Failure");
    assert_eq!(
        texts(&sprint, "msg_created"),
        ["Não consegui registrar o assunto, mas vamos seguir."]
    );
    assert_eq!(chat.session.status, SessionStatus::Completed);
}
