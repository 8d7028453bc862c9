//! `status`: active, blocked, stopped or archived (`contact_status_changed`). A contact
//! that stops being active leaves every group (smart groups first, then the others); one
//! that becomes active again has its smart groups re-evaluated.
//!
//! ```json
//! {"type": "status", "status": "blocked"}
//! ```

use serde::Serialize;
use serde_json::{json, Value as Json};

use super::{invalid, ModifierError, Reader, Target};
use crate::contact::GroupRef;
use crate::engine::groups::group_query;

/// The statuses a contact may have.
pub const STATUSES: &[&str] = &["active", "blocked", "stopped", "archived"];

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Status {
    pub status: String,
}

impl Status {
    pub(super) fn read(r: &Reader) -> Result<Status, ModifierError> {
        let status: String = r.required("status")?;
        if !STATUSES.contains(&status.as_str()) {
            return Err(invalid(
                "status",
                format!("'{status}' is not one of {}", STATUSES.join(", ")),
            ));
        }
        Ok(Status { status })
    }

    pub(super) fn apply(&self, t: &mut Target) -> bool {
        if self.status == t.contact.status {
            return false;
        }
        t.contact.status = self.status.clone();
        t.event("contact_status_changed", json!({ "status": self.status }));
        if crate::engine::groups::is_active(t.contact) {
            // smart groups are re-evaluated once the change is applied
            return true;
        }
        let groups = std::mem::take(&mut t.contact.groups);
        let assets = t.assets;
        let is_smart = |g: &GroupRef| {
            assets
                .groups
                .iter()
                .any(|a| a["uuid"] == json!(g.uuid) && group_query(a).is_some())
        };
        let (smart, manual): (Vec<GroupRef>, Vec<GroupRef>) =
            groups.into_iter().partition(|g| is_smart(g));
        let removed: Vec<Json> = smart
            .iter()
            .chain(&manual)
            .map(|g| json!({ "uuid": g.uuid, "name": g.name }))
            .collect();
        if !removed.is_empty() {
            t.event(
                "contact_groups_changed",
                json!({ "groups_removed": removed }),
            );
        }
        true
    }
}
