//! The customer lookup of the collections hub (issue 7 item 1, UC009): target p99 ≤ 5 ms
//! on SQLite for a customer with 10 contracts and 200 occurrences.
//!
//! The base: a SQLite file in a temp dir with ~10,000 customers imported by
//! `atende_ingest::import_file` from generated files (remessa of 280 fields, parcelas,
//! garantias, telefones, REFIN), 10 occurrences each; and the measured customer, written
//! through the store with the same generated field contents: 10 contracts, 48
//! installments each (a whole financing plan: the generated parcelas file has 1 to 7 a
//! contract), a vehicle and a REFIN offer each, 2 remessa + 2 enrichment phones each, 2
//! acordos of 3 rows, 15 mass-action marks, 200 occurrences, 40 omnichannel events
//! (attendance payloads of ~2 KB) and 3 proposals: an answer of ~400 KB of JSON.
//!
//! Measured, first on our own sample (2,000 requests after 200 of warm-up, one at a time,
//! each timed alone; the summary line gives p50/p95/p99/max, and the process's CPU time
//! a call, which waiting for a core on a shared machine does not inflate), then by
//! criterion:
//! - `store`: `Store::customer_by_document` (one statement, decoded into the view);
//! - `http`: `GET /api/v1/collections/customers/{cpf}` through the real router served by
//!   axum on loopback, called with reqwest on a kept-alive connection: token check, the
//!   store call, JSON serialisation, the socket both ways, and the client reading the
//!   body.
//!
//! The process tunes malloc first, as `atende`'s `main` does (`atende_malloc::tune`), and
//! the summary gives the minor page faults a call. Untuned, this bench measured none,
//! while a fresh `atende serve` had ~170 a lookup: building the base frees blocks of
//! several MB, which raises glibc's own thresholds in this process only. Tuned, both
//! processes keep the same thresholds whatever they did before, so the figure holds for
//! a server just started. `ATENDE_MALLOC_TUNING=off` measures the untuned case.
//!
//! - `ATENDE_BENCH_LOOKUP_CUSTOMERS`: customers of the generated files (default 10,000).
//! - `ATENDE_BENCH_LOOKUP_INSTALLMENTS`: installments of each measured contract (48).
//! - `ATENDE_BENCH_LOOKUP_SAMPLES`: requests in our own sample (default 2,000).
//! - `ATENDE_BENCH_LOOKUP_KEEP`: keep the SQLite file (its path is printed), e.g. for
//!   `EXPLAIN QUERY PLAN`; `ATENDE_BENCH_LOOKUP_DUMP=FILE`: write one answer's body there.
//!
//! Run: `cargo bench -p atende-bench --bench lookup`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use atende_collections::{sample, Layout, Layouts, Parser, Row};
use atende_ingest::{import_file, map, FileOutcome};
use atende_store::portfolio::{
    content_hash, ChannelType, ImportContext, Installment, MassActionInfo, NewOccurrence, NewPhone,
    NewRun, RemessaRecord, RunStart,
};
use atende_store::Store;
use criterion::Criterion;
use jiff::civil::{date, Date};
use jiff::ToSpan;
use serde_json::json;

const WS: &str = "bench";
const TOKEN: &str = "bench-token-0123456789";
const PORTFOLIO: &str = "528";
/// The measured customer.
const CPF: &str = "529.982.247-25";
const CONTRACTS: usize = 10;
const OCCURRENCES: usize = 200;

fn today() -> Date {
    date(2023, 8, 4)
}

/// A wall-clock stopwatch (the one place this bench reads the clock).
struct Stopwatch(std::time::Instant);

impl Stopwatch {
    // a benchmark reads the clock by design
    #[allow(clippy::disallowed_methods)]
    fn start() -> Stopwatch {
        Stopwatch(std::time::Instant::now())
    }
    fn elapsed(&self) -> Duration {
        self.0.elapsed()
    }
}

fn env_number(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .replace(['_', ','], "")
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, got {v:?}")),
        Err(_) => default,
    }
}

