//! `add_input_labels`: labels the message the run last received (`input_labels_added`).
//!
//! ```json
//! {"uuid": "f4e5f6a7-bca9-4e95-86b7-8c9d0e1f2a3b", "type": "add_input_labels", "labels": [{"uuid": "3f65d88a-95dc-4140-9451-943e94e06fea", "name": "Cobrança"}]}
//! ```

use serde_json::{json, Value as Json};

use crate::definition::action::AddInputLabels;
use crate::engine::asset_refs::AssetKind;
use crate::engine::Machine;
use crate::session::Session;

impl Machine<'_, '_> {
    pub(super) fn add_input_labels(&mut self, session: &Session, idx: usize, a: &AddInputLabels) {
        let Some(input_uuid) = session.input.as_ref().and_then(|i| i.get("uuid")).cloned() else {
            self.event("error", json!({ "text": "No input to add labels to" }));
            return;
        };
        let labels: Vec<Json> = self
            .resolve_assets(session, idx, &a.labels, AssetKind::Label)
            .iter()
            .map(|l| json!({ "uuid": l["uuid"], "name": l["name"] }))
            .collect();
        if !labels.is_empty() {
            self.event(
                "input_labels_added",
                json!({ "input_uuid": input_uuid, "labels": labels }),
            );
        }
    }
}
