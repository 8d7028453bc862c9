//! The Excellent context of a run: `@contact`, `@results`, `@input`, `@webhook`,
//! `@parent`/`@child` and the other top-level names templates read.

use std::sync::Arc;

use atende_excellent::{Object, Value};
use serde_json::{Map, Value as Json};

use crate::contact::Contact;
use crate::engine::Machine;
use crate::session::{Run, Session};

/// The top-level names of a run's context (what `@name` may refer to).
pub const CONTEXT_KEYS: &[&str] = &[
    "child",
    "contact",
    "fields",
    "globals",
    "input",
    "legacy_extra",
    "locals",
    "node",
    "parent",
    "results",
    "resume",
    "run",
    "ticket",
    "trigger",
    "urns",
    "webhook",
];

/// `@contact`, `@fields`, `@urns` of one contact state.
pub(super) type ContactValues = (Value, Value, Value);

/// `@webhook`: renders as the response's JSON, or `METHOD URL` when there is none.
fn webhook_context(webhook: &Json) -> Value {
    let json = webhook.get("json").cloned().unwrap_or(Json::Null);
    let default = if json.is_null() {
        Value::from(
            format!(
                "{} {}",
                webhook["method"].as_str().unwrap_or_default(),
                webhook["url"].as_str().unwrap_or_default()
            )
            .as_str(),
        )
    } else {
        atende_excellent::value::from_json(&json)
    };
    let mut o = Object::with_default(default);
    if let Value::Object(src) = atende_excellent::value::from_json(webhook) {
        for (k, v) in src.iter() {
            o.insert(k.clone(), v.clone());
        }
    }
    Value::Object(Arc::new(o))
}

/// `@legacy_extra` (what legacy flows called `@extra`): the trigger's params, then each
/// result's `extra` (in the order results were saved), its keys merged at the top and
/// also kept whole under the result's key. Deprecated: reading it warns.
fn legacy_extra(session: &Session, run: &crate::session::Run) -> Value {
    let mut o = Object::new();
    o.deprecated = Some(Arc::from("@legacy_extra is deprecated"));
    if let Some(params) = session.trigger.get("params").and_then(Json::as_object) {
        for (k, v) in params {
            o.insert(k.to_lowercase(), atende_excellent::value::from_json(v));
        }
    }
    let mut results: Vec<(&String, &Json)> = run.results.iter().collect();
    results.sort_by_key(|(_, r)| {
        r.get("created_on")
            .and_then(Json::as_str)
            .and_then(|c| c.parse::<jiff::Timestamp>().ok())
    });
    for (key, r) in results {
        let Some(extra) = r.get("extra") else {
            continue;
        };
        if let Some(map) = extra.as_object() {
            for (k, v) in map {
                o.insert(k.to_lowercase(), atende_excellent::value::from_json(v));
            }
        }
        let text = match run.extra_text.get(key.as_str()) {
            Some(raw) => raw.clone(),
            None => extra.to_string(),
        };
        o.insert(key.as_str(), Value::from(text.as_str()));
    }
    Value::Object(Arc::new(o))
}

/// Result names become keys in snake case (`Favorite Color` → `favorite_color`).
pub fn result_key(name: &str) -> String {
    let mut key = String::new();
    let mut pending_sep = false;
    for c in name.trim().to_lowercase().chars() {
        if c.is_alphanumeric() {
            if pending_sep && !key.is_empty() {
                key.push('_');
            }
            pending_sep = false;
            key.push(c);
        } else {
            pending_sep = true;
        }
    }
    key
}

