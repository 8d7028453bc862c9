//! `remove_contact_groups`: removes the contact from manual groups, or from all of them
//! (`contact_groups_changed`).
//!
//! ```json
//! {"uuid": "af9a8b7c-6d54-4f40-b1c2-3d4e5f6a7b8c", "type": "remove_contact_groups", "groups": [], "all_groups": true}
//! ```

use serde_json::json;

use crate::contact::GroupRef;
use crate::definition::action::RemoveContactGroups;
use crate::engine::asset_refs::AssetKind;
use crate::engine::groups::{asset_ref, group_query};
use crate::engine::Machine;
use crate::session::Session;

impl Machine<'_, '_> {
    pub(super) fn remove_contact_groups(
        &mut self,
        session: &Session,
        idx: usize,
        a: &RemoveContactGroups,
    ) {
        // all groups go in the workspace's group order
        let targets: Vec<GroupRef> = if a.all_groups {
            self.assets.groups.iter().map(asset_ref).collect()
        } else {
            self.resolve_assets(session, idx, &a.groups, AssetKind::Group)
                .iter()
                .map(asset_ref)
                .collect()
        };
        let mut removed = Vec::new();
        for t in targets {
            let is_smart = self
                .assets
                .groups
                .iter()
                .any(|g| g["uuid"] == json!(t.uuid) && group_query(g).is_some());
            if is_smart {
                // smart groups are computed; only naming one explicitly is a mistake
                if !a.all_groups {
                    self.event(
                        "error",
                        json!({ "text": format!("Can't remove contacts from the query based group '{}'", t.name) }),
                    );
                }
                continue;
            }
            if let Some(pos) = self.contact.groups.iter().position(|g| g.uuid == t.uuid) {
                let g = self.contact.groups.remove(pos);
                removed.push(json!({ "uuid": g.uuid, "name": g.name }));
            }
        }
        if !removed.is_empty() {
            self.event(
                "contact_groups_changed",
                json!({ "groups_removed": removed }),
            );
        }
    }
}
