//! Contact modifiers: typed, serialisable changes to a contact, in goflow's wire format
//! (`{"type": "name", "name": "Bob"}`). One file per type, named by its wire name.
//!
//! The server applies them to change a contact outside flows (API edits, agent actions);
//! the engine's contact actions evaluate their templates and apply the same modifiers, so
//! a change behaves the same wherever it comes from. Applying mutates the contact and
//! returns goflow's events (`contact_name_changed`, `contact_groups_changed`, …); smart
//! groups are re-evaluated after every change that took effect.
//!
//! ```json
//! {"type": "groups", "groups": [{"uuid": "b7cf0d83-f1c9-411c-96fd-c511a4cfa86d", "name": "Clientes"}], "modification": "add"}
//! ```

mod affinity;
mod channel;
mod field;
mod groups;
mod language;
mod name;
mod routes;
mod seen;
mod status;
mod ticket_assignee;
mod ticket_close;
mod ticket_note;
mod ticket_open;
mod ticket_reopen;
mod ticket_topic;
mod timezone;
mod urns;

pub use affinity::Affinity;
pub use channel::Channel;
pub use field::{Field, FieldRef};
pub use groups::{Groups, GroupsModification};
pub use language::Language;
pub use name::Name;
pub use routes::{Route, Routes, UrnsModification};
pub use seen::Seen;
pub use status::Status;
pub use ticket_assignee::TicketAssignee;
pub use ticket_close::TicketClose;
pub use ticket_note::TicketNote;
pub use ticket_open::TicketOpen;
pub use ticket_reopen::TicketReopen;
pub use ticket_topic::TicketTopic;
pub use timezone::Timezone;
pub use urns::Urns;

use atende_excellent::Environment;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value as Json};

use crate::contact::Contact;
use crate::engine::{Assets, Services};
use crate::events::Event;

/// A reference to an asset (channel, group, topic, user) by UUID and name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ref {
    pub uuid: String,
    #[serde(default)]
    pub name: String,
}

impl Ref {
    /// The reference to an asset of the asset file (`{"uuid", "name", …}`).
    pub fn of(asset: &Json) -> Ref {
        let s = |k: &str| {
            asset
                .get(k)
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Ref {
            uuid: s("uuid"),
            name: s("name"),
        }
    }
}

/// Why a modifier could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModifierError {
    #[error("modifier must be a JSON object")]
    NotAnObject,
    #[error("field '{0}' is required")]
    Required(String),
    #[error("field '{field}' is not valid: {problem}")]
    Invalid { field: String, problem: String },
    #[error("unknown modifier type '{0}'")]
    UnknownType(String),
}

/// One change to a contact, by wire type.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Modifier {
    Affinity(Affinity),
    Channel(Channel),
    Field(Field),
    Groups(Groups),
    Language(Language),
    Name(Name),
    Routes(Routes),
    Seen(Seen),
    Status(Status),
    TicketAssignee(TicketAssignee),
    TicketClose(TicketClose),
    TicketNote(TicketNote),
    TicketOpen(TicketOpen),
    TicketReopen(TicketReopen),
    TicketTopic(TicketTopic),
    Timezone(Timezone),
    Urns(Urns),
}

