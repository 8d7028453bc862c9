//! Pix BR Code (EMV QRCPS-MPM as profiled by the BCB *Manual de Padrões para Iniciação
//! do Pix*): the "copia e cola" text behind every Pix QR code, static (a key, optional
//! amount and txid) or dynamic (a URL the payer's bank fetches).
//!
//! Encoding: `ID` (2 digits) + `LEN` (2 digits, number of characters) + value, templates
//! nesting the same format, and field 63 = `6304` + CRC-16/CCITT-FALSE (see [`crate::crc`])
//! over everything before it including `6304`, as 4 uppercase hex digits.
//!
//! Policy (br-spec.md §4 recommends strict validation for "is this a Pix code?" and
//! tolerant extraction):
//! - [`parse`] is strict: TLV structure, CRC, `00` first and `63` last, the Pix merchant
//!   account (GUI `br.gov.bcb.pix`, either case) with a key or URL, MCC, currency 986,
//!   country BR, merchant name ≤ 25 and city ≤ 15 characters, field 62 with a txid that
//!   is `***` or `[A-Za-z0-9]{1,25}` (`***` for dynamic codes), amount `\d+(\.\d{1,2})?`
//!   of at most 13 characters;
//! - [`parse_lenient`] checks only structure, CRC and the Pix GUI, and extracts whatever
//!   fields are there (codes from generators that overrun the BCB limits);
//! - both trim surrounding whitespace (copy-paste adds newlines) and accept a lowercase
//!   CRC; generation never emits either;
//! - an empty sub-field (`0200`) is read as absent, never emitted;
//! - generation uses the lowercase GUI of the BCB manual's example, always writes field
//!   62 (`***` when there is no txid), never writes a zero amount, and transliterates
//!   names, cities and descriptions to ASCII (LEN counts characters but the CRC runs over
//!   UTF-8 bytes, and readers disagree on `SÃO PAULO`). Names longer than 25 and cities
//!   longer than 15 characters are truncated (the payer's bank shows the name registered
//!   for the key anyway).
//!
//! Parsing borrows from the input: no allocation.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::cnpj;
use crate::cpf;
use crate::crc::crc16_ccitt_false;
use crate::error::{BrError, Result};
use crate::phone;

const WHAT: &str = "pix";

/// The Pix globally unique identifier, in the case the BCB manual prints it.
pub const GUI: &str = "br.gov.bcb.pix";

/// Static codes carry the key; dynamic ones a URL to a payload served by the payee's PSP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PixType {
    /// Field 26 has a key (01) or only a recurrence template.
    Static,
    /// Field 26 has a URL (25).
    Dynamic,
}

impl PixType {
    /// `"static"` or `"dynamic"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            PixType::Static => "static",
            PixType::Dynamic => "dynamic",
        }
    }
}

/// A parsed BR Code; every field borrows from the input.
///
/// After a strict [`parse`], `mcc`, `currency`, `country`, `merchant_name`,
/// `merchant_city` and `txid` are always `Some`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BrCode<'a> {
    /// The whole payload, trimmed.
    pub payload: &'a str,
    /// Field 01: `11` reusable, `12` single use.
    pub point_of_initiation: Option<&'a str>,
    /// 26-00, as written (either case).
    pub gui: &'a str,
    /// 26-01, the Pix key (static).
    pub key: Option<&'a str>,
    /// 26-02, free text shown to the payer (*infoAdicional*).
    pub description: Option<&'a str>,
    /// 26-03, the withdrawal/change facilitator (FSS) ISPB.
    pub fss: Option<&'a str>,
    /// 26-25, location of the dynamic payload, without `https://`.
    pub url: Option<&'a str>,
    /// 52, merchant category code.
    pub mcc: Option<&'a str>,
    /// 53, ISO 4217 numeric currency (986 = BRL).
    pub currency: Option<&'a str>,
    /// 54, the amount exactly as written (`10.5`); see [`BrCode::amount`].
    pub amount_raw: Option<&'a str>,
    /// 58, country.
    pub country: Option<&'a str>,
    /// 59.
    pub merchant_name: Option<&'a str>,
    /// 60.
    pub merchant_city: Option<&'a str>,
    /// 61.
    pub postal_code: Option<&'a str>,
    /// 62-05, the reference label (txid) or `***`.
    pub txid: Option<&'a str>,
    /// 80–99 template with the Pix GUI and 25: Pix Automático recurrence location.
    pub recurrence_url: Option<&'a str>,
    /// 63, the CRC as stated (and verified).
    pub crc: u16,
}

