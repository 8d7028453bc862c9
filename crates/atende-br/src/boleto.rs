//! Boletos: the bank collection slip (*cobrança*, 44-digit barcode ↔ 47-digit digitable
//! line) and the utility/tax slip (*arrecadação*/*convênio*, 44-digit barcode ↔ 48-digit
//! line starting with 8). Getting a check digit or the due-date factor wrong means a
//! customer pays the wrong thing, so every check digit is verified and named in errors.
//!
//! Rules (FEBRABAN; br-spec.md §3):
//! - input may contain spaces, dots and hyphens; any other character is rejected;
//! - the length decides the form: 44 digits is a barcode (first digit 8 → arrecadação),
//!   47 a bank line, 48 an arrecadação line (must start with 8);
//! - bank: field check digits mod 10 (weights 2,1,… from the right, products' digits
//!   added); general check digit mod 11 (weights 2..9 from the right, 11 − r, and 0, 10
//!   or 11 become 1); a line is valid only if the three field digits **and** the general
//!   digit of the rebuilt barcode check; the currency code must be 9 (real) or 0 (other);
//! - arrecadação: the value identifier (position 3) picks the module: 6/7 mod 10, 8/9
//!   mod 11 where remainders 0 and 1 give 0 and 10 gives 1; each 11-digit block of the
//!   line has its own check digit, and the barcode's general digit (position 4) is
//!   checked as well. Amount is in cents for identifiers 6 and 8, absent for 7 and 9;
//!   there is no due date;
//! - amount is the integer of barcode positions 10–19 in cents (never "strip leading
//!   zeros" on text, which drops real digits);
//! - due date: factor = days since 1997-10-07, restarting at 1000 on 2025-02-22 (cycles
//!   of 9000 days). A factor resolves to the one cycle whose date lies within 3000 days
//!   before and 5500 days after the caller's reference date (FEBRABAN payment window);
//!   none fits → no due date. Factor 0000 means no due date, and 0001–0999 map to no
//!   date in any cycle (the boleto itself is still valid).
//!
//! Parsing is allocation-free: a [`Boleto`] holds both representations in fixed arrays.

use std::fmt;

use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::date::{epoch_days, from_epoch_days};
use crate::error::{BrError, Result};
use crate::seed::SplitMix;

const WHAT: &str = "boleto";

/// Which family of boleto this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BoletoKind {
    /// Bank collection (*cobrança*): 44-digit barcode, 47-digit line.
    Bank,
    /// Utilities, taxes and fines (*arrecadação*/*convênio*): starts with 8, 48-digit line.
    Convenio,
}

impl BoletoKind {
    /// `"bank"` or `"convenio"`, the names used by the vectors and in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            BoletoKind::Bank => "bank",
            BoletoKind::Convenio => "convenio",
        }
    }
}

/// A valid boleto with both of its representations.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Boleto {
    kind: BoletoKind,
    barcode: [u8; 44],
    /// 47 digits (bank) or 48 (arrecadação); the last byte is unused for bank.
    line: [u8; 48],
}

impl fmt::Debug for Boleto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Boleto")
            .field("kind", &self.kind)
            .field("barcode", &self.barcode())
            .field("digitable", &self.digitable())
            .finish()
    }
}

/// Parses a barcode or digitable line of either family.
///
/// Errors name what is wrong: the length, an unexpected character (with its position),
/// which check digit failed (`field 2`, `block 3`, `general`), the currency code or the
/// arrecadação value identifier.
pub fn parse(input: &str) -> Result<Boleto> {
    if input.trim().is_empty() {
        return Err(BrError::Empty { what: WHAT });
    }
    let mut buf = [0u8; 48];
    let mut n = 0usize;
    for (i, &b) in input.as_bytes().iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                if n < 48 {
                    buf[n] = b;
                }
                n += 1;
            }
            b' ' | b'.' | b'-' | b'\t' | b'\r' | b'\n' => {}
            _ => return Err(BrError::character(WHAT, input, i)),
        }
    }
    match n {
        44 => {
            let mut bar = [0u8; 44];
            bar.copy_from_slice(&buf[..44]);
            from_barcode(bar)
        }
        47 => from_bank_line(&buf),
        48 => from_convenio_line(&buf),
        _ => Err(BrError::Length {
            what: WHAT,
            expected: "44 digits (barcode), 47 (bank line) or 48 (arrecadação line)",
            got: n,
        }),
    }
}

