//! `set_contact_status`: active, blocked, stopped or archived (`contact_status_changed`).
//!
//! ```json
//! {"uuid": "c1b2c3d4-8f76-4b62-93e4-5f6a7b8c9d0e", "type": "set_contact_status", "status": "stopped"}
//! ```

use serde_json::{json, Value as Json};

use crate::contact::GroupRef;
use crate::engine::groups::group_query;
use crate::engine::Machine;

impl Machine<'_, '_> {
    /// Sets the contact's status; leaving `active` takes the contact out of every group
    /// (smart groups first, then the others), coming back re-evaluates smart groups.
    pub(super) fn set_status(&mut self, status: &str) {
        if status == self.contact.status {
            return;
        }
        self.contact.status = status.to_string();
        self.event("contact_status_changed", json!({ "status": status }));
        if self.contact_is_active() {
            self.reevaluate_groups();
            return;
        }
        let groups = std::mem::take(&mut self.contact.groups);
        let is_smart = |g: &GroupRef| {
            self.assets
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
            self.event(
                "contact_groups_changed",
                json!({ "groups_removed": removed }),
            );
        }
    }
}