impl BrCode<'_> {
    /// Dynamic when there is a URL, static otherwise.
    pub fn kind(&self) -> PixType {
        if self.url.is_some() {
            PixType::Dynamic
        } else {
            PixType::Static
        }
    }

    /// The amount with two decimal places (`10.5` → `10.50`), if any.
    pub fn amount(&self) -> Option<Decimal> {
        let mut d = Decimal::from_str(self.amount_raw?).ok()?;
        d.rescale(2);
        Some(d)
    }

    /// `true` for single-use codes (field 01 = `12`).
    pub fn is_single_use(&self) -> bool {
        self.point_of_initiation == Some("12")
    }

    /// The kind of the key, when it is in one of the DICT formats.
    pub fn key_kind(&self) -> Option<PixKeyKind> {
        self.key.and_then(|k| key_kind(k).ok())
    }
}

/// Strict parse (see the module docs): use it to decide whether a text is a Pix code.
pub fn parse(input: &str) -> Result<BrCode<'_>> {
    parse_inner(input, true)
}

/// Tolerant parse: structure, CRC and the Pix GUI only; for reading codes from
/// generators that overrun the BCB limits (long txids, names).
pub fn parse_lenient(input: &str) -> Result<BrCode<'_>> {
    parse_inner(input, false)
}

/// `true` when `input` passes the strict [`parse`].
pub fn is_valid(input: &str) -> bool {
    parse(input).is_ok()
}

/// `true` when the payload ends in `6304` + 4 hex digits matching the CRC of what
/// precedes them — the CRC check alone, without looking at the structure (a malformed
/// payload can carry a correct CRC).
pub fn crc_ok(input: &str) -> bool {
    let s = input.trim();
    let b = s.as_bytes();
    if b.len() < 8 || !s.is_char_boundary(b.len() - 8) || &b[b.len() - 8..b.len() - 4] != b"6304" {
        return false;
    }
    match parse_hex4(&b[b.len() - 4..]) {
        Some(stated) => crc16_ccitt_false(&b[..b.len() - 4]) == stated,
        None => false,
    }
}

fn parse_hex4(b: &[u8]) -> Option<u16> {
    if b.len() != 4 {
        return None;
    }
    b.iter().try_fold(0u16, |acc, &c| {
        let v = (c as char).to_digit(16)?;
        Some(acc << 4 | v as u16)
    })
}

/// One `ID LEN VALUE` element.
struct Tlv<'a> {
    id: u8,
    value: &'a str,
    /// Byte offset of the ID within the top-level payload.
    start: usize,
}

/// Walks the TLV elements of `s`; `base` is the offset of `s` in the payload (for error
/// positions); `ascii` enables byte arithmetic.
fn for_each_tlv<'a>(
    s: &'a str,
    base: usize,
    ascii: bool,
    mut f: impl FnMut(Tlv<'a>) -> Result<bool>,
) -> Result<()> {
    let b = s.as_bytes();
    let mut pos = 0;
    while pos < b.len() {
        let at = base + pos + 1;
        if pos + 4 > b.len() || !b[pos..pos + 4].iter().all(u8::is_ascii_digit) {
            return Err(BrError::invalid(
                WHAT,
                format!("malformed field header at character {at}: expected 2-digit id and 2-digit length"),
            ));
        }
        let id = (b[pos] - b'0') * 10 + (b[pos + 1] - b'0');
        let len = usize::from((b[pos + 2] - b'0') * 10 + (b[pos + 3] - b'0'));
        let vstart = pos + 4;
        let vend = if ascii {
            Some(vstart + len).filter(|&e| e <= b.len())
        } else {
            let rest = &s[vstart..];
            match rest.char_indices().nth(len) {
                Some((i, _)) => Some(vstart + i),
                None if rest.chars().count() == len => Some(b.len()),
                None => None,
            }
        };
        let Some(vend) = vend else {
            return Err(BrError::invalid(
                WHAT,
                format!("field {id:02} at character {at} declares {len} characters but the payload ends first"),
            ));
        };
        let keep_going = f(Tlv {
            id,
            value: &s[vstart..vend],
            start: base + pos,
        })?;
        if !keep_going {
            return Ok(());
        }
        pos = vend;
    }
    Ok(())
}

