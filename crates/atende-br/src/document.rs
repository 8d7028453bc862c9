//! "CPF or CNPJ": flows ask for "seu CPF ou CNPJ" and log whatever came back, so they
//! need one entry point that decides which it is.
//!
//! The decision is by the number of significant characters after the CPF/CNPJ input
//! policies: 11 digits is a CPF, 14 characters is a CNPJ.

use std::fmt;

use crate::cnpj::{self, Cnpj};
use crate::cpf::{self, Cpf};
use crate::error::{BrError, Result};

/// A valid CPF or CNPJ.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Document {
    /// An individual's CPF.
    Cpf(Cpf),
    /// A company's CNPJ (numeric or alphanumeric).
    Cnpj(Cnpj),
}

impl Document {
    /// `"cpf"` or `"cnpj"`, for messages and JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Document::Cpf(_) => "cpf",
            Document::Cnpj(_) => "cnpj",
        }
    }

    /// Unmasked, uppercase form.
    pub fn as_str(&self) -> &str {
        match self {
            Document::Cpf(c) => c.as_str(),
            Document::Cnpj(c) => c.as_str(),
        }
    }

    /// Masked-for-humans form (`000.000.000-00` / `00.000.000/0000-00`).
    pub fn formatted(&self) -> String {
        match self {
            Document::Cpf(c) => c.formatted(),
            Document::Cnpj(c) => c.formatted(),
        }
    }

    /// Masked-for-logs form.
    pub fn masked(&self) -> String {
        match self {
            Document::Cpf(c) => c.masked(),
            Document::Cnpj(c) => c.masked(),
        }
    }
}

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.formatted())
    }
}

/// Parses a CPF or a CNPJ, choosing by length; the error is the one of the kind the
/// length points to, or a length error naming both when it fits neither.
pub fn parse(input: &str) -> Result<Document> {
    let significant = input
        .trim()
        .bytes()
        .filter(|b| !matches!(b, b'.' | b'-' | b'/'))
        .count();
    match significant {
        11 => cpf::parse(input).map(Document::Cpf),
        14 => cnpj::parse(input).map(Document::Cnpj),
        _ => {
            // Let the CPF parser report empty input or a bad character first.
            match cpf::parse(input) {
                Err(BrError::Length { got, .. }) => Err(BrError::Length {
                    what: "cpf/cnpj",
                    expected: "11 digits (cpf) or 14 characters (cnpj)",
                    got,
                }),
                Err(BrError::Character { .. }) => match cnpj::parse(input) {
                    Err(BrError::Length { got, .. }) => Err(BrError::Length {
                        what: "cpf/cnpj",
                        expected: "11 digits (cpf) or 14 characters (cnpj)",
                        got,
                    }),
                    other => other.map(Document::Cnpj),
                },
                other => other.map(Document::Cpf),
            }
        }
    }
}

/// `true` when `input` is a valid CPF or CNPJ.
pub fn is_valid(input: &str) -> bool {
    parse(input).is_ok()
}

/// The log-safe form of a CPF or CNPJ (`***.982.247-**`, `**.ABC.345/01DE-**`).
pub fn mask_document(input: &str) -> Result<String> {
    parse(input).map(|d| d.masked())
}

/// The first valid CPF or CNPJ in free text, whichever comes first.
pub fn find(text: &str) -> Option<Document> {
    crate::cpf::candidates(text, |b| {
        b.is_ascii_alphanumeric() || b == b'.' || b == b'/' || b == b'-'
    })
    .find_map(|t| parse(t).ok())
}

/// The mod-11 check digit shared by CPF and CNPJ: remainders 0 and 1 give 0.
pub(crate) fn mod11_check_digit(sum: u32) -> u32 {
    let r = sum % 11;
    if r < 2 {
        0
    } else {
        11 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chooses_by_length() {
        assert_eq!(parse("529.982.247-25").unwrap().kind(), "cpf");
        assert_eq!(parse("12.ABC.345/01DE-35").unwrap().kind(), "cnpj");
        assert_eq!(mask_document("529.982.247-25").unwrap(), "***.982.247-**");
        assert_eq!(
            mask_document("54550752000155").unwrap(),
            "**.550.752/0001-**"
        );
        assert_eq!(
            parse("123").unwrap_err().to_string(),
            "cpf/cnpj: expected 11 digits (cpf) or 14 characters (cnpj), got 3"
        );
        assert_eq!(
            parse("529.982.247-26").unwrap_err().to_string(),
            "cpf: wrong second check digit: expected 5, found 6"
        );
        assert!(matches!(
            parse("12ABC").unwrap_err(),
            BrError::Length { got: 5, .. }
        ));
        assert_eq!(
            find("cliente 12.ABC.345/01DE-35 e 529.982.247-25").map(|d| d.kind()),
            Some("cnpj")
        );
    }
}
