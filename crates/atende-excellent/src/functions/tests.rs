//! Router tests, the `has_*` functions a flow's switch router evaluates against the input,
//! and `format_location`.
//!
//! A test that matches returns an object whose default is `true` and whose `match` holds
//! what matched (plus `extra` for some tests: a pattern's groups, an intent's entities);
//! one that does not match returns an object whose default is `false` and whose `match`
//! is empty. Both render as `true`/`false` and work with `if`, `and`, `or`.
//!
//! Text comparisons ignore case and, per the environment's `input_collation`, the
//! differences between Arabic letter variants or between confusable characters.

use std::sync::{Arc, OnceLock};

use jiff::Zoned;
use regex::Regex;
use rust_decimal::Decimal;

use super::conversion::{to_array, to_object};
use super::{tri, FunctionDef};
use crate::env::{Collation, Environment};
use crate::eval::Evaluator;
use crate::locations::{find_fuzzy, location_name, Found, Level, Location};
use crate::value::{Object, Value};
use crate::words::tokenize;

pub(crate) const FUNCTIONS: &[FunctionDef] = &[
    FunctionDef::new("has_error", 1, Some(1), has_error),
    FunctionDef::new("has_text", 1, Some(1), has_text),
    FunctionDef::new("has_value", 1, Some(1), has_text),
    FunctionDef::new("has_beginning", 2, Some(2), has_beginning),
    FunctionDef::new("has_any_word", 2, Some(2), has_any_word),
    FunctionDef::new("has_all_words", 2, Some(2), has_all_words),
    FunctionDef::new("has_phrase", 2, Some(2), has_phrase),
    FunctionDef::new("has_only_phrase", 2, Some(2), has_only_phrase),
    FunctionDef::new("has_only_text", 2, Some(2), has_only_text),
    FunctionDef::new("has_pattern", 2, Some(2), has_pattern),
    FunctionDef::new("has_number", 1, Some(1), has_number),
    FunctionDef::new("has_number_between", 3, Some(3), has_number_between),
    FunctionDef::new("has_number_lt", 2, Some(2), has_number_lt),
    FunctionDef::new("has_number_lte", 2, Some(2), has_number_lte),
    FunctionDef::new("has_number_eq", 2, Some(2), has_number_eq),
    FunctionDef::new("has_number_gte", 2, Some(2), has_number_gte),
    FunctionDef::new("has_number_gt", 2, Some(2), has_number_gt),
    FunctionDef::new("has_date", 1, Some(1), has_date),
    FunctionDef::new("has_date_lt", 2, Some(2), has_date_lt),
    FunctionDef::new("has_date_eq", 2, Some(2), has_date_eq),
    FunctionDef::new("has_date_gt", 2, Some(2), has_date_gt),
    FunctionDef::new("has_time", 1, Some(1), has_time),
    FunctionDef::new("has_phone", 1, Some(2), has_phone),
    FunctionDef::new("has_email", 1, Some(1), has_email),
    FunctionDef::new("has_group", 2, Some(3), has_group),
    FunctionDef::new("has_category", 1, None, has_category),
    FunctionDef::new("has_intent", 3, Some(3), has_intent),
    FunctionDef::new("has_top_intent", 3, Some(3), has_top_intent),
    FunctionDef::new("has_state", 1, Some(1), has_state),
    FunctionDef::new("has_district", 1, Some(2), has_district),
    FunctionDef::new("has_ward", 1, Some(3), has_ward),
    FunctionDef::new("format_location", 1, Some(1), format_location),
];

// ---------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------

/// The result of a test that did not match: `{__default__: false, match: ""}`.
pub fn test_result_false() -> Value {
    let mut o = Object::with_default(Value::Bool(false));
    o.insert("match", Value::text(""));
    Value::Object(Arc::new(o))
}

/// The result of a test that matched `m`: `{__default__: true, match: m}`, with an
/// `extra` property when given.
pub fn test_result_match(m: Value, extra: Option<Value>) -> Value {
    let mut o = Object::with_default(Value::Bool(true));
    o.insert("match", m);
    if let Some(extra) = extra {
        o.insert("extra", extra);
    }
    Value::Object(Arc::new(o))
}

fn matched(m: impl Into<Value>) -> Value {
    test_result_match(m.into(), None)
}

/// A text argument as the tests read it: null is empty text, errors stay errors.
fn text_arg(v: &Value) -> Result<String, Value> {
    match v {
        Value::Null => Ok(String::new()),
        _ => v.to_text(),
    }
}

// ---------------------------------------------------------------------------------------
// Collation
// ---------------------------------------------------------------------------------------

/// The form of `s` that text tests compare: lowercase, with the collation's variants
/// folded together.
fn collation_key(env: &Environment, s: &str) -> String {
    match env.input_collation {
        Collation::Default => s.to_lowercase(),
        Collation::ArabicVariants => s
            .chars()
            .map(arabic_base)
            .collect::<String>()
            .to_lowercase(),
        Collation::Confusables => {
            let mut out = String::with_capacity(s.len());
            for c in s.to_lowercase().chars() {
                match confusable_base(c) {
                    Some(base) => out.push_str(base),
                    None => out.push(c),
                }
            }
            out.to_lowercase()
        }
    }
}

