//! Events: what happened during a sprint, for the host to apply (`msg_created`,
//! `contact_name_changed`, `run_result_changed`, …) and for the session's history.
//! Serialised flat, as goflow does: `{"uuid", "type", "created_on", …fields}`.

use serde::{Serialize, Serializer};
use serde_json::{Map, Value as Json};

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

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}