fn parse_inner(input: &str, strict: bool) -> Result<BrCode<'_>> {
    let s = input.trim();
    if s.is_empty() {
        return Err(BrError::Empty { what: WHAT });
    }
    let ascii = s.is_ascii();
    let mut code = BrCode {
        payload: s,
        ..BrCode::default()
    };
    let mut seen = [false; 100];
    let mut first = true;
    let mut crc_field: Option<(usize, &str)> = None;
    let mut pix_template: Option<(u8, &str, usize)> = None;
    let mut other_account = false;
    let mut additional: Option<(&str, usize)> = None;
    for_each_tlv(s, 0, ascii, |t| {
        if seen[usize::from(t.id)] {
            return Err(BrError::invalid(
                WHAT,
                format!("field {:02} appears twice", t.id),
            ));
        }
        seen[usize::from(t.id)] = true;
        if first && t.id != 0 {
            return Err(BrError::invalid(
                WHAT,
                "field 00 (payload format indicator) must come first",
            ));
        }
        first = false;
        let v = t.value;
        let opt = (!v.is_empty()).then_some(v);
        match t.id {
            0 if v != "01" => {
                return Err(BrError::invalid(
                    WHAT,
                    format!("field 00 (payload format indicator) must be 01, got {v:?}"),
                ));
            }
            1 => code.point_of_initiation = opt,
            26..=51 => {
                if pix_template.is_none() && template_gui(v, t.start + 4, ascii)?.is_some() {
                    pix_template = Some((t.id, v, t.start + 4));
                } else {
                    other_account = true;
                }
            }
            52 => code.mcc = opt,
            53 => code.currency = opt,
            54 => code.amount_raw = opt,
            58 => code.country = opt,
            59 => code.merchant_name = opt,
            60 => code.merchant_city = opt,
            61 => code.postal_code = opt,
            62 => additional = Some((v, t.start + 4)),
            63 => {
                crc_field = Some((t.start, v));
                return Ok(false);
            }
            80..=99 if code.recurrence_url.is_none() => {
                let mut gui_ok = false;
                let mut url = None;
                for_each_tlv(v, t.start + 4, ascii, |sub| {
                    match sub.id {
                        0 => gui_ok = sub.value.eq_ignore_ascii_case(GUI),
                        25 if !sub.value.is_empty() => url = Some(sub.value),
                        _ => {}
                    }
                    Ok(true)
                })?;
                if gui_ok {
                    code.recurrence_url = url;
                }
            }
            _ => {}
        }
        Ok(true)
    })?;

    // CRC: field 63, length 4, last.
    let Some((crc_start, crc_value)) = crc_field else {
        return Err(BrError::invalid(WHAT, "missing field 63 (crc)"));
    };
    let crc_end = crc_start + 4 + crc_value.len();
    if crc_end != s.len() {
        return Err(BrError::invalid(
            WHAT,
            "field 63 (crc) must be the last field",
        ));
    }
    let Some(stated) = (crc_value.len() == 4)
        .then(|| parse_hex4(crc_value.as_bytes()))
        .flatten()
    else {
        return Err(BrError::invalid(
            WHAT,
            format!("field 63 (crc) must be 4 hex digits, got {crc_value:?}"),
        ));
    };
    let computed = crc16_ccitt_false(&s.as_bytes()[..crc_start + 4]);
    if computed != stated {
        return Err(BrError::Crc {
            computed,
            found: crc_value.to_owned(),
        });
    }
    code.crc = stated;

    // Merchant account information with the Pix GUI.
    let Some((_, template, offset)) = pix_template else {
        let why = if other_account {
            "no merchant account field (26) with the pix gui br.gov.bcb.pix"
        } else {
            "missing field 26 (merchant account information)"
        };
        return Err(BrError::invalid(WHAT, why));
    };
    for_each_tlv(template, offset, ascii, |sub| {
        let opt = (!sub.value.is_empty()).then_some(sub.value);
        match sub.id {
            0 => code.gui = sub.value,
            1 => code.key = opt,
            2 => code.description = opt,
            3 => code.fss = opt,
            25 => code.url = opt,
            _ => {}
        }
        Ok(true)
    })?;
    if let Some((data, offset)) = additional {
        for_each_tlv(data, offset, ascii, |sub| {
            if sub.id == 5 && !sub.value.is_empty() {
                code.txid = Some(sub.value);
            }
            Ok(true)
        })?;
    }
    if strict {
        validate_strict(&code, additional.is_some())?;
    }
    Ok(code)
}

