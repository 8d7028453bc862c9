//! Date/time patterns (`DDMMAAAA`, `DD/MM/AAAA HH:MI:SS`) for field values, and file-name
//! patterns (`<AAAAMMDD>_<HHMMSS>_remessa_<ID>_out.<ID>`) built on the same letters.
//!
//! Pattern letters, case-insensitive: `AAAA`/`YYYY` year, `AA`/`YY` two-digit year (20xx),
//! `MM` month — or minutes when the previous letter group was `HH` —, `MI` minutes, `DD`
//! day, `HH` hour (00–23), `SS` seconds. Anything else in a value pattern is a literal
//! separator (`/`, `-`, `:`, space); letters outside the groups are rejected.

use jiff::civil::{Date, DateTime, Time};

/// One date or time part of a pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    Year4,
    Year2,
    Month,
    Day,
    Hour,
    Minute,
    Second,
}

impl Part {
    fn width(self) -> usize {
        if self == Part::Year4 {
            4
        } else {
            2
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Part(Part),
    Literal(u8),
}

/// Splits pattern letters into parts; `literal` decides what to do with other bytes.
fn tokenize(pattern: &str, allow_literals: bool) -> Result<Vec<Token>, String> {
    let b = pattern.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut last_part: Option<Part> = None;
    while i < b.len() {
        let rest = &pattern[i..];
        let starts = |p: &str| rest.len() >= p.len() && rest[..p.len()].eq_ignore_ascii_case(p);
        let (part, len) = if starts("AAAA") || starts("YYYY") {
            (Part::Year4, 4)
        } else if starts("AA") || starts("YY") {
            (Part::Year2, 2)
        } else if starts("MI") {
            (Part::Minute, 2)
        } else if starts("MM") {
            if last_part == Some(Part::Hour) {
                (Part::Minute, 2)
            } else {
                (Part::Month, 2)
            }
        } else if starts("DD") {
            (Part::Day, 2)
        } else if starts("HH") {
            (Part::Hour, 2)
        } else if starts("SS") {
            (Part::Second, 2)
        } else {
            let c = b[i];
            if c.is_ascii_alphabetic() || !c.is_ascii() || !allow_literals {
                return Err(format!(
                    "pattern {pattern:?}: unexpected {:?} (use AAAA, AA, MM, DD, HH, MI, SS)",
                    rest.chars().next().unwrap_or('?')
                ));
            }
            out.push(Token::Literal(c));
            i += 1;
            continue;
        };
        out.push(Token::Part(part));
        last_part = Some(part);
        i += len;
    }
    Ok(out)
}

/// The parts read from a value or a file name.
#[derive(Clone, Copy, Debug, Default)]
struct Parts {
    year: Option<i16>,
    month: Option<i8>,
    day: Option<i8>,
    hour: Option<i8>,
    minute: Option<i8>,
    second: Option<i8>,
}

impl Parts {
    fn set(&mut self, part: Part, v: u32) {
        let v2 = v as i8;
        match part {
            Part::Year4 => self.year = Some(v as i16),
            Part::Year2 => self.year = Some(2000 + v as i16),
            Part::Month => self.month = Some(v2),
            Part::Day => self.day = Some(v2),
            Part::Hour => self.hour = Some(v2),
            Part::Minute => self.minute = Some(v2),
            Part::Second => self.second = Some(v2),
        }
    }

    fn date(&self) -> Option<Date> {
        let year = self.year?;
        // Bank files use 00000000 or 99999999 for "no date"; anything outside this range
        // is garbage rather than a date, and the check keeps DDMMAAAA/AAAAMMDD apart.
        if !(1900..=2199).contains(&year) {
            return None;
        }
        Date::new(year, self.month?, self.day?).ok()
    }

    fn time(&self) -> Option<Time> {
        let hour = self.hour?;
        Time::new(hour, self.minute.unwrap_or(0), self.second.unwrap_or(0), 0).ok()
    }
}

/// A date or date-and-time pattern for field values, such as `DDMMAAAA` or
/// `DD/MM/AAAA HH:MI:SS`.
///
/// With separators, day, month, hour, minute and second accept one or two digits
/// (`4/8/2023`, as spreadsheets write them); without separators every part has its full
/// width.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DatePattern {
    source: String,
    tokens: Vec<Token>,
    flexible: bool,
    has_time: bool,
}

impl DatePattern {
    pub(crate) fn new(source: &str) -> Result<Self, String> {
        let tokens = tokenize(source, true)?;
        let has = |p: Part| tokens.contains(&Token::Part(p));
        if !(has(Part::Year4) || has(Part::Year2)) || !has(Part::Month) || !has(Part::Day) {
            return Err(format!(
                "pattern {source:?}: needs a year (AAAA or AA), a month (MM) and a day (DD)"
            ));
        }
        let flexible = tokens.iter().any(|t| matches!(t, Token::Literal(_)));
        let has_time = has(Part::Hour);
        Ok(DatePattern {
            source: source.to_owned(),
            tokens,
            flexible,
            has_time,
        })
    }

    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Characters the pattern takes when every part has its full width.
    pub(crate) fn width(&self) -> usize {
        self.tokens
            .iter()
            .map(|t| match t {
                Token::Part(p) => p.width(),
                Token::Literal(_) => 1,
            })
            .sum()
    }