/// `true` when `input` is a valid boleto barcode or line; never allocates.
pub fn is_valid(input: &str) -> bool {
    parse(input).is_ok()
}

fn from_barcode(bar: [u8; 44]) -> Result<Boleto> {
    if bar[0] == b'8' {
        let module = module_for(bar[2])?;
        check(convenio_dv(&bar, module), bar[3], "general")?;
        let line = convenio_line(&bar, module);
        Ok(Boleto {
            kind: BoletoKind::Convenio,
            barcode: bar,
            line,
        })
    } else {
        check(bank_dv(&bar), bar[4], "general")?;
        check_currency(bar[3])?;
        Ok(Boleto {
            kind: BoletoKind::Bank,
            barcode: bar,
            line: bank_line(&bar),
        })
    }
}

fn from_bank_line(buf: &[u8; 48]) -> Result<Boleto> {
    let line = &buf[..47];
    check(mod10(&line[0..9]), line[9], "field 1")?;
    check(mod10(&line[10..20]), line[20], "field 2")?;
    check(mod10(&line[21..31]), line[31], "field 3")?;
    let mut bar = [0u8; 44];
    bar[0..4].copy_from_slice(&line[0..4]);
    bar[4] = line[32];
    bar[5..19].copy_from_slice(&line[33..47]);
    bar[19..24].copy_from_slice(&line[4..9]);
    bar[24..34].copy_from_slice(&line[10..20]);
    bar[34..44].copy_from_slice(&line[21..31]);
    check(bank_dv(&bar), bar[4], "general")?;
    check_currency(bar[3])?;
    let mut out = [0u8; 48];
    out[..47].copy_from_slice(line);
    Ok(Boleto {
        kind: BoletoKind::Bank,
        barcode: bar,
        line: out,
    })
}

fn from_convenio_line(line: &[u8; 48]) -> Result<Boleto> {
    if line[0] != b'8' {
        return Err(BrError::NotArrecadacao);
    }
    let module = module_for(line[2])?;
    const BLOCKS: [&str; 4] = ["block 1", "block 2", "block 3", "block 4"];
    let mut bar = [0u8; 44];
    for (k, name) in BLOCKS.iter().enumerate() {
        let block = &line[k * 12..k * 12 + 11];
        check(module.block_dv(block), line[k * 12 + 11], name)?;
        bar[k * 11..k * 11 + 11].copy_from_slice(block);
    }
    check(convenio_dv(&bar, module), bar[3], "general")?;
    Ok(Boleto {
        kind: BoletoKind::Convenio,
        barcode: bar,
        line: *line,
    })
}

fn check(expected: u8, found: u8, digit: &'static str) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(BrError::CheckDigit {
            what: WHAT,
            digit,
            expected: expected as char,
            found: found as char,
        })
    }
}

fn check_currency(c: u8) -> Result<()> {
    if c == b'9' || c == b'0' {
        Ok(())
    } else {
        Err(BrError::Currency { found: c as char })
    }
}

/// Check-digit module of an arrecadação code, picked by its value identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Module {
    Ten,
    Eleven,
}

impl Module {
    /// Check digit of one 11-digit arrecadação block.
    fn block_dv(self, block: &[u8]) -> u8 {
        match self {
            Module::Ten => mod10(block),
            Module::Eleven => arrecadacao_mod11(weighted_sum(block, &BLOCK_WEIGHTS)),
        }
    }
}

/// Arrecadação mod 11: remainders 0 and 1 give 0, 10 gives 1, otherwise 11 − r.
fn arrecadacao_mod11(sum: u32) -> u8 {
    let r = sum % 11;
    b'0' + if r < 2 { 0 } else { (11 - r) as u8 }
}

/// Mod-11 weights 2..9 cycling from the right over `N` positions, with position `skip`
/// (the check digit itself) weighted 0 so a whole barcode can be summed in one pass.
const fn mod11_weights<const N: usize>(skip: usize) -> [u32; N] {
    let mut w = [0u32; N];
    let mut next = 2;
    let mut i = N;
    while i > 0 {
        i -= 1;
        if i != skip {
            w[i] = next;
            next = if next == 9 { 2 } else { next + 1 };
        }
    }
    w
}

