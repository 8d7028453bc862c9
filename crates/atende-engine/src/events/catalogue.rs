//! The event types the engine knows, each with its fields and their JSON kinds: the
//! shape goflow gives every event it writes (`uuid`, `type`, `created_on`, then the
//! type's own fields), taken from goflow's documented event reference. The engine checks
//! every event it creates against this table in debug builds
//! ([`crate::engine::Services::new_event`]), and `atende conformance runner
//! …/runner/events` checks goflow's own reference events against it.

use serde_json::Value as Json;

/// The JSON kind a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    /// An integer or a decimal (money, scores).
    Number,
    Bool,
    Object,
    Array,
    /// Whatever JSON the user's data made it (a webhook payload, a result's `extra`).
    Any,
}

impl Kind {
    fn holds(self, value: &Json) -> bool {
        match self {
            Kind::Text => value.is_string(),
            Kind::Integer => value.is_i64() || value.is_u64(),
            Kind::Number => value.is_number(),
            Kind::Bool => value.is_boolean(),
            Kind::Object => value.is_object(),
            Kind::Array => value.is_array(),
            Kind::Any => true,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Text => "a string",
            Kind::Integer => "an integer",
            Kind::Number => "a number",
            Kind::Bool => "a boolean",
            Kind::Object => "an object",
            Kind::Array => "an array",
            Kind::Any => "any JSON",
        }
    }
}

/// One field of an event type.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    /// Always written (goflow omits the others when empty).
    pub required: bool,
    /// May be `null` (a cleared value, nobody assigned).
    pub nullable: bool,
}

/// An event type: its wire name and its own fields.
#[derive(Clone, Copy, Debug)]
pub struct EventType {
    pub name: &'static str,
    pub fields: &'static [Field],
}

const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
        nullable: false,
    }
}

const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
        nullable: false,
    }
}

/// Always written, possibly `null`.
const fn req_or_null(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
        nullable: true,
    }
}

/// Fields any event may carry: the user who caused it and through what (`_user`,
/// `_via`, on events a person's action created).
pub const COMMON: &[Field] = &[opt("_user", Kind::Object), opt("_via", Kind::Text)];

use Kind::*;

const TYPING: &[Field] = &[
    req("direction", Text),
    opt("channel", Object),
    opt("urn", Text),
    opt("msg_external_id", Text),
];