/// The GUI of a merchant account template, when it is the Pix one.
fn template_gui(value: &str, offset: usize, ascii: bool) -> Result<Option<&str>> {
    let mut gui = None;
    for_each_tlv(value, offset, ascii, |sub| {
        if sub.id == 0 && sub.value.eq_ignore_ascii_case(GUI) {
            gui = Some(sub.value);
        }
        Ok(true)
    })?;
    Ok(gui)
}

fn validate_strict(code: &BrCode<'_>, has_62: bool) -> Result<()> {
    let missing = |what: &str| BrError::invalid(WHAT, format!("missing field {what}"));
    if let Some(poi) = code.point_of_initiation {
        if poi != "11" && poi != "12" {
            return Err(BrError::invalid(
                WHAT,
                format!("field 01 (point of initiation) must be 11 or 12, got {poi:?}"),
            ));
        }
    }
    match (code.key, code.url) {
        (Some(_), Some(_)) => {
            return Err(BrError::invalid(
                WHAT,
                "field 26 has both a key (01) and a url (25)",
            ))
        }
        (None, None) if code.recurrence_url.is_none() => {
            return Err(BrError::invalid(
                WHAT,
                "field 26 has neither a key (01) nor a url (25)",
            ))
        }
        _ => {}
    }
    if let Some(key) = code.key {
        if key.chars().count() > 77 {
            return Err(BrError::invalid(
                WHAT,
                "key (26-01) longer than 77 characters",
            ));
        }
    }
    let mcc = code
        .mcc
        .ok_or_else(|| missing("52 (merchant category code)"))?;
    if mcc.len() != 4 || !mcc.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BrError::invalid(
            WHAT,
            format!("field 52 (merchant category code) must be 4 digits, got {mcc:?}"),
        ));
    }
    match code.currency {
        None => return Err(missing("53 (currency)")),
        Some("986") => {}
        Some(other) => {
            return Err(BrError::invalid(
                WHAT,
                format!("field 53 (currency) must be 986 (real), got {other:?}"),
            ))
        }
    }
    if let Some(a) = code.amount_raw {
        if !valid_amount(a) {
            return Err(BrError::invalid(
                WHAT,
                format!("field 54 (amount) must be digits with '.' and at most 2 decimals, up to 13 characters; got {a:?}"),
            ));
        }
    }
    match code.country {
        None => return Err(missing("58 (country)")),
        Some("BR") => {}
        Some(other) => {
            return Err(BrError::invalid(
                WHAT,
                format!("field 58 (country) must be BR, got {other:?}"),
            ))
        }
    }
    let name = code
        .merchant_name
        .ok_or_else(|| missing("59 (merchant name)"))?;
    if name.chars().count() > 25 {
        return Err(BrError::invalid(
            WHAT,
            "field 59 (merchant name) longer than 25 characters",
        ));
    }
    let city = code
        .merchant_city
        .ok_or_else(|| missing("60 (merchant city)"))?;
    if city.chars().count() > 15 {
        return Err(BrError::invalid(
            WHAT,
            "field 60 (merchant city) longer than 15 characters",
        ));
    }
    if !has_62 {
        return Err(missing("62 (additional data with the txid)"));
    }
    let txid = code.txid.ok_or_else(|| missing("62-05 (txid)"))?;
    if code.kind() == PixType::Dynamic && txid != "***" {
        return Err(BrError::invalid(
            WHAT,
            format!("field 62-05 (txid) of a dynamic code must be ***, got {txid:?}"),
        ));
    }
    if !valid_txid(txid) {
        return Err(BrError::invalid(
            WHAT,
            format!("field 62-05 (txid) must be *** or 1 to 25 letters and digits, got {txid:?}"),
        ));
    }
    Ok(())
}

fn valid_amount(a: &str) -> bool {
    if a.is_empty() || a.len() > 13 {
        return false;
    }
    let (int, frac) = match a.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (a, None),
    };
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| (1..=2).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()))
}

