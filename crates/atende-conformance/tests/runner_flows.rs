//! Replays goflow's whole-session fixtures (`runner/flows`) in normalised mode. The
//! engine is still being completed (issue 4): every failing test must be listed with its
//! reason in `unsupported/runner_flows.txt`, so a regression or an unlisted failure fails
//! this test, and a fixed case must be removed from the list.

use atende_conformance::{corpus_or_skip, runner, Unsupported};

#[test]
fn flows_fixtures() {
    let Some(corpus) = corpus_or_skip("flows runner corpus") else {
        return;
    };
    let report = runner::run_dir(&corpus.join("goflow/runner/flows")).unwrap();
    for f in &report.failures {
        println!("{f}");
    }
    println!("{}", report.summary());
    let list = Unsupported::parse(include_str!("../unsupported/runner_flows.txt"));
    if let Err(e) = list.check(&report, "unsupported/runner_flows.txt") {
        panic!("{e}");
    }
    assert!(report.passed >= 35, "{}", report.summary());
}
