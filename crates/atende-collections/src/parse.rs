//! The streaming parser: one line at a time from a `BufRead`, typed values without
//! per-field allocation, bad rows reported and skipped, file-level problems fatal.

use std::fmt;
use std::io::{BufRead, Read};

use crate::layout::{header_key, Format, Layout, Record};
use crate::value::{parse_cell, Cell, Value};

/// Lines longer than this are a file error (a binary or newline-less file must not take
/// all the memory). The longest shipped record is a few thousand characters.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A row that could not be read; the rest of the file goes on.
///
/// `field` is the layout's field name (empty when the whole line is wrong, such as a bad
/// record length); `reason` is in Portuguese (it goes back to the creditor in the file's
/// `.errors.csv`), starts with where the value is (`posições 21-34` or `coluna
/// NumCpfCgc`) and never repeats a CPF or phone number.
///
/// ```
/// use atende_collections::RowError;
///
/// let e = RowError { line: 7, field: "valor_parcela".into(), reason: "posições 40-54: obrigatório mas vazio".into() };
/// assert_eq!(e.to_string(), "linha 7, campo valor_parcela: posições 40-54: obrigatório mas vazio");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1 of a delimited file).
    pub line: usize,
    /// The field (layout name), or empty for a problem with the whole line.
    pub field: String,
    /// What is wrong, in Portuguese (pt-BR).
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "linha {}: {}", self.line, self.reason)
        } else {
            write!(
                f,
                "linha {}, campo {}: {}",
                self.line, self.field, self.reason
            )
        }
    }
}

impl std::error::Error for RowError {}

/// A problem with the file as a whole: it is not a file of this layout, or it cannot be
/// read. Nothing of it should be imported. Its message is in Portuguese, like
/// [`RowError`]'s reasons.
///
/// ```
/// use atende_collections::{parse, Layouts};
///
/// let layouts = Layouts::defaults();
/// let err = parse(layouts.get("batimento").unwrap(), &b"CONTRATO;DATA\n1;2\n"[..], |_| {}).unwrap_err();
/// assert_eq!(err.line(), 1);
/// assert!(err.to_string().starts_with("linha 1: cabeçalho: faltam as colunas PRIMEIRA_PARC_AB"), "{err}");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Reading failed.
    #[error("linha {line}: {}", crate::pt::io_error(.source))]
    Io {
        /// The line being read.
        line: usize,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Delimited file without the expected header (missing or misspelt columns).
    #[error("linha {line}: cabeçalho: {reason}")]
    Header {
        /// The header's line (the first non-blank line).
        line: usize,
        /// What is missing.
        reason: String,
    },
    /// The first record's length is not the layout's (another layout, or a truncated file).
    #[error("linha {line}: tamanho do registro: esperado {expected}, encontrado {found} (o arquivo não é deste layout?)")]
    RecordLength {
        /// The line.
        line: usize,
        /// The layout's record length (and record type, in Portuguese).
        expected: String,
        /// The line's length in characters.
        found: usize,
    },
    /// The first record's type code is none of the layout's.
    #[error("linha {line}: tipo de registro {found:?} não existe no layout (tipos: {expected})")]
    RecordType {
        /// The line.
        line: usize,
        /// The code found.
        found: String,
        /// The layout's codes.
        expected: String,
    },
    /// A line longer than [`MAX_LINE_BYTES`].
    #[error("linha {line}: mais de {MAX_LINE_BYTES} bytes (não é um arquivo texto deste layout?)")]
    LineTooLong {
        /// The line.
        line: usize,
    },
}

impl FileError {
    /// The line the problem is on.
    ///
    /// ```
    /// let e = atende_collections::FileError::LineTooLong { line: 3 };
    /// assert_eq!(e.line(), 3);
    /// ```
    pub fn line(&self) -> usize {
        match self {
            FileError::Io { line, .. }
            | FileError::Header { line, .. }
            | FileError::RecordLength { line, .. }
            | FileError::RecordType { line, .. }
            | FileError::LineTooLong { line } => *line,
        }
    }
}

