//! Excellent throughput on goflow's 11 benchmark templates (issue target: ≥ 100,000
//! parse+eval/s and ≥ 255,000 pre-parsed evals/s per core, 3× goflow).

use std::hint::black_box;

use atende_bench::{bench_dir, context, now, templates};
use atende_excellent::{Evaluator, Pcg, Template, Value};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn is_top(root: &Value, name: &str) -> bool {
    match root {
        Value::Object(o) => o.get(name).is_some(),
        _ => false,
    }
}

fn excellent(c: &mut Criterion) {
    let Some(dir) = bench_dir() else {
        println!("SKIPPED excellent bench: ../shared/corpus/bench not found");
        return;
    };
    let templates = templates(&dir);
    let (env, root) = context(&dir);
    let now = now();
    let parsed: Vec<Template> = templates
        .iter()
        .map(|t| Template::parse(t, &|n| is_top(&root, n)))
        .collect();

    // Every template must evaluate cleanly, or the figures are meaningless.
    for (src, tpl) in templates.iter().zip(&parsed) {
        let mut rng = Pcg::new(1, 1);
        let mut ev = Evaluator::new(&env, &root, now, &mut rng);
        let r = ev.render(tpl);
        assert!(r.errors.is_empty(), "{src}: {:?}", r.errors);
    }

    let mut group = c.benchmark_group("excellent/mix");
    group.throughput(Throughput::Elements(templates.len() as u64));
    group.bench_function("parse+eval", |b| {
        let mut rng = Pcg::new(1, 1);
        b.iter(|| {
            for src in &templates {
                let tpl = Template::parse(black_box(src), &|n| is_top(&root, n));
                let mut ev = Evaluator::new(&env, &root, now, &mut rng);
                black_box(ev.render(&tpl));
            }
        })
    });
    group.bench_function("eval-preparsed", |b| {
        let mut rng = Pcg::new(1, 1);
        b.iter(|| {
            for tpl in &parsed {
                let mut ev = Evaluator::new(&env, &root, now, &mut rng);
                black_box(ev.render(black_box(tpl)));
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("excellent/template");
    group.throughput(Throughput::Elements(1));
    for (i, (src, tpl)) in templates.iter().zip(&parsed).enumerate() {
        group.bench_function(format!("{i:02}/parse+eval"), |b| {
            let mut rng = Pcg::new(1, 1);
            b.iter(|| {
                let tpl = Template::parse(black_box(src), &|n| is_top(&root, n));
                let mut ev = Evaluator::new(&env, &root, now, &mut rng);
                black_box(ev.render(&tpl))
            })
        });
        group.bench_function(format!("{i:02}/eval-preparsed"), |b| {
            let mut rng = Pcg::new(1, 1);
            b.iter(|| {
                let mut ev = Evaluator::new(&env, &root, now, &mut rng);
                black_box(ev.render(black_box(tpl)))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, excellent);
criterion_main!(benches);
