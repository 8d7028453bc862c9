//! `groups`: adds the contact to manual groups or removes it from them
//! (`contact_groups_changed`). Smart (query) groups are computed, never joined or left
//! by hand, and only active contacts may join groups: both are reported as errors.
//!
//! ```json
//! {"type": "groups", "groups": [{"uuid": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "name": "Clientes"}], "modification": "add"}
//! ```

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{ModifierError, Reader, Ref, Target};
use crate::engine::groups::{asset_ref, group_query};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupsModification {
    Add,
    Remove,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Groups {
    pub groups: Vec<Ref>,
    pub modification: GroupsModification,
}

impl Groups {
    pub(super) fn read(r: &Reader) -> Result<Groups, ModifierError> {
        Ok(Groups {
            groups: r.optional("groups")?.unwrap_or_default(),
            modification: r.required("modification")?,
        })
    }

    pub(super) fn apply(&self, t: &mut Target) -> bool {
        let adding = self.modification == GroupsModification::Add;
        if adding && !crate::engine::groups::is_active(t.contact) {
            t.error("Can't add blocked or stopped contacts to groups");
            return false;
        }
        let assets = t.assets;
        let mut changed = Vec::new();
        for r in &self.groups {
            let Some(g) = t.resolve(&assets.groups, "group", r) else {
                continue;
            };
            let g_ref = asset_ref(g);
            if group_query(g).is_some() {
                t.error(if adding {
                    format!(
                        "Can't add contacts to the query based group '{}'",
                        g_ref.name
                    )
                } else {
                    format!(
                        "Can't remove contacts from the query based group '{}'",
                        g_ref.name
                    )
                });
                continue;
            }
            let pos = t.contact.groups.iter().position(|x| x.uuid == g_ref.uuid);
            match (adding, pos) {
                (true, None) => {
                    changed.push(json!({ "uuid": g_ref.uuid, "name": g_ref.name }));
                    t.contact.groups.push(g_ref);
                }
                (false, Some(pos)) => {
                    let g = t.contact.groups.remove(pos);
                    changed.push(json!({ "uuid": g.uuid, "name": g.name }));
                }
                _ => {}
            }
        }
        if changed.is_empty() {
            return false;
        }
        let key = if adding {
            "groups_added"
        } else {
            "groups_removed"
        };
        t.event("contact_groups_changed", json!({ key: changed }));
        true
    }
}
