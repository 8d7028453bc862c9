//! `add_contact_groups`: adds an active contact to manual groups (`contact_groups_changed`).
//!
//! ```json
//! {"uuid": "9e8f7a6b-5c43-4e3f-a0b1-2c3d4e5f6a7b", "type": "add_contact_groups", "groups": [{"uuid": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "name": "Clientes"}]}
//! ```

use crate::definition::action::AddContactGroups;
use crate::engine::asset_refs::AssetKind;
use crate::engine::Machine;
use crate::modifiers::{Groups, GroupsModification, Modifier, Ref};
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
        let groups = self
            .resolve_assets(session, idx, &a.groups, AssetKind::Group)
            .iter()
            .map(Ref::of)
            .collect();
        self.apply_modifier(&Modifier::Groups(Groups {
            groups,
            modification: GroupsModification::Add,
        }));
    }
}
