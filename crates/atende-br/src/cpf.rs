//! CPF (Cadastro de Pessoas Físicas): the individual taxpayer number every flow uses to
//! identify a customer.
//!
//! Algorithm (RFB): 11 digits, the last two are mod-11 check digits with weights 10..2 and
//! 11..2; a remainder below 2 gives 0.
//!
//! Input policy (br-spec.md §1 leaves it open; we follow the spec-derived reference that
//! agreed with every vector):
//! - surrounding whitespace is trimmed;
//! - `.` and `-` are ignored wherever they appear (`529.982.247-25`, `529982247-25`);
//! - anything else — inner spaces, `/`, letters, full-width digits — is rejected;
//! - exactly 11 ASCII digits must remain (no left-padding of 10-digit input);
//! - CPFs with all digits equal are rejected (checksum-valid but never issued);
//!   `123.456.789-09` is accepted (valid checksum; blacklisting it is not a rule).

use std::fmt;
use std::str::FromStr;

use crate::error::{BrError, Result};
use crate::seed::SplitMix;

const WHAT: &str = "cpf";

/// A valid CPF, stored as its 11 ASCII digits.
///
/// `Debug` prints the masked form (`***.982.247-**`) so a CPF that slips into a log line
/// or a panic message does not leak; use [`Cpf::as_str`] or `Display` for the full value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cpf([u8; 11]);

impl Cpf {
    /// The 11 digits, no mask: the form to store and compare.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("cpf holds ascii digits")
    }

    /// `000.000.000-00`, the form people read.
    pub fn formatted(&self) -> String {
        let d = self.as_str();
        format!("{}.{}.{}-{}", &d[0..3], &d[3..6], &d[6..9], &d[9..11])
    }

    /// `***.982.247-**`: enough to tell two customers apart in a log, not enough to
    /// identify anyone (the first three digits and the check digits are hidden).
    pub fn masked(&self) -> String {
        let d = self.as_str();
        format!("***.{}.{}-**", &d[3..6], &d[6..9])
    }

    /// The fiscal region digit (9th digit); informational only.
    pub fn fiscal_region(&self) -> u8 {
        self.0[8] - b'0'
    }

    /// The states of the fiscal region (`"SP"`, `"DF, GO, MS, MT, TO"`): where the CPF
    /// was first registered, which support agents use as a sanity check.
    pub fn fiscal_region_states(&self) -> &'static str {
        match self.fiscal_region() {
            1 => "DF, GO, MS, MT, TO",
            2 => "AC, AM, AP, PA, RO, RR",
            3 => "CE, MA, PI",
            4 => "AL, PB, PE, RN",
            5 => "BA, SE",
            6 => "MG",
            7 => "ES, RJ",
            8 => "SP",
            9 => "PR, SC",
            _ => "RS",
        }
    }

    /// The digits as numbers, for callers that compute with them.
    pub fn digits(&self) -> [u8; 11] {
        self.0.map(|b| b - b'0')
    }
}

impl fmt::Display for Cpf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.formatted())
    }
}

impl fmt::Debug for Cpf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cpf({})", self.masked())
    }
}

impl FromStr for Cpf {
    type Err = BrError;
    fn from_str(s: &str) -> Result<Self> {
        parse(s)
    }
}

/// Validates and normalises a CPF typed by a person or sent by a system.
///
/// Errors name the problem: length, unexpected character (with its position), repeated
/// digits, or which check digit is wrong.
pub fn parse(input: &str) -> Result<Cpf> {
    if let Some(digits) = common_shape(input.as_bytes()) {
        return from_digits(digits);
    }
    let start = input.len() - input.trim_start().len();
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(BrError::Empty { what: WHAT });
    }
    let mut digits = [0u8; 11];
    let mut n = 0usize;
    for (i, &b) in trimmed.as_bytes().iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                if n < 11 {
                    digits[n] = b;
                }
                n += 1;
            }
            b'.' | b'-' => {}
            _ => return Err(BrError::character(WHAT, input, start + i)),
        }
    }
    if n != 11 {
        return Err(BrError::Length {
            what: WHAT,
            expected: "11 digits",
            got: n,
        });
    }
    from_digits(digits)
}

/// Fast path for the two shapes nearly every input has, `52998224725` and
/// `529.982.247-25`; anything else goes through the general scanner.
fn common_shape(b: &[u8]) -> Option<[u8; 11]> {
    let mut d = [0u8; 11];
    match b.len() {
        11 => d.copy_from_slice(b),
        14 if b[3] == b'.' && b[7] == b'.' && b[11] == b'-' => {
            d[0..3].copy_from_slice(&b[0..3]);
            d[3..6].copy_from_slice(&b[4..7]);
            d[6..9].copy_from_slice(&b[8..11]);
            d[9..11].copy_from_slice(&b[12..14]);
        }
        _ => return None,
    }
    d.iter().all(u8::is_ascii_digit).then_some(d)
}

/// Validates 11 ASCII digits already stripped of any mask.
fn from_digits(digits: [u8; 11]) -> Result<Cpf> {
    if digits.iter().all(|&d| d == digits[0]) {
        return Err(BrError::RepeatedDigits { what: WHAT });
    }
    let mut base = [0u8; 9];
    base.copy_from_slice(&digits[..9]);
    let [dv1, dv2] = check_digits(&base);
    if digits[9] != dv1 {
        return Err(BrError::CheckDigit {
            what: WHAT,
            digit: "first",
            expected: dv1 as char,
            found: digits[9] as char,
        });
    }
    if digits[10] != dv2 {
        return Err(BrError::CheckDigit {
            what: WHAT,
            digit: "second",
            expected: dv2 as char,
            found: digits[10] as char,
        });
    }
    Ok(Cpf(digits))
}