/// What a parse went through.
///
/// ```
/// use atende_collections::{parse, Layouts};
///
/// let layouts = Layouts::defaults();
/// let file = "CONTRATO;TELEFONE;NOME;JORNADA\n000000000001;11987654321;Ana;jornada1\n";
/// let summary = parse(layouts.get("acoes_whatsapp").unwrap(), file.as_bytes(), |_| {}).unwrap();
/// assert_eq!((summary.lines, summary.rows, summary.rejected), (2, 1, 0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Lines read, header and blank lines included.
    pub lines: usize,
    /// Rows read without error.
    pub rows: usize,
    /// Rows rejected with a [`RowError`].
    pub rejected: usize,
    /// Blank lines skipped.
    pub blank_lines: usize,
    /// Lines that were not UTF-8 and were read as Latin-1 (Windows-1252).
    pub latin1_lines: usize,
    /// Bytes read.
    pub bytes: u64,
}

/// One row read without error: its values, typed, in the order of its record's fields.
///
/// Borrowed from the parser: read what you need before asking for the next row.
///
/// ```
/// use atende_collections::{parse, Layouts, Value};
///
/// let layouts = Layouts::defaults();
/// let file = "CONTRATO;TELEFONE;NOME;JORNADA\n000000000001;(11) 98765-4321;Ana;jornada2\n";
/// parse(layouts.get("acoes_whatsapp").unwrap(), file.as_bytes(), |row| {
///     let row = row.unwrap();
///     assert_eq!(row.line, 2);
///     assert_eq!(row.get("nome_cliente"), Some(Value::Text("Ana")));
///     let Some(Value::Phone(p)) = row.get("telefone") else { panic!() };
///     assert_eq!((p.ddd(), p.national()), (Some(11), "11987654321"));
/// }).unwrap();
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    /// 1-based line number in the file.
    pub line: usize,
    /// The record-type code, for layouts with several record types.
    pub record_type: Option<&'a str>,
    record: &'a Record,
    cells: &'a [Cell],
    text: &'a str,
    scratch: &'a str,
}

impl<'a> Row<'a> {
    /// The record type this row follows (its fields name the values).
    ///
    /// ```
    /// # use atende_collections::{parse, Layouts};
    /// # let layouts = Layouts::defaults();
    /// # let file = "CONTRATO;TELEFONE;NOME;JORNADA\n000000000001;11987654321;Ana;jornada1\n";
    /// parse(layouts.get("acoes_whatsapp").unwrap(), file.as_bytes(), |row| {
    ///     assert_eq!(row.unwrap().record().fields()[3].name(), "jornada");
    /// }).unwrap();
    /// ```
    pub fn record(&self) -> &'a Record {
        self.record
    }

    /// The `i`-th value (the `i`-th field of [`Row::record`]).
    ///
    /// ```
    /// # use atende_collections::{parse, Layouts, Value};
    /// # let layouts = Layouts::defaults();
    /// # let file = "CONTRATO;TELEFONE;NOME;JORNADA\n000000000001;11987654321;Ana;jornada1\n";
    /// parse(layouts.get("acoes_whatsapp").unwrap(), file.as_bytes(), |row| {
    ///     assert_eq!(row.unwrap().value(0), Some(Value::Text("000000000001")));
    /// }).unwrap();
    /// ```
    pub fn value(&self, i: usize) -> Option<Value<'a>> {
        self.cells.get(i).map(|c| c.value(self.text, self.scratch))
    }

    /// The value of the field called `name`.
    ///
    /// ```
    /// # use atende_collections::{parse, Layouts, Value};
    /// # let layouts = Layouts::defaults();
    /// # let file = "CONTRATO;TELEFONE;NOME;JORNADA\n000000000001;11987654321;Ana;jornada1\n";
    /// parse(layouts.get("acoes_whatsapp").unwrap(), file.as_bytes(), |row| {
    ///     assert_eq!(row.unwrap().get("jornada"), Some(Value::Text("jornada1")));
    /// }).unwrap();
    /// ```
    pub fn get(&self, name: &str) -> Option<Value<'a>> {
        self.record.index_of(name).and_then(|i| self.value(i))
    }

    /// Every value, in field order.
    ///
    /// ```
    /// # use atende_collections::{parse, Layouts};
    /// # let layouts = Layouts::defaults();
    /// # let file = "CONTRATO;TELEFONE;NOME;JORNADA\n000000000001;11987654321;Ana;jornada1\n";
    /// parse(layouts.get("acoes_whatsapp").unwrap(), file.as_bytes(), |row| {
    ///     assert_eq!(row.unwrap().values().count(), 4);
    /// }).unwrap();
    /// ```
    pub fn values(&self) -> impl Iterator<Item = Value<'a>> + 'a {
        let (text, scratch) = (self.text, self.scratch);
        self.cells.iter().map(move |c| c.value(text, scratch))
    }

    /// The line as read (decoded, without the line break), e.g. to keep the original of
    /// a row a business rule refuses.
    ///
    /// ```
    /// # use atende_collections::{parse, Layouts};
    /// # let layouts = Layouts::defaults();
    /// # let file = "CONTRATO;TELEFONE;NOME;JORNADA\n000000000001;11987654321;Ana;jornada1\r\n";
    /// parse(layouts.get("acoes_whatsapp").unwrap(), file.as_bytes(), |row| {
    ///     assert_eq!(row.unwrap().text(), "000000000001;11987654321;Ana;jornada1");
    /// }).unwrap();
    /// ```
    pub fn text(&self) -> &'a str {
        self.text
    }
}

