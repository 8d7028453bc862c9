//! Property tests: whatever we generate validates, and whatever we format parses back to
//! the same value.

use atende_br::jiff::civil::Date;
use atende_br::rust_decimal::Decimal;
use atende_br::{boleto, cnpj, cpf, date, document, money, phone, pix};
use proptest::prelude::*;

/// CPF validity written as plainly as br-spec.md §1 states it.
fn spec_cpf(s: &str) -> bool {
    let d: Vec<u32> = s.bytes().map(|b| u32::from(b - b'0')).collect();
    let f = |n: usize| {
        let sum: u32 = (0..n).map(|i| d[i] * (n as u32 + 1 - i as u32)).sum();
        let r = sum % 11;
        if r < 2 {
            0
        } else {
            11 - r
        }
    };
    d.len() == 11 && d.iter().any(|&x| x != d[0]) && f(9) == d[9] && f(10) == d[10]
}

/// CNPJ validity written as plainly as br-spec.md §2 states it.
fn spec_cnpj(s: &str) -> bool {
    let v: Vec<u32> = s.bytes().map(|b| u32::from(b) - 48).collect();
    let f = |n: usize| {
        let sum: u32 = (0..n)
            .map(|i| v[i] * [2, 3, 4, 5, 6, 7, 8, 9][(n - 1 - i) % 8])
            .sum();
        let r = sum % 11;
        if r < 2 {
            0
        } else {
            11 - r
        }
    };
    v.len() == 14
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        && v.iter().any(|&x| x != v[0])
        && f(12) == v[12]
        && f(13) == v[13]
}

fn any_date() -> impl Strategy<Value = Date> {
    (1990i16..2100, 1i8..=12, 1i8..=31)
        .prop_filter_map("real date", |(y, m, d)| Date::new(y, m, d).ok())
}

