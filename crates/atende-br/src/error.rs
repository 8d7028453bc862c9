//! The one error type of the crate.
//!
//! Every message is lowercase, starts with the kind of value (`cpf:`, `boleto:`, …) and
//! names what is wrong (length, which check digit, which field), because these messages
//! end up in front of support agents and in flow logs, where "invalid input" helps nobody.
//! The variants used on hot paths (length, character, check digit) carry only `Copy`
//! data, so rejecting a value never allocates.

use std::borrow::Cow;

/// Why a Brazilian document, payment code, phone number, amount or date was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BrError {
    /// Nothing but whitespace was given.
    #[error("{what}: empty input")]
    Empty {
        /// The kind of value.
        what: &'static str,
    },

    /// Wrong number of significant characters (separators are not counted).
    #[error("{what}: expected {expected}, got {got}")]
    Length {
        /// The kind of value (`cpf`, `cnpj`, `boleto`, `pix`, `phone`, `money`, `date`).
        what: &'static str,
        /// What was expected, in words (`11 digits`).
        expected: &'static str,
        /// How many significant characters there were.
        got: usize,
    },

    /// A character that is neither a digit (or letter, where allowed) nor an accepted separator.
    /// `position` is 1-based and counts characters of the original input.
    #[error("{what}: unexpected character {found:?} at position {position}")]
    Character {
        /// The kind of value (`cpf`, `cnpj`, `boleto`, `pix`, `phone`, `money`, `date`).
        what: &'static str,
        /// The offending character.
        found: char,
        /// 1-based character position in the original input.
        position: usize,
    },

    /// A check digit does not match; `digit` says which one ("first", "field 2", "general", …).
    #[error("{what}: wrong {digit} check digit: expected {expected}, found {found}")]
    CheckDigit {
        /// The kind of value (`cpf`, `cnpj`, `boleto`, `pix`, `phone`, `money`, `date`).
        what: &'static str,
        /// Which check digit (`first`, `second`, `field 2`, `block 3`, `general`).
        digit: &'static str,
        /// The check digit the algorithm gives.
        expected: char,
        /// The character in the check-digit position.
        found: char,
    },

    /// Checksum-valid but never issued (`111.111.111-11`, `00000000000000`).
    #[error("{what}: all digits are the same")]
    RepeatedDigits {
        /// The kind of value.
        what: &'static str,
    },

    /// Bank boleto currency code other than 9 (real) or 0 (other currency).
    #[error("boleto: unknown currency code {found:?} in position 4 (expected 9 for real or 0)")]
    Currency {
        /// The currency digit found.
        found: char,
    },

    /// Arrecadação value identifier (position 3) other than 6, 7, 8 or 9.
    #[error("boleto: unknown value identifier {found:?} in position 3 (expected 6, 7, 8 or 9)")]
    ValueId {
        /// The identifier found.
        found: char,
    },

    /// A 48-digit line that does not start with 8.
    #[error("boleto: a 48-digit line is an arrecadação (convênio) line and must start with 8")]
    NotArrecadacao,

    /// Area code (DDD) not in the Anatel plan.
    #[error("phone: area code (ddd) {ddd:02} is not assigned")]
    Ddd {
        /// The area code given.
        ddd: u8,
    },

    /// An international number whose country code is not 55.
    #[error("phone: not a brazilian number (country code must be 55)")]
    NotBrazilian,

    /// Pix CRC16 mismatch.
    #[error("pix: wrong crc: computed {computed:04X}, payload has {found}")]
    Crc {
        /// CRC of the payload.
        computed: u16,
        /// The 4 characters of field 63.
        found: String,
    },

    /// Anything else, with a sentence that names the field and the problem.
    #[error("{what}: {reason}")]
    Invalid {
        /// The kind of value (`cpf`, `cnpj`, `boleto`, `pix`, `phone`, `money`, `date`).
        what: &'static str,
        /// The sentence after `what:`.
        reason: Cow<'static, str>,
    },
}

impl BrError {
    /// Shorthand for [`BrError::Invalid`]; keeps call sites on one line.
    pub(crate) fn invalid(what: &'static str, reason: impl Into<Cow<'static, str>>) -> Self {
        BrError::Invalid {
            what,
            reason: reason.into(),
        }
    }

    /// Builds a [`BrError::Character`] for byte offset `byte_pos` of `input`, computing the
    /// 1-based character position only now, on the error path.
    pub(crate) fn character(what: &'static str, input: &str, byte_pos: usize) -> Self {
        let found = input[byte_pos..].chars().next().unwrap_or('\u{FFFD}');
        let position = input[..byte_pos].chars().count() + 1;
        BrError::Character {
            what,
            found,
            position,
        }
    }
}

/// Result alias used throughout the crate.
pub type Result<T, E = BrError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lowercase_and_name_the_problem() {
        let e = BrError::Length {
            what: "cpf",
            expected: "11 digits",
            got: 10,
        };
        assert_eq!(e.to_string(), "cpf: expected 11 digits, got 10");
        let e = BrError::CheckDigit {
            what: "boleto",
            digit: "field 2",
            expected: '3',
            found: '4',
        };
        assert_eq!(
            e.to_string(),
            "boleto: wrong field 2 check digit: expected 3, found 4"
        );
        let e = BrError::character("cpf", "52x", 2);
        assert_eq!(e.to_string(), "cpf: unexpected character 'x' at position 3");
        assert_eq!(
            BrError::Ddd { ddd: 23 }.to_string(),
            "phone: area code (ddd) 23 is not assigned"
        );
    }
}
