//! Every parser must return `Ok` or `Err` on any input — these run on text customers type
//! and codes they paste, so a panic would take a conversation down.

use atende_br::jiff::civil::date;
use atende_br::{boleto, cnpj, cpf, date as br_date, document, money, phone, pix};
use proptest::prelude::*;

/// Calls every parser on `s` and checks the invariants the fuzz targets in
/// `fuzz_targets/` assert (what is accepted round-trips), so `cargo test` covers them too.
fn feed(s: &str) {
    let reference = date(2026, 11, 24);
    if let Ok(c) = cpf::parse(s) {
        assert_eq!(cpf::parse(&c.formatted()), Ok(c));
    }
    let _ = cpf::find(s);
    if let Ok(c) = cnpj::parse(s) {
        assert_eq!(cnpj::parse(&c.formatted()), Ok(c));
    }
    let _ = cnpj::find(s);
    let _ = document::parse(s);
    let _ = document::find(s);
    let _ = document::mask_document(s);
    if let Ok(b) = boleto::parse(s) {
        assert_eq!(boleto::parse(b.barcode()), Ok(b));
        assert_eq!(boleto::parse(b.digitable()), Ok(b));
        assert_eq!(boleto::parse(&b.digitable_formatted()), Ok(b));
        let _ = (b.amount(), b.due_date(reference), b.digitable_formatted());
        let _ = (
            b.company_id(),
            b.free_field(),
            b.segment_name(),
            b.bank_name(),
        );
    }
    if let Ok(code) = pix::parse(s) {
        assert!(pix::parse_lenient(s).is_ok());
        assert!(pix::crc_ok(s));
        let _ = (code.amount(), code.key_kind());
    }
    let _ = pix::parse_lenient(s).map(|c| (c.amount(), c.key_kind()));
    let _ = pix::crc_ok(s);
    let _ = pix::key_kind(s);
    let _ = pix::normalize_key(s);
    if let Ok(p) = phone::parse(s) {
        assert_eq!(phone::parse(p.e164()), Ok(p));
        assert_eq!(phone::parse(&p.formatted_national()), Ok(p));
        assert_eq!(phone::parse(&p.formatted_international()), Ok(p));
        let _ = (p.masked(), p.match_key(), p.whatsapp_ids(), p.state());
    }
    let _ = phone::from_whatsapp_id(s);
    let _ = phone::match_key(s);
    if let Ok(amount) = money::parse(s) {
        if amount.scale() <= 2 {
            assert_eq!(money::parse(&money::format(amount)), Ok(amount));
        }
    }
    let _ = br_date::parse_date(s);
    let _ = br_date::parse_month(s);
    for r in [
        br_date::MonthResolution::Past,
        br_date::MonthResolution::Future,
        br_date::MonthResolution::Nearest,
    ] {
        let _ = br_date::parse_months(s, reference, r);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_strings(s in any::<String>()) {
        feed(&s);
    }

    #[test]
    fn document_like_strings(s in "[0-9A-Za-z./\\- ]{0,20}") {
        feed(&s);
    }

    #[test]
    fn code_like_strings(s in "[0-9 .\\-]{40,52}") {
        feed(&s);
    }

    #[test]
    fn phone_like_strings(s in "[+0-9()xX \\-]{0,20}") {
        feed(&s);
    }

    #[test]
    fn money_like_strings(s in "-?(R\\$)?[ \u{a0}]?-?[0-9.]{0,34}(,[0-9]{0,4})?") {
        feed(&s);
    }

    #[test]
    fn month_like_strings(s in "((dez|jan|mar[çc]o|m[êe]s|pr[óo]ximo|passado|que|vem|ano|de|e|/|[0-9]{1,4}) ?){0,8}") {
        feed(&s);
    }

    #[test]
    fn mutated_pix_payloads(cut in 0usize..150, insert in "[0-9A-Za-z*]{0,6}") {
        let base = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";
        let cut = cut.min(base.len());
        let s = format!("{}{}{}", &base[..cut], insert, &base[cut..]);
        feed(&s);
        feed(&base[..cut]);
    }

    #[test]
    fn tlv_soup(parts in proptest::collection::vec((0u8..100, 0u8..100, "[ -~ãé]{0,12}"), 0..12)) {
        let mut s = String::new();
        for (id, len, value) in &parts {
            s.push_str(&format!("{id:02}{len:02}{value}"));
        }
        feed(&s);
        s.push_str("6304");
        let crc = atende_br::crc::crc16_ccitt_false(s.as_bytes());
        s.push_str(&format!("{crc:04X}"));
        feed(&s);
    }
}
