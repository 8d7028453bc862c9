//! Text functions: `char`, `code`, `split`, `trim`, `trim_left`, `trim_right`, `title`,
//! `word`, `remove_first_word`, `word_count`, `word_slice`, `field`, `clean`,
//! `text_slice`, `lower`, `regex_match`, `text_length`, `text_compare`, `repeat`,
//! `replace`, `upper`, `percent`, `url_encode`, `html_decode`.
//!
//! Case mapping is per character and one-to-one (Unicode simple mappings), as goflow's
//! `strings.ToUpper`/`ToLower` do: `upper("ß")` stays `ß`.

use std::sync::OnceLock;

use regex::Regex;
use rust_decimal::{Decimal, RoundingStrategy};

use super::{tri, FunctionDef};
use crate::eval::Evaluator;
use crate::value::{format_decimal, Value};
use crate::words;

pub(crate) const FUNCTIONS: &[FunctionDef] = &[
    FunctionDef::new("char", 1, Some(1), char_),
    FunctionDef::new("code", 1, Some(1), code),
    FunctionDef::new("split", 1, Some(2), split),
    FunctionDef::new("trim", 1, Some(2), trim),
    FunctionDef::new("trim_left", 1, Some(2), trim_left),
    FunctionDef::new("trim_right", 1, Some(2), trim_right),
    FunctionDef::new("title", 1, Some(1), title),
    FunctionDef::new("word", 2, Some(3), word),
    FunctionDef::new("remove_first_word", 1, Some(1), remove_first_word),
    FunctionDef::new("word_count", 1, Some(2), word_count),
    FunctionDef::new("word_slice", 2, Some(4), word_slice),
    FunctionDef::new("field", 3, Some(3), field),
    FunctionDef::new("clean", 1, Some(1), clean),
    FunctionDef::new("text_slice", 2, Some(4), text_slice),
    FunctionDef::new("lower", 1, Some(1), lower),
    FunctionDef::new("regex_match", 2, Some(3), regex_match),
    FunctionDef::new("text_length", 1, Some(1), text_length),
    FunctionDef::new("text_compare", 2, Some(2), text_compare),
    FunctionDef::new("repeat", 2, Some(2), repeat),
    FunctionDef::new("replace", 3, Some(4), replace),
    FunctionDef::new("upper", 1, Some(1), upper),
    FunctionDef::new("percent", 1, Some(1), percent),
    FunctionDef::new("url_encode", 1, Some(1), url_encode),
    FunctionDef::new("html_decode", 1, Some(1), html_decode),
];

/// The longest text `repeat` builds, in characters.
const MAX_REPEAT_CHARS: i64 = 10_000;

// ---------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------

/// goflow's integer argument: the number's integer part (truncated toward zero), which
/// must fit a 32-bit integer (`number value 1e20 is out of range for an integer`).
pub(crate) fn to_integer(v: &Value) -> Result<i64, Value> {
    let n = v.to_number()?;
    let int = n.trunc();
    match i64::try_from(int) {
        Ok(i) if i >= i64::from(i32::MIN) && i <= i64::from(i32::MAX) => Ok(i),
        _ => Err(Value::error(format!(
            "number value {} is out of range for an integer",
            format_decimal(&n)
        ))),
    }
}

/// The words of `text`: split by any of `delimiters`, or by the word tokenizer when
/// `delimiters` is empty.
fn extract_words<'a>(text: &'a str, delimiters: &str) -> Vec<&'a str> {
    if delimiters.is_empty() {
        words::tokenize(text)
    } else {
        words::tokenize_by_chars(text, delimiters)
    }
}

/// Optional text argument; absent or null means empty.
fn opt_text(args: &[Value], i: usize) -> Result<String, Value> {
    match args.get(i) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(v) => v.to_text(),
    }
}

/// Simple (one-to-one) uppercase mapping of one character.
pub(crate) fn upper_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_uppercase();
    }
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => greek_iota_upper(c).unwrap_or(c),
    }
}

/// Greek letters with ypogegrammeni, whose full uppercase is two characters but whose
/// simple uppercase is the matching prosgegrammeni capital.
fn greek_iota_upper(c: char) -> Option<char> {
    let u = c as u32;
    let mapped = match u {
        0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => u + 8,
        0x1F88..=0x1F8F | 0x1F98..=0x1F9F | 0x1FA8..=0x1FAF => u,
        0x1FB3 => 0x1FBC,
        0x1FC3 => 0x1FCC,
        0x1FF3 => 0x1FFC,
        0x1FBC | 0x1FCC | 0x1FFC => u,
        _ => return None,
    };
    char::from_u32(mapped)
}

