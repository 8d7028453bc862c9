//! Ingestion throughput of the collections hub (issue 6, item 7): a generated
//! 1,000,000-row parcelas file and a 200,000-row remessa (280 fields) imported with
//! `atende_ingest::import_file` into a fresh SQLite file and, when
//! `ATENDE_TEST_POSTGRES_URL` is set, a fresh PostgreSQL database; beside each, the
//! database's own bulk loader on the same rows in the same run: `sqlite3 DB ".import --csv"`
//! and `psql -c "COPY … FROM STDIN (FORMAT csv)"`, each a subprocess loading the rows as CSV
//! (one column per field, trimmed) into a plain table without indexes. Target: our rows/s
//! at least 50% of the loader's.
//!
//! Not criterion: one import of a million rows takes tens of seconds, so every figure is
//! **one timed run** (wall clock, file already in memory for ours and on disk for the
//! loader, from the start of the call or the subprocess to its end, commit included).
//! Expect a few percent of noise between runs. No assertion on speed; the rows imported
//! are checked.
//!
//! - `ATENDE_BENCH_ONLY=sqlite|postgres`: one backend only.
//! - `ATENDE_BENCH_PARCELAS_ROWS` / `ATENDE_BENCH_REMESSA_ROWS`: sizes (defaults 1,000,000
//!   and 200,000) for quick runs.
//! - The parcelas rows belong to contracts `0..K` of the seed (1 to 7 rows each, K ≈ 22% of
//!   the rows); the remessa covers contracts `0..R`. When K > R the missing contracts are
//!   loaded first by an untimed top-up remessa (lines `R..K` of the same seed), so every
//!   parcelas row finds its contract.
//! - Columns: `parse` is our parsing alone, `parse+map` with the mapping to records (no
//!   database); the rest of `ours` is the store's work; MB are 10^6 bytes of the fixed-width file (the
//!   loader's CSV is smaller: trimmed fields).
//!
//! Run: `cargo bench -p atende-bench --bench ingest`.

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use atende_collections::{sample, Kind, Layout, Layouts, Parser};
use atende_ingest::{import_file, FileOutcome, FileReport};
use atende_store::Store;
use jiff::civil::{date, Date};

const SEED: u64 = 1;
const WS: &str = "bench";
const PORTFOLIO: &str = "528";

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

fn env_rows(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .replace(['_', ','], "")
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number of rows, got {v:?}")),
        Err(_) => default,
    }
}

/// One generated file: its name as the creditor sends it, and its bytes.
struct File {
    layout: &'static str,
    name: String,
    bytes: Vec<u8>,
    rows: usize,
    /// The same rows as CSV, one column per field, for the bulk loaders.
    csv: PathBuf,
    columns: usize,
}

fn generate(layouts: &Layouts, layout: &'static str, rows: usize, hour: i8, dir: &Path) -> File {
    let l = layouts.get(layout).expect("shipped layout");
    let name = l.file_name(today().at(hour, 0, 0, 0), PORTFOLIO);
    let bytes = sample(l, rows, SEED, today()).to_bytes();
    let csv = dir.join(format!("{layout}.csv"));
    let columns = write_csv(l, &bytes, &csv);
    File {
        layout,
        name,
        bytes,
        rows,
        csv,
        columns,
    }
}

/// The fixed-width rows as CSV: each field's characters, trimmed, quoted when needed.
fn write_csv(layout: &Layout, bytes: &[u8], path: &Path) -> usize {
    let fields: Vec<(usize, usize)> = layout.records()[0]
        .fields()
        .iter()
        .map(|f| f.position().expect("fixed-width layout"))
        .collect();
    let mut out = BufWriter::new(std::fs::File::create(path).expect("create CSV"));
    let text = std::str::from_utf8(bytes).expect("samples are UTF-8");
    let mut cell = String::new();
    let mut offsets = Vec::new();
    for line in text.lines() {
        // character offsets → byte offsets (names carry accents)
        offsets.clear();
        offsets.extend(line.char_indices().map(|(i, _)| i));
        offsets.push(line.len());
        for (n, &(start, len)) in fields.iter().enumerate() {
            let from = offsets[(start - 1).min(offsets.len() - 1)];
            let to = offsets[(start - 1 + len).min(offsets.len() - 1)];
            let value = line[from..to].trim();
            if n > 0 {
                out.write_all(b",").expect("write CSV");
            }
            if value.contains([',', '"', '\n', '\r']) {
                cell.clear();
                cell.push('"');
                cell.push_str(&value.replace('"', "\"\""));
                cell.push('"');
                out.write_all(cell.as_bytes()).expect("write CSV");
            } else {
                out.write_all(value.as_bytes()).expect("write CSV");
            }
        }
        out.write_all(b"\n").expect("write CSV");
    }
    out.flush().expect("write CSV");
    fields.len()
}