fn same_text(env: &Environment, a: &str, b: &str) -> bool {
    a == b || collation_key(env, a) == collation_key(env, b)
}

/// Folds the Arabic-script letters that are written differently across keyboards
/// (Arabic vs Persian/Urdu forms) to one letter.
fn arabic_base(c: char) -> char {
    match c {
        // yeh: Farsi yeh, alef maksura, yeh barree and friends
        '\u{06CC}' | '\u{0649}' | '\u{06D0}' | '\u{06D2}' | '\u{06CD}' | '\u{063D}'
        | '\u{063E}' | '\u{063F}' => '\u{064A}',
        // kaf: keheh, swash kaf
        '\u{06A9}' | '\u{06AA}' => '\u{0643}',
        // heh: heh goal, heh doachashmee, ae
        '\u{06C1}' | '\u{06BE}' | '\u{06D5}' => '\u{0647}',
        // alef with hamza or madda, alef wasla
        '\u{0623}' | '\u{0625}' | '\u{0622}' | '\u{0671}' => '\u{0627}',
        // Persian / Urdu digits to Arabic-Indic digits
        '\u{06F0}'..='\u{06F9}' => char::from_u32(c as u32 - 0x06F0 + 0x0660).unwrap_or(c),
        _ => c,
    }
}

/// The Latin look-alike of a confusable character (after Unicode's confusables list:
/// Cyrillic, Greek and fullwidth letters, digits that pass for letters).
fn confusable_base(c: char) -> Option<&'static str> {
    const ASCII: [&str; 95] = [
        " ", "!", "\"", "#", "$", "%", "&", "'", "(", ")", "*", "+", ",", "-", ".", "/", "0", "1",
        "2", "3", "4", "5", "6", "7", "8", "9", ":", ";", "<", "=", ">", "?", "@", "A", "B", "C",
        "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U",
        "V", "W", "X", "Y", "Z", "[", "\\", "]", "^", "_", "`", "a", "b", "c", "d", "e", "f", "g",
        "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y",
        "z", "{", "|", "}", "~",
    ];
    let folded = match c {
        // fullwidth ASCII
        '\u{FF01}'..='\u{FF5E}' => {
            return confusable_base(char::from_u32(c as u32 - 0xFF01 + 0x21)?)
                .or_else(|| Some(ASCII[(c as u32 - 0xFF01 + 1) as usize]));
        }
        '0' => "o",
        '1' | '|' | 'ǀ' | 'Ι' | 'І' | 'Ӏ' => "l",
        'А' | 'Α' => "A",
        'В' | 'Β' => "B",
        'С' | 'Ϲ' => "C",
        'Е' | 'Ε' => "E",
        'Н' | 'Η' => "H",
        'Ј' => "J",
        'К' | 'Κ' => "K",
        'М' | 'Μ' => "M",
        'Ν' => "N",
        'О' | 'Ο' => "O",
        'Р' | 'Ρ' => "P",
        'Ѕ' => "S",
        'Т' | 'Τ' => "T",
        'Х' | 'Χ' => "X",
        'У' | 'Υ' | 'Ү' => "Y",
        'Ζ' => "Z",
        'а' | 'ɑ' | 'α' => "a",
        'ь' => "b",
        'с' | 'ϲ' => "c",
        'ԁ' => "d",
        'е' | 'ҽ' => "e",
        'ɡ' | 'ց' => "g",
        'һ' => "h",
        'і' | 'ɩ' | 'ι' | 'ӏ' => "i",
        'ј' | 'ϳ' => "j",
        'ո' => "n",
        'о' | 'ο' | 'օ' | 'σ' => "o",
        'р' | 'ρ' => "p",
        'ԛ' => "q",
        'ѕ' => "s",
        'υ' | 'ս' => "u",
        'ν' | 'ѵ' => "v",
        'ԝ' | 'ѡ' => "w",
        'х' | 'χ' => "x",
        'у' | 'γ' => "y",
        _ => return None,
    };
    Some(folded)
}

// ---------------------------------------------------------------------------------------
// Errors and text
// ---------------------------------------------------------------------------------------

/// `has_error(value)`: whether `value` is an error; the match is its message.
/// `@(has_error(1 / 0).match)` → `division by zero`.
fn has_error(_: &mut Evaluator, args: &[Value]) -> Value {
    match args[0].default_or_self() {
        Value::Error(e) => matched(Value::Text(e.clone())),
        _ => test_result_false(),
    }
}

/// `has_text(text)`: whether `text` has anything but spaces. `@(has_text("quick brown"))` → `true`.
fn has_text(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(text_arg(&args[0]));
    let trimmed = text.trim();
    if trimmed.is_empty() {
        test_result_false()
    } else {
        matched(trimmed)
    }
}

