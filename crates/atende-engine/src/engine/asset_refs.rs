//! Resolving the groups and labels an action names, by UUID or by a name template.

use serde_json::{json, Value as Json};

use crate::definition::action::AssetRef;
use crate::engine::Machine;
use crate::session::Session;

/// Which asset list a reference points into.
#[derive(Clone, Copy)]
pub(super) enum AssetKind {
    Group,
    Label,
}

impl Machine<'_, '_> {
    /// Groups or labels an action names: by UUID from the assets, or by a name template
    /// (`name_match`) matched case-insensitively against asset names.
    pub(super) fn resolve_assets(
        &mut self,
        session: &Session,
        idx: usize,
        refs: &[AssetRef],
        kind: AssetKind,
    ) -> Vec<Json> {
        let list = match kind {
            AssetKind::Group => &self.assets.groups,
            AssetKind::Label => &self.assets.labels,
        };
        let mut out = Vec::new();
        for r in refs {
            let found = if !r.uuid.is_empty() {
                list.iter()
                    .find(|a| a.get("uuid").and_then(Json::as_str) == Some(r.uuid.as_str()))
                    .cloned()
            } else if !r.name_match.is_empty() {
                let name = self.text(session, idx, &r.name_match).trim().to_lowercase();
                list.iter()
                    .find(|a| {
                        a.get("name")
                            .and_then(Json::as_str)
                            .is_some_and(|n| n.trim().to_lowercase() == name)
                    })
                    .cloned()
            } else {
                None
            };
            match found {
                Some(a) => out.push(a),
                None if !r.uuid.is_empty() => {
                    let what = match kind {
                        AssetKind::Group => "group",
                        AssetKind::Label => "label",
                    };
                    self.event(
                        "error",
                        json!({ "text": format!("missing dependency: {what}[uuid={},name={}]", r.uuid, r.name) }),
                    );
                }
                None => {}
            }
        }
        out
    }
}