fn valid_txid(t: &str) -> bool {
    t == "***" || ((1..=25).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The five kinds of Pix key in the DICT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PixKeyKind {
    /// 11 digits.
    Cpf,
    /// 14 characters (alphanumeric allowed).
    Cnpj,
    /// An e-mail address, up to 77 characters.
    Email,
    /// `+` and country code, `+55` + DDD + number for Brazil.
    Phone,
    /// Random key (EVP), a UUID.
    Random,
}

impl PixKeyKind {
    /// `cpf`, `cnpj`, `email`, `phone`, `evp`.
    pub fn as_str(&self) -> &'static str {
        match self {
            PixKeyKind::Cpf => "cpf",
            PixKeyKind::Cnpj => "cnpj",
            PixKeyKind::Email => "email",
            PixKeyKind::Phone => "phone",
            PixKeyKind::Random => "evp",
        }
    }
}

const KEY: &str = "pix key";

/// The kind of a key written in the DICT format (as it appears inside a BR Code):
/// CPF 11 digits, CNPJ 14 characters, `+` + digits, e-mail, UUID.
pub fn key_kind(key: &str) -> Result<PixKeyKind> {
    let b = key.as_bytes();
    if is_uuid(b) {
        return Ok(PixKeyKind::Random);
    }
    if key.contains('@') {
        return if is_email(key) {
            Ok(PixKeyKind::Email)
        } else {
            Err(BrError::invalid(
                KEY,
                format!("{key:?} is not a valid e-mail address"),
            ))
        };
    }
    if let Some(rest) = key.strip_prefix('+') {
        let r = rest.as_bytes();
        return if (2..=15).contains(&r.len()) && r[0] != b'0' && r.iter().all(u8::is_ascii_digit) {
            Ok(PixKeyKind::Phone)
        } else {
            Err(BrError::invalid(
                KEY,
                "phone keys are + and 2 to 15 digits (+55 ddd number)",
            ))
        };
    }
    if b.len() == 11 && b.iter().all(u8::is_ascii_digit) {
        return cpf::parse(key).map(|_| PixKeyKind::Cpf);
    }
    if b.len() == 14
        && b.iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
    {
        return cnpj::parse(key).map(|_| PixKeyKind::Cnpj);
    }
    Err(BrError::invalid(
        KEY,
        "not a cpf, cnpj, e-mail, phone (+55…) or random key (evp)",
    ))
}

/// Turns a key as a person types it into the DICT format: masked CPF/CNPJ → bare,
/// national or international phone → `+55…`, e-mail and EVP → lowercase.
///
/// Bare 11 digits are a CPF when the checksum passes, otherwise they are tried as a
/// phone number; write phones with `+55` to avoid the ambiguity.
pub fn normalize_key(input: &str) -> Result<(PixKeyKind, String)> {
    let key = input.trim();
    if key.is_empty() {
        return Err(BrError::Empty { what: KEY });
    }
    if is_uuid(key.as_bytes()) {
        return Ok((PixKeyKind::Random, key.to_ascii_lowercase()));
    }
    if key.contains('@') {
        let lower = key.to_lowercase();
        return key_kind(&lower).map(|k| (k, lower));
    }
    if key.starts_with("+55") {
        return phone::parse(key).map(|p| (PixKeyKind::Phone, p.e164().to_owned()));
    }
    if key.starts_with('+') {
        let compact: String = key
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
            .collect();
        return key_kind(&compact).map(|k| (k, compact));
    }
    match crate::document::parse(key) {
        Ok(crate::document::Document::Cpf(c)) => Ok((PixKeyKind::Cpf, c.as_str().to_owned())),
        Ok(crate::document::Document::Cnpj(c)) => Ok((PixKeyKind::Cnpj, c.as_str().to_owned())),
        Err(doc_err) => phone::parse(key)
            .map(|p| (PixKeyKind::Phone, p.e164().to_owned()))
            .map_err(|_| doc_err),
    }
}

fn is_uuid(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() <= 77
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.bytes().all(|b| b.is_ascii_graphic())
}

/// What a static BR Code says; `Default` leaves the optional parts out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StaticPix<'a> {
    /// Any key form [`normalize_key`] accepts.
    pub key: &'a str,
    /// Payee name (transliterated to ASCII, truncated to 25).
    pub merchant_name: &'a str,
    /// Payee city (transliterated to ASCII, truncated to 15).
    pub merchant_city: &'a str,
    /// Positive amount with at most two decimals; `None` lets the payer type it.
    pub amount: Option<Decimal>,
    /// `[A-Za-z0-9]{1,25}`; `None` writes `***`.
    pub txid: Option<&'a str>,
    /// Message shown to the payer (26-02), transliterated to ASCII.
    pub description: Option<&'a str>,
}

