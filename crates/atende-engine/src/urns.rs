//! URNs as contacts hold them: `scheme:path?query#display`, e.g.
//! `tel:+5511987654321?channel=57f1078f-…` or `twitterid:54784326227#nyaruka`.
//! Normalising (phone numbers in E.164, lower-case handles), validating, and the
//! `channel` query parameter that records which channel a URN is routed through.

use crate::contact::URN_SCHEMES;

/// A URN split into its parts (each may be empty except the scheme).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts<'a> {
    pub scheme: &'a str,
    pub path: &'a str,
    /// The query without its `?` (`channel=…`).
    pub query: &'a str,
    /// The display part without its `#` (a handle shown beside a numeric id).
    pub display: &'a str,
}

/// Splits a URN into scheme, path, query and display; `None` without a `scheme:`.
pub fn parse(urn: &str) -> Option<Parts<'_>> {
    let (scheme, rest) = urn.split_once(':')?;
    if scheme.is_empty() {
        return None;
    }
    let (rest, display) = rest.split_once('#').unwrap_or((rest, ""));
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    Some(Parts {
        scheme,
        path,
        query,
        display,
    })
}

fn join(scheme: &str, path: &str, query: &str, display: &str) -> String {
    let mut s = format!("{scheme}:{path}");
    if !query.is_empty() {
        s.push('?');
        s.push_str(query);
    }
    if !display.is_empty() {
        s.push('#');
        s.push_str(display);
    }
    s
}

/// `scheme:path`: what makes two URNs the same address, whatever their channel or display.
pub fn identity(urn: &str) -> String {
    match parse(urn) {
        Some(p) => format!("{}:{}", p.scheme, p.path),
        None => urn.to_string(),
    }
}

/// The channel UUID of a URN's `channel` query parameter.
pub fn channel(urn: &str) -> Option<&str> {
    parse(urn)?
        .query
        .split('&')
        .find_map(|kv| kv.strip_prefix("channel="))
        .filter(|c| !c.is_empty())
}

/// The URN routed through `channel` (or through none), other parameters and the display
/// kept: `twitterid:1#bob` + `c` → `twitterid:1?channel=c#bob`.
pub fn with_channel(urn: &str, channel: Option<&str>) -> String {
    let Some(p) = parse(urn) else {
        return urn.to_string();
    };
    let mut params: Vec<String> = p
        .query
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("channel="))
        .map(str::to_owned)
        .collect();
    if let Some(c) = channel {
        params.insert(0, format!("channel={c}"));
    }
    join(p.scheme, p.path, &params.join("&"), p.display)
}

/// The URN as stored: scheme in lower case, phone numbers in E.164 when they parse (for
/// `country` when they have no `+`), Twitter handles and e-mail addresses in lower case.
/// Query and display are kept.
pub fn normalise(urn: &str, country: &str) -> String {
    let Some(p) = parse(urn.trim()) else {
        return urn.trim().to_string();
    };
    let scheme = p.scheme.trim().to_lowercase();
    let path = p.path.trim();
    let path = match scheme.as_str() {
        "tel" => normalise_phone(path, country),
        "twitter" => path.trim_start_matches('@').to_lowercase(),
        "mailto" => path.to_lowercase(),
        _ => path.to_string(),
    };
    join(&scheme, &path, p.query, p.display)
}

/// A phone number in E.164 when it is a valid number for `country`, or written without
/// its leading `+`; otherwise its digits (and a leading `+`), so short codes survive.
fn normalise_phone(path: &str, country: &str) -> String {
    let region = country.parse::<phonenumber::country::Id>().ok();
    let e164 = |n: phonenumber::PhoneNumber| n.format().mode(phonenumber::Mode::E164).to_string();
    if let Ok(n) = phonenumber::parse(region, path) {
        if phonenumber::is_valid(&n) {
            return e164(n);
        }
    }
    let digits: String = path.chars().filter(char::is_ascii_digit).collect();
    let plus = path.trim_start().starts_with('+');
    if !plus && digits.len() >= 10 {
        // an international number missing its `+`
        if let Ok(n) = phonenumber::parse(None, format!("+{digits}")) {
            if phonenumber::is_valid(&n) {
                return e164(n);
            }
        }
    }
    if plus {
        format!("+{digits}")
    } else {
        digits
    }
}

/// Whether a normalised URN is one a contact may have: a known scheme and a path that
/// fits it (numeric ids, e-mail addresses, phone numbers or short codes, handles).
pub fn is_valid(urn: &str) -> bool {
    let Some(p) = parse(urn) else {
        return false;
    };
    if !URN_SCHEMES.contains(&p.scheme) || p.path.is_empty() {
        return false;
    }
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    match p.scheme {
        "telegram" | "whatsapp" | "twitterid" => numeric(p.path),
        "mailto" => p
            .path
            .split_once('@')
            .is_some_and(|(u, d)| !u.is_empty() && d.contains('.')),
        "tel" => {
            let rest = p.path.strip_prefix('+').unwrap_or(p.path);
            !rest.is_empty() && rest.len() <= 64 && rest.bytes().all(|c| c.is_ascii_alphanumeric())
        }
        "twitter" => {
            p.path.len() <= 15
                && p.path
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_')
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_and_identity() {
        let p = parse("twitterid:54784326227?channel=c1#nyaruka").unwrap();
        assert_eq!(
            (p.scheme, p.path, p.query, p.display),
            ("twitterid", "54784326227", "channel=c1", "nyaruka")
        );
        assert_eq!(identity("tel:+12065551212?channel=c1"), "tel:+12065551212");
        assert_eq!(channel("tel:+12065551212?channel=c1"), Some("c1"));
        assert_eq!(channel("tel:+12065551212"), None);
        assert!(parse("nothing").is_none());
    }

    #[test]
    fn channel_goes_in_the_query_before_the_display() {
        assert_eq!(
            with_channel("twitterid:54784326227#nyaruka", Some("c2")),
            "twitterid:54784326227?channel=c2#nyaruka"
        );
        assert_eq!(
            with_channel("tel:+1206?channel=c1", Some("c2")),
            "tel:+1206?channel=c2"
        );
        assert_eq!(with_channel("tel:+1206?channel=c1", None), "tel:+1206");
    }

    #[test]
    fn urns_are_normalised() {
        assert_eq!(normalise("tel:(206) 555-1212", "US"), "tel:+12065551212");
        assert_eq!(normalise("tel:+1 (701) 222 2222", ""), "tel:+17012222222");
        assert_eq!(normalise("tel: 12044443333 ", "RW"), "tel:+12044443333");
        assert_eq!(normalise("tel:1234", "BR"), "tel:1234");
        assert_eq!(normalise("Twitter:@TAKEN123", ""), "twitter:taken123");
        assert_eq!(
            normalise("mailto:Bob@Nyaruka.com", ""),
            "mailto:bob@nyaruka.com"
        );
    }

    #[test]
    fn validity_by_scheme() {
        assert!(!is_valid("xyz:12345"));
        assert!(!is_valid("telegram:qwerty"));
        assert!(is_valid("telegram:123456"));
        assert!(is_valid("mailto:bob@nyaruka.com"));
        assert!(!is_valid("mailto:bob"));
        assert!(is_valid("tel:+12065551212"));
        assert!(is_valid("tel:1234"));
        assert!(!is_valid("tel:"));
        assert!(is_valid("twitter:taken123"));
    }
}