    fn read(&self, s: &[u8]) -> Option<Parts> {
        let mut parts = Parts::default();
        let mut i = 0;
        for (k, t) in self.tokens.iter().enumerate() {
            match *t {
                Token::Literal(c) => {
                    if s.get(i) != Some(&c) {
                        return None;
                    }
                    i += 1;
                }
                Token::Part(p) => {
                    let w = p.width();
                    let followed_by_literal =
                        matches!(self.tokens.get(k + 1), Some(Token::Literal(_)) | None);
                    let min = if self.flexible && followed_by_literal && w == 2 && p != Part::Year2
                    {
                        1
                    } else {
                        w
                    };
                    let mut v = 0u32;
                    let mut n = 0;
                    while n < w {
                        match s.get(i) {
                            Some(d @ b'0'..=b'9') => {
                                v = v * 10 + u32::from(d - b'0');
                                i += 1;
                                n += 1;
                            }
                            _ => break,
                        }
                    }
                    if n < min {
                        return None;
                    }
                    parts.set(p, v);
                }
            }
        }
        (i == s.len()).then_some(parts)
    }

    /// The date in `s`, which must match the whole pattern (time parts are checked and
    /// dropped).
    pub(crate) fn parse_date(&self, s: &str) -> Option<Date> {
        let parts = self.read(s.as_bytes())?;
        if self.has_time {
            parts.time()?;
        }
        parts.date()
    }

    /// The date and time in `s`; a pattern without time parts gives midnight.
    pub(crate) fn parse_datetime(&self, s: &str) -> Option<DateTime> {
        let parts = self.read(s.as_bytes())?;
        let date = parts.date()?;
        let time = if self.has_time {
            parts.time()?
        } else {
            Time::midnight()
        };
        Some(date.to_datetime(time))
    }

    /// Writes `dt` in this pattern, every part at its full width.
    pub(crate) fn format(&self, dt: DateTime, out: &mut String) {
        for t in &self.tokens {
            match *t {
                Token::Literal(c) => out.push(char::from(c)),
                Token::Part(p) => push_part(out, p, dt),
            }
        }
    }
}

fn push_part(out: &mut String, p: Part, dt: DateTime) {
    use std::fmt::Write;
    let _ = match p {
        Part::Year4 => write!(out, "{:04}", dt.year()),
        Part::Year2 => write!(out, "{:02}", dt.year().rem_euclid(100)),
        Part::Month => write!(out, "{:02}", dt.month()),
        Part::Day => write!(out, "{:02}", dt.day()),
        Part::Hour => write!(out, "{:02}", dt.hour()),
        Part::Minute => write!(out, "{:02}", dt.minute()),
        Part::Second => write!(out, "{:02}", dt.second()),
    };
}

/// What a file's name says about it: the date (and time) it was produced and the
/// portfolio (`ID_ASCOB`) it belongs to.
///
/// ```
/// use atende_collections::Layouts;
///
/// let layouts = Layouts::defaults();
/// let (layout, info) = layouts.identify("20230804_021500_parc_528_out.528").unwrap();
/// assert_eq!(layout.name(), "parcelas");
/// assert_eq!(info.date.to_string(), "2023-08-04");
/// assert_eq!(info.time.map(|t| t.to_string()), Some("02:15:00".into()));
/// assert_eq!(info.portfolio_id.as_deref(), Some("528"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileInfo {
    /// The date in the name.
    pub date: Date,
    /// The time in the name, when the pattern has one (`<HHMMSS>`, `<ddmmaahhmiss>`).
    pub time: Option<Time>,
    /// The portfolio id (`<ID>`), when the pattern has one.
    pub portfolio_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum NameToken {
    /// Lowercase ASCII, compared case-insensitively.
    Literal(Vec<u8>),
    Part(Part),
    Id,
}

/// A file-name pattern: literal text with placeholders in angle brackets — date and time
/// letters (`<AAAAMMDD>`, `<HHMMSS>`, `<ddmmaahhmiss>`) and the portfolio id (`<ID>` or
/// `<ID_ASCOB>`, one or more digits; when it appears twice both must be equal).
/// Literal text matches ASCII case-insensitively (`Refin_…` and `refin_…`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NamePattern {
    source: String,
    tokens: Vec<NameToken>,
}