/// Simple (one-to-one) lowercase mapping of one character.
pub(crate) fn lower_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        // İ: full lowercase is `i` + combining dot, simple lowercase is `i`.
        _ if c == '\u{130}' => 'i',
        _ => c,
    }
}

/// Simple titlecase mapping: the uppercase, except for the Latin digraphs.
fn title_char(c: char) -> char {
    match c {
        '\u{1C4}'..='\u{1C6}' => '\u{1C5}',
        '\u{1C7}'..='\u{1C9}' => '\u{1C8}',
        '\u{1CA}'..='\u{1CC}' => '\u{1CB}',
        '\u{1F1}'..='\u{1F3}' => '\u{1F2}',
        _ => upper_char(c),
    }
}

pub(crate) fn to_upper(s: &str) -> String {
    s.chars().map(upper_char).collect()
}

pub(crate) fn to_lower(s: &str) -> String {
    s.chars().map(lower_char).collect()
}

// ---------------------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------------------

/// `char(code)`: `@(char(33))` → `!`.
fn char_(_: &mut Evaluator, args: &[Value]) -> Value {
    let code = tri!(to_integer(&args[0]));
    let c = u32::try_from(code)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{FFFD}');
    Value::text(c.to_string())
}

/// `code(text)`: `@(code("a"))` → `97`.
fn code(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    match text.chars().next() {
        Some(c) => Value::number(Decimal::from(c as u32)),
        None => Value::error("requires a string of at least one character"),
    }
}

/// `split(text [, delimiters])`: `@(split("a.b.c.", "."))` → `[a, b, c]`.
fn split(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let delims = tri!(opt_text(args, 1));
    let items = extract_words(&text, &delims)
        .into_iter()
        .map(Value::from)
        .collect();
    Value::array(items)
}

/// `trim(text [, chars])`: `@(trim(" hello world    "))` → `hello world`.
fn trim(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let chars = tri!(opt_text(args, 1));
    if chars.is_empty() {
        Value::text(text.trim())
    } else {
        Value::text(text.trim_matches(|c: char| chars.contains(c)))
    }
}

/// `trim_left(text [, chars])`: `@(trim_left("+12345+", "+"))` → `12345+`.
fn trim_left(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let chars = tri!(opt_text(args, 1));
    if chars.is_empty() {
        Value::text(text.trim_start())
    } else {
        Value::text(text.trim_start_matches(|c: char| chars.contains(c)))
    }
}

/// `trim_right(text [, chars])`: `@(trim_right("+12345+", "+"))` → `+12345`.
fn trim_right(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let chars = tri!(opt_text(args, 1));
    if chars.is_empty() {
        Value::text(text.trim_end())
    } else {
        Value::text(text.trim_end_matches(|c: char| chars.contains(c)))
    }
}

/// Whether `c` separates words for `title` (Go's `strings.Title` rule).
fn is_title_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if c.is_alphabetic() || c.is_numeric() {
        return false;
    }
    c.is_whitespace()
}

/// `title(text)`: `@(title("RYAN LEWIS"))` → `Ryan Lewis`.
fn title(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let mut out = String::with_capacity(text.len());
    let mut prev = ' ';
    for c in text.chars().map(lower_char) {
        out.push(if is_title_separator(prev) {
            title_char(c)
        } else {
            c
        });
        prev = c;
    }
    Value::text(out)
}

/// `word(text, index [, delimiters])`: `@(word("bee.cat,dog", -1))` → `dog`.
fn word(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let index = tri!(to_integer(&args[1]));
    let delims = tri!(opt_text(args, 2));
    let words = extract_words(&text, &delims);
    let n = words.len() as i64;
    let offset = if index < 0 { index + n } else { index };
    if offset < 0 || offset >= n {
        return Value::error(format!(
            "index {index} is out of range for the number of words {n}"
        ));
    }
    Value::text(words[offset as usize])
}

/// `remove_first_word(text)`: `@(remove_first_word("Hi there. I'm a flow!"))` → `there. I'm a flow!`.
fn remove_first_word(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let spans = words::tokenize_spans(&text);
    if spans.len() < 2 {
        return Value::text("");
    }
    Value::text(&text[spans[1].0..])
}

