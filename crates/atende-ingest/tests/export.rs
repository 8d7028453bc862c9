//! The dialer exports (UC003 mailing, UC007 baixa) end to end: files imported with the
//! importer, exported, and read back **with the export layout**; checked against the
//! portfolio as the store holds it. SQLite always; PostgreSQL when
//! `ATENDE_TEST_POSTGRES_URL` is set.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use atende_collections::{sample, ExportKind, ExportLayouts, ExportMode, ExportRow, Layouts};
use atende_filesource::{FileSource, InboxFolder, RemoteFile};
use atende_ingest::export::{deliver_pending, export, Destination, ExportSettings};
use atende_ingest::pickup::{poll_and_export, SharedSource};
use atende_ingest::FileOutcome;
use atende_store::portfolio::exports::{ExportRun, ExportStatus};
use atende_store::Store;

use atende_testkit::both;

async fn open(url: String) -> Store {
    let store = Store::open(&url).await.unwrap();
    store.ensure_workspace(WS, "ATOM").await.unwrap();
    store
}

const WS: &str = "atom";
const SEED: u64 = 42;

fn day() -> jiff::civil::Date {
    jiff::civil::date(2026, 8, 4)
}

fn temp(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "atende-export-{what}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn settings(outbox: &Path, destination: Option<Destination>) -> ExportSettings {
    ExportSettings {
        outbox: outbox.to_path_buf(),
        destination,
        layouts: ExportLayouts::defaults(),
    }
}

async fn import(store: &Store, name: &str, bytes: &[u8]) -> i64 {
    let layouts = Layouts::defaults();
    let r = atende_ingest::import_file(store, &layouts, WS, name, bytes, &mut ())
        .await
        .unwrap();
    assert_eq!(r.outcome, FileOutcome::Imported, "{r:#?}");
    assert_eq!(r.rows_rejected, 0, "{r:#?}");
    r.run_id.unwrap()
}

async fn import_remessa(store: &Store, rows: usize) -> (String, Vec<u8>) {
    let layouts = Layouts::defaults();
    let l = layouts.get("remessa").unwrap();
    let name = l.file_name(day().at(2, 0, 0, 0), "528");
    let bytes = sample(l, rows, SEED, day()).to_bytes();
    import(store, &name, &bytes).await;
    (name, bytes)
}

/// The contracts in the base, by number: (document, status).
async fn contracts(store: &Store) -> BTreeMap<String, (String, String)> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT contract, document, status FROM contracts WHERE workspace_id = $1 ORDER BY contract",
    )
    .bind(WS)
    .fetch_all(store.pool())
    .await
    .unwrap();
    rows.into_iter().map(|(c, d, s)| (c, (d, s))).collect()
}

/// A contract's phones as the store keeps them, in order: (ddd, number, kind, score, origin).
async fn phones(
    store: &Store,
    contract: &str,
) -> Vec<(String, String, String, Option<i64>, String)> {
    sqlx::query_as(
        "SELECT ddd, number, kind, score, origin FROM contract_phones
         WHERE workspace_id = $1 AND contract = $2 ORDER BY position",
    )
    .bind(WS)
    .bind(contract)
    .fetch_all(store.pool())
    .await
    .unwrap()
}

