//! Dates, times and datetimes as goflow handles them:
//!
//! - ISO rendering (`2018-04-11T13:24:30.123456-05:00`);
//! - goflow layouts (`DD-MM-YYYY`, `tt:mm`, `h:mm aa`, `EEEE`, `ZZZ`…) for formatting and
//!   parsing, with goflow's error messages;
//! - reading dates, times and datetimes out of free text (`"it was 12/6/2017 at 10pm"`) in the
//!   environment's date order and time zone;
//! - Go's calendar arithmetic (`time.Date` normalisation, `AddDate`, how a local time that
//!   falls in a daylight-saving gap is resolved) so results match goflow to the second.
//!
//! Nothing here reads the clock: functions that need "now" take it as an argument.

use std::sync::OnceLock;

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, Zoned};
use regex::Regex;

use crate::env::{DateOrder, Environment};
use crate::value::Value;

const NANOS_PER_SEC: i64 = 1_000_000_000;
const SECS_PER_DAY: i64 = 86_400;

// ---------------------------------------------------------------------------------------
// ISO rendering
// ---------------------------------------------------------------------------------------

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

fn push_year(out: &mut String, year: i64) {
    if year < 0 {
        out.push('-');
    }
    out.push_str(&format!("{:04}", year.unsigned_abs()));
}

/// `2019-04-11`
pub fn iso_date(d: Date) -> String {
    let mut out = String::with_capacity(10);
    push_year(&mut out, d.year() as i64);
    out.push_str(&format!("-{:02}-{:02}", d.month(), d.day()));
    out
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

/// `Z`, `-05:00`: Go's `Z07:00`.
fn offset_z(secs: i32) -> String {
    if secs == 0 {
        return "Z".into();
    }
    offset_colon(secs)
}

/// `-05:00`, `+00:00`: Go's `-07:00` (seconds of the offset are dropped).
fn offset_colon(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let mins = (secs / 60).abs();
    format!("{sign}{:02}:{:02}", mins / 60, mins % 60)
}

/// `2018-04-11T13:24:30.123456-05:00` (microseconds, `Z` for a zero offset): how goflow
/// renders a datetime in text.
pub fn iso_datetime(z: &Zoned) -> String {
    let dt = z.datetime();
    format!(
        "{}T{}{}",
        iso_date(dt.date()),
        iso_time(dt.time()),
        offset_z(z.offset().seconds())
    )
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
        offset_z(z.offset().seconds())
    )
}

// ---------------------------------------------------------------------------------------
// Go calendar arithmetic
// ---------------------------------------------------------------------------------------

/// Days since 1970-01-01 of a proleptic Gregorian date (any month/day, no validation).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `z` days after 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn make_date(y: i64, m: i64, d: i64) -> Option<Date> {
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
}

/// A date from possibly out-of-range parts, normalised the way Go's `time.Date` does
/// (`2017-02-31` is `2017-03-03`, month 13 is January of the next year).
pub fn normalized_date(year: i64, month: i64, day: i64) -> Option<Date> {
    let m0 = month.checked_sub(1)?;
    let year = year.checked_add(m0.div_euclid(12))?;
    let month = m0.rem_euclid(12) + 1;
    if year.abs() > 100_000 || day.abs() > 100_000_000 {
        return None;
    }
    let days = days_from_civil(year, month, 1) + day - 1;
    let (y, m, d) = civil_from_days(days);
    make_date(y, m, d)
}

fn days_of(d: Date) -> i64 {
    days_from_civil(d.year() as i64, d.month() as i64, d.day() as i64)
}

/// A civil datetime from possibly out-of-range parts, normalised like Go's `time.Date`.
fn normalized_datetime(
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    nanos: i64,
) -> Option<DateTime> {
    let total: i128 = ((hour as i128 * 60 + minute as i128) * 60 + second as i128)
        * NANOS_PER_SEC as i128
        + nanos as i128;
    let day_nanos = SECS_PER_DAY as i128 * NANOS_PER_SEC as i128;
    let extra_days = i64::try_from(total.div_euclid(day_nanos)).ok()?;
    let tod = total.rem_euclid(day_nanos) as i64;
    let date = normalized_date(year, month, day.checked_add(extra_days)?)?;
    Some(date.to_datetime(time_from_nanos(tod)))
}

fn time_from_nanos(tod: i64) -> Time {
    let secs = tod / NANOS_PER_SEC;
    Time::new(
        (secs / 3600) as i8,
        ((secs / 60) % 60) as i8,
        (secs % 60) as i8,
        (tod % NANOS_PER_SEC) as i32,
    )
    .unwrap_or(Time::midnight())
}

/// Seconds since the epoch of a civil datetime read as UTC.
fn civil_seconds(dt: DateTime) -> i64 {
    days_of(dt.date()) * SECS_PER_DAY
        + dt.hour() as i64 * 3600
        + dt.minute() as i64 * 60
        + dt.second() as i64
}

/// A local datetime in `tz` the way Go's `time.Date` resolves it: a time inside a
/// daylight-saving gap uses the offset in force before the gap (so Brazil's old midnight
/// transitions give 23:00 of the previous day, as goflow does), a repeated time the first.
pub fn go_local(dt: DateTime, tz: &TimeZone) -> Option<Zoned> {
    let unix = civil_seconds(dt);
    let nanos = dt.subsec_nanosecond();
    let at = |s: i64| Timestamp::from_second(s).ok();
    let mut off = tz.to_offset(at(unix)?).seconds() as i64;
    if off != 0 {
        let utc = unix - off;
        let off2 = tz.to_offset(at(utc)?).seconds() as i64;
        if off2 != off {
            off = off2;
        }
    }
    let ts = Timestamp::new(unix - off, nanos).ok()?;
    Some(Zoned::new(ts, tz.clone()))
}

/// Go's `time.Date(year, month, day, hour, min, sec, nsec, tz)`.
#[allow(clippy::too_many_arguments)]
pub fn go_date(
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    nanos: i64,
    tz: &TimeZone,
) -> Option<Zoned> {
    go_local(
        normalized_datetime(year, month, day, hour, minute, second, nanos)?,
        tz,
    )
}

/// Go's `t.AddDate(years, months, days)`: calendar fields added then normalised, so
/// `2017-01-31 + 1 month` is `2017-03-03`, and the clock time is kept across DST changes.
pub fn add_date(z: &Zoned, years: i64, months: i64, days: i64) -> Option<Zoned> {
    let dt = z.datetime();
    go_date(
        dt.year() as i64 + years,
        dt.month() as i64 + months,
        dt.day() as i64 + days,
        dt.hour() as i64,
        dt.minute() as i64,
        dt.second() as i64,
        dt.subsec_nanosecond() as i64,
        z.time_zone(),
    )
}

