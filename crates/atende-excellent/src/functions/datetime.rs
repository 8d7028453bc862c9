//! Date, time and datetime functions: conversions (`date`, `datetime`, `time`), parsing
//! and formatting with goflow layouts, arithmetic (`datetime_add`, `datetime_diff`,
//! `legacy_add`), parts and zones, and the clock (`now`, `today`, injected by the caller).

use rust_decimal::Decimal;

use super::{tri, FunctionDef};
use crate::dates;
use crate::eval::Evaluator;
use crate::value::{format_decimal, Value};

pub(crate) const FUNCTIONS: &[FunctionDef] = &[
    FunctionDef::new("date", 1, Some(1), date),
    FunctionDef::new("datetime", 1, Some(1), datetime),
    FunctionDef::new("time", 1, Some(1), time),
    FunctionDef::new("parse_datetime", 2, Some(3), parse_datetime),
    FunctionDef::new("datetime_from_epoch", 1, Some(1), datetime_from_epoch),
    FunctionDef::new("datetime_diff", 3, Some(3), datetime_diff),
    FunctionDef::new("datetime_add", 0, None, datetime_add),
    FunctionDef::new("replace_time", 2, Some(2), replace_time),
    FunctionDef::new("tz", 1, Some(1), tz),
    FunctionDef::new("tz_offset", 1, Some(1), tz_offset),
    FunctionDef::new("now", 0, Some(0), now),
    FunctionDef::new("epoch", 1, Some(1), epoch),
    FunctionDef::new("date_from_parts", 3, Some(3), date_from_parts),
    FunctionDef::new("weekday", 1, Some(1), weekday),
    FunctionDef::new("week_number", 1, Some(1), week_number),
    FunctionDef::new("today", 0, Some(0), today),
    FunctionDef::new("parse_time", 2, Some(2), parse_time),
    FunctionDef::new("time_from_parts", 3, Some(3), time_from_parts),
    FunctionDef::new("format_date", 1, Some(2), format_date),
    FunctionDef::new("format_datetime", 1, Some(3), format_datetime),
    FunctionDef::new("format_time", 1, Some(2), format_time),
    FunctionDef::new("legacy_add", 2, Some(2), legacy_add),
];

// ---- argument helpers -----------------------------------------------------------------

fn date_arg(ev: &mut Evaluator, v: &Value) -> Result<jiff::civil::Date, Value> {
    let now = ev.now();
    dates::to_date_at(ev.env, now, v)
}

fn datetime_arg(ev: &mut Evaluator, v: &Value) -> Result<jiff::Zoned, Value> {
    let now = ev.now();
    dates::to_datetime_at(ev.env, now, v, false)
}

fn time_arg(ev: &Evaluator, v: &Value) -> Result<jiff::civil::Time, Value> {
    dates::to_time(ev.env, v)
}

/// goflow's integer conversion: a number, truncated, within 32 bits.
fn integer_arg(v: &Value) -> Result<i64, Value> {
    let n = v.to_number()?;
    let t = n.trunc();
    match i32::try_from(t) {
        Ok(i) => Ok(i as i64),
        Err(_) => Err(Value::error(format!(
            "number value {} is out of range for an integer",
            format_decimal(&n)
        ))),
    }
}

fn datetime_value(z: Option<jiff::Zoned>) -> Value {
    match z {
        Some(z) => Value::datetime(z),
        None => Value::error("datetime out of range"),
    }
}

/// How goflow quotes a text value in the unit error (`XText("xxx")`).
fn xtext(s: &str) -> String {
    format!(
        "XText({})",
        serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
    )
}

fn unknown_unit(unit: &str) -> Value {
    Value::error(format!(
        "unknown unit: {}, must be one of s, m, h, D, W, M, Y",
        xtext(unit)
    ))
}

// ---- conversions ----------------------------------------------------------------------

/// `date(value)`: `@(date("15/01/2017"))` → `2017-01-15` (in a `DD-MM-YYYY` environment).
fn date(ev: &mut Evaluator, args: &[Value]) -> Value {
    Value::Date(tri!(date_arg(ev, &args[0])))
}