/// The file of an export, read back with its layout.
fn read_back(outbox: &Path, run: &ExportRun) -> Vec<ExportRow> {
    let kind: ExportKind = run.kind.parse().unwrap();
    let bytes = std::fs::read(outbox.join(&run.file_name)).unwrap();
    ExportLayouts::defaults().get(kind).read(&bytes).unwrap()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// A telefones file (R023) with `(cpf, contract, ddd+number, score)` rows.
fn telefones(rows: &[(String, String, String, i64)]) -> (String, Vec<u8>) {
    let mut text =
        String::from("CPF;CONTRATO;TELEFONE1;SCORE1;TELEFONE2;SCORE2;TELEFONE3;SCORE3\n");
    for (cpf, contract, phone, score) in rows {
        text.push_str(&format!("{cpf};{contract};{phone};{score};;;;\n"));
    }
    (
        "telefones_carteira_veic_040826101112.csv".into(),
        text.into_bytes(),
    )
}

/// An exclusão e retirada file (fixed width, 100 characters) for `(contract, E|R, reason)`.
fn exclusao(rows: &[(&str, &str, &str)]) -> (String, Vec<u8>) {
    let layouts = Layouts::defaults();
    let name = layouts
        .get("exclusao")
        .unwrap()
        .file_name(day().at(8, 0, 0, 0), "528");
    let mut text = String::new();
    for (contract, movement, reason) in rows {
        text.push_str(&format!(
            "{contract:<20}{:14}20260804{movement}{reason:<57}\n",
            ""
        ));
    }
    (name, text.into_bytes())
}

both!(
    full_mailing_lists_active_contracts_with_their_phones_in_order,
    open,
    |store: Store| async move {
        import_remessa(&store, 60).await;
        // enrichment phones for three contracts, one of them twice
        let base = contracts(&store).await;
        let picked: Vec<(&String, &(String, String))> = base.iter().take(3).collect();
        let rows: Vec<(String, String, String, i64)> = vec![
            (
                picked[0].1 .0.clone(),
                picked[0].0.clone(),
                "11912340001".into(),
                80,
            ),
            (
                picked[1].1 .0.clone(),
                picked[1].0.clone(),
                "21912340002".into(),
                35,
            ),
            (
                picked[2].1 .0.clone(),
                picked[2].0.clone(),
                "31912340003".into(),
                12,
            ),
        ];
        let (name, bytes) = telefones(&rows);
        import(&store, &name, &bytes).await;
        let outbox = temp("outbox");
        let s = settings(&outbox, None);
        let run = export(
            &store,
            &s,
            WS,
            ExportKind::Mailing,
            ExportMode::Full,
            None,
            &mut (),
        )
        .await
        .unwrap();
        // no destination: the outbox is where the file goes
        assert_eq!(run.status, ExportStatus::Delivered, "{run:#?}");
        assert_eq!((run.kind.as_str(), run.mode.as_str()), ("mailing", "full"));
        assert!(
            run.file_name.starts_with("MAILING_ATOM_20"),
            "{}",
            run.file_name
        );
        assert_eq!(
            names(&outbox),
            std::slice::from_ref(&run.file_name),
            "no temporary file left"
        );
        let file = read_back(&outbox, &run);
        let active: Vec<&String> = base
            .iter()
            .filter(|(_, (_, s))| s == "ATIVO")
            .map(|(c, _)| c)
            .collect();
        assert_eq!(file.len(), active.len());
        assert_eq!(run.rows, active.len() as i64);
        assert_eq!(active.len(), 60);
        let mut enriched_seen = 0;
        for row in &file {
            let contract = row.get("numero_contrato").unwrap();
            assert_eq!(row.get("id_registro"), Some(contract));
            let (document, _) = &base[contract];
            assert_eq!(row.get("cpf_cnpj"), Some(document.as_str()));
            assert_eq!(row.get("tipo_carga"), Some("F"));
            // remessa fields kept in `extra` come out as the layout types them
            let extra: String = sqlx::query_scalar(
                "SELECT extra FROM contracts WHERE workspace_id = $1 AND contract = $2",
            )
            .bind(WS)
            .bind(contract)
            .fetch_one(store.pool())
            .await
            .unwrap();
            let extra: serde_json::Value = serde_json::from_str(&extra).unwrap();
            let dec = |s: &str| {
                s.parse::<atende_collections::rust_decimal::Decimal>()
                    .unwrap()
            };
            assert_eq!(
                dec(row.get("saldo_devedor").unwrap()),
                dec(extra["saldo_devedor"].as_str().unwrap())
            );
            assert_eq!(row.get("faixa_atraso"), extra["faixa_atraso"].as_str());
            assert_eq!(
                row.get("data_vencimento_atraso"),
                extra["data_vencimento_atraso"].as_str()
            );
            let stored = phones(&store, contract).await;
            assert_eq!(
                row.get("qtd_telefones"),
                Some(stored.len().to_string().as_str())
            );
            let mut enrichment_started = false;
            for n in 1..=15 {
                let (ddd, number, ty, score) = (
                    row.get(&format!("ddd_{n}")).unwrap(),
                    row.get(&format!("telefone_{n}")).unwrap(),
                    row.get(&format!("tipo_telefone_{n}")).unwrap(),
                    row.get(&format!("score_{n}")).unwrap(),
                );
                let Some((sddd, snumber, kind, sscore, origin)) = stored.get(n - 1) else {
                    assert_eq!(
                        (ddd, number, ty, score),
                        ("", "", "", ""),
                        "slot {n} of {contract}"
                    );
                    continue;
                };
                assert_eq!(
                    (ddd, number),
                    (sddd.as_str(), snumber.as_str()),
                    "slot {n} of {contract}"
                );
                assert_eq!(score, sscore.map(|s| s.to_string()).unwrap_or_default());
                if origin.starts_with("Enriquecimento") {
                    assert_eq!(ty, "ENRIQUECIMENTO");
                    enrichment_started = true;
                    enriched_seen += 1;
                } else {
                    // remessa phones first, enrichment last (R025)
                    assert!(
                        !enrichment_started,
                        "{contract}: remessa phone after an enrichment one"
                    );
                    let expected = match kind.as_str() {
                        "R" => "RESIDENCIAL",
                        "C" => "COMERCIAL",
                        "M" => "CELULAR",
                        "O" => "RECADO",
                        other => other,
                    };
                    assert_eq!(ty, expected);
                }
            }
        }
        assert_eq!(
            enriched_seen, 3,
            "the three enrichment phones are in the file"
        );
        // the enrichment phone of the first contract is its last, with its score
        let first = file
            .iter()
            .find(|r| r.get("numero_contrato") == Some(picked[0].0.as_str()))
            .unwrap();
        let n = phones(&store, picked[0].0).await.len();
        assert_eq!(first.get(&format!("telefone_{n}")), Some("912340001"));
        assert_eq!(first.get(&format!("score_{n}")), Some("80"));
        // Latin-1 with CRLF, as the layout says
        let raw = std::fs::read(outbox.join(&run.file_name)).unwrap();
        assert!(raw.starts_with(b"ID_REGISTRO;CPF_CNPJ;"));
        assert!(raw.windows(2).filter(|w| w == b"\r\n").count() == 61);
        assert_eq!(store.exported_contracts(WS, "mailing").await.unwrap(), 60);
    }
);

both!(
    incremental_mailing_lists_only_the_contracts_that_changed,
    open,
    |store: Store| async move {
        import_remessa(&store, 30).await;
        let outbox = temp("outbox");
        let s = settings(&outbox, None);
        let full = export(
            &store,
            &s,
            WS,
            ExportKind::Mailing,
            ExportMode::Full,
            None,
            &mut (),
        )
        .await
        .unwrap();
        assert_eq!(full.rows, 30);
        // nothing changed: nothing to send, no file
        let none = export(
            &store,
            &s,
            WS,
            ExportKind::Mailing,
            ExportMode::Incremental,
            None,
            &mut (),
        )
        .await
        .unwrap();
        assert_eq!(
            (none.status, none.rows, none.file_name.as_str()),
            (ExportStatus::Empty, 0, "")
        );
        assert_eq!(none.since.as_deref(), Some(full.created_on.as_str()));
        assert_eq!(names(&outbox).len(), 1);
        // a telefones file: new phones for A and B, a new score for C's first phone (a
        // change no run id records)
        let base = contracts(&store).await;
        let keys: Vec<&String> = base.keys().collect();
        let (a, b, c) = (keys[0].clone(), keys[5].clone(), keys[9].clone());
        let c_first = phones(&store, &c).await.remove(0);
        assert_eq!(c_first.3, None, "remessa phones come without a score");
        let rows = vec![
            (base[&a].0.clone(), a.clone(), "11912340001".to_string(), 80),
            (base[&b].0.clone(), b.clone(), "21912340002".to_string(), 40),
            (
                base[&c].0.clone(),
                c.clone(),
                format!("{}{}", c_first.0, c_first.1),
                55,
            ),
        ];
        let (name, bytes) = telefones(&rows);
        let telefones_run = import(&store, &name, &bytes).await;
        let inc = export(
            &store,
            &s,
            WS,
            ExportKind::Mailing,
            ExportMode::Incremental,
            Some(telefones_run),
            &mut (),
        )
        .await
        .unwrap();
        assert_eq!(inc.rows, 3, "{inc:#?}");
        assert_eq!(inc.trigger_run_id, Some(telefones_run));
        assert!(
            inc.file_name.starts_with("MAILING_ATOM_INC_"),
            "{}",
            inc.file_name
        );
        let file = read_back(&outbox, &inc);
        let listed: BTreeSet<&str> = file
            .iter()
            .map(|r| r.get("numero_contrato").unwrap())
            .collect();
        assert_eq!(listed, BTreeSet::from([a.as_str(), b.as_str(), c.as_str()]));
        for r in &file {
            assert_eq!(r.get("tipo_carga"), Some("I"));
        }
        let row_c = file
            .iter()
            .find(|r| r.get("numero_contrato") == Some(c.as_str()))
            .unwrap();
        assert_eq!(row_c.get("score_1"), Some("55"));
        assert_eq!(row_c.get("telefone_1"), Some(c_first.1.as_str()));
        let row_a = file
            .iter()
            .find(|r| r.get("numero_contrato") == Some(a.as_str()))
            .unwrap();
        let n = phones(&store, &a).await.len();
        assert_eq!(
            row_a.get(&format!("tipo_telefone_{n}")),
            Some("ENRIQUECIMENTO")
        );
        assert_eq!(row_a.get(&format!("score_{n}")), Some("80"));
        // sent: the next incremental is empty again
        let again = export(
            &store,
            &s,
            WS,
            ExportKind::Mailing,
            ExportMode::Incremental,
            None,
            &mut (),
        )
        .await
        .unwrap();
        assert_eq!(again.status, ExportStatus::Empty);
        let listed = store.export_runs(WS, Some("mailing"), 0, 10).await.unwrap();
        assert_eq!(listed.len(), 4);
        assert_eq!(listed[0].id, again.id, "newest first");
    }
);

both!(
    baixa_lists_exactly_the_excluded_contracts,
    open,
    |store: Store| async move {
        import_remessa(&store, 30).await;
        let outbox = temp("outbox");
        let s = settings(&outbox, None);
        export(
            &store,
            &s,
            WS,
            ExportKind::Mailing,
            ExportMode::Full,
            None,
            &mut (),
        )
        .await
        .unwrap();
        let nothing = export(
            &store,
            &s,
            WS,
            ExportKind::Baixa,
            ExportMode::Incremental,
            None,
            &mut (),
        )
        .await
        .unwrap();
        assert_eq!(
            nothing.status,
            ExportStatus::Empty,
            "nothing written off yet"
        );
        let base = contracts(&store).await;
        let keys: Vec<&String> = base.keys().collect();
        let (x, y, z) = (keys[2].as_str(), keys[11].as_str(), keys[20].as_str());
        let (name, bytes) = exclusao(&[
            (x, "E", "PEDIDO DO CREDOR"),
            (y, "R", "RETIRADA PARA OUTRA ASSESSORIA"),
            (z, "E", "ACORDO QUITADO"),
        ]);
        let run_id = import(&store, &name, &bytes).await;
        let baixa = export(
            &store,
            &s,
            WS,
            ExportKind::Baixa,
            ExportMode::Incremental,
            Some(run_id),
            &mut (),
        )
        .await
        .unwrap();
        assert_eq!(baixa.status, ExportStatus::Delivered, "{baixa:#?}");
        assert!(
            baixa.file_name.starts_with("BAIXA_ATOM_"),
            "{}",
            baixa.file_name
        );
        let file = read_back(&outbox, &baixa);
        let listed: BTreeMap<&str, &ExportRow> = file
            .iter()
            .map(|r| (r.get("numero_contrato").unwrap(), r))
            .collect();
        // exactly the contracts the base has out of the collection
        let now = contracts(&store).await;
        let out: BTreeSet<&str> = now
            .iter()
            .filter(|(_, (_, s))| s != "ATIVO")
            .map(|(c, _)| c.as_str())
            .collect();
        assert_eq!(out, BTreeSet::from([x, y, z]));
        assert_eq!(
            listed.keys().copied().collect::<BTreeSet<_>>(),
            BTreeSet::from([x, y, z])
        );
        assert_eq!(listed[x].get("codigo_baixa"), Some("EX"));
        assert_eq!(listed[y].get("codigo_baixa"), Some("RT"));
        assert_eq!(listed[y].get("situacao"), Some("RETIRADO"));
        assert_eq!(
            listed[y].get("motivo"),
            Some("RETIRADA PARA OUTRA ASSESSORIA")
        );
        assert_eq!(listed[z].get("data_baixa"), Some("2026-08-04"));
        assert_eq!(listed[x].get("cpf_cnpj"), Some(base[x].0.as_str()));
        assert_eq!(listed[x].get("tipo_registro"), Some("1"));
        // sent once
        let again = export(
            &store,
            &s,
            WS,
            ExportKind::Baixa,
            ExportMode::Incremental,
            None,
            &mut (),
        )
        .await
        .unwrap();
        assert_eq!(again.status, ExportStatus::Empty);
        // and gone from the mailing
        let full = export(
            &store,
            &s,
            WS,
            ExportKind::Mailing,
            ExportMode::Full,
            None,
            &mut (),
        )
        .await
        .unwrap();
        assert_eq!(full.rows, 27);
        let mailed: BTreeSet<String> = read_back(&outbox, &full)
            .iter()
            .map(|r| r.get("numero_contrato").unwrap().to_string())
            .collect();
        assert!(![x, y, z].iter().any(|c| mailed.contains(*c)));
    }
);

/// A destination that fails while `down` is set, and remembers what it received.
struct Flaky {
    inner: InboxFolder,
    down: Arc<AtomicBool>,
    received: Arc<Mutex<Vec<String>>>,
}

impl FileSource for Flaky {
    fn describe(&self) -> String {
        "flaky ".to_string() + &self.inner.describe()
    }
    fn list(&mut self) -> atende_filesource::Result<Vec<RemoteFile>> {
        self.inner.list()
    }
    fn fetch(&mut self, name: &str) -> atende_filesource::Result<Vec<u8>> {
        self.inner.fetch(name)
    }
    fn file_away(&mut self, name: &str, folder: &str) -> atende_filesource::Result<()> {
        self.inner.file_away(name, folder)
    }
    fn put(&mut self, folder: &str, name: &str, bytes: &[u8]) -> atende_filesource::Result<()> {
        if self.down.load(Ordering::SeqCst) {
            return Err(atende_filesource::SourceError::Invalid(
                "connection refused (test)".into(),
            ));
        }
        self.received.lock().unwrap().push(name.to_string());
        self.inner.put(folder, name, bytes)
    }
}

both!(
    a_failed_delivery_is_kept_and_retried_in_order,
    open,
    |store: Store| async move {
        import_remessa(&store, 20).await;
        let (outbox, remote) = (temp("outbox"), temp("remote"));
        let down = Arc::new(AtomicBool::new(true));
        let received = Arc::new(Mutex::new(Vec::new()));
        let flaky = Flaky {
            inner: InboxFolder::new(&remote).unwrap(),
            down: down.clone(),
            received: received.clone(),
        };
        let s = settings(&outbox, Some(Destination::new(Box::new(flaky), "manager")));
        let mailing = export(
            &store,
            &s,
            WS,
            ExportKind::Mailing,
            ExportMode::Full,
            None,
            &mut (),
        )
        .await
        .unwrap();
        assert_eq!(mailing.status, ExportStatus::Failed);
        assert_eq!(mailing.attempts, 1);
        assert!(
            mailing.message.contains("connection refused"),
            "{}",
            mailing.message
        );
        assert!(
            mailing.destination.contains("manager"),
            "{}",
            mailing.destination
        );
        // a later file waits behind it
        let base = contracts(&store).await;
        let first = base.keys().next().unwrap().clone();
        let (name, bytes) = exclusao(&[(&first, "E", "TESTE")]);
        import(&store, &name, &bytes).await;
        let baixa = export(
            &store,
            &s,
            WS,
            ExportKind::Baixa,
            ExportMode::Incremental,
            None,
            &mut (),
        )
        .await
        .unwrap();
        assert_eq!(
            baixa.status,
            ExportStatus::Written,
            "not delivered before the mailing"
        );
        let mailing_now = store.export_run(WS, mailing.id).await.unwrap().unwrap();
        assert_eq!(
            (mailing_now.status, mailing_now.attempts),
            (ExportStatus::Failed, 2)
        );
        assert!(names(&remote.join("manager")).is_empty());
        // the destination comes back: the next tick delivers both, oldest first
        down.store(false, Ordering::SeqCst);
        let delivered = deliver_pending(&store, &s, WS).await.unwrap();
        assert_eq!(
            delivered
                .iter()
                .map(|r| (r.id, r.status))
                .collect::<Vec<_>>(),
            [
                (mailing.id, ExportStatus::Delivered),
                (baixa.id, ExportStatus::Delivered)
            ]
        );
        assert_eq!(
            *received.lock().unwrap(),
            [mailing.file_name.clone(), baixa.file_name.clone()]
        );
        for r in [&mailing, &baixa] {
            assert_eq!(
                std::fs::read(remote.join("manager").join(&r.file_name)).unwrap(),
                std::fs::read(outbox.join(&r.file_name)).unwrap()
            );
        }
        assert!(names(&remote.join("manager"))
            .iter()
            .all(|n| !n.starts_with('.')));
        // while down, a newer full mailing supersedes an older undelivered one
        down.store(true, Ordering::SeqCst);
        let second = base.keys().nth(1).unwrap();
        let (name, bytes) = telefones(&[(
            base[second].0.clone(),
            second.clone(),
            "11912349999".into(),
            10,
        )]);
        import(&store, &name, &bytes).await;
        let inc = export(
            &store,
            &s,
            WS,
            ExportKind::Mailing,
            ExportMode::Incremental,
            None,
            &mut (),
        )
        .await
        .unwrap();
        assert_eq!((inc.status, inc.rows), (ExportStatus::Failed, 1));
        let full = export(
            &store,
            &s,
            WS,
            ExportKind::Mailing,
            ExportMode::Full,
            None,
            &mut (),
        )
        .await
        .unwrap();
        // superseded, the incremental no longer holds it back: the full is tried (and
        // fails, still down)
        assert_eq!((full.status, full.attempts), (ExportStatus::Failed, 1));
        let inc_now = store.export_run(WS, inc.id).await.unwrap().unwrap();
        assert_eq!(inc_now.status, ExportStatus::Superseded);
        down.store(false, Ordering::SeqCst);
        let delivered = deliver_pending(&store, &s, WS).await.unwrap();
        assert_eq!(delivered.len(), 1);
        assert_eq!(delivered[0].id, full.id);
    }
);

both!(
    the_pickup_exports_after_the_days_files,
    open,
    |store: Store| async move {
        let layouts = Layouts::defaults();
        let (inbox, outbox, remote) = (temp("inbox"), temp("outbox"), temp("remote"));
        let source: Box<dyn FileSource + Send> = Box::new(InboxFolder::new(&inbox).unwrap());
        let source: SharedSource = Arc::new(Mutex::new(source));
        let s = settings(
            &outbox,
            Some(Destination::new(
                Box::new(InboxFolder::new(&remote).unwrap()),
                "",
            )),
        );
        // nothing in: nothing out
        let report = poll_and_export(&store, &layouts, WS, &source, &s, &mut ())
            .await
            .unwrap();
        assert!(report.exports.is_empty() && report.export_errors.is_empty());
        // the day's remessa: a full mailing
        let l = layouts.get("remessa").unwrap();
        std::fs::write(
            inbox.join(l.file_name(day().at(2, 0, 0, 0), "528")),
            sample(l, 25, SEED, day()).to_bytes(),
        )
        .unwrap();
        let report = poll_and_export(&store, &layouts, WS, &source, &s, &mut ())
            .await
            .unwrap();
        assert!(
            report.export_errors.is_empty(),
            "{:?}",
            report.export_errors
        );
        assert_eq!(report.exports.len(), 1, "{report:#?}");
        let full = &report.exports[0];
        assert_eq!(
            (full.kind.as_str(), full.mode.as_str(), full.rows),
            ("mailing", "full", 25)
        );
        assert_eq!(full.trigger_run_id, report.files[0].run_id);
        assert_eq!(full.status, ExportStatus::Delivered);
        assert_eq!(names(&remote), std::slice::from_ref(&full.file_name));
        // enrichment: an incremental mailing
        let base = contracts(&store).await;
        let (c, (doc, _)) = base.iter().next().unwrap();
        let (name, bytes) = telefones(&[(doc.clone(), c.clone(), "11912340001".into(), 70)]);
        std::fs::write(inbox.join(name), bytes).unwrap();
        let report = poll_and_export(&store, &layouts, WS, &source, &s, &mut ())
            .await
            .unwrap();
        assert_eq!(report.exports.len(), 1, "{report:#?}");
        let inc = &report.exports[0];
        assert_eq!(
            (inc.kind.as_str(), inc.mode.as_str(), inc.rows),
            ("mailing", "incremental", 1)
        );
        // exclusão: a baixa
        let (name, bytes) = exclusao(&[(c, "E", "PEDIDO DO CREDOR")]);
        std::fs::write(inbox.join(name), bytes).unwrap();
        let report = poll_and_export(&store, &layouts, WS, &source, &s, &mut ())
            .await
            .unwrap();
        assert_eq!(report.exports.len(), 1, "{report:#?}");
        let baixa = &report.exports[0];
        assert_eq!(
            (baixa.kind.as_str(), baixa.rows, baixa.status),
            ("baixa", 1, ExportStatus::Delivered)
        );
        assert_eq!(baixa.trigger_run_id, report.files[0].run_id);
        let delivered = names(&remote);
        assert_eq!(delivered.len(), 3);
        assert!(
            delivered.iter().all(|n| !n.starts_with('.')),
            "{delivered:?}"
        );
        for n in &delivered {
            assert_eq!(
                std::fs::read(remote.join(n)).unwrap(),
                std::fs::read(outbox.join(n)).unwrap()
            );
        }
    }
);

/// Delivery to a real FTP server (pyftpdlib on loopback): a poller watching the server's
/// folder while files go up never sees a final name with less than the whole file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ftp_delivery_shows_only_complete_files() {
    let root = temp("ftp");
    let Some(server) = atende_testkit::ftp_server(&root) else {
        return;
    };
    let ftp = || {
        atende_filesource::FtpSource::new(atende_filesource::FtpConfig {
            address: format!("127.0.0.1:{}", server.port),
            user: atende_testkit::FTP_USER.into(),
            password: atende_testkit::FTP_PASSWORD.into(),
            directory: String::new(),
            timeout: std::time::Duration::from_secs(10),
        })
    };
    let store = open(atende_testkit::sqlite_url()).await;
    import_remessa(&store, 40).await;
    let outbox = temp("outbox");
    let s = settings(&outbox, Some(Destination::new(Box::new(ftp()), "manager")));
    // a big upload watched from the server's side, then the export itself
    let watch = root.join("manager");
    std::fs::create_dir_all(&watch).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let seen: Arc<Mutex<Vec<(String, u64)>>> = Arc::new(Mutex::new(Vec::new()));
    let watcher = {
        let (stop, seen, watch) = (stop.clone(), seen.clone(), watch.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                for e in std::fs::read_dir(&watch).unwrap().flatten() {
                    let len = e.metadata().map(|m| m.len()).unwrap_or(0);
                    seen.lock()
                        .unwrap()
                        .push((e.file_name().to_string_lossy().to_string(), len));
                }
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        })
    };
    let big: Vec<u8> = (0..24_000_000u32).map(|i| (i % 251) as u8).collect();
    let mut direct = ftp();
    let big_len = big.len() as u64;
    tokio::task::spawn_blocking(move || direct.put("manager", "BIG_MAILING.csv", &big).unwrap())
        .await
        .unwrap();
    let run = export(
        &store,
        &s,
        WS,
        ExportKind::Mailing,
        ExportMode::Full,
        None,
        &mut (),
    )
    .await
    .unwrap();
    stop.store(true, Ordering::SeqCst);
    watcher.join().unwrap();
    assert_eq!(run.status, ExportStatus::Delivered, "{run:#?}");
    let final_len = std::fs::metadata(outbox.join(&run.file_name))
        .unwrap()
        .len();
    let seen = seen.lock().unwrap();
    let partial: Vec<&(String, u64)> = seen
        .iter()
        .filter(|(n, len)| {
            (n == "BIG_MAILING.csv" && *len != big_len)
                || (*n == run.file_name && *len != final_len)
        })
        .collect();
    assert!(
        partial.is_empty(),
        "a final name showed a partial file: {:?}",
        &partial[..partial.len().min(5)]
    );
    assert!(
        seen.iter().any(|(n, _)| n.ends_with(".part")),
        "the upload went through a temporary name (watched {} listings)",
        seen.len()
    );
    assert_eq!(
        names(&watch),
        ["BIG_MAILING.csv".to_string(), run.file_name.clone()]
    );
    assert_eq!(
        std::fs::read(watch.join(&run.file_name)).unwrap(),
        std::fs::read(outbox.join(&run.file_name)).unwrap()
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&root);
}