/// Go's `t.Add(d)` for a duration in nanoseconds.
pub fn add_nanos(z: &Zoned, nanos: i64) -> Option<Zoned> {
    let ts = Timestamp::from_nanosecond(z.timestamp().as_nanosecond() + nanos as i128).ok()?;
    Some(Zoned::new(ts, z.time_zone().clone()))
}

/// Go's `a.Sub(b)` in nanoseconds, saturating at the limits of a Go `Duration`.
pub fn sub_nanos(a: &Zoned, b: &Zoned) -> i64 {
    let d = a.timestamp().as_nanosecond() - b.timestamp().as_nanosecond();
    d.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// Calendar days from `b`'s local date to `a`'s local date (goflow's `DaysBetween`,
/// saturating like a Go `Duration`).
pub fn days_between(a: &Zoned, b: &Zoned) -> i64 {
    let d = days_of(a.date()) - days_of(b.date());
    let max = i64::MAX / (SECS_PER_DAY * NANOS_PER_SEC);
    d.clamp(-max, max)
}

/// Calendar months from `b` to `a`, ignoring the days (goflow's `MonthsBetween`).
pub fn months_between(a: &Zoned, b: &Zoned) -> i64 {
    (a.month() as i64 - b.month() as i64) + (a.year() as i64 - b.year() as i64) * 12
}

/// goflow's week number: weeks start on Sunday and the week with January 1st is week 1.
pub fn week_number(d: Date) -> i64 {
    let wday = d.weekday().to_sunday_zero_offset() as i64;
    let yday = d.day_of_year() as i64 - 1;
    (yday - wday + 7) / 7 + 1
}

/// Loads a time zone by IANA name like Go's `time.LoadLocation` (`""` and `UTC` are UTC).
pub fn load_location(name: &str) -> Result<TimeZone, String> {
    if name.is_empty() || name == "UTC" {
        return Ok(TimeZone::UTC);
    }
    TimeZone::get(name).map_err(|_| format!("unknown time zone {name}"))
}

/// The name of a datetime's zone as goflow shows it (`""` for a fixed offset).
pub fn zone_name(z: &Zoned) -> String {
    z.time_zone().iana_name().unwrap_or("").to_string()
}

/// `now` in the environment's time zone (what `now()` returns).
pub fn now_in(env: &Environment, now: Timestamp) -> Zoned {
    Zoned::new(now, env.timezone.clone())
}

// ---------------------------------------------------------------------------------------
// Localised words for MMM, MMMM, EEE, EEEE, aa, AA
// ---------------------------------------------------------------------------------------

struct Words {
    days: [&'static str; 7],
    short_days: [&'static str; 7],
    months: [&'static str; 12],
    short_months: [&'static str; 12],
    am_pm: [&'static str; 2],
}

const ENGLISH: Words = Words {
    days: [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ],
    short_days: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    short_months: [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ],
    am_pm: ["AM", "PM"],
};

const PORTUGUESE: Words = Words {
    days: [
        "domingo", "segunda", "terça", "quarta", "quinta", "sexta", "sábado",
    ],
    short_days: ["dom", "seg", "ter", "qua", "qui", "sex", "sáb"],
    // the same names the Brazilian toolkit prints on boletos and statements
    months: atende_br::date::MONTHS,
    short_months: atende_br::date::MONTH_ABBREVIATIONS,
    am_pm: ["AM", "PM"],
};

const SPANISH: Words = Words {
    days: [
        "domingo",
        "lunes",
        "martes",
        "miércoles",
        "jueves",
        "viernes",
        "sábado",
    ],
    short_days: ["dom", "lun", "mar", "mié", "jue", "vie", "sáb"],
    months: [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    short_months: [
        "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic",
    ],
    am_pm: ["AM", "PM"],
};

const FRENCH: Words = Words {
    days: [
        "dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi",
    ],
    short_days: ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
    months: [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    short_months: [
        "janv.", "févr.", "mars", "avril", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ],
    am_pm: ["AM", "PM"],
};

/// The words of the environment's default language (English when unknown).
fn words(env: &Environment) -> &'static Words {
    match env.default_language.to_ascii_lowercase().as_str() {
        "por" | "pt" => &PORTUGUESE,
        "spa" | "es" => &SPANISH,
        "fra" | "fre" | "fr" => &FRENCH,
        _ => &ENGLISH,
    }
}

// ---------------------------------------------------------------------------------------
// goflow layouts
// ---------------------------------------------------------------------------------------

/// Which sequences a layout may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutType {
    Date,
    Time,
    DateTime,
}

impl LayoutType {
    fn name(self) -> &'static str {
        match self {
            LayoutType::Date => "date",
            LayoutType::Time => "time",
            LayoutType::DateTime => "datetime",
        }
    }

    fn allows(self, kind: SeqKind) -> bool {
        match self {
            LayoutType::Date => kind == SeqKind::Date,
            LayoutType::Time => kind == SeqKind::Time,
            LayoutType::DateTime => true,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SeqKind {
    Date,
    Time,
    Zone,
}

/// goflow layout sequences: (sequence, Go layout equivalent, kind, usable for parsing).
const SEQUENCES: &[(&str, &str, SeqKind, bool)] = &[
    ("YY", "06", SeqKind::Date, true),
    ("YYYY", "2006", SeqKind::Date, true),
    ("M", "1", SeqKind::Date, true),
    ("MM", "01", SeqKind::Date, true),
    ("MMM", "Jan", SeqKind::Date, false),
    ("MMMM", "January", SeqKind::Date, false),
    ("D", "2", SeqKind::Date, true),
    ("DD", "02", SeqKind::Date, true),
    ("EEE", "Mon", SeqKind::Date, false),
    ("EEEE", "Monday", SeqKind::Date, false),
    ("fffffffff", "000000000", SeqKind::Time, true),
    ("ffffff", "000000", SeqKind::Time, true),
    ("fff", "000", SeqKind::Time, true),
    ("h", "3", SeqKind::Time, true),
    ("hh", "03", SeqKind::Time, true),
    ("t", "15", SeqKind::Time, true),
    ("tt", "15", SeqKind::Time, true),
    ("m", "4", SeqKind::Time, true),
    ("mm", "04", SeqKind::Time, true),
    ("s", "5", SeqKind::Time, true),
    ("ss", "05", SeqKind::Time, true),
    ("aa", "pm", SeqKind::Time, true),
    ("AA", "PM", SeqKind::Time, true),
    ("Z", "Z07:00", SeqKind::Zone, true),
    ("ZZZ", "-07:00", SeqKind::Zone, true),
];

fn is_ignored(c: char) -> bool {
    matches!(c, ' ' | ':' | '/' | '.' | ',' | 'T' | '-' | '_')
}

/// One run of a layout: a known sequence (with its Go equivalent) or literal characters.
enum Piece {
    Seq(&'static str, &'static str),
    Literal(String),
}

/// Splits a goflow layout into runs of identical characters and checks each one.
fn visit_layout(layout: &str, ty: LayoutType, parsing: bool) -> Result<Vec<Piece>, String> {
    let chars: Vec<char> = layout.chars().collect();
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut n = 1;
        while i + n < chars.len() && chars[i + n] == c {
            n += 1;
        }
        let seq: String = chars[i..i + n].iter().collect();
        if is_ignored(c) {
            pieces.push(Piece::Literal(seq));
        } else {
            let found = SEQUENCES.iter().find(|(s, _, kind, parseable)| {
                *s == seq && ty.allows(*kind) && (!parsing || *parseable)
            });
            match found {
                Some((s, mapped, _, _)) => pieces.push(Piece::Seq(s, mapped)),
                None => {
                    return Err(format!(
                        "'{seq}' is not valid in a {} {} layout",
                        ty.name(),
                        if parsing { "parsing" } else { "formatting" }
                    ))
                }
            }
        }
        i += n;
    }
    Ok(pieces)
}

/// Checks a layout without using it (`None` when it is valid).
pub fn validate_layout(layout: &str, ty: LayoutType, parsing: bool) -> Option<String> {
    visit_layout(layout, ty, parsing).err()
}

/// The parts of a date/time being formatted.
struct Parts {
    year: i64,
    month: usize,
    day: i64,
    weekday: usize,
    hour: i64,
    minute: i64,
    second: i64,
    nanos: i64,
    offset: i32,
}

impl Parts {
    fn of_datetime(dt: DateTime, offset: i32) -> Parts {
        Parts {
            year: dt.year() as i64,
            month: dt.month() as usize,
            day: dt.day() as i64,
            weekday: dt.weekday().to_sunday_zero_offset() as usize,
            hour: dt.hour() as i64,
            minute: dt.minute() as i64,
            second: dt.second() as i64,
            nanos: dt.subsec_nanosecond() as i64,
            offset,
        }
    }
}

fn format_parts(layout: &str, ty: LayoutType, p: &Parts, w: &Words) -> Result<String, String> {
    let pieces = visit_layout(layout, ty, false)?;
    let mut out = String::new();
    for piece in pieces {
        let seq = match piece {
            Piece::Literal(s) => {
                out.push_str(&s);
                continue;
            }
            Piece::Seq(seq, _) => seq,
        };
        let hour12 = if p.hour % 12 == 0 { 12 } else { p.hour % 12 };
        let text = match seq {
            "YY" => format!("{:02}", p.year.rem_euclid(100)),
            "YYYY" => {
                let mut s = String::new();
                push_year(&mut s, p.year);
                s
            }
            "M" => p.month.to_string(),
            "MM" => format!("{:02}", p.month),
            "MMM" => w.short_months[p.month - 1].to_string(),
            "MMMM" => w.months[p.month - 1].to_string(),
            "D" => p.day.to_string(),
            "DD" => format!("{:02}", p.day),
            "EEE" => w.short_days[p.weekday].to_string(),
            "EEEE" => w.days[p.weekday].to_string(),
            "fff" => format!("{:03}", p.nanos / 1_000_000),
            "ffffff" => format!("{:06}", p.nanos / 1_000),
            "fffffffff" => format!("{:09}", p.nanos),
            "h" => hour12.to_string(),
            "hh" => format!("{hour12:02}"),
            // goflow trims the zero padding of a 24 hour, so midnight's hour is empty
            "t" => format!("{:02}", p.hour).trim_start_matches('0').to_string(),
            "tt" => format!("{:02}", p.hour),
            "m" => p.minute.to_string(),
            "mm" => format!("{:02}", p.minute),
            "s" => p.second.to_string(),
            "ss" => format!("{:02}", p.second),
            "aa" => w.am_pm[usize::from(p.hour >= 12)].to_lowercase(),
            "AA" => w.am_pm[usize::from(p.hour >= 12)].to_uppercase(),
            "Z" => offset_z(p.offset),
            "ZZZ" => offset_colon(p.offset),
            _ => String::new(),
        };
        out.push_str(&text);
    }
    Ok(out)
}

/// Formats a date with a goflow layout (`DD/MM/YYYY`, `EEEE, D MMMM`).
pub fn format_date_layout(env: &Environment, d: Date, layout: &str) -> Result<String, String> {
    let p = Parts::of_datetime(d.to_datetime(Time::midnight()), 0);
    format_parts(layout, LayoutType::Date, &p, words(env))
}

/// Formats a time with a goflow layout (`tt:mm`, `h:mm aa`).
pub fn format_time_layout(env: &Environment, t: Time, layout: &str) -> Result<String, String> {
    let dt = Date::new(2000, 1, 1).unwrap_or_default().to_datetime(t);
    let p = Parts::of_datetime(dt, 0);
    format_parts(layout, LayoutType::Time, &p, words(env))
}

/// Formats a datetime (as it is, in its own zone) with a goflow layout.
pub fn format_datetime_layout(
    env: &Environment,
    z: &Zoned,
    layout: &str,
) -> Result<String, String> {
    let p = Parts::of_datetime(z.datetime(), z.offset().seconds());
    format_parts(layout, LayoutType::DateTime, &p, words(env))
}

/// A date in the environment's date format (`format(today())`).
pub fn format_date_env(env: &Environment, d: Date) -> String {
    format_date_layout(env, d, &env.date_format).unwrap_or_default()
}

/// A datetime in the environment's zone and date + time formats (`format(now())`).
pub fn format_datetime_env(env: &Environment, z: &Zoned) -> String {
    let layout = format!("{} {}", env.date_format, env.time_format);
    let local = z.with_time_zone(env.timezone.clone());
    format_datetime_layout(env, &local, &layout).unwrap_or_default()
}

/// A time in the environment's time format.
pub fn format_time_env(env: &Environment, t: Time) -> String {
    format_time_layout(env, t, &env.time_format).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// Parsing with a layout (Go's time.Parse semantics on the converted layout)
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Std {
    LongYear,
    Year,
    NumMonth,
    ZeroMonth,
    Day,
    UnderDay,
    ZeroDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    PmUpper,
    PmLower,
    IsoColonTz,
    NumColonTz,
    /// `.000…` with this many digits (the dot included in the chunk).
    Frac(usize),
    /// Anything Go knows but goflow layouts never produce for parsing.
    Unsupported,
}

/// A split layout: the literal prefix, the next element (with its text) and the rest.
type Chunk<'a> = (&'a [u8], Option<(Std, &'a [u8])>, &'a [u8]);

/// Go's `nextStdChunk`: the literal prefix, the next layout element and the rest.
fn next_std_chunk(layout: &[u8]) -> Chunk<'_> {
    let at = |i: usize| layout.get(i).copied();
    for i in 0..layout.len() {
        let c = layout[i];
        let found: Option<(Std, usize)> = match c {
            b'0' => match at(i + 1) {
                Some(d @ b'1'..=b'6') => Some((
                    [
                        Std::ZeroMonth,
                        Std::ZeroDay,
                        Std::ZeroHour12,
                        Std::ZeroMinute,
                        Std::ZeroSecond,
                        Std::Year,
                    ][(d - b'1') as usize],
                    2,
                )),
                Some(b'0') if at(i + 2) == Some(b'2') => Some((Std::Unsupported, 3)),
                _ => None,
            },
            b'1' => Some(if at(i + 1) == Some(b'5') {
                (Std::Hour, 2)
            } else {
                (Std::NumMonth, 1)
            }),
            b'2' => Some(if layout[i..].starts_with(b"2006") {
                (Std::LongYear, 4)
            } else {
                (Std::Day, 1)
            }),
            b'_' => {
                if at(i + 1) == Some(b'2') {
                    if layout[i + 1..].starts_with(b"2006") {
                        // a literal `_` followed by the year
                        return (
                            &layout[..i + 1],
                            Some((Std::LongYear, &layout[i + 1..i + 5])),
                            &layout[i + 5..],
                        );
                    }
                    Some((Std::UnderDay, 2))
                } else if at(i + 1) == Some(b'_') && at(i + 2) == Some(b'2') {
                    Some((Std::Unsupported, 3))
                } else {
                    None
                }
            }
            b'3' => Some((Std::Hour12, 1)),
            b'4' => Some((Std::Minute, 1)),
            b'5' => Some((Std::Second, 1)),
            b'P' if at(i + 1) == Some(b'M') => Some((Std::PmUpper, 2)),
            b'p' if at(i + 1) == Some(b'm') => Some((Std::PmLower, 2)),
            b'-' if layout[i..].starts_with(b"-07:00")
                && !layout[i..].starts_with(b"-07:00:00") =>
            {
                Some((Std::NumColonTz, 6))
            }
            b'Z' if layout[i..].starts_with(b"Z07:00")
                && !layout[i..].starts_with(b"Z07:00:00") =>
            {
                Some((Std::IsoColonTz, 6))
            }
            b'.' | b',' if matches!(at(i + 1), Some(b'0') | Some(b'9')) => {
                let ch = layout[i + 1];
                let mut j = i + 1;
                while j < layout.len() && layout[j] == ch {
                    j += 1;
                }
                if at(j).is_some_and(|b| b.is_ascii_digit()) {
                    None
                } else if ch == b'0' {
                    Some((Std::Frac(j - i - 1), j - i))
                } else {
                    Some((Std::Unsupported, j - i))
                }
            }
            _ => None,
        };
        if let Some((std, len)) = found {
            return (
                &layout[..i],
                Some((std, &layout[i..i + len])),
                &layout[i + len..],
            );
        }
    }
    (layout, None, &[])
}

/// Go's `getnum`: one or two digits (exactly two when `fixed`).
fn getnum(v: &[u8], fixed: bool) -> Option<(i64, &[u8])> {
    let d0 = *v.first().filter(|b| b.is_ascii_digit())?;
    match v.get(1).filter(|b| b.is_ascii_digit()) {
        Some(d1) => Some(((d0 - b'0') as i64 * 10 + (d1 - b'0') as i64, &v[2..])),
        None if fixed => None,
        None => Some(((d0 - b'0') as i64, &v[1..])),
    }
}

/// Go's `skip`: matches a literal, where a space matches any run of spaces.
fn skip<'a>(mut value: &'a [u8], mut prefix: &[u8]) -> Result<&'a [u8], &'a [u8]> {
    while let Some(&p) = prefix.first() {
        if p == b' ' {
            if value.first().is_some_and(|&b| b != b' ') {
                return Err(value);
            }
            while prefix.first() == Some(&b' ') {
                prefix = &prefix[1..];
            }
            while value.first() == Some(&b' ') {
                value = &value[1..];
            }
            continue;
        }
        if value.first() != Some(&p) {
            return Err(value);
        }
        prefix = &prefix[1..];
        value = &value[1..];
    }
    Ok(value)
}

/// Go's `parseNanoseconds` for `.ddd` (the separator included in `nbytes`).
fn parse_nanos(value: &[u8], nbytes: usize) -> Option<i64> {
    if !matches!(value.first(), Some(b'.') | Some(b',')) {
        return None;
    }
    let nbytes = nbytes.min(10);
    let digits = value.get(1..nbytes)?;
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut ns: i64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    for _ in 0..(10 - nbytes) {
        ns *= 10;
    }
    Some(ns)
}

/// The fields read by a layout parse.
#[derive(Debug)]
struct Parsed {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    nanos: i64,
    /// `Some(None)` for `Z` (UTC), `Some(Some(secs))` for a numeric offset.
    zone: Option<Option<i32>>,
}

/// Why a layout parse failed, in the terms of Go's `ParseError`.
#[derive(Debug)]
struct ParseFail {
    layout_elem: String,
    value_elem: String,
}

fn fail(layout_elem: &[u8], value_elem: &[u8]) -> ParseFail {
    ParseFail {
        layout_elem: String::from_utf8_lossy(layout_elem).into_owned(),
        value_elem: String::from_utf8_lossy(value_elem).into_owned(),
    }
}

/// Go's `time.Parse` over a Go layout (the subset goflow layouts produce).
fn go_parse(layout: &str, value: &str) -> Result<Parsed, ParseFail> {
    let mut layout = layout.as_bytes();
    let mut value = value.as_bytes();
    let mut p = Parsed {
        year: 0,
        month: -1,
        day: -1,
        hour: 0,
        minute: 0,
        second: 0,
        nanos: 0,
        zone: None,
    };
    let (mut pm, mut am) = (false, false);
    loop {
        let (prefix, std, rest) = next_std_chunk(layout);
        value = skip(value, prefix).map_err(|v| fail(prefix, v))?;
        let Some((std, stdstr)) = std else {
            if !value.is_empty() {
                return Err(fail(b"", value));
            }
            break;
        };
        layout = rest;
        let hold = value;
        let bad = || fail(stdstr, hold);
        let range_bad = |v: &[u8]| fail(stdstr, v);
        match std {
            Std::LongYear => {
                let digits = value.get(..4).filter(|d| d.iter().all(u8::is_ascii_digit));
                let d = digits.ok_or_else(bad)?;
                p.year = std::str::from_utf8(d).unwrap_or("0").parse().unwrap_or(0);
                value = &value[4..];
            }
            Std::Year => {
                let digits = value.get(..2).filter(|d| d.iter().all(u8::is_ascii_digit));
                let d = digits.ok_or_else(bad)?;
                let y: i64 = std::str::from_utf8(d).unwrap_or("0").parse().unwrap_or(0);
                p.year = if y >= 69 { y + 1900 } else { y + 2000 };
                value = &value[2..];
            }
            Std::NumMonth | Std::ZeroMonth => {
                let (m, v) = getnum(value, std == Std::ZeroMonth).ok_or_else(bad)?;
                value = v;
                if !(1..=12).contains(&m) {
                    return Err(range_bad(value));
                }
                p.month = m;
            }
            Std::Day | Std::UnderDay | Std::ZeroDay => {
                if std == Std::UnderDay && value.first() == Some(&b' ') {
                    value = &value[1..];
                }
                let (d, v) = getnum(value, std == Std::ZeroDay).ok_or_else(bad)?;
                value = v;
                p.day = d;
            }
            Std::Hour => {
                let (h, v) = getnum(value, false).ok_or_else(bad)?;
                value = v;
                if h >= 24 {
                    return Err(range_bad(value));
                }
                p.hour = h;
            }
            Std::Hour12 | Std::ZeroHour12 => {
                let (h, v) = getnum(value, std == Std::ZeroHour12).ok_or_else(bad)?;
                value = v;
                if h > 12 {
                    return Err(range_bad(value));
                }
                p.hour = h;
            }
            Std::Minute | Std::ZeroMinute => {
                let (m, v) = getnum(value, std == Std::ZeroMinute).ok_or_else(bad)?;
                value = v;
                if m >= 60 {
                    return Err(range_bad(value));
                }
                p.minute = m;
            }
            Std::Second | Std::ZeroSecond => {
                let (s, v) = getnum(value, std == Std::ZeroSecond).ok_or_else(bad)?;
                value = v;
                if s >= 60 {
                    return Err(range_bad(value));
                }
                p.second = s;
                // fractional seconds are read even when the layout has none
                if value.len() >= 2 && matches!(value[0], b'.' | b',') && value[1].is_ascii_digit()
                {
                    let next = next_std_chunk(layout).1.map(|(s, _)| s);
                    if !matches!(next, Some(Std::Frac(_))) {
                        let mut n = 2;
                        while n < value.len() && value[n].is_ascii_digit() {
                            n += 1;
                        }
                        p.nanos = parse_nanos(value, n).ok_or_else(bad)?;
                        value = &value[n..];
                    }
                }
            }
            Std::PmUpper | Std::PmLower => {
                let two = value.get(..2).ok_or_else(bad)?;
                let (am_s, pm_s): (&[u8], &[u8]) = if std == Std::PmUpper {
                    (b"AM", b"PM")
                } else {
                    (b"am", b"pm")
                };
                if two == pm_s {
                    pm = true;
                } else if two == am_s {
                    am = true;
                } else {
                    return Err(bad());
                }
                value = &value[2..];
            }
            Std::IsoColonTz | Std::NumColonTz => {
                if std == Std::IsoColonTz && value.first() == Some(&b'Z') {
                    value = &value[1..];
                    p.zone = Some(None);
                    continue;
                }
                if value.len() < 6 || value[3] != b':' {
                    return Err(bad());
                }
                let (hr, _) = getnum(&value[1..3], true).ok_or_else(bad)?;
                let (mm, _) = getnum(&value[4..6], true).ok_or_else(bad)?;
                let sign = match value[0] {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return Err(bad()),
                };
                value = &value[6..];
                if hr > 24 || mm > 60 {
                    return Err(range_bad(value));
                }
                p.zone = Some(Some(sign * ((hr * 60 + mm) * 60) as i32));
            }
            Std::Frac(ndigit) => {
                if value.len() < ndigit + 1 {
                    return Err(bad());
                }
                p.nanos = parse_nanos(value, ndigit + 1).ok_or_else(bad)?;
                value = &value[ndigit + 1..];
            }
            Std::Unsupported => return Err(bad()),
        }
    }
    if pm && p.hour < 12 {
        p.hour += 12;
    } else if am && p.hour == 12 {
        p.hour = 0;
    }
    if p.month < 0 {
        p.month = 1;
    }
    if p.day < 0 {
        p.day = 1;
    }
    if p.day < 1 || p.day > days_in_month(p.year, p.month) {
        return Err(fail(b"", value));
    }
    Ok(p)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    days_from_civil(year, month + 1, 1) - days_from_civil(year, month, 1)
}

/// The instant a layout parse describes, placed like Go's `time.ParseInLocation`: `Z` is
/// UTC, an offset keeps `tz` when `tz` has that offset then (else a fixed offset), and no
/// zone means local time in `tz`.
fn parsed_to_zoned(p: &Parsed, tz: &TimeZone) -> Option<Zoned> {
    match p.zone {
        Some(None) => go_date(
            p.year,
            p.month,
            p.day,
            p.hour,
            p.minute,
            p.second,
            p.nanos,
            &TimeZone::UTC,
        ),
        Some(Some(offset)) => {
            let utc = go_date(
                p.year,
                p.month,
                p.day,
                p.hour,
                p.minute,
                p.second,
                p.nanos,
                &TimeZone::UTC,
            )?;
            let ts = Timestamp::from_nanosecond(
                utc.timestamp().as_nanosecond() - offset as i128 * NANOS_PER_SEC as i128,
            )
            .ok()?;
            if tz.to_offset(ts).seconds() == offset {
                Some(Zoned::new(ts, tz.clone()))
            } else {
                Some(Zoned::new(ts, fixed_zone(offset)?))
            }
        }
        None => go_date(
            p.year, p.month, p.day, p.hour, p.minute, p.second, p.nanos, tz,
        ),
    }
}

/// A nameless fixed-offset zone, like Go's `FixedZone("", offset)` (jiff names a zero
/// fixed offset `UTC`, Go does not).
fn fixed_zone(offset: i32) -> Option<TimeZone> {
    if offset == 0 {
        return TimeZone::posix("UTC0").ok();
    }
    Some(TimeZone::fixed(Offset::from_seconds(offset).ok()?))
}

/// goflow's message for a failed layout parse: `cannot parse 'abcd' as 'YYYY'`.
fn parse_fail_message(f: &ParseFail) -> String {
    let elem = SEQUENCES
        .iter()
        .find(|(_, mapped, _, _)| *mapped == f.layout_elem)
        .map(|(seq, _, _, _)| *seq)
        .unwrap_or(f.layout_elem.as_str());
    format!("cannot parse '{}' as '{}'", f.value_elem, elem)
}

/// Converts a goflow layout to Go's layout syntax.
fn to_go_layout(layout: &str, ty: LayoutType) -> Result<String, String> {
    let mut out = String::new();
    for piece in visit_layout(layout, ty, true)? {
        match piece {
            Piece::Seq(_, mapped) => out.push_str(mapped),
            Piece::Literal(s) => out.push_str(&s),
        }
    }
    Ok(out)
}

/// `parse_datetime(text, layout [, tz])`: reads a datetime with a goflow layout, in `tz`
/// unless the text has a zone.
pub fn parse_datetime_layout(text: &str, layout: &str, tz: &TimeZone) -> Result<Zoned, String> {
    let go = to_go_layout(layout, LayoutType::DateTime)?;
    let p = go_parse(&go, text).map_err(|f| parse_fail_message(&f))?;
    parsed_to_zoned(&p, tz).ok_or_else(|| "datetime out of range".to_string())
}

/// `parse_time(text, layout)`: reads a time of day with a goflow layout.
pub fn parse_time_layout(text: &str, layout: &str) -> Result<Time, String> {
    let go = to_go_layout(layout, LayoutType::Time)?;
    let p = go_parse(&go, text).map_err(|f| parse_fail_message(&f))?;
    Ok(normalized_time(p.hour, p.minute, p.second, p.nanos))
}

/// A time of day from parts that may overflow (`24:30` is `00:30`), as Go renders them.
fn normalized_time(hour: i64, minute: i64, second: i64, nanos: i64) -> Time {
    let total = ((hour * 60 + minute) * 60 + second) * NANOS_PER_SEC + nanos;
    time_from_nanos(total.rem_euclid(SECS_PER_DAY * NANOS_PER_SEC))
}

// ---------------------------------------------------------------------------------------
// Reading dates and times out of free text
// ---------------------------------------------------------------------------------------

fn day_first_pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?-u:\b)([0-9]{1,2})[-.\\/_ ]([0-9]{1,2})[-.\\/_ ]([0-9]{4}|[0-9]{2})(?-u:\b)")
            .expect("valid regex")
    })
}

fn year_first_pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?-u:\b)([0-9]{4}|[0-9]{2})[-.\\/_ ]([0-9]{1,2})[-.\\/_ ]([0-9]{1,2})(?-u:\b)")
            .expect("valid regex")
    })
}

