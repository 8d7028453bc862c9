//! Replays goflow's flow spec migration fixtures (`runner/migrations/<version>.json`).

use std::collections::BTreeSet;

use atende_conformance::{corpus_or_skip, runner};

#[test]
fn migrations_corpus() {
    let Some(corpus) = corpus_or_skip("runner/migrations") else {
        return;
    };
    let dir = corpus.join("goflow").join("runner").join("migrations");
    let report = runner::run_dir(&dir).expect("fixtures readable");
    for failure in &report.failures {
        println!("{failure}");
    }
    println!("migrations: {}", report.summary());

    let listed: BTreeSet<String> = include_str!("../unsupported/runner_migrations.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    let unlisted: Vec<&String> = report
        .failures
        .iter()
        .filter(|f| {
            let id = f
                .trim_start_matches("FAIL ")
                .split(':')
                .next()
                .unwrap_or("");
            !listed.contains(id)
        })
        .collect();
    assert!(
        unlisted.is_empty(),
        "failing cases not listed in unsupported/runner_migrations.txt: {unlisted:#?}"
    );
    let total = report.passed + report.failed();
    assert!(total > 0, "no migration cases found in {}", dir.display());
    assert!(
        report.passed * 100 >= total * 95,
        "only {} of {total} migration cases pass",
        report.passed
    );
}

/// Every 13.x/14.x flow in the flow-run assets migrates to the current spec, and the
/// webhook splits end up on the status the engine sets.
#[test]
fn flow_run_assets_migrate() {
    use atende_engine::migrations::{migrate_assets, CURRENT_VERSION};
    use atende_engine::services::SeededUuids;

    let Some(corpus) = corpus_or_skip("runner/flows assets migration") else {
        return;
    };
    let dir = corpus.join("goflow").join("runner").join("flows");
    let mut migrated = 0;
    for entry in std::fs::read_dir(&dir).expect("flows folder") {
        let path = entry.expect("dir entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        // asset files are `X.json`; tests are `X.T.json`
        if name.matches('.').count() != 1 || !name.ends_with(".json") {
            continue;
        }
        let assets = runner::read_json(&path).expect("asset json");
        let out = migrate_assets(assets, &mut SeededUuids::new(123456))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        for flow in out["flows"].as_array().into_iter().flatten() {
            if flow.get("spec_version").is_none() {
                continue; // legacy, left for the legacy migration
            }
            assert_eq!(flow["spec_version"], CURRENT_VERSION, "{name}");
            migrated += 1;
            for node in flow["nodes"].as_array().into_iter().flatten() {
                let calls = node["actions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|a| a["type"] == "call_webhook" || a["type"] == "call_resthook");
                let operand = node["router"]["operand"].as_str().unwrap_or_default();
                if calls && operand.contains("results.") {
                    panic!("{name}: webhook split still on a result: {operand}");
                }
            }
        }
    }
    println!("flow-run assets: {migrated} flows migrated to {CURRENT_VERSION}");
    assert!(migrated > 0);
}
