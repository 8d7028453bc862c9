//! pt-BR dates: month and weekday names, the CLDR date formats, and the month phrases
//! customers type when asking for a bill ("a fatura de dezembro e janeiro", "a conta do
//! mês passado").
//!
//! Formats follow CLDR pt-BR (as produced by ICU and babel): short `24/11/2026`, long
//! `24 de novembro de 2026`, full `terça-feira, 24 de novembro de 2026`. Month and weekday
//! names are lowercase. The first of the month is written `1 de janeiro` (CLDR), not the
//! everyday `1º de janeiro`; parsing accepts both.
//!
//! Nothing here reads the clock: relative phrases take the reference date as a parameter.

use std::fmt;

use jiff::civil::{Date, Weekday};

use crate::error::{BrError, Result};

const WHAT: &str = "date";

/// Month names, January first.
pub const MONTHS: [&str; 12] = [
    "janeiro",
    "fevereiro",
    "março",
    "abril",
    "maio",
    "junho",
    "julho",
    "agosto",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
];

/// Three-letter month abbreviations (CLDR abbreviated format without the trailing dot),
/// as printed on boletos and statements ("dez/2026").
pub const MONTH_ABBREVIATIONS: [&str; 12] = [
    "jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez",
];

/// Weekday names, Sunday first (the Brazilian calendar week).
pub const WEEKDAYS: [&str; 7] = [
    "domingo",
    "segunda-feira",
    "terça-feira",
    "quarta-feira",
    "quinta-feira",
    "sexta-feira",
    "sábado",
];

/// CLDR abbreviated weekday names, Sunday first.
pub const WEEKDAY_ABBREVIATIONS: [&str; 7] =
    ["dom.", "seg.", "ter.", "qua.", "qui.", "sex.", "sáb."];

/// The name of month `1..=12`.
pub fn month_name(month: i8) -> Option<&'static str> {
    usize::try_from(month - 1)
        .ok()
        .and_then(|i| MONTHS.get(i).copied())
}

/// The abbreviation of month `1..=12`.
pub fn month_abbreviation(month: i8) -> Option<&'static str> {
    usize::try_from(month - 1)
        .ok()
        .and_then(|i| MONTH_ABBREVIATIONS.get(i).copied())
}

/// The pt-BR name of a weekday.
pub fn weekday_name(weekday: Weekday) -> &'static str {
    WEEKDAYS[weekday.to_sunday_zero_offset() as usize]
}

/// The CLDR abbreviation of a weekday (`seg.`).
pub fn weekday_abbreviation(weekday: Weekday) -> &'static str {
    WEEKDAY_ABBREVIATIONS[weekday.to_sunday_zero_offset() as usize]
}

/// `24/11/2026`.
pub fn format_short(date: Date) -> String {
    format!("{:02}/{:02}/{:04}", date.day(), date.month(), date.year())
}

/// `24 de novembro de 2026`.
pub fn format_long(date: Date) -> String {
    format!(
        "{} de {} de {}",
        date.day(),
        MONTHS[date.month() as usize - 1],
        date.year()
    )
}

/// `terça-feira, 24 de novembro de 2026`.
pub fn format_full(date: Date) -> String {
    format!("{}, {}", weekday_name(date.weekday()), format_long(date))
}

/// A month of a year ("dezembro de 2025"): what a customer means by "a fatura de dezembro".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct YearMonth {
    /// Calendar year.
    pub year: i16,
    /// 1..=12.
    pub month: i8,
}

impl YearMonth {
    /// The month containing `date`.
    pub fn of(date: Date) -> Self {
        YearMonth {
            year: date.year(),
            month: date.month(),
        }
    }

    /// The month `n` months later (earlier when negative).
    pub fn offset(self, n: i32) -> Self {
        let index = i32::from(self.year) * 12 + i32::from(self.month) - 1 + n;
        YearMonth {
            year: index.div_euclid(12) as i16,
            month: (index.rem_euclid(12) + 1) as i8,
        }
    }

    /// The month's name (`dezembro`).
    pub fn name(self) -> &'static str {
        MONTHS[self.month as usize - 1]
    }

    /// The first day of the month; `None` outside jiff's supported years.
    pub fn first_day(self) -> Option<Date> {
        Date::new(self.year, self.month, 1).ok()
    }

    /// The last day of the month; `None` outside jiff's supported years.
    pub fn last_day(self) -> Option<Date> {
        self.first_day().map(|d| d.last_of_month())
    }

    fn index(self) -> i32 {
        i32::from(self.year) * 12 + i32::from(self.month) - 1
    }
}

/// "mês por extenso": `dezembro de 2025`.
impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} de {}", self.name(), self.year)
    }
}