fn time_pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?-u:\b)([0-9]{1,2})(?:(?::)?([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?)?[^0-9A-Za-z_]*([aApP][mM])?(?-u:\b)",
        )
        .expect("valid regex")
    })
}

/// A two digit year as goflow reads it: up to the current year's last digits it is this
/// century, above them the last (`99` is 1999, `05` is 2005 in 2018).
fn expand_year(yy: i64, current_year: Option<i64>) -> i64 {
    match current_year {
        Some(cy) => {
            if yy > cy % 1000 {
                yy + 1900
            } else {
                yy + 2000
            }
        }
        // no clock given: Go's own `06` pivot
        None => {
            if yy >= 69 {
                yy + 1900
            } else {
                yy + 2000
            }
        }
    }
}

/// Finds a date in text: an ISO date at the start, else the first believable date in the
/// environment's order (`15/01/2017`, `1.10.99`, `2017 1 15`). Returns the date and the
/// text after it.
fn find_date<'a>(
    env: &Environment,
    s: &'a str,
    current_year: Option<i64>,
) -> Option<(Date, &'a str)> {
    let s = s.trim_matches([' ', '\n', '\r', '\t']);
    let head = &s.as_bytes()[..s.len().min(10)];
    if let Ok(head) = std::str::from_utf8(head) {
        if let Ok(p) = go_parse("2006-01-02", head) {
            if let Some(d) = make_date(p.year, p.month, p.day) {
                return Some((d, &s[10..]));
            }
        }
    }
    let (re, y, m, d) = match env.date_order() {
        DateOrder::YearMonthDay => (year_first_pattern(), 1, 2, 3),
        DateOrder::DayMonthYear => (day_first_pattern(), 3, 2, 1),
        DateOrder::MonthDayYear => (day_first_pattern(), 3, 1, 2),
    };
    for caps in re.captures_iter(s) {
        let num = |i: usize| {
            caps.get(i)
                .map_or(0, |g| g.as_str().parse::<i64>().unwrap_or(0))
        };
        let (day, month) = (num(d), num(m));
        if day == 0 || day > 31 || month == 0 || month > 12 {
            continue;
        }
        let ytext = caps.get(y).map_or("", |g| g.as_str());
        let mut year = num(y);
        if ytext.len() == 2 {
            year = expand_year(year, current_year);
        }
        let Some(date) = make_date(year, month, day) else {
            continue;
        };
        let end = caps.get(0).map_or(s.len(), |g| g.end());
        return Some((date, &s[end..]));
    }
    None
}

