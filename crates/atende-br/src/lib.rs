//! Brazilian billing toolkit: the identifiers, payment codes and formats that every
//! Atende flow touches when it identifies a customer and hands them something to pay.
//!
//! Pure library: no I/O, no clock reads (anything that depends on "today" takes the
//! reference date as a parameter), no global state. The algorithms follow the normative
//! texts summarised in `shared/docs/br-spec.md` (RFB for CPF/CNPJ, FEBRABAN for boletos,
//! BCB for Pix, Anatel for phone numbers, CLDR for money and dates); where that spec
//! leaves a policy open, the module documentation states the choice made.
//!
//! Hot paths (document validation, boleto and Pix parsing, phone normalisation) work on
//! bytes and return fixed-size values, so validating does not allocate.
//!
//! | module | what |
//! |---|---|
//! | [`cpf`] | CPF: validate, normalise, format, mask, generate |
//! | [`cnpj`] | CNPJ, numeric and alphanumeric (IN RFB 2.229/2024) |
//! | [`document`] | "CPF or CNPJ" helpers for flows and logs |
//! | [`boleto`] | bank (44/47) and arrecadação (44/48) codes, due-date factor |
//! | [`pix`] | Pix BR Code parse/generate, key kinds; [`crc`] for its CRC16 |
//! | [`phone`] | E.164, DDDs, 9th digit, WhatsApp ids |
//! | [`money`] | `R$ 1.234,56` exact formatting and parsing |
//! | [`date`] | pt-BR month/weekday names, date formats, "mês passado" |

pub mod boleto;
pub mod cnpj;
pub mod cpf;
pub mod crc;
pub mod date;
pub mod document;
pub mod error;
pub mod money;
pub mod phone;
pub mod pix;

mod seed;

pub use error::{BrError, Result};

/// Re-exported so callers (flows, CLI) name dates with the same `jiff` version as ours.
pub use jiff;
/// Re-exported so callers name amounts with the same `rust_decimal` version as ours.
pub use rust_decimal;