/// `has_only_text(text1, text2)`: whether the two texts are identical (case matters).
/// `@(has_only_text("foo", "foo"))` → `true`.
fn has_only_text(_: &mut Evaluator, args: &[Value]) -> Value {
    let a = tri!(text_arg(&args[0]));
    let b = tri!(text_arg(&args[1]));
    if a == b {
        matched(a)
    } else {
        test_result_false()
    }
}

/// `has_beginning(text, beginning)`: whether `text` starts with `beginning`, ignoring case
/// and leading spaces. `@(has_beginning("The Quick Brown", "the quick"))` → `true`.
fn has_beginning(ev: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(text_arg(&args[0]));
    let beginning = tri!(text_arg(&args[1]));
    let (text, beginning) = (text.trim(), beginning.trim());
    let n = beginning.chars().count();
    let end = text.char_indices().nth(n).map_or(text.len(), |(i, _)| i);
    if text.chars().count() < n {
        return test_result_false();
    }
    let segment = &text[..end];
    if same_text(ev.env, segment, beginning) {
        matched(segment)
    } else {
        test_result_false()
    }
}

// ---------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------

/// `has_any_word(text, words)`: whether `text` has any of `words`; the match is the words
/// found. `@(has_any_word("The Quick Brown Fox", "fox quick").match)` → `Quick Fox`.
fn has_any_word(ev: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(text_arg(&args[0]));
    let words = tri!(text_arg(&args[1]));
    let env = ev.env;
    let wanted: Vec<String> = tokenize(&words)
        .iter()
        .map(|w| collation_key(env, w))
        .collect();
    let found: Vec<&str> = tokenize(&text)
        .into_iter()
        .filter(|w| wanted.contains(&collation_key(env, w)))
        .collect();
    if found.is_empty() {
        test_result_false()
    } else {
        matched(found.join(" "))
    }
}

/// `has_all_words(text, words)`: whether `text` has every one of `words`.
/// `@(has_all_words("the quick brown FOX", "the fox").match)` → `the FOX`.
fn has_all_words(ev: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(text_arg(&args[0]));
    let words = tri!(text_arg(&args[1]));
    let env = ev.env;
    let wanted: Vec<String> = tokenize(&words)
        .iter()
        .map(|w| collation_key(env, w))
        .collect();
    let text_words = tokenize(&text);
    let keys: Vec<String> = text_words.iter().map(|w| collation_key(env, w)).collect();
    if !wanted.iter().all(|w| keys.contains(w)) {
        return test_result_false();
    }
    let found: Vec<&str> = text_words
        .iter()
        .zip(&keys)
        .filter(|(_, k)| wanted.contains(k))
        .map(|(w, _)| *w)
        .collect();
    matched(found.join(" "))
}

/// `has_phrase(text, phrase)`: whether the words of `phrase` appear in `text`, in order and
/// next to each other. `@(has_phrase("the quick brown fox", "brown fox"))` → `true`.
fn has_phrase(ev: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(text_arg(&args[0]));
    let phrase = tri!(text_arg(&args[1]));
    let env = ev.env;
    let wanted: Vec<String> = tokenize(&phrase)
        .iter()
        .map(|w| collation_key(env, w))
        .collect();
    if wanted.is_empty() {
        return matched("");
    }
    let words = tokenize(&text);
    let keys: Vec<String> = words.iter().map(|w| collation_key(env, w)).collect();
    match keys
        .windows(wanted.len())
        .position(|run| run == wanted.as_slice())
    {
        Some(i) => matched(words[i..i + wanted.len()].join(" ")),
        None => test_result_false(),
    }
}

/// `has_only_phrase(text, phrase)`: whether `text` is exactly the words of `phrase`.
/// `@(has_only_phrase("Quick Brown", "quick brown"))` → `true`.
fn has_only_phrase(ev: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(text_arg(&args[0]));
    let phrase = tri!(text_arg(&args[1]));
    let env = ev.env;
    let words = tokenize(&text);
    let wanted = tokenize(&phrase);
    if words.len() == wanted.len() && words.iter().zip(&wanted).all(|(a, b)| same_text(env, a, b)) {
        matched(words.join(" "))
    } else {
        test_result_false()
    }
}

/// `has_pattern(text, pattern)`: whether `text` matches the regular expression `pattern`
/// (case-insensitive unless it says `(?-i)`); `extra` holds the groups.
/// `@(has_pattern("Buy cheese please", "buy (\w+)").extra)` → `{0: Buy cheese, 1: cheese}`.
fn has_pattern(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(text_arg(&args[0]));
    let pattern = tri!(text_arg(&args[1]));
    let Some(re) = crate::regex_cache::compile(&format!("(?i){pattern}")) else {
        return Value::error("must be a valid regular expression");
    };
    let Some(caps) = re.captures(&text) else {
        return test_result_false();
    };
    let mut extra = Object::new();
    for (i, group) in caps.iter().enumerate() {
        let g = group.map_or("", |m| m.as_str());
        extra.insert(i.to_string(), Value::text(g));
    }
    let whole = caps.get(0).map_or("", |m| m.as_str());
    test_result_match(Value::text(whole), Some(Value::Object(Arc::new(extra))))
}