/// How to place a month named without a year ("dezembro") relative to the reference date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MonthResolution {
    /// The latest such month not after the reference month: asking about bills already
    /// issued ("a fatura de dezembro" in November 2026 is December 2025). The default.
    #[default]
    Past,
    /// The earliest such month not before the reference month (scheduling).
    Future,
    /// Whichever is closer; a tie goes to the past.
    Nearest,
}

/// The month number for a name or abbreviation, case- and accent-insensitive
/// (`Março`, `marco`, `MAR`, `mar.`).
pub fn parse_month(word: &str) -> Option<i8> {
    let folded = fold(word.trim().trim_end_matches('.'));
    month_of_folded(&folded)
}

fn month_of_folded(w: &str) -> Option<i8> {
    const FOLDED: [&str; 12] = [
        "janeiro",
        "fevereiro",
        "marco",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ];
    FOLDED
        .iter()
        .position(|m| *m == w)
        .or_else(|| MONTH_ABBREVIATIONS.iter().position(|m| *m == w))
        .map(|i| i as i8 + 1)
}

/// Lowercases and strips the Portuguese diacritics, so typed text without accents
/// ("proximo mes", "marco") matches.
fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' | 'º' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ª' => 'a',
            other => other,
        })
        .collect()
}

struct Token<'a> {
    text: &'a str,
    after_slash: bool,
}

fn tokenize(folded: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    let mut prev_sep_slash = false;
    let mut slash_before_current = false;
    for (i, c) in folded.char_indices() {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
                slash_before_current = prev_sep_slash;
            }
        } else {
            if let Some(s) = start.take() {
                out.push(Token {
                    text: &folded[s..i],
                    after_slash: slash_before_current,
                });
            }
            prev_sep_slash = c == '/';
            continue;
        }
        prev_sep_slash = false;
    }
    if let Some(s) = start {
        out.push(Token {
            text: &folded[s..],
            after_slash: slash_before_current,
        });
    }
    out
}

/// The months mentioned in `text`, in the order mentioned, without repeats, each resolved
/// against `reference`:
/// - names and abbreviations (`dezembro e janeiro`, `dez/25`, `março de 2026`,
///   `dezembro do ano passado`, `janeiro do ano que vem`), a bare name placed by
///   `resolution`;
/// - numeric `12/2025`;
/// - relative phrases: `este mês`/`mês atual`, `mês passado`/`último mês`/`mês anterior`,
///   `mês retrasado`, `próximo mês`/`mês que vem`/`mês seguinte`.
///
/// Fails when no month is found, so a flow can ask again.
pub fn parse_months(
    text: &str,
    reference: Date,
    resolution: MonthResolution,
) -> Result<Vec<YearMonth>> {
    let folded = fold(text);
    let toks = tokenize(&folded);
    let now = YearMonth::of(reference);
    let at = |i: usize| toks.get(i).map(|t| t.text).unwrap_or("");
    let mut found: Vec<YearMonth> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i].text;
        let mut next = i + 1;
        let mut hit = None;
        if let Some(month) = month_of_folded(t).filter(|_| !is_number_ten(t, at(i + 1))) {
            let mut j = i + 1;
            if matches!(at(j), "de" | "do" | "em") {
                j += 1;
            }
            let year_tok = toks.get(j);
            let explicit = match year_tok {
                Some(y) if y.text.len() == 4 && y.text.bytes().all(|b| b.is_ascii_digit()) => {
                    next = j + 1;
                    y.text.parse::<i16>().ok()
                }
                Some(y)
                    if y.after_slash
                        && y.text.len() == 2
                        && y.text.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    next = j + 1;
                    y.text.parse::<i16>().ok().map(|yy| 2000 + yy)
                }
                Some(y) if y.text == "ano" => match (at(j + 1), at(j + 2)) {
                    ("passado", _) | ("anterior", _) => {
                        next = j + 2;
                        Some(now.year - 1)
                    }
                    ("que", "vem") => {
                        next = j + 3;
                        Some(now.year + 1)
                    }
                    ("seguinte", _) => {
                        next = j + 2;
                        Some(now.year + 1)
                    }
                    _ => None,
                },
                _ => match (at(j), at(j + 1)) {
                    ("este" | "esse" | "deste" | "desse" | "neste", "ano") => {
                        next = j + 2;
                        Some(now.year)
                    }
                    ("proximo", "ano") => {
                        next = j + 2;
                        Some(now.year + 1)
                    }
                    _ => None,
                },
            };
            hit = Some(match explicit {
                Some(year) => YearMonth { year, month },
                None => resolve(month, now, resolution),
            });
        } else if t == "mes" {
            let prev = if i > 0 { toks[i - 1].text } else { "" };
            let offset = match (prev, at(i + 1), at(i + 2)) {
                ("proximo", _, _) => Some(1),
                (_, "que", "vem") => {
                    next = i + 3;
                    Some(1)
                }
                (_, "seguinte", _) => {
                    next = i + 2;
                    Some(1)
                }
                (_, "passado" | "anterior", _) | ("ultimo", _, _) => {
                    next = i + 2;
                    Some(-1)
                }
                (_, "retrasado", _) => {
                    next = i + 2;
                    Some(-2)
                }
                ("este" | "esse" | "neste" | "nesse" | "deste" | "desse", _, _) => Some(0),
                (_, "atual" | "corrente", _) => {
                    next = i + 2;
                    Some(0)
                }
                _ => None,
            };
            hit = offset.map(|n| now.offset(n));
        } else if t.len() <= 2 && t.bytes().all(|b| b.is_ascii_digit()) {
            if let (Ok(month), Some(y)) = (t.parse::<i8>(), toks.get(i + 1)) {
                if (1..=12).contains(&month)
                    && y.after_slash
                    && y.text.len() == 4
                    && y.text.bytes().all(|b| b.is_ascii_digit())
                {
                    next = i + 2;
                    hit = y
                        .text
                        .parse::<i16>()
                        .ok()
                        .map(|year| YearMonth { year, month });
                }
            }
        }
        if let Some(ym) = hit {
            if !found.contains(&ym) {
                found.push(ym);
            }
        }
        i = next;
    }
    if found.is_empty() {
        Err(BrError::invalid(
            WHAT,
            format!("no month found in {text:?}"),
        ))
    } else {
        Ok(found)
    }
}

