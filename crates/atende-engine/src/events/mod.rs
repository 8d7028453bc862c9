//! Events: what happened during a sprint, for the host to apply (`msg_created`,
//! `contact_name_changed`, `run_result_changed`, …) and for the session's history.
//! Serialised flat, as goflow does: `{"uuid", "type", "created_on", …fields}`.

use serde::{Serialize, Serializer};
use serde_json::{Map, Value as Json};

pub mod catalogue;

/// One event.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub uuid: String,
    pub event_type: &'static str,
    pub created_on: String,
    /// The type-specific fields.
    pub data: Map<String, Json>,
}

impl Event {
    pub fn field(&self, key: &str) -> Option<&Json> {
        self.data.get(key)
    }

    /// The event as JSON.
    pub fn to_json(&self) -> Json {
        let mut m = Map::new();
        m.insert("uuid".into(), Json::String(self.uuid.clone()));
        m.insert("type".into(), Json::String(self.event_type.into()));
        m.insert("created_on".into(), Json::String(self.created_on.clone()));
        m.extend(self.data.clone());
        Json::Object(m)
    }
}

impl Event {
    /// An event read back from its JSON (a stored session's history, goflow's own
    /// events), checked against [`catalogue`]: the problems, each with its JSON path,
    /// when it does not fit.
    pub fn from_json(json: &Json) -> Result<Event, Vec<String>> {
        let kind = catalogue::check(json)?;
        let text = |key: &str| json[key].as_str().unwrap_or_default().to_string();
        let data = json
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| !matches!(k.as_str(), "uuid" | "type" | "created_on"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(Event {
            uuid: text("uuid"),
            event_type: kind.name,
            created_on: text("created_on"),
            data,
        })
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}
