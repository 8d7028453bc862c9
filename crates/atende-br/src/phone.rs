//! Brazilian phone numbers: the other way flows identify a customer (the calling or
//! WhatsApp number), normalised to E.164 so the same person is the same key everywhere.
//!
//! Numbering plan (Anatel; br-spec.md §5):
//! - geographic: 2-digit area code (DDD, 67 in use) + subscriber number; mobiles have 9
//!   digits starting with 9 (the "9th digit", universal since 2016), landlines 8 digits
//!   starting with 2–5. Old 8-digit mobiles (`(11) 8765-4321`) are invalid today;
//! - non-geographic: `0800` (toll free), `0300`/`0303` (shared cost), `0500`/`0900`
//!   (premium rate) with 7 more digits, written in E.164 without the 0
//!   (`0800 123 4567` → `+558001234567`); capital numbers `3003`, `400x`, `4020` + 4
//!   digits need no DDD (`4004-1234` → `+5540041234`, shared cost).
//!
//! Accepted input: `+55 …`, national with or without mask (`(11) 98765-4321`,
//! `11987654321`), bare `55…` digit strings of 12–13 digits (WhatsApp style), trunk
//! prefix `0` optionally followed by a 2-digit carrier code (`0 21 11 98765-4321`), and
//! the `0XX11…` placeholder. `00 55 …` is rejected: `00` is followed by a carrier code,
//! so `0055…` is not `+55…`. Separators: space, `(`, `)`, `-`, `.`; any other character
//! (letters, "ramal") is rejected.
//!
//! WhatsApp ids: accounts registered before the 9th digit can keep a `wa_id` without it
//! (`553187654321`). [`from_whatsapp_id`] restores the 9 — only when the id has a
//! 10-digit national number whose subscriber part starts with 6–9 (2–5 is a landline and
//! is left alone) — and [`Phone::match_key`] (DDD + last 8 digits) matches a contact
//! whichever form arrives. When replying, use the exact `wa_id` of the latest inbound
//! message; [`Phone::whatsapp_ids`] lists both candidate ids for lookups.

use std::fmt;

use crate::error::{BrError, Result};

const WHAT: &str = "phone";

/// What kind of line a number is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PhoneType {
    /// 9-digit number starting with 9 (can receive WhatsApp/SMS).
    Mobile,
    /// 8-digit geographic number starting with 2–5.
    Landline,
    /// `0800`.
    TollFree,
    /// `0300`, `0303` and the DDD-less capital numbers (`4004-xxxx`).
    SharedCost,
    /// `0500`, `0900`.
    PremiumRate,
}

impl PhoneType {
    /// `mobile`, `landline`, `toll_free`, `shared_cost`, `premium_rate` (libphonenumber names).
    pub fn as_str(&self) -> &'static str {
        match self {
            PhoneType::Mobile => "mobile",
            PhoneType::Landline => "landline",
            PhoneType::TollFree => "toll_free",
            PhoneType::SharedCost => "shared_cost",
            PhoneType::PremiumRate => "premium_rate",
        }
    }
}

/// A valid Brazilian number in E.164 form.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Phone {
    /// `+55` + national significant number (8, 10 or 11 digits).
    e164: [u8; 14],
    len: u8,
    kind: PhoneType,
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({}, {})", self.e164(), self.kind.as_str())
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.e164())
    }
}

impl Phone {
    /// `+5511987654321`: the canonical identity to store and compare.
    pub fn e164(&self) -> &str {
        std::str::from_utf8(&self.e164[..usize::from(self.len)]).expect("ascii")
    }

    /// The national significant number (E.164 without `+55`).
    pub fn national(&self) -> &str {
        &self.e164()[3..]
    }

    /// Mobile, landline, …
    pub fn kind(&self) -> PhoneType {
        self.kind
    }

    /// The area code, for geographic numbers.
    pub fn ddd(&self) -> Option<u8> {
        match self.kind {
            PhoneType::Mobile | PhoneType::Landline => {
                let n = self.national().as_bytes();
                Some((n[0] - b'0') * 10 + (n[1] - b'0'))
            }
            _ => None,
        }
    }