/// `word_count(text [, delimiters])`: `@(word_count("foo bar"))` → `2`.
fn word_count(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let delims = tri!(opt_text(args, 1));
    Value::number(Decimal::from(extract_words(&text, &delims).len()))
}

/// `word_slice(text, start [, end [, delimiters]])`: `@(word_slice("bee cat dog", 1))` → `cat dog`.
fn word_slice(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let start = tri!(to_integer(&args[1]));
    if start < 0 {
        return Value::error("must start with a positive index");
    }
    let mut end = match args.get(2) {
        Some(v) => tri!(to_integer(v)),
        None => -1,
    };
    if end > 0 && end <= start {
        return Value::error("must have a end which is greater than the start");
    }
    let delims = tri!(opt_text(args, 3));
    let words = extract_words(&text, &delims);
    let n = words.len() as i64;
    if start >= n {
        return Value::text("");
    }
    if end >= n {
        end = n;
    }
    let chosen = if end > 0 {
        &words[start as usize..end as usize]
    } else {
        &words[start as usize..]
    };
    Value::text(chosen.join(" "))
}

/// `field(text, index, delimiter)`: `@(field("a,b,c", 1, ","))` → `b`.
fn field(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let index = tri!(to_integer(&args[1]));
    if index < 0 {
        return Value::error("cannot use a negative index");
    }
    let sep = tri!(args[2].to_text());
    let fields: Vec<&str> = if sep.is_empty() {
        // splitting by nothing gives the characters
        text.char_indices()
            .map(|(i, c)| &text[i..i + c.len_utf8()])
            .collect()
    } else if sep == " " {
        text.split(' ').filter(|f| !f.is_empty()).collect()
    } else {
        text.split(sep.as_str()).collect()
    };
    match fields.get(index as usize) {
        Some(f) => Value::text(f.trim()),
        None => Value::text(""),
    }
}

/// Whether `c` is an "other" character (control, format, private use) that `clean` drops.
fn is_non_printable(c: char) -> bool {
    fn re() -> &'static Regex {
        static RE: OnceLock<Regex> = OnceLock::new();
        RE.get_or_init(|| Regex::new(r"^[\p{Cc}\p{Cf}\p{Co}]$").expect("valid regex"))
    }
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    let mut buf = [0u8; 4];
    re().is_match(c.encode_utf8(&mut buf))
}

/// `clean(text)`: `@(clean("😃 Hello \nwo\tr\rld"))` → `😃 Hello world`.
fn clean(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    Value::text(
        text.chars()
            .filter(|&c| !is_non_printable(c))
            .collect::<String>(),
    )
}

/// `text_slice(text, start [, end])`: `@(text_slice("hello😁", -3, -1))` → `lo`.
fn text_slice(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let length = text.chars().count() as i64;
    let mut start = tri!(to_integer(&args[1]));
    if start < 0 {
        start += length;
    }
    let mut end = match args.get(2) {
        Some(v) => tri!(to_integer(v)),
        None => length,
    };
    if end < 0 {
        end += length;
    }
    let out: String = text
        .chars()
        .enumerate()
        .filter(|&(i, _)| (i as i64) >= start && (i as i64) < end)
        .map(|(_, c)| c)
        .collect();
    Value::text(out)
}

/// `lower(text)`: `@(lower("HellO"))` → `hello`.
fn lower(_: &mut Evaluator, args: &[Value]) -> Value {
    Value::text(to_lower(&tri!(args[0].to_text())))
}

/// `upper(text)`: `@(upper("Asdf"))` → `ASDF`.
fn upper(_: &mut Evaluator, args: &[Value]) -> Value {
    Value::text(to_upper(&tri!(args[0].to_text())))
}

