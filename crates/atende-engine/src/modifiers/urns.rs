//! `urns`: adds, removes or replaces the contact's URNs (`contact_urns_changed`); the
//! URNs the contact keeps keep their channel. The same change as `routes`, without
//! channels.
//!
//! ```json
//! {"type": "urns", "urns": ["tel:+5511987654321"], "modification": "append"}
//! ```

use serde::Serialize;

use super::routes::{modify_urns, UrnsModification};
use super::{ModifierError, Reader, Target};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Urns {
    pub urns: Vec<String>,
    pub modification: UrnsModification,
}

impl Urns {
    pub(super) fn read(r: &Reader) -> Result<Urns, ModifierError> {
        Ok(Urns {
            urns: r.optional("urns")?.unwrap_or_default(),
            modification: r.required("modification")?,
        })
    }

    pub(super) fn apply(&self, t: &mut Target) -> bool {
        let routes: Vec<(&str, Option<&super::Ref>)> =
            self.urns.iter().map(|u| (u.as_str(), None)).collect();
        modify_urns(t, &routes, self.modification)
    }
}