/// Contracts the parcelas file covers (its rows are grouped by contract, in order).
fn contracts_in(bytes: &[u8]) -> usize {
    let mut last: &[u8] = &[];
    let mut n = 0;
    for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let key = &line[..20.min(line.len())];
        if key != last {
            n += 1;
            last = key;
        }
    }
    n
}

/// Our parsing alone, and parsing with the mapping to records, for the breakdown (no
/// database): `(parse, parse + map)`.
fn parse_and_map(layout: &Layout, bytes: &[u8]) -> (Duration, Duration) {
    let run = |map: bool| {
        let watch = Stopwatch::start();
        let fields = atende_ingest::map::RemessaFields::new(&layout.records()[0]);
        let mut parser = Parser::new(layout, bytes).expect("sample parses");
        while let Some(row) = parser.next_row().expect("sample parses") {
            let row = row.expect("sample rows are valid");
            match (map, layout.kind()) {
                (false, _) => {
                    std::hint::black_box(&row);
                }
                (true, Kind::Remessa) => {
                    std::hint::black_box(fields.map(&row, PORTFOLIO).ok());
                }
                (true, Kind::Parcelas) => {
                    std::hint::black_box(atende_ingest::map::installment(&row));
                }
                _ => unreachable!("the bench imports remessa and parcelas"),
            }
        }
        watch.elapsed()
    };
    (run(false), run(true))
}

/// One measured line of the table.
struct Measure {
    backend: &'static str,
    file: &'static str,
    rows: usize,
    bytes: u64,
    ours: Duration,
    parse: Duration,
    parse_map: Duration,
    baseline: Option<Duration>,
    csv_bytes: u64,
    note: String,
}

