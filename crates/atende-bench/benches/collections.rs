//! Parsing throughput of the collections hub's creditor files (`atende-collections`): a
//! generated 1,000,000-row parcelas file (18 fields, 212 characters a record) and a
//! 200,000-row remessa (280 fields, 2,960 characters), parsed from memory into typed
//! values, every row checked. Target: at least a million parcelas rows per second per core.
//!
//! Each file is measured twice, once per throughput unit, because criterion 0.5 reports
//! one: `collections_rows` gives rows/s (elements), `collections_bytes` MiB/s.
//! The samples are synthetic (`atende_collections::sample`, seed 1): valid CPFs/CNPJs,
//! accented names (so many lines take the multi-byte path), typical blank padding.

use std::hint::black_box;
use std::time::Duration;

use atende_collections::{parse, sample, Layouts};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use jiff::civil::date;

fn files(c: &mut Criterion) {
    let layouts = Layouts::defaults();
    // Seconds per measurement: ten whole-file parses fit.
    for (name, rows, secs) in [("parcelas", 1_000_000usize, 8), ("remessa", 200_000, 20)] {
        let layout = layouts.get(name).expect("shipped layout");
        let file = sample(layout, rows, 1, date(2023, 8, 4)).to_bytes();
        let units = [
            ("collections_rows", Throughput::Elements(rows as u64)),
            ("collections_bytes", Throughput::Bytes(file.len() as u64)),
        ];
        for (group, throughput) in units {
            let mut g = c.benchmark_group(group);
            g.sample_size(10);
            g.measurement_time(Duration::from_secs(secs));
            g.throughput(throughput);
            g.bench_function(format!("parse {name} {rows} rows"), |b| {
                b.iter(|| {
                    let summary = parse(layout, black_box(&file[..]), |row| {
                        black_box(row.is_ok());
                    })
                    .expect("sample parses");
                    assert_eq!((summary.rows, summary.rejected), (rows, 0));
                })
            });
            g.finish();
        }
    }
}

criterion_group!(benches, files);
criterion_main!(benches);