/// The two check digits (as ASCII) for 9 ASCII base digits.
pub fn check_digits(base: &[u8; 9]) -> [u8; 2] {
    let mut s1 = 0u32;
    let mut s2 = 0u32;
    for (i, &b) in base.iter().enumerate() {
        let d = u32::from(b.wrapping_sub(b'0'));
        s1 += d * (10 - i as u32);
        s2 += d * (11 - i as u32);
    }
    let dv1 = crate::document::mod11_check_digit(s1);
    s2 += dv1 * 2;
    let dv2 = crate::document::mod11_check_digit(s2);
    [b'0' + dv1 as u8, b'0' + dv2 as u8]
}

/// `true` when `input` is a valid CPF under the input policy above; never allocates.
pub fn is_valid(input: &str) -> bool {
    parse(input).is_ok()
}

/// The 11-digit form of a valid CPF.
pub fn normalize(input: &str) -> Result<String> {
    parse(input).map(|c| c.as_str().to_owned())
}

/// The `000.000.000-00` form of a valid CPF.
pub fn format(input: &str) -> Result<String> {
    parse(input).map(|c| c.formatted())
}

/// The `***.982.247-**` form of a valid CPF, for logs.
pub fn mask(input: &str) -> Result<String> {
    parse(input).map(|c| c.masked())
}

/// A valid CPF derived from `seed` (same seed, same CPF): for test data and demos, so
/// nobody pastes a real customer's number into a fixture.
pub fn generate(seed: u64) -> Cpf {
    let mut rng = SplitMix::new(seed);
    let mut base = [0u8; 9];
    for b in &mut base {
        *b = rng.digit();
    }
    if base.iter().all(|&d| d == base[0]) {
        // All-equal bases give all-equal CPFs for 0 and a few others; nudge one digit.
        base[8] = b'0' + (base[8] - b'0' + 1) % 10;
    }
    let [dv1, dv2] = check_digits(&base);
    let mut digits = [0u8; 11];
    digits[..9].copy_from_slice(&base);
    digits[9] = dv1;
    digits[10] = dv2;
    from_digits(digits).expect("generated cpf is valid")
}

/// The first valid CPF found in free text ("meu cpf é 529.982.247-25, obrigado"), for
/// flows that look for a document in what the customer typed.
///
/// Candidates are maximal runs of digits, `.` and `-`; runs are not split, so a longer
/// number that merely contains a CPF is not taken for one.
pub fn find(text: &str) -> Option<Cpf> {
    candidates(text, |b| b.is_ascii_digit() || b == b'.' || b == b'-').find_map(|t| parse(t).ok())
}

/// Maximal runs of bytes matching `keep`, trimmed of leading/trailing separators.
pub(crate) fn candidates<'a>(
    text: &'a str,
    keep: impl Fn(u8) -> bool + 'a + Copy,
) -> impl Iterator<Item = &'a str> + 'a {
    text.split(move |c: char| !(c.is_ascii() && keep(c as u8)))
        .map(|t| t.trim_matches(|c: char| !c.is_ascii_alphanumeric()))
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example() {
        let c = parse("529.982.247-25").unwrap();
        assert_eq!(c.as_str(), "52998224725");
        assert_eq!(c.formatted(), "529.982.247-25");
        assert_eq!(c.masked(), "***.982.247-**");
        assert_eq!(format!("{c:?}"), "Cpf(***.982.247-**)");
        assert_eq!(c.to_string(), "529.982.247-25");
        assert_eq!(c.fiscal_region(), 7);
        assert_eq!(c.fiscal_region_states(), "ES, RJ");
        assert_eq!(check_digits(b"529982247"), *b"25");
    }

    #[test]
    fn remainder_below_two_gives_zero() {
        assert!(is_valid("11111111200"));
        assert!(is_valid("10003167690"));
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(
            parse("2953799559").unwrap_err().to_string(),
            "cpf: expected 11 digits, got 10"
        );
        assert_eq!(
            parse("529.982.247-26").unwrap_err().to_string(),
            "cpf: wrong second check digit: expected 5, found 6"
        );
        assert_eq!(
            parse("529.982.247-35").unwrap_err().to_string(),
            "cpf: wrong first check digit: expected 2, found 3"
        );
        assert_eq!(
            parse("111.111.111-11").unwrap_err().to_string(),
            "cpf: all digits are the same"
        );
        assert_eq!(
            parse(" 529 982").unwrap_err().to_string(),
            "cpf: unexpected character ' ' at position 5"
        );
        assert_eq!(parse("  ").unwrap_err().to_string(), "cpf: empty input");
    }

    #[test]
    fn input_policy() {
        assert!(is_valid(" 529.982.247-25 "));
        assert!(is_valid("529982247-25"));
        assert!(!is_valid("529 982 247 25"));
        assert!(!is_valid("529.982.247/25"));
        assert!(!is_valid("５２９９８２２４７２５"));
        assert!(!is_valid("9380826044"));
        assert!(is_valid("123.456.789-09"));
    }

    #[test]
    fn generated_values_are_valid_and_stable() {
        for seed in 0..1000 {
            let c = generate(seed);
            assert!(is_valid(c.as_str()), "{}", c.as_str());
            assert_eq!(c, generate(seed));
        }
        assert_ne!(generate(1), generate(2));
    }

    #[test]
    fn finds_a_cpf_in_text() {
        assert_eq!(
            find("meu cpf é 529.982.247-25, obrigado").map(|c| c.as_str().to_owned()),
            Some("52998224725".into())
        );
        assert_eq!(find("pedido 12345"), None);
        assert_eq!(find("abc 5299822472512 x"), None);
    }
}