/// What a dynamic BR Code says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DynamicPix<'a> {
    /// Payload location from the PSP, with or without `https://`.
    pub url: &'a str,
    /// Payee name (transliterated to ASCII, truncated to 25).
    pub merchant_name: &'a str,
    /// Payee city (transliterated to ASCII, truncated to 15).
    pub merchant_city: &'a str,
    /// Optional amount (the payload at the URL is authoritative).
    pub amount: Option<Decimal>,
    /// Writes field 01 = `12` (one payment only).
    pub single_use: bool,
}

/// The "copia e cola" text of a static Pix charge.
pub fn static_payload(p: &StaticPix<'_>) -> Result<String> {
    let (_, key) = normalize_key(p.key)?;
    let mut account = String::with_capacity(99);
    push_tlv(&mut account, 0, GUI);
    push_tlv(&mut account, 1, &key);
    if let Some(desc) = p.description.map(ascii_fold).filter(|d| !d.is_empty()) {
        push_tlv(&mut account, 2, &desc);
    }
    let txid = p
        .txid
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or("***");
    if !valid_txid(txid) {
        return Err(BrError::invalid(
            WHAT,
            format!("txid must be 1 to 25 letters and digits (or ***), got {txid:?}"),
        ));
    }
    build(
        None,
        &account,
        p.amount,
        p.merchant_name,
        p.merchant_city,
        txid,
    )
}

/// The "copia e cola" text of a dynamic Pix charge.
pub fn dynamic_payload(p: &DynamicPix<'_>) -> Result<String> {
    let url = p.url.trim();
    let url = url.strip_prefix("https://").unwrap_or(url);
    if url.is_empty() || url.len() > 77 || !url.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(BrError::invalid(
            WHAT,
            "url must be 1 to 77 printable ascii characters (without https://)",
        ));
    }
    let mut account = String::with_capacity(99);
    push_tlv(&mut account, 0, GUI);
    push_tlv(&mut account, 25, url);
    build(
        p.single_use.then_some("12"),
        &account,
        p.amount,
        p.merchant_name,
        p.merchant_city,
        "***",
    )
}

fn build(
    poi: Option<&str>,
    account: &str,
    amount: Option<Decimal>,
    name: &str,
    city: &str,
    txid: &str,
) -> Result<String> {
    if account.len() > 99 {
        return Err(BrError::invalid(
            WHAT,
            format!(
                "key, description and gui need {} characters but field 26 holds at most 99; shorten the description",
                account.len()
            ),
        ));
    }
    let name: String = ascii_fold(name).chars().take(25).collect();
    let city: String = ascii_fold(city).chars().take(15).collect();
    let (name, city) = (name.trim_end(), city.trim_end());
    if name.is_empty() {
        return Err(BrError::invalid(WHAT, "merchant name is empty"));
    }
    if city.is_empty() {
        return Err(BrError::invalid(WHAT, "merchant city is empty"));
    }
    let amount = match amount {
        None => None,
        Some(a) if a <= Decimal::ZERO => {
            return Err(BrError::invalid(
                WHAT,
                "amount must be positive (leave it out to let the payer type it)",
            ))
        }
        Some(a) if a.scale() > 2 && a.round_dp(2) != a => {
            return Err(BrError::invalid(
                WHAT,
                "amount has more than two decimal places",
            ))
        }
        Some(mut a) => {
            a.rescale(2);
            let text = a.to_string();
            if text.len() > 13 {
                return Err(BrError::invalid(WHAT, "amount longer than 13 characters"));
            }
            Some(text)
        }
    };
    let mut out = String::with_capacity(200);
    push_tlv(&mut out, 0, "01");
    if let Some(poi) = poi {
        push_tlv(&mut out, 1, poi);
    }
    push_tlv(&mut out, 26, account);
    push_tlv(&mut out, 52, "0000");
    push_tlv(&mut out, 53, "986");
    if let Some(a) = &amount {
        push_tlv(&mut out, 54, a);
    }
    push_tlv(&mut out, 58, "BR");
    push_tlv(&mut out, 59, name);
    push_tlv(&mut out, 60, city);
    let mut additional = String::with_capacity(30);
    push_tlv(&mut additional, 5, txid);
    push_tlv(&mut out, 62, &additional);
    out.push_str("6304");
    let crc = crc16_ccitt_false(out.as_bytes());
    out.push_str(&format!("{crc:04X}"));
    debug_assert!(parse(&out).is_ok(), "generated payload must parse: {out}");
    Ok(out)
}

