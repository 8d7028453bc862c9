//! Validations per second for the Brazilian toolkit: these run on every identification
//! step of every flow, so the targets are tens of millions of CPF validations and at
//! least five million boleto parses per second per core.
//!
//! Each benchmark runs a fixed batch of realistic inputs (masked and unmasked) so the
//! figures are per element (`Throughput::Elements`), not per batch.

use std::hint::black_box;

use atende_br::{boleto, cnpj, cpf, document, money, phone, pix};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const BATCH: u64 = 1024;

fn batch(f: impl Fn(u64) -> String) -> Vec<String> {
    (0..BATCH).map(f).collect()
}

fn run_batch<T>(
    c: &mut Criterion,
    group: &str,
    name: &str,
    inputs: &[String],
    f: impl Fn(&str) -> T,
) {
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(inputs.len() as u64));
    g.bench_function(BenchmarkId::from_parameter(name), |b| {
        b.iter(|| {
            for s in inputs {
                black_box(f(black_box(s.as_str())));
            }
        })
    });
    g.finish();
}

fn documents(c: &mut Criterion) {
    let cpf_plain = batch(|i| cpf::generate(i).as_str().to_owned());
    let cpf_masked = batch(|i| cpf::generate(i).formatted());
    let cpf_mixed = batch(|i| {
        let c = cpf::generate(i);
        if i % 2 == 0 {
            c.formatted()
        } else {
            // Valid and invalid in equal share: a wrong last digit.
            let mut s = c.as_str().to_owned();
            let last = s.pop().unwrap();
            s.push(if last == '9' { '0' } else { '9' });
            s
        }
    });
    run_batch(c, "cpf", "validate plain", &cpf_plain, cpf::is_valid);
    run_batch(c, "cpf", "validate masked", &cpf_masked, cpf::is_valid);
    run_batch(c, "cpf", "validate half invalid", &cpf_mixed, cpf::is_valid);

    let cnpj_numeric = batch(|i| cnpj::generate(i).formatted());
    let cnpj_alnum = batch(|i| cnpj::generate_alphanumeric(i).formatted());
    run_batch(
        c,
        "cnpj",
        "validate numeric masked",
        &cnpj_numeric,
        cnpj::is_valid,
    );
    run_batch(
        c,
        "cnpj",
        "validate alphanumeric masked",
        &cnpj_alnum,
        cnpj::is_valid,
    );

    let either = batch(|i| {
        if i % 2 == 0 {
            cpf::generate(i).formatted()
        } else {
            cnpj::generate(i).formatted()
        }
    });
    run_batch(c, "document", "cpf or cnpj", &either, document::is_valid);
}

fn boletos(c: &mut Criterion) {
    let bank_barcodes = batch(|i| boleto::generate_bank(i).barcode().to_owned());
    let bank_lines = batch(|i| boleto::generate_bank(i).digitable_formatted());
    let convenio_lines = batch(|i| boleto::generate_convenio(i).digitable().to_owned());
    run_batch(
        c,
        "boleto",
        "parse bank barcode",
        &bank_barcodes,
        boleto::parse,
    );
    run_batch(
        c,
        "boleto",
        "parse bank line (masked)",
        &bank_lines,
        boleto::parse,
    );
    run_batch(
        c,
        "boleto",
        "parse convenio line",
        &convenio_lines,
        boleto::parse,
    );
    let today = atende_br::jiff::civil::date(2026, 11, 24);
    run_batch(
        c,
        "boleto",
        "parse bank line + due date",
        &bank_lines,
        |s| boleto::parse(s).map(|b| (b.amount_cents(), b.due_date(today))),
    );
}

fn pix_codes(c: &mut Criterion) {
    let codes = batch(|i| {
        let key = cpf::generate(i);
        pix::static_payload(&pix::StaticPix {
            key: key.as_str(),
            merchant_name: "ATENDE COBRANCAS LTDA",
            merchant_city: "SAO PAULO",
            amount: Some(atende_br::rust_decimal::Decimal::new(i as i64 * 137 + 1, 2)),
            txid: Some("FATURA2026110001"),
            description: Some("Fatura 11/2026"),
        })
        .unwrap()
    });
    run_batch(c, "pix", "parse static", &codes, |s| {
        pix::parse(s).map(|code| (code.crc, code.amount_raw.map(str::len)))
    });
    run_batch(c, "pix", "crc only", &codes, pix::crc_ok);
}

fn phones(c: &mut Criterion) {
    let forms = batch(|i| {
        let n = 1_000_000 + (i * 7919) % 9_000_000;
        match i % 4 {
            0 => format!("(11) 9{}-{:04}", 6000 + n % 4000, n % 10_000),
            1 => format!("+55 21 9{:04}-{:04}", 6000 + n % 4000, n % 10_000),
            2 => format!("55319{:08}", 60_000_000 + n),
            _ => format!("(48) 3{:03}-{:04}", n % 1000, n % 10_000),
        }
    });
    assert!(
        forms.iter().all(|f| phone::is_valid(f)),
        "bench inputs must be valid"
    );
    run_batch(c, "phone", "normalise", &forms, phone::parse);
    let wa_ids = batch(|i| {
        format!(
            "55{}9{:07}",
            [11, 21, 31, 51][i as usize % 4],
            6_000_000 + i
        )
    });
    run_batch(c, "phone", "whatsapp id", &wa_ids, phone::from_whatsapp_id);
}

fn money_text(c: &mut Criterion) {
    let amounts =
        batch(|i| money::format(atende_br::rust_decimal::Decimal::new(i as i64 * 104_729, 2)));
    run_batch(c, "money", "parse", &amounts, money::parse);
}

criterion_group!(benches, documents, boletos, pix_codes, phones, money_text);
criterion_main!(benches);
