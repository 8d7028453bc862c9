//! Template scanning: text with `@identifier.path` and `@(expression)` segments.
//!
//! Rules (goflow's): `@@` is a literal `@`; `@name.path` is an expression only when
//! `name` is a top-level context key (so `foo@bar.com` stays text); a trailing `.` is not
//! part of the path; `@(` must close with a balanced `)` outside string literals, or the
//! whole rest is literal text.

use std::sync::Arc;

use crate::parser::{parse, Expr, ParseError};

/// One piece of a scanned template.
#[derive(Debug, Clone)]
pub enum Segment {
    Text(Arc<str>),
    /// An expression segment: the source as written (for error messages, `@…`) and its
    /// parse result (a parse error is reported when the segment is evaluated).
    Expr {
        source: Arc<str>,
        expr: Result<Arc<Expr>, ParseError>,
    },
}

/// A scanned and parsed template, reusable across evaluations.
#[derive(Debug, Clone)]
pub struct Template {
    pub segments: Vec<Segment>,
}

impl Template {
    /// Scans `src`. `is_top_level` says whether a name is a top-level context key.
    pub fn parse(src: &str, is_top_level: &dyn Fn(&str) -> bool) -> Template {
        let mut segments = Vec::new();
        let mut text = String::new();
        let bytes = src.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let Some(rel) = src[i..].find('@') else {
                text.push_str(&src[i..]);
                break;
            };
            text.push_str(&src[i..i + rel]);
            i += rel;
            // at '@'
            match bytes.get(i + 1) {
                Some(b'@') => {
                    text.push('@');
                    i += 2;
                }
                Some(b'(') => match find_close(src, i + 2) {
                    Some(close) => {
                        flush(&mut segments, &mut text);
                        let inner = &src[i + 2..close];
                        segments.push(Segment::Expr {
                            source: src[i..=close].into(),
                            expr: parse(inner).map(Arc::new),
                        });
                        i = close + 1;
                    }
                    None => {
                        text.push_str(&src[i..]);
                        break;
                    }
                },
                _ => {
                    let end = scan_identifier(src, i + 1);
                    let ident = &src[i + 1..end];
                    let first = ident.split('.').next().unwrap_or("");
                    if !first.is_empty() && is_top_level(first) {
                        flush(&mut segments, &mut text);
                        segments.push(Segment::Expr {
                            source: src[i..end].into(),
                            expr: parse(ident).map(Arc::new),
                        });
                        i = end;
                    } else {
                        text.push('@');
                        i += 1;
                    }
                }
            }
        }
        flush(&mut segments, &mut text);
        Template { segments }
    }

    /// True when the template is exactly one expression segment (its value is typed).
    pub fn single_expression(&self) -> Option<&Segment> {
        match self.segments.as_slice() {
            [seg @ Segment::Expr { .. }] => Some(seg),
            _ => None,
        }
    }
}

fn flush(segments: &mut Vec<Segment>, text: &mut String) {
    if !text.is_empty() {
        segments.push(Segment::Text(std::mem::take(text).into()));
    }
}

/// `name(.part)*` where a part is a run of word characters; a dot not followed by a word
/// character ends the identifier. Returns the end index (shared with the flow migrations,
/// which must scan templates exactly as evaluation does).
pub fn scan_identifier(src: &str, start: usize) -> usize {
    let mut end = start;
    let mut first = true;
    let mut chars = src[start..].char_indices().peekable();
    loop {
        // one part
        let mut part_len = 0;
        while let Some(&(off, c)) = chars.peek() {
            let ok = if first && part_len == 0 {
                c == '_' || c.is_alphabetic()
            } else {
                c == '_' || c.is_alphanumeric()
            };
            if !ok {
                break;
            }
            part_len += 1;
            end = start + off + c.len_utf8();
            chars.next();
        }
        if part_len == 0 {
            return end;
        }
        first = false;
        match chars.peek() {
            Some(&(off, '.')) => {
                let after = &src[start + off + 1..];
                match after.chars().next() {
                    Some(c) if c == '_' || c.is_alphanumeric() => {
                        chars.next();
                    }
                    _ => return end,
                }
            }
            _ => return end,
        }
    }
}

/// Index of the `)` closing the `@(` whose content starts at `start`.
pub fn find_close(src: &str, start: usize) -> Option<usize> {
    let bytes = src.as_bytes();
    let mut depth = 1usize;
    let mut in_string = false;
    let mut i = start;
    while i < bytes.len() {
        let c = bytes[i];
        if in_string {
            match c {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match c {
                b'"' => in_string = true,
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<String> {
        Template::parse(src, &|n| n == "contact" || n == "s")
            .segments
            .iter()
            .map(|s| match s {
                Segment::Text(t) => format!("T:{t}"),
                Segment::Expr { source, .. } => format!("E:{source}"),
            })
            .collect()
    }

    #[test]
    fn scanning() {
        assert_eq!(kinds("foo@bar.com"), ["T:foo@bar.com"]);
        assert_eq!(kinds("@contact.name."), ["E:@contact.name", "T:."]);
        assert_eq!(kinds("@@s"), ["T:@s"]);
        assert_eq!(kinds("@(s"), ["T:@(s"]);
        assert_eq!(kinds("@s.@s"), ["E:@s", "T:.", "E:@s"]);
        assert_eq!(kinds("@(\")\" & s)x"), ["E:@(\")\" & s)", "T:x"]);
    }
}