/// Reads a file of `layout` row by row, calling `on_row` with each row or row error, and
/// returns the counts; a file-level problem stops the parse with a [`FileError`].
///
/// ```
/// use atende_collections::{parse, Layouts};
///
/// let layouts = Layouts::defaults();
/// let file = "CONTRATO;TELEFONE;NOME;JORNADA\n1;11987654321;Ana;jornada1\n2;11987654321;Bia;jornada9\n";
/// let mut errors = Vec::new();
/// let summary = parse(layouts.get("acoes_whatsapp").unwrap(), file.as_bytes(), |row| {
///     if let Err(e) = row { errors.push(e) }
/// }).unwrap();
/// assert_eq!((summary.rows, summary.rejected), (1, 1));
/// assert_eq!((errors[0].line, errors[0].field.as_str()), (3, "jornada"));
/// ```
pub fn parse<R: BufRead>(
    layout: &Layout,
    reader: R,
    mut on_row: impl FnMut(Result<Row<'_>, RowError>),
) -> Result<Summary, FileError> {
    let mut parser = Parser::new(layout, reader)?;
    while let Some(item) = parser.next_row()? {
        on_row(item);
    }
    Ok(parser.summary())
}

/// The pull form of [`parse`], for callers that stop early or hand rows to something
/// asynchronous in batches.
///
/// ```
/// use atende_collections::{Layouts, Parser};
///
/// let layouts = Layouts::defaults();
/// let file = "CONTRATO;TELEFONE;NOME;JORNADA\n1;11987654321;Ana;jornada1\n";
/// let mut parser = Parser::new(layouts.get("acoes_whatsapp").unwrap(), file.as_bytes()).unwrap();
/// let mut contracts = Vec::new();
/// while let Some(row) = parser.next_row().unwrap() {
///     contracts.push(row.unwrap().value(0).unwrap().to_string());
/// }
/// assert_eq!(contracts, ["1"]);
/// assert_eq!(parser.summary().rows, 1);
/// ```
pub struct Parser<'l, R> {
    layout: &'l Layout,
    reader: R,
    /// The current line, decoded.
    text: String,
    /// A spare buffer for the Latin-1 path.
    spare: Vec<u8>,
    cells: Vec<Cell>,
    /// The multi-byte characters of the current (fixed-width) line.
    wide: Wide,
    /// Unquoted text of quoted CSV columns.
    scratch: String,
    /// Column spans of the current delimited line: (start, end, in scratch).
    cols: Vec<(u32, u32, bool)>,
    /// Delimited: the header column of each field.
    field_cols: Vec<usize>,
    header_cols: usize,
    line: usize,
    data_lines: usize,
    summary: Summary,
}

impl<'l, R: BufRead> Parser<'l, R> {
    /// Starts reading; for a delimited layout this reads and checks the header line.
    ///
    /// ```
    /// use atende_collections::{Layouts, Parser};
    ///
    /// let layouts = Layouts::defaults();
    /// assert!(Parser::new(layouts.get("telefones").unwrap(), &b""[..]).is_err());
    /// ```
    pub fn new(layout: &'l Layout, reader: R) -> Result<Self, FileError> {
        let mut p = Parser {
            layout,
            reader,
            text: String::with_capacity(4096),
            spare: Vec::new(),
            cells: Vec::with_capacity(
                layout
                    .records
                    .iter()
                    .map(|r| r.fields.len())
                    .max()
                    .unwrap_or(0),
            ),
            wide: Wide::default(),
            scratch: String::new(),
            cols: Vec::new(),
            field_cols: Vec::new(),
            header_cols: 0,
            line: 0,
            data_lines: 0,
            summary: Summary::default(),
        };
        if let Format::Delimited { separator } = layout.format {
            p.read_header(separator)?;
        }
        Ok(p)
    }

