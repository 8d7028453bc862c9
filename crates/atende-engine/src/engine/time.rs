//! Timestamps as goflow writes them (RFC 3339, trailing zeros of the fraction
//! trimmed), and rewriting JSON timestamps the way Go re-serialises them.

use serde_json::Value as Json;

/// Rewrites RFC 3339 timestamps in `json` the way Go re-serialises them
/// (`2000-01-01T00:00:00.000000000-00:00` → `2000-01-01T00:00:00Z`), keeping offsets.
pub fn normalise_times(json: Json) -> Json {
    match json {
        Json::String(s) => Json::String(go_time(&s).unwrap_or(s)),
        Json::Array(a) => Json::Array(a.into_iter().map(normalise_times).collect()),
        Json::Object(o) => Json::Object(
            o.into_iter()
                .map(|(k, v)| (k, normalise_times(v)))
                .collect(),
        ),
        other => other,
    }
}

/// A timestamp text in Go's RFC3339Nano form, or `None` when `s` is not one.
pub(crate) fn go_time(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[10] != b'T' {
        return None;
    }
    let ts: jiff::Timestamp = s.parse().ok()?;
    let offset = if s.ends_with('Z') || s.ends_with("-00:00") || s.ends_with("+00:00") {
        0
    } else {
        let tail = &s[s.len() - 6..];
        let sign = if tail.starts_with('-') { -1 } else { 1 };
        sign * (tail[1..3].parse::<i32>().ok()? * 3600 + tail[4..6].parse::<i32>().ok()? * 60)
    };
    if offset == 0 {
        return Some(format_time(ts));
    }
    let off = jiff::tz::Offset::from_seconds(offset).ok()?;
    let dt = off.to_datetime(ts);
    let main = dt.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    let frac = format!("{:09}", dt.subsec_nanosecond());
    let frac = frac.trim_end_matches('0');
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.abs();
    let suffix = format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60);
    Some(if frac.is_empty() {
        format!("{main}{suffix}")
    } else {
        format!("{main}.{frac}{suffix}")
    })
}

/// goflow's timestamp format (RFC 3339 with trailing zeros of the fraction trimmed).
pub fn format_time(ts: jiff::Timestamp) -> String {
    // on the hot path (every event): civil UTC fields written as digits, no fmt machinery
    fn digits(out: &mut Vec<u8>, mut v: u32, width: usize) {
        let at = out.len();
        out.resize(at + width, b'0');
        for i in (0..width).rev() {
            out[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    }
    let dt = jiff::tz::Offset::UTC.to_datetime(ts);
    let mut out = Vec::with_capacity(30);
    let year = i32::from(dt.year());
    if year < 0 {
        out.push(b'-');
    }
    digits(&mut out, year.unsigned_abs(), 4);
    out.push(b'-');
    digits(&mut out, dt.month() as u32, 2);
    out.push(b'-');
    digits(&mut out, dt.day() as u32, 2);
    out.push(b'T');
    digits(&mut out, dt.hour() as u32, 2);
    out.push(b':');
    digits(&mut out, dt.minute() as u32, 2);
    out.push(b':');
    digits(&mut out, dt.second() as u32, 2);
    let mut nanos = dt.subsec_nanosecond() as u32;
    if nanos > 0 {
        let mut width = 9;
        while nanos.is_multiple_of(10) {
            nanos /= 10;
            width -= 1;
        }
        out.push(b'.');
        digits(&mut out, nanos, width);
    }
    out.push(b'Z');
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_like_go() {
        let t: jiff::Timestamp = "2025-05-04T12:30:45.123456789Z".parse().unwrap();
        assert_eq!(format_time(t), "2025-05-04T12:30:45.123456789Z");
        let t: jiff::Timestamp = "2000-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(format_time(t), "2000-01-01T00:00:00Z");
        let t: jiff::Timestamp = "2000-01-01T00:00:00.05Z".parse().unwrap();
        assert_eq!(format_time(t), "2000-01-01T00:00:00.05Z");
        let t: jiff::Timestamp = "1969-12-31T23:59:59.000000001Z".parse().unwrap();
        assert_eq!(format_time(t), "1969-12-31T23:59:59.000000001Z");
    }
}
