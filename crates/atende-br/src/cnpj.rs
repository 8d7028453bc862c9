//! CNPJ (Cadastro Nacional da Pessoa Jurídica), numeric and the alphanumeric form the
//! Receita Federal issues since July 2026 (IN RFB nº 2.229/2024; NT COCAD/SUARA/RFB 49/2024).
//!
//! A CNPJ is text, never a number: 12 characters `[0-9A-Z]` (8 root + 4 order) and two
//! numeric check digits. Each character is worth its ASCII code minus 48 (`'0'`→0,
//! `'A'`→17, `'Z'`→42); the check digits are mod 11 with weights 2..9 cycling from the
//! right, remainder below 2 giving 0. The same rule validates old numeric CNPJs.
//!
//! Input policy (br-spec.md §2 leaves some of it open):
//! - surrounding whitespace is trimmed;
//! - `.`, `/` and `-` are ignored wherever they appear;
//! - lowercase letters are accepted and uppercased (spec recommendation: the RFB issues
//!   only uppercase, people type lowercase); the normalised and formatted forms are
//!   always uppercase;
//! - any other character (inner spaces, `_`, accented letters, en dashes) is rejected —
//!   never stripped, which would silently turn an alphanumeric CNPJ into garbage;
//! - a letter in the check-digit positions is a check-digit error;
//! - all-equal digits (`00000000000000`, `11111111111111`) are rejected; repeated letters
//!   are not (`AAAAAAAA000191` is valid).

use std::fmt;
use std::str::FromStr;

use crate::error::{BrError, Result};
use crate::seed::SplitMix;

const WHAT: &str = "cnpj";

/// A valid CNPJ, stored as its 14 uppercase ASCII characters.
///
/// `Debug` prints the masked form so it can be logged safely.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cnpj([u8; 14]);

impl Cnpj {
    /// The 14 characters, no mask, uppercase: the form to store and compare.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("cnpj holds ascii")
    }

    /// `XX.XXX.XXX/XXXX-DD`, the form people read.
    pub fn formatted(&self) -> String {
        let d = self.as_str();
        format!(
            "{}.{}.{}/{}-{}",
            &d[0..2],
            &d[2..5],
            &d[5..8],
            &d[8..12],
            &d[12..14]
        )
    }

    /// `**.ABC.345/01DE-**`: the first two characters and the check digits hidden, for logs.
    /// (A CNPJ is public registry data, so a lighter mask than the CPF's is enough.)
    pub fn masked(&self) -> String {
        let d = self.as_str();
        format!("**.{}.{}/{}-**", &d[2..5], &d[5..8], &d[8..12])
    }

    /// The 8-character root (*raiz*) shared by every establishment of the company.
    pub fn root(&self) -> &str {
        &self.as_str()[..8]
    }

    /// The 4-character establishment order (*ordem*); `0001` is usually the head office.
    pub fn order(&self) -> &str {
        &self.as_str()[8..12]
    }

    /// `true` when the order is `0001` (matriz).
    pub fn is_head_office(&self) -> bool {
        self.order() == "0001"
    }

    /// `true` for the new alphanumeric form (at least one letter).
    pub fn is_alphanumeric(&self) -> bool {
        self.0.iter().any(u8::is_ascii_uppercase)
    }
}

impl fmt::Display for Cnpj {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.formatted())
    }
}

impl fmt::Debug for Cnpj {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cnpj({})", self.masked())
    }
}

impl FromStr for Cnpj {
    type Err = BrError;
    fn from_str(s: &str) -> Result<Self> {
        parse(s)
    }
}