/// `datetime(value)`: `@(datetime("1979-07-18"))` → `1979-07-18T00:00:00.000000-05:00`.
fn datetime(ev: &mut Evaluator, args: &[Value]) -> Value {
    Value::datetime(tri!(datetime_arg(ev, &args[0])))
}

/// `time(value)`: `@(time("10:30:45 PM"))` → `22:30:45.000000`.
fn time(ev: &mut Evaluator, args: &[Value]) -> Value {
    Value::Time(tri!(time_arg(ev, &args[0])))
}

// ---- datetimes ------------------------------------------------------------------------

/// `parse_datetime(text, format [, timezone])`:
/// `@(parse_datetime("2010 5 10", "YYYY M DD"))` → `2010-05-10T00:00:00.000000-05:00`.
fn parse_datetime(ev: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let layout = tri!(args[1].to_text());
    let tz = match args.get(2) {
        Some(a) => {
            let name = tri!(a.to_text());
            tri!(dates::load_location(&name).map_err(Value::error))
        }
        None => ev.env.timezone.clone(),
    };
    match dates::parse_datetime_layout(&text, &layout, &tz) {
        Ok(z) => Value::datetime(z),
        Err(e) => Value::error(e),
    }
}

/// `datetime_from_epoch(seconds)`:
/// `@(datetime_from_epoch(1497286619))` → `2017-06-12T11:56:59.000000-05:00`.
fn datetime_from_epoch(ev: &mut Evaluator, args: &[Value]) -> Value {
    let n = tri!(args[0].to_number());
    let out_of_range = || Value::error("epoch time is out of range");
    let Some(nanos) = n.checked_mul(Decimal::from(1_000_000_000)) else {
        return out_of_range();
    };
    let Ok(nanos) = i64::try_from(nanos.trunc()) else {
        return out_of_range();
    };
    match jiff::Timestamp::from_nanosecond(nanos as i128) {
        Ok(ts) => Value::datetime(ts.to_zoned(ev.env.timezone.clone())),
        Err(_) => out_of_range(),
    }
}

/// `datetime_diff(date1, date2, unit)`: `@(datetime_diff("2017-01-15", "2017-01-17", "D"))` → `2`.
fn datetime_diff(ev: &mut Evaluator, args: &[Value]) -> Value {
    let d1 = tri!(datetime_arg(ev, &args[0]));
    let d2 = tri!(datetime_arg(ev, &args[1]));
    let unit = tri!(args[2].to_text());
    let nanos = dates::sub_nanos(&d2, &d1);
    let n = match unit.as_str() {
        "s" => nanos / 1_000_000_000,
        "m" => nanos / 60_000_000_000,
        "h" => nanos / 3_600_000_000_000,
        "D" => dates::days_between(&d2, &d1),
        "W" => dates::days_between(&d2, &d1) / 7,
        "M" => dates::months_between(&d2, &d1),
        "Y" => d2.year() as i64 - d1.year() as i64,
        _ => return unknown_unit(&unit),
    };
    Value::Number(Decimal::from(n))
}

/// `datetime_add(datetime, offset, unit)`:
/// `@(datetime_add("2017-01-15", 5, "D"))` → `2017-01-20T00:00:00.000000-05:00`.
fn datetime_add(ev: &mut Evaluator, args: &[Value]) -> Value {
    if args.len() != 3 {
        return Value::error(format!(
            "takes exactly three arguments, received {}",
            args.len()
        ));
    }
    let z = tri!(datetime_arg(ev, &args[0]));
    let n = tri!(integer_arg(&args[1]));
    let unit = tri!(args[2].to_text());
    let secs = |per: i64| dates::add_nanos(&z, n.wrapping_mul(per).wrapping_mul(1_000_000_000));
    datetime_value(match unit.as_str() {
        "s" => secs(1),
        "m" => secs(60),
        "h" => secs(3600),
        "D" => dates::add_date(&z, 0, 0, n),
        "W" => dates::add_date(&z, 0, 0, n * 7),
        "M" => dates::add_date(&z, 0, n, 0),
        "Y" => dates::add_date(&z, n, 0, 0),
        _ => return unknown_unit(&unit),
    })
}

