//! Group membership: smart (query) groups kept up to date as the contact changes.

use serde_json::{json, Value as Json};

use atende_excellent::Environment;

use crate::contact::{Contact, GroupRef};
use crate::engine::{Assets, Machine};

/// The query of a smart group, `None` for a manual one.
pub(crate) fn group_query(g: &Json) -> Option<&str> {
    g.get("query")
        .and_then(Json::as_str)
        .filter(|q| !q.trim().is_empty())
}

pub(crate) fn asset_ref(g: &Json) -> GroupRef {
    GroupRef {
        uuid: g
            .get("uuid")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .into(),
        name: g
            .get("name")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .into(),
    }
}

/// Whether the contact may be in groups: only active contacts are.
pub(crate) fn is_active(contact: &Contact) -> bool {
    matches!(contact.status.as_str(), "" | "active")
}

/// Brings the contact's smart (query) groups up to date after a change, returning the
/// `contact_groups_changed` data when membership moved. Queries this engine cannot
/// evaluate leave membership as it was.
pub(crate) fn reevaluate(
    env: &Environment,
    assets: &Assets,
    contact: &mut Contact,
) -> Option<Json> {
    let active = is_active(contact);
    let mut added = Vec::new();
    let mut removed = Vec::new();
    for g in &assets.groups {
        let Some(query) = group_query(g) else {
            continue;
        };
        let r = asset_ref(g);
        let member = contact.groups.iter().any(|x| x.uuid == r.uuid);
        let should = active
            && crate::contact::query_matches_in(env, contact, query, &assets.fields)
                .unwrap_or(member);
        if should && !member {
            added.push(json!({ "uuid": r.uuid, "name": r.name }));
            contact.groups.push(r);
        } else if !should && member {
            contact.groups.retain(|x| x.uuid != r.uuid);
            removed.push(json!({ "uuid": r.uuid, "name": r.name }));
        }
    }
    if added.is_empty() && removed.is_empty() {
        return None;
    }
    let mut data = json!({});
    if !added.is_empty() {
        data["groups_added"] = json!(added);
    }
    if !removed.is_empty() {
        data["groups_removed"] = json!(removed);
    }
    Some(data)
}

impl Machine<'_, '_> {
    pub(super) fn contact_is_active(&self) -> bool {
        is_active(self.contact)
    }

    /// Brings the contact's smart groups up to date, emitting `contact_groups_changed`
    /// when membership moved.
    pub(super) fn reevaluate_groups(&mut self) {
        if let Some(data) = reevaluate(self.env, self.assets, self.contact) {
            self.event("contact_groups_changed", data);
        }
    }
}