// ---------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------

/// The ASCII value of a decimal digit of any common script (Arabic-Indic, Persian,
/// Devanagari, Bengali, Thai, fullwidth…).
fn ascii_digit(c: char) -> Option<char> {
    const ZEROS: &[u32] = &[
        0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
        0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0,
        0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0,
        0xAA50, 0xABF0, 0xFF10,
    ];
    if c.is_ascii_digit() {
        return Some(c);
    }
    let cp = c as u32;
    ZEROS
        .iter()
        .find(|&&z| cp >= z && cp < z + 10)
        .and_then(|z| char::from_digit(cp - z, 10))
}

/// Replaces the digits of other scripts by ASCII digits (and the Arabic decimal and
/// thousands separators by the environment's symbols).
fn normalize_digits(env: &Environment, s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{066B}' => out.push_str(&env.number_format.decimal_symbol),
            '\u{066C}' => out.push_str(&env.number_format.digit_grouping_symbol),
            c => out.push(ascii_digit(c).unwrap_or(c)),
        }
    }
    out
}

fn whole_number() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$").expect("valid regex"))
}

fn number_in_word() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"-?[0-9]+(?:\.[0-9]+)?").expect("valid regex"))
}

fn decimal_from(s: &str) -> Option<Decimal> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let body = body.strip_suffix('.').unwrap_or(body);
    let body = if body.starts_with('.') {
        format!("0{body}")
    } else {
        body.to_string()
    };
    let n = Decimal::from_str_exact(&body).ok()?;
    Some(if neg { -n } else { n })
}

/// Reads the number a word of an input stands for: the whole word (`-12.51`, `.51`,
/// `1,000,000` with the environment's separators, `٤٢`), else the first number in it
/// (`20ANS` → 20, `1-15` → 1).
pub(crate) fn number_in(env: &Environment, word: &str) -> Option<Decimal> {
    let mut cleaned = normalize_digits(env, word);
    let nf = &env.number_format;
    if !nf.digit_grouping_symbol.is_empty() {
        cleaned = cleaned.replace(nf.digit_grouping_symbol.as_str(), "");
    }
    if !nf.decimal_symbol.is_empty() && nf.decimal_symbol != "." {
        cleaned = cleaned.replace(nf.decimal_symbol.as_str(), ".");
    }
    if whole_number().is_match(&cleaned) {
        return decimal_from(&cleaned);
    }
    number_in_word()
        .find(&cleaned)
        .and_then(|m| decimal_from(m.as_str()))
}

/// The first number in `text` (word by word) that passes `test`.
fn find_number(env: &Environment, text: &str, test: impl Fn(Decimal) -> bool) -> Value {
    for word in text.split_whitespace() {
        if let Some(n) = number_in(env, word) {
            if test(n) {
                return matched(Value::Number(n));
            }
        }
    }
    test_result_false()
}

/// `has_number(text)`: whether `text` has a number; the match is the number.
/// `@(has_number("the number is 42").match)` → `42`.
fn has_number(ev: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(text_arg(&args[0]));
    find_number(ev.env, &text, |_| true)
}

/// `has_number_between(text, min, max)`: whether `text` has a number from `min` to `max`.
/// `@(has_number_between("the number is 42", 40, 44).match)` → `42`.
fn has_number_between(ev: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(text_arg(&args[0]));
    let min = tri!(args[1].to_number());
    let max = tri!(args[2].to_number());
    find_number(ev.env, &text, |n| n >= min && n <= max)
}

fn number_test(ev: &mut Evaluator, args: &[Value], test: fn(Decimal, Decimal) -> bool) -> Value {
    let text = tri!(text_arg(&args[0]));
    let other = tri!(args[1].to_number());
    find_number(ev.env, &text, |n| test(n, other))
}

/// `has_number_lt(text, max)`: whether `text` has a number below `max`.
/// `@(has_number_lt("the number is 42", 44).match)` → `42`.
fn has_number_lt(ev: &mut Evaluator, args: &[Value]) -> Value {
    number_test(ev, args, |n, m| n < m)
}

/// `has_number_lte(text, max)`: whether `text` has a number up to `max`.
/// `@(has_number_lte("the number is 42", 42).match)` → `42`.
fn has_number_lte(ev: &mut Evaluator, args: &[Value]) -> Value {
    number_test(ev, args, |n, m| n <= m)
}

/// `has_number_eq(text, value)`: whether `text` has a number equal to `value`.
/// `@(has_number_eq("the number is 42", 42).match)` → `42`.
fn has_number_eq(ev: &mut Evaluator, args: &[Value]) -> Value {
    number_test(ev, args, |n, m| n == m)
}

/// `has_number_gte(text, min)`: whether `text` has a number of at least `min`.
/// `@(has_number_gte("the number is 42", 42).match)` → `42`.
fn has_number_gte(ev: &mut Evaluator, args: &[Value]) -> Value {
    number_test(ev, args, |n, m| n >= m)
}

