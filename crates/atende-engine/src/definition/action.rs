//! Actions: what a node does before routing. One variant per action type of the flow
//! spec, named by its wire name (`"type": "send_msg"` → [`ActionKind::SendMsg`]), plus
//! `send_whatsapp_msg` from Weni's fork; types we do not run (Weni's service actions,
//! future spec additions) are kept as [`ActionKind::Unsupported`] so a flow file always
//! loads and writes back unchanged.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value as Json};

/// A reference to an asset by UUID and name (flow, group, label, channel, …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetRef {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uuid: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Groups and labels may be referenced by a name template instead.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name_match: String,
}

/// A contact field reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldRef {
    pub key: String,
    pub name: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Reads `null` as the type's default: Weni's editor writes `null` for fields it leaves
/// empty.
fn nullable<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// One row of a WhatsApp list message (`send_whatsapp_msg` with `"interaction_type":
/// "list"`): a title the contact taps (and which comes back as their answer) and an
/// optional description under it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WhatsappListItem {
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub uuid: String,
    #[serde(default, deserialize_with = "nullable")]
    pub title: String,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
}

/// Action types of Weni's goflow fork (spec 13.1.0) that call Weni's own services
/// (its AI "brain", WeniGPT, external-service integrations, code actions, the WhatsApp
/// product catalogue). They load and are kept verbatim as [`ActionKind::Unsupported`];
/// running one emits a warning and, when it names a result, saves that result with the
/// category `Failure`, so the node leaves by its Failure exit as after a failed webhook.
pub const WENI_SERVICE_TYPES: &[&str] = &[
    "call_brain",
    "call_external_service",
    "call_wenigpt",
    "run_code_action",
    "send_msg_catalog",
];

