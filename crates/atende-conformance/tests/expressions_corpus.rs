//! Replays the given Excellent corpus. Must pass ≥ 99%, and every failing case must be
//! listed with its reason in `unsupported/expressions.txt` (no silent skips).

use atende_conformance::{corpus_or_skip, expressions, Unsupported};

#[test]
fn given_expression_corpus() {
    let Some(corpus) = corpus_or_skip("expression corpus") else {
        return;
    };
    let file = corpus.join("goflow/expressions/given.jsonl");
    let report = expressions::run_files(&[file], expressions::Options::default()).unwrap();
    for f in &report.failures {
        println!("{f}");
    }
    println!("{}", report.summary());

    let list = Unsupported::parse(include_str!("../unsupported/expressions.txt"));
    if let Err(e) = list.check(&report, "unsupported/expressions.txt") {
        panic!("{e}");
    }
    let total = report.passed + report.failed();
    assert!(
        report.passed * 100 >= total * 99,
        "pass rate below 99%: {}",
        report.summary()
    );
}