const BANK_WEIGHTS: [u32; 44] = mod11_weights::<44>(4);
const CONVENIO_WEIGHTS: [u32; 44] = mod11_weights::<44>(3);
const BLOCK_WEIGHTS: [u32; 11] = mod11_weights::<11>(usize::MAX);

/// Σ (digit × weight); the caller guarantees ASCII digits and equal lengths.
fn weighted_sum(digits: &[u8], weights: &[u32]) -> u32 {
    digits
        .iter()
        .zip(weights)
        .map(|(&b, &w)| u32::from(b - b'0') * w)
        .sum()
}

fn module_for(value_id: u8) -> Result<Module> {
    match value_id {
        b'6' | b'7' => Ok(Module::Ten),
        b'8' | b'9' => Ok(Module::Eleven),
        other => Err(BrError::ValueId {
            found: other as char,
        }),
    }
}

/// Mod 10 with weights 2,1,2,1… from the right, adding the digits of products > 9.
fn mod10(digits: &[u8]) -> u8 {
    /// 2·d with its digits added (2·7 = 14 → 5).
    const DOUBLED: [u32; 10] = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];
    let mut sum = 0u32;
    for (i, &b) in digits.iter().rev().enumerate() {
        let d = usize::from(b - b'0');
        sum += if i % 2 == 0 { DOUBLED[d] } else { d as u32 };
    }
    b'0' + ((10 - sum % 10) % 10) as u8
}

/// Bank general check digit: mod 11 over the 43 digits other than position 5, where
/// 0, 10 and 11 become 1.
fn bank_dv(bar: &[u8; 44]) -> u8 {
    let dv = 11 - weighted_sum(bar, &BANK_WEIGHTS) % 11;
    if dv >= 10 {
        b'1'
    } else {
        b'0' + dv as u8
    }
}

/// Arrecadação general check digit over the 43 digits other than position 4.
fn convenio_dv(bar: &[u8; 44], module: Module) -> u8 {
    match module {
        Module::Ten => {
            let mut digits = [0u8; 43];
            digits[..3].copy_from_slice(&bar[..3]);
            digits[3..].copy_from_slice(&bar[4..]);
            mod10(&digits)
        }
        Module::Eleven => arrecadacao_mod11(weighted_sum(bar, &CONVENIO_WEIGHTS)),
    }
}

fn bank_line(bar: &[u8; 44]) -> [u8; 48] {
    let mut line = [0u8; 48];
    line[0..4].copy_from_slice(&bar[0..4]);
    line[4..9].copy_from_slice(&bar[19..24]);
    line[9] = mod10(&line[0..9]);
    line[10..20].copy_from_slice(&bar[24..34]);
    line[20] = mod10(&line[10..20]);
    line[21..31].copy_from_slice(&bar[34..44]);
    line[31] = mod10(&line[21..31]);
    line[32] = bar[4];
    line[33..47].copy_from_slice(&bar[5..19]);
    line
}

fn convenio_line(bar: &[u8; 44], module: Module) -> [u8; 48] {
    let mut line = [0u8; 48];
    for k in 0..4 {
        let block = &bar[k * 11..k * 11 + 11];
        line[k * 12..k * 12 + 11].copy_from_slice(block);
        line[k * 12 + 11] = module.block_dv(block);
    }
    line
}

fn number(digits: &[u8]) -> u64 {
    digits
        .iter()
        .fold(0u64, |acc, &b| acc * 10 + u64::from(b - b'0'))
}

impl Boleto {
    /// Bank or arrecadação.
    pub fn kind(&self) -> BoletoKind {
        self.kind
    }

    /// The 44-digit barcode (what the bars encode, and what payment APIs take).
    pub fn barcode(&self) -> &str {
        std::str::from_utf8(&self.barcode).expect("ascii digits")
    }

    /// The digitable line without separators: 47 digits (bank) or 48 (arrecadação).
    pub fn digitable(&self) -> &str {
        let n = match self.kind {
            BoletoKind::Bank => 47,
            BoletoKind::Convenio => 48,
        };
        std::str::from_utf8(&self.line[..n]).expect("ascii digits")
    }