/// Finds a time of day in text (`10:30`, `10:30:45.5`, `10pm`, `2:40 PM`) as goflow's
/// `has_time` and `time()` do; the parts may overflow (`24:30`), see [`normalized_time`].
fn find_time(s: &str) -> Option<(i64, i64, i64, i64)> {
    for caps in time_pattern().captures_iter(s) {
        let num = |i: usize| {
            caps.get(i)
                .map_or(0, |g| g.as_str().parse::<i64>().unwrap_or(0))
        };
        let (mut hour, minute, second) = (num(1), num(2), num(3));
        let ampm = caps
            .get(5)
            .map_or(String::new(), |g| g.as_str().to_ascii_lowercase());
        if hour < 12 && ampm == "pm" {
            hour += 12;
        } else if hour == 12 && ampm == "am" {
            hour -= 12;
        }
        let mut nanos = 0;
        if let Some(f) = caps.get(4) {
            let digits = &f.as_str()[..f.as_str().len().min(9)];
            nanos = digits.parse::<i64>().unwrap_or(0) * 10_i64.pow(9 - digits.len() as u32);
        }
        if hour == 24 && minute == 0 && second == 0 && nanos == 0 {
            hour = 0;
        }
        if hour > 24 || minute > 60 || second > 60 {
            continue;
        }
        return Some((hour, minute, second, nanos));
    }
    None
}