macro_rules! actions {
    ($( $(#[$doc:meta])* $variant:ident = $wire:literal { $( $(#[$fattr:meta])* $field:ident : $ty:ty ),* $(,)? } )*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
            pub struct $variant {
                $( $(#[$fattr])* pub $field: $ty, )*
            }
        )*

        /// The body of an action, by type.
        #[derive(Clone, Debug, PartialEq)]
        pub enum ActionKind {
            $( $variant($variant), )*
            /// An action type we do not run: kept verbatim.
            Unsupported { action_type: String, params: Map<String, Json> },
        }

        impl ActionKind {
            /// Every action type we run, by wire name.
            pub const TYPES: &'static [&'static str] = &[ $( $wire, )* ];

            pub fn type_name(&self) -> &str {
                match self {
                    $( ActionKind::$variant(_) => $wire, )*
                    ActionKind::Unsupported { action_type, .. } => action_type,
                }
            }

            fn from_parts(action_type: &str, params: Json) -> Result<ActionKind, serde_json::Error> {
                Ok(match action_type {
                    $( $wire => ActionKind::$variant(serde_json::from_value(params)?), )*
                    other => ActionKind::Unsupported {
                        action_type: other.to_string(),
                        params: match params {
                            Json::Object(m) => m,
                            _ => Map::new(),
                        },
                    },
                })
            }

            fn params(&self) -> Result<Json, serde_json::Error> {
                match self {
                    $( ActionKind::$variant(a) => serde_json::to_value(a), )*
                    ActionKind::Unsupported { params, .. } => Ok(Json::Object(params.clone())),
                }
            }
        }
    };
}

actions! {
    /// `add_contact_groups`: adds the contact to manual groups.
    AddContactGroups = "add_contact_groups" { groups: Vec<AssetRef> }
    /// `add_contact_urn`: adds a URN (`scheme:path`, path a template).
    AddContactUrn = "add_contact_urn" { scheme: String, path: String }
    /// `add_input_labels`: labels the last input message.
    AddInputLabels = "add_input_labels" { labels: Vec<AssetRef> }
    /// `call_classifier`: classifies text into intents with the classifier service.
    CallClassifier = "call_classifier" {
        #[serde(default, skip_serializing_if = "Option::is_none")] classifier: Option<AssetRef>,
        input: String,
        #[serde(default, skip_serializing_if = "String::is_empty")] result_name: String,
    }
    /// `call_llm`: asks an LLM and stores the answer in a local.
    CallLlm = "call_llm" { llm: AssetRef, instructions: String, input: String, output_local: String }
    /// `call_resthook`: posts the run to every subscriber of a resthook.
    CallResthook = "call_resthook" {
        resthook: String,
        #[serde(default, skip_serializing_if = "String::is_empty")] result_name: String,
    }
    /// `call_webhook`: an HTTP request whose answer becomes `@webhook` and a result.
    CallWebhook = "call_webhook" {
        method: String, url: String,
        #[serde(default, skip_serializing_if = "Map::is_empty")] headers: Map<String, Json>,
        #[serde(default, skip_serializing_if = "String::is_empty")] body: String,
        #[serde(default, skip_serializing_if = "String::is_empty")] result_name: String,
    }
    /// `enter_flow`: starts a subflow; `terminal` ends this flow when it starts.
    EnterFlow = "enter_flow" {
        flow: AssetRef,
        #[serde(default, skip_serializing_if = "is_false")] terminal: bool,
    }
    /// `open_ticket`: hands the conversation to a human agent.
    OpenTicket = "open_ticket" {
        // goflow writes `"topic": null` when there is none
        #[serde(default)] topic: Option<AssetRef>,
        #[serde(default, skip_serializing_if = "String::is_empty")] body: String,
        #[serde(default, skip_serializing_if = "String::is_empty")] note: String,
        #[serde(default, skip_serializing_if = "Option::is_none")] assignee: Option<Json>,
        #[serde(default, skip_serializing_if = "String::is_empty")] result_name: String,
    }
    /// `play_audio`: plays a recording in a voice flow.
    PlayAudio = "play_audio" { audio_url: String }
    /// `remove_contact_groups`: removes the contact from groups, or from all.
    RemoveContactGroups = "remove_contact_groups" {
        #[serde(default, skip_serializing_if = "Vec::is_empty")] groups: Vec<AssetRef>,
        #[serde(default, skip_serializing_if = "is_false")] all_groups: bool,
    }
    /// `request_optin`: asks the contact to opt in to a topic of messages.
    RequestOptin = "request_optin" { optin: AssetRef }
    /// `say_msg`: text-to-speech (or a recording) in a voice flow.
    SayMsg = "say_msg" {
        text: String,
        #[serde(default, skip_serializing_if = "String::is_empty")] audio_url: String,
    }
    /// `send_broadcast`: a message to other contacts, groups or URNs.
    SendBroadcast = "send_broadcast" {
        text: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] attachments: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] quick_replies: Vec<Json>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] urns: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] contacts: Vec<Json>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] groups: Vec<AssetRef>,
        #[serde(default, skip_serializing_if = "String::is_empty")] contact_query: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] legacy_vars: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] template: Option<AssetRef>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] template_variables: Vec<String>,
    }
    /// `send_email`: an e-mail through the e-mail service.
    SendEmail = "send_email" { addresses: Vec<String>, subject: String, body: String }
    /// `send_msg`: a message to the contact, with quick replies, attachments or a template.
    SendMsg = "send_msg" {
        text: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] attachments: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] quick_replies: Vec<Json>,
        #[serde(default, skip_serializing_if = "is_false")] all_urns: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")] template: Option<AssetRef>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] template_variables: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] topic: Option<String>,
    }
    /// `send_whatsapp_msg` (Weni's fork): a WhatsApp message with an optional header
    /// (text, or media in `attachment`), a footer, and up to 3 reply buttons
    /// (`quick_replies`), a list of up to 10 options (`list_items` behind `button_text`)
    /// or a URL button (`button_text` + `action_url`), by `interaction_type`
    /// (`replies`, `list`, `cta_url`, `location`; `flow_msg` and `order_details` are
    /// kept but not sent). What Weni's editor adds besides (`messageType`,
    /// `flow_data`, `order_details`, …) is kept in `extra` as written.
    SendWhatsappMsg = "send_whatsapp_msg" {
        #[serde(default, deserialize_with = "nullable", skip_serializing_if = "String::is_empty")] text: String,
        #[serde(default, deserialize_with = "nullable", skip_serializing_if = "String::is_empty")] header_type: String,
        #[serde(default, deserialize_with = "nullable", skip_serializing_if = "String::is_empty")] header_text: String,
        #[serde(default, deserialize_with = "nullable", skip_serializing_if = "String::is_empty")] attachment: String,
        #[serde(default, deserialize_with = "nullable", skip_serializing_if = "String::is_empty")] footer: String,
        #[serde(default, deserialize_with = "nullable", skip_serializing_if = "String::is_empty")] interaction_type: String,
        #[serde(default, deserialize_with = "nullable", skip_serializing_if = "String::is_empty")] button_text: String,
        #[serde(default, deserialize_with = "nullable", skip_serializing_if = "String::is_empty")] action_url: String,
        #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")] quick_replies: Vec<Json>,
        #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")] list_items: Vec<WhatsappListItem>,
        #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_false")] all_urns: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")] topic: Option<String>,
        #[serde(flatten)] extra: Map<String, Json>,
    }
    /// `set_contact_channel`: the channel the contact prefers.
    SetContactChannel = "set_contact_channel" {
        #[serde(default, skip_serializing_if = "Option::is_none")] channel: Option<AssetRef>,
    }
    /// `set_contact_field`: sets (or clears, with an empty value) a contact field.
    SetContactField = "set_contact_field" { field: FieldRef, value: String }
    /// `set_contact_language`: an ISO 639-3 language code.
    SetContactLanguage = "set_contact_language" { language: String }
    /// `set_contact_name`
    SetContactName = "set_contact_name" { name: String }
    /// `set_contact_status`: active, blocked, stopped, archived.
    SetContactStatus = "set_contact_status" { status: String }
    /// `set_contact_timezone`
    SetContactTimezone = "set_contact_timezone" { timezone: String }
    /// `set_run_local`: a run-scoped variable (`@locals.x`), set or incremented.
    SetRunLocal = "set_run_local" {
        local: String,
        #[serde(default, skip_serializing_if = "String::is_empty")] value: String,
        operation: String,
    }
    /// `set_run_result`: saves a result (`@results.x`) with an optional category.
    SetRunResult = "set_run_result" {
        name: String, value: String,
        #[serde(default, skip_serializing_if = "String::is_empty")] category: String,
    }
    /// `start_session`: starts a flow for other contacts.
    StartSession = "start_session" {
        flow: AssetRef,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] urns: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] contacts: Vec<Json>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] groups: Vec<AssetRef>,
        #[serde(default, skip_serializing_if = "String::is_empty")] contact_query: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] legacy_vars: Vec<String>,
        #[serde(default, skip_serializing_if = "is_false")] create_contact: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")] exclusions: Option<Json>,
    }
    /// `transfer_airtime`: mobile credit, amounts by currency.
    TransferAirtime = "transfer_airtime" {
        amounts: Map<String, Json>,
        #[serde(default, skip_serializing_if = "String::is_empty")] result_name: String,
    }
}