    /// The counts so far (complete once `next_row` returned `Ok(None)`).
    ///
    /// ```
    /// # use atende_collections::{Layouts, Parser};
    /// # let layouts = Layouts::defaults();
    /// let parser = Parser::new(layouts.get("parcelas").unwrap(), &b""[..]).unwrap();
    /// assert_eq!(parser.summary().rows, 0);
    /// ```
    pub fn summary(&self) -> Summary {
        self.summary
    }

    /// The next row (or row error); `Ok(None)` at the end of the file.
    ///
    /// ```
    /// # use atende_collections::{Layouts, Parser};
    /// # let layouts = Layouts::defaults();
    /// let mut parser = Parser::new(layouts.get("parcelas").unwrap(), &b"\n\n"[..]).unwrap();
    /// assert!(parser.next_row().unwrap().is_none());
    /// assert_eq!(parser.summary().blank_lines, 2);
    /// ```
    #[allow(clippy::type_complexity)]
    pub fn next_row(&mut self) -> Result<Option<Result<Row<'_>, RowError>>, FileError> {
        loop {
            if !self.read_line()? {
                return Ok(None);
            }
            if self.text.trim().is_empty() {
                self.summary.blank_lines += 1;
                continue;
            }
            self.data_lines += 1;
            let result = match self.layout.format {
                Format::Fixed { record_type } => self.fixed(record_type)?,
                Format::Delimited { separator } => self.delimited(separator),
            };
            match result {
                Ok(record) => {
                    self.summary.rows += 1;
                    return Ok(Some(Ok(Row {
                        line: self.line,
                        record_type: record.code(),
                        record,
                        cells: &self.cells,
                        text: &self.text,
                        scratch: &self.scratch,
                    })));
                }
                Err(e) => {
                    self.summary.rejected += 1;
                    return Ok(Some(Err(e)));
                }
            }
        }
    }

    /// Reads the next line into `self.text`: line break and `\r` removed, UTF-8 when
    /// valid, else Latin-1. `false` at the end of the file.
    fn read_line(&mut self) -> Result<bool, FileError> {
        let mut bytes = std::mem::take(&mut self.text).into_bytes();
        bytes.clear();
        let line = self.line + 1;
        let n = (&mut self.reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut bytes)
            .map_err(|source| FileError::Io { line, source })?;
        if n == 0 {
            self.text = String::from_utf8(bytes).unwrap_or_default();
            return Ok(false);
        }
        self.line = line;
        self.summary.lines += 1;
        self.summary.bytes += n as u64;
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
        } else if n > MAX_LINE_BYTES {
            return Err(FileError::LineTooLong { line });
        }
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        if line == 1 && bytes.starts_with(b"\xEF\xBB\xBF") {
            bytes.drain(..3);
        }
        match String::from_utf8(bytes) {
            Ok(s) => self.text = s,
            Err(e) => {
                let raw = e.into_bytes();
                let mut buf = std::mem::take(&mut self.spare);
                buf.clear();
                let mut s = String::from_utf8(buf).unwrap_or_default();
                s.reserve(raw.len() + raw.len() / 2);
                s.extend(raw.iter().map(|&b| latin1(b)));
                self.text = s;
                self.spare = raw;
                self.summary.latin1_lines += 1;
            }
        }
        Ok(true)
    }

    fn fixed(
        &mut self,
        record_type: Option<(usize, usize)>,
    ) -> Result<Result<&'l Record, RowError>, FileError> {
        let layout = self.layout;
        let text = self.text.as_str();
        let ascii = text.is_ascii();
        if !ascii {
            self.wide.index(text.as_bytes());
        }
        let wide = &self.wide;
        let chars = if ascii {
            text.len()
        } else {
            text.len() - wide.extra()
        };
        // Character position → byte offset; fields come in order, so a forward cursor
        // walks the line's few multi-byte characters once.
        let mut cursor = Cursor::default();
        let mut at = |pos: usize| {
            if ascii {
                pos
            } else {
                cursor.seek(wide, pos)
            }
        };
        let first = self.data_lines == 1;
        let line = self.line;

        let record = match record_type {
            None => &layout.records[0],
            Some((start, len)) => {
                let code = if start + len <= chars {
                    &text[at(start)..at(start + len)]
                } else {
                    ""
                };
                match layout.records.iter().find(|r| r.code() == Some(code)) {
                    Some(r) => r,
                    None => {
                        let expected = layout
                            .records
                            .iter()
                            .filter_map(Record::code)
                            .collect::<Vec<_>>()
                            .join(", ");
                        if first {
                            return Err(FileError::RecordType {
                                line,
                                found: code.to_owned(),
                                expected,
                            });
                        }
                        return Ok(Err(RowError {
                            line,
                            field: String::new(),
                            reason: format!(
                                "tipo de registro {code:?} na posição {} não existe no layout (tipos: {expected})",
                                start + 1
                            ),
                        }));
                    }
                }
            }
        };
        let expected = record.length().unwrap_or(0);
        if chars != expected {
            if first {
                let expected = match record.code() {
                    Some(code) => format!("{expected} (tipo de registro {code})"),
                    None => expected.to_string(),
                };
                return Err(FileError::RecordLength {
                    line,
                    expected,
                    found: chars,
                });
            }
            let of = record
                .code()
                .map(|c| format!(" (tipo de registro {c})"))
                .unwrap_or_default();
            return Ok(Err(RowError {
                line,
                field: String::new(),
                reason: format!("tamanho do registro: esperado {expected}{of}, encontrado {chars}"),
            }));
        }
        self.cells.clear();
        for f in &record.fields {
            let start = f.start();
            let end = start + f.length().unwrap_or(0);
            let (bs, be) = (at(start), at(end));
            let cell = match parse_cell(&f.ty, &text[bs..be], bs, false) {
                Ok(c) => c,
                Err(reason) => {
                    return Ok(Err(RowError {
                        line,
                        field: f.name().to_owned(),
                        reason: format!("posições {}-{end}: {reason}", start + 1),
                    }))
                }
            };
            if f.required() && matches!(cell, Cell::Empty) {
                return Ok(Err(RowError {
                    line,
                    field: f.name().to_owned(),
                    reason: format!("posições {}-{end}: obrigatório mas vazio", start + 1),
                }));
            }
            self.cells.push(cell);
        }
        Ok(Ok(record))
    }

    fn read_header(&mut self, separator: u8) -> Result<(), FileError> {
        loop {
            if !self.read_line()? {
                return Err(FileError::Header {
                    line: self.line.max(1),
                    reason: "arquivo vazio, sem a linha de cabeçalho".into(),
                });
            }
            if self.text.trim().is_empty() {
                self.summary.blank_lines += 1;
                continue;
            }
            break;
        }
        split(&self.text, separator, &mut self.cols, &mut self.scratch);
        let titles: Vec<String> = self
            .cols
            .iter()
            .map(|&(s, e, q)| {
                let src = if q { &self.scratch } else { &self.text };
                src[s as usize..e as usize].to_owned()
            })
            .collect();
        let keys: Vec<String> = titles.iter().map(|t| header_key(t)).collect();
        let record = &self.layout.records[0];
        let mut missing = Vec::new();
        self.field_cols.clear();
        for f in &record.fields {
            match keys.iter().position(|k| *k == f.column_key) {
                Some(i) => self.field_cols.push(i),
                None => missing.push(f.column().unwrap_or(f.name()).to_owned()),
            }
        }
        if !missing.is_empty() {
            let which = if missing.len() > 1 {
                "faltam as colunas"
            } else {
                "falta a coluna"
            };
            return Err(FileError::Header {
                line: self.line,
                reason: format!(
                    "{which} {} (o cabeçalho tem: {})",
                    missing.join(", "),
                    titles.join(&*char::from(separator).to_string())
                ),
            });
        }
        self.header_cols = self.cols.len();
        Ok(())
    }

    fn delimited(&mut self, separator: u8) -> Result<&'l Record, RowError> {
        let record = &self.layout.records[0];
        let line = self.line;
        split(&self.text, separator, &mut self.cols, &mut self.scratch);
        let n = self.cols.len();
        let extra_filled = self.cols[self.header_cols.min(n)..]
            .iter()
            .any(|&(s, e, q)| {
                let src = if q { &self.scratch } else { &self.text };
                !src[s as usize..e as usize].trim().is_empty()
            });
        if n < self.header_cols || extra_filled {
            return Err(RowError {
                line,
                field: String::new(),
                reason: format!("{n} colunas, o cabeçalho tem {}", self.header_cols),
            });
        }
        self.cells.clear();
        for (f, &col) in record.fields.iter().zip(&self.field_cols) {
            let (s, e, q) = self.cols[col];
            let src = if q { &self.scratch } else { &self.text };
            let raw = &src[s as usize..e as usize];
            let column = f.column().unwrap_or(f.name());
            let cell = parse_cell(&f.ty, raw, s as usize, q).map_err(|reason| RowError {
                line,
                field: f.name().to_owned(),
                reason: format!("coluna {column}: {reason}"),
            })?;
            if let (Cell::Text { start, end, .. }, Some(max)) = (cell, f.length()) {
                let len = src[start as usize..end as usize].chars().count();
                if len > max {
                    return Err(RowError {
                        line,
                        field: f.name().to_owned(),
                        reason: format!("coluna {column}: {len} caracteres, o máximo é {max}"),
                    });
                }
            }
            if f.required() && matches!(cell, Cell::Empty) {
                return Err(RowError {
                    line,
                    field: f.name().to_owned(),
                    reason: format!("coluna {column}: obrigatório mas vazio"),
                });
            }
            self.cells.push(cell);
        }
        Ok(record)
    }
}