/// `has_number_gt(text, min)`: whether `text` has a number above `min`.
/// `@(has_number_gt("the number is 42", 40).match)` → `42`.
fn has_number_gt(ev: &mut Evaluator, args: &[Value]) -> Value {
    number_test(ev, args, |n, m| n > m)
}

// ---------------------------------------------------------------------------------------
// Dates and times
// ---------------------------------------------------------------------------------------

/// The datetime written in `text` (a date in the environment's order, with the time given
/// after it or else the current time of day), in the environment's zone.
fn date_in(ev: &mut Evaluator, text: &str) -> Option<Zoned> {
    let now = ev.now();
    crate::dates::parse_datetime_text_at(ev.env, now, text, true)
        .map(|z| z.with_time_zone(ev.env.timezone.clone()))
}

/// `has_date(text)`: whether `text` has a date; the match is it as a datetime.
/// `@(has_date("the date is 15/01/2017"))` → `true`.
fn has_date(ev: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(text_arg(&args[0]));
    match date_in(ev, &text) {
        Some(z) => matched(Value::datetime(z)),
        None => test_result_false(),
    }
}

fn date_test(
    ev: &mut Evaluator,
    args: &[Value],
    test: fn(jiff::civil::Date, jiff::civil::Date) -> bool,
) -> Value {
    let text = tri!(text_arg(&args[0]));
    let now = ev.now();
    let other = tri!(crate::dates::to_datetime_at(ev.env, now, &args[1], false));
    let other = other.with_time_zone(ev.env.timezone.clone()).date();
    match date_in(ev, &text) {
        Some(z) if test(z.date(), other) => matched(Value::datetime(z)),
        _ => test_result_false(),
    }
}

/// `has_date_lt(text, max)`: whether `text` has a date before `max`.
/// `@(has_date_lt("the date is 15/01/2017", "2017-06-01"))` → `true`.
fn has_date_lt(ev: &mut Evaluator, args: &[Value]) -> Value {
    date_test(ev, args, |d, m| d < m)
}

/// `has_date_eq(text, date)`: whether `text` has a date on `date`.
/// `@(has_date_eq("the date is 15/01/2017", "2017-01-15"))` → `true`.
fn has_date_eq(ev: &mut Evaluator, args: &[Value]) -> Value {
    date_test(ev, args, |d, m| d == m)
}

/// `has_date_gt(text, min)`: whether `text` has a date after `min`.
/// `@(has_date_gt("the date is 15/01/2017", "2017-01-01"))` → `true`.
fn has_date_gt(ev: &mut Evaluator, args: &[Value]) -> Value {
    date_test(ev, args, |d, m| d > m)
}

/// `has_time(text)`: whether `text` has a time of day; the match is it.
/// `@(has_time("the time is 10:30").match)` → `10:30:00.000000`.
fn has_time(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(text_arg(&args[0]));
    match crate::dates::parse_time_text(&text) {
        Some(t) => matched(Value::Time(t)),
        None => test_result_false(),
    }
}

// ---------------------------------------------------------------------------------------
// Phones and emails
// ---------------------------------------------------------------------------------------

fn phone_candidates() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\+?\(?[0-9](?:[0-9 \-.()]*[0-9])?").expect("valid regex"))
}

/// Reads `raw` as a phone number of `country` (ISO 3166-1 alpha-2, may be empty), or as an
/// international number without its `+`; the number in E.164 when its length is possible.
pub(crate) fn parse_phone(raw: &str, country: &str) -> Option<String> {
    use phonenumber::country::Id;
    let region: Option<Id> = country.trim().to_ascii_uppercase().parse().ok();
    if region.is_some() || raw.starts_with('+') {
        if let Some(e164) = possible_e164(region, raw) {
            return Some(e164);
        }
    }
    if !raw.starts_with('+') {
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        return possible_e164(None, &format!("+{digits}"));
    }
    None
}

/// The E.164 form of `raw` parsed for `region`, when its length is possible for its
/// country (libphonenumber's `IS_POSSIBLE`; lengths only valid locally are refused).
fn possible_e164(region: Option<phonenumber::country::Id>, raw: &str) -> Option<String> {
    use phonenumber::metadata::DATABASE;
    // the parser panics on some malformed input; treat that as "not a number"
    let parsed = std::panic::catch_unwind(|| phonenumber::parse(region, raw)).ok()?;
    let number = parsed.ok()?;
    let code = number.code().value();
    let metas = DATABASE.by_code(&code)?;
    let meta = metas.first()?;
    let d = meta.descriptors();
    let mut lengths: Vec<u16> = Vec::new();
    let mut local: Vec<u16> = Vec::new();
    for desc in [
        d.fixed_line(),
        d.mobile(),
        d.toll_free(),
        d.premium_rate(),
        d.shared_cost(),
        d.personal_number(),
        d.voip(),
        d.pager(),
        d.uan(),
        d.voicemail(),
    ]
    .into_iter()
    .flatten()
    {
        lengths.extend_from_slice(desc.possible_length());
        local.extend_from_slice(desc.possible_local_length());
    }
    lengths.sort_unstable();
    lengths.dedup();
    local.retain(|l| !lengths.contains(l));
    let national = number.national().to_string();
    let len = u16::try_from(national.len()).ok()?;
    if local.contains(&len) || !lengths.contains(&len) {
        return None;
    }
    Some(format!("+{code}{national}"))
}

