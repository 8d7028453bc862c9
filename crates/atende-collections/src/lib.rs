//! Collections hub, the pure side of file ingestion: the creditor's remittance files
//! (the "ATOM" specification in `shared/seeds/001_*.txt`) described as data and read at
//! speed.
//!
//! - **Layouts** ([`Layout`], [`Layouts`]): one TOML file per kind of file — file-name
//!   pattern, fixed-width records or `;`-separated columns, typed fields, key — shipped in
//!   `layouts/` (documented in `layouts/README.md`) and replaceable from a folder without
//!   code changes.
//! - **Identification** ([`Layouts::identify`]): which layout a file name belongs to, and
//!   the date, time and portfolio id it carries.
//! - **Parsing** ([`parse`], [`Parser`]): streaming over any `BufRead`, typed [`Value`]s
//!   borrowed from the line (no per-field allocation), UTF-8 or Latin-1 per line; a bad
//!   row is a [`RowError`] and the parse goes on, a file that is not of the layout is a
//!   [`FileError`]. Their reasons are in Portuguese: they go back to the creditor in the
//!   file's `.errors.csv` (`layouts/README.md`, "Error lines").
//! - **Samples** ([`sample`]): synthetic, valid, deterministic files for tests, demos and
//!   benchmarks, consistent across layouts for the same seed.
//! - **Export layouts** ([`ExportLayout`], [`ExportLayouts`]): the files the hub writes
//!   for the dialer (mailing, UC003) and its write-off file (baixa, UC007), as data in
//!   `export_layouts/` (documented in `export_layouts/README.md`), with a generic writer
//!   and a reader that checks a written file against its layout.
//!
//! Pure: no clock (the sample generator takes "today"), no global state; the only I/O is
//! reading what the caller hands in ([`Layouts::load_dir`] reads a folder of layouts).
//! Persistence and business rules live in the importer on top of this crate.
//!
//! ```
//! use atende_collections::{parse, sample, Layouts};
//! use jiff::civil::date;
//!
//! let layouts = Layouts::defaults();
//! let (layout, info) = layouts.identify("20230804_021500_parc_528_out.528").unwrap();
//! assert_eq!(info.portfolio_id.as_deref(), Some("528"));
//!
//! let file = sample(layout, 100, 7, date(2023, 8, 4)).to_bytes();
//! let mut contracts = 0;
//! let summary = parse(layout, &file[..], |row| {
//!     let row = row.expect("samples are valid");
//!     if row.get("numero_parcela").is_some() { contracts += 1 }
//! }).unwrap();
//! assert_eq!((summary.rows, summary.rejected, contracts), (100, 0, 100));
//! ```

mod export;
mod layout;
mod parse;
mod pattern;
mod pt;
mod sample;
mod value;

pub use export::{
    AddressField, ContractField, CustomerField, Datum, Encoding, ExportField, ExportKind,
    ExportLayout, ExportLayouts, ExportMode, ExportRecord, ExportRow, Needs, PhoneField,
    RenderContext, RenderError, RunField, Source,
};
pub use layout::{Field, Kind, Layout, LayoutError, Layouts, Record};
pub use parse::{parse, FileError, Parser, Row, RowError, Summary, MAX_LINE_BYTES};
pub use pattern::FileInfo;
pub use sample::{sample, Sample};
pub use value::Value;

/// The CPF-or-CNPJ type of [`Value::Document`], re-exported from `atende-br`.
pub use atende_br::document::Document;
/// The phone type of [`Value::Phone`], re-exported from `atende-br`.
pub use atende_br::phone::Phone;

/// Re-exported so callers name dates with the same `jiff` version as ours.
pub use jiff;
/// Re-exported so callers name amounts with the same `rust_decimal` version as ours.
pub use rust_decimal;