impl NamePattern {
    pub(crate) fn new(source: &str) -> Result<Self, String> {
        let mut tokens = Vec::new();
        let mut rest = source;
        let mut literal = Vec::new();
        while let Some(c) = rest.chars().next() {
            if c == '<' {
                let end = rest
                    .find('>')
                    .ok_or_else(|| format!("file name {source:?}: '<' without '>'"))?;
                let inner = &rest[1..end];
                if !literal.is_empty() {
                    tokens.push(NameToken::Literal(std::mem::take(&mut literal)));
                }
                if inner.eq_ignore_ascii_case("ID") || inner.eq_ignore_ascii_case("ID_ASCOB") {
                    tokens.push(NameToken::Id);
                } else {
                    for t in
                        tokenize(inner, false).map_err(|e| format!("file name {source:?}: {e}"))?
                    {
                        if let Token::Part(p) = t {
                            tokens.push(NameToken::Part(p));
                        }
                    }
                }
                rest = &rest[end + 1..];
            } else if c == '>' {
                return Err(format!("file name {source:?}: '>' without '<'"));
            } else {
                if !c.is_ascii() {
                    return Err(format!(
                        "file name {source:?}: only ASCII text is supported"
                    ));
                }
                literal.push(c.to_ascii_lowercase() as u8);
                rest = &rest[1..];
            }
        }
        if !literal.is_empty() {
            tokens.push(NameToken::Literal(literal));
        }
        let has = |p: Part| tokens.contains(&NameToken::Part(p));
        if !(has(Part::Year4) || has(Part::Year2)) || !has(Part::Month) || !has(Part::Day) {
            return Err(format!(
                "file name {source:?}: needs a date placeholder with year, month and day, such as <AAAAMMDD>"
            ));
        }
        Ok(NamePattern {
            source: source.to_owned(),
            tokens,
        })
    }

    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// The name's date, time and portfolio id when the whole name matches.
    pub(crate) fn matches(&self, name: &str) -> Option<FileInfo> {
        let mut parts = Parts::default();
        let mut id: Option<&str> = None;
        if !match_from(&self.tokens, name.as_bytes(), 0, name, &mut parts, &mut id) {
            return None;
        }
        let date = parts.date()?;
        let time = if parts.hour.is_some() {
            Some(parts.time()?)
        } else {
            None
        };
        Some(FileInfo {
            date,
            time,
            portfolio_id: id.map(str::to_owned),
        })
    }

    /// The name this pattern gives a file of `dt` for portfolio `id`.
    pub(crate) fn render(&self, dt: DateTime, id: &str) -> String {
        let mut out = String::new();
        let mut src = self.source.as_str();
        // Re-walk the source so literal text keeps its original case.
        while let Some(start) = src.find('<') {
            out.push_str(&src[..start]);
            let end = start + src[start..].find('>').expect("validated");
            let inner = &src[start + 1..end];
            if inner.eq_ignore_ascii_case("ID") || inner.eq_ignore_ascii_case("ID_ASCOB") {
                out.push_str(id);
            } else {
                for t in tokenize(inner, false).expect("validated") {
                    if let Token::Part(p) = t {
                        push_part(&mut out, p, dt);
                    }
                }
            }
            src = &src[end + 1..];
        }
        out.push_str(src);
        out
    }
}