/// An action with its UUID.
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    pub uuid: String,
    pub kind: ActionKind,
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Action, D::Error> {
        let mut map = Map::<String, Json>::deserialize(d)?;
        let uuid = match map.remove("uuid") {
            Some(Json::String(s)) => s,
            Some(_) => return Err(D::Error::custom("field `uuid` must be text")),
            None => return Err(D::Error::missing_field("uuid")),
        };
        let action_type = match map.remove("type") {
            Some(Json::String(s)) => s,
            Some(_) => return Err(D::Error::custom("field `type` must be text")),
            None => return Err(D::Error::missing_field("type")),
        };
        let kind = ActionKind::from_parts(&action_type, Json::Object(map))
            .map_err(|e| D::Error::custom(format!("{action_type}: {e}")))?;
        Ok(Action { uuid, kind })
    }
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        let mut map = Map::new();
        map.insert("uuid".into(), Json::String(self.uuid.clone()));
        map.insert(
            "type".into(),
            Json::String(self.kind.type_name().to_string()),
        );
        match self.kind.params().map_err(S::Error::custom)? {
            Json::Object(params) => map.extend(params),
            _ => return Err(S::Error::custom("action parameters must be an object")),
        }
        Json::Object(map).serialize(s)
    }
}

/// Longest result name a flow may save (goflow's limit).
pub const MAX_RESULT_NAME_CHARS: usize = 64;

/// Longest webhook URL, body and header name a flow may hold (goflow's read limits).
const MAX_WEBHOOK_URL_CHARS: usize = 8192;
const MAX_WEBHOOK_BODY_CHARS: usize = 20_000;
const MAX_HEADER_NAME_CHARS: usize = 100;

/// The HTTP methods a webhook may use.
const HTTP_METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
];

/// Biggest amount of any currency `transfer_airtime` may send (goflow's bound, 10^15).
const MAX_AIRTIME_AMOUNT: i64 = 1_000_000_000_000_000;

/// A `transfer_airtime` amount as a decimal; `None` when it is no number a decimal can
/// hold (too big, non-finite, or not a number at all).
pub fn airtime_amount(amount: &Json) -> Option<rust_decimal::Decimal> {
    match amount {
        Json::Number(n) => atende_excellent::value::parse_decimal(&n.to_string()),
        _ => None,
    }
}

/// Whether `s` is a hyphenated hex UUID (any version), as asset references carry.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Whether `name` is an HTTP header name: a non-empty RFC 7230 token.
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c))
}

