//! Replays goflow's contact modifier fixtures (`runner/modifiers`) in normalised mode.
//! Every failing case must be listed with its reason in
//! `unsupported/runner_modifiers.txt`, so regressions and unlisted failures fail here.

use atende_conformance::{corpus_or_skip, runner, Unsupported};

#[test]
fn modifier_fixtures() {
    let Some(corpus) = corpus_or_skip("modifiers runner corpus") else {
        return;
    };
    let report = runner::run_dir(&corpus.join("goflow/runner/modifiers")).unwrap();
    for f in &report.failures {
        println!("{f}");
    }
    println!("{}", report.summary());
    let list = Unsupported::parse(include_str!("../unsupported/runner_modifiers.txt"));
    if let Err(e) = list.check(&report, "unsupported/runner_modifiers.txt") {
        panic!("{e}");
    }
    assert!(report.passed >= 55, "{}", report.summary());
}
