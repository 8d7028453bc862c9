//! Flow engine throughput on goflow's `runner/flows` cases, replayed in memory: a new
//! session, then each resume (issue target: ≥ 5× goflow, i.e. ≥ 9,195 sessions/s on the
//! mix and ≥ 16,340 on the geometric mean in memory; ≥ 7,470 / ≥ 12,070 with a JSON
//! round trip of the session between sprints).

use std::hint::black_box;

use atende_bench::{flow_cases, replay};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn engine(c: &mut Criterion) {
    let cases = flow_cases();
    if cases.is_empty() {
        println!("SKIPPED engine bench: ../shared/corpus/goflow/runner/flows not found");
        return;
    }
    let resumes: usize = cases.iter().map(|c| c.resumes.len()).sum();
    println!(
        "engine bench: {} cases, {} resumes in the mix; waiting-session JSON size: {}",
        cases.len(),
        resumes,
        atende_bench::waiting_session_sizes(&cases)
    );
    for (mode, round_trip) in [("memory", false), ("round-trip", true)] {
        let mut group = c.benchmark_group(format!("engine/{mode}"));
        group.throughput(Throughput::Elements(cases.len() as u64));
        group.bench_function("mix/sessions", |b| {
            b.iter(|| {
                for case in &cases {
                    black_box(replay(case, round_trip));
                }
            })
        });
        group.throughput(Throughput::Elements(resumes.max(1) as u64));
        group.bench_function("mix/inbound-msgs", |b| {
            b.iter(|| {
                for case in &cases {
                    black_box(replay(case, round_trip));
                }
            })
        });
        group.throughput(Throughput::Elements(1));
        for case in &cases {
            group.bench_function(format!("case/{}", case.name), |b| {
                b.iter(|| black_box(replay(case, round_trip)))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, engine);
criterion_main!(benches);