fn push_tlv(out: &mut String, id: u8, value: &str) {
    use std::fmt::Write;
    let _ = write!(out, "{id:02}{:02}{value}", value.chars().count());
}

/// Transliterates Portuguese text to printable ASCII (`São João` → `Sao Joao`), dropping
/// what has no ASCII counterpart, so LEN (characters) and the CRC (bytes) agree.
pub fn ascii_fold(s: &str) -> String {
    s.trim()
        .chars()
        .filter_map(|c| {
            Some(match c {
                'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' => 'a',
                'Á' | 'À' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'A',
                'é' | 'è' | 'ê' | 'ë' => 'e',
                'É' | 'È' | 'Ê' | 'Ë' => 'E',
                'í' | 'ì' | 'î' | 'ï' => 'i',
                'Í' | 'Ì' | 'Î' | 'Ï' => 'I',
                'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
                'Ó' | 'Ò' | 'Ô' | 'Õ' | 'Ö' => 'O',
                'ú' | 'ù' | 'û' | 'ü' => 'u',
                'Ú' | 'Ù' | 'Û' | 'Ü' => 'U',
                'ç' => 'c',
                'Ç' => 'C',
                'ñ' => 'n',
                'Ñ' => 'N',
                'ý' | 'ÿ' => 'y',
                'Ý' => 'Y',
                'º' => 'o',
                'ª' => 'a',
                c if c == ' ' || c.is_ascii_graphic() => c,
                c if c.is_whitespace() => ' ',
                _ => return None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BCB: &str = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";
    const DYN: &str = "00020101021226770014BR.GOV.BCB.PIX2555pix.example.com/qr/93598be0-1bd0-4997-8318-81776a1d8a995204000053039865802BR5907EMPRESA6009SAO PAULO62070503***6304EEAB";

    #[test]
    fn parses_bcb_static_example() {
        let c = parse(BCB).unwrap();
        assert_eq!(c.kind(), PixType::Static);
        assert_eq!(c.key, Some("123e4567-e12b-12d1-a456-426655440000"));
        assert_eq!(c.key_kind(), Some(PixKeyKind::Random));
        assert_eq!(c.merchant_name, Some("Fulano de Tal"));
        assert_eq!(c.merchant_city, Some("BRASILIA"));
        assert_eq!(c.txid, Some("***"));
        assert_eq!(c.amount(), None);
        assert_eq!(c.crc, 0x1D3D);
        assert!(crc_ok(BCB));
    }

    #[test]
    fn parses_dynamic_example() {
        let c = parse(DYN).unwrap();
        assert_eq!(c.kind(), PixType::Dynamic);
        assert!(c.is_single_use());
        assert_eq!(
            c.url,
            Some("pix.example.com/qr/93598be0-1bd0-4997-8318-81776a1d8a99")
        );
    }

    #[test]
    fn tolerates_copy_paste_whitespace_and_lowercase_crc() {
        assert!(parse(&format!("{BCB}\n")).is_ok());
        assert!(parse(&BCB.replace("1D3D", "1d3d")).is_ok());
    }

    #[test]
    fn rejects_with_a_reason() {
        let bad_crc = BCB.replace("1D3D", "1D3E");
        assert_eq!(
            parse(&bad_crc).unwrap_err().to_string(),
            "pix: wrong crc: computed 1D3D, payload has 1D3E"
        );
        assert!(!crc_ok(&bad_crc));
        let gist = "00020126360014BR.GOV.BCB.PIX0114+5511943214321520400005303986540566.665802BR5907EMPRESA6008BRASILIA62080503***6304170E";
        assert!(crc_ok(gist));
        assert!(parse(gist).is_err());
        assert!(parse(&BCB[..BCB.len() - 1]).is_err());
        assert!(parse("").is_err());
        assert!(parse("hello").is_err());
    }

    #[test]
    fn generates_and_reparses() {
        let out = static_payload(&StaticPix {
            key: "123e4567-e12b-12d1-a456-426655440000",
            merchant_name: "Fulano de Tal",
            merchant_city: "BRASILIA",
            ..StaticPix::default()
        })
        .unwrap();
        assert_eq!(out, BCB);
        let out = static_payload(&StaticPix {
            key: "(11) 98765-4321",
            merchant_name: "João da Silva Comércio de Alimentos",
            merchant_city: "São José dos Pinhais",
            amount: Some(Decimal::new(1050, 2)),
            txid: Some("PEDIDO42"),
            description: Some("Fatura 11/2026"),
        })
        .unwrap();
        let c = parse(&out).unwrap();
        assert_eq!(c.key, Some("+5511987654321"));
        assert_eq!(c.merchant_name, Some("Joao da Silva Comercio de"));
        assert_eq!(c.merchant_city, Some("Sao Jose dos Pi"));
        assert_eq!(c.amount_raw, Some("10.50"));
        assert_eq!(c.txid, Some("PEDIDO42"));
        assert_eq!(c.description, Some("Fatura 11/2026"));
        let d = dynamic_payload(&DynamicPix {
            url: "https://pix.example.com/qr/93598be0-1bd0-4997-8318-81776a1d8a99",
            merchant_name: "EMPRESA",
            merchant_city: "SAO PAULO",
            single_use: true,
            ..DynamicPix::default()
        })
        .unwrap();
        let c = parse(&d).unwrap();
        assert_eq!(c.kind(), PixType::Dynamic);
        assert!(c.is_single_use());
    }

    #[test]
    fn generation_refuses_bad_input() {
        let base = StaticPix {
            key: "52998224725",
            merchant_name: "X",
            merchant_city: "Y",
            ..StaticPix::default()
        };
        assert!(static_payload(&StaticPix {
            amount: Some(Decimal::ZERO),
            ..base.clone()
        })
        .is_err());
        assert!(static_payload(&StaticPix {
            txid: Some("with space"),
            ..base.clone()
        })
        .is_err());
        assert!(static_payload(&StaticPix {
            key: "not a key",
            ..base.clone()
        })
        .is_err());
        assert!(static_payload(&StaticPix {
            merchant_name: "   ",
            ..base.clone()
        })
        .is_err());
        assert!(static_payload(&StaticPix {
            description: Some(&"x".repeat(80)),
            ..base
        })
        .is_err());
    }

    #[test]
    fn key_kinds() {
        assert_eq!(key_kind("52998224725").unwrap(), PixKeyKind::Cpf);
        assert_eq!(key_kind("12ABC34501DE35").unwrap(), PixKeyKind::Cnpj);
        assert_eq!(key_kind("+5511987654321").unwrap(), PixKeyKind::Phone);
        assert_eq!(key_kind("fulano@example.com").unwrap(), PixKeyKind::Email);
        assert_eq!(
            key_kind("123e4567-e12b-12d1-a456-426655440000").unwrap(),
            PixKeyKind::Random
        );
        assert!(key_kind("52998224726").is_err());
        assert!(key_kind("fulano@").is_err());
        assert_eq!(
            normalize_key("529.982.247-25").unwrap(),
            (PixKeyKind::Cpf, "52998224725".into())
        );
        assert_eq!(
            normalize_key("(11) 98765-4321").unwrap(),
            (PixKeyKind::Phone, "+5511987654321".into())
        );
        assert_eq!(
            normalize_key("Fulano@Example.com").unwrap(),
            (PixKeyKind::Email, "fulano@example.com".into())
        );
        assert_eq!(
            normalize_key("123E4567-E12B-12D1-A456-426655440000")
                .unwrap()
                .1,
            "123e4567-e12b-12d1-a456-426655440000"
        );
    }

    #[test]
    fn non_ascii_lengths_count_characters() {
        // LEN counts characters; the CRC runs over UTF-8 bytes.
        let mut p = String::from(
            "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5904Jo\u{e3}o6008BRASILIA62070503***6304",
        );
        let crc = crc16_ccitt_false(p.as_bytes());
        p.push_str(&format!("{crc:04X}"));
        let c = parse(&p).unwrap();
        assert_eq!(c.merchant_name, Some("João"));
    }
}
