//! Contact actions change the contact through modifiers (`crate::modifiers`), the same
//! changes the server applies outside flows: one implementation of each change.

use crate::engine::Machine;
use crate::modifiers::{Modifier, Target};

impl Machine<'_, '_> {
    /// Applies a modifier to the session's contact, its events joining the sprint's.
    pub(super) fn apply_modifier(&mut self, modifier: &Modifier) {
        modifier.apply_to(&mut Target {
            env: self.env,
            assets: self.assets,
            contact: self.contact,
            services: &mut self.services,
            events: &mut self.sprint.events,
        });
    }
}
