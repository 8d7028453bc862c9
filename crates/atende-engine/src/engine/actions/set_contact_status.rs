//! `set_contact_status`: active, blocked, stopped or archived (`contact_status_changed`).
//!
//! ```json
//! {"uuid": "c1b2c3d4-8f76-4b62-93e4-5f6a7b8c9d0e", "type": "set_contact_status", "status": "stopped"}
//! ```

use crate::engine::Machine;
use crate::modifiers::{Modifier, Status};

impl Machine<'_, '_> {
    /// Sets the contact's status; leaving `active` takes the contact out of every group
    /// (smart groups first, then the others), coming back re-evaluates smart groups.
    pub(super) fn set_status(&mut self, status: &str) {
        self.apply_modifier(&Modifier::Status(Status {
            status: status.to_string(),
        }));
    }
}
