//! Flow engine throughput on goflow's `runner/flows` cases, replayed in memory: a new
//! session, then each resume (issue target: ≥ 5× goflow, i.e. ≥ 9,195 sessions/s on the
//! mix and ≥ 16,340 on the geometric mean in memory; ≥ 7,470 / ≥ 12,070 with a JSON
//! round trip of the session between sprints).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};

use atende_bench::{flow_cases, replay, FlowCase};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Counts live heap bytes, to report what a waiting session takes in memory.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts sizes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Min / median / max heap bytes of a waiting session (a deep copy's allocations).
fn waiting_session_heap(cases: &[FlowCase]) -> String {
    let mut sizes: Vec<isize> = cases
        .iter()
        .filter_map(|case| {
            let (first, _) = replay(case, false)?;
            (first.status == atende_engine::session::SessionStatus::Waiting).then(|| {
                let before = LIVE.load(Ordering::Relaxed);
                let copy = first.clone();
                let size =
                    LIVE.load(Ordering::Relaxed) - before + std::mem::size_of_val(&copy) as isize;
                drop(copy);
                size
            })
        })
        .collect();
    sizes.sort_unstable();
    match sizes.as_slice() {
        [] => "no waiting sessions".into(),
        s => format!(
            "{} / {} / {} bytes (min/median/max)",
            s[0],
            s[s.len() / 2],
            s[s.len() - 1]
        ),
    }
}

/// One summary table to quote: sessions/s per case in both modes, the mix and the
/// geometric mean, each from ~0.3 s of replays (criterion's own runs follow).
fn summary(cases: &[FlowCase]) {
    // a benchmark reads the clock by design
    #[allow(clippy::disallowed_methods)]
    fn rate(mut f: impl FnMut()) -> f64 {
        let start = std::time::Instant::now();
        let mut n = 0u64;
        while start.elapsed().as_secs_f64() < 0.3 {
            f();
            n += 1;
        }
        n as f64 / start.elapsed().as_secs_f64()
    }
    println!("{:<45} {:>12} {:>12}", "case", "memory/s", "round-trip/s");
    let mut logs = [0.0f64; 2];
    for case in cases {
        let m = rate(|| drop(black_box(replay(case, false))));
        let r = rate(|| drop(black_box(replay(case, true))));
        logs[0] += m.ln();
        logs[1] += r.ln();
        println!("{:<45} {:>12.0} {:>12.0}", case.name, m, r);
    }
    let n = cases.len() as f64;
    let mix = |rt: bool| {
        rate(|| {
            for case in cases {
                black_box(replay(case, rt));
            }
        }) * n
    };
    println!(
        "{:<45} {:>12.0} {:>12.0}\n{:<45} {:>12.0} {:>12.0}",
        "mix (sessions/s)",
        mix(false),
        mix(true),
        "geometric mean (sessions/s)",
        (logs[0] / n).exp(),
        (logs[1] / n).exp()
    );
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
    println!(
        "waiting-session heap size: {}",
        waiting_session_heap(&cases)
    );
    summary(&cases);
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
