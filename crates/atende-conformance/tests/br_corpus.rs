//! Every Brazilian billing vector in `shared/corpus/br/` must pass (skipped with a notice
//! when the corpus is not beside the clone).

use atende_conformance::{br, corpus_or_skip};

#[test]
fn br_corpus_passes() {
    let Some(corpus) = corpus_or_skip("br corpus") else {
        return;
    };
    let dir = corpus.join("br");
    let files = br::corpus_files(&dir).expect("list corpus/br");
    assert!(!files.is_empty(), "no .jsonl files in {}", dir.display());
    let by_kind = br::run_files_by_kind(&files).expect("read corpus/br");
    for (kind, report) in &by_kind {
        println!("{kind}: {}", report.summary());
    }
    let report = br::run_files(&files).expect("read corpus/br");
    for failure in &report.failures {
        println!("{failure}");
    }
    println!("{}", report.summary());
    assert_eq!(report.failed(), 0, "{} br vectors failed", report.failed());
    assert!(report.passed > 0);
}
