//! Replays one `runner/flows` case N times, for profilers (`valgrind --tool=callgrind`,
//! `perf record`): `cargo run --release -p atende-bench --example replay -- date_parse.test 200 [--round-trip]`.

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "date_parse.test".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100);
    let round_trip = args.any(|a| a == "--round-trip");
    let cases = atende_bench::flow_cases();
    let Some(case) = cases.iter().find(|c| c.name == name) else {
        let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        eprintln!("no case {name}; cases: {}", names.join(", "));
        std::process::exit(2);
    };
    for _ in 0..n {
        std::hint::black_box(atende_bench::replay(case, round_trip));
    }
    println!("replayed {name} {n} times");
}
