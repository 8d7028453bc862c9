//! Ingestion end to end through an inbox folder: the day's order, idempotent
//! re-delivery, a corrupted file leaving the base untouched, refused rows as error lines,
//! unknown names ignored. SQLite always; PostgreSQL when `ATENDE_TEST_POSTGRES_URL` is set.

use std::sync::{Arc, Mutex};

use atende_collections::{sample, Layouts};
use atende_filesource::{FileSource, InboxFolder};
use atende_ingest::pickup::{poll, SharedSource};
use atende_ingest::FileOutcome;
use atende_store::Store;

use atende_testkit::both;

async fn open(url: String) -> Store {
    Store::open(&url).await.unwrap()
}

const WS: &str = "atom";
const SEED: u64 = 42;
const ROWS: usize = 60;

fn day() -> jiff::civil::Date {
    jiff::civil::date(2026, 8, 4)
}

/// A sample file of `layout` for the day, named as the creditor names it.
fn file(layouts: &Layouts, layout: &str, rows: usize) -> (String, Vec<u8>) {
    let l = layouts.get(layout).unwrap();
    let name = l.file_name(day().at(6, 30, 0, 0), "528");
    (name, sample(l, rows, SEED, day()).to_bytes())
}

async fn count(store: &Store, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM {table} WHERE workspace_id = $1"
    )))
    .bind(WS)
    .fetch_one(store.pool())
    .await
    .unwrap()
}

fn inbox() -> (std::path::PathBuf, SharedSource) {
    let root = std::env::temp_dir().join(format!("atende-inbox-{}", uuid::Uuid::new_v4().simple()));
    let source: Box<dyn FileSource + Send> = Box::new(InboxFolder::new(&root).unwrap());
    (root, Arc::new(Mutex::new(source)))
}

both!(a_day_in_order, open, |store: Store| async move {
    store.ensure_workspace(WS, "ATOM").await.unwrap();
    let layouts = Layouts::defaults();
    let (root, source) = inbox();
    // delivered out of order, with a stranger among them
    for layout in [
        "batimento",
        "parcelas",
        "telefones",
        "acordos_baixados",
        "remessa",
    ] {
        let (name, bytes) = file(&layouts, layout, ROWS);
        std::fs::write(root.join(name), bytes).unwrap();
    }
    std::fs::write(root.join("relatorio_gerencial.xlsx"), b"?").unwrap();
    let report = poll(&store, &layouts, WS, &source, &mut ()).await.unwrap();
    let order: Vec<&str> = report.files.iter().map(|f| f.layout.as_str()).collect();
    assert_eq!(
        order,
        [
            "remessa",
            "parcelas",
            "telefones",
            "acordos_baixados",
            "batimento"
        ],
        "{report:#?}"
    );
    assert_eq!(report.ignored, ["relatorio_gerencial.xlsx"]);
    for f in &report.files {
        assert_eq!(f.outcome, FileOutcome::Imported, "{f:#?}");
    }
    assert!(count(&store, "contracts").await > 0);
    assert!(count(&store, "installments").await > 0);
    // everything filed away; the stranger stays
    assert!(root.join("relatorio_gerencial.xlsx").exists());
    assert_eq!(
        std::fs::read_dir(root.join("processed"))
            .unwrap()
            .filter(|e| {
                !e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".errors.csv")
            })
            .count(),
        5
    );
    // the same remessa delivered again imports nothing
    let (name, bytes) = file(&layouts, "remessa", ROWS);
    std::fs::write(root.join(&name), &bytes).unwrap();
    let before = count(&store, "contract_status_history").await;
    let again = poll(&store, &layouts, WS, &source, &mut ()).await.unwrap();
    assert_eq!(again.files[0].outcome, FileOutcome::AlreadyImported);
    assert_eq!(count(&store, "contract_status_history").await, before);
    let runs = store.runs(WS, 0, 100).await.unwrap();
    assert_eq!(runs.len(), 5, "one run per file imported");
});

both!(
    enrichment_waits_for_the_remessa,
    open,
    |store: Store| async move {
        store.ensure_workspace(WS, "ATOM").await.unwrap();
        let layouts = Layouts::defaults();
        let (root, source) = inbox();
        let (parcelas, bytes) = file(&layouts, "parcelas", ROWS);
        std::fs::write(root.join(&parcelas), bytes).unwrap();
        let report = poll(&store, &layouts, WS, &source, &mut ()).await.unwrap();
        assert!(report.files.is_empty());
        assert_eq!(report.deferred.len(), 1);
        assert!(
            report.deferred[0].1.contains("remessa"),
            "{:?}",
            report.deferred
        );
        assert!(
            root.join(&parcelas).exists(),
            "stays in the inbox for the next poll"
        );
        let (remessa, bytes) = file(&layouts, "remessa", ROWS);
        std::fs::write(root.join(remessa), bytes).unwrap();
        let report = poll(&store, &layouts, WS, &source, &mut ()).await.unwrap();
        assert_eq!(report.files.len(), 2);
        assert!(report.deferred.is_empty());
    }
);