/// The first `n` rows of a generated file of `layout` (seed 99), mapped by `f`.
fn mapped<T>(layout: &Layout, n: usize, mut f: impl FnMut(&Row<'_>) -> Option<T>) -> Vec<T> {
    let bytes = sample(layout, n, 99, today()).to_bytes();
    let mut parser = Parser::new(layout, &bytes[..]).expect("sample parses");
    let mut out = Vec::new();
    while let Some(row) = parser.next_row().expect("sample parses") {
        if let Some(t) = f(&row.expect("sample rows are valid")) {
            out.push(t);
        }
    }
    out
}

async fn context(store: &Store, name: &str) -> ImportContext {
    let hash = content_hash(name.as_bytes());
    let mut tx = store.begin().await.expect("begin");
    let RunStart::New(run) = tx
        .begin_run(
            WS,
            &NewRun {
                file_name: name,
                layout: "bench",
                content_hash: &hash,
                file_date: today(),
            },
            atende_store::wall_now(),
        )
        .await
        .expect("run")
    else {
        panic!("a new run")
    };
    tx.commit().await.expect("commit");
    run.context(WS, atende_store::wall_now())
}

/// The generated files of the other customers, imported as the hub imports them.
async fn import_portfolio(store: &Store, layouts: &Layouts, contracts: usize) {
    for (layout, rows) in [
        ("remessa", contracts),
        ("parcelas", contracts * 4),
        ("garantias", contracts * 3),
        ("telefones", contracts),
        ("refin", contracts),
    ] {
        let l = layouts.get(layout).expect("shipped layout");
        let name = l.file_name(today().at(6, 0, 0, 0), PORTFOLIO);
        let report = import_file(
            store,
            layouts,
            WS,
            &name,
            &sample(l, rows, 1, today()).to_bytes(),
            &mut (),
        )
        .await
        .expect("import");
        assert_eq!(report.outcome, FileOutcome::Imported, "{}", report.message);
    }
}

fn occurrence(document: &str, contract: &str, i: usize) -> NewOccurrence {
    let channel = [
        ChannelType::Phone,
        ChannelType::Whatsapp,
        ChannelType::Sms,
        ChannelType::Email,
    ][i % 4];
    NewOccurrence {
        document: document.into(),
        contract: contract.into(),
        campaign_id: "CAMPANHA-528".into(),
        result_code: format!("{}", 100 + i % 17),
        result_name: "Promessa de pagamento".into(),
        phone_worked: "11987654321".into(),
        scheduled_phone: if i.is_multiple_of(5) {
            "11987654321".into()
        } else {
            String::new()
        },
        installments: "3,4,5".into(),
        user_login: "operador.cobranca".into(),
        channel_type: Some(channel),
        notes: "Cliente informou que vai pagar na sexta-feira.".into(),
        attendance_id: uuid::Uuid::new_v4().to_string(),
        protocol: format!("2023{i:08}"),
        ticket_id: format!("T{i:06}"),
        boleto_sent_by: if i.is_multiple_of(7) {
            "email".into()
        } else {
            String::new()
        },
        source: atende_store::portfolio::occurrence_source::PORTAL.into(),
        ..NewOccurrence::default()
    }
}

/// The measured customer: generated field contents, written through the store.
async fn seed_customer(store: &Store, layouts: &Layouts, installments: i64) -> String {
    let l = |name: &str| layouts.get(name).expect("shipped layout");
    let contract = |i: usize| format!("9900000000{i:02}");
    let records: Vec<RemessaRecord> = {
        let fields = map::RemessaFields::new(&l("remessa").records()[0]);
        mapped(l("remessa"), CONTRACTS, |row| {
            fields.map(row, PORTFOLIO).ok()
        })
        .into_iter()
        .enumerate()
        .map(|(i, mut r)| {
            r.document = CPF.into();
            r.name = "Maria Aparecida da Silva".into();
            r.crm_id = None;
            r.contract = contract(i);
            r.phones.truncate(2);
            r
        })
        .collect()
    };
    assert_eq!(records.len(), CONTRACTS);
    let installment = mapped(l("parcelas"), 1, |row| Some(map::installment(row))).remove(0);
    let vehicle = mapped(l("garantias"), 3, |row| {
        (row.record_type == Some("1")).then(|| map::guarantee(row, 1))
    })
    .remove(0);
    let refin = mapped(l("refin"), 1, |row| Some(map::refin(row))).remove(0);
    let phones: Vec<Vec<NewPhone>> = mapped(l("telefones"), CONTRACTS, |row| {
        Some(map::enrichment_phones(row).into_iter().take(2).collect())
    });
    let acordo = mapped(l("acordos_baixados"), 1, |row| {
        Some(map::agreement(row, true))
    })
    .remove(0);

    let ctx = context(store, "lookup-bench-customer").await;
    let mut tx = store.begin().await.expect("begin");
    assert!(tx
        .upsert_remessa_batch(&ctx, &records)
        .await
        .expect("remessa")
        .is_empty());
    let mut rows = Vec::new();
    for i in 0..CONTRACTS {
        for n in 1..=installments {
            rows.push(Installment {
                contract: contract(i),
                number: n,
                due_date: Some(date(2020, 1, 10) + (n - 1).months()),
                ..installment.clone()
            });
        }
    }
    assert!(tx
        .put_installments(&ctx, &rows)
        .await
        .expect("installments")
        .is_empty());
    for (i, phones) in phones.iter().enumerate() {
        let mut g = vehicle.clone();
        g.contract = contract(i);
        assert!(tx
            .put_guarantee(&ctx, &g)
            .await
            .expect("guarantee")
            .is_applied());
        let mut r = refin.clone();
        r.contract = contract(i);
        assert!(tx.put_refin(&ctx, &r).await.expect("refin").is_applied());
        assert!(tx
            .add_enrichment_phones(&ctx, &contract(i), phones)
            .await
            .expect("phones")
            .is_applied());
        let (ddd, number) = (&records[i].phones[0].ddd, &records[i].phones[0].number);
        assert!(tx
            .mark_whatsapp(&ctx, &contract(i), ddd, number, "jornada1")
            .await
            .expect("mark")
            .is_applied());
    }
    for (k, i) in [(1, 3), (2, 7)] {
        for n in 1..=3 {
            let mut a = acordo.clone();
            a.contract = contract(i);
            a.agreement_no = format!("88{k:04}");
            a.installment_no = n;
            assert!(tx
                .write_off_agreement(&ctx, &a)
                .await
                .expect("acordo")
                .is_applied());
        }
    }
    for k in 0..5 {
        let info = MassActionInfo {
            protocol: format!("EM{k:06}"),
            sent_on: Some(atende_store::wall_now()),
            message: "Regularize seu contrato com desconto".into(),
        };
        assert!(tx
            .mark_email(&ctx, CPF, "maria.silva@example.com", &info)
            .await
            .expect("mark")
            .is_applied());
    }
    let document = atende_store::portfolio::normalize_document(CPF).expect("CPF");
    let start: jiff::Timestamp = "2023-01-02T12:00:00Z".parse().expect("time");
    for i in 0..OCCURRENCES {
        let at = start + (i as i64 * 7).hours();
        tx.insert_occurrence(
            WS,
            &occurrence(&document, &contract(i % CONTRACTS), i),
            &atende_store::time_text(at),
        )
        .await
        .expect("occurrence");
    }
    tx.commit().await.expect("commit");

    // what the omnichannel receiver and the portal's proposal update write (other work
    // items): rows of their tables
    let messages: Vec<_> = (0..8)
        .map(|m| json!({"id": uuid::Uuid::new_v4().to_string(), "date_entry": "2023-05-01 19:14:36", "origin": if m % 2 == 0 { "in" } else { "out" },
                        "channel": "whatsapp", "type": "text/plain", "message": "Bom dia, gostaria da segunda via do boleto.", "status": "delivered"}))
        .collect();
    let mut db = store.pool().begin().await.expect("begin");
    for i in 0..40 {
        let kind = ["attendance", "visitor", "hsm", "occurrence"][i % 4];
        let payload = json!({"webhook_type": kind, "id": format!("ev-{i}"), "protocol": format!("{i}"),
            "date_entry": "2023-05-01 19:14:36", "status": "Finalizado", "channel": "whatsapp",
            "info": {"document": document, "name": "Maria Aparecida da Silva", "phone": "11987654321"},
            "messages": if kind == "attendance" { json!(messages) } else { json!([]) }});
        sqlx::query(
            "INSERT INTO omni_events (workspace_id, event_key, webhook_type, event_id, attendance_id, payload,
                status, matched_by, document, contract, occurrence_id, attempts, received_on, matched_on)
             VALUES ($1, $2, $3, $4, $5, $6, 'matched', 'document', $7, $8, '', 1, $9, $9)",
        )
        .bind(WS)
        .bind(format!("{kind}:ev-{i}"))
        .bind(kind)
        .bind(format!("ev-{i}"))
        .bind(format!("att-{i}"))
        .bind(payload.to_string())
        .bind(&document)
        .bind(contract(i % CONTRACTS))
        .bind(atende_store::time_text(start + (i as i64 * 30).hours()))
        .execute(&mut *db)
        .await
        .expect("omni event");
    }
    for i in 0..3 {
        sqlx::query(
            "INSERT INTO proposals (workspace_id, id, contract, document, attendance_id, ticket, user_login,
                agreement_type, proposed_cents, installments_count, down_payment_cents, first_due_date,
                fields, idempotency_key, created_on)
             VALUES ($1, $2, $3, $4, 'att-1', 'T-9', 'operador.cobranca', 'Parcial', 90000, 3, 10000,
                '2023-08-15', $5, '', $6)",
        )
        .bind(WS)
        .bind(format!("proposal-{i}"))
        .bind(contract(i))
        .bind(&document)
        .bind(json!({"rndRefin": false, "negociacaoEntregaAmigavel": false, "valorHonorario": 1234, "negParcelas": [3, 4, 5]}).to_string())
        .bind(atende_store::time_text(start + (i as i64 * 100).hours()))
        .execute(&mut *db)
        .await
        .expect("proposal");
    }
    db.commit().await.expect("commit");
    document
}

