//! `routes`: adds, removes or replaces the contact's URNs, each with the channel it
//! should be reached through (`contact_urns_changed`). URNs are normalised first; invalid
//! ones and ones another contact has are reported and skipped. A route without a channel
//! keeps the channel the URN already has. `urns` is the same change without channels.
//!
//! ```json
//! {"type": "routes", "routes": [{"urn": "whatsapp:5511987654321", "channel": {"uuid": "57f1078f-88aa-46f4-a59a-948a5739c03d", "name": "WhatsApp"}}], "modification": "append"}
//! ```

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{ModifierError, Reader, Ref, Target};
use crate::urns;

/// How a list of URNs changes the contact's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UrnsModification {
    /// Adds the URNs the contact does not have yet, at the end.
    Append,
    /// Removes the URNs, whatever their channel.
    Remove,
    /// Makes the contact's URNs exactly these, in this order.
    Set,
}

/// A URN and the channel to reach the contact through on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub urn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Ref>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Routes {
    pub routes: Vec<Route>,
    pub modification: UrnsModification,
}

impl Routes {
    pub(super) fn read(r: &Reader) -> Result<Routes, ModifierError> {
        Ok(Routes {
            routes: r.optional("routes")?.unwrap_or_default(),
            modification: r.required("modification")?,
        })
    }

    pub(super) fn apply(&self, t: &mut Target) -> bool {
        let routes: Vec<(&str, Option<&Ref>)> = self
            .routes
            .iter()
            .map(|r| (r.urn.as_str(), r.channel.as_ref()))
            .collect();
        modify_urns(t, &routes, self.modification)
    }
}

/// The one implementation behind `routes` and `urns` (and the `add_contact_urn` action).
pub(super) fn modify_urns(
    t: &mut Target,
    routes: &[(&str, Option<&Ref>)],
    modification: UrnsModification,
) -> bool {
    let assets = t.assets;
    // normalised and valid URNs, with the channel UUID of each route
    let mut wanted: Vec<(String, Option<String>)> = Vec::new();
    for (raw, channel) in routes {
        let urn = urns::normalise(raw, &t.env.default_country);
        if !urns::is_valid(&urn) {
            t.event(
                "error",
                json!({
                    "text": format!("'{urn}' is not valid URN"),
                    "code": "urn:invalid",
                    "extra": { "urn": urn },
                }),
            );
            continue;
        }
        let channel = match channel {
            Some(r) => t
                .resolve(&assets.channels, "channel", r)
                .map(|_| r.uuid.clone()),
            None => None,
        };
        wanted.push((urn, channel));
    }
    let current = t.contact.urns.clone();
    let find = |list: &[String], urn: &str| {
        let id = urns::identity(urn);
        list.iter().position(|u| urns::identity(u) == id)
    };
    let mut new: Vec<String> = match modification {
        UrnsModification::Remove => {
            let gone: Vec<String> = wanted.iter().map(|(u, _)| urns::identity(u)).collect();
            current
                .iter()
                .filter(|u| !gone.contains(&urns::identity(u)))
                .cloned()
                .collect()
        }
        UrnsModification::Append => current.clone(),
        UrnsModification::Set => Vec::new(),
    };
    if modification != UrnsModification::Remove {
        for (urn, channel) in &wanted {
            if let Some(pos) = find(&new, urn) {
                // already listed: only its channel may change
                if let Some(c) = channel {
                    new[pos] = urns::with_channel(&new[pos], Some(c));
                }
                continue;
            }
            let item = match find(&current, urn) {
                Some(pos) => match channel {
                    Some(c) => urns::with_channel(&current[pos], Some(c)),
                    None => current[pos].clone(),
                },
                None => {
                    if is_taken(t, urn) {
                        continue;
                    }
                    match channel {
                        Some(c) => urns::with_channel(urn, Some(c)),
                        None => urn.clone(),
                    }
                }
            };
            new.push(item);
        }
    }
    set_urns(t, new)
}

/// Whether another contact has the URN, reported as an `urn:taken` error.
fn is_taken(t: &mut Target, urn: &str) -> bool {
    let taken = match t.services.urn_claims.as_mut() {
        Some(claims) => claims.is_taken(t.contact, urn),
        None => false,
    };
    if taken {
        let urn = urns::with_channel(urn, None);
        t.event(
            "error",
            json!({
                "text": "URN is taken by another contact",
                "code": "urn:taken",
                "extra": { "urn": urn },
            }),
        );
    }
    taken
}

/// Gives the contact these URNs, with `contact_urns_changed` when they differ.
pub(super) fn set_urns(t: &mut Target, new: Vec<String>) -> bool {
    if new == t.contact.urns {
        return false;
    }
    t.contact.urns = new;
    let urns = t.contact.urns.clone();
    t.event("contact_urns_changed", json!({ "urns": urns }));
    true
}