/// `has_phone(text, [country])`: whether `text` has a phone number (read in `country`, else
/// the environment's); the match is it in E.164.
/// `@(has_phone("my number is 2067799294", "US").match)` → `+12067799294`.
fn has_phone(ev: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(text_arg(&args[0]));
    let country = match args.get(1) {
        Some(c) => tri!(text_arg(c)),
        None => String::new(),
    };
    let country = if country.trim().is_empty() {
        ev.env.default_country.clone()
    } else {
        country
    };
    let text = normalize_digits(ev.env, &text);
    for candidate in phone_candidates().find_iter(&text) {
        let raw = candidate.as_str();
        if let Some(e164) = parse_phone(raw, &country) {
            return matched(e164);
        }
        if raw.contains(' ') {
            for piece in raw
                .split(' ')
                .filter(|p| p.bytes().any(|b| b.is_ascii_digit()))
            {
                if let Some(e164) = parse_phone(piece, &country) {
                    return matched(e164);
                }
            }
        }
    }
    test_result_false()
}

fn email_pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"[\pL\pN][-_.+\pL\pN]*@[\pL\pN][-_\pL\pN]*(?:\.[\pL\pN][-_\pL\pN]*)+")
            .expect("valid regex")
    })
}

/// `has_email(text)`: whether `text` has an email address; the match is it.
/// `@(has_email("my email is foo1@bar.com, please respond").match)` → `foo1@bar.com`.
fn has_email(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(text_arg(&args[0]));
    match email_pattern().find(&text) {
        Some(m) => matched(m.as_str()),
        None => test_result_false(),
    }
}

// ---------------------------------------------------------------------------------------
// Groups, categories, intents
// ---------------------------------------------------------------------------------------

/// `has_group(groups, group_uuid, [name])`: whether `groups` has the group with that UUID;
/// the match is the group.
/// `@(has_group(contact.groups, "b7cf0d83-f1c9-411c-96fd-c511a4cfa86d").match.name)` → `Testers`.
fn has_group(_: &mut Evaluator, args: &[Value]) -> Value {
    let groups = tri!(to_array(&args[0]));
    let uuid = tri!(text_arg(&args[1]));
    if let Some(name) = args.get(2) {
        tri!(text_arg(name));
    }
    for group in groups.iter() {
        if let Value::Object(o) = group {
            if let Some(u) = o.get("uuid") {
                if u.to_text().is_ok_and(|u| u == uuid) {
                    return matched(group.clone());
                }
            }
        }
    }
    test_result_false()
}

/// `has_category(result, categories...)`: whether the flow result's category is one of
/// `categories` (ignoring case).
/// `@(has_category(results.favorite_color, "Red", "Blue").match)` → `Red`.
fn has_category(_: &mut Evaluator, args: &[Value]) -> Value {
    if args[0].is_error() {
        return args[0].clone();
    }
    let category = match &args[0] {
        Value::Object(o) => match o.get("category") {
            Some(c) => tri!(text_arg(c)),
            None => return Value::error("first argument must be a result"),
        },
        _ => return Value::error("first argument must be a result"),
    };
    let mut found = false;
    for arg in &args[1..] {
        let test = tri!(text_arg(arg));
        if !found && test.to_lowercase() == category.to_lowercase() {
            found = true;
        }
    }
    if found {
        matched(category)
    } else {
        test_result_false()
    }
}

fn intent_test(args: &[Value], top_only: bool) -> Value {
    let result = tri!(to_object(&args[0]));
    let name = tri!(text_arg(&args[1]));
    let min_confidence = tri!(args[2].to_number());
    let Some(Value::Object(extra)) = result.get("extra").map(Value::default_or_self) else {
        return test_result_false();
    };
    let Some(Value::Array(intents)) = extra.get("intents").map(Value::default_or_self) else {
        return test_result_false();
    };
    let limit = if top_only { 1 } else { intents.len() };
    for intent in intents.iter().take(limit) {
        let Value::Object(intent) = intent.default_or_self() else {
            continue;
        };
        let intent_name = intent.get("name").and_then(|n| n.to_text().ok());
        let confidence = intent.get("confidence").and_then(|c| c.to_number().ok());
        if let (Some(n), Some(c)) = (intent_name, confidence) {
            if n == name && c >= min_confidence {
                return test_result_match(Value::text(n), Some(top_entities(extra)));
            }
        }
    }
    test_result_false()
}