fn current_year(now: Timestamp) -> i64 {
    now.to_zoned(TimeZone::UTC).year() as i64
}

/// Reads a date from text (ISO date first, then the environment's order anywhere in the
/// text). `now` decides the century of two digit years.
pub fn parse_date_text_at(env: &Environment, now: Timestamp, s: &str) -> Option<Date> {
    find_date(env, s, Some(current_year(now))).map(|(d, _)| d)
}

/// Reads a date from text without a clock: two digit years use Go's pivot (`69`–`99` are
/// 19xx). Prefer [`parse_date_text_at`] when the evaluation's `now` is at hand.
pub fn parse_date_text(env: &Environment, s: &str) -> Option<Date> {
    find_date(env, s, None).map(|(d, _)| d)
}

fn datetime_from_text(
    env: &Environment,
    s: &str,
    now: Option<Timestamp>,
    fill_time: bool,
) -> Option<Zoned> {
    let trimmed = s.trim_matches([' ', '\n', '\r', '\t']);
    for layout in ["2006-01-02T15:04:05Z07:00", "2006-01-02T15:04Z07:00"] {
        if let Ok(p) = go_parse(layout, trimmed) {
            return parsed_to_zoned(&p, &env.timezone);
        }
    }
    let (date, rest) = find_date(env, trimmed, now.map(current_year))?;
    let (h, m, sec, ns) = match find_time(rest) {
        Some(t) => t,
        None => match (fill_time, now) {
            (true, Some(now)) => {
                let t = now_in(env, now).time();
                (
                    t.hour() as i64,
                    t.minute() as i64,
                    t.second() as i64,
                    t.subsec_nanosecond() as i64,
                )
            }
            _ => (0, 0, 0, 0),
        },
    };
    go_date(
        date.year() as i64,
        date.month() as i64,
        date.day() as i64,
        h,
        m,
        sec,
        ns,
        &env.timezone,
    )
}

