//! Services the engine is given instead of touching the outside world: a clock, a UUID
//! source, HTTP (webhooks, resthooks), e-mail, classifiers, airtime and LLMs. The engine builds requests and records
//! what happened as events; the host decides how (and whether) to really send them.

use atende_excellent::Pcg;
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde_json::Value as Json;

/// Where the engine gets "now".
pub trait Clock {
    fn now(&mut self) -> Timestamp;
}

/// A clock that starts at a given instant and advances by a fixed step on every call
/// (goflow's test clock: 2025-05-04T12:30:45.123456789Z, +1 s).
pub struct SequentialClock {
    next: Timestamp,
    step: jiff::SignedDuration,
}

impl SequentialClock {
    pub fn new(start: Timestamp, step: jiff::SignedDuration) -> SequentialClock {
        SequentialClock { next: start, step }
    }
}

impl Clock for SequentialClock {
    fn now(&mut self) -> Timestamp {
        let t = self.next;
        self.next = t.checked_add(self.step).unwrap_or(t);
        t
    }
}

/// Where the engine gets UUIDs: v4 for definitions (nodes, actions, contacts, sprints),
/// v7 (time-ordered) for sessions, runs and events.
pub trait UuidSource {
    fn new_v4(&mut self) -> String;
    fn new_v7(&mut self, clock: &mut dyn Clock) -> String;
}

/// A seeded UUID generator drawing 16 bytes from PCG (two little-endian u64s), as
/// goflow's test universe does; replays exactly for a given seed.
pub struct SeededUuids {
    rng: Pcg,
}

impl SeededUuids {
    pub fn new(seed: u64) -> SeededUuids {
        SeededUuids {
            rng: Pcg::new(seed, seed),
        }
    }

    fn bytes(&mut self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.rng.next_u64().to_le_bytes());
        b[8..].copy_from_slice(&self.rng.next_u64().to_le_bytes());
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        b
    }
}

/// Formats 16 bytes as a lowercase hyphenated UUID.
pub fn format_uuid(b: &[u8; 16]) -> String {
    // on the hot path (every event and run): no formatting machinery
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 36];
    let mut j = 0;
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out[j] = b'-';
            j += 1;
        }
        out[j] = HEX[usize::from(byte >> 4)];
        out[j + 1] = HEX[usize::from(byte & 0x0f)];
        j += 2;
    }
    String::from_utf8(out.to_vec()).unwrap_or_default()
}

impl UuidSource for SeededUuids {
    fn new_v4(&mut self) -> String {
        format_uuid(&self.bytes())
    }

    fn new_v7(&mut self, clock: &mut dyn Clock) -> String {
        let mut b = self.bytes();
        let nanos = clock.now().as_nanosecond();
        let millis = nanos.div_euclid(1_000_000);
        let sub = ((nanos - millis * 1_000_000) >> 8) as u16;
        for (i, byte) in b.iter_mut().take(6).enumerate() {
            *byte = (millis >> (8 * (5 - i))) as u8;
        }
        b[6] = 0x70 | ((sub >> 8) as u8 & 0x0f);
        b[7] = sub as u8;
        format_uuid(&b)
    }
}

/// An HTTP request a flow makes (`call_webhook`, `call_resthook`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    /// Headers as the flow set them (canonical casing), in the order given.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// What came back: status, headers and the body text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Makes HTTP requests for the engine. `Err` is a connection error (no response at all),
/// its text a description; any HTTP status, even 500, is an `Ok` response.
pub trait HttpService {
    fn request(&mut self, request: &HttpRequest) -> Result<HttpResponse, String>;
}

/// Sends e-mail for `send_email`; `Err` is the reason it could not be sent.
pub trait EmailService {
    fn send(&mut self, to: &[String], subject: &str, body: &str) -> Result<(), String>;
}

/// One intent a classifier recognised, with its confidence (0 to 1).
#[derive(Clone, Debug, PartialEq)]
pub struct Intent {
    pub name: String,
    pub confidence: f64,
}

/// One value of an entity a classifier extracted, with its confidence (0 to 1).
#[derive(Clone, Debug, PartialEq)]
pub struct EntityValue {
    pub value: String,
    pub confidence: f64,
}