/// The multi-byte characters of a non-ASCII line: for each, its character position and
/// the extra bytes (beyond one per character) up to and including it. Built once per
/// line; a character position then maps to its byte offset with a forward cursor.
#[derive(Default)]
struct Wide {
    chars: Vec<(u32, u32)>,
}

impl Wide {
    fn index(&mut self, b: &[u8]) {
        self.chars.clear();
        let mut i = 0;
        let mut extra = 0usize;
        while let Some(at) = next_non_ascii(b, i) {
            let len = match b[at] {
                0xF0.. => 4,
                0xE0.. => 3,
                _ => 2,
            };
            extra += len - 1;
            self.chars
                .push(((at + len - extra - 1) as u32, extra as u32));
            i = at + len;
        }
    }

    /// Extra bytes in total (line length in characters = bytes − this).
    fn extra(&self) -> usize {
        self.chars.last().map_or(0, |&(_, e)| e as usize)
    }
}

/// A forward cursor over [`Wide`]: the byte offset of a character position.
#[derive(Default)]
struct Cursor {
    /// Wide characters before the last position asked for.
    k: usize,
    last: usize,
}

impl Cursor {
    fn seek(&mut self, wide: &Wide, pos: usize) -> usize {
        if pos < self.last {
            self.k = 0;
        }
        self.last = pos;
        let w = &wide.chars;
        while self.k < w.len() && (w[self.k].0 as usize) < pos {
            self.k += 1;
        }
        pos + if self.k == 0 {
            0
        } else {
            w[self.k - 1].1 as usize
        }
    }
}