/// Reads a datetime from text the way goflow does: ISO 8601 (`2017-01-15T10:30:00Z`,
/// `…T10:30-03:00`) first; else a date in the environment's order anywhere in the text,
/// with the first time found after it (`"it was 12/6/2017 at 10pm"`), in the
/// environment's zone. Without a time it is midnight, or `now`'s time of day when
/// `fill_time` is set (what `has_date` and friends use).
pub fn parse_datetime_text_at(
    env: &Environment,
    now: Timestamp,
    s: &str,
    fill_time: bool,
) -> Option<Zoned> {
    datetime_from_text(env, s, Some(now), fill_time)
}

/// [`parse_datetime_text_at`] without a clock: midnight when no time is given, Go's pivot
/// for two digit years.
pub fn parse_datetime_text(env: &Environment, s: &str) -> Option<Zoned> {
    datetime_from_text(env, s, None, false)
}

/// Reads a time of day from text (`10:30`, `10:30:45 PM`, `10pm`), anywhere in it.
pub fn parse_time_text(s: &str) -> Option<Time> {
    // A rendered datetime ("2018-04-11T15:24:30-05:00") has its time after the date;
    // reading it as free text would take the year for hours.
    let trimmed = s.trim();
    if trimmed.parse::<jiff::Timestamp>().is_ok() {
        if let Ok(dt) = trimmed.parse::<jiff::civil::DateTime>() {
            return Some(dt.time());
        }
    }
    find_time(s).map(|(h, m, sec, ns)| normalized_time(h, m, sec, ns))
}