/// `{entity: top value}` from a classification's `entities`.
fn top_entities(classification: &Object) -> Value {
    let mut out = Object::new();
    if let Some(Value::Object(entities)) =
        classification.get("entities").map(Value::default_or_self)
    {
        for (name, values) in entities.iter() {
            if let Value::Array(values) = values.default_or_self() {
                if let Some(Value::Object(first)) = values.first().map(Value::default_or_self) {
                    if let Some(v) = first.get("value") {
                        out.insert(name.clone(), Value::text(v.render()));
                    }
                }
            }
        }
    }
    Value::Object(Arc::new(out))
}

/// `has_intent(result, name, confidence)`: whether any intent of a classification result
/// is `name` with at least `confidence`; `extra` holds the top value of each entity.
/// `@(has_intent(results.intent, "book_flight", 0.5))` → `true`.
fn has_intent(_: &mut Evaluator, args: &[Value]) -> Value {
    intent_test(args, false)
}

/// `has_top_intent(result, name, confidence)`: like `has_intent` but only the top intent.
/// `@(has_top_intent(results.intent, "book_hotel", 0.5))` → `false`.
fn has_top_intent(_: &mut Evaluator, args: &[Value]) -> Value {
    intent_test(args, true)
}

// ---------------------------------------------------------------------------------------
// Locations
// ---------------------------------------------------------------------------------------

fn locations<'a>(ev: &Evaluator<'a>) -> Result<&'a [Location], Value> {
    match &ev.env.locations {
        Some(locs) => Ok(locs.as_slice()),
        None => Err(Value::error(
            "can't find locations in environment which is not location enabled",
        )),
    }
}

/// An optional location argument: `None` when absent or blank.
fn optional_text(args: &[Value], i: usize) -> Result<Option<String>, Value> {
    match args.get(i) {
        None => Ok(None),
        Some(v) => {
            let t = text_arg(v)?;
            Ok(if t.trim().is_empty() { None } else { Some(t) })
        }
    }
}

fn location_result(found: Vec<Found<'_>>) -> Value {
    match found.first() {
        Some(f) => matched(f.path()),
        None => test_result_false(),
    }
}

/// `has_state(text)`: whether `text` names a state; the match is its path.
/// `@(has_state("Kigali").match)` → `Rwanda > Kigali City`.
fn has_state(ev: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(text_arg(&args[0]));
    let roots = tri!(locations(ev));
    location_result(find_fuzzy(roots, &text, Level::State, None))
}

/// `has_district(text, [state])`: whether `text` names a district (of `state` when given).
/// `@(has_district("Gasabo", "Kigali").match)` → `Rwanda > Kigali City > Gasabo`.
fn has_district(ev: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(text_arg(&args[0]));
    let state = tri!(optional_text(args, 1));
    let roots = tri!(locations(ev));
    match state {
        Some(state) => {
            let states = find_fuzzy(roots, &state, Level::State, None);
            match states.first() {
                Some(s) => location_result(find_fuzzy(roots, &text, Level::District, Some(s))),
                None => test_result_false(),
            }
        }
        None => location_result(find_fuzzy(roots, &text, Level::District, None)),
    }
}

/// `has_ward(text, [state], [district])`: whether `text` names a ward (of that state and
/// district when given).
/// `@(has_ward("Gisozi", "Kigali", "Gasabo").match)` → `Rwanda > Kigali City > Gasabo > Gisozi`.
fn has_ward(ev: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(text_arg(&args[0]));
    let state = tri!(optional_text(args, 1));
    let district = tri!(optional_text(args, 2));
    let roots = tri!(locations(ev));
    let states;
    let parent_state = match &state {
        Some(state) => {
            states = find_fuzzy(roots, state, Level::State, None);
            match states.first() {
                Some(s) => Some(s),
                None => return test_result_false(),
            }
        }
        None => None,
    };
    let districts;
    let parent = match &district {
        Some(district) => {
            districts = find_fuzzy(roots, district, Level::District, parent_state);
            match districts.first() {
                Some(d) => Some(d),
                None => return test_result_false(),
            }
        }
        None => parent_state,
    };
    location_result(find_fuzzy(roots, &text, Level::Ward, parent))
}

/// `format_location(location)`: the name of a location from its path.
/// `@(format_location("Rwanda > Kigali"))` → `Kigali`.
fn format_location(_: &mut Evaluator, args: &[Value]) -> Value {
    let path = tri!(text_arg(&args[0]));
    Value::text(location_name(&path))
}

#[cfg(test)]
mod unit {
    use super::*;

    fn env() -> Environment {
        Environment::default()
    }

    fn eval(env: &Environment, src: &str) -> String {
        let root = Value::Object(Arc::new(Object::new()));
        let mut rng = crate::services::Pcg::new(1, 2);
        let now: jiff::Timestamp = "2018-04-11T13:24:30.123456Z".parse().unwrap();
        let mut ev = Evaluator::new(env, &root, now, &mut rng);
        let r = ev.template(src);
        match r.errors.first() {
            Some(e) => format!("ERROR {e}"),
            None => r.text,
        }
    }