fn mb(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

fn per_s(rows: usize, d: Duration) -> f64 {
    rows as f64 / d.as_secs_f64()
}

async fn import(store: &Store, layouts: &Layouts, file: &File) -> (Duration, FileReport) {
    let watch = Stopwatch::start();
    let report = import_file(store, layouts, WS, &file.name, &file.bytes, &mut ())
        .await
        .expect("import");
    let took = watch.elapsed();
    assert_eq!(report.outcome, FileOutcome::Imported, "{}", report.message);
    (took, report)
}

fn check_report(report: &FileReport, rows: usize) -> String {
    assert_eq!(report.rows_read as usize, rows, "{}", report.file_name);
    if report.rows_rejected > 0 {
        format!(
            "{} rows refused (first: {:?})",
            report.rows_rejected,
            report.errors.first()
        )
    } else {
        String::new()
    }
}

/// Runs a command, returning its wall time; panics with its stderr on failure.
fn run_timed(cmd: &mut Command, stdin: Option<&Path>) -> Duration {
    if let Some(path) = stdin {
        cmd.stdin(std::fs::File::open(path).expect("open CSV"));
    } else {
        cmd.stdin(Stdio::null());
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let watch = Stopwatch::start();
    let out = cmd.output().expect("run subprocess");
    let took = watch.elapsed();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn output(cmd: &mut Command) -> String {
    let out = cmd.stdin(Stdio::null()).output().expect("run subprocess");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn plain_table(name: &str, columns: usize) -> String {
    let mut sql = format!("CREATE TABLE {name} (");
    for c in 1..=columns {
        let _ = write!(sql, "{}c{c} TEXT", if c > 1 { ", " } else { "" });
    }
    sql.push(')');
    sql
}

fn sqlite_baseline(dir: &Path, file: &File) -> Duration {
    let db = dir.join(format!("baseline-{}.db", file.layout));
    let _ = std::fs::remove_file(&db);
    output(
        Command::new("sqlite3")
            .arg(&db)
            .arg(plain_table("t", file.columns)),
    );
    let took = run_timed(
        Command::new("sqlite3")
            .arg(&db)
            .arg(format!(".import --csv {} t", file.csv.display())),
        None,
    );
    let n: usize = output(
        Command::new("sqlite3")
            .arg(&db)
            .arg("SELECT COUNT(*) FROM t"),
    )
    .parse()
    .expect("count");
    assert_eq!(n, file.rows, "sqlite3 .import loaded every row");
    let _ = std::fs::remove_file(&db);
    took
}

fn psql(url: &str) -> Command {
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", url]);
    cmd
}

fn database_url(url: &str, db: &str) -> String {
    let (base, rest) = url.rsplit_once('/').unwrap_or((url, ""));
    let query = rest.split_once('?').map(|(_, q)| format!("?{q}"));
    format!("{base}/{db}{}", query.unwrap_or_default())
}

fn recreate_database(admin: &str, db: &str) {
    output(
        psql(admin)
            .arg("-c")
            .arg(format!("DROP DATABASE IF EXISTS {db}")),
    );
    output(psql(admin).arg("-c").arg(format!("CREATE DATABASE {db}")));
}

fn postgres_baseline(admin: &str, file: &File) -> Duration {
    let db = "atende_bench_copy";
    recreate_database(admin, db);
    let url = database_url(admin, db);
    output(psql(&url).arg("-c").arg(plain_table("t", file.columns)));
    let took = run_timed(
        psql(&url).arg("-c").arg("COPY t FROM STDIN (FORMAT csv)"),
        Some(&file.csv),
    );
    let n: usize = output(psql(&url).arg("-c").arg("SELECT COUNT(*) FROM t"))
        .parse()
        .expect("count");
    assert_eq!(n, file.rows, "COPY loaded every row");
    output(psql(admin).arg("-c").arg(format!("DROP DATABASE {db}")));
    took
}

/// Our imports into a fresh store: the remessa (timed), the top-up (not timed), the
/// parcelas (timed).
async fn ours(
    store: &Store,
    layouts: &Layouts,
    remessa: &File,
    top_up: Option<&File>,
    parcelas: &File,
) -> [(Duration, String); 2] {
    store
        .ensure_workspace(WS, "Bench")
        .await
        .expect("workspace");
    let (r_took, r) = import(store, layouts, remessa).await;
    let r_note = check_report(&r, remessa.rows);
    if let Some(top_up) = top_up {
        let (_, t) = import(store, layouts, top_up).await;
        assert_eq!(t.rows_rejected, 0, "top-up: {:?}", t.errors.first());
    }
    let (p_took, p) = import(store, layouts, parcelas).await;
    let p_note = check_report(&p, parcelas.rows);
    [(r_took, r_note), (p_took, p_note)]
}

fn print_table(measures: &[Measure]) {
    println!();
    println!(
        "{:<8} {:<9} {:>9} {:>8} | {:>9} {:>7} {:>8} {:>7} {:>10} | {:>9} {:>7} {:>8} | {:>6}",
        "backend",
        "file",
        "rows",
        "MB",
        "ours s",
        "MB/s",
        "rows/s",
        "parse",
        "parse+map",
        "loader s",
        "MB/s",
        "rows/s",
        "ours/l"
    );
    println!("{}", "-".repeat(136));
    for m in measures {
        let (base_s, base_mb, base_rows, ratio) = match m.baseline {
            Some(b) => (
                format!("{:.2}", b.as_secs_f64()),
                format!("{:.1}", mb(m.csv_bytes, b)),
                format!("{:.0}", per_s(m.rows, b)),
                format!("{:.0}%", 100.0 * b.as_secs_f64() / m.ours.as_secs_f64()),
            ),
            None => ("-".into(), "-".into(), "-".into(), "-".into()),
        };
        println!(
            "{:<8} {:<9} {:>9} {:>8.1} | {:>9.2} {:>7.1} {:>8.0} {:>6.2}s {:>9.2}s | {:>9} {:>7} {:>8} | {:>6}",
            m.backend,
            m.file,
            m.rows,
            m.bytes as f64 / 1e6,
            m.ours.as_secs_f64(),
            mb(m.bytes, m.ours),
            per_s(m.rows, m.ours),
            m.parse.as_secs_f64(),
            m.parse_map.as_secs_f64(),
            base_s,
            base_mb,
            base_rows,
            ratio,
        );
        if !m.note.is_empty() {
            println!("         note: {}", m.note);
        }
    }
    println!();
    println!(
        "ours s: import_file wall time (parse, validate, map, rules, indexes, one transaction); \
         parse, parse+map: the in-memory part alone (no database); loader: sqlite3 .import --csv / psql COPY FROM \
         STDIN of the same rows as CSV into a plain table (MB/s of the CSV); ours/l: our rows/s \
         as a share of the loader's (target >= 50%). One run each."
    );
}

fn main() {
    // as the `atende` binary does before anything else
    println!("{}", atende_malloc::tune());
    // `cargo bench` passes `--bench`; nothing to filter on
    if Command::new("sqlite3").arg("--version").output().is_err() {
        println!("SKIPPED ingest bench: the sqlite3 command-line tool is not installed");
        return;
    }
    let parcelas_rows = env_rows("ATENDE_BENCH_PARCELAS_ROWS", 1_000_000);
    let remessa_rows = env_rows("ATENDE_BENCH_REMESSA_ROWS", 200_000);
    let postgres = std::env::var("ATENDE_TEST_POSTGRES_URL").ok();
    let psql_ok = Command::new("psql").arg("--version").output().is_ok();

    let dir = std::env::temp_dir().join(format!("atende-bench-ingest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let layouts = Layouts::defaults();

    println!(
        "generating {remessa_rows} remessa rows and {parcelas_rows} parcelas rows (seed {SEED})…"
    );
    let remessa = generate(&layouts, "remessa", remessa_rows, 2, &dir);
    let parcelas = generate(&layouts, "parcelas", parcelas_rows, 3, &dir);
    let covered = contracts_in(&parcelas.bytes);
    let top_up = (covered > remessa_rows).then(|| {
        let l = layouts.get("remessa").expect("shipped layout");
        let mut bytes = Vec::new();
        for line in sample(l, covered, SEED, today()).skip(remessa_rows) {
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(b'\n');
        }
        File {
            layout: "remessa",
            name: l.file_name(today().at(2, 30, 0, 0), PORTFOLIO),
            bytes,
            rows: covered - remessa_rows,
            csv: PathBuf::new(),
            columns: 0,
        }
    });
    println!(
        "parcelas cover contracts 0..{covered}; remessa 0..{remessa_rows}{}",
        match &top_up {
            Some(t) => format!("; an untimed top-up remessa loads the other {}", t.rows),
            None => String::new(),
        }
    );
    let files = [&remessa, &parcelas];
    let parse_map: Vec<(Duration, Duration)> = files
        .iter()
        .map(|f| parse_and_map(layouts.get(f.layout).expect("layout"), &f.bytes))
        .collect();
    let csv_bytes: Vec<u64> = files
        .iter()
        .map(|f| std::fs::metadata(&f.csv).expect("CSV").len())
        .collect();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut measures = Vec::new();

    let only = std::env::var("ATENDE_BENCH_ONLY").unwrap_or_default();
    // SQLite
    if only.is_empty() || only == "sqlite" {
        println!("SQLite: sqlite3 .import baselines…");
        let baselines: Vec<Duration> = files.iter().map(|f| sqlite_baseline(&dir, f)).collect();
        println!("SQLite: import_file…");
        let db = dir.join("atende.db");
        let results = runtime.block_on(async {
            let store = Store::open(&format!("sqlite://{}", db.display()))
                .await
                .expect("open SQLite");
            let r = ours(&store, &layouts, &remessa, top_up.as_ref(), &parcelas).await;
            store.pool().close().await;
            r
        });
        for (i, (f, (took, note))) in files.iter().zip(results).enumerate() {
            measures.push(Measure {
                backend: "SQLite",
                file: f.layout,
                rows: f.rows,
                bytes: f.bytes.len() as u64,
                ours: took,
                parse: parse_map[i].0,
                parse_map: parse_map[i].1,
                baseline: Some(baselines[i]),
                csv_bytes: csv_bytes[i],
                note,
            });
        }
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
    }

    // PostgreSQL
    let postgres = postgres.filter(|_| only.is_empty() || only == "postgres");
    match (&postgres, psql_ok) {
        (None, _) => {
            println!("SKIPPED PostgreSQL: ATENDE_TEST_POSTGRES_URL is not set");
        }
        (Some(_), false) => {
            println!("SKIPPED PostgreSQL: the psql command-line tool is not installed");
        }
        (Some(admin), true) => {
            println!("PostgreSQL: COPY baselines…");
            let baselines: Vec<Duration> =
                files.iter().map(|f| postgres_baseline(admin, f)).collect();
            println!("PostgreSQL: import_file…");
            let db = "atende_bench_ingest";
            recreate_database(admin, db);
            let results = runtime.block_on(async {
                let store = Store::open(&database_url(admin, db))
                    .await
                    .expect("open PostgreSQL");
                let r = ours(&store, &layouts, &remessa, top_up.as_ref(), &parcelas).await;
                store.pool().close().await;
                r
            });
            output(psql(admin).arg("-c").arg(format!("DROP DATABASE {db}")));
            for (i, (f, (took, note))) in files.iter().zip(results).enumerate() {
                measures.push(Measure {
                    backend: "Postgres",
                    file: f.layout,
                    rows: f.rows,
                    bytes: f.bytes.len() as u64,
                    ours: took,
                    parse: parse_map[i].0,
                    parse_map: parse_map[i].1,
                    baseline: Some(baselines[i]),
                    csv_bytes: csv_bytes[i],
                    note,
                });
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    print_table(&measures);
}
