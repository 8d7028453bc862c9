//! Encoded text functions: `urn_parts`, `attachment_parts`, `format_urn`.
//!
//! A URN is `scheme:path[?query][#display]` (`%23`, `%25` and `%3F` escape `#`, `%`
//! and `?`); an attachment is `content-type:url`.
//!
//! `format_urn` writes international phone numbers (`tel:+…`) in their national format
//! (libphonenumber metadata, via the `phonenumber` crate); anything else that doesn't
//! parse as a number is shown as stored. Redaction is applied where URNs enter the
//! context (a redacted URN `tel:********` formats as `********`), as in goflow.

use std::sync::OnceLock;

use regex::Regex;

use super::{tri, FunctionDef};
use crate::eval::Evaluator;
use crate::value::{Object, Value};

pub(crate) const FUNCTIONS: &[FunctionDef] = &[
    FunctionDef::new("urn_parts", 1, Some(1), urn_parts),
    FunctionDef::new("attachment_parts", 1, Some(1), attachment_parts),
    FunctionDef::new("format_urn", 1, Some(1), format_urn),
];

/// The parts of a URN.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Urn {
    pub scheme: String,
    pub path: String,
    pub query: String,
    pub display: String,
}

fn unescape_urn(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let decoded = match rest.get(..3) {
            Some("%23") => Some('#'),
            Some("%25") => Some('%'),
            Some("%3F") => Some('?'),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[3..];
            }
            None => {
                out.push('%');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Parses `scheme:path[?query][#display]` (goflow's syntax rules; no semantic checks).
pub fn parse_urn(s: &str) -> Result<Urn, String> {
    #[derive(PartialEq)]
    enum State {
        Scheme,
        Path,
        Query,
        Fragment,
    }
    let mut state = State::Scheme;
    let mut parts: [String; 4] = Default::default();
    for c in s.chars() {
        match c {
            ':' if state == State::Scheme => {
                state = State::Path;
                continue;
            }
            '?' => {
                if state == State::Path {
                    state = State::Query;
                    continue;
                }
                return Err("query component can only come after path component".into());
            }
            '#' => {
                if state == State::Path || state == State::Query {
                    state = State::Fragment;
                    continue;
                }
                return Err(
                    "fragment component can only come after path or query components".into(),
                );
            }
            _ => {}
        }
        let i = match state {
            State::Scheme => 0,
            State::Path => 1,
            State::Query => 2,
            State::Fragment => 3,
        };
        parts[i].push(c);
    }
    if parts[0].is_empty() {
        return Err("scheme cannot be empty".into());
    }
    if parts[1].is_empty() {
        return Err("path cannot be empty".into());
    }
    let [scheme, path, query, display] = parts;
    Ok(Urn {
        scheme: unescape_urn(&scheme),
        path: unescape_urn(&path),
        query: unescape_urn(&query),
        display: unescape_urn(&display),
    })
}

fn parse_urn_arg(text: &str) -> Result<Urn, Value> {
    parse_urn(text).map_err(|e| Value::error(format!("{text} is not a valid URN: {e}")))
}

/// `urn_parts(urn)`: `@(urn_parts("twitterid:3263621177#bobby"))` → `{display: bobby, path: 3263621177, scheme: twitterid}`.
fn urn_parts(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let urn = tri!(parse_urn_arg(&text));
    let mut o = Object::new();
    o.insert("display", Value::text(urn.display));
    o.insert("path", Value::text(urn.path));
    o.insert("scheme", Value::text(urn.scheme));
    Value::Object(std::sync::Arc::new(o))
}

/// Splits an attachment into its content type (empty when there isn't a valid one) and URL.
pub fn attachment_to_parts(a: &str) -> (String, String) {
    fn content_type() -> &'static Regex {
        static RE: OnceLock<Regex> = OnceLock::new();
        RE.get_or_init(|| {
            Regex::new(r"^(image|audio|video|application|geo|unavailable|([0-9A-Za-z_]+/[-+.0-9A-Za-z_]+))$")
                .expect("valid regex")
        })
    }
    if let Some((t, url)) = a.split_once(':') {
        let t = t.to_ascii_lowercase();
        if content_type().is_match(&t) {
            return (t, url.to_string());
        }
    }
    (String::new(), a.to_string())
}

/// `attachment_parts(attachment)`: `@(attachment_parts("image/jpeg:https://example.com/test.jpg"))` → `{content_type: image/jpeg, url: https://example.com/test.jpg}`.
fn attachment_parts(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let (content_type, url) = attachment_to_parts(&text);
    let mut o = Object::new();
    o.insert("content_type", Value::text(content_type));
    o.insert("url", Value::text(url));
    Value::Object(std::sync::Arc::new(o))
}

/// `format_urn(urn)`: `@(format_urn("tel:+250781234567"))` → `0781 234 567`.
fn format_urn(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let urn = tri!(parse_urn_arg(&text));
    Value::text(format_parsed_urn(&urn))
}

/// A URN as people read it: its display if it has one, phone numbers nationally
/// formatted, otherwise its path.
pub fn format_parsed_urn(urn: &Urn) -> String {
    if !urn.display.is_empty() {
        return urn.display.clone();
    }
    if urn.scheme == "tel" {
        if let Some(formatted) = format_phone_national(&urn.path) {
            return formatted;
        }
    }
    urn.path.clone()
}

/// Formats an international number (`+250781234567`) the national way (`0781 234 567`)
/// with libphonenumber's metadata; `None` for local numbers (no `+`) and text that
/// isn't a phone number.
pub fn format_phone_national(number: &str) -> Option<String> {
    let number = number.trim();
    if !number.starts_with('+') {
        return None;
    }
    // the parser panics on some malformed input; treat that as "not a number"
    let parsed = std::panic::catch_unwind(|| phonenumber::parse(None, number)).ok()?;
    let parsed = parsed.ok()?;
    Some(
        parsed
            .format()
            .mode(phonenumber::Mode::National)
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urns() {
        let u = parse_urn("scheme:pa%25th:more?qu%23ery#fra%3Fg").unwrap();
        assert_eq!(
            u,
            Urn {
                scheme: "scheme".into(),
                path: "pa%th:more".into(),
                query: "qu#ery".into(),
                display: "fra?g".into(),
            }
        );
        assert_eq!(parse_urn("").unwrap_err(), "scheme cannot be empty");
        assert_eq!(parse_urn("xxxx").unwrap_err(), "path cannot be empty");
        assert_eq!(parse_urn("tel:").unwrap_err(), "path cannot be empty");
        assert_eq!(parse_urn(":xxxx").unwrap_err(), "scheme cannot be empty");
        assert_eq!(
            parse_urn("tel:46362#rrh#gege").unwrap_err(),
            "fragment component can only come after path or query components"
        );
        assert!(parse_urn("scheme:path?query?query").is_err());
        assert!(parse_urn("scheme:path#frag?query").is_err());
        assert_eq!(parse_urn("xyz:abc").unwrap().path, "abc");
    }

    fn fmt(s: &str) -> String {
        format_parsed_urn(&parse_urn(s).unwrap())
    }

    #[test]
    fn formats_urns() {
        assert_eq!(fmt("tel:+250788383383"), "0788 383 383");
        assert_eq!(fmt("tel:+250781234567"), "0781 234 567");
        assert_eq!(fmt("tel:+250788383383#my-phone"), "my-phone");
        assert_eq!(fmt("tel:+14132378053"), "(413) 237-8053");
        assert_eq!(fmt("tel:+12024561111?channel=abc"), "(202) 456-1111");
        assert_eq!(fmt("tel:+5511987654321"), "(11) 98765-4321");
        assert_eq!(fmt("tel:+551132345678"), "(11) 3234-5678");
        assert_eq!(fmt("tel:+593979012345"), "097 901 2345");
        assert_eq!(fmt("tel:not-a-number"), "not-a-number");
        assert_eq!(fmt("tel:********"), "********");
        assert_eq!(fmt("tel:1337"), "1337");
        assert_eq!(fmt("tel:+447911123456"), "07911 123456");
        assert_eq!(fmt("tel:+999123456"), "+999123456");
        assert_eq!(fmt("tel:+12345678901234567890"), "+12345678901234567890");
        assert_eq!(fmt("twitter:85114#billy_bob"), "billy_bob");
        assert_eq!(fmt("twitter:billy_bob"), "billy_bob");
        assert_eq!(fmt("facebook:ref:12345?foo=bar&foo=zap"), "ref:12345");
        assert_eq!(fmt("mailto:foo@bar.com"), "foo@bar.com");
    }

    #[test]
    fn attachments() {
        let p = |s: &str| attachment_to_parts(s);
        assert_eq!(
            p("image/jpeg:http://s3.com/test.jpg"),
            ("image/jpeg".into(), "http://s3.com/test.jpg".into())
        );
        assert_eq!(
            p("IMAGE:http://x.com/a"),
            ("image".into(), "http://x.com/a".into())
        );
        assert_eq!(p("not_a_thing"), (String::new(), "not_a_thing".into()));
        assert_eq!(
            p("http://x.com/a.jpg"),
            (String::new(), "http://x.com/a.jpg".into())
        );
        assert_eq!(
            p("geo:-2.90875,-79.0117686"),
            ("geo".into(), "-2.90875,-79.0117686".into())
        );
    }
}