// ---------------------------------------------------------------------------------------
// Value conversions
// ---------------------------------------------------------------------------------------

fn date_conv(env: &Environment, v: &Value, now: Option<Timestamp>) -> Result<Date, Value> {
    match v.default_or_self() {
        Value::Date(d) => Ok(*d),
        Value::DateTime(z) => Ok(z.with_time_zone(env.timezone.clone()).date()),
        Value::Error(_) => Err(v.default_or_self().clone()),
        Value::Text(t) => find_date(env, t, now.map(current_year))
            .map(|(d, _)| d)
            .ok_or_else(|| v.conversion_error("a date")),
        other => Err(other.conversion_error("a date")),
    }
}

/// Date conversion (`date()`): dates as they are, datetimes by their date in the
/// environment's zone, text read by [`parse_date_text_at`].
pub fn to_date_at(env: &Environment, now: Timestamp, v: &Value) -> Result<Date, Value> {
    date_conv(env, v, Some(now))
}

/// [`to_date_at`] without a clock (two digit years use Go's pivot).
pub fn to_date(env: &Environment, v: &Value) -> Result<Date, Value> {
    date_conv(env, v, None)
}

fn datetime_conv(
    env: &Environment,
    v: &Value,
    now: Option<Timestamp>,
    fill_time: bool,
) -> Result<Zoned, Value> {
    match v.default_or_self() {
        Value::DateTime(z) => Ok((**z).clone()),
        Value::Date(d) => go_local(d.to_datetime(Time::midnight()), &env.timezone)
            .ok_or_else(|| v.conversion_error("a datetime")),
        Value::Error(_) => Err(v.default_or_self().clone()),
        Value::Text(t) => datetime_from_text(env, t, now, fill_time)
            .ok_or_else(|| v.conversion_error("a datetime")),
        other => Err(other.conversion_error("a datetime")),
    }
}

/// Datetime conversion (`datetime()`): dates become midnight in the environment's zone,
/// text is read by [`parse_datetime_text_at`] (`fill_time` as there).
pub fn to_datetime_at(
    env: &Environment,
    now: Timestamp,
    v: &Value,
    fill_time: bool,
) -> Result<Zoned, Value> {
    datetime_conv(env, v, Some(now), fill_time)
}

/// [`to_datetime_at`] without a clock (midnight when text has no time).
pub fn to_datetime(env: &Environment, v: &Value) -> Result<Zoned, Value> {
    datetime_conv(env, v, None, false)
}