/// What a classifier made of a text: intents best first, and entities by name, each
/// with its candidate values best first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Classification {
    pub intents: Vec<Intent>,
    pub entities: Vec<(String, Vec<EntityValue>)>,
}

impl Classification {
    /// The shape goflow stored as a classifier result's `extra`, which the
    /// `has_intent`/`has_top_intent` tests read:
    /// `{"intents": [{"name", "confidence"}], "entities": {name: [{"value", "confidence"}]}}`.
    pub fn to_json(&self) -> Json {
        let intents: Vec<Json> = self
            .intents
            .iter()
            .map(|i| serde_json::json!({ "name": i.name, "confidence": i.confidence }))
            .collect();
        let entities: serde_json::Map<String, Json> = self
            .entities
            .iter()
            .map(|(name, values)| {
                let values: Vec<Json> = values
                    .iter()
                    .map(|v| serde_json::json!({ "value": v.value, "confidence": v.confidence }))
                    .collect();
                (name.clone(), Json::Array(values))
            })
            .collect();
        serde_json::json!({ "intents": intents, "entities": entities })
    }
}

/// Classifies text into intents and entities for `call_classifier` (an NLU service such
/// as Wit.ai, LUIS or a host's own model); `Err` is why it could not.
pub trait Classifier {
    fn classify(&mut self, text: &str) -> Result<Classification, String>;
}

/// Whether a URN already belongs to another contact. The host's store knows; the engine
/// asks before it adds a URN to a contact, and reports `urn:taken` instead when it does.
pub trait UrnClaims {
    fn is_taken(&mut self, contact: &crate::contact::Contact, urn: &str) -> bool;
}

/// One HTTP exchange a service made on the engine's behalf (an airtime provider's API
/// call), logged in the event that reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpLog {
    pub url: String,
    pub status_code: u16,
    /// The request and response in HTTP wire format.
    pub request: String,
    pub response: String,
    pub elapsed_ms: i64,
    pub retries: u32,
    /// Bytes sent and received.
    pub request_size: usize,
    pub response_size: usize,
    /// `success`, `response_error` or `connection_error`.
    pub status: String,
    pub created_on: Timestamp,
}

impl HttpLog {
    /// goflow's shape: `{url, status_code, request, response, elapsed_ms, retries, sizes:
    /// {request, response}, status, created_on}`.
    pub fn to_json(&self) -> Json {
        serde_json::json!({
            "url": self.url,
            "status_code": self.status_code,
            "request": self.request,
            "response": self.response,
            "elapsed_ms": self.elapsed_ms,
            "retries": self.retries,
            "sizes": { "request": self.request_size, "response": self.response_size },
            "status": self.status,
            "created_on": crate::engine::format_time(self.created_on),
        })
    }
}

/// An airtime transfer the provider made.
#[derive(Clone, Debug, PartialEq)]
pub struct AirtimeTransfer {
    /// The provider's id for the transfer.
    pub external_id: String,
    /// The currency paid in, one of those the flow offered, and the amount.
    pub currency: String,
    pub amount: Decimal,
    /// The provider API calls made.
    pub http_logs: Vec<HttpLog>,
}

/// Sends mobile airtime credit for `transfer_airtime`. `amounts` are what the flow
/// offers per currency (`USD` → 0.5); the service pays in the currency it works in, or
/// fails. `sender` is the channel's URN (may be empty), `recipient` a `tel:` URN. `Err`
/// is why no transfer was made.
pub trait AirtimeService {
    fn transfer(
        &mut self,
        sender: &str,
        recipient: &str,
        amounts: &[(String, Decimal)],
    ) -> Result<AirtimeTransfer, String>;
}

/// What an LLM answered, with the tokens it counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LlmResponse {
    pub output: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// Calls a large language model for `call_llm`. `llm` is the asset the flow names
/// (`{"uuid", "name", "type": "openai" | "anthropic" | …}`), so a host can hold several;
/// `instructions` is the system prompt and `input` the text to work on. `Err` is why
/// there is no answer.
pub trait LlmService {
    fn call(&mut self, llm: &Json, instructions: &str, input: &str) -> Result<LlmResponse, String>;
}

