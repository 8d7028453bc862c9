#![no_main]
//! Fuzz target: CNPJ parsing never panics, and what it accepts round-trips.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(c) = atende_br::cnpj::parse(s) {
            assert_eq!(atende_br::cnpj::parse(&c.formatted()), Ok(c));
            let _ = c.masked();
        }
        let _ = atende_br::cnpj::find(s);
        let _ = atende_br::document::mask_document(s);
    }
});