/// Rewrites an RE2 pattern so the Perl classes `\d`, `\w`, `\s` (and their negations)
/// and `\b`/`\B` are ASCII-only, as in Go, while everything else stays Unicode-aware.
pub(crate) fn go_pattern(pattern: &str) -> String {
    const D: &str = "0-9";
    const W: &str = "0-9A-Za-z_";
    const S: &str = r"\t\n\f\r ";
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    let mut class_start = false; // just after `[` or `[^` (a `]` there is literal)
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    out.push('\\');
                    break;
                };
                class_start = false;
                let (set, negated) = match e {
                    'd' => (D, false),
                    'D' => (D, true),
                    'w' => (W, false),
                    'W' => (W, true),
                    's' => (S, false),
                    'S' => (S, true),
                    'b' | 'B' if !in_class => {
                        out.push_str("(?-u:\\");
                        out.push(e);
                        out.push(')');
                        continue;
                    }
                    _ => {
                        out.push('\\');
                        out.push(e);
                        continue;
                    }
                };
                match (in_class, negated) {
                    (true, false) => out.push_str(set),
                    _ => {
                        out.push('[');
                        if negated {
                            out.push('^');
                        }
                        out.push_str(set);
                        out.push(']');
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                class_start = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // a POSIX class such as [:alpha:]: copy through its closing `:]`
                out.push('[');
                let mut prev = '[';
                for d in chars.by_ref() {
                    out.push(d);
                    if prev == ':' && d == ']' {
                        break;
                    }
                    prev = d;
                }
                class_start = false;
            }
            ']' if in_class && !class_start => {
                in_class = false;
                out.push(']');
            }
            _ => {
                class_start = false;
                out.push(c);
            }
        }
    }
    out
}

/// Compiles a pattern with goflow's flags (multi-line, case-insensitive).
fn compile_go_regex(pattern: &str) -> Option<Regex> {
    crate::regex_cache::compile(&format!("(?mi){}", go_pattern(pattern)))
}

/// `regex_match(text, pattern [, group])`: `@(regex_match("Bob Smith", "(\w+) (\w+)", 2))` → `Smith`.
fn regex_match(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let pattern = tri!(args[1].to_text());
    let group = match args.get(2) {
        Some(v) => tri!(to_integer(v)),
        None => 0,
    };
    let Some(re) = compile_go_regex(&pattern) else {
        return Value::error("invalid regular expression");
    };
    if group < 0 || group as usize >= re.captures_len() {
        return Value::error("invalid regular expression group");
    }
    match re.captures(&text) {
        Some(caps) => Value::text(caps.get(group as usize).map_or("", |m| m.as_str())),
        None => Value::text(""),
    }
}

/// `text_length(value)`: `@(text_length("abc"))` → `3`.
fn text_length(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    Value::number(Decimal::from(text.chars().count()))
}

/// `text_compare(text1, text2)`: `@(text_compare("abc", "def"))` → `-1`.
fn text_compare(_: &mut Evaluator, args: &[Value]) -> Value {
    let a = tri!(args[0].to_text());
    let b = tri!(args[1].to_text());
    let n: i64 = match a.as_bytes().cmp(b.as_bytes()) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    };
    Value::number(Decimal::from(n))
}

/// `repeat(text, count)`: `@(repeat("*", 8))` → `********`.
fn repeat(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let count = tri!(to_integer(&args[1]));
    if count < 0 {
        return Value::error(format!(
            "must be called with a positive integer, got {count}"
        ));
    }
    let chars = text.chars().count() as i64;
    if chars.saturating_mul(count) > MAX_REPEAT_CHARS {
        return Value::error(format!(
            "cannot build a string longer than {MAX_REPEAT_CHARS} characters"
        ));
    }
    Value::text(text.repeat(count as usize))
}

