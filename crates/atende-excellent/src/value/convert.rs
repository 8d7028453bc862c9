//! goflow's conversion rules: rendering to text, reading numbers and booleans, JSON
//! output, equality and ordering. Date and time conversions live in `crate::dates`.

use std::fmt::Write;

use rust_decimal::Decimal;

use super::{Func, Object, Value};

/// Parses a decimal literal or numeric text (`"1.5"`, `" -2 "`, `"1e3"`); `None` when it
/// is not a number or does not fit.
pub fn parse_decimal(s: &str) -> Option<Decimal> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let valid = !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_digit() || b == b'.' || b == b'e' || b == b'E' || b == b'-' || b == b'+'
        })
        && body.bytes().filter(|&b| b == b'.').count() <= 1
        && body.as_bytes()[0] != b'e'
        && body.as_bytes()[0] != b'E';
    if !valid {
        return None;
    }
    if body.contains(['e', 'E']) {
        return Decimal::from_scientific(s).ok();
    }
    if body.contains(['-', '+']) {
        return None;
    }
    Decimal::from_str_exact(s).ok()
}

/// A number as goflow writes it: plain decimal, no exponent, no trailing zeros.
pub fn format_decimal(d: &Decimal) -> String {
    let n = d.normalize();
    if n.is_zero() {
        return "0".into();
    }
    n.to_string()
}

impl Value {
    /// Describes the value inside error messages: text is quoted, the rest rendered.
    pub fn describe(&self) -> String {
        match self {
            Value::Text(t) => serde_json::to_string(t.as_ref()).unwrap_or_default(),
            Value::Null => "null".into(),
            Value::Error(_) => "error".into(),
            Value::Object(o) => match &o.default {
                Some(d) => d.describe(),
                None => self.render(),
            },
            _ => self.render(),
        }
    }

    /// The text form used in templates and by `text()`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    pub fn render_into(&self, out: &mut String) {
        match self {
            Value::Null => {}
            Value::Text(t) => out.push_str(t),
            Value::Number(n) => out.push_str(&format_decimal(n)),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Date(d) => out.push_str(&crate::dates::iso_date(*d)),
            Value::Time(t) => out.push_str(&crate::dates::iso_time(*t)),
            Value::DateTime(z) => out.push_str(&crate::dates::iso_datetime(z)),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.render_into(out);
                }
                out.push(']');
            }
            Value::Object(o) => match &o.default {
                Some(d) => d.render_into(out),
                None => {
                    out.push('{');
                    for (i, (k, v)) in o.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        out.push_str(k);
                        out.push_str(": ");
                        v.render_into(out);
                    }
                    out.push('}');
                }
            },
            Value::Function(f) => out.push_str(f.name()),
            Value::Error(e) => out.push_str(e),
        }
    }

    /// Text conversion: errors stay errors, everything else renders.
    pub fn to_text(&self) -> Result<String, Value> {
        match self {
            Value::Error(_) => Err(self.clone()),
            Value::Text(t) => Ok(t.to_string()),
            _ => Ok(self.render()),
        }
    }

    /// Number conversion (`unable to convert "x" to a number`).
    pub fn to_number(&self) -> Result<Decimal, Value> {
        match self {
            Value::Number(n) => Ok(*n),
            Value::Error(_) => Err(self.clone()),
            Value::Text(t) => parse_decimal(t).ok_or_else(|| self.conversion_error("a number")),
            Value::Object(o) => match &o.default {
                Some(d) => d.to_number(),
                None => Err(self.conversion_error("a number")),
            },
            _ => Err(self.conversion_error("a number")),
        }
    }

    /// Truthiness: empty text, `"false"`, zero, empty collections, midnight and null are false.
    pub fn to_bool(&self) -> Result<bool, Value> {
        Ok(match self {
            Value::Null => false,
            Value::Error(_) => return Err(self.clone()),
            Value::Text(t) => !(t.is_empty() || t.eq_ignore_ascii_case("false")),
            Value::Number(n) => !n.is_zero(),
            Value::Bool(b) => *b,
            Value::Time(t) => *t != jiff::civil::Time::midnight(),
            Value::Date(_) | Value::DateTime(_) | Value::Function(_) => true,
            Value::Array(a) => !a.is_empty(),
            Value::Object(o) => match &o.default {
                Some(d) => return d.to_bool(),
                None => !o.is_empty(),
            },
        })
    }

    /// The error for a failed conversion, e.g. `unable to convert "x" to a number`.
    pub fn conversion_error(&self, to: &str) -> Value {
        match self {
            Value::Error(_) => self.clone(),
            _ => Value::error(format!("unable to convert {} to {to}", self.describe())),
        }
    }

    /// Compact JSON as `json()` writes it (sorted object keys, dates as ISO strings).
    pub fn to_json_string(&self) -> Result<String, Value> {
        let mut out = String::new();
        self.write_json(&mut out)?;
        Ok(out)
    }

    fn write_json(&self, out: &mut String) -> Result<(), Value> {
        match self {
            Value::Error(_) => return Err(self.clone()),
            Value::Null | Value::Function(_) => out.push_str("null"),
            Value::Text(t) => write_json_string(out, t),
            Value::Number(n) => out.push_str(&format_decimal(n)),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Date(_) | Value::Time(_) | Value::DateTime(_) => {
                write_json_string(out, &self.render())
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out)?;
                }
                out.push(']');
            }
            Value::Object(o) => write_json_object(out, o)?,
        }
        Ok(())
    }

    /// Equality as the `=` operator sees it.
    pub fn equals(&self, other: &Value) -> Result<bool, Value> {
        let (a, b) = (self.default_or_self(), other.default_or_self());
        if let Value::Error(_) = a {
            return Err(a.clone());
        }
        if let Value::Error(_) = b {
            return Err(b.clone());
        }
        Ok(match (a, b) {
            (Value::Null, Value::Null) => true,
            (Value::Number(x), Value::Number(y)) => x == y,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Date(x), Value::Date(y)) => x == y,
            (Value::Time(x), Value::Time(y)) => x == y,
            (Value::DateTime(x), Value::DateTime(y)) => x.timestamp() == y.timestamp(),
            (Value::Function(x), Value::Function(y)) => match (x, y) {
                (Func::Native(f), Func::Native(g)) => f.name == g.name,
                _ => false,
            },
            (Value::Number(x), Value::Text(t)) | (Value::Text(t), Value::Number(x)) => {
                match parse_decimal(t) {
                    Some(y) => *x == y,
                    None => false,
                }
            }
            _ => a.render() == b.render(),
        })
    }
}

