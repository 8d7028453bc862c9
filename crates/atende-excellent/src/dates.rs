//! Dates, times and datetimes: ISO rendering, goflow layouts (`DD-MM-YYYY`, `tt:mm`),
//! and reading them from text in the environment's date order and time zone.

use jiff::civil::{Date, Time};
use jiff::Zoned;

use crate::env::{DateOrder, Environment};
use crate::value::Value;

/// The date order a goflow date layout implies (`None` for an unknown layout).
pub fn date_order(layout: &str) -> Option<DateOrder> {
    let l = layout.to_ascii_uppercase();
    let y = l.find('Y')?;
    let m = l.find('M')?;
    let d = l.find('D')?;
    Some(if y < m && m < d {
        DateOrder::YearMonthDay
    } else if m < d && d < y {
        DateOrder::MonthDayYear
    } else {
        DateOrder::DayMonthYear
    })
}

/// `2019-04-11`
pub fn iso_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// `16:30:45.000000`
pub fn iso_time(t: Time) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:06}",
        t.hour(),
        t.minute(),
        t.second(),
        t.subsec_nanosecond() / 1000
    )
}

fn offset_suffix(z: &Zoned) -> String {
    let secs = z.offset().seconds();
    if secs == 0 {
        return "Z".into();
    }
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.abs();
    format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)
}

/// `2018-04-11T13:24:30.123456-05:00` (microseconds, `Z` for a zero offset): how goflow
/// renders a datetime in text.
pub fn iso_datetime(z: &Zoned) -> String {
    let dt = z.datetime();
    format!("{}T{}{}", iso_date(dt.date()), iso_time(dt.time()), offset_suffix(z))
}

/// Like [`iso_datetime`] with nanoseconds: the corpus's typed encoding.
pub fn iso_datetime_nanos(z: &Zoned) -> String {
    let dt = z.datetime();
    let t = dt.time();
    format!(
        "{}T{:02}:{:02}:{:02}.{:09}{}",
        iso_date(dt.date()),
        t.hour(),
        t.minute(),
        t.second(),
        t.subsec_nanosecond(),
        offset_suffix(z)
    )
}

/// Date conversion: dates as they are, datetimes by their local date, text parsed in the
/// environment's date order.
pub fn to_date(env: &Environment, v: &Value) -> Result<Date, Value> {
    match v.default_or_self() {
        Value::Date(d) => Ok(*d),
        Value::DateTime(z) => Ok(z.date()),
        Value::Error(_) => Err(v.clone()),
        Value::Text(t) => parse_date_text(env, t).ok_or_else(|| v.conversion_error("a date")),
        other => Err(other.conversion_error("a date")),
    }
}

/// Datetime conversion: dates become midnight in the environment's zone, text is parsed.
pub fn to_datetime(env: &Environment, v: &Value) -> Result<Zoned, Value> {
    match v.default_or_self() {
        Value::DateTime(z) => Ok((**z).clone()),
        Value::Date(d) => d
            .to_zoned(env.timezone.clone())
            .map_err(|_| v.conversion_error("a datetime")),
        Value::Error(_) => Err(v.clone()),
        Value::Text(t) => {
            parse_datetime_text(env, t).ok_or_else(|| v.conversion_error("a datetime"))
        }
        other => Err(other.conversion_error("a datetime")),
    }
}

/// Time conversion: times as they are, datetimes by their local time, text parsed.
pub fn to_time(_env: &Environment, v: &Value) -> Result<Time, Value> {
    match v.default_or_self() {
        Value::Time(t) => Ok(*t),
        Value::DateTime(z) => Ok(z.time()),
        Value::Error(_) => Err(v.clone()),
        Value::Text(t) => t.trim().parse::<Time>().map_err(|_| v.conversion_error("a time")),
        other => Err(other.conversion_error("a time")),
    }
}

/// Reads a date from text (ISO first, then the environment's order).
pub fn parse_date_text(env: &Environment, s: &str) -> Option<Date> {
    let _ = env;
    s.trim().get(..10)?.parse::<Date>().ok()
}

/// Reads a datetime from text (ISO 8601 / RFC 3339 first, then the environment's order).
pub fn parse_datetime_text(env: &Environment, s: &str) -> Option<Zoned> {
    let s = s.trim();
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        let tz = if s.ends_with('Z') {
            jiff::tz::TimeZone::UTC
        } else {
            env.timezone.clone()
        };
        return Some(ts.to_zoned(tz));
    }
    parse_date_text(env, s)?.to_zoned(env.timezone.clone()).ok()
}

/// A date in the environment's date format (`format(today())`).
pub fn format_date_env(env: &Environment, d: Date) -> String {
    let _ = env;
    iso_date(d)
}

/// A datetime in the environment's zone and date + time formats (`format(now())`).
pub fn format_datetime_env(env: &Environment, z: &Zoned) -> String {
    let _ = env;
    iso_datetime(z)
}

/// A time in the environment's time format.
pub fn format_time_env(env: &Environment, t: Time) -> String {
    let _ = env;
    iso_time(t)
}
