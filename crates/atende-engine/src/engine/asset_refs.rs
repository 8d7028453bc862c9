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
        let what = match kind {
            AssetKind::Group => "group",
            AssetKind::Label => "label",
        };
        let mut out = Vec::new();
        for r in refs {
            if !r.uuid.is_empty() {
                let found = list
                    .iter()
                    .find(|a| a.get("uuid").and_then(Json::as_str) == Some(r.uuid.as_str()))
                    .cloned();
                match found {
                    Some(a) => out.push(a),
                    None => self.missing_dependency(what, &r.uuid, &r.name),
                }
            } else if !r.name_match.is_empty() {
                let Some(name) = self.text_checked(session, idx, &r.name_match) else {
                    continue; // the expression error was reported
                };
                let wanted = name.trim().to_lowercase();
                let list = match kind {
                    AssetKind::Group => &self.assets.groups,
                    AssetKind::Label => &self.assets.labels,
                };
                let found = list
                    .iter()
                    .find(|a| {
                        a.get("name")
                            .and_then(Json::as_str)
                            .is_some_and(|n| n.trim().to_lowercase() == wanted)
                    })
                    .cloned();
                match found {
                    Some(a) => out.push(a),
                    None => self.event(
                        "error",
                        json!({
                            "text": format!("No such {what} with name '{name}'"),
                            "code": format!("{what}:missing"),
                            "extra": { "name": name },
                        }),
                    ),
                }
            }
        }
        out
    }

    /// The `error` event for an asset a flow names that the assets lack
    /// (`Missing dependency: group[uuid=…,name=…]`, code `dependency:missing`).
    pub(super) fn missing_dependency(&mut self, what: &str, identity: &str, name: &str) {
        self.event("error", missing_dependency_data(what, identity, name));
    }
}

/// The data of the `error` event for a missing asset: fields are named by key, other
/// assets by UUID.
pub(crate) fn missing_dependency_data(what: &str, identity: &str, name: &str) -> Json {
    let by = if what == "field" { "key" } else { "uuid" };
    json!({
        "text": format!("Missing dependency: {what}[{by}={identity},name={name}]"),
        "code": "dependency:missing",
        "extra": { "identity": identity, "type": what },
    })
}