/// "dez" is also the number ten ("dez reais"): take it for December only when nothing,
/// a year or a list connector follows.
fn is_number_ten(token: &str, next: &str) -> bool {
    token == "dez"
        && !next.is_empty()
        && !next.bytes().all(|b| b.is_ascii_digit())
        && !matches!(next, "e" | "ou" | "a" | "ate" | "de" | "do")
}

fn resolve(month: i8, now: YearMonth, resolution: MonthResolution) -> YearMonth {
    let past = if month <= now.month {
        YearMonth {
            year: now.year,
            month,
        }
    } else {
        YearMonth {
            year: now.year - 1,
            month,
        }
    };
    let future = if month >= now.month {
        YearMonth {
            year: now.year,
            month,
        }
    } else {
        YearMonth {
            year: now.year + 1,
            month,
        }
    };
    match resolution {
        MonthResolution::Past => past,
        MonthResolution::Future => future,
        MonthResolution::Nearest => {
            if future.index() - now.index() < now.index() - past.index() {
                future
            } else {
                past
            }
        }
    }
}

/// A calendar date typed or printed in Brazil: `24/11/2026`, `24/11/26`, `2026-11-24`,
/// `24 de novembro de 2026`, `1º de janeiro de 2026`, optionally preceded by a weekday
/// (`terça-feira, 24 de novembro de 2026`).
pub fn parse_date(text: &str) -> Result<Date> {
    let bad = || BrError::invalid(WHAT, format!("not a date: {text:?}"));
    let folded = fold(text.trim());
    if folded.is_empty() {
        return Err(BrError::Empty { what: WHAT });
    }
    let toks = tokenize(&folded);
    let num = |s: &str| -> Option<i32> {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    // ISO 2026-11-24
    if folded.len() == 10 && folded.as_bytes()[4] == b'-' && folded.as_bytes()[7] == b'-' {
        return folded.parse::<Date>().map_err(|_| bad());
    }
    let words: Vec<&str> = toks
        .iter()
        .map(|t| t.text)
        .filter(|w| !is_weekday_word(w))
        .collect();
    let (d, m, y) = match words.as_slice() {
        [d, m, y] if num(m).is_some() => (num(d), num(m), num(y)),
        [d, "de", m, "de", y] | [d, m, y] | [d, "de", m, y] => {
            // `1º` folds to `1o`.
            let d = num(d.strip_suffix('o').unwrap_or(d));
            (d, month_of_folded(m).map(i32::from), num(y))
        }
        _ => (None, None, None),
    };
    let (Some(d), Some(m), Some(mut y)) = (d, m, y) else {
        return Err(bad());
    };
    if y < 100 {
        y += 2000;
    }
    let (Ok(y), Ok(m), Ok(d)) = (i16::try_from(y), i8::try_from(m), i8::try_from(d)) else {
        return Err(bad());
    };
    Date::new(y, m, d).map_err(|_| bad())
}

fn is_weekday_word(w: &str) -> bool {
    matches!(
        w,
        "domingo" | "segunda" | "terca" | "quarta" | "quinta" | "sexta" | "sabado" | "feira"
    )
}

/// Days since 1970-01-01 (proleptic Gregorian), for the boleto factor arithmetic.
pub(crate) fn epoch_days(date: Date) -> i32 {
    let (y, m, d) = (
        i32::from(date.year()),
        i32::from(date.month()),
        i32::from(date.day()),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`epoch_days`]; `None` outside jiff's supported years.
pub(crate) fn from_epoch_days(days: i32) -> Option<Date> {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i32::from(m <= 2);
    Date::new(i16::try_from(y).ok()?, m as i8, d as i8).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const REF: Date = date(2026, 11, 24);

    fn ym(year: i16, month: i8) -> YearMonth {
        YearMonth { year, month }
    }

    #[test]
    fn formats() {
        let d = date(2026, 11, 24);
        assert_eq!(format_short(d), "24/11/2026");
        assert_eq!(format_long(d), "24 de novembro de 2026");
        assert_eq!(format_full(d), "terça-feira, 24 de novembro de 2026");
        assert_eq!(format_long(date(2026, 3, 1)), "1 de março de 2026");
        assert_eq!(ym(2025, 12).to_string(), "dezembro de 2025");
        assert_eq!(month_name(3), Some("março"));
        assert_eq!(month_name(0), None);
        assert_eq!(month_name(13), None);
        assert_eq!(month_abbreviation(12), Some("dez"));
        assert_eq!(weekday_abbreviation(Weekday::Saturday), "sáb.");
    }

    #[test]
    fn month_words() {
        assert_eq!(parse_month("Março"), Some(3));
        assert_eq!(parse_month("marco"), Some(3));
        assert_eq!(parse_month("SET."), Some(9));
        assert_eq!(parse_month("smarch"), None);
    }

    #[test]
    fn month_phrases() {
        let p = |s| parse_months(s, REF, MonthResolution::Past).unwrap();
        assert_eq!(p("dezembro e janeiro"), vec![ym(2025, 12), ym(2026, 1)]);
        assert_eq!(p("a conta do mês passado"), vec![ym(2026, 10)]);
        assert_eq!(p("proximo mes"), vec![ym(2026, 12)]);
        assert_eq!(p("mês que vem"), vec![ym(2026, 12)]);
        assert_eq!(p("este mês"), vec![ym(2026, 11)]);
        assert_eq!(p("mes retrasado"), vec![ym(2026, 9)]);
        assert_eq!(p("novembro"), vec![ym(2026, 11)]);
        assert_eq!(p("dez/25 e jan/26"), vec![ym(2025, 12), ym(2026, 1)]);
        assert_eq!(p("março de 2024"), vec![ym(2024, 3)]);
        assert_eq!(p("12/2025"), vec![ym(2025, 12)]);
        assert_eq!(p("dezembro do ano passado"), vec![ym(2025, 12)]);
        assert_eq!(p("janeiro do ano que vem"), vec![ym(2027, 1)]);
        assert_eq!(p("dezembro, dezembro"), vec![ym(2025, 12)]);
        assert_eq!(p("paguei dez reais em janeiro"), vec![ym(2026, 1)]);
        let f = parse_months("dezembro e janeiro", REF, MonthResolution::Future).unwrap();
        assert_eq!(f, vec![ym(2026, 12), ym(2027, 1)]);
        let n = parse_months("dezembro e maio", REF, MonthResolution::Nearest).unwrap();
        assert_eq!(n, vec![ym(2026, 12), ym(2026, 5)]);
        assert!(parse_months("quero a segunda via", REF, MonthResolution::Past).is_err());
        // Year rollover for relative months.
        let jan = date(2027, 1, 10);
        assert_eq!(
            parse_months("mês passado", jan, MonthResolution::Past).unwrap(),
            vec![ym(2026, 12)]
        );
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("24/11/2026").unwrap(), REF);
        assert_eq!(parse_date("24/11/26").unwrap(), REF);
        assert_eq!(parse_date("2026-11-24").unwrap(), REF);
        assert_eq!(parse_date("24 de novembro de 2026").unwrap(), REF);
        assert_eq!(
            parse_date("terça-feira, 24 de novembro de 2026").unwrap(),
            REF
        );
        assert_eq!(
            parse_date("1º de janeiro de 2026").unwrap(),
            date(2026, 1, 1)
        );
        assert!(parse_date("31/02/2026").is_err());
        assert!(parse_date("amanhã").is_err());
    }

    #[test]
    fn epoch_days_round_trip() {
        assert_eq!(epoch_days(date(1970, 1, 1)), 0);
        assert_eq!(epoch_days(date(1997, 10, 7)), 10_141);
        for n in (-800_000..800_000).step_by(997) {
            let d = from_epoch_days(n).unwrap();
            assert_eq!(epoch_days(d), n);
        }
        assert_eq!(from_epoch_days(i32::MAX / 2), None);
    }
}