/// Replaces the first `count` (all when negative) occurrences of `needle`, as Go's
/// `strings.Replace`: an empty needle matches before every character and at the end.
fn replace_n(text: &str, needle: &str, replacement: &str, count: i64) -> String {
    if count == 0 || (needle == replacement) {
        return text.to_string();
    }
    let limit = if count < 0 {
        usize::MAX
    } else {
        count as usize
    };
    let mut out = String::with_capacity(text.len());
    let mut done = 0usize;
    if needle.is_empty() {
        let mut rest = text;
        loop {
            if done >= limit {
                out.push_str(rest);
                break;
            }
            out.push_str(replacement);
            done += 1;
            let Some(c) = rest.chars().next() else {
                break;
            };
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
        return out;
    }
    let mut rest = text;
    while done < limit {
        let Some(i) = rest.find(needle) else {
            break;
        };
        out.push_str(&rest[..i]);
        out.push_str(replacement);
        rest = &rest[i + needle.len()..];
        done += 1;
    }
    out.push_str(rest);
    out
}

/// `replace(text, needle, replacement [, count])`: `@(replace("foo bar foo", "foo", "zap"))` → `zap bar zap`.
fn replace(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let needle = tri!(args[1].to_text());
    let replacement = tri!(args[2].to_text());
    let count = match args.get(3) {
        Some(v) => tri!(to_integer(v)),
        None => -1,
    };
    Value::text(replace_n(&text, &needle, &replacement, count))
}

/// `percent(number)`: `@(percent(0.54234))` → `54%`.
fn percent(_: &mut Evaluator, args: &[Value]) -> Value {
    let n = tri!(args[0].to_number());
    let Some(p) = n.checked_mul(Decimal::ONE_HUNDRED) else {
        return Value::error("number value out of range");
    };
    let p = p.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    Value::text(format!("{}%", format_decimal(&p.trunc())))
}

/// `url_encode(text)`: `@(url_encode("two & words"))` → `two%20%26%20words`.
fn url_encode(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Value::text(out)
}

/// `html_decode(text)`: `@(html_decode("Red &amp; Blue"))` → `Red & Blue`.
fn html_decode(_: &mut Evaluator, args: &[Value]) -> Value {
    let text = tri!(args[0].to_text());
    Value::text(unescape_html(&text).replace('\u{A0}', " "))
}

// ---------------------------------------------------------------------------------------
// HTML entities
// ---------------------------------------------------------------------------------------

/// Named character references: (name, character, also valid without `;`).
/// The HTML 4 set plus `apos`; the Latin-1 ones (and `AMP`, `LT`, `GT`, `QUOT`, `COPY`,
/// `REG`) are also recognised without the semicolon, as browsers and Go do.
const ENTITIES: &[(&str, char, bool)] = &[
    ("AMP", '&', true),
    ("COPY", '©', true),
    ("GT", '>', true),
    ("LT", '<', true),
    ("QUOT", '"', true),
    ("REG", '®', true),
    ("quot", '"', true),
    ("amp", '&', true),
    ("apos", '\'', false),
    ("lt", '<', true),
    ("gt", '>', true),
    ("nbsp", '\u{A0}', true),
    ("iexcl", '¡', true),
    ("cent", '¢', true),
    ("pound", '£', true),
    ("curren", '¤', true),
    ("yen", '¥', true),
    ("brvbar", '¦', true),
    ("sect", '§', true),
    ("uml", '¨', true),
    ("copy", '©', true),
    ("ordf", 'ª', true),
    ("laquo", '«', true),
    ("not", '¬', true),
    ("shy", '\u{AD}', true),
    ("reg", '®', true),
    ("macr", '¯', true),
    ("deg", '°', true),
    ("plusmn", '±', true),
    ("sup2", '²', true),
    ("sup3", '³', true),
    ("acute", '´', true),
    ("micro", 'µ', true),
    ("para", '¶', true),
    ("middot", '·', true),
    ("cedil", '¸', true),
    ("sup1", '¹', true),
    ("ordm", 'º', true),
    ("raquo", '»', true),
    ("frac14", '¼', true),
    ("frac12", '½', true),
    ("frac34", '¾', true),
    ("iquest", '¿', true),
    ("Agrave", 'À', true),
    ("Aacute", 'Á', true),
    ("Acirc", 'Â', true),
    ("Atilde", 'Ã', true),
    ("Auml", 'Ä', true),
    ("Aring", 'Å', true),
    ("AElig", 'Æ', true),
    ("Ccedil", 'Ç', true),
    ("Egrave", 'È', true),
    ("Eacute", 'É', true),
    ("Ecirc", 'Ê', true),
    ("Euml", 'Ë', true),
    ("Igrave", 'Ì', true),
    ("Iacute", 'Í', true),
    ("Icirc", 'Î', true),
    ("Iuml", 'Ï', true),
    ("ETH", 'Ð', true),
    ("Ntilde", 'Ñ', true),
    ("Ograve", 'Ò', true),
    ("Oacute", 'Ó', true),
    ("Ocirc", 'Ô', true),
    ("Otilde", 'Õ', true),
    ("Ouml", 'Ö', true),
    ("times", '×', true),
    ("Oslash", 'Ø', true),
    ("Ugrave", 'Ù', true),
    ("Uacute", 'Ú', true),
    ("Ucirc", 'Û', true),
    ("Uuml", 'Ü', true),
    ("Yacute", 'Ý', true),
    ("THORN", 'Þ', true),
    ("szlig", 'ß', true),
    ("agrave", 'à', true),
    ("aacute", 'á', true),
    ("acirc", 'â', true),
    ("atilde", 'ã', true),
    ("auml", 'ä', true),
    ("aring", 'å', true),
    ("aelig", 'æ', true),
    ("ccedil", 'ç', true),
    ("egrave", 'è', true),
    ("eacute", 'é', true),
    ("ecirc", 'ê', true),
    ("euml", 'ë', true),
    ("igrave", 'ì', true),
    ("iacute", 'í', true),
    ("icirc", 'î', true),
    ("iuml", 'ï', true),
    ("eth", 'ð', true),
    ("ntilde", 'ñ', true),
    ("ograve", 'ò', true),
    ("oacute", 'ó', true),
    ("ocirc", 'ô', true),
    ("otilde", 'õ', true),
    ("ouml", 'ö', true),
    ("divide", '÷', true),
    ("oslash", 'ø', true),
    ("ugrave", 'ù', true),
    ("uacute", 'ú', true),
    ("ucirc", 'û', true),
    ("uuml", 'ü', true),
    ("yacute", 'ý', true),
    ("thorn", 'þ', true),
    ("yuml", 'ÿ', true),
    ("OElig", 'Œ', false),
    ("oelig", 'œ', false),
    ("Scaron", 'Š', false),
    ("scaron", 'š', false),
    ("Yuml", 'Ÿ', false),
    ("fnof", 'ƒ', false),
    ("circ", 'ˆ', false),
    ("tilde", '˜', false),
    ("Alpha", 'Α', false),
    ("Beta", 'Β', false),
    ("Gamma", 'Γ', false),
    ("Delta", 'Δ', false),
    ("Epsilon", 'Ε', false),
    ("Zeta", 'Ζ', false),
    ("Eta", 'Η', false),
    ("Theta", 'Θ', false),
    ("Iota", 'Ι', false),
    ("Kappa", 'Κ', false),
    ("Lambda", 'Λ', false),
    ("Mu", 'Μ', false),
    ("Nu", 'Ν', false),
    ("Xi", 'Ξ', false),
    ("Omicron", 'Ο', false),
    ("Pi", 'Π', false),
    ("Rho", 'Ρ', false),
    ("Sigma", 'Σ', false),
    ("Tau", 'Τ', false),
    ("Upsilon", 'Υ', false),
    ("Phi", 'Φ', false),
    ("Chi", 'Χ', false),
    ("Psi", 'Ψ', false),
    ("Omega", 'Ω', false),
    ("alpha", 'α', false),
    ("beta", 'β', false),
    ("gamma", 'γ', false),
    ("delta", 'δ', false),
    ("epsilon", 'ε', false),
    ("zeta", 'ζ', false),
    ("eta", 'η', false),
    ("theta", 'θ', false),
    ("iota", 'ι', false),
    ("kappa", 'κ', false),
    ("lambda", 'λ', false),
    ("mu", 'μ', false),
    ("nu", 'ν', false),
    ("xi", 'ξ', false),
    ("omicron", 'ο', false),
    ("pi", 'π', false),
    ("rho", 'ρ', false),
    ("sigmaf", 'ς', false),
    ("sigma", 'σ', false),
    ("tau", 'τ', false),
    ("upsilon", 'υ', false),
    ("phi", 'φ', false),
    ("chi", 'χ', false),
    ("psi", 'ψ', false),
    ("omega", 'ω', false),
    ("thetasym", 'ϑ', false),
    ("upsih", 'ϒ', false),
    ("piv", 'ϖ', false),
    ("ensp", '\u{2002}', false),
    ("emsp", '\u{2003}', false),
    ("thinsp", '\u{2009}', false),
    ("zwnj", '\u{200C}', false),
    ("zwj", '\u{200D}', false),
    ("lrm", '\u{200E}', false),
    ("rlm", '\u{200F}', false),
    ("ndash", '–', false),
    ("mdash", '—', false),
    ("lsquo", '‘', false),
    ("rsquo", '’', false),
    ("sbquo", '‚', false),
    ("ldquo", '“', false),
    ("rdquo", '”', false),
    ("bdquo", '„', false),
    ("dagger", '†', false),
    ("Dagger", '‡', false),
    ("bull", '•', false),
    ("hellip", '…', false),
    ("permil", '‰', false),
    ("prime", '′', false),
    ("Prime", '″', false),
    ("lsaquo", '‹', false),
    ("rsaquo", '›', false),
    ("oline", '‾', false),
    ("frasl", '⁄', false),
    ("euro", '€', false),
    ("image", 'ℑ', false),
    ("weierp", '℘', false),
    ("real", 'ℜ', false),
    ("trade", '™', false),
    ("alefsym", 'ℵ', false),
    ("larr", '←', false),
    ("uarr", '↑', false),
    ("rarr", '→', false),
    ("darr", '↓', false),
    ("harr", '↔', false),
    ("crarr", '↵', false),
    ("lArr", '⇐', false),
    ("uArr", '⇑', false),
    ("rArr", '⇒', false),
    ("dArr", '⇓', false),
    ("hArr", '⇔', false),
    ("forall", '∀', false),
    ("part", '∂', false),
    ("exist", '∃', false),
    ("empty", '∅', false),
    ("nabla", '∇', false),
    ("isin", '∈', false),
    ("notin", '∉', false),
    ("ni", '∋', false),
    ("prod", '∏', false),
    ("sum", '∑', false),
    ("minus", '−', false),
    ("lowast", '∗', false),
    ("radic", '√', false),
    ("prop", '∝', false),
    ("infin", '∞', false),
    ("ang", '∠', false),
    ("and", '∧', false),
    ("or", '∨', false),
    ("cap", '∩', false),
    ("cup", '∪', false),
    ("int", '∫', false),
    ("there4", '∴', false),
    ("sim", '∼', false),
    ("cong", '≅', false),
    ("asymp", '≈', false),
    ("ne", '≠', false),
    ("equiv", '≡', false),
    ("le", '≤', false),
    ("ge", '≥', false),
    ("sub", '⊂', false),
    ("sup", '⊃', false),
    ("nsub", '⊄', false),
    ("sube", '⊆', false),
    ("supe", '⊇', false),
    ("oplus", '⊕', false),
    ("otimes", '⊗', false),
    ("perp", '⊥', false),
    ("sdot", '⋅', false),
    ("lceil", '⌈', false),
    ("rceil", '⌉', false),
    ("lfloor", '⌊', false),
    ("rfloor", '⌋', false),
    ("lang", '⟨', false),
    ("rang", '⟩', false),
    ("loz", '◊', false),
    ("spades", '♠', false),
    ("clubs", '♣', false),
    ("hearts", '♥', false),
    ("diams", '♦', false),
];

/// Longest entity name accepted without a semicolon (`frac12`, `middot`…).
const LONGEST_LEGACY_ENTITY: usize = 6;

fn entity(name: &str, with_semicolon: bool) -> Option<char> {
    ENTITIES
        .iter()
        .find(|(n, _, legacy)| *n == name && (with_semicolon || *legacy))
        .map(|&(_, c, _)| c)
}

/// Windows-1252 characters that numeric references in 0x80–0x9F stand for.
const WIN1252: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
];