/// `@results`: each result by key; renders as `Name: value` lines in key order.
fn results_context(results: &Map<String, Json>) -> Value {
    let mut o = Object::new();
    let mut keys: Vec<&String> = results.keys().collect();
    keys.sort();
    let lines: Vec<String> = keys
        .iter()
        .map(|k| {
            let r = &results[k.as_str()];
            format!(
                "{}: {}",
                r.get("name").and_then(Json::as_str).unwrap_or(k),
                r.get("value").and_then(Json::as_str).unwrap_or_default()
            )
        })
        .collect();
    o.default = Some(Value::from(lines.join("\n").as_str()));
    for (k, r) in results {
        let value = r.get("value").and_then(Json::as_str).unwrap_or_default();
        let mut res = Object::with_default(Value::from(value));
        for key in [
            "name",
            "value",
            "category",
            "input",
            "node_uuid",
            "created_on",
        ] {
            let v = r
                .get(key)
                .and_then(Json::as_str)
                .map(Value::from)
                .unwrap_or(Value::from(""));
            res.insert(key, v);
        }
        let category = r.get("category").and_then(Json::as_str).unwrap_or_default();
        let localized = r
            .get("category_localized")
            .and_then(Json::as_str)
            .unwrap_or(category);
        res.insert("category_localized", Value::from(localized));
        res.insert(
            "extra",
            r.get("extra")
                .map(atende_excellent::value::from_json)
                .unwrap_or(Value::Null),
        );
        o.insert(k.as_str(), Value::Object(Arc::new(res)));
    }
    Value::Object(Arc::new(o))
}

impl Machine<'_, '_> {
    /// `@contact`, `@fields` and `@urns`, rebuilt only when the contact changed since
    /// the last evaluation (comparing the contact is far cheaper than building them).
    pub(super) fn contact_values(&self) -> ContactValues {
        let mut cache = self.contact_cache.borrow_mut();
        if let Some((seen, values)) = cache.as_ref() {
            if seen == &*self.contact {
                return values.clone();
            }
        }
        let redact = self.redact_urns();
        let mut contact = self.contact.context_redacted(&self.assets.fields, redact);
        if let Value::Object(o) = &mut contact {
            Arc::make_mut(o).insert("channel", self.preferred_channel());
        }
        let values = (
            contact,
            self.contact.fields_context(&self.assets.fields),
            self.contact.urns_context_redacted(redact),
        );
        *cache = Some((self.contact.clone(), values.clone()));
        values
    }

    /// `@contact.channel`: the channel the contact's first URN is tied to (`uuid`,
    /// `name`, `address`; renders as the name), null when it is tied to none.
    fn preferred_channel(&self) -> Value {
        let uuid = self
            .contact
            .urns
            .first()
            .and_then(|u| u.split_once("channel="))
            .map(|(_, rest)| rest.split(['&', '#']).next().unwrap_or_default());
        let channel = uuid.and_then(|uuid| {
            self.assets
                .channels
                .iter()
                .find(|c| c.get("uuid").and_then(Json::as_str) == Some(uuid))
        });
        let Some(channel) = channel else {
            return Value::Null;
        };
        let text = |k: &str| Value::from(channel.get(k).and_then(Json::as_str).unwrap_or(""));
        let mut o = Object::with_default(text("name"));
        for key in ["uuid", "name", "address"] {
            o.insert(key, text(key));
        }
        Value::Object(Arc::new(o))
    }

    /// `@trigger` as goflow presents it: `type`, `params`, `keyword`, `user`, `origin`,
    /// `ticket` and `campaign`, with users and tickets resolved against the assets.
    fn trigger_context(&self, trigger: &Json) -> Value {
        let text = |v: Option<&Json>| Value::from(v.and_then(Json::as_str).unwrap_or(""));
        let mut o = Object::new();
        o.insert("type", text(trigger.get("type")));
        o.insert(
            "params",
            match trigger.get("params") {
                Some(p) if p.is_object() => atende_excellent::value::from_json(p),
                _ => Value::Object(Arc::new(Object::new())),
            },
        );
        o.insert("keyword", text(trigger.pointer("/keyword_match/keyword")));
        o.insert("origin", text(trigger.get("origin")));
        let user = trigger.get("user").map(|u| {
            let uuid = u.get("uuid").and_then(Json::as_str);
            let asset = self
                .assets
                .users
                .iter()
                .find(|a| uuid.is_some() && a.get("uuid").and_then(Json::as_str) == uuid)
                .unwrap_or(u);
            let name = asset.get("name").and_then(Json::as_str).unwrap_or("");
            let mut user = Object::with_default(Value::from(name));
            user.insert("email", text(asset.get("email")));
            user.insert("name", Value::from(name));
            user.insert(
                "first_name",
                Value::from(name.split_whitespace().next().unwrap_or("")),
            );
            Value::Object(Arc::new(user))
        });
        o.insert("user", user.unwrap_or(Value::Null));
        o.insert(
            "ticket",
            trigger
                .get("ticket")
                .filter(|t| t.is_object())
                .map(crate::contact::ticket_context)
                .unwrap_or(Value::Null),
        );
        o.insert(
            "campaign",
            trigger
                .pointer("/event/campaign")
                .or_else(|| trigger.get("campaign"))
                .filter(|c| c.is_object())
                .map(|c| {
                    let mut camp = Object::with_default(text(c.get("name")));
                    camp.insert("uuid", text(c.get("uuid")));
                    camp.insert("name", text(c.get("name")));
                    Value::Object(Arc::new(camp))
                })
                .unwrap_or(Value::Null),
        );
        Value::Object(Arc::new(o))
    }