/// Every event type, by name.
pub const EVENT_TYPES: &[EventType] = &[
    EventType {
        name: "airtime_created",
        fields: &[
            opt("external_id", Text),
            req("sender", Text),
            req("recipient", Text),
            req("currency", Text),
            req("amount", Number),
            opt("http_logs", Array),
        ],
    },
    EventType {
        name: "broadcast_created",
        fields: &[
            req("translations", Object),
            req("base_language", Text),
            opt("groups", Array),
            opt("contacts", Array),
            opt("contact_query", Text),
            opt("urns", Array),
        ],
    },
    EventType {
        name: "call_created",
        fields: &[req("call", Object)],
    },
    EventType {
        name: "call_missed",
        fields: &[req("channel", Object)],
    },
    EventType {
        name: "call_received",
        fields: &[req("call", Object)],
    },
    EventType {
        name: "chat_started",
        fields: &[req("channel", Object), opt("params", Object)],
    },
    EventType {
        name: "contact_field_changed",
        fields: &[req("field", Object), req_or_null("value", Object)],
    },
    EventType {
        name: "contact_flow_changed",
        fields: &[req_or_null("flow", Object)],
    },
    EventType {
        name: "contact_groups_changed",
        fields: &[opt("groups_added", Array), opt("groups_removed", Array)],
    },
    EventType {
        name: "contact_language_changed",
        fields: &[req("language", Text)],
    },
    EventType {
        name: "contact_last_seen_changed",
        fields: &[req("last_seen_on", Text)],
    },
    EventType {
        name: "contact_name_changed",
        fields: &[req("name", Text)],
    },
    EventType {
        name: "contact_status_changed",
        fields: &[req("status", Text)],
    },
    EventType {
        name: "contact_timezone_changed",
        fields: &[req("timezone", Text)],
    },
    EventType {
        name: "contact_urns_changed",
        fields: &[req("urns", Array)],
    },
    EventType {
        name: "dial_ended",
        fields: &[req("dial", Object)],
    },
    EventType {
        name: "dial_wait",
        fields: &[
            req("urn", Text),
            opt("dial_limit_seconds", Integer),
            opt("call_limit_seconds", Integer),
            opt("expires_on", Text),
        ],
    },
    EventType {
        name: "email_sent",
        fields: &[req("to", Array), req("subject", Text), req("body", Text)],
    },
    EventType {
        name: "error",
        fields: &[req("text", Text), opt("code", Text), opt("extra", Object)],
    },
    EventType {
        name: "failure",
        fields: &[req("text", Text)],
    },
    EventType {
        name: "input_labels_added",
        fields: &[req("input_uuid", Text), req("labels", Array)],
    },
    EventType {
        name: "ivr_created",
        fields: &[req("msg", Object)],
    },
    EventType {
        name: "llm_called",
        fields: &[
            req("llm", Object),
            req("instructions", Text),
            req("input", Text),
            req("output", Text),
            opt("tokens", Object),
            req("elapsed_ms", Integer),
        ],
    },
    EventType {
        name: "msg_created",
        fields: &[req("msg", Object), opt("ticket_uuid", Text)],
    },
    EventType {
        name: "msg_deleted",
        fields: &[req("msg_uuid", Text), opt("by_contact", Bool)],
    },
    EventType {
        name: "msg_received",
        fields: &[req("msg", Object), opt("ticket_uuid", Text)],
    },
    EventType {
        name: "msg_status_changed",
        fields: &[
            req("msg_uuid", Text),
            req("status", Text),
            opt("reason", Text),
        ],
    },
    EventType {
        name: "msg_wait",
        fields: &[
            opt("timeout_seconds", Integer),
            opt("expires_on", Text),
            opt("hint", Object),
        ],
    },
    EventType {
        name: "optin_requested",
        fields: &[
            req("optin", Object),
            req("channel", Object),
            req("urn", Text),
        ],
    },
    EventType {
        name: "resthook_called",
        fields: &[req("resthook", Text), req("payload", Any)],
    },
    EventType {
        name: "run_ended",
        fields: &[
            req("run_uuid", Text),
            req("flow", Object),
            req("status", Text),
        ],
    },
    EventType {
        name: "run_result_changed",
        fields: &[
            req("name", Text),
            req("value", Text),
            req("category", Text),
            opt("category_localized", Text),
            opt("input", Text),
            opt("extra", Any),
            opt("previous", Object),
        ],
    },
    EventType {
        name: "run_started",
        fields: &[
            req("flow", Object),
            req("run_uuid", Text),
            opt("parent_uuid", Text),
            opt("terminal", Bool),
        ],
    },
    EventType {
        name: "session_triggered",
        fields: &[
            req("flow", Object),
            opt("groups", Array),
            opt("contacts", Array),
            opt("contact_query", Text),
            opt("exclusions", Object),
            opt("urns", Array),
            req("run_summary", Object),
            opt("history", Object),
        ],
    },
    EventType {
        name: "ticket_assignee_changed",
        fields: &[
            req("ticket_uuid", Text),
            req_or_null("assignee", Object),
            Field {
                name: "previous",
                kind: Object,
                required: false,
                nullable: true,
            },
        ],
    },
    EventType {
        name: "ticket_closed",
        fields: &[req("ticket_uuid", Text)],
    },
    EventType {
        name: "ticket_note_added",
        fields: &[req("ticket_uuid", Text), req("note", Text)],
    },
    EventType {
        name: "ticket_opened",
        fields: &[req("ticket", Object), opt("note", Text)],
    },
    EventType {
        name: "ticket_reopened",
        fields: &[req("ticket_uuid", Text)],
    },
    EventType {
        name: "ticket_topic_changed",
        fields: &[req("ticket_uuid", Text), req("topic", Object)],
    },
    EventType {
        name: "typing_started",
        fields: TYPING,
    },
    EventType {
        name: "typing_stopped",
        fields: TYPING,
    },
    EventType {
        name: "wait_timed_out",
        fields: &[],
    },
    EventType {
        name: "warning",
        fields: &[req("text", Text), opt("code", Text), opt("extra", Object)],
    },
    EventType {
        name: "webhook_called",
        fields: &[
            req("url", Text),
            req("status", Text),
            opt("status_code", Integer),
            req("request", Text),
            opt("response", Text),
            req("elapsed_ms", Integer),
            req("retries", Integer),
            opt("sizes", Object),
            opt("resthook", Text),
        ],
    },
];

