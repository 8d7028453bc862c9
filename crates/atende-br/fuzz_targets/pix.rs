#![no_main]
//! Fuzz target: Pix BR Code parsing (strict and lenient), the CRC check and key
//! classification never panic; a strictly valid code also passes the lenient parse.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let strict = atende_br::pix::parse(s);
        let lenient = atende_br::pix::parse_lenient(s);
        if let Ok(code) = &strict {
            assert!(lenient.is_ok());
            assert!(atende_br::pix::crc_ok(s));
            let _ = (code.amount(), code.key_kind(), code.kind());
        }
        let _ = atende_br::pix::key_kind(s);
        let _ = atende_br::pix::normalize_key(s);
    }
});