    /// The digitable line as printed on the slip: bank
    /// `AAAAA.AAAAA BBBBB.BBBBBB CCCCC.CCCCCC D EEEEEEEEEEEEEE`, arrecadação
    /// `XXXXXXXXXXX-X XXXXXXXXXXX-X XXXXXXXXXXX-X XXXXXXXXXXX-X`.
    pub fn digitable_formatted(&self) -> String {
        let l = self.digitable();
        match self.kind {
            BoletoKind::Bank => format!(
                "{}.{} {}.{} {}.{} {} {}",
                &l[0..5],
                &l[5..10],
                &l[10..15],
                &l[15..21],
                &l[21..26],
                &l[26..32],
                &l[32..33],
                &l[33..47]
            ),
            BoletoKind::Convenio => format!(
                "{}-{} {}-{} {}-{} {}-{}",
                &l[0..11],
                &l[11..12],
                &l[12..23],
                &l[23..24],
                &l[24..35],
                &l[35..36],
                &l[36..47],
                &l[47..48]
            ),
        }
    }

    /// Amount in cents. Bank boletos always have one (0 means the payer fills it in);
    /// arrecadação has one only for value identifiers 6 and 8.
    pub fn amount_cents(&self) -> Option<u64> {
        match self.kind {
            BoletoKind::Bank => Some(number(&self.barcode[9..19])),
            BoletoKind::Convenio => match self.barcode[2] {
                b'6' | b'8' => Some(number(&self.barcode[4..15])),
                _ => None,
            },
        }
    }

    /// Amount in reais, exact (two decimal places).
    pub fn amount(&self) -> Option<Decimal> {
        self.amount_cents()
            .map(|c| Decimal::new(i64::try_from(c).expect("at most 11 digits"), 2))
    }

    /// Arrecadação with value identifier 7 or 9: the 11-digit reference value or
    /// quantity (not money).
    pub fn reference_value(&self) -> Option<u64> {
        match (self.kind, self.barcode[2]) {
            (BoletoKind::Convenio, b'7' | b'9') => Some(number(&self.barcode[4..15])),
            _ => None,
        }
    }

    /// Bank: the due-date factor (positions 6–9); `None` for arrecadação.
    pub fn factor(&self) -> Option<u16> {
        match self.kind {
            BoletoKind::Bank => Some(number(&self.barcode[5..9]) as u16),
            BoletoKind::Convenio => None,
        }
    }

    /// Bank: the due date, resolved against `reference` (normally today) with the
    /// FEBRABAN window; `None` for factor 0000, factors 0001–0999, factors whose every
    /// cycle falls outside the window, and arrecadação codes.
    pub fn due_date(&self, reference: Date) -> Option<Date> {
        self.factor().and_then(|f| date_for_factor(f, reference))
    }

    /// Bank: the 3-digit COMPE code of the issuing bank (`001`, `237`, `341`…).
    pub fn bank_code(&self) -> Option<&str> {
        match self.kind {
            BoletoKind::Bank => Some(&self.barcode()[0..3]),
            BoletoKind::Convenio => None,
        }
    }

    /// Bank: the well-known name of the issuing bank, when it is one of the large ones.
    pub fn bank_name(&self) -> Option<&'static str> {
        self.bank_code().and_then(bank_name)
    }

    /// Bank: currency code, 9 for real, 0 for another currency.
    pub fn currency_code(&self) -> Option<u8> {
        match self.kind {
            BoletoKind::Bank => Some(self.barcode[3] - b'0'),
            BoletoKind::Convenio => None,
        }
    }

    /// Bank: the 25-digit free field (positions 20–44), laid out by each bank.
    /// Arrecadação: positions 20–44 too (24–44 for segment 6, see [`Self::company_id`]).
    pub fn free_field(&self) -> &str {
        match (self.kind, self.barcode[1]) {
            (BoletoKind::Convenio, b'6') => &self.barcode()[23..44],
            _ => &self.barcode()[19..44],
        }
    }

    /// Arrecadação: the segment digit (position 2).
    pub fn segment(&self) -> Option<u8> {
        match self.kind {
            BoletoKind::Convenio => Some(self.barcode[1] - b'0'),
            BoletoKind::Bank => None,
        }
    }

    /// Arrecadação: the segment in words (FEBRABAN table).
    pub fn segment_name(&self) -> Option<&'static str> {
        self.segment().and_then(segment_name)
    }

    /// Arrecadação: the value identifier (position 3: 6, 7, 8 or 9).
    pub fn value_id(&self) -> Option<u8> {
        match self.kind {
            BoletoKind::Convenio => Some(self.barcode[2] - b'0'),
            BoletoKind::Bank => None,
        }
    }

    /// Arrecadação: the company/agency id — positions 16–19, or for segment 6 the first
    /// 8 digits of the payee's CNPJ (positions 16–23).
    pub fn company_id(&self) -> Option<&str> {
        match (self.kind, self.barcode[1]) {
            (BoletoKind::Convenio, b'6') => Some(&self.barcode()[15..23]),
            (BoletoKind::Convenio, _) => Some(&self.barcode()[15..19]),
            (BoletoKind::Bank, _) => None,
        }
    }
}