/// The host's rules for what may be sent: `Some(reason)` marks an outgoing message
/// (`{"urn", "channel", "text", "attachments", …}` as in `msg_created`) unsendable,
/// e.g. `forbidden_content`; the message is still recorded, with that reason.
pub trait SendCheck {
    fn unsendable_reason(&mut self, msg: &Json) -> Option<String>;
}

/// An e-mail service that accepts every message and sends nothing (goflow's test stub).
#[derive(Debug, Default)]
pub struct NullEmail;

impl EmailService for NullEmail {
    fn send(&mut self, _to: &[String], _subject: &str, _body: &str) -> Result<(), String> {
        Ok(())
    }
}

/// An HTTP service answering from canned responses (goflow's `http_mocks` format): the pattern with the longest text once `*` are
/// trimmed wins; its queued responses are used in order; `status: 0` is a connection
/// error. A request without a mock is a harness failure.
#[derive(Default)]
pub struct MockHttp {
    mocks: Vec<(String, std::collections::VecDeque<Json>)>,
    /// The first request that had no mock.
    pub error: Option<String>,
}

impl MockHttp {
    /// Reads `{"<url pattern>": [response, …]}`.
    pub fn from_json(json: Option<&Json>) -> MockHttp {
        let mut m = MockHttp::default();
        if let Some(o) = json.and_then(Json::as_object) {
            for (pattern, queue) in o {
                let q = queue.as_array().cloned().unwrap_or_default();
                m.mocks.push((pattern.clone(), q.into()));
            }
        }
        m
    }

    /// A pattern with responses left over (a test expects all to be used).
    pub fn unused(&self) -> Option<&str> {
        self.mocks
            .iter()
            .find(|(_, q)| !q.is_empty())
            .map(|(p, _)| p.as_str())
    }
}

/// `*` matches any run of characters.
fn glob_matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(pos) = rest.find(part) else {
                return false;
            };
            rest = &rest[pos + part.len()..];
        }
    }
    true
}

impl HttpService for MockHttp {
    fn request(&mut self, request: &HttpRequest) -> Result<HttpResponse, String> {
        let best = self
            .mocks
            .iter_mut()
            .filter(|(p, _)| glob_matches(p, &request.url))
            .max_by_key(|(p, _)| p.replace('*', "").len());
        let Some(resp) = best.and_then(|(_, q)| q.pop_front()) else {
            self.error
                .get_or_insert_with(|| format!("missing mock for URL {}", request.url));
            return Err("missing mock".into());
        };
        let status = resp.get("status").and_then(Json::as_u64).unwrap_or(200) as u16;
        if status == 0 {
            return Err("unable to connect to server".into());
        }
        let mut body = match resp.get("body") {
            Some(Json::String(s)) => s.clone(),
            Some(Json::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        if let Some(n) = resp.get("body_repeat").and_then(Json::as_u64) {
            body = body.repeat(n as usize);
        }
        let headers = resp
            .get("headers")
            .and_then(Json::as_object)
            .map(|h| {
                h.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_json_is_goflows_extra() {
        let c = Classification {
            intents: vec![Intent {
                name: "book_flight".into(),
                confidence: 0.5,
            }],
            entities: vec![(
                "location".into(),
                vec![EntityValue {
                    value: "Quito".into(),
                    confidence: 1.0,
                }],
            )],
        };
        assert_eq!(
            c.to_json(),
            serde_json::json!({"intents": [{"name": "book_flight", "confidence": 0.5}],
                               "entities": {"location": [{"value": "Quito", "confidence": 1.0}]}})
        );
    }

    #[test]
    fn seeded_v7_uuids_match_goflow() {
        let start: Timestamp = "2025-05-04T12:30:45.123456789Z".parse().unwrap();
        let mut clock = SequentialClock::new(start, jiff::SignedDuration::from_secs(1));
        let mut u = SeededUuids::new(123456);
        assert_eq!(u.new_v7(&mut clock), "01969b47-0583-76f8-924e-9de1a11831b3");
        assert_eq!(u.new_v7(&mut clock), "01969b47-096b-76f8-98c7-1f0d5859f77e");
        assert_eq!(u.new_v7(&mut clock), "01969b47-0d53-76f8-95cf-9fca95f1c30a");
    }
}
