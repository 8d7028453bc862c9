#![no_main]
//! Fuzz target: money and date parsing never panic, and a parsed amount with at most two
//! decimals formats back to text that parses to the same amount.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(amount) = atende_br::money::parse(s) {
            if amount.scale() <= 2 {
                let text = atende_br::money::format(amount);
                assert_eq!(atende_br::money::parse(&text), Ok(amount));
            }
        }
        let reference = atende_br::jiff::civil::date(2026, 11, 24);
        let _ = atende_br::date::parse_date(s);
        let _ = atende_br::date::parse_months(s, reference, Default::default());
    }
});
