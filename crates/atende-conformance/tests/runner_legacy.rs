//! Replays goflow's legacy-migration fixtures (`runner/legacy`). Every failing case must
//! be listed with its reason in `unsupported/runner_legacy.txt`, and the folder must pass
//! ≥ 95%. `legacy_expressions.json` is checked the way goflow's own test checks it (a
//! migrated template fails where the legacy one failed); the strict mode, which also
//! compares the rendered text with the old RapidPro evaluator's, has its own exact list
//! (`unsupported/runner_legacy_strict.txt`) and a floor, so a regression shows.

use atende_conformance::{corpus_or_skip, runner, Report, Unsupported};

fn check(report: &Report, list: &str, name: &str) {
    for f in &report.failures {
        println!("{f}");
    }
    println!("{name}: {}", report.summary());
    if let Err(e) = Unsupported::parse(list).check(report, name) {
        panic!("{e}");
    }
}

#[test]
fn legacy_fixtures() {
    let Some(corpus) = corpus_or_skip("legacy runner corpus") else {
        return;
    };
    let dir = corpus.join("goflow/runner/legacy");
    let report = runner::legacy::run_dir(&dir).unwrap();
    check(
        &report,
        include_str!("../unsupported/runner_legacy.txt"),
        "unsupported/runner_legacy.txt",
    );
    let total = report.passed + report.failures.len();
    assert!(
        report.passed * 100 >= total * 95,
        "legacy: {}/{total} pass",
        report.passed
    );
}

#[test]
fn legacy_expressions_strict() {
    let Some(corpus) = corpus_or_skip("legacy runner corpus") else {
        return;
    };
    let report = runner::legacy::run_dir_strict(&corpus.join("goflow/runner/legacy")).unwrap();
    check(
        &report,
        include_str!("../unsupported/runner_legacy_strict.txt"),
        "unsupported/runner_legacy_strict.txt",
    );
    let total = report.passed + report.failures.len();
    assert!(
        report.passed * 100 >= total * 65,
        "legacy strict: {}/{total} pass",
        report.passed
    );
}