fn check_refs(field: &str, refs: &[AssetRef], problems: &mut Vec<String>) {
    for (i, r) in refs.iter().enumerate() {
        // a reference is by UUID or by a name template, never neither
        if !r.uuid.is_empty() && !is_uuid(&r.uuid) {
            problems.push(format!("field '{field}[{i}].uuid' must be a valid UUID"));
        }
    }
}

fn check_result_name(field: &str, name: &str, required: bool, problems: &mut Vec<String>) {
    if name.is_empty() {
        if required {
            problems.push(format!("field '{field}' is required"));
        }
    } else if name.chars().count() > MAX_RESULT_NAME_CHARS || name.trim().is_empty() {
        problems.push(format!("field '{field}' is not a valid result name"));
    }
}

impl Action {
    /// Checks what goflow checks when it reads an action (field formats and limits), so
    /// a flow with an impossible action is refused on read instead of failing at run
    /// time. The message lists every problem (`field 'x' is required, …`).
    pub fn validate(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        let p = &mut problems;
        match &self.kind {
            ActionKind::AddContactGroups(a) => check_refs("groups", &a.groups, p),
            ActionKind::RemoveContactGroups(a) => {
                check_refs("groups", &a.groups, p);
                if a.all_groups && !a.groups.is_empty() {
                    p.push("can't specify specific groups when all_groups=true".into());
                }
            }
            ActionKind::AddInputLabels(a) => check_refs("labels", &a.labels, p),
            ActionKind::CallClassifier(a) => {
                check_result_name("result_name", &a.result_name, false, p)
            }
            ActionKind::CallResthook(a) => {
                if a.resthook.is_empty() {
                    p.push("field 'resthook' is required".into());
                }
                check_result_name("result_name", &a.result_name, false, p);
            }
            ActionKind::CallWebhook(a) => {
                if !HTTP_METHODS.contains(&a.method.as_str()) {
                    p.push("field 'method' must be a valid HTTP method".into());
                }
                if a.url.is_empty() {
                    p.push("field 'url' is required".into());
                } else if a.url.chars().count() > MAX_WEBHOOK_URL_CHARS {
                    p.push(format!(
                        "field 'url' must be less than or equal to {MAX_WEBHOOK_URL_CHARS}"
                    ));
                }
                for name in a.headers.keys() {
                    if name.chars().count() > MAX_HEADER_NAME_CHARS {
                        p.push(format!(
                            "field 'headers[{name}]' must be less than or equal to {MAX_HEADER_NAME_CHARS}"
                        ));
                    } else if !is_header_name(name) {
                        p.push(format!("header '{name}' is not a valid HTTP header"));
                    }
                }
                if a.body.chars().count() > MAX_WEBHOOK_BODY_CHARS {
                    p.push(format!(
                        "field 'body' must be less than or equal to {MAX_WEBHOOK_BODY_CHARS}"
                    ));
                }
                check_result_name("result_name", &a.result_name, false, p);
            }
            ActionKind::OpenTicket(a) => check_result_name("result_name", &a.result_name, false, p),
            ActionKind::TransferAirtime(a) => {
                for (currency, amount) in &a.amounts {
                    match airtime_amount(amount) {
                        None => p.push("number value is out of permitted range".into()),
                        Some(d)
                            if d < rust_decimal::Decimal::ZERO || d > MAX_AIRTIME_AMOUNT.into() =>
                        {
                            p.push(format!("amount for '{currency}' is out of range"))
                        }
                        Some(_) => {}
                    }
                }
                check_result_name("result_name", &a.result_name, false, p)
            }
            ActionKind::SetContactStatus(a)
                if !["active", "blocked", "stopped", "archived"].contains(&a.status.as_str()) =>
            {
                p.push("field 'status' is not a valid contact status".into());
            }
            ActionKind::SetRunLocal(a) => {
                if a.local.is_empty() {
                    p.push("field 'local' is required".into());
                }
                if a.operation.is_empty() {
                    p.push("field 'operation' is required".into());
                }
            }
            ActionKind::SetRunResult(a) => check_result_name("name", &a.name, true, p),
            _ => {}
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every action of the goflow fixtures reads and writes back unchanged.
    #[test]
    fn fixtures_round_trip() {
        let Some(corpus) = atende_excellent_corpus() else {
            return;
        };
        let mut seen = 0;
        for entry in std::fs::read_dir(corpus.join("goflow/runner/actions")).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if name.starts_with('_') {
                continue;
            }
            // transfer_airtime.json holds a deliberately invalid `Infinity` amount
            let Ok(cases) = serde_json::from_str::<Json>(&std::fs::read_to_string(&path).unwrap())
            else {
                println!("skipping {name}: not valid JSON");
                continue;
            };
            for (i, case) in cases.as_array().unwrap().iter().enumerate() {
                if case.get("read_error").is_some() {
                    continue;
                }
                let json = &case["action"];
                let action: Action = serde_json::from_value(json.clone())
                    .unwrap_or_else(|e| panic!("{name}#{i}: {e}"));
                assert!(
                    !matches!(action.kind, ActionKind::Unsupported { .. }),
                    "{name}#{i}"
                );
                assert_eq!(&serde_json::to_value(&action).unwrap(), json, "{name}#{i}");
                seen += 1;
            }
        }
        assert!(seen > 100, "{seen}");
    }

    fn atende_excellent_corpus() -> Option<std::path::PathBuf> {
        let start = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let found = start
            .ancestors()
            .map(|d| d.join("shared/corpus"))
            .find(|p| p.is_dir());
        if found.is_none() {
            println!("SKIPPED action fixtures: ../shared/corpus not found");
        }
        found
    }

    fn read(j: Json) -> Action {
        serde_json::from_value(j).unwrap()
    }

    #[test]
    fn validation_names_the_bad_fields() {
        let a = read(
            serde_json::json!({"uuid": "a", "type": "set_run_local", "local": "", "operation": ""}),
        );
        assert_eq!(
            a.validate().unwrap_err(),
            "field 'local' is required, field 'operation' is required"
        );
        let a = read(
            serde_json::json!({"uuid": "a", "type": "add_contact_groups", "groups": [{"uuid": "x", "name": "1"}]}),
        );
        assert_eq!(
            a.validate().unwrap_err(),
            "field 'groups[0].uuid' must be a valid UUID"
        );
        let a = read(
            serde_json::json!({"uuid": "a", "type": "call_webhook", "method": "FETCH", "url": "http://x.io", "headers": {"Accept:": "x"}}),
        );
        assert_eq!(
            a.validate().unwrap_err(),
            "field 'method' must be a valid HTTP method, header 'Accept:' is not a valid HTTP header"
        );
        let a = read(
            serde_json::json!({"uuid": "a", "type": "set_run_result", "name": "x".repeat(65), "value": "v"}),
        );
        assert_eq!(
            a.validate().unwrap_err(),
            "field 'name' is not a valid result name"
        );
        let a = read(
            serde_json::json!({"uuid": "a", "type": "call_webhook", "method": "GET", "url": "http://x.io", "headers": {"Content-Type": "x"}}),
        );
        assert_eq!(a.validate(), Ok(()));
        assert!(is_uuid("3f65d88a-95dc-4140-9451-943e94e06fea"));
    }

    #[test]
    fn unknown_types_are_kept_verbatim() {
        let j = serde_json::json!({"uuid": "a", "type": "call_brain", "entry": "@input.text", "brainInfo": {"name": "Cris"}});
        let a: Action = serde_json::from_value(j.clone()).unwrap();
        assert_eq!(a.kind.type_name(), "call_brain");
        assert!(matches!(a.kind, ActionKind::Unsupported { .. }));
        assert_eq!(serde_json::to_value(&a).unwrap(), j);
    }

    #[test]
    fn whatsapp_messages_keep_what_weni_wrote() {
        let j = serde_json::json!({"uuid": "a", "type": "send_whatsapp_msg", "text": "Olá", "header_type": "text",
            "header_text": "Atende", "footer": "rodapé", "interaction_type": "list", "button_text": "Ver",
            "list_items": [{"uuid": "i1", "title": "Boleto", "description": "Segunda via"}, {"title": "Pix"}],
            "messageType": "interactive", "flow_data": {"nome": "@contact.name"}});
        let a: Action = serde_json::from_value(j.clone()).unwrap();
        let ActionKind::SendWhatsappMsg(w) = &a.kind else {
            panic!("{a:?}")
        };
        assert_eq!(w.list_items[1].title, "Pix");
        assert_eq!(w.extra["messageType"], "interactive");
        assert_eq!(serde_json::to_value(&a).unwrap(), j);
        // the editor's nulls read as empty
        let a = read(
            serde_json::json!({"uuid": "a", "type": "send_whatsapp_msg", "text": "Olá",
            "attachment": null, "quick_replies": null, "list_items": [{"title": "x", "description": null}]}),
        );
        let ActionKind::SendWhatsappMsg(w) = &a.kind else {
            panic!("{a:?}")
        };
        assert!(w.attachment.is_empty() && w.quick_replies.is_empty());
        assert_eq!(w.list_items[0].description, "");
    }
}