/// `replace_time(datetime, time)`:
/// `@(replace_time(now(), "10:30"))` → `2018-04-11T10:30:00.000000-05:00`.
fn replace_time(ev: &mut Evaluator, args: &[Value]) -> Value {
    let z = tri!(datetime_arg(ev, &args[0]));
    let t = tri!(time_arg(ev, &args[1]));
    datetime_value(dates::go_local(z.date().to_datetime(t), z.time_zone()))
}

/// `tz(datetime)`: `@(tz("2017-01-15T02:15:18.123456Z"))` → `UTC`.
fn tz(ev: &mut Evaluator, args: &[Value]) -> Value {
    Value::text(dates::zone_name(&tri!(datetime_arg(ev, &args[0]))))
}

/// `tz_offset(datetime)`: `@(tz_offset("2017-01-15T02:15:18.123456Z"))` → `+0000`.
fn tz_offset(ev: &mut Evaluator, args: &[Value]) -> Value {
    let z = tri!(datetime_arg(ev, &args[0]));
    let secs = z.offset().seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let mins = (secs / 60).abs();
    Value::text(format!("{sign}{:02}{:02}", mins / 60, mins % 60))
}

/// `now()`: `@(now())` → `2018-04-11T13:24:30.123456-05:00`.
fn now(ev: &mut Evaluator, _: &[Value]) -> Value {
    let now = ev.now();
    Value::datetime(dates::now_in(ev.env, now))
}

/// `epoch(datetime)`: `@(epoch("2017-06-12T16:56:59.123456Z"))` → `1497286619.123456`.
fn epoch(ev: &mut Evaluator, args: &[Value]) -> Value {
    let z = tri!(datetime_arg(ev, &args[0]));
    let nanos = z.timestamp().as_nanosecond();
    match Decimal::try_from_i128_with_scale(nanos, 9) {
        Ok(d) => Value::Number(d.normalize()),
        Err(_) => Value::error("number value out of range"),
    }
}

// ---- dates ----------------------------------------------------------------------------

/// `date_from_parts(year, month, day)`: `@(date_from_parts(2017, 1, 15))` → `2017-01-15`.
fn date_from_parts(_: &mut Evaluator, args: &[Value]) -> Value {
    let year = tri!(integer_arg(&args[0]));
    let month = tri!(integer_arg(&args[1]));
    let day = tri!(integer_arg(&args[2]));
    if !(1..=12).contains(&month) {
        return Value::error("invalid value for month, must be 1-12");
    }
    match dates::normalized_date(year, month, day) {
        Some(d) => Value::Date(d),
        None => Value::error("date out of range"),
    }
}

/// `weekday(date)`: Sunday is 0, `@(weekday("2017-01-15"))` → `0`.
fn weekday(ev: &mut Evaluator, args: &[Value]) -> Value {
    let d = tri!(date_arg(ev, &args[0]));
    Value::Number(Decimal::from(d.weekday().to_sunday_zero_offset()))
}

/// `week_number(date)`: weeks start on Sunday, `@(week_number("2019-01-01"))` → `1`.
fn week_number(ev: &mut Evaluator, args: &[Value]) -> Value {
    let d = tri!(date_arg(ev, &args[0]));
    Value::Number(Decimal::from(dates::week_number(d)))
}

/// `today()`: the date in the environment's zone, `@(today())` → `2018-04-11`.
fn today(ev: &mut Evaluator, _: &[Value]) -> Value {
    let now = ev.now();
    Value::Date(dates::now_in(ev.env, now).date())
}

// ---- times ----------------------------------------------------------------------------

/// `parse_time(text, format)`: `@(parse_time("2:40 pm", "h:mm aa"))` → `14:40:00.000000`.
fn parse_time(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let layout = tri!(args[1].to_text());
    match dates::parse_time_layout(&text, &layout) {
        Ok(t) => Value::Time(t),
        Err(e) => Value::error(e),
    }
}