fn write_json_object(out: &mut String, o: &Object) -> Result<(), Value> {
    out.push('{');
    for (i, (k, v)) in o.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_json_string(out, k);
        out.push(':');
        v.write_json(out)?;
    }
    out.push('}');
    Ok(())
}

/// JSON string escaping without HTML escaping (goflow marshals with HTML escaping off).
pub(crate) fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Formats a number with the environment's symbols: `places` decimals (rounded half
/// away from zero, padded) or as many as it has; digit grouping when `group` is set.
pub fn format_number_with(
    n: &Decimal,
    places: Option<u32>,
    group: bool,
    nf: &crate::env::NumberFormat,
) -> String {
    let n = match places {
        Some(p) => {
            let mut r =
                n.round_dp_with_strategy(p, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            r.rescale(p);
            r
        }
        None => n.normalize(),
    };
    let s = n.abs().to_string();
    let (int_part, frac_part) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s.as_str(), None),
    };
    let mut out = String::new();
    if n.is_sign_negative() && !n.is_zero() {
        out.push('-');
    }
    if group && int_part.len() > 3 {
        let first = int_part.len() % 3;
        if first > 0 {
            out.push_str(&int_part[..first]);
        }
        for (i, chunk) in int_part.as_bytes()[first..].chunks(3).enumerate() {
            if i > 0 || first > 0 {
                out.push_str(&nf.digit_grouping_symbol);
            }
            out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        }
    } else {
        out.push_str(int_part);
    }
    if let Some(f) = frac_part {
        if !f.is_empty() {
            out.push_str(&nf.decimal_symbol);
            out.push_str(f);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        assert_eq!(
            format_decimal(&parse_decimal("123.45000").unwrap()),
            "123.45"
        );
        assert_eq!(format_decimal(&parse_decimal("-0.0").unwrap()), "0");
        assert_eq!(parse_decimal("1,5"), None);
        assert_eq!(parse_decimal(" 12 ").unwrap(), Decimal::from(12));
        assert!(parse_decimal("1234567890123456789012345678901234567").is_none());
    }
}
