#![no_main]
//! Fuzz target: phone and WhatsApp id parsing never panic, and every printed form of an
//! accepted number parses back to it.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(p) = atende_br::phone::parse(s) {
            assert_eq!(atende_br::phone::parse(p.e164()), Ok(p));
            assert_eq!(atende_br::phone::parse(&p.formatted_national()), Ok(p));
            assert_eq!(atende_br::phone::parse(&p.formatted_international()), Ok(p));
            let _ = (p.match_key(), p.whatsapp_ids(), p.masked());
        }
        let _ = atende_br::phone::from_whatsapp_id(s);
        let _ = atende_br::phone::match_key(s);
    }
});