/// `time_from_parts(hour, minute, second)`: `@(time_from_parts(14, 40, 15))` → `14:40:15.000000`.
fn time_from_parts(_: &mut Evaluator, args: &[Value]) -> Value {
    let hour = tri!(integer_arg(&args[0]));
    let minute = tri!(integer_arg(&args[1]));
    let second = tri!(integer_arg(&args[2]));
    if !(0..=23).contains(&hour) {
        return Value::error("invalid value for hour, must be 0-23");
    }
    if !(0..=59).contains(&minute) {
        return Value::error("invalid value for minute, must be 0-59");
    }
    if !(0..=59).contains(&second) {
        return Value::error("invalid value for second, must be 0-59");
    }
    match jiff::civil::Time::new(hour as i8, minute as i8, second as i8, 0) {
        Ok(t) => Value::Time(t),
        Err(e) => Value::error(e.to_string()),
    }
}

// ---- formatting -----------------------------------------------------------------------

/// `format_date(date [, format])`: `@(format_date("1979-07-18T15:00:00.000000Z", "YYYY-MM-DD"))` → `1979-07-18`.
fn format_date(ev: &mut Evaluator, args: &[Value]) -> Value {
    let d = tri!(date_arg(ev, &args[0]));
    match args.get(1) {
        Some(l) => {
            let layout = tri!(l.to_text());
            match dates::format_date_layout(ev.env, d, &layout) {
                Ok(s) => Value::text(s),
                Err(e) => Value::error(e),
            }
        }
        None => Value::text(dates::format_date_env(ev.env, d)),
    }
}

/// `format_datetime(datetime [, format [, timezone]])`:
/// `@(format_datetime("1979-07-18T15:00:00.000000Z"))` → `18-07-1979 10:00`.
fn format_datetime(ev: &mut Evaluator, args: &[Value]) -> Value {
    let z = tri!(datetime_arg(ev, &args[0]));
    let layout = match args.get(1) {
        Some(l) => tri!(l.to_text()),
        None => format!("{} {}", ev.env.date_format, ev.env.time_format),
    };
    let tz = match args.get(2) {
        Some(a) => {
            let name = tri!(a.to_text());
            tri!(dates::load_location(&name).map_err(Value::error))
        }
        None => ev.env.timezone.clone(),
    };
    match dates::format_datetime_layout(ev.env, &z.with_time_zone(tz), &layout) {
        Ok(s) => Value::text(s),
        Err(e) => Value::error(e),
    }
}

/// `format_time(time [, format])`: `@(format_time("14:50:30.000000", "h:mm aa"))` → `2:50 pm`.
fn format_time(ev: &mut Evaluator, args: &[Value]) -> Value {
    let t = tri!(time_arg(ev, &args[0]));
    match args.get(1) {
        Some(l) => {
            let layout = tri!(l.to_text());
            match dates::format_time_layout(ev.env, t, &layout) {
                Ok(s) => Value::text(s),
                Err(e) => Value::error(e),
            }
        }
        None => Value::text(dates::format_time_env(ev.env, t)),
    }
}

// ---- legacy ---------------------------------------------------------------------------

/// `legacy_add(a, b)`: the old `+`: days added to a date, else numbers added.
/// `@(legacy_add("01-12-2017", 2))` → `2017-12-03T00:00:00.000000Z` (`DD-MM-YYYY`, UTC).
fn legacy_add(ev: &mut Evaluator, args: &[Value]) -> Value {
    let date1 = datetime_arg(ev, &args[0]);
    let date2 = datetime_arg(ev, &args[1]);
    let num1 = args[0].to_number();
    let num2 = args[1].to_number();
    let add_days = |z: &jiff::Zoned, n: &Decimal| -> Value {
        match i32::try_from(n.trunc()) {
            Ok(days) => datetime_value(dates::add_date(z, 0, 0, days as i64)),
            Err(_) => Value::error("cannot operate on integers greater than 32 bit"),
        }
    };
    match (&date1, &date2, &num1, &num2) {
        (Ok(_), Ok(_), _, _) => Value::error("cannot operate on two dates"),
        (Ok(z), _, _, Ok(n)) => add_days(z, n),
        (_, Ok(z), Ok(n), _) => add_days(z, n),
        (_, _, Err(e), _) | (_, _, _, Err(e)) => e.clone(),
        (_, _, Ok(a), Ok(b)) => match a.checked_add(*b) {
            Some(s) => Value::Number(s),
            None => Value::error("number value out of range"),
        },
    }
}