/// Time conversion (`time()`): times as they are, datetimes by their local time, numbers
/// 0–24 as hours, text read by [`parse_time_text`].
pub fn to_time(_env: &Environment, v: &Value) -> Result<Time, Value> {
    match v.default_or_self() {
        Value::Time(t) => Ok(*t),
        Value::DateTime(z) => Ok(z.time()),
        Value::Error(_) => Err(v.default_or_self().clone()),
        Value::Number(n) => match i64::try_from(n.trunc()) {
            Ok(h @ 0..=23) => Ok(normalized_time(h, 0, 0, 0)),
            Ok(24) => Ok(Time::midnight()),
            _ => Err(v.conversion_error("a time")),
        },
        Value::Text(t) => parse_time_text(t).ok_or_else(|| v.conversion_error("a time")),
        other => Err(other.conversion_error("a time")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(order: &str, tz: &str) -> Environment {
        Environment {
            date_format: order.into(),
            timezone: TimeZone::get(tz).unwrap(),
            timezone_name: tz.into(),
            ..Environment::default()
        }
    }

    fn now() -> Timestamp {
        "2018-04-11T13:24:30.123456Z".parse().unwrap()
    }

    #[test]
    fn free_text_dates() {
        let e = env("DD-MM-YYYY", "America/Sao_Paulo");
        let d = |s: &str| parse_date_text_at(&e, now(), s).map(iso_date);
        assert_eq!(d("it was 12/6/2017").as_deref(), Some("2017-06-12"));
        assert_eq!(d("last date was 1.10.99").as_deref(), Some("1999-10-01"));
        assert_eq!(d("3.10.01").as_deref(), Some("2001-10-03"));
        assert_eq!(d("30/02/2022"), None);
        assert_eq!(d("33.2.99"), None);
        assert_eq!(d("2017-01-15 02:15:18PM").as_deref(), Some("2017-01-15"));
        assert_eq!(d("just a year 2017"), None);
        let m = env("MM-DD-YYYY", "America/Los_Angeles");
        assert_eq!(
            parse_date_text_at(&m, now(), "12/6/2017")
                .map(iso_date)
                .as_deref(),
            Some("2017-12-06")
        );
    }

    #[test]
    fn free_text_datetimes() {
        let e = env("DD-MM-YYYY", "America/Sao_Paulo");
        let dt =
            |s: &str, fill| parse_datetime_text_at(&e, now(), s, fill).map(|z| iso_datetime(&z));
        assert_eq!(
            dt("01-12-2017 10:15pm", false).as_deref(),
            Some("2017-12-01T22:15:00.000000-02:00")
        );
        assert_eq!(
            dt("15/06/2023", false).as_deref(),
            Some("2023-06-15T00:00:00.000000-03:00")
        );
        assert_eq!(
            dt("a data é 15/06/2023", true).as_deref(),
            Some("2023-06-15T10:24:30.123456-03:00")
        );
        assert_eq!(
            dt("2017-06-12T16:56:59.123Z", false).as_deref(),
            Some("2017-06-12T16:56:59.123000Z")
        );
        // midnight that did not exist (DST start) resolves like Go: the evening before
        assert_eq!(
            dt("04/11/2018", false).as_deref(),
            Some("2018-11-03T23:00:00.000000-03:00")
        );
    }

    #[test]
    fn times() {
        let t = |s: &str| parse_time_text(s).map(iso_time);
        assert_eq!(t("10:30:45 PM").as_deref(), Some("22:30:45.000000"));
        assert_eq!(t("the time is 10 PM").as_deref(), Some("22:00:00.000000"));
        assert_eq!(t("12:00 AM").as_deref(), Some("00:00:00.000000"));
        assert_eq!(t("59:77"), None);
        assert_eq!(t("just the number 25"), None);
    }

    #[test]
    fn layouts() {
        let e = env("DD-MM-YYYY", "America/Sao_Paulo");
        let z = parse_datetime_text(&e, "1977-06-23T15:34:00.123000Z").unwrap();
        let f = |l: &str| format_datetime_layout(&e, &z, l);
        assert_eq!(
            f("YYYY-MM-DDTtt:mm:ss.fffZ").unwrap(),
            "1977-06-23T15:34:00.123Z"
        );
        assert_eq!(f("YY-M-D h:mm AA").unwrap(), "77-6-23 3:34 PM");
        assert_eq!(f("EEE EEEE MMM MMMM").unwrap(), "Thu Thursday Jun June");
        assert_eq!(
            f("YYYYYYY").unwrap_err(),
            "'YYYYYYY' is not valid in a datetime formatting layout"
        );
        let br = Environment::brazil();
        let d = Date::new(2024, 3, 9).unwrap();
        assert_eq!(
            format_date_layout(&br, d, "EEEE, D MMMM YYYY").unwrap(),
            "sábado, 9 março 2024"
        );
        assert_eq!(format_date_env(&br, d), "09-03-2024");
    }

    #[test]
    fn layout_parsing() {
        let la = TimeZone::get("America/Los_Angeles").unwrap();
        let p = |t: &str, l: &str| parse_datetime_layout(t, l, &la).map(|z| iso_datetime(&z));
        assert_eq!(
            p("1977-06-23 03:34 pm", "YYYY-MM-DD tt:mm aa").unwrap(),
            "1977-06-23T15:34:00.000000-07:00"
        );
        assert_eq!(
            p("abcd", "YYYY-MM-DD").unwrap_err(),
            "cannot parse 'abcd' as 'YYYY'"
        );
        assert_eq!(
            parse_time_layout("2:40 pm", "h:mm aa")
                .map(iso_time)
                .unwrap(),
            "14:40:00.000000"
        );
    }

    #[test]
    fn brazil() {
        let br = Environment::brazil();
        let z = now_in(&br, now());
        assert_eq!(iso_datetime(&z), "2018-04-11T10:24:30.123456-03:00");
        assert_eq!(format_datetime_env(&br, &z), "11-04-2018 10:24");
        let utc = parse_datetime_text(&br, "2023-06-15T23:30:00Z").unwrap();
        assert_eq!(format_datetime_env(&br, &utc), "15-06-2023 20:30");
        let typed = parse_datetime_text_at(&br, now(), "nasci em 05/03/90 às 7:15", false).unwrap();
        assert_eq!(iso_datetime(&typed), "1990-03-05T07:15:00.000000-03:00");
        assert_eq!(zone_name(&typed), "America/Sao_Paulo");
    }

    #[test]
    fn go_arithmetic() {
        let d = normalized_date(2017, 2, 31).unwrap();
        assert_eq!(iso_date(d), "2017-03-03");
        let e = env("DD-MM-YYYY", "UTC");
        let z = parse_datetime_text(&e, "31-01-2017").unwrap();
        assert_eq!(
            iso_datetime(&add_date(&z, 0, 1, 0).unwrap()),
            "2017-03-03T00:00:00.000000Z"
        );
        assert_eq!(week_number(Date::new(2019, 7, 23).unwrap()), 30);
        assert_eq!(week_number(Date::new(2019, 1, 1).unwrap()), 1);
    }
}
