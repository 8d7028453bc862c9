//! Flow engine throughput on goflow's `runner/flows` cases, replayed in memory: a new
//! session, then each resume (issue target: ≥ 5× goflow, i.e. ≥ 9,195 sessions/s on the
//! mix and ≥ 16,340 on the geometric mean in memory; ≥ 7,470 / ≥ 12,070 with a JSON
//! round trip of the session between sprints).

use std::hint::black_box;

use atende_bench::flow_cases;
use atende_engine::engine::{self, Services};
use atende_engine::services::{SeededUuids, SequentialClock};
use atende_engine::session::Session;
use atende_excellent::Pcg;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn replay(case: &atende_bench::FlowCase, round_trip: bool) -> usize {
    let start: jiff::Timestamp = "2025-05-04T12:30:45.123456789Z".parse().unwrap();
    let mut clock = SequentialClock::new(start, jiff::SignedDuration::from_secs(1));
    let mut uuids = SeededUuids::new(123456);
    let mut random = Pcg::new(123456, 123456);
    let mut contact = case.contact.clone();
    let (mut session, _) = engine::start(
        &case.assets,
        &case.env,
        &mut contact,
        &case.trigger,
        Services {
            clock: &mut clock,
            uuids: &mut uuids,
            random: &mut random,
        },
    )
    .expect("start");
    let mut msgs = 0;
    for resume in &case.resumes {
        if round_trip {
            let text = serde_json::to_string(&session.to_json()).unwrap();
            session = Session::from_json(&serde_json::from_str(&text).unwrap()).unwrap();
        }
        if engine::resume(
            &case.assets,
            &case.env,
            &mut session,
            &mut contact,
            resume,
            Services {
                clock: &mut clock,
                uuids: &mut uuids,
                random: &mut random,
            },
        )
        .is_err()
        {
            break;
        }
        msgs += 1;
    }
    black_box(&session);
    msgs
}

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
                    replay(case, round_trip);
                }
            })
        });
        group.throughput(Throughput::Elements(resumes.max(1) as u64));
        group.bench_function("mix/inbound-msgs", |b| {
            b.iter(|| {
                for case in &cases {
                    replay(case, round_trip);
                }
            })
        });
        group.throughput(Throughput::Elements(1));
        for case in &cases {
            group.bench_function(format!("case/{}", case.name), |b| {
                b.iter(|| replay(case, round_trip))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, engine);
criterion_main!(benches);