impl Modifier {
    /// Every modifier type, by wire name.
    pub const TYPES: &'static [&'static str] = &[
        "affinity",
        "channel",
        "field",
        "groups",
        "language",
        "name",
        "routes",
        "seen",
        "status",
        "ticket_assignee",
        "ticket_close",
        "ticket_note",
        "ticket_open",
        "ticket_reopen",
        "ticket_topic",
        "timezone",
        "urns",
    ];

    /// Reads a modifier from its JSON, naming the field that is missing or wrong.
    pub fn from_json(json: &Json) -> Result<Modifier, ModifierError> {
        let obj = json.as_object().ok_or(ModifierError::NotAnObject)?;
        let r = Reader { obj };
        let kind: String = r.required("type")?;
        Ok(match kind.as_str() {
            "affinity" => Modifier::Affinity(Affinity::read(&r)?),
            "channel" => Modifier::Channel(Channel::read(&r)?),
            "field" => Modifier::Field(Field::read(&r)?),
            "groups" => Modifier::Groups(Groups::read(&r)?),
            "language" => Modifier::Language(Language::read(&r)?),
            "name" => Modifier::Name(Name::read(&r)?),
            "routes" => Modifier::Routes(Routes::read(&r)?),
            "seen" => Modifier::Seen(Seen::read(&r)?),
            "status" => Modifier::Status(Status::read(&r)?),
            "ticket_assignee" => Modifier::TicketAssignee(TicketAssignee::read(&r)?),
            "ticket_close" => Modifier::TicketClose(TicketClose::read(&r)?),
            "ticket_note" => Modifier::TicketNote(TicketNote::read(&r)?),
            "ticket_open" => Modifier::TicketOpen(TicketOpen::read(&r)?),
            "ticket_reopen" => Modifier::TicketReopen(TicketReopen::read(&r)?),
            "ticket_topic" => Modifier::TicketTopic(TicketTopic::read(&r)?),
            "timezone" => Modifier::Timezone(Timezone::read(&r)?),
            "urns" => Modifier::Urns(Urns::read(&r)?),
            other => return Err(ModifierError::UnknownType(other.to_string())),
        })
    }

    /// The modifier in its wire format.
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or(Json::Null)
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Modifier::Affinity(_) => "affinity",
            Modifier::Channel(_) => "channel",
            Modifier::Field(_) => "field",
            Modifier::Groups(_) => "groups",
            Modifier::Language(_) => "language",
            Modifier::Name(_) => "name",
            Modifier::Routes(_) => "routes",
            Modifier::Seen(_) => "seen",
            Modifier::Status(_) => "status",
            Modifier::TicketAssignee(_) => "ticket_assignee",
            Modifier::TicketClose(_) => "ticket_close",
            Modifier::TicketNote(_) => "ticket_note",
            Modifier::TicketOpen(_) => "ticket_open",
            Modifier::TicketReopen(_) => "ticket_reopen",
            Modifier::TicketTopic(_) => "ticket_topic",
            Modifier::Timezone(_) => "timezone",
            Modifier::Urns(_) => "urns",
        }
    }

    /// Applies the modifier to `contact`, returning the events that say what changed (none
    /// when nothing did). Assets the modifier names that `assets` lacks are reported as
    /// `error` events (`dependency:missing`), as are changes the contact cannot take
    /// (adding a stopped contact to a group, an invalid or taken URN).
    pub fn apply(
        &self,
        env: &Environment,
        assets: &Assets,
        contact: &mut Contact,
        services: &mut Services<'_>,
    ) -> Vec<Event> {
        let mut events = Vec::new();
        self.apply_to(&mut Target {
            env,
            assets,
            contact,
            services,
            events: &mut events,
        });
        events
    }

    /// Applies the modifier, then re-evaluates smart groups if the contact changed.
    pub(crate) fn apply_to(&self, t: &mut Target<'_, '_>) {
        let modified = match self {
            Modifier::Affinity(m) => m.apply(t),
            Modifier::Channel(m) => m.apply(t),
            Modifier::Field(m) => m.apply(t),
            Modifier::Groups(m) => m.apply(t),
            Modifier::Language(m) => m.apply(t),
            Modifier::Name(m) => m.apply(t),
            Modifier::Routes(m) => m.apply(t),
            Modifier::Seen(m) => m.apply(t),
            Modifier::Status(m) => m.apply(t),
            Modifier::TicketAssignee(m) => m.apply(t),
            Modifier::TicketClose(m) => m.apply(t),
            Modifier::TicketNote(m) => m.apply(t),
            Modifier::TicketOpen(m) => m.apply(t),
            Modifier::TicketReopen(m) => m.apply(t),
            Modifier::TicketTopic(m) => m.apply(t),
            Modifier::Timezone(m) => m.apply(t),
            Modifier::Urns(m) => m.apply(t),
        };
        if modified {
            t.reevaluate_groups();
        }
    }
}

