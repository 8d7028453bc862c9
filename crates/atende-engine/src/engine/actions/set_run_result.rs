//! `set_run_result`: saves a result (`@results.x`) with an optional category.
//!
//! ```json
//! {"uuid": "0f3c1b9e-7a2d-4e8b-b1c4-5d6e7f8a9b01", "type": "set_run_result", "name": "Favorite Color", "value": "@input.text", "category": "Red"}
//! ```

use crate::definition::action::SetRunResult;
use crate::definition::Node;
use crate::engine::Machine;
use crate::session::Session;

impl Machine<'_, '_> {
    pub(super) fn set_run_result(
        &mut self,
        session: &mut Session,
        idx: usize,
        node: &Node,
        a: &SetRunResult,
    ) {
        let Some(value) = self.text_checked(session, idx, &a.value) else {
            return; // the expression error was reported
        };
        let category = self.text(session, idx, &a.category);
        let node_uuid = node.uuid.clone();
        self.save_result(
            session, idx, &a.name, &value, &category, &node_uuid, None, None,
        );
    }
}
