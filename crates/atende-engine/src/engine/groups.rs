//! Group membership: smart (query) groups kept up to date as the contact changes.

use serde_json::{json, Value as Json};

use crate::contact::GroupRef;
use crate::engine::Machine;

/// The query of a smart group, `None` for a manual one.
pub(super) fn group_query(g: &Json) -> Option<&str> {
    g.get("query")
        .and_then(Json::as_str)
        .filter(|q| !q.trim().is_empty())
}

pub(super) fn asset_ref(g: &Json) -> GroupRef {
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

impl Machine<'_, '_> {
    pub(super) fn contact_is_active(&self) -> bool {
        matches!(self.contact.status.as_str(), "" | "active")
    }

    /// Brings the contact's smart (query) groups up to date after a change, emitting
    /// `contact_groups_changed` when membership moved. Queries this engine cannot
    /// evaluate leave membership as it was.
    pub(super) fn reevaluate_groups(&mut self) {
        let active = self.contact_is_active();
        let mut added = Vec::new();
        let mut removed = Vec::new();
        for g in &self.assets.groups {
            let Some(query) = group_query(g) else {
                continue;
            };
            let r = asset_ref(g);
            let member = self.contact.groups.iter().any(|x| x.uuid == r.uuid);
            let should = active
                && crate::contact::query_matches(self.contact, query, &self.assets.fields)
                    .unwrap_or(member);
            if should && !member {
                added.push(json!({ "uuid": r.uuid, "name": r.name }));
                self.contact.groups.push(r);
            } else if !should && member {
                self.contact.groups.retain(|x| x.uuid != r.uuid);
                removed.push(json!({ "uuid": r.uuid, "name": r.name }));
            }
        }
        if added.is_empty() && removed.is_empty() {
            return;
        }
        let mut data = json!({});
        if !added.is_empty() {
            data["groups_added"] = json!(added);
        }
        if !removed.is_empty() {
            data["groups_removed"] = json!(removed);
        }
        self.event("contact_groups_changed", data);
    }
}