    /// `@node`: the node the run is at, its UUID, its router's category names and how
    /// many times the run has visited it.
    fn node_context(&self, run: &Run) -> Value {
        let Some(step) = run.path.last() else {
            return Value::Null;
        };
        let node = run
            .flow
            .get("uuid")
            .and_then(Json::as_str)
            .and_then(|uuid| self.assets.flow(uuid))
            .and_then(|flow| flow.nodes.iter().find(|n| n.uuid == step.node_uuid));
        let Some(node) = node else {
            return Value::Null;
        };
        let categories: Vec<Value> = node
            .router
            .iter()
            .flat_map(|r| &r.categories)
            .map(|c| Value::from(c.name.as_str()))
            .collect();
        let visits = run.path.iter().filter(|s| s.node_uuid == node.uuid).count();
        let mut o = Object::new();
        o.insert("uuid", Value::from(node.uuid.as_str()));
        o.insert("categories", Value::array(categories));
        o.insert("visit_count", Value::from(visits as i64));
        Value::Object(Arc::new(o))
    }

    /// The Excellent context of run `idx`.
    #[allow(dead_code)]
    pub(super) fn context(&self, session: &Session, idx: usize) -> Value {
        self.context_with(session, idx, &|_| true)
    }

    /// The context of run `idx` with just the top-level keys `want` accepts (every
    /// key is present so lookups behave the same; unwanted ones are null).
    pub(super) fn context_with(
        &self,
        session: &Session,
        idx: usize,
        want: &dyn Fn(&str) -> bool,
    ) -> Value {
        let run = &session.runs[idx];
        let mut root = Object::new();
        for key in CONTEXT_KEYS {
            root.insert(*key, Value::Null);
        }
        if want("contact") || want("fields") || want("urns") {
            let (contact, fields, urns) = self.contact_values();
            root.insert("contact", contact);
            root.insert("fields", fields);
            root.insert("urns", urns);
        }
        if want("results") {
            root.insert("results", results_context(&run.results));
        }
        if want("locals") {
            let mut locals = Object::new();
            for (k, v) in &run.locals {
                locals.insert(k.as_str(), atende_excellent::value::from_json(v));
            }
            root.insert("locals", Value::Object(Arc::new(locals)));
        }
        if want("input") {
            let input = match &session.input {
                Some(i) => {
                    let text = i.get("text").and_then(Json::as_str).unwrap_or_default();
                    let mut o = Object::with_default(Value::from(text));
                    if let Value::Object(src) = atende_excellent::value::from_json(i) {
                        for (k, v) in src.iter() {
                            o.insert(k.clone(), v.clone());
                        }
                    }
                    if o.get("text").is_none() {
                        o.insert("text", Value::from(""));
                    }
                    if let Some(urn) = i.get("urn").and_then(Json::as_str) {
                        let urn = crate::contact::context_urn(urn, self.redact_urns());
                        o.insert("urn", Value::from(urn.as_str()));
                    }
                    if o.get("attachments").is_none() {
                        o.insert("attachments", Value::array(Vec::new()));
                    }
                    Value::Object(Arc::new(o))
                }
                None => Value::Null,
            };
            root.insert("input", input);
        }
        if want("node") {
            root.insert("node", self.node_context(run));
        }
        if want("globals") {
            let mut globals = Object::new();
            for g in &self.assets.globals {
                if let (Some(k), Some(v)) = (
                    g.get("key").and_then(Json::as_str),
                    g.get("value").and_then(Json::as_str),
                ) {
                    globals.insert(k, Value::from(v));
                }
            }
            root.insert("globals", Value::Object(Arc::new(globals)));
        }
        if want("run") {
            root.insert("run", self.run_context(run));
        }
        if want("webhook") {
            root.insert(
                "webhook",
                run.webhook
                    .as_ref()
                    .map(webhook_context)
                    .unwrap_or(Value::Null),
            );
        }
        if want("trigger") {
            root.insert("trigger", self.trigger_context(&session.trigger));
        }
        if want("child") {
            let child = session
                .runs
                .iter()
                .rev()
                .find(|r| r.parent_uuid.as_deref() == Some(run.uuid.as_str()));
            root.insert(
                "child",
                child.map(|r| self.run_summary(r)).unwrap_or(Value::Null),
            );
        }
        if want("parent") {
            let parent = run
                .parent_uuid
                .as_ref()
                .and_then(|p| session.runs.iter().find(|r| &r.uuid == p));
            // a session started by another session's flow sees that run as its parent
            let triggering = session
                .trigger
                .get("run_summary")
                .filter(|_| idx == 0 && run.parent_uuid.is_none());
            let parent_value = match (parent, triggering) {
                (Some(r), _) => self.run_summary(r),
                (None, Some(summary)) => self.summary_context(summary),
                (None, None) => Value::Null,
            };
            root.insert("parent", parent_value);
        }
        if want("resume") {
            root.insert("resume", self.resume_context());
        }
        if want("node") {
            // the node the run is at, how many times the run has arrived there, and
            // the names of its router's categories
            if let Some(step) = run.path.last() {
                let visits = run
                    .path
                    .iter()
                    .filter(|s| s.node_uuid == step.node_uuid)
                    .count();
                let categories: Vec<Value> = self
                    .flow_of(run)
                    .and_then(|f| f.node(&step.node_uuid))
                    .and_then(|n| n.router.as_ref())
                    .map(|r| {
                        r.categories
                            .iter()
                            .map(|c| Value::from(c.name.as_str()))
                            .collect()
                    })
                    .unwrap_or_default();
                let mut node = Object::new();
                node.insert("uuid", Value::from(step.node_uuid.as_str()));
                node.insert("visit_count", Value::from(visits as i64));
                node.insert("categories", Value::array(categories));
                root.insert("node", Value::Object(Arc::new(node)));
            }
        }
        if want("legacy_extra") {
            root.insert("legacy_extra", legacy_extra(session, run));
        }
        if want("ticket") {
            root.insert(
                "ticket",
                self.contact
                    .tickets
                    .last()
                    .map(crate::contact::ticket_context)
                    .unwrap_or(Value::Null),
            );
        }
        Value::Object(Arc::new(root))
    }

