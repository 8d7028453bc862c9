//! Replays goflow's per-action fixtures (`runner/actions`) in normalised mode. The engine
//! is still being completed (issue 4): every failing case must be listed with its reason
//! in `unsupported/runner_actions.txt`, so regressions and unlisted failures fail here.

use atende_conformance::{corpus_or_skip, runner, Unsupported};

#[test]
fn action_fixtures() {
    let Some(corpus) = corpus_or_skip("actions runner corpus") else {
        return;
    };
    let report = runner::run_dir(&corpus.join("goflow/runner/actions")).unwrap();
    for f in &report.failures {
        println!("{f}");
    }
    println!("{}", report.summary());
    let list = Unsupported::parse(include_str!("../unsupported/runner_actions.txt"));
    if let Err(e) = list.check(&report, "unsupported/runner_actions.txt") {
        panic!("{e}");
    }
    assert!(report.passed >= 117, "{}", report.summary());
}