/// 10 occurrences for every other customer, so the occurrence index is not tiny.
async fn other_occurrences(store: &Store, per_customer: usize) -> usize {
    let documents: Vec<(String, String)> = sqlx::query_as(
        "SELECT document, MIN(contract) FROM contracts WHERE workspace_id = $1 GROUP BY document",
    )
    .bind(WS)
    .fetch_all(store.pool())
    .await
    .expect("documents");
    let start: jiff::Timestamp = "2023-01-02T12:00:00Z".parse().expect("time");
    let mut tx = store.begin().await.expect("begin");
    for (document, contract) in &documents {
        for i in 0..per_customer {
            tx.insert_occurrence(
                WS,
                &occurrence(document, contract, i),
                &atende_store::time_text(start + (i as i64 * 11).hours()),
            )
            .await
            .expect("occurrence");
        }
    }
    tx.commit().await.expect("commit");
    documents.len()
}

/// CPU time of every thread of the process so far (Linux schedstat, nanoseconds), or
/// `None` elsewhere: on a shared machine wall times include waiting for a core, the CPU
/// time per request does not.
fn cpu_time() -> Option<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

/// The process's minor page faults so far (`/proc/self/stat`, field 10): memory the
/// allocator gave back to the kernel and asked for again shows here.
fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // the command name (field 2) may hold spaces; the fields after it cannot
    let after_name = &stat[stat.rfind(')')? + 2..];
    after_name.split_whitespace().nth(7)?.parse().ok()
}

