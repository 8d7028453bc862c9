//! Brazilian money, `R$ 1.234,56`, formatted and parsed exactly with `rust_decimal`
//! (never binary floats: `2.675` and `1234.565` are where float code goes wrong).
//!
//! **Space policy:** [`format()`] follows CLDR pt-BR, the output of ICU/`Intl` and babel:
//! `R$` + U+00A0 NO-BREAK SPACE + amount, so a line break never separates the symbol
//! from the number in a chat bubble; negatives are `-R$ 1.234,56`. Channels that need
//! plain ASCII-ish text (SMS in GSM-7, where U+00A0 forces UCS-2 and halves the message
//! length) use [`format_with()`]`(…, Space::Plain)`, which gives `R$ 1.234,56` with U+0020
//! like the `brutils`/`brazilian-values` libraries. [`parse`] accepts both.
//!
//! **Rounding:** amounts with more than two decimals are rounded half-to-even (the rule
//! of ABNT NBR 5891 and CLDR's default), on the exact decimal value: `0.005` → `R$ 0,00`,
//! `0.015` → `R$ 0,02`, `2.675` → `R$ 2,68`, `1234.565` → `R$ 1.234,56`.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::{BrError, Result};

const WHAT: &str = "money";

/// The space written between `R$` and the amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Space {
    /// U+00A0 NO-BREAK SPACE (CLDR pt-BR). The default.
    #[default]
    NoBreak,
    /// U+0020, for channels that should stay in a basic character set.
    Plain,
}

/// `R$ 1.234,56` with the CLDR no-break space (see the module docs for the policy).
pub fn format(amount: Decimal) -> String {
    format_with(amount, Space::NoBreak)
}

/// `R$ 1.234,56` with the chosen space; negatives as `-R$ 1.234,56`.
pub fn format_with(amount: Decimal, space: Space) -> String {
    let mut out = String::with_capacity(24);
    let sep = match space {
        Space::NoBreak => '\u{a0}',
        Space::Plain => ' ',
    };
    let number = format_number(amount);
    if number.starts_with('-') {
        out.push('-');
    }
    out.push_str("R$");
    out.push(sep);
    out.push_str(number.trim_start_matches('-'));
    out
}

/// `1.234,56` (no symbol): for tables and sentences that already say "reais".
pub fn format_number(amount: Decimal) -> String {
    let rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
    // Not `rescale(2)`: it silently keeps a smaller scale when 28+ digits would not fit.
    let scale = rounded.scale() as usize;
    let mantissa = rounded.mantissa();
    let negative = mantissa < 0;
    let digits = format!("{:0>width$}", mantissa.unsigned_abs(), width = scale + 1);
    let (int, given) = digits.split_at(digits.len() - scale);
    let frac = format!("{given:0<2}");
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 2);
    if negative {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    out.push(',');
    out.push_str(&frac);
    out
}

/// An amount in cents as `R$ 1.234,56` (no-break space): for values kept as integers,
/// like boleto amounts.
pub fn format_cents(cents: i64) -> String {
    format(Decimal::new(cents, 2))
}

/// Parses what people and systems write for an amount in reais:
/// `R$ 1.234,56`, `R$1.234,56`, `R$ 1.234,56` (no-break space), `1234,56`, `-R$ 5,00`,
/// `R$ -5,00`, `1.000`, `10`.
///
/// The pt-BR convention is enforced: `.` groups thousands (groups of exactly three
/// digits), `,` is the decimal separator. `10.5` is therefore rejected rather than read
/// as ten and a half or as 105 — a wrong guess here is a wrong charge.
pub fn parse(input: &str) -> Result<Decimal> {
    let is_space = |c: char| c.is_whitespace() || c == '\u{a0}' || c == '\u{202f}';
    let mut s = input.trim_matches(is_space);
    if s.is_empty() {
        return Err(BrError::Empty { what: WHAT });
    }
    let mut negative = false;
    if let Some(rest) = s.strip_prefix('-').or_else(|| s.strip_prefix('\u{2212}')) {
        negative = true;
        s = rest.trim_start_matches(is_space);
    }
    if let Some(rest) = s.strip_prefix("R$").or_else(|| s.strip_prefix("r$")) {
        s = rest.trim_start_matches(is_space);
        if let Some(rest) = s.strip_prefix('-').or_else(|| s.strip_prefix('\u{2212}')) {
            if negative {
                return Err(BrError::invalid(WHAT, "two minus signs"));
            }
            negative = true;
            s = rest.trim_start_matches(is_space);
        }
    }
    let (int, frac) = match s.split_once(',') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if int.is_empty() {
        return Err(BrError::invalid(
            WHAT,
            format!("no digits before the decimal comma in {input:?}"),
        ));
    }
    let mut groups = int.split('.');
    let first = groups.next().unwrap_or("");
    let all_digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(first) {
        return Err(bad_char(input));
    }
    let mut digits = String::with_capacity(int.len());
    digits.push_str(first);
    for g in groups {
        if !all_digits(g) {
            return Err(bad_char(input));
        }
        if g.len() != 3 || first.len() > 3 {
            return Err(BrError::invalid(
                WHAT,
                format!(
                    "{input:?}: '.' separates thousands in groups of three digits; \
                     write decimals after a comma"
                ),
            ));
        }
        digits.push_str(g);
    }
    if let Some(f) = frac {
        if !all_digits(f) {
            return Err(bad_char(input));
        }
    }
    let frac = frac.unwrap_or("");
    let exact = |frac: &str| {
        let mut text = String::with_capacity(digits.len() + frac.len());
        text.push_str(&digits);
        text.push_str(frac);
        Decimal::from_str_exact(&text)
            .ok()
            .and_then(|mut d| d.set_scale(frac.len() as u32).ok().map(|()| d))
    };
    // Keep the written scale (`1,50` stays 1.50) unless only dropping trailing zeros
    // makes a 28-digit amount fit.
    let mut value = exact(frac)
        .or_else(|| exact(frac.trim_end_matches('0')))
        .ok_or_else(|| BrError::invalid(WHAT, format!("{input:?} is too large")))?;
    if negative {
        value.set_sign_negative(true);
    }
    Ok(value)
}

