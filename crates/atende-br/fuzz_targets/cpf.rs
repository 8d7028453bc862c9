#![no_main]
//! Fuzz target: CPF parsing never panics, and what it accepts round-trips.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(c) = atende_br::cpf::parse(s) {
            assert_eq!(atende_br::cpf::parse(&c.formatted()), Ok(c));
            let _ = c.masked();
        }
        let _ = atende_br::cpf::find(s);
        let _ = atende_br::document::parse(s);
        let _ = atende_br::document::find(s);
    }
});
