//! `add_contact_urn`: adds a URN, phone numbers in E.164 (`contact_urns_changed`), and
//! puts it in `@locals._has_urn` (empty when it was invalid) for the router.
//!
//! ```json
//! {"uuid": "b0a1b2c3-7e65-4a51-82d3-4e5f6a7b8c9d", "type": "add_contact_urn", "scheme": "tel", "path": "@results.phone.value"}
//! ```

use serde_json::json;

use crate::definition::action::AddContactUrn;
use crate::engine::Machine;
use crate::session::Session;

/// The local the router reads: the URN added (or already there), empty if invalid.
const HAS_URN: &str = "_has_urn";

/// A URN as stored: phone numbers in E.164 when they parse for the country.
fn normalise_urn(scheme: &str, path: &str, country: &str) -> String {
    let scheme = scheme.trim().to_lowercase();
    if scheme == "tel" {
        let region = country.parse::<phonenumber::country::Id>().ok();
        if let Ok(n) = phonenumber::parse(region, path) {
            if phonenumber::is_valid(&n) {
                return format!("tel:{}", n.format().mode(phonenumber::Mode::E164));
            }
        }
        let digits: String = path
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        return format!("tel:{digits}");
    }
    format!("{scheme}:{path}")
}

/// Whether a normalised URN's path fits its scheme, for the schemes whose paths are
/// numeric IDs or addresses (others accept any non-empty path).
fn is_valid_urn(urn: &str) -> bool {
    let Some((scheme, path)) = urn.split_once(':') else {
        return false;
    };
    let numeric = |p: &str| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit());
    match scheme {
        "telegram" | "whatsapp" | "twitterid" => numeric(path),
        "mailto" => path
            .split_once('@')
            .is_some_and(|(u, d)| !u.is_empty() && d.contains('.')),
        _ => !path.is_empty(),
    }
}

impl Machine<'_, '_> {
    pub(super) fn add_contact_urn(&mut self, session: &mut Session, idx: usize, a: &AddContactUrn) {
        let path = self.text(session, idx, &a.path).trim().to_string();
        if path.is_empty() {
            self.event("error", json!({ "text": "Can't add URN with empty path" }));
            return;
        }
        let urn = normalise_urn(&a.scheme, &path, &self.contact_country());
        let valid = is_valid_urn(&urn);
        let local = if valid { urn.as_str() } else { "" };
        session.runs[idx]
            .locals
            .insert(HAS_URN.into(), json!(local));
        if !valid {
            self.event(
                "error",
                json!({
                    "text": format!("'{urn}' is not valid URN"),
                    "code": "urn:invalid",
                    "extra": { "urn": urn },
                }),
            );
            return;
        }
        let exists = self
            .contact
            .urns
            .iter()
            .any(|u| crate::contact::urn_identity(u) == urn);
        if !exists {
            self.contact.urns.push(urn);
            let urns = self.contact.urns.clone();
            self.event("contact_urns_changed", json!({ "urns": urns }));
            self.reevaluate_groups();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urns_are_normalised() {
        assert_eq!(
            normalise_urn("tel", "(206) 555-1212", "US"),
            "tel:+12065551212"
        );
        assert_eq!(normalise_urn("Twitter", "ben", ""), "twitter:ben");
    }

    #[test]
    fn id_schemes_need_numeric_paths() {
        assert!(!is_valid_urn("telegram:qwerty"));
        assert!(is_valid_urn("telegram:123456"));
        assert!(is_valid_urn("mailto:bob@nyaruka.com"));
        assert!(!is_valid_urn("mailto:bob"));
    }
}