proptest! {
    #[test]
    fn cpf_generate_validate_format_parse(seed in any::<u64>()) {
        let c = cpf::generate(seed);
        prop_assert!(cpf::is_valid(c.as_str()));
        prop_assert_eq!(cpf::parse(&c.formatted()).unwrap(), c);
        prop_assert_eq!(cpf::normalize(&c.formatted()).unwrap(), c.as_str());
        prop_assert_eq!(document::parse(c.as_str()).unwrap().kind(), "cpf");
        let masked = c.masked();
        prop_assert!(masked.starts_with("***.") && masked.ends_with("-**"));
        prop_assert_eq!(&masked[4..11], &c.formatted()[4..11]);
    }

    #[test]
    fn cpf_agrees_with_the_spec_formula(seed in any::<u64>(), pos in 0usize..11, delta in 0u8..10, raw in "[0-9]{11}") {
        let c = cpf::generate(seed);
        let mut digits = c.as_str().as_bytes().to_vec();
        digits[pos] = b'0' + (digits[pos] - b'0' + delta) % 10;
        for candidate in [String::from_utf8(digits).unwrap(), raw] {
            prop_assert_eq!(cpf::is_valid(&candidate), spec_cpf(&candidate), "{}", candidate);
        }
    }

    #[test]
    fn cnpj_generate_validate_format_parse(seed in any::<u64>()) {
        for c in [cnpj::generate(seed), cnpj::generate_alphanumeric(seed)] {
            prop_assert!(cnpj::is_valid(c.as_str()));
            prop_assert_eq!(cnpj::parse(&c.formatted()).unwrap(), c);
            prop_assert_eq!(cnpj::parse(&c.as_str().to_lowercase()).unwrap(), c);
            prop_assert_eq!(document::parse(&c.formatted()).unwrap().kind(), "cnpj");
        }
        prop_assert!(cnpj::generate_alphanumeric(seed).is_alphanumeric());
    }

    #[test]
    fn cnpj_agrees_with_the_spec_formula(seed in any::<u64>(), pos in 0usize..14, delta in 0u8..36, raw in "[0-9A-Z]{12}[0-9]{2}") {
        const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let c = cnpj::generate_alphanumeric(seed);
        let mut chars = c.as_str().as_bytes().to_vec();
        let i = ALPHABET.iter().position(|&a| a == chars[pos]).unwrap();
        chars[pos] = ALPHABET[(i + delta as usize) % 36];
        for candidate in [String::from_utf8(chars).unwrap(), raw] {
            prop_assert_eq!(cnpj::is_valid(&candidate), spec_cnpj(&candidate), "{}", candidate);
        }
    }

    #[test]
    fn boleto_generate_both_representations(seed in any::<u64>()) {
        for b in [boleto::generate_bank(seed), boleto::generate_convenio(seed)] {
            let from_bar = boleto::parse(b.barcode()).unwrap();
            let from_line = boleto::parse(b.digitable()).unwrap();
            let from_pretty = boleto::parse(&b.digitable_formatted()).unwrap();
            prop_assert_eq!(from_bar, b);
            prop_assert_eq!(from_line, b);
            prop_assert_eq!(from_pretty, b);
        }
    }

    #[test]
    fn boleto_bank_build_parse(
        bank in 0u16..800,
        cents in 0u64..=9_999_999_999,
        due in any_date(),
        free in "[0-9]{25}",
    ) {
        let factor = boleto::factor_for_date(due).unwrap_or(0);
        let b = boleto::bank(&format!("{bank:03}"), cents, factor, &free).unwrap();
        let parsed = boleto::parse(b.digitable()).unwrap();
        prop_assert_eq!(parsed.amount_cents(), Some(cents));
        let code = format!("{bank:03}");
        prop_assert_eq!(parsed.bank_code(), Some(code.as_str()));
        prop_assert_eq!(parsed.free_field(), free.as_str());
        if factor >= 1000 {
            // Seen from the due date itself, the factor resolves back to that date.
            prop_assert_eq!(parsed.due_date(due), Some(due));
        }
    }

    #[test]
    fn boleto_single_digit_change_in_fields_1_to_4_is_caught(seed in any::<u64>(), pos in 0usize..33, delta in 1u8..10) {
        // Fields 1-3 are guarded by mod 10, which catches every single substitution, and
        // field 4 is the general digit itself. (Field 5 is guarded only by the mod-11
        // general digit, which maps remainders 0 and 1 to the same digit.)
        let b = boleto::generate_bank(seed);
        let mut line = b.digitable().as_bytes().to_vec();
        line[pos] = b'0' + (line[pos] - b'0' + delta) % 10;
        let changed = String::from_utf8(line).unwrap();
        prop_assert!(!boleto::is_valid(&changed), "{} accepted", changed);
    }

    #[test]
    fn factor_resolution_is_in_window(factor in 1000u16..=9999, reference in any_date()) {
        if let Some(d) = boleto::date_for_factor(factor, reference) {
            let days = reference.until(d).unwrap().get_days();
            prop_assert!((-3000..=5500).contains(&days), "{} is {} days from {}", d, days, reference);
            prop_assert_eq!(boleto::factor_for_date(d), Some(factor));
        }
    }

    #[test]
    fn money_format_parse(cents in any::<i64>()) {
        let amount = Decimal::new(cents, 2);
        for space in [money::Space::NoBreak, money::Space::Plain] {
            let text = money::format_with(amount, space);
            prop_assert_eq!(money::parse(&text).unwrap(), amount, "{}", text);
        }
        prop_assert_eq!(money::parse(&money::format_number(amount)).unwrap(), amount);
    }

    #[test]
    fn money_any_decimal(mantissa in any::<i128>(), scale in 0u32..=28) {
        let m = mantissa % 79_228_162_514_264_337_593_543_950_335;
        let amount = Decimal::from_i128_with_scale(m, scale);
        let text = money::format(amount);
        let back = money::parse(&text).unwrap();
        prop_assert_eq!(back, amount.round_dp_with_strategy(2, atende_br::rust_decimal::RoundingStrategy::MidpointNearestEven));
    }

    #[test]
    fn phone_format_parse(ddd_i in 0usize..67, mobile in any::<bool>(), sub in 0u32..10_000_000) {
        let ddds: Vec<u8> = (11..100).filter(|&d| phone::is_valid_ddd(d)).collect();
        prop_assert_eq!(ddds.len(), 67);
        let ddd = ddds[ddd_i];
        let national = if mobile {
            // Legacy 8-digit mobiles (the ones WhatsApp may know without the 9) start with 6-9.
            format!("{ddd}9{}{sub:07}", 6 + sub % 4)
        } else {
            format!("{ddd}3{sub:07}")
        };
        let p = phone::parse(&national).unwrap();
        for form in [p.formatted_national(), p.formatted_international(), p.e164().to_owned(), p.whatsapp_id().to_owned()] {
            prop_assert_eq!(phone::parse(&form).unwrap(), p, "{}", form);
        }
        for id in p.whatsapp_ids() {
            let w = phone::from_whatsapp_id(&id).unwrap();
            prop_assert_eq!(w.phone, p);
        }
        prop_assert_eq!(p.match_key().unwrap().len(), 10);
    }

    #[test]
    fn pix_generate_parse(
        cpf_seed in any::<u64>(),
        name in "[A-Za-z ]{1,40}",
        city in "[A-Za-z ]{1,20}",
        cents in proptest::option::of(1i64..10_000_000_000),
        txid in proptest::option::of("[A-Za-z0-9]{1,25}"),
        description in proptest::option::of("[A-Za-z0-9 ]{0,30}"),
    ) {
        prop_assume!(!name.trim().is_empty() && !city.trim().is_empty());
        let key = cpf::generate(cpf_seed);
        let amount = cents.map(|c| Decimal::new(c, 2));
        let payload = pix::static_payload(&pix::StaticPix {
            key: &key.formatted(),
            merchant_name: &name,
            merchant_city: &city,
            amount,
            txid: txid.as_deref(),
            description: description.as_deref(),
        }).unwrap();
        let c = pix::parse(&payload).unwrap();
        prop_assert!(pix::crc_ok(&payload));
        prop_assert_eq!(c.key, Some(key.as_str()));
        prop_assert_eq!(c.key_kind(), Some(pix::PixKeyKind::Cpf));
        prop_assert_eq!(c.amount(), amount);
        prop_assert_eq!(c.txid, Some(txid.as_deref().unwrap_or("***")));
        let want_name: String = name.trim().chars().take(25).collect();
        prop_assert_eq!(c.merchant_name, Some(want_name.trim_end()));
    }

    #[test]
    fn dates_format_parse(d in any_date()) {
        prop_assert_eq!(date::parse_date(&date::format_short(d)).unwrap(), d);
        prop_assert_eq!(date::parse_date(&date::format_long(d)).unwrap(), d);
        prop_assert_eq!(date::parse_date(&date::format_full(d)).unwrap(), d);
        let ym = date::YearMonth::of(d);
        let found = date::parse_months(&ym.to_string(), d, date::MonthResolution::Past).unwrap();
        prop_assert_eq!(found, vec![ym]);
        let name = date::month_name(d.month()).unwrap();
        prop_assert_eq!(date::parse_month(name), Some(d.month()));
    }
}