/// FEBRABAN arrecadação segment names.
pub fn segment_name(segment: u8) -> Option<&'static str> {
    Some(match segment {
        1 => "prefeituras",
        2 => "saneamento",
        3 => "energia elétrica e gás",
        4 => "telecomunicações",
        5 => "órgãos governamentais",
        6 => "carnês e assemelhados",
        7 => "multas de trânsito",
        9 => "uso exclusivo do banco",
        _ => return None,
    })
}

/// Names of the banks most boletos come from, for human explanations. Not exhaustive:
/// an unknown code is still a valid boleto.
pub fn bank_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "001" => "Banco do Brasil",
        "033" => "Santander",
        "041" => "Banrisul",
        "070" => "BRB",
        "077" => "Banco Inter",
        "104" => "Caixa Econômica Federal",
        "136" => "Unicred",
        "197" => "Stone",
        "208" => "BTG Pactual",
        "212" => "Banco Original",
        "237" => "Bradesco",
        "260" => "Nubank",
        "290" => "PagBank",
        "323" => "Mercado Pago",
        "336" => "C6 Bank",
        "341" => "Itaú",
        "380" => "PicPay",
        "389" => "Mercantil do Brasil",
        "422" => "Safra",
        "637" => "Sofisa",
        "655" => "Votorantim",
        "745" => "Citibank",
        "748" => "Sicredi",
        "756" => "Sicoob",
        _ => return None,
    })
}

/// Day number (since 1970-01-01) of the factor base, 1997-10-07.
const FACTOR_BASE: i32 = 10_141;
/// The factor restarts at 1000 every 9000 days (first restart 2025-02-22).
const CYCLE: i32 = 9000;
/// FEBRABAN payment window relative to the reference date.
const WINDOW_PAST: i32 = 3000;
const WINDOW_FUTURE: i32 = 5500;

/// The date a factor stands for, seen from `reference` (see the module docs for the
/// window rule). `None` for factors below 1000 or with no cycle inside the window.
pub fn date_for_factor(factor: u16, reference: Date) -> Option<Date> {
    if !(1000..=9999).contains(&factor) {
        return None;
    }
    let r = epoch_days(reference);
    let lo = r - WINDOW_PAST;
    let hi = r + WINDOW_FUTURE;
    let first = FACTOR_BASE + i32::from(factor);
    // Smallest cycle k ≥ 0 whose date is not before the window.
    let k = if first >= lo {
        0
    } else {
        (lo - first + CYCLE - 1) / CYCLE
    };
    let day = first + k * CYCLE;
    if day <= hi {
        from_epoch_days(day)
    } else {
        None
    }
}

/// The factor printed on a boleto due on `date`; `None` before 2000-07-03 (factor 1000
/// of the first cycle), when factors were not yet in the 1000–9999 range.
pub fn factor_for_date(date: Date) -> Option<u16> {
    let mut n = epoch_days(date) - FACTOR_BASE;
    if n < 1000 {
        return None;
    }
    while n > 9999 {
        n -= CYCLE;
    }
    Some(n as u16)
}

