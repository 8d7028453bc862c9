//! Replays goflow's per-resume fixtures (`runner/resumes`) in normalised mode. The engine
//! is still being completed (issue 4): every failing case must be listed with its reason
//! in `unsupported/runner_resumes.txt`, so regressions and unlisted failures fail here.

use atende_conformance::{corpus_or_skip, runner, Unsupported};

#[test]
fn resume_fixtures() {
    let Some(corpus) = corpus_or_skip("resumes runner corpus") else {
        return;
    };
    let report = runner::run_dir(&corpus.join("goflow/runner/resumes")).unwrap();
    for f in &report.failures {
        println!("{f}");
    }
    println!("{}", report.summary());
    let list = Unsupported::parse(include_str!("../unsupported/runner_resumes.txt"));
    if let Err(e) = list.check(&report, "unsupported/runner_resumes.txt") {
        panic!("{e}");
    }
    assert!(report.passed >= 4, "{}", report.summary());
}
