//! `add_contact_groups`: adds an active contact to manual groups (`contact_groups_changed`).
//!
//! ```json
//! {"uuid": "9e8f7a6b-5c43-4e3f-a0b1-2c3d4e5f6a7b", "type": "add_contact_groups", "groups": [{"uuid": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "name": "Clientes"}]}
//! ```

use serde_json::json;

use crate::definition::action::AddContactGroups;
use crate::engine::asset_refs::AssetKind;
use crate::engine::groups::{asset_ref, group_query};
use crate::engine::Machine;
use crate::session::Session;

impl Machine<'_, '_> {
    pub(super) fn add_contact_groups(
        &mut self,
        session: &Session,
        idx: usize,
        a: &AddContactGroups,
    ) {
        if !self.contact_is_active() {
            return;
        }
        let mut added = Vec::new();
        for g in self.resolve_assets(session, idx, &a.groups, AssetKind::Group) {
            let r = asset_ref(&g);
            if group_query(&g).is_some() {
                // smart groups are computed, never joined by hand
                self.event(
                    "error",
                    json!({ "text": format!("Can't add contacts to the query based group '{}'", r.name) }),
                );
                continue;
            }
            if self.contact.groups.iter().any(|x| x.uuid == r.uuid) {
                continue;
            }
            added.push(json!({ "uuid": r.uuid, "name": r.name }));
            self.contact.groups.push(r);
        }
        if !added.is_empty() {
            self.event("contact_groups_changed", json!({ "groups_added": added }));
        }
    }
}
