//! goflow's reference JSON of each event type (`runner/events`) against the engine's
//! catalogue of event types: every one must fit it and read back unchanged.

use atende_conformance::{corpus_or_skip, runner};

#[test]
fn event_fixtures() {
    let Some(corpus) = corpus_or_skip("events runner corpus") else {
        return;
    };
    let report = runner::run_dir(&corpus.join("goflow/runner/events")).unwrap();
    for f in &report.failures {
        println!("{f}");
    }
    println!("{}", report.summary());
    assert!(report.failures.is_empty(), "{}", report.summary());
    assert!(report.passed >= 54, "{}", report.summary());
}
