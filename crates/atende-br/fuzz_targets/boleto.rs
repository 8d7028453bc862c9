#![no_main]
//! Fuzz target: boleto parsing never panics, and both representations of an accepted
//! code parse to the same boleto.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(b) = atende_br::boleto::parse(s) {
            assert_eq!(atende_br::boleto::parse(b.barcode()), Ok(b));
            assert_eq!(atende_br::boleto::parse(b.digitable()), Ok(b));
            assert_eq!(atende_br::boleto::parse(&b.digitable_formatted()), Ok(b));
            let reference = atende_br::jiff::civil::date(2026, 11, 24);
            let _ = (
                b.amount(),
                b.due_date(reference),
                b.company_id(),
                b.free_field(),
            );
        }
    }
});