    /// The state (UF) of the area code, for geographic numbers.
    pub fn state(&self) -> Option<&'static str> {
        self.ddd().and_then(ddd_state)
    }

    /// How Brazilians write it: `(11) 98765-4321`, `(11) 3333-4444`, `0800 123 4567`,
    /// `4004-1234`.
    pub fn formatted_national(&self) -> String {
        let n = self.national();
        match (self.kind, n.len()) {
            (PhoneType::Mobile, _) => format!("({}) {}-{}", &n[..2], &n[2..7], &n[7..]),
            (PhoneType::Landline, _) => format!("({}) {}-{}", &n[..2], &n[2..6], &n[6..]),
            (_, 8) => format!("{}-{}", &n[..4], &n[4..]),
            _ => format!("0{} {} {}", &n[..3], &n[3..6], &n[6..]),
        }
    }

    /// `+55 11 98765-4321`.
    pub fn formatted_international(&self) -> String {
        let n = self.national();
        match (self.kind, n.len()) {
            (PhoneType::Mobile, _) => format!("+55 {} {}-{}", &n[..2], &n[2..7], &n[7..]),
            (PhoneType::Landline, _) => format!("+55 {} {}-{}", &n[..2], &n[2..6], &n[6..]),
            (_, 8) => format!("+55 {}-{}", &n[..4], &n[4..]),
            _ => format!("+55 {} {} {}", &n[..3], &n[3..6], &n[6..]),
        }
    }

    /// `+5511*****4321`: enough to recognise a number in a log, not to dial it.
    pub fn masked(&self) -> String {
        let e = self.e164();
        let keep_tail = 4;
        let head = 5.min(e.len());
        let stars = e.len().saturating_sub(head + keep_tail);
        format!(
            "{}{}{}",
            &e[..head],
            "*".repeat(stars),
            &e[e.len() - keep_tail..]
        )
    }

    /// DDD + last 8 digits (`3196883193`): the same for a mobile whether or not the 9th
    /// digit is present, so contacts match across WhatsApp id forms. `None` for
    /// non-geographic numbers.
    pub fn match_key(&self) -> Option<String> {
        let n = self.national();
        self.ddd()
            .map(|_| format!("{}{}", &n[..2], &n[n.len() - 8..]))
    }

    /// The WhatsApp id of the canonical form (E.164 digits without `+`).
    pub fn whatsapp_id(&self) -> &str {
        &self.e164()[1..]
    }

    /// For a mobile, the legacy WhatsApp id without the 9th digit (`553187654321`);
    /// `None` for other numbers.
    pub fn legacy_whatsapp_id(&self) -> Option<String> {
        (self.kind == PhoneType::Mobile).then(|| {
            let n = self.national();
            format!("55{}{}", &n[..2], &n[3..])
        })
    }

    /// Every id WhatsApp may know this number by: the canonical one first, then the
    /// legacy one for mobiles. For lookups only; reply to the id that wrote to you.
    pub fn whatsapp_ids(&self) -> Vec<String> {
        let mut ids = vec![self.whatsapp_id().to_owned()];
        ids.extend(self.legacy_whatsapp_id());
        ids
    }
}

/// Normalises and validates a Brazilian number (see the module docs for accepted forms).
pub fn parse(input: &str) -> Result<Phone> {
    let start = input.len() - input.trim_start().len();
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(BrError::Empty { what: WHAT });
    }
    let bytes = trimmed.as_bytes();
    let mut digits = [0u8; 16];
    let mut n = 0usize;
    let mut plus = false;
    let mut placeholder = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b @ b'0'..=b'9' => {
                if n < digits.len() {
                    digits[n] = b;
                }
                n += 1;
            }
            b'+' if n == 0 && !plus && !placeholder => plus = true,
            b' ' | b'(' | b')' | b'-' | b'.' | b'\t' => {}
            b'X' | b'x'
                if n == 1
                    && digits[0] == b'0'
                    && !plus
                    && !placeholder
                    && matches!(bytes.get(i + 1), Some(b'X' | b'x')) =>
            {
                placeholder = true;
                n = 0;
                i += 1;
            }
            _ => return Err(BrError::character(WHAT, input, start + i)),
        }
        i += 1;
    }
    if n > digits.len() {
        return Err(length(n));
    }
    let d = &digits[..n];
    let nsn: &[u8] = if plus {
        match d.strip_prefix(b"55") {
            Some(rest) => rest,
            None if n == 0 => return Err(length(0)),
            None => return Err(BrError::NotBrazilian),
        }
    } else if placeholder {
        d
    } else if d.starts_with(b"00") {
        return Err(BrError::invalid(
            WHAT,
            "the international prefix 00 must be followed by a carrier code; write +55 instead",
        ));
    } else if let Some(rest) = d.strip_prefix(b"0") {
        match rest.len() {
            // Trunk prefix 0 + carrier code (CSP) + DDD + number.
            12 | 13 => &rest[2..],
            _ => rest,
        }
    } else if (n == 12 || n == 13) && d.starts_with(b"55") {
        &d[2..]
    } else {
        d
    };
    classify(nsn)
}