fn match_from<'n>(
    tokens: &[NameToken],
    b: &[u8],
    i: usize,
    name: &'n str,
    parts: &mut Parts,
    id: &mut Option<&'n str>,
) -> bool {
    let Some((first, rest)) = tokens.split_first() else {
        return i == b.len();
    };
    match first {
        NameToken::Literal(lit) => {
            let end = i + lit.len();
            end <= b.len()
                && b[i..end].eq_ignore_ascii_case(lit)
                && match_from(rest, b, end, name, parts, id)
        }
        NameToken::Part(p) => {
            let end = i + p.width();
            if end > b.len() || !b[i..end].iter().all(u8::is_ascii_digit) {
                return false;
            }
            let v = b[i..end]
                .iter()
                .fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
            parts.set(*p, v);
            match_from(rest, b, end, name, parts, id)
        }
        NameToken::Id => {
            let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            for n in (1..=digits).rev() {
                let candidate = &name[i..i + n];
                let previous = *id;
                if previous.is_some_and(|p| p != candidate) {
                    continue;
                }
                *id = Some(candidate);
                if match_from(rest, b, i + n, name, parts, id) {
                    return true;
                }
                *id = previous;
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn value_patterns() {
        let p = DatePattern::new("DDMMAAAA").unwrap();
        assert_eq!(p.width(), 8);
        assert_eq!(p.parse_date("04082023"), Some(d("2023-08-04")));
        assert_eq!(p.parse_date("4082023"), None);
        assert_eq!(p.parse_date("31022023"), None);
        assert_eq!(p.parse_date("00000000"), None);

        let p = DatePattern::new("AAAAMMDD").unwrap();
        assert_eq!(p.parse_date("20230804"), Some(d("2023-08-04")));
        assert_eq!(p.parse_date("04082023"), None, "year 0408 is out of range");

        let p = DatePattern::new("DD/MM/AAAA").unwrap();
        assert_eq!(p.parse_date("11/08/2023"), Some(d("2023-08-11")));
        assert_eq!(p.parse_date("4/8/2023"), Some(d("2023-08-04")));
        assert_eq!(p.parse_date("04/08/23"), None);
        assert_eq!(p.parse_date("04-08-2023"), None);

        let p = DatePattern::new("dd/mm/aaaa hh:mi:ss").unwrap();
        assert_eq!(
            p.parse_datetime("15/02/2023 15:30:00").unwrap().to_string(),
            "2023-02-15T15:30:00"
        );
        assert_eq!(p.parse_datetime("15/02/2023 25:30:00"), None);
        let p = DatePattern::new("AAAA-MM-DD HH:MM").unwrap();
        assert_eq!(
            p.parse_datetime("2023-02-15 15:30").unwrap().to_string(),
            "2023-02-15T15:30:00"
        );
        let mut s = String::new();
        p.format(d("2023-02-05").at(7, 3, 0, 0), &mut s);
        assert_eq!(s, "2023-02-05 07:03");

        assert!(DatePattern::new("MMAAAA").is_err());
        assert!(DatePattern::new("DD.MM.AAAA X").is_err());
    }

    #[test]
    fn name_patterns() {
        let p = NamePattern::new("<AAAAMMDD>_<HHMMSS>_remessa_<ID_ASCOB>_out.<ID_ASCOB>").unwrap();
        let info = p.matches("20230804_021500_remessa_528_out.528").unwrap();
        assert_eq!(info.date, d("2023-08-04"));
        assert_eq!(info.time, Some(Time::new(2, 15, 0, 0).unwrap()));
        assert_eq!(info.portfolio_id.as_deref(), Some("528"));
        assert!(p.matches("20230804_021500_remessa_528_out.529").is_none());
        assert!(p.matches("20231304_021500_remessa_528_out.528").is_none());
        assert!(p
            .matches("20230804_021500_remessa_528_out.528.bak")
            .is_none());
        assert!(p.matches("20230804_021500_REMESSA_528_OUT.528").is_some());
        assert_eq!(
            p.render(d("2023-08-04").at(2, 15, 0, 0), "528"),
            "20230804_021500_remessa_528_out.528"
        );

        let p = NamePattern::new("telefones_carteira_veic_<ddmmaahhmiss>.csv").unwrap();
        let info = p
            .matches("telefones_carteira_veic_040823101112.csv")
            .unwrap();
        assert_eq!(info.date, d("2023-08-04"));
        assert_eq!(info.time, Some(Time::new(10, 11, 12, 0).unwrap()));
        assert_eq!(info.portfolio_id, None);

        let p = NamePattern::new("bat_carteira_veic_<DDMMAAAA>_<ID>.csv.<ID>").unwrap();
        let info = p.matches("bat_carteira_veic_04082023_528.csv.528").unwrap();
        assert_eq!((info.date, info.time), (d("2023-08-04"), None));
        // The id is digits; backtracking finds where it ends.
        let p = NamePattern::new("x_<ID>1_<AAAAMMDD>").unwrap();
        assert_eq!(
            p.matches("x_5281_20230804")
                .unwrap()
                .portfolio_id
                .as_deref(),
            Some("528")
        );

        assert!(NamePattern::new("remessa_<ID>.txt").is_err());
        assert!(NamePattern::new("remessa_<AAAAMMDD.txt").is_err());
        assert!(NamePattern::new("remessa_<AAAAMMDD>_<XX>.txt").is_err());
    }
}