/// Page faults per call between two [`minor_faults`] readings.
fn faults_per_call(before: Option<u64>, after: Option<u64>, calls: usize) -> String {
    match (before, after) {
        (Some(b), Some(a)) => format!("{:.0}", (a - b) as f64 / calls as f64),
        _ => "n/a".into(),
    }
}

/// CPU time per call between two [`cpu_time`] readings.
fn per_call(before: Option<Duration>, after: Option<Duration>, calls: usize) -> String {
    match (before, after) {
        (Some(b), Some(a)) => ms((a - b) / calls as u32),
        _ => "n/a".into(),
    }
}

struct Percentiles {
    p50: Duration,
    p95: Duration,
    p99: Duration,
    max: Duration,
}

fn percentiles(mut times: Vec<Duration>) -> Percentiles {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    Percentiles {
        p50: at(0.50),
        p95: at(0.95),
        p99: at(0.99),
        max: times[times.len() - 1],
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    // as the `atende` binary does before anything else
    println!("{}", atende_malloc::tune());
    let customers = env_number("ATENDE_BENCH_LOOKUP_CUSTOMERS", 10_000);
    let samples = env_number("ATENDE_BENCH_LOOKUP_SAMPLES", 2_000);
    let installments = env_number("ATENDE_BENCH_LOOKUP_INSTALLMENTS", 48) as i64;
    let dir = std::env::temp_dir().join(format!("atende-bench-lookup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("atende.db");
    let runtime = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime"),
    );

    // the base
    let layouts = Layouts::defaults();
    let watch = Stopwatch::start();
    let (store, document, other) = runtime.block_on(async {
        let store = Store::open(&format!("sqlite://{}", db.display()))
            .await
            .expect("open SQLite");
        store
            .ensure_workspace(WS, "Bench")
            .await
            .expect("workspace");
        store.add_token(WS, "bench", TOKEN).await.expect("token");
        // ~1 contract in 10 belongs to the customer of the contract before it
        import_portfolio(&store, &layouts, customers * 11 / 10).await;
        let other = other_occurrences(&store, 10).await;
        let document = seed_customer(&store, &layouts, installments).await;
        (store, document, other)
    });
    let view = runtime
        .block_on(store.customer_by_document(WS, &document))
        .expect("lookup")
        .expect("the customer");
    assert_eq!(view.contracts.len(), CONTRACTS);
    assert_eq!(view.occurrences.len(), OCCURRENCES);
    assert!(view
        .contracts
        .iter()
        .all(|c| c.installments.len() == installments as usize));
    println!(
        "base: {} customers with 10 occurrences each, plus the measured one ({} contracts, {} installments, \
         {} occurrences, {} phones, {} omnichannel events) in {:.1?}",
        other,
        view.contracts.len(),
        view.contracts
            .iter()
            .map(|c| c.installments.len())
            .sum::<usize>(),
        view.occurrences.len(),
        view.phones.len(),
        {
            let h = &view.whatsapp_history;
            h.attendances.len() + h.widget_visits.len() + h.hsm.len() + h.occurrences.len()
        },
        watch.elapsed()
    );

    // the server, on loopback
    let url = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let config = atende_server::Config {
            database_url: format!("sqlite://{}", db.display()),
            listen: addr,
            public_url: format!("http://{addr}"),
            demo: false,
            ..atende_server::Config::default()
        };
        let app = atende_server::App::new(store.clone(), config).expect("app");
        let router = atende_server::http::router(app);
        tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
        format!("http://{addr}/api/v1/collections/customers/{CPF}")
    });
    let client = reqwest::Client::new();
    let http_get = || {
        let request = client
            .get(&url)
            .header("Authorization", format!("Token {TOKEN}"));
        async move {
            let response = request.send().await.expect("request");
            assert_eq!(response.status().as_u16(), 200);
            response.bytes().await.expect("body")
        }
    };
    let body = runtime.block_on(http_get());
    if let Ok(path) = std::env::var("ATENDE_BENCH_LOOKUP_DUMP") {
        std::fs::write(path, &body).expect("dump");
    }
    let body_len = body.len();

    // our own sample: each request timed alone, one at a time
    let (store_times, store_cpu, http_times, http_cpu) = runtime.block_on(async {
        let mut store_times = Vec::with_capacity(samples);
        let mut http_times = Vec::with_capacity(samples);
        let mut cpu = None;
        let mut faults = None;
        for i in 0..samples + 200 {
            if i == 200 {
                cpu = cpu_time();
                faults = minor_faults();
            }
            let watch = Stopwatch::start();
            let v = store
                .customer_by_document(WS, &document)
                .await
                .expect("lookup");
            let took = watch.elapsed();
            black_box(v);
            if i >= 200 {
                store_times.push(took);
            }
        }
        let store_cpu = (
            per_call(cpu, cpu_time(), samples),
            faults_per_call(faults, minor_faults(), samples),
        );
        for i in 0..samples + 200 {
            if i == 200 {
                cpu = cpu_time();
                faults = minor_faults();
            }
            let watch = Stopwatch::start();
            black_box(http_get().await);
            let took = watch.elapsed();
            if i >= 200 {
                http_times.push(took);
            }
        }
        let http_cpu = (
            per_call(cpu, cpu_time(), samples),
            faults_per_call(faults, minor_faults(), samples),
        );
        (store_times, store_cpu, http_times, http_cpu)
    });
    let s = percentiles(store_times);
    let h = percentiles(http_times);
    println!(
        "lookup summary (SQLite, {samples} requests each, one at a time): \
         store p50 {} p95 {} p99 {} max {} (CPU {} and {} page faults a call) | HTTP p50 {} p95 {} \
         p99 {} max {} (CPU {} and {} page faults a call, server and client) | body {:.1} KB | \
         target p99 <= 5 ms",
        ms(s.p50),
        ms(s.p95),
        ms(s.p99),
        ms(s.max),
        store_cpu.0,
        store_cpu.1,
        ms(h.p50),
        ms(h.p95),
        ms(h.p99),
        ms(h.max),
        http_cpu.0,
        http_cpu.1,
        body_len as f64 / 1e3
    );

    // criterion's view of the same two calls
    let mut c = Criterion::default()
        .sample_size(100)
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    let mut g = c.benchmark_group("lookup");
    g.bench_function(
        "store customer_by_document (10 contracts, 200 occurrences)",
        |b| {
            b.iter(|| {
                runtime
                    .block_on(store.customer_by_document(WS, black_box(&document)))
                    .expect("lookup")
            })
        },
    );
    g.bench_function("HTTP GET customers/{document} (loopback)", |b| {
        b.iter(|| runtime.block_on(http_get()))
    });
    g.finish();
    c.final_summary();

    runtime.block_on(store.pool().close());
    if std::env::var_os("ATENDE_BENCH_LOOKUP_KEEP").is_some() {
        println!("base kept in {}", db.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