fn length(got: usize) -> BrError {
    BrError::Length {
        what: WHAT,
        expected: "10 or 11 digits with the area code (ddd)",
        got,
    }
}

/// Validates a national significant number and builds the [`Phone`].
fn classify(nsn: &[u8]) -> Result<Phone> {
    let kind = match nsn.len() {
        8 => {
            if is_capital_number(nsn) {
                PhoneType::SharedCost
            } else {
                return Err(BrError::invalid(
                    WHAT,
                    "8-digit numbers need the area code (ddd) in front",
                ));
            }
        }
        10 | 11 => match &nsn[..3] {
            b"800" if nsn.len() == 10 => PhoneType::TollFree,
            b"300" | b"303" if nsn.len() == 10 => PhoneType::SharedCost,
            b"500" | b"900" if nsn.len() == 10 => PhoneType::PremiumRate,
            _ => geographic(nsn)?,
        },
        got => return Err(length(got)),
    };
    let mut e164 = [0u8; 14];
    e164[..3].copy_from_slice(b"+55");
    e164[3..3 + nsn.len()].copy_from_slice(nsn);
    Ok(Phone {
        e164,
        len: (3 + nsn.len()) as u8,
        kind,
    })
}

fn geographic(nsn: &[u8]) -> Result<PhoneType> {
    let ddd = (nsn[0] - b'0') * 10 + (nsn[1] - b'0');
    if ddd_state(ddd).is_none() {
        return Err(BrError::Ddd { ddd });
    }
    let first = nsn[2];
    match (nsn.len(), first) {
        (10, b'2'..=b'5') => Ok(PhoneType::Landline),
        (11, b'9') => Ok(PhoneType::Mobile),
        (10, _) => Err(BrError::invalid(
            WHAT,
            "8-digit numbers are landlines and start with 2 to 5; mobiles have 9 digits starting with 9",
        )),
        _ => Err(BrError::invalid(
            WHAT,
            "9-digit numbers are mobiles and start with 9",
        )),
    }
}

/// `3003-xxxx`, `400x-xxxx`, `4020-xxxx`: national numbers without DDD.
fn is_capital_number(nsn: &[u8]) -> bool {
    nsn.starts_with(b"300") || nsn.starts_with(b"400") || nsn.starts_with(b"4020")
}

/// `true` when `input` is a valid Brazilian number.
pub fn is_valid(input: &str) -> bool {
    parse(input).is_ok()
}

/// The E.164 form of a valid Brazilian number.
pub fn normalize(input: &str) -> Result<String> {
    parse(input).map(|p| p.e164().to_owned())
}