/// Validates and normalises a CNPJ (numeric or alphanumeric, masked or not).
pub fn parse(input: &str) -> Result<Cnpj> {
    if let Some(chars) = common_shape(input.as_bytes()) {
        return from_chars(chars);
    }
    let start = input.len() - input.trim_start().len();
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(BrError::Empty { what: WHAT });
    }
    let mut chars = [0u8; 14];
    let mut n = 0usize;
    for (i, &b) in trimmed.as_bytes().iter().enumerate() {
        let c = match b {
            b'0'..=b'9' | b'A'..=b'Z' => b,
            b'a'..=b'z' => b.to_ascii_uppercase(),
            b'.' | b'/' | b'-' => continue,
            _ => return Err(BrError::character(WHAT, input, start + i)),
        };
        if n < 14 {
            chars[n] = c;
        }
        n += 1;
    }
    if n != 14 {
        return Err(BrError::Length {
            what: WHAT,
            expected: "14 characters",
            got: n,
        });
    }
    from_chars(chars)
}

/// Fast path for `12ABC34501DE35` and `12.ABC.345/01DE-35` in uppercase; anything else
/// (lowercase, odd separators, errors) goes through the general scanner.
fn common_shape(b: &[u8]) -> Option<[u8; 14]> {
    let mut c = [0u8; 14];
    match b.len() {
        14 => c.copy_from_slice(b),
        18 if b[2] == b'.' && b[6] == b'.' && b[10] == b'/' && b[15] == b'-' => {
            c[0..2].copy_from_slice(&b[0..2]);
            c[2..5].copy_from_slice(&b[3..6]);
            c[5..8].copy_from_slice(&b[7..10]);
            c[8..12].copy_from_slice(&b[11..15]);
            c[12..14].copy_from_slice(&b[16..18]);
        }
        _ => return None,
    }
    c.iter()
        .all(|x| x.is_ascii_digit() || x.is_ascii_uppercase())
        .then_some(c)
}

fn from_chars(chars: [u8; 14]) -> Result<Cnpj> {
    if chars.iter().all(|&c| c == chars[0]) {
        return Err(BrError::RepeatedDigits { what: WHAT });
    }
    let mut body = [0u8; 12];
    body.copy_from_slice(&chars[..12]);
    let [dv1, dv2] = check_digits(&body);
    if chars[12] != dv1 {
        return Err(BrError::CheckDigit {
            what: WHAT,
            digit: "first",
            expected: dv1 as char,
            found: chars[12] as char,
        });
    }
    if chars[13] != dv2 {
        return Err(BrError::CheckDigit {
            what: WHAT,
            digit: "second",
            expected: dv2 as char,
            found: chars[13] as char,
        });
    }
    Ok(Cnpj(chars))
}

/// The two check digits (ASCII) for a 12-character body of `[0-9A-Z]`.
pub fn check_digits(body: &[u8; 12]) -> [u8; 2] {
    const W1: [u32; 12] = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    const W2: [u32; 13] = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    let mut s1 = 0u32;
    let mut s2 = 0u32;
    for i in 0..12 {
        let v = u32::from(body[i].wrapping_sub(b'0'));
        s1 += v * W1[i];
        s2 += v * W2[i];
    }
    let dv1 = crate::document::mod11_check_digit(s1);
    s2 += dv1 * W2[12];
    let dv2 = crate::document::mod11_check_digit(s2);
    [b'0' + dv1 as u8, b'0' + dv2 as u8]
}

/// `true` when `input` is a valid CNPJ under the input policy above; never allocates.
pub fn is_valid(input: &str) -> bool {
    parse(input).is_ok()
}

/// The 14-character uppercase form of a valid CNPJ.
pub fn normalize(input: &str) -> Result<String> {
    parse(input).map(|c| c.as_str().to_owned())
}

/// The `XX.XXX.XXX/XXXX-DD` form of a valid CNPJ.
pub fn format(input: &str) -> Result<String> {
    parse(input).map(|c| c.formatted())
}

/// The masked form of a valid CNPJ, for logs.
pub fn mask(input: &str) -> Result<String> {
    parse(input).map(|c| c.masked())
}

/// A valid numeric CNPJ (head office, order `0001`) derived from `seed`, for test data.
pub fn generate(seed: u64) -> Cnpj {
    let mut rng = SplitMix::new(seed);
    let mut body = *b"000000000001";
    for b in &mut body[..8] {
        *b = rng.digit();
    }
    build(body)
}