impl<'de> Deserialize<'de> for Modifier {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let json = Json::deserialize(d)?;
        Modifier::from_json(&json).map_err(serde::de::Error::custom)
    }
}

/// Reads the fields of a modifier's JSON object, naming the one that is wrong.
pub(crate) struct Reader<'j> {
    obj: &'j Map<String, Json>,
}

impl Reader<'_> {
    /// A field that must be present and not null.
    pub(crate) fn required<T: DeserializeOwned>(&self, key: &str) -> Result<T, ModifierError> {
        self.optional(key)?
            .ok_or_else(|| ModifierError::Required(key.to_string()))
    }

    /// A field that may be absent or null.
    pub(crate) fn optional<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, ModifierError> {
        match self.obj.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(v) => serde_json::from_value(v.clone())
                .map(Some)
                .map_err(|e| invalid(key, e)),
        }
    }

    /// A text field; absent or null reads as empty.
    pub(crate) fn text(&self, key: &str) -> Result<String, ModifierError> {
        Ok(self.optional(key)?.unwrap_or_default())
    }
}

/// The error for a field whose value is wrong.
pub(crate) fn invalid(field: &str, problem: impl std::fmt::Display) -> ModifierError {
    ModifierError::Invalid {
        field: field.to_string(),
        problem: problem.to_string(),
    }
}

/// What applying a modifier works on: the contact, the assets it may name, the services
/// that stamp events (clock, UUIDs) and answer questions (URN claims), and the events.
pub(crate) struct Target<'a, 's> {
    pub env: &'a Environment,
    pub assets: &'a Assets,
    pub contact: &'a mut Contact,
    pub services: &'a mut Services<'s>,
    pub events: &'a mut Vec<Event>,
}

impl Target<'_, '_> {
    pub(crate) fn event(&mut self, event_type: &'static str, data: Json) {
        let event = self.services.new_event(event_type, data);
        self.events.push(event);
    }

    pub(crate) fn error(&mut self, text: impl Into<String>) {
        self.event("error", serde_json::json!({ "text": text.into() }));
    }

    pub(crate) fn missing_dependency(&mut self, what: &str, identity: &str, name: &str) {
        let data = crate::engine::missing_dependency_data(what, identity, name);
        self.event("error", data);
    }

    pub(crate) fn reevaluate_groups(&mut self) {
        if let Some(data) = crate::engine::groups::reevaluate(self.env, self.assets, self.contact) {
            self.event("contact_groups_changed", data);
        }
    }

    /// The asset of `list` a reference points at, or `None` after reporting it missing.
    pub(crate) fn resolve<'l>(
        &mut self,
        list: &'l [Json],
        what: &str,
        r: &Ref,
    ) -> Option<&'l Json> {
        let found = list
            .iter()
            .find(|a| a.get("uuid").and_then(Json::as_str) == Some(r.uuid.as_str()));
        if found.is_none() {
            self.missing_dependency(what, &r.uuid, &r.name);
        }
        found
    }
}

/// The position of a ticket of the contact by UUID.
fn ticket_index(contact: &Contact, uuid: &str) -> Option<usize> {
    contact
        .tickets
        .iter()
        .position(|t| t.get("uuid").and_then(Json::as_str) == Some(uuid))
}

/// Whether a ticket is open (tickets written without a status are).
fn ticket_is_open(ticket: &Json) -> bool {
    ticket
        .get("status")
        .and_then(Json::as_str)
        .unwrap_or("open")
        == "open"
}

#[cfg(test)]
mod tests;
