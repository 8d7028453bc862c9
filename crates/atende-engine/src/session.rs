//! Sessions and runs as goflow serialises them, so a session survives a write/read
//! round trip between sprints (the server persists it as JSON).
//!
//! Lifecycles:
//! - session: `active` → `waiting` ⇄ `active` → `completed` | `interrupted` | `failed`
//! - run: `active` → `waiting` ⇄ `active` → `completed` | `expired` | `interrupted` | `failed`

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Active,
    Waiting,
    Completed,
    Interrupted,
    Failed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Active,
    Waiting,
    Completed,
    Expired,
    Interrupted,
    Failed,
}

impl RunStatus {
    pub fn is_exited(self) -> bool {
        matches!(
            self,
            RunStatus::Completed | RunStatus::Expired | RunStatus::Interrupted | RunStatus::Failed
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Active => "active",
            RunStatus::Waiting => "waiting",
            RunStatus::Completed => "completed",
            RunStatus::Expired => "expired",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Failed => "failed",
        }
    }
}

/// A node visited by a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub node_uuid: String,
    pub arrived_on: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
}

/// A saved result (`@results.<key>`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub name: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub category: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub category_localized: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node_uuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Json>,
    pub created_on: String,
}

/// One flow's execution inside a session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub uuid: String,
    pub flow: Json,
    pub status: RunStatus,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<Step>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub results: Map<String, Json>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub locals: Map<String, Json>,
    /// `@webhook`: the last call's method, url, status, headers and parsed JSON body.
    /// Not persisted when the body is too big to keep (goflow drops it too).
    #[serde(default, skip_serializing_if = "webhook_not_persisted")]
    pub webhook: Option<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub had_input: bool,
    pub created_on: String,
    pub modified_on: String,
    /// Always written (`null` while the run is going), as goflow does.
    #[serde(default)]
    pub exited_on: Option<String>,
    /// Each result's `extra` as JSON text, as it was received (a webhook's body) or
    /// last read from a persisted session; `@legacy_extra` shows it verbatim. Results
    /// without one use their `extra` written compactly.
    #[serde(skip)]
    pub extra_text: std::collections::BTreeMap<String, String>,
}

/// Biggest `@webhook` JSON body (as text) a persisted session keeps.
pub const MAX_PERSISTED_WEBHOOK_CHARS: usize = 10_000;

fn webhook_not_persisted(webhook: &Option<Json>) -> bool {
    match webhook {
        None => true,
        Some(w) => w
            .get("json")
            .is_some_and(|j| j.to_string().len() > MAX_PERSISTED_WEBHOOK_CHARS),
    }
}

/// A contact's conversation: its runs, status and trigger.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub uuid: String,
    #[serde(rename = "type")]
    pub flow_type: String,
    pub created_on: String,
    pub status: SessionStatus,
    pub trigger: Json,
    pub contact_uuid: String,
    pub runs: Vec<Run>,
    #[serde(default)]
    pub sprints: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_uuid: Option<String>,
}

impl Session {
    /// The run currently going (the last one that has not exited).
    pub fn active_run_index(&self) -> Option<usize> {
        self.runs.iter().rposition(|r| !r.status.is_exited())
    }

    /// Drops what exited runs no longer need (`path`, `locals`, `webhook`), as goflow
    /// does before persisting.
    pub fn compact(&mut self) {
        for run in &mut self.runs {
            if run.status.is_exited() {
                run.path.clear();
                run.locals.clear();
                run.webhook = None;
            }
        }
    }

    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or(Json::Null)
    }

    pub fn from_json(json: &Json) -> Result<Session, String> {
        serde_json::from_value(json.clone()).map_err(|e| format!("session: {e}"))
    }

    /// The session as compact JSON text, written straight from the struct (what the
    /// server stores; read back with [`Session::from_text`]).
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The session as indented JSON text (4 spaces), as goflow persists sessions.
    pub fn to_pretty_text(&self) -> String {
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
        if self.serialize(&mut ser).is_err() {
            return String::new();
        }
        String::from_utf8(out).unwrap_or_default()
    }

    /// Reads a persisted session, keeping each result's `extra` text as written.
    pub fn from_text(text: &str) -> Result<Session, String> {
        #[derive(Deserialize)]
        struct RawSession<'a> {
            #[serde(borrow, default)]
            runs: Vec<RawRun<'a>>,
        }
        #[derive(Deserialize)]
        struct RawRun<'a> {
            #[serde(borrow, default)]
            results: std::collections::BTreeMap<String, RawResult<'a>>,
        }
        #[derive(Deserialize)]
        struct RawResult<'a> {
            #[serde(borrow, default)]
            extra: Option<&'a serde_json::value::RawValue>,
        }
        let mut session: Session =
            serde_json::from_str(text).map_err(|e| format!("session: {e}"))?;
        let raw: RawSession = serde_json::from_str(text).map_err(|e| format!("session: {e}"))?;
        for (run, raw_run) in session.runs.iter_mut().zip(raw.runs) {
            for (key, result) in raw_run.results {
                if let Some(extra) = result.extra {
                    run.extra_text.insert(key, extra.get().to_string());
                }
            }
        }
        Ok(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A persisted session keeps its result extras' text, indentation included.
    #[test]
    fn result_extras_keep_their_text() {
        let session = Session::from_json(&serde_json::json!({
            "uuid": "s1", "type": "messaging", "created_on": "2025-05-04T12:30:45Z",
            "status": "waiting", "trigger": {}, "contact_uuid": "c1",
            "runs": [{"uuid": "r1", "flow": {}, "status": "waiting",
                "created_on": "2025-05-04T12:30:45Z", "modified_on": "2025-05-04T12:30:45Z",
                "results": {"hook": {"name": "Hook", "value": "200", "created_on": "2025-05-04T12:30:45Z",
                    "extra": {"ok": true}}}}]
        }))
        .unwrap();
        let text = session.to_pretty_text();
        let read = Session::from_text(&text).unwrap();
        assert_eq!(
            read.runs[0].extra_text["hook"],
            "{\n                        \"ok\": true\n                    }"
        );
        assert_eq!(read.to_json(), session.to_json());
    }
}