/// A valid alphanumeric CNPJ derived from `seed` (at least one letter in the root), for
/// testing code paths that must not assume digits.
pub fn generate_alphanumeric(seed: u64) -> Cnpj {
    const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut rng = SplitMix::new(seed ^ 0xA1FA);
    let mut body = [0u8; 12];
    for b in &mut body {
        *b = ALPHABET[rng.below(36) as usize];
    }
    if !body[..8].iter().any(u8::is_ascii_uppercase) {
        body[rng.below(8) as usize] = b'A' + rng.below(26) as u8;
    }
    build(body)
}

fn build(body: [u8; 12]) -> Cnpj {
    let [dv1, dv2] = check_digits(&body);
    let mut chars = [0u8; 14];
    chars[..12].copy_from_slice(&body);
    chars[12] = dv1;
    chars[13] = dv2;
    from_chars(chars).expect("generated cnpj is valid")
}

/// The first valid CNPJ in free text, numeric or alphanumeric, masked or not.
pub fn find(text: &str) -> Option<Cnpj> {
    crate::cpf::candidates(text, |b| {
        b.is_ascii_alphanumeric() || b == b'.' || b == b'/' || b == b'-'
    })
    .find_map(|t| parse(t).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_alphanumeric_example() {
        let c = parse("12.ABC.345/01DE-35").unwrap();
        assert_eq!(c.as_str(), "12ABC34501DE35");
        assert_eq!(c.formatted(), "12.ABC.345/01DE-35");
        assert_eq!(c.masked(), "**.ABC.345/01DE-**");
        assert!(c.is_alphanumeric());
        assert_eq!(c.root(), "12ABC345");
        assert_eq!(c.order(), "01DE");
        for ok in ["AA345678000114", "AA345678000A29", "12345678000A08"] {
            assert!(is_valid(ok), "{ok}");
        }
    }

    #[test]
    fn traps() {
        // Layout sample with a made-up DV: the real one is 62.
        assert!(!is_valid("A1.B2C.3D4/1A2B-99"));
        assert!(is_valid("A1.B2C.3D4/1A2B-62"));
        // Letter in a check-digit position.
        assert_eq!(
            parse("12ABC34501DE3A").unwrap_err().to_string(),
            "cnpj: wrong second check digit: expected 5, found A"
        );
        // Never strip letters or junk.
        assert!(!is_valid("6ad0.t391.9asd47/0ad001-00"));
        assert!(!is_valid("12. ABC.345 /01DE–35"));
        assert_eq!(
            parse("00000000000000").unwrap_err(),
            BrError::RepeatedDigits { what: "cnpj" }
        );
        assert!(is_valid("AAAAAAAA000191"));
    }

    #[test]
    fn lowercase_is_uppercased() {
        assert_eq!(normalize("12.abc.345/01de-35").unwrap(), "12ABC34501DE35");
    }

    #[test]
    fn numeric() {
        let c = parse("54.550.752/0001-55").unwrap();
        assert!(!c.is_alphanumeric());
        assert!(c.is_head_office());
        assert_eq!(
            parse("54550752000154").unwrap_err().to_string(),
            "cnpj: wrong second check digit: expected 5, found 4"
        );
        assert_eq!(
            parse("5455075200015").unwrap_err().to_string(),
            "cnpj: expected 14 characters, got 13"
        );
    }

    #[test]
    fn generators() {
        for seed in 0..500 {
            let n = generate(seed);
            assert!(!n.is_alphanumeric() && is_valid(n.as_str()));
            let a = generate_alphanumeric(seed);
            assert!(a.is_alphanumeric() && is_valid(&a.formatted()));
        }
    }

    #[test]
    fn finds_in_text() {
        assert_eq!(
            find("cnpj da empresa: 12.ABC.345/01DE-35.").map(|c| c.as_str().to_owned()),
            Some("12ABC34501DE35".into())
        );
        assert_eq!(find("nenhum documento aqui"), None);
    }
}