fn bad_char(input: &str) -> BrError {
    let pos = input
        .char_indices()
        .find(|&(_, c)| {
            !(c.is_ascii_digit()
                || matches!(c, '.' | ',' | '-' | '\u{2212}' | 'R' | 'r' | '$')
                || c.is_whitespace()
                || c == '\u{a0}'
                || c == '\u{202f}')
        })
        .map(|(i, _)| i);
    match pos {
        Some(i) => BrError::character(WHAT, input, i),
        None => BrError::invalid(WHAT, format!("{input:?} is not an amount in reais")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn formats_like_cldr() {
        assert_eq!(format(d("1234.56")), "R$\u{a0}1.234,56");
        assert_eq!(format(d("0")), "R$\u{a0}0,00");
        assert_eq!(format(d("0.1")), "R$\u{a0}0,10");
        assert_eq!(format(d("1000000")), "R$\u{a0}1.000.000,00");
        assert_eq!(format(d("-1234.56")), "-R$\u{a0}1.234,56");
        assert_eq!(
            format_with(d("99999999.99"), Space::Plain),
            "R$ 99.999.999,99"
        );
        assert_eq!(format_cents(123_456), "R$\u{a0}1.234,56");
    }

    #[test]
    fn rounds_half_even_on_exact_decimals() {
        assert_eq!(format(d("0.005")), "R$\u{a0}0,00");
        assert_eq!(format(d("0.015")), "R$\u{a0}0,02");
        assert_eq!(format(d("2.675")), "R$\u{a0}2,68");
        assert_eq!(format(d("1234.565")), "R$\u{a0}1.234,56");
        assert_eq!(format(d("-0.001")), "R$\u{a0}0,00");
        assert_eq!(
            format(Decimal::MAX),
            "R$\u{a0}79.228.162.514.264.337.593.543.950.335,00"
        );
    }

    #[test]
    fn parses() {
        assert_eq!(parse("R$ 1.234,56").unwrap(), d("1234.56"));
        assert_eq!(parse("R$\u{a0}1.234,56").unwrap(), d("1234.56"));
        assert_eq!(parse("R$1.234,56").unwrap(), d("1234.56"));
        assert_eq!(parse("1234,5").unwrap(), d("1234.5"));
        assert_eq!(parse("-R$ 5,00").unwrap(), d("-5.00"));
        assert_eq!(parse("R$ -5,00").unwrap(), d("-5.00"));
        assert_eq!(parse("1.000").unwrap(), d("1000"));
        assert_eq!(parse("10").unwrap(), d("10"));
        assert!(parse("10.5").is_err());
        assert!(parse("1.234.56").is_err());
        assert!(parse("1,").is_err());
        let max = format(Decimal::MAX);
        assert_eq!(parse(&max).unwrap(), Decimal::MAX);
        assert_eq!(parse("1,50").unwrap().to_string(), "1.50");
        assert!(parse("R$").is_err());
        assert!(parse("abc").is_err());
        assert!(parse(",50").is_err());
        assert!(parse("1,2,3").is_err());
        assert!(parse("1234.567,00").is_err());
        assert_eq!(
            parse("R$ 12x").unwrap_err().to_string(),
            "money: unexpected character 'x' at position 6"
        );
    }
}