/// The index of the first byte ≥ 0x80 from `from`, eight bytes at a time.
fn next_non_ascii(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 8 <= b.len() {
        let word = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        if word & 0x8080_8080_8080_8080 != 0 {
            break;
        }
        i += 8;
    }
    b[i..].iter().position(|&c| c >= 0x80).map(|p| i + p)
}

/// Splits a delimited line into column spans. Quoted columns (`"a;b"`, `"say ""hi"""`)
/// are unquoted into `scratch`; others point into the line.
fn split(text: &str, sep: u8, cols: &mut Vec<(u32, u32, bool)>, scratch: &mut String) {
    cols.clear();
    scratch.clear();
    let b = text.as_bytes();
    if !b.contains(&b'"') {
        let mut start = 0;
        for (i, &c) in b.iter().enumerate() {
            if c == sep {
                cols.push((start as u32, i as u32, false));
                start = i + 1;
            }
        }
        cols.push((start as u32, b.len() as u32, false));
        return;
    }
    let mut i = 0;
    loop {
        // Skip spaces before a quote: `; "x"`.
        let mut j = i;
        while j < b.len() && b[j] == b' ' {
            j += 1;
        }
        if j < b.len() && b[j] == b'"' {
            let s0 = scratch.len();
            let mut k = j + 1;
            let mut seg = k;
            loop {
                match b[k..].iter().position(|&c| c == b'"') {
                    None => {
                        // Unterminated: take the rest as is.
                        scratch.push_str(&text[seg..]);
                        k = b.len();
                        break;
                    }
                    Some(p) => {
                        let q = k + p;
                        scratch.push_str(&text[seg..q]);
                        if b.get(q + 1) == Some(&b'"') {
                            scratch.push('"');
                            k = q + 2;
                            seg = k;
                        } else {
                            k = q + 1;
                            break;
                        }
                    }
                }
            }
            cols.push((s0 as u32, scratch.len() as u32, true));
            // Anything between the closing quote and the separator is dropped.
            match b[k.min(b.len())..].iter().position(|&c| c == sep) {
                Some(p) => i = k + p + 1,
                None => return,
            }
        } else {
            match b[i..].iter().position(|&c| c == sep) {
                Some(p) => {
                    cols.push((i as u32, (i + p) as u32, false));
                    i += p + 1;
                }
                None => {
                    cols.push((i as u32, b.len() as u32, false));
                    return;
                }
            }
        }
    }
}