    /// Whether URN paths are hidden from flows (`redaction_policy: urns`).
    pub(super) fn redact_urns(&self) -> bool {
        self.env.redaction_policy == atende_excellent::env::RedactionPolicy::Urns
    }

    /// `@resume`: the resume that started this sprint, its `type` and, for a dial, the
    /// `dial` outcome (`status`, `duration`).
    fn resume_context(&self) -> Value {
        let Some(resume) = &self.resume else {
            return Value::Null;
        };
        let mut o = Object::new();
        o.insert(
            "type",
            Value::from(resume.get("type").and_then(Json::as_str).unwrap_or("")),
        );
        let dial = resume.pointer("/event/dial").or_else(|| resume.get("dial"));
        o.insert(
            "dial",
            dial.map(atende_excellent::value::from_json)
                .unwrap_or(Value::Null),
        );
        Value::Object(Arc::new(o))
    }

    /// `@run`: the run's UUID, status, flow, times, path, results, locals and contact;
    /// renders as `contact name@flow name`.
    fn run_context(&self, run: &Run) -> Value {
        let flow_name = run.flow.get("name").and_then(Json::as_str).unwrap_or("");
        let mut o = Object::with_default(Value::from(
            format!("{}@{}", self.contact.name, flow_name).as_str(),
        ));
        o.insert("uuid", Value::from(run.uuid.as_str()));
        o.insert("status", Value::from(run.status.as_str()));
        o.insert("flow", atende_excellent::value::from_json(&run.flow));
        o.insert(
            "created_on",
            crate::contact::datetime_value(&run.created_on),
        );
        o.insert(
            "exited_on",
            run.exited_on
                .as_deref()
                .map(crate::contact::datetime_value)
                .unwrap_or(Value::Null),
        );
        let path = run
            .path
            .iter()
            .map(|step| {
                let mut s = Object::new();
                s.insert("node_uuid", Value::from(step.node_uuid.as_str()));
                s.insert(
                    "arrived_on",
                    crate::contact::datetime_value(&step.arrived_on),
                );
                Value::Object(Arc::new(s))
            })
            .collect();
        o.insert("path", Value::array(path));
        o.insert("results", results_context(&run.results));
        let mut locals = Object::new();
        for (k, v) in &run.locals {
            locals.insert(k.as_str(), atende_excellent::value::from_json(v));
        }
        o.insert("locals", Value::Object(Arc::new(locals)));
        o.insert("contact", self.contact_values().0);
        Value::Object(Arc::new(o))
    }