/// The state (UF) of each DDD in use, indexed by DDD; `None` for unassigned codes.
const DDD_STATES: [Option<&str>; 100] = {
    let mut t: [Option<&str>; 100] = [None; 100];
    let table: [(u8, &str); 67] = [
        (11, "SP"),
        (12, "SP"),
        (13, "SP"),
        (14, "SP"),
        (15, "SP"),
        (16, "SP"),
        (17, "SP"),
        (18, "SP"),
        (19, "SP"),
        (21, "RJ"),
        (22, "RJ"),
        (24, "RJ"),
        (27, "ES"),
        (28, "ES"),
        (31, "MG"),
        (32, "MG"),
        (33, "MG"),
        (34, "MG"),
        (35, "MG"),
        (37, "MG"),
        (38, "MG"),
        (41, "PR"),
        (42, "PR"),
        (43, "PR"),
        (44, "PR"),
        (45, "PR"),
        (46, "PR"),
        (47, "SC"),
        (48, "SC"),
        (49, "SC"),
        (51, "RS"),
        (53, "RS"),
        (54, "RS"),
        (55, "RS"),
        (61, "DF"),
        (62, "GO"),
        (64, "GO"),
        (63, "TO"),
        (65, "MT"),
        (66, "MT"),
        (67, "MS"),
        (68, "AC"),
        (69, "RO"),
        (71, "BA"),
        (73, "BA"),
        (74, "BA"),
        (75, "BA"),
        (77, "BA"),
        (79, "SE"),
        (81, "PE"),
        (87, "PE"),
        (82, "AL"),
        (83, "PB"),
        (84, "RN"),
        (85, "CE"),
        (88, "CE"),
        (86, "PI"),
        (89, "PI"),
        (91, "PA"),
        (93, "PA"),
        (94, "PA"),
        (92, "AM"),
        (97, "AM"),
        (95, "RR"),
        (96, "AP"),
        (98, "MA"),
        (99, "MA"),
    ];
    let mut i = 0;
    while i < table.len() {
        t[table[i].0 as usize] = Some(table[i].1);
        i += 1;
    }
    t
};

/// The state (UF) of a DDD, or `None` when the code is not in the Anatel plan.
pub fn ddd_state(ddd: u8) -> Option<&'static str> {
    DDD_STATES.get(usize::from(ddd)).copied().flatten()
}

/// `true` for the 67 DDDs in use.
pub fn is_valid_ddd(ddd: u8) -> bool {
    ddd_state(ddd).is_some()
}

/// A number as WhatsApp reported it, mapped to its canonical form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WhatsAppNumber {
    /// The canonical number (9th digit restored when it was missing).
    pub phone: Phone,
    /// The id lacked the 9th digit and it was inserted.
    pub inserted_ninth_digit: bool,
}

impl WhatsAppNumber {
    /// `true` when the id as received is itself a valid E.164 number (it was not a
    /// legacy 8-digit mobile).
    pub fn raw_valid(&self) -> bool {
        !self.inserted_ninth_digit
    }
}

/// Maps a WhatsApp id (`553196883193`, `+5531996883193`, or a JID such as
/// `553196883193@s.whatsapp.net`) to the canonical Brazilian number.
pub fn from_whatsapp_id(wa_id: &str) -> Result<WhatsAppNumber> {
    let id = wa_id.trim();
    let id = id.split_once('@').map_or(id, |(user, _)| user);
    let id = id.split_once(':').map_or(id, |(user, _)| user); // multi-device suffix
    let digits = id.strip_prefix('+').unwrap_or(id);
    if digits.is_empty() {
        return Err(BrError::Empty { what: WHAT });
    }
    if let Some(i) = digits.bytes().position(|b| !b.is_ascii_digit()) {
        let offset = wa_id.len() - wa_id.trim_start().len() + (id.len() - digits.len()) + i;
        return Err(BrError::character(WHAT, wa_id, offset));
    }
    let Some(nsn) = digits.as_bytes().strip_prefix(b"55") else {
        return Err(BrError::NotBrazilian);
    };
    if nsn.len() == 10 && matches!(nsn[2], b'6'..=b'9') {
        let ddd = (nsn[0] - b'0') * 10 + (nsn[1] - b'0');
        if !is_valid_ddd(ddd) {
            return Err(BrError::Ddd { ddd });
        }
        let mut restored = [0u8; 11];
        restored[..2].copy_from_slice(&nsn[..2]);
        restored[2] = b'9';
        restored[3..].copy_from_slice(&nsn[2..]);
        return Ok(WhatsAppNumber {
            phone: classify(&restored)?,
            inserted_ninth_digit: true,
        });
    }
    Ok(WhatsAppNumber {
        phone: classify(nsn)?,
        inserted_ninth_digit: false,
    })
}