/// Builds a bank boleto from its parts, computing every check digit: for test data and
/// for systems that issue boletos. `bank` is the 3-digit COMPE code, `free_field` the 25
/// bank-specific digits; currency is real (9).
pub fn bank(bank: &str, amount_cents: u64, factor: u16, free_field: &str) -> Result<Boleto> {
    let digits = |s: &str, n: usize, what: &'static str| -> Result<()> {
        if s.len() == n && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(())
        } else {
            Err(BrError::invalid(
                WHAT,
                format!("{what} must be {n} digits, got {s:?}"),
            ))
        }
    };
    digits(bank, 3, "bank code")?;
    if bank.starts_with('8') {
        return Err(BrError::invalid(
            WHAT,
            "bank codes never start with 8 (a leading 8 marks arrecadação codes)",
        ));
    }
    digits(free_field, 25, "free field")?;
    if amount_cents > 9_999_999_999 {
        return Err(BrError::invalid(
            WHAT,
            "amount does not fit in 10 digits (max 99999999.99)",
        ));
    }
    if factor > 9999 {
        return Err(BrError::invalid(WHAT, "factor must be at most 9999"));
    }
    let text = format!("{bank}90{factor:04}{amount_cents:010}{free_field}");
    let mut bar = [0u8; 44];
    bar.copy_from_slice(text.as_bytes());
    bar[4] = bank_dv(&bar);
    from_barcode(bar)
}

/// Builds an arrecadação boleto from its parts: `segment` 1–9, `value_id` 6–9, `value`
/// (cents for 6 and 8) and the 29 digits of positions 16–44 (company id + free field).
pub fn convenio(segment: u8, value_id: u8, value: u64, rest: &str) -> Result<Boleto> {
    if !(1..=9).contains(&segment) {
        return Err(BrError::invalid(WHAT, "segment must be 1 to 9"));
    }
    let module = module_for(b'0'.wrapping_add(value_id))?;
    if value > 99_999_999_999 {
        return Err(BrError::invalid(WHAT, "value does not fit in 11 digits"));
    }
    if rest.len() != 29 || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BrError::invalid(
            WHAT,
            format!("positions 16-44 must be 29 digits, got {rest:?}"),
        ));
    }
    let text = format!("8{segment}{value_id}0{value:011}{rest}");
    let mut bar = [0u8; 44];
    bar.copy_from_slice(text.as_bytes());
    bar[3] = convenio_dv(&bar, module);
    from_barcode(bar)
}

/// A valid bank boleto derived from `seed`, for test data.
pub fn generate_bank(seed: u64) -> Boleto {
    let mut rng = SplitMix::new(seed);
    let bank_code = match rng.below(900) {
        n @ 800.. => format!("{:03}", n + 100),
        n => format!("{n:03}"),
    };
    let amount = rng.below(10_000_000);
    let factor = 1000 + rng.below(9000) as u16;
    let free: String = (0..25).map(|_| rng.digit() as char).collect();
    bank(&bank_code, amount, factor, &free).expect("generated bank boleto is valid")
}

