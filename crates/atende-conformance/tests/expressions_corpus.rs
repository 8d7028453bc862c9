//! Replays the given Excellent corpus. Must pass ≥ 99%, and every failing case must be
//! listed with its reason in `unsupported/expressions.txt` (no silent skips).

use std::collections::BTreeMap;

use atende_conformance::{corpus_or_skip, expressions};

fn unsupported() -> BTreeMap<String, String> {
    let list = include_str!("../unsupported/expressions.txt");
    list.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (id, why) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            (id.to_string(), why.trim().to_string())
        })
        .collect()
}

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

    let listed = unsupported();
    let failing_ids: Vec<String> = report
        .failures
        .iter()
        .map(|f| {
            f.trim_start_matches("FAIL ")
                .split(':')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    let unlisted: Vec<&String> = failing_ids
        .iter()
        .filter(|id| !listed.contains_key(*id))
        .collect();
    assert!(
        unlisted.is_empty(),
        "failing cases not listed in unsupported/expressions.txt: {unlisted:?}"
    );
    let now_passing: Vec<&String> = listed
        .keys()
        .filter(|id| !failing_ids.contains(id))
        .collect();
    assert!(
        now_passing.is_empty(),
        "cases listed as unsupported now pass; remove them from the list: {now_passing:?}"
    );
    let total = report.passed + report.failed();
    assert!(
        report.passed * 100 >= total * 99,
        "pass rate below 99%: {}",
        report.summary()
    );
}