/// DDD + last 8 digits of any accepted phone or WhatsApp id form, for matching contacts.
pub fn match_key(input: &str) -> Result<String> {
    let phone =
        parse(input).or_else(|e| from_whatsapp_id(input).map(|w| w.phone).map_err(|_| e))?;
    phone
        .match_key()
        .ok_or_else(|| BrError::invalid(WHAT, "non-geographic numbers have no match key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(s: &str) -> String {
        parse(s).unwrap().e164().to_owned()
    }

    #[test]
    fn accepted_forms() {
        assert_eq!(e164("(11) 98765-4321"), "+5511987654321");
        assert_eq!(e164("+55 11 98765-4321"), "+5511987654321");
        assert_eq!(e164("5511987654321"), "+5511987654321");
        assert_eq!(e164("014 97000-0001"), "+5514970000001");
        assert_eq!(e164("0XX145555-6789"), "+551455556789");
        assert_eq!(e164("0 21 11 98765-4321"), "+5511987654321");
        assert_eq!(e164("5555556789"), "+555555556789");
        assert_eq!(e164("4004-1234"), "+5540041234");
        assert_eq!(e164("0800 123 4567"), "+558001234567");
        assert_eq!(parse("0800 123 4567").unwrap().kind(), PhoneType::TollFree);
        assert_eq!(parse("4004-1234").unwrap().kind(), PhoneType::SharedCost);
        assert_eq!(parse("(11) 4004-1234").unwrap().kind(), PhoneType::Landline);
    }

    #[test]
    fn rejected_forms() {
        assert_eq!(
            parse("(23) 98765-4321").unwrap_err(),
            BrError::Ddd { ddd: 23 }
        );
        assert_eq!(parse("+1 415 555 2671").unwrap_err(), BrError::NotBrazilian);
        for bad in [
            "(11) 8765-4321",
            "(11) 9876-5432",
            "(11) 1234-5678",
            "(11) 88765-4321",
            "(11) 98765-432",
            "(11) 98765-43210",
            "0055 11 98765-4321",
            "190",
            "987654321",
            "33334444",
            "+55 11 98765-4321 ramal 12",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse("+55 11 98765-4321 ramal 12").unwrap_err().to_string(),
            "phone: unexpected character 'r' at position 19"
        );
    }

    #[test]
    fn formats() {
        let p = parse("11987654321").unwrap();
        assert_eq!(p.formatted_national(), "(11) 98765-4321");
        assert_eq!(p.formatted_international(), "+55 11 98765-4321");
        assert_eq!(p.masked(), "+5511*****4321");
        assert_eq!(p.state(), Some("SP"));
        let l = parse("1133334444").unwrap();
        assert_eq!(l.formatted_national(), "(11) 3333-4444");
        assert_eq!(
            parse("08001234567").unwrap().formatted_national(),
            "0800 123 4567"
        );
        assert_eq!(parse("40041234").unwrap().formatted_national(), "4004-1234");
    }

    #[test]
    fn whatsapp_both_ways() {
        let w = from_whatsapp_id("552164180266").unwrap();
        assert!(w.inserted_ninth_digit && !w.raw_valid());
        assert_eq!(w.phone.e164(), "+5521964180266");
        assert_eq!(w.phone.match_key().unwrap(), "2164180266");
        assert_eq!(
            w.phone.whatsapp_ids(),
            vec!["5521964180266".to_owned(), "552164180266".to_owned()]
        );
        let l = from_whatsapp_id("551133334444@s.whatsapp.net").unwrap();
        assert!(!l.inserted_ninth_digit);
        assert_eq!(l.phone.kind(), PhoneType::Landline);
        assert_eq!(l.phone.whatsapp_ids(), vec!["551133334444".to_owned()]);
        assert_eq!(match_key("553196883193").unwrap(), "3196883193");
        assert_eq!(match_key("(31) 99688-3193").unwrap(), "3196883193");
        assert_eq!(
            from_whatsapp_id("14155552671").unwrap_err(),
            BrError::NotBrazilian
        );
    }
}