both!(
    a_corrupted_file_leaves_the_base_untouched,
    open,
    |store: Store| async move {
        store.ensure_workspace(WS, "ATOM").await.unwrap();
        let layouts = Layouts::defaults();
        let (root, source) = inbox();
        let (remessa, bytes) = file(&layouts, "remessa", ROWS);
        std::fs::write(root.join(remessa), bytes).unwrap();
        poll(&store, &layouts, WS, &source, &mut ()).await.unwrap();
        let contracts = count(&store, "contracts").await;
        let history = count(&store, "contract_status_history").await;
        // the next day's remessa is cut in the middle of a record after 30 good ones
        let l = layouts.get("remessa").unwrap();
        let name = l.file_name(day().tomorrow().unwrap().at(6, 30, 0, 0), "528");
        let good = sample(l, ROWS, SEED + 1, day().tomorrow().unwrap()).to_bytes();
        let text = String::from_utf8_lossy(&good).to_string();
        let mut lines: Vec<&str> = text.lines().collect();
        let cut = &lines[30][..100];
        lines[30] = cut;
        std::fs::write(root.join(&name), lines.join("\n")).unwrap();
        let report = poll(&store, &layouts, WS, &source, &mut ()).await.unwrap();
        let f = &report.files[0];
        // a bad line is a refused row; the rest of the file goes in
        assert_eq!(f.outcome, FileOutcome::Imported, "{f:#?}");
        assert_eq!(f.rows_rejected, 1);
        assert_eq!(f.errors[0].line, 31);
        assert!(root
            .join("processed")
            .join(format!("{name}.errors.csv"))
            .exists());
        // a file of another shape is refused whole: nothing of it stays
        let contracts_after = count(&store, "contracts").await;
        let history_after = count(&store, "contract_status_history").await;
        assert!(contracts_after >= contracts && history_after > history);
        let bad = l.file_name(
            day()
                .tomorrow()
                .unwrap()
                .tomorrow()
                .unwrap()
                .at(6, 30, 0, 0),
            "528",
        );
        std::fs::write(root.join(&bad), "isto não é uma remessa\n".repeat(10)).unwrap();
        let report = poll(&store, &layouts, WS, &source, &mut ()).await.unwrap();
        assert_eq!(
            report.files[0].outcome,
            FileOutcome::Rejected,
            "{report:#?}"
        );
        assert_eq!(count(&store, "contracts").await, contracts_after);
        assert_eq!(
            count(&store, "contract_status_history").await,
            history_after
        );
        let errors =
            std::fs::read_to_string(root.join("rejected").join(format!("{bad}.errors.csv")))
                .unwrap();
        assert!(errors.starts_with("linha;campo;motivo\n1;"), "{errors}");
        assert!(root.join("rejected").join(&bad).exists());
        let run = store.runs(WS, 0, 1).await.unwrap().remove(0);
        assert_eq!(run.status, atende_store::portfolio::RunStatus::Rejected);
    }
);

both!(
    unknown_contracts_are_error_lines,
    open,
    |store: Store| async move {
        store.ensure_workspace(WS, "ATOM").await.unwrap();
        let layouts = Layouts::defaults();
        let (root, source) = inbox();
        // today's remessa has only the first few contracts the parcelas file names
        let (remessa, _) = file(&layouts, "remessa", ROWS);
        let l = layouts.get("remessa").unwrap();
        std::fs::write(root.join(remessa), sample(l, 3, SEED, day()).to_bytes()).unwrap();
        let (parcelas, bytes) = file(&layouts, "parcelas", ROWS);
        std::fs::write(root.join(&parcelas), bytes).unwrap();
        let report = poll(&store, &layouts, WS, &source, &mut ()).await.unwrap();
        let p = report
            .files
            .iter()
            .find(|f| f.layout == "parcelas")
            .unwrap();
        assert_eq!(p.outcome, FileOutcome::Imported);
        assert!(p.rows_rejected > 0 && p.rows_imported > 0, "{p:#?}");
        assert!(
            p.errors.iter().all(|e| e.reason.contains("contract")),
            "{:?}",
            p.errors
        );
        let stored = store.run_errors(WS, p.run_id.unwrap()).await.unwrap();
        assert_eq!(stored.len() as i64, p.rows_rejected);
    }
);