/// Latin-1, with Windows-1252's printable characters in 0x80–0x9F (what Brazilian
/// systems usually mean by "ANSI").
fn latin1(b: u8) -> char {
    const CP1252: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => CP1252[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Layout;

    fn cols(text: &str) -> Vec<String> {
        let mut c = Vec::new();
        let mut s = String::new();
        split(text, b';', &mut c, &mut s);
        c.iter()
            .map(|&(a, b, q)| {
                let src = if q { &s } else { text };
                src[a as usize..b as usize].to_owned()
            })
            .collect()
    }

    #[test]
    fn splits_and_unquotes() {
        assert_eq!(cols("a;b;;c"), ["a", "b", "", "c"]);
        assert_eq!(cols("a;"), ["a", ""]);
        assert_eq!(cols(r#""a;b";c"#), ["a;b", "c"]);
        assert_eq!(cols(r#"x; "say ""hi""" ;z"#), ["x", r#"say "hi""#, "z"]);
        assert_eq!(cols(r#"x;"open"#), ["x", "open"]);
        assert_eq!(cols(r#"a"b;c"#), [r#"a"b"#, "c"]);
    }

    #[test]
    fn character_positions_of_utf8_lines() {
        let text = "aé€b𝄞c";
        let mut wide = Wide::default();
        wide.index(text.as_bytes());
        assert_eq!(text.len() - wide.extra(), text.chars().count());
        let mut cursor = Cursor::default();
        let expected: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .collect();
        for (pos, &byte) in expected.iter().enumerate() {
            assert_eq!(cursor.seek(&wide, pos), byte, "position {pos}");
        }
        assert_eq!(cursor.seek(&wide, 1), 1, "going back restarts");
        let long = format!("{}ção{}ã", "x".repeat(20), "y".repeat(9));
        wide.index(long.as_bytes());
        let mut cursor = Cursor::default();
        for (pos, (byte, _)) in long.char_indices().enumerate() {
            assert_eq!(cursor.seek(&wide, pos), byte);
        }
    }

    #[test]
    fn latin1_table() {
        assert_eq!(latin1(0xE7), 'ç');
        assert_eq!(latin1(0xC3), 'Ã');
        assert_eq!(latin1(0x80), '€');
        assert_eq!(latin1(b'A'), 'A');
    }

    const FIXED: &str = r#"
        name = "t"
        kind = "exclusao"
        file_names = ["<AAAAMMDD>_x.txt"]
        format = { type = "fixed", record_type = { start = 1, length = 1 } }
        [[records]]
        code = "1"
        fields = [
          { name = "tipo", length = 1 },
          { name = "nome", length = 6, required = true },
          { name = "valor", length = 5, type = "decimal", decimals = 2 },
        ]
        [[records]]
        code = "2"
        fields = [{ name = "tipo", length = 1 }, { name = "data", length = 8, type = "date", pattern = "DDMMAAAA" }]
    "#;

    fn run(layout: &Layout, input: &[u8]) -> Result<(Vec<String>, Summary), FileError> {
        let mut out = Vec::new();
        let s = parse(layout, input, |r| {
            out.push(match r {
                Ok(row) => format!(
                    "{}:{}:{}",
                    row.line,
                    row.record_type.unwrap_or("-"),
                    row.values()
                        .map(|v| v.to_string())
                        .collect::<Vec<_>>()
                        .join("|")
                ),
                Err(e) => e.to_string(),
            })
        })?;
        Ok((out, s))
    }

    #[test]
    fn fixed_width_with_record_types_and_encodings() {
        let l = Layout::from_toml(FIXED).unwrap();
        let mut input = b"1JOSE  01234\r\n204082023\n\n1".to_vec();
        // Latin-1 "JOÃO" (Ã = 0xC3) keeps one byte per character.
        input.extend_from_slice(b"JO\xC3O  00100\n1CONCEI\xC3\n");
        input.extend_from_slice("1JOÃO  00100\n".as_bytes());
        input.extend_from_slice(b"3\n1      00100\n1MARIA 0x100\n");
        let (rows, s) = run(&l, &input).unwrap();
        assert_eq!(
            rows,
            [
                "1:1:1|JOSE|12.34",
                "2:2:2|2023-08-04",
                "4:1:1|JOÃO|1.00",
                "linha 5: tamanho do registro: esperado 12 (tipo de registro 1), encontrado 8",
                "6:1:1|JOÃO|1.00",
                "linha 7: tipo de registro \"3\" na posição 1 não existe no layout (tipos: 1, 2)",
                "linha 8, campo nome: posições 2-7: obrigatório mas vazio",
                "linha 9, campo valor: posições 8-12: não é um valor numérico (dígitos com 2 casas decimais implícitas): \"0x100\"",
            ]
        );
        assert_eq!(
            s,
            Summary {
                lines: 9,
                rows: 4,
                rejected: 4,
                blank_lines: 1,
                latin1_lines: 2,
                bytes: input.len() as u64,
            }
        );
    }

    #[test]
    fn first_line_decides_the_file() {
        let l = Layout::from_toml(FIXED).unwrap();
        let e = run(&l, b"\n1JOSE 01234\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "linha 2: tamanho do registro: esperado 12 (tipo de registro 1), encontrado 11 (o arquivo não é deste layout?)"
        );
        let e = run(&l, b"9JOSE  01234\n").unwrap_err();
        assert_eq!(e.line(), 1);
        assert!(matches!(e, FileError::RecordType { .. }));
    }

    #[test]
    fn long_lines_are_refused() {
        let l = Layout::from_toml(FIXED).unwrap();
        let big = vec![b'1'; MAX_LINE_BYTES + 10];
        assert!(matches!(
            run(&l, &big).unwrap_err(),
            FileError::LineTooLong { line: 1 }
        ));
    }

    const CSV: &str = r#"
        name = "c"
        kind = "batimento"
        file_names = ["<AAAAMMDD>.csv"]
        format = { type = "delimited" }
        key = ["contrato"]
        fields = [
          { name = "contrato", column = "CONTRATO" },
          { name = "valor", column = "Vlr Movt", type = "decimal" },
          { name = "nome", column = "NomeCliente", length = 6 },
        ]
    "#;

    #[test]
    fn delimited_by_header_names() {
        let l = Layout::from_toml(CSV).unwrap();
        let input = "\u{feff}NOMECLIENTE ;vlr_movt;Extra;CONTRATO\n\
                     Ana;1.234,50;x;C1\n\
                     \"Bia; B\";0,5;;C2;\n\
                     Caio;2;;\n\
                     Dora;2;;C4;;5\n\
                     Eduarda;2;;C5\n\
                     Fê;1.5;;C6\n";
        let (rows, s) = run(&l, input.as_bytes()).unwrap();
        assert_eq!(
            rows,
            [
                "2:-:C1|1234.50|Ana",
                "3:-:C2|0.5|Bia; B",
                "linha 4, campo contrato: coluna CONTRATO: obrigatório mas vazio",
                "linha 5: 6 colunas, o cabeçalho tem 4",
                "linha 6, campo nome: coluna NomeCliente: 7 caracteres, o máximo é 6",
                "linha 7, campo valor: coluna Vlr Movt: não é um valor numérico (separador decimal ','): \"1.5\"",
            ]
        );
        assert_eq!((s.rows, s.rejected, s.lines), (2, 4, 7));

        let e = run(&l, b"CONTRATO;VALOR\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "linha 1: cabeçalho: faltam as colunas Vlr Movt, NomeCliente (o cabeçalho tem: CONTRATO;VALOR)"
        );
        let e = run(&l, b"\n\n").unwrap_err();
        assert!(matches!(e, FileError::Header { line: 2, .. }), "{e}");
    }
}