    /// `@parent` from a flow_action trigger's `run_summary` (a run of another session,
    /// with its own contact).
    fn summary_context(&self, summary: &Json) -> Value {
        let uuid = summary
            .get("uuid")
            .and_then(Json::as_str)
            .unwrap_or_default();
        let status = summary
            .get("status")
            .and_then(Json::as_str)
            .unwrap_or_default();
        let mut o = Object::with_default(Value::from(uuid));
        o.insert("uuid", Value::from(uuid));
        o.insert("status", Value::from(status));
        o.insert(
            "flow",
            summary
                .get("flow")
                .map(atende_excellent::value::from_json)
                .unwrap_or(Value::Null),
        );
        let results = summary
            .get("results")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default();
        o.insert("results", results_context(&results));
        let contact = summary
            .get("contact")
            .and_then(|c| Contact::from_json(c).ok());
        match contact {
            Some(c) => {
                let redact = self.redact_urns();
                o.insert("contact", c.context_redacted(&self.assets.fields, redact));
                o.insert("fields", c.fields_context(&self.assets.fields));
                o.insert("urns", c.urns_context_redacted(redact));
            }
            None => {
                for key in ["contact", "fields", "urns"] {
                    o.insert(key, Value::Null);
                }
            }
        }
        Value::Object(Arc::new(o))
    }

    /// `@parent` / `@child`: a related run as flows see it.
    fn run_summary(&self, run: &Run) -> Value {
        let mut o = Object::with_default(Value::from(run.uuid.as_str()));
        o.insert("uuid", Value::from(run.uuid.as_str()));
        o.insert("status", Value::from(run.status.as_str()));
        let mut r = Object::new();
        r.insert("status", Value::from(run.status.as_str()));
        r.deprecated = Some(Arc::from(format!(
            "@{}.run.status is deprecated, use @{}.status instead",
            if run.parent_uuid.is_some() {
                "child"
            } else {
                "parent"
            },
            if run.parent_uuid.is_some() {
                "child"
            } else {
                "parent"
            }
        )));
        o.insert("run", Value::Object(Arc::new(r)));
        o.insert("flow", atende_excellent::value::from_json(&run.flow));
        o.insert("results", results_context(&run.results));
        let (contact, fields, urns) = self.contact_values();
        o.insert("contact", contact);
        o.insert("fields", fields);
        o.insert("urns", urns);
        Value::Object(Arc::new(o))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_keys() {
        assert_eq!(result_key("Favorite Color"), "favorite_color");
        assert_eq!(result_key(" CPF / CNPJ "), "cpf_cnpj");
    }
}
