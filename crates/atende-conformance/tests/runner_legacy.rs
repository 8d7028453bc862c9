//! Replays goflow's legacy-migration fixtures (`runner/legacy`). Every failing case must
//! be listed with its reason in `unsupported/runner_legacy.txt`. The definition files
//! (actions, tests, rulesets, flows) must pass ≥ 95%; `legacy_expressions.json` holds
//! legacy templates that goflow migrates so that they evaluate like the old RapidPro
//! evaluator (`TRUE`, day-first dates, fuzzy dates); our template migration does not
//! match goflow's on 42 of them yet (issue 4 follow-up), so that file has a lower floor
//! that guards against regressions until it does.

use atende_conformance::{corpus_or_skip, runner, Unsupported};

#[test]
fn legacy_fixtures() {
    let Some(corpus) = corpus_or_skip("legacy runner corpus") else {
        return;
    };
    let report = runner::run_dir(&corpus.join("goflow/runner/legacy")).unwrap();
    for f in &report.failures {
        println!("{f}");
    }
    println!("{}", report.summary());

    let list = Unsupported::parse(include_str!("../unsupported/runner_legacy.txt"));
    if let Err(e) = list.check(&report, "unsupported/runner_legacy.txt") {
        panic!("{e}");
    }
    let failing = Unsupported::failing_ids(&report);
    let dir = corpus.join("goflow/runner/legacy");
    let len = |file: &str| {
        let path = dir.join(file);
        if !path.exists() {
            return 0;
        }
        runner::read_json(&path)
            .unwrap()
            .as_array()
            .map_or(0, Vec::len)
    };
    let counts = |expressions: bool| {
        let cases = |f: &String| f.starts_with("legacy_expressions.json#") == expressions;
        let failed = failing.iter().filter(|f| cases(f)).count();
        let total = if expressions {
            len("legacy_expressions.json")
        } else {
            ["actions.json", "tests.json", "rulesets.json", "flows.json"]
                .iter()
                .map(|f| len(f))
                .sum()
        };
        (total - failed, total)
    };
    let (passed, total) = counts(false);
    assert!(
        passed * 100 >= total * 95,
        "definitions: {passed}/{total} pass"
    );
    let (passed, total) = counts(true);
    assert!(
        passed * 100 >= total * 40,
        "expressions: {passed}/{total} pass"
    );
}