    #[test]
    fn result_shape() {
        let e = env();
        assert_eq!(eval(&e, "@(has_text(\" hi \"))"), "true");
        assert_eq!(eval(&e, "@(has_text(\" hi \").match)"), "hi");
        assert_eq!(eval(&e, "@(has_text(\" \").match)"), "");
        assert_eq!(eval(&e, "@(has_text(\" \"))"), "false");
        assert_eq!(eval(&e, "@(if(has_text(\"\"), \"y\", \"n\"))"), "n");
        assert_eq!(
            eval(&e, "@(has_pattern(\"a1b2\", \"(\\d)b(\\d)\").extra)"),
            "{0: 1b2, 1: 1, 2: 2}"
        );
        assert!(eval(&e, "@(has_pattern(\"a\", \"[\"))")
            .ends_with("must be a valid regular expression"));
        assert_eq!(eval(&e, "@(has_value(\"x\").match)"), "x");
    }

    #[test]
    fn word_tests() {
        let e = env();
        assert_eq!(
            eval(
                &e,
                "@(has_phrase(\"the the quick fox\", \"the quick\").match)"
            ),
            "the quick"
        );
        assert_eq!(
            eval(
                &e,
                "@(has_all_words(\"this.is.my.word\", \"WORD word\").match)"
            ),
            "word"
        );
        assert_eq!(eval(&e, "@(has_any_word(\"no match\", \"\"))"), "false");
        assert_eq!(
            eval(&e, "@(has_beginning(\"  Olá mundo\", \"OLÁ\").match)"),
            "Olá"
        );
        assert_eq!(
            eval(
                &e,
                "@(has_only_phrase(\"Sim, claro!\", \"sim claro\").match)"
            ),
            "Sim claro"
        );
    }

    #[test]
    fn numbers_and_phones() {
        let mut e = env();
        e.default_country = "BR".into();
        assert_eq!(eval(&e, "@(has_number_gt(\"1 or 50\", 10).match)"), "50");
        assert_eq!(eval(&e, "@(has_number_between(\"x\", \"a\", 2))"), "ERROR error evaluating @(has_number_between(\"x\", \"a\", 2)): error calling has_number_between(...): unable to convert \"a\" to a number");
        assert_eq!(
            eval(&e, "@(has_phone(\"meu número é (11) 98765-4321\").match)"),
            "+5511987654321"
        );
        assert_eq!(eval(&e, "@(has_phone(\"sem número\"))"), "false");
        assert_eq!(
            eval(
                &e,
                "@(has_email(\"escreva para ana.souza@exemplo.com.br.\").match)"
            ),
            "ana.souza@exemplo.com.br"
        );
    }

    #[test]
    fn locations_need_an_enabled_environment() {
        let e = env();
        assert!(eval(&e, "@(has_state(\"Kigali\"))").ends_with("not location enabled"));
        assert_eq!(
            eval(&e, "@(format_location(\"Brasil > São Paulo\"))"),
            "São Paulo"
        );
    }

    #[test]
    fn numbers_in_words() {
        let e = env();
        let n = |s: &str| number_in(&e, s).map(|d| d.normalize().to_string());
        assert_eq!(n("-12.51").as_deref(), Some("-12.51"));
        assert_eq!(n(".51").as_deref(), Some("0.51"));
        assert_eq!(n("hi.51").as_deref(), Some("51"));
        assert_eq!(n("1,000,000").as_deref(), Some("1000000"));
        assert_eq!(n("1-15").as_deref(), Some("1"));
        assert_eq!(n("20ANS").as_deref(), Some("20"));
        assert_eq!(n("٠.٥").as_deref(), Some("0.5"));
        assert_eq!(n("۱۲۳۴").as_deref(), Some("1234"));
        assert_eq!(n("lOO"), None);
        let mut br = env();
        br.number_format.decimal_symbol = ",".into();
        br.number_format.digit_grouping_symbol = ".".into();
        assert_eq!(
            number_in(&br, "1.000,5")
                .map(|d| d.normalize().to_string())
                .as_deref(),
            Some("1000.5")
        );
    }

    #[test]
    fn phones() {
        assert_eq!(
            parse_phone("2067799294", "US").as_deref(),
            Some("+12067799294")
        );
        assert_eq!(
            parse_phone("0788123123", "RW").as_deref(),
            Some("+250788123123")
        );
        assert_eq!(
            parse_phone("12067799294", "BW").as_deref(),
            Some("+12067799294")
        );
        assert_eq!(parse_phone("5912705", "US"), None);
        assert_eq!(parse_phone("10000", "US"), None);
        assert_eq!(
            parse_phone("(11) 98765-4321", "BR").as_deref(),
            Some("+5511987654321")
        );
    }

    #[test]
    fn collations() {
        let mut e = env();
        assert!(!same_text(&e, "بلي", "بلی"));
        e.input_collation = Collation::ArabicVariants;
        assert!(same_text(&e, "بلي", "بلی"));
        assert!(same_text(&e, "بلى", "بلی"));
        e.input_collation = Collation::Confusables;
        assert!(same_text(&e, "Yеs", "yes")); // Cyrillic е
        assert!(same_text(&e, "n0", "NO"));
    }
}