/// The event type of this wire name.
pub fn event_type(name: &str) -> Option<&'static EventType> {
    EVENT_TYPES.iter().find(|t| t.name == name)
}

/// Checks an event's JSON against its type: the three fields every event has
/// (`uuid`, `type`, `created_on`, non-empty strings), a known type, every field it
/// holds known and of its kind, every required field there. Answers its type, or each
/// problem with its JSON path.
pub fn check(event: &Json) -> Result<&'static EventType, Vec<String>> {
    let Some(object) = event.as_object() else {
        return Err(vec!["$: an event is an object".into()]);
    };
    let mut problems = Vec::new();
    for key in ["uuid", "type", "created_on"] {
        match object.get(key) {
            Some(Json::String(s)) if !s.is_empty() => {}
            Some(_) => problems.push(format!("$.{key}: must be a non-empty string")),
            None => problems.push(format!("$.{key}: missing")),
        }
    }
    let name = object
        .get("type")
        .and_then(Json::as_str)
        .unwrap_or_default();
    let Some(spec) = event_type(name) else {
        problems.push(format!("$.type: unknown event type {name:?}"));
        return Err(problems);
    };
    for (key, value) in object {
        if matches!(key.as_str(), "uuid" | "type" | "created_on") {
            continue;
        }
        let Some(field) = spec.fields.iter().chain(COMMON).find(|f| f.name == key) else {
            problems.push(format!("$.{key}: not a field of {name}"));
            continue;
        };
        if value.is_null() && field.nullable {
            continue;
        }
        if !field.kind.holds(value) {
            problems.push(format!("$.{key}: must be {}", field.kind.name()));
        }
    }
    for field in spec.fields.iter().filter(|f| f.required) {
        if !object.contains_key(field.name) {
            problems.push(format!("$.{}: missing (required by {name})", field.name));
        }
    }
    if problems.is_empty() {
        Ok(spec)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_unique_and_fields_are_not_repeated() {
        for (i, t) in EVENT_TYPES.iter().enumerate() {
            assert!(
                EVENT_TYPES[i + 1..].iter().all(|o| o.name != t.name),
                "{} twice",
                t.name
            );
            for (j, f) in t.fields.iter().enumerate() {
                assert!(
                    t.fields[j + 1..].iter().all(|o| o.name != f.name)
                        && COMMON.iter().all(|c| c.name != f.name),
                    "{}.{} twice",
                    t.name,
                    f.name
                );
            }
        }
    }

    #[test]
    fn a_well_formed_event_passes() {
        let e = json!({"uuid": "u", "type": "contact_field_changed", "created_on": "t",
            "field": {"key": "age", "name": "Age"}, "value": null});
        assert_eq!(check(&e).unwrap().name, "contact_field_changed");
        let e = json!({"uuid": "u", "type": "ticket_closed", "created_on": "t",
            "ticket_uuid": "x", "_user": {"uuid": "v", "name": "Ana"}, "_via": "ui"});
        assert!(check(&e).is_ok());
    }

    #[test]
    fn each_problem_is_named_by_its_path() {
        let e = json!({"uuid": "", "type": "msg_created", "created_on": "t",
            "ticket_uuid": 7, "colour": "red"});
        let problems = check(&e).unwrap_err();
        assert_eq!(
            problems,
            [
                "$.uuid: must be a non-empty string",
                "$.colour: not a field of msg_created",
                "$.ticket_uuid: must be a string",
                "$.msg: missing (required by msg_created)",
            ]
        );
        let e =
            json!({"uuid": "u", "type": "contact_name_changed", "created_on": "t", "name": null});
        assert_eq!(check(&e).unwrap_err(), ["$.name: must be a string"]);
        let e = json!({"uuid": "u", "type": "teleported", "created_on": "t"});
        assert_eq!(
            check(&e).unwrap_err(),
            ["$.type: unknown event type \"teleported\""]
        );
    }
}