/// Decodes the character reference at the start of `s` (which starts with `&`): the
/// character and how many bytes it used, or `None` when it isn't one.
fn decode_reference(s: &str) -> Option<(char, usize)> {
    let b = s.as_bytes();
    if b.get(1) == Some(&b'#') {
        let mut i = 2;
        let hex = matches!(b.get(2), Some(b'x' | b'X'));
        if hex {
            i += 1;
        }
        let digits_start = i;
        let mut x: u32 = 0;
        while let Some(&c) = b.get(i) {
            let d = if hex {
                (c as char).to_digit(16)
            } else {
                (c as char).to_digit(10)
            };
            match d {
                Some(d) => {
                    x = x
                        .saturating_mul(if hex { 16 } else { 10 })
                        .saturating_add(d);
                    i += 1;
                }
                None => break,
            }
        }
        if i == digits_start {
            return None;
        }
        if b.get(i) == Some(&b';') {
            i += 1;
        }
        let c = match x {
            0x80..=0x9F => WIN1252[(x - 0x80) as usize],
            0 | 0xD800..=0xDFFF => '\u{FFFD}',
            _ => char::from_u32(x).unwrap_or('\u{FFFD}'),
        };
        return Some((c, i));
    }
    let name_len = b[1..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    if name_len == 0 {
        return None;
    }
    let name = &s[1..1 + name_len];
    let semicolon = b.get(1 + name_len) == Some(&b';');
    if semicolon {
        if let Some(c) = entity(name, true) {
            return Some((c, name_len + 2));
        }
    } else if let Some(c) = entity(name, false) {
        return Some((c, name_len + 1));
    }
    // the longest legacy entity that prefixes the name (`&notit;` → `¬it;`)
    let max = name_len.min(LONGEST_LEGACY_ENTITY);
    (2..=max)
        .rev()
        .filter(|&j| j < name_len || semicolon)
        .find_map(|j| entity(&name[..j], false).map(|c| (c, j + 1)))
}

/// Unescapes HTML character references as Go's `html.UnescapeString` does.
fn unescape_html(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        match decode_reference(rest) {
            Some((c, used)) => {
                out.push(c);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_mapping_is_simple() {
        assert_eq!(to_upper("ß straße"), "ß STRAßE");
        assert_eq!(to_upper("ᾳ"), "ᾼ");
        assert_eq!(to_lower("İSTANBUL ΣΑΣ"), "istanbul σασ");
    }

    #[test]
    fn title_separators() {
        let env_free = |s: &str| {
            let mut prev = ' ';
            s.chars()
                .map(lower_char)
                .map(|c| {
                    let r = if is_title_separator(prev) {
                        title_char(c)
                    } else {
                        c
                    };
                    prev = c;
                    r
                })
                .collect::<String>()
        };
        assert_eq!(env_free("o'neil-smith x_y"), "O'Neil-Smith X_y");
        assert_eq!(env_free("ǆemal élan"), "ǅemal Élan");
    }

    #[test]
    fn replaces_like_go() {
        assert_eq!(
            replace_n("foo bar", "", "foo", -1),
            "fooffooofooofoo foobfooafoorfoo"
        );
        assert_eq!(replace_n("foo bar", "", "-", 2), "-f-oo bar");
        assert_eq!(replace_n("hi ho hi", "hi", "bye", 1), "bye ho hi");
        assert_eq!(replace_n("hi ho hi", "hi", "bye", 0), "hi ho hi");
        assert_eq!(replace_n("aaa", "a", "aa", -1), "aaaaaa");
    }

    #[test]
    fn go_regex_classes_are_ascii() {
        assert_eq!(
            go_pattern(r"(\w+) (\w+)"),
            r"([0-9A-Za-z_]+) ([0-9A-Za-z_]+)"
        );
        assert_eq!(go_pattern(r"[\d.]+"), r"[0-9.]+");
        assert_eq!(go_pattern(r"[^\s]"), r"[^\t\n\f\r ]");
        assert_eq!(go_pattern(r"[]\W]"), r"[][^0-9A-Za-z_]]");
        assert_eq!(go_pattern(r"[[:alpha:]\d]"), r"[[:alpha:]0-9]");
        let re = compile_go_regex(r"\w+").unwrap();
        assert_eq!(re.find("éabc").unwrap().as_str(), "abc");
        let re = compile_go_regex(r"\bfoo\b").unwrap();
        assert!(re.is_match("a foo b"));
        assert!(compile_go_regex(r"[\.").is_none());
        assert!(compile_go_regex("(??").is_none());
        let re = compile_go_regex(r"a\w").unwrap();
        assert_eq!(re.find("zAbc").unwrap().as_str(), "Ab");
    }

    #[test]
    fn html_unescape() {
        assert_eq!(
            unescape_html("Red&nbsp;&amp;&nbsp;Blue"),
            "Red\u{a0}&\u{a0}Blue"
        );
        assert_eq!(unescape_html("5 &lt; 6 &gt 4"), "5 < 6 > 4");
        assert_eq!(
            unescape_html("&#65;&#x42;&#X43 &#128; &#0;"),
            "ABC € \u{FFFD}"
        );
        assert_eq!(
            unescape_html("&notit; &ampx &hellip; &hellip &bogus; & &#;"),
            "¬it; &x … &hellip &bogus; & &#;"
        );
        assert_eq!(unescape_html("&eacute;t&eacute"), "été");
        assert_eq!(unescape_html("Ros&eacute; &rsquo;s"), "Rosé ’s");
    }

    #[test]
    fn integers_truncate_and_fit_32_bits() {
        assert_eq!(to_integer(&Value::number(Decimal::new(15, 1))).unwrap(), 1);
        assert_eq!(
            to_integer(&Value::number(Decimal::new(-15, 1))).unwrap(),
            -1
        );
        assert_eq!(
            to_integer(&Value::from("2000000000")).unwrap(),
            2_000_000_000
        );
        let err = to_integer(&Value::from("12345678901234567890")).unwrap_err();
        assert_eq!(
            err.error_message(),
            Some("number value 12345678901234567890 is out of range for an integer")
        );
    }
}
