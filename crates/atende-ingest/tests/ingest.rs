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
    let batimento = &report.files[4].message;
    assert!(
        batimento.starts_with("batimento: ")
            && batimento.ends_with(" baixados (TODOS CONTRATOS BAIXADOS)"),
        "{batimento}"
    );
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
        assert_eq!(
            errors,
            "linha;campo;motivo\n1;;linha 1: tamanho do registro: esperado 2960, encontrado 22 (o arquivo não é deste layout?)\n"
        );
        assert!(root.join("rejected").join(&bad).exists());
        let run = store.runs(WS, 0, 1).await.unwrap().remove(0);
        assert_eq!(run.status, atende_store::portfolio::RunStatus::Rejected);
        assert_eq!(run.message, report.files[0].errors[0].reason);
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
            p.errors
                .iter()
                .all(|e| e.reason == "contrato não encontrado na base"),
            "{:?}",
            p.errors
        );
        let stored = store.run_errors(WS, p.run_id.unwrap()).await.unwrap();
        assert_eq!(stored.len() as i64, p.rows_rejected);
    }
);

/// Words of English error texts that must not reach the creditor's error file.
const ENGLISH: &[&str] = &[
    "expected",
    "found",
    "not",
    "missing",
    "required",
    "empty",
    "line",
    "field",
    "column",
    "position",
    "positions",
    "record",
    "contract",
    "customer",
    "phone",
    "digit",
    "wrong",
    "header",
    "amount",
    "date",
    "characters",
    "columns",
    "the",
    "is",
    "of",
    "in",
];

both!(
    the_errors_csv_is_in_portuguese,
    open,
    |store: Store| async move {
        store.ensure_workspace(WS, "ATOM").await.unwrap();
        let layouts = Layouts::defaults();
        let (root, source) = inbox();
        let (remessa, bytes) = file(&layouts, "remessa", 3);
        std::fs::write(root.join(remessa), bytes).unwrap();
        poll(&store, &layouts, WS, &source, &mut ()).await.unwrap();
        let known: String = sqlx::query_scalar(
            "SELECT contract FROM contracts WHERE workspace_id = $1 ORDER BY contract LIMIT 1",
        )
        .bind(WS)
        .fetch_one(store.pool())
        .await
        .unwrap();
        // a telefones file with one good row and a bad row of every kind
        let l = layouts.get("telefones").unwrap();
        let name = l.file_name(day().at(9, 0, 0, 0), "528");
        let cpf = "52998224725";
        let rows = [
            "CPF;CONTRATO;TELEFONE1;SCORE1;TELEFONE2;SCORE2;TELEFONE3;SCORE3".to_string(),
            format!("{cpf};{known};11987654321;87;;;;"),
            format!("52998224726;{known};11987654321;87;;;;"),
            format!("{cpf};;11987654321;87;;;;"),
            format!("{cpf};{known};23987654321;87;;;;"),
            format!("{cpf};{known};08001234567;87;;;;"),
            format!("{cpf};{known};11987654321;1.5;;;;"),
            format!("{cpf};{known};11987654321;87;;;;;9"),
            format!("{cpf};SEM-CONTRATO;11987654321;87;;;;"),
        ];
        std::fs::write(root.join(&name), rows.join("\n") + "\n").unwrap();
        let report = poll(&store, &layouts, WS, &source, &mut ()).await.unwrap();
        let f = &report.files[0];
        assert_eq!(f.outcome, FileOutcome::Imported, "{f:#?}");
        assert_eq!((f.rows_imported, f.rows_rejected), (1, 7), "{f:#?}");
        let csv =
            std::fs::read_to_string(root.join("processed").join(format!("{name}.errors.csv")))
                .unwrap();
        let expected = [
            "linha;campo;motivo",
            "3;cpf_cnpj;coluna CPF: CPF: segundo dígito verificador errado: esperado 5, encontrado 6",
            "4;numero_contrato;coluna CONTRATO: obrigatório mas vazio",
            "5;telefone_1;coluna TELEFONE1: telefone: o DDD 23 não existe",
            "6;telefone_1;coluna TELEFONE1: telefone: o número do cliente precisa de DDD (celular ou fixo), e este é um número gratuito (0800)",
            "7;score_1;coluna SCORE1: não é um valor numérico (separador decimal ','): \"1.5\"",
            "8;;9 colunas, o cabeçalho tem 8",
            "9;numero_contrato;contrato não encontrado na base",
        ];
        assert_eq!(csv.lines().collect::<Vec<_>>(), expected, "{csv}");
        // nothing in English: every word of every reason checked
        for line in csv.lines().skip(1) {
            let reason = line.splitn(3, ';').nth(2).unwrap();
            for word in reason
                .split(|c: char| !c.is_alphabetic())
                .map(str::to_lowercase)
            {
                assert!(!ENGLISH.contains(&word.as_str()), "{word:?} in {line}");
            }
        }
        // the same lines are stored with the run
        let stored = store.run_errors(WS, f.run_id.unwrap()).await.unwrap();
        let stored: Vec<String> = stored
            .iter()
            .map(|e| format!("{};{};{}", e.line, e.field, e.reason))
            .collect();
        assert_eq!(stored, expected[1..]);

        // a refused file: its reason and the run's message are Portuguese too
        let l = layouts.get("batimento").unwrap();
        let name = l.file_name(day().at(9, 0, 0, 0), "528");
        std::fs::write(root.join(&name), "CONTRATO;DATA\n1;2\n").unwrap();
        let r = atende_ingest::import_file(
            &store,
            &layouts,
            WS,
            &name,
            &std::fs::read(root.join(&name)).unwrap(),
            &mut (),
        )
        .await
        .unwrap();
        assert_eq!(r.outcome, FileOutcome::Rejected);
        assert!(
            r.message
                .starts_with("linha 1: cabeçalho: faltam as colunas "),
            "{}",
            r.message
        );
        assert!(r
            .errors_csv()
            .contains(";;linha 1: cabeçalho: faltam as colunas "));
        let run = store.runs(WS, 0, 1).await.unwrap().remove(0);
        assert_eq!(run.message, r.message);
        // and a file delivered again says in Portuguese that it was imported before
        let telefones = &f.file_name;
        let again = atende_ingest::import_file(
            &store,
            &layouts,
            WS,
            telefones,
            &std::fs::read(root.join("processed").join(telefones)).unwrap(),
            &mut (),
        )
        .await
        .unwrap();
        assert_eq!(again.outcome, FileOutcome::AlreadyImported);
        assert!(
            again.message.starts_with(&format!(
                "arquivo já importado (mesmo nome e conteúdo) na importação {}, em ",
                f.run_id.unwrap()
            )),
            "{}",
            again.message
        );
    }
);
