//! `remove_contact_groups`: removes the contact from manual groups, or from all of them
//! (`contact_groups_changed`).
//!
//! ```json
//! {"uuid": "af9a8b7c-6d54-4f40-b1c2-3d4e5f6a7b8c", "type": "remove_contact_groups", "groups": [], "all_groups": true}
//! ```

use crate::definition::action::RemoveContactGroups;
use crate::engine::asset_refs::AssetKind;
use crate::engine::groups::group_query;
use crate::engine::Machine;
use crate::modifiers::{Groups, GroupsModification, Modifier, Ref};
use crate::session::Session;

impl Machine<'_, '_> {
    pub(super) fn remove_contact_groups(
        &mut self,
        session: &Session,
        idx: usize,
        a: &RemoveContactGroups,
    ) {
        // all groups go in the workspace's group order; smart groups are computed, so
        // only naming one explicitly is a mistake
        let groups = if a.all_groups {
            self.assets
                .groups
                .iter()
                .filter(|g| group_query(g).is_none())
                .map(Ref::of)
                .collect()
        } else {
            self.resolve_assets(session, idx, &a.groups, AssetKind::Group)
                .iter()
                .map(Ref::of)
                .collect()
        };
        self.apply_modifier(&Modifier::Groups(Groups {
            groups,
            modification: GroupsModification::Remove,
        }));
    }
}