/// A valid arrecadação boleto derived from `seed`, for test data.
pub fn generate_convenio(seed: u64) -> Boleto {
    let mut rng = SplitMix::new(seed ^ 0xC0DE);
    let segment = [1u8, 2, 3, 4, 5, 6, 7, 9][rng.below(8) as usize];
    let value_id = 6 + rng.below(4) as u8;
    let value = rng.below(100_000_000);
    let rest: String = (0..29).map(|_| rng.digit() as char).collect();
    convenio(segment, value_id, value, &rest).expect("generated convenio boleto is valid")
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const REF: Date = date(2026, 11, 24);

    #[test]
    fn bank_worked_example() {
        let b = parse("10499898100000214032006561000100040099726390").unwrap();
        assert_eq!(b.kind(), BoletoKind::Bank);
        assert_eq!(
            b.digitable(),
            "10492006506100010004200997263900989810000021403"
        );
        assert_eq!(b.amount().unwrap().to_string(), "214.03");
        assert_eq!(b.factor(), Some(8981));
        assert_eq!(b.due_date(REF), Some(date(2022, 5, 10)));
        assert_eq!(b.bank_code(), Some("104"));
        assert_eq!(b.bank_name(), Some("Caixa Econômica Federal"));
        let l = parse("10492.00650 61000.100042 00997.263900 9 89810000021403").unwrap();
        assert_eq!(l, b);
        assert_eq!(
            b.digitable_formatted(),
            "10492.00650 61000.100042 00997.263900 9 89810000021403"
        );
    }

    #[test]
    fn convenio_worked_example() {
        let b = parse("83860000005096000190000008017823000034306271").unwrap();
        assert_eq!(b.kind(), BoletoKind::Convenio);
        assert_eq!(
            b.digitable(),
            "838600000050096000190009000801782309000343062712"
        );
        assert_eq!(b.amount().unwrap().to_string(), "509.60");
        assert_eq!(b.segment(), Some(3));
        assert_eq!(b.segment_name(), Some("energia elétrica e gás"));
        assert_eq!(b.due_date(REF), None);
        assert_eq!(parse(b.digitable()).unwrap(), b);
    }

    #[test]
    fn errors_name_the_check_digit() {
        assert_eq!(
            parse("23793.38128 60007.827136 95000.063305 4 75520000370000")
                .unwrap_err()
                .to_string(),
            "boleto: wrong general check digit: expected 9, found 4"
        );
        assert_eq!(
            parse("10492006516100010004200997263900989810000021403")
                .unwrap_err()
                .to_string(),
            "boleto: wrong field 1 check digit: expected 0, found 1"
        );
        assert_eq!(
            parse("838600000050096000190008000801782309000343062712")
                .unwrap_err()
                .to_string(),
            "boleto: wrong block 2 check digit: expected 9, found 8"
        );
        assert_eq!(
            parse("123").unwrap_err().to_string(),
            "boleto: expected 44 digits (barcode), 47 (bank line) or 48 (arrecadação line), got 3"
        );
        assert_eq!(
            parse("1049x").unwrap_err().to_string(),
            "boleto: unexpected character 'x' at position 5"
        );
        assert_eq!(
            parse("538600000050096000190009000801782309000343062712").unwrap_err(),
            BrError::NotArrecadacao
        );
    }

    #[test]
    fn bank_dv_is_never_zero() {
        // remainder 10 → DV 1; the same barcode with DV 0 is the trap.
        assert!(is_valid("34191100000000031519964301729681763080021199"));
        assert!(!is_valid("34190100000000031519964301729681763080021199"));
    }

    #[test]
    fn factor_window() {
        assert_eq!(date_for_factor(1000, REF), Some(date(2025, 2, 22)));
        assert_eq!(date_for_factor(9999, REF), Some(date(2025, 2, 21)));
        assert_eq!(date_for_factor(1667, REF), Some(date(2026, 12, 21)));
        assert_eq!(date_for_factor(4789, REF), Some(date(2035, 7, 9)));
        assert_eq!(date_for_factor(6720, REF), Some(date(2040, 10, 21)));
        assert_eq!(date_for_factor(7586, REF), None);
        assert_eq!(date_for_factor(999, REF), None);
        assert_eq!(date_for_factor(0, REF), None);
        // Seen from 2010 the same factor is the first cycle.
        assert_eq!(
            date_for_factor(4789, date(2010, 11, 1)),
            Some(date(2010, 11, 17))
        );
        assert_eq!(factor_for_date(date(2000, 7, 3)), Some(1000));
        assert_eq!(factor_for_date(date(2025, 2, 21)), Some(9999));
        assert_eq!(factor_for_date(date(2025, 2, 22)), Some(1000));
        assert_eq!(factor_for_date(date(2026, 11, 24)), Some(1640));
        assert_eq!(factor_for_date(date(2049, 10, 13)), Some(9999));
        assert_eq!(factor_for_date(date(2049, 10, 14)), Some(1000));
        assert_eq!(factor_for_date(date(2000, 7, 2)), None);
    }

    #[test]
    fn builders_round_trip() {
        for seed in 0..300 {
            let b = generate_bank(seed);
            assert_eq!(parse(b.barcode()).unwrap(), b);
            assert_eq!(parse(b.digitable()).unwrap(), b);
            assert_eq!(parse(&b.digitable_formatted()).unwrap(), b);
            let c = generate_convenio(seed);
            assert_eq!(parse(c.barcode()).unwrap(), c);
            assert_eq!(parse(c.digitable()).unwrap(), c);
            assert_eq!(parse(&c.digitable_formatted()).unwrap(), c);
        }
        let b = bank("341", 12_345, 1640, "1234567890123456789012345").unwrap();
        assert_eq!(b.amount().unwrap().to_string(), "123.45");
        assert_eq!(b.due_date(REF), Some(REF));
    }
}
