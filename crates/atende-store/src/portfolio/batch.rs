//! Placeholders for the generated multi-row statements of the bulk paths, and the bulk
//! rows parameter ([`JsonRows`]) that carries a whole chunk of rows in one value.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::push_json_string;
use crate::Backend;

/// Numbers placeholders in the order they are written into the SQL, which must be the
/// order the values are bound in: `$1, $2, …` on PostgreSQL, `?` on SQLite. SQLite
/// resolves each named parameter (`$7`) by scanning the statement's list of names while
/// binding, which makes a 500-row statement quadratic (4,000 values: 62k rows/s with
/// `$n` against 570k with `?` in a debug build).
pub(super) struct Params {
    backend: Backend,
    count: usize,
}

impl Params {
    pub(super) fn new(backend: Backend) -> Params {
        Params { backend, count: 0 }
    }

    /// The next placeholder.
    pub(super) fn next(&mut self) -> String {
        self.count += 1;
        match self.backend {
            Backend::Postgres => format!("${}", self.count),
            Backend::Sqlite => "?".into(),
        }
    }

    /// `n` placeholders separated by commas.
    pub(super) fn list(&mut self, n: usize) -> String {
        (0..n).map(|_| self.next()).collect::<Vec<_>>().join(", ")
    }

    /// `rows` parenthesised rows of `columns` placeholders, for `VALUES`.
    pub(super) fn rows(&mut self, rows: usize, columns: usize) -> String {
        (0..rows)
            .map(|_| format!("({})", self.list(columns)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A generated multi-row statement, built once per statement, backend and number of rows
/// and then reused: a 500-row `VALUES` list is kilobytes of placeholders, and building it
/// for every batch took a sixth of the importing task's time (perf, 1M parcelas rows).
/// `name` must tell apart every statement `build` can write for a given shape.
pub(super) fn statement(
    name: &'static str,
    backend: Backend,
    rows: usize,
    build: impl FnOnce(&mut Params) -> String,
) -> Arc<str> {
    type Cache = Mutex<HashMap<(&'static str, Backend, usize), Arc<str>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let key = (name, backend, rows);
    if let Some(sql) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return sql.clone();
    }
    let sql: Arc<str> = build(&mut Params::new(backend)).into();
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, sql.clone());
    sql
}

/// Sizes to cut `n` rows into: `max` while that many are left, then powers of two, so
/// that however callers slice their rows, a statement has one of few shapes and stays in
/// the connection's statement cache.
pub(super) fn shapes(mut n: usize, max: usize) -> Vec<usize> {
    let mut sizes = Vec::new();
    while n >= max {
        sizes.push(max);
        n -= max;
    }
    let mut p = max.next_power_of_two();
    while n > 0 {
        while p > n {
            p /= 2;
        }
        sizes.push(p);
        n -= p;
    }
    sizes
}

/// `items` cut by [`shapes`].
pub(super) fn pieces<T>(items: &[T], max: usize) -> Vec<&[T]> {
    let mut at = 0;
    shapes(items.len(), max)
        .into_iter()
        .map(|n| {
            at += n;
            &items[at - n..at]
        })
        .collect()
}

/// Many rows bound as one TEXT parameter: a JSON array of arrays, expanded back into
/// rows by the database ([`JsonRows::from_item`]; `r.value->>N` is column N as text,
/// `CAST(… AS BIGINT)` makes it a number, JSON `null` is NULL). One value per chunk
/// instead of one per cell: sqlx copies every bound value, and PostgreSQL plans a
/// `VALUES` list of thousands of parameters for each statement (a 200,000-row parcelas
/// import: 8.3 s with `VALUES` of 500 rows, 1.8 s this way). Not for the installments
/// themselves on SQLite: there expanding the parameter (`json_each`, then `->>` parsing
/// each row's array again) was half of the database's work on 1M parcelas rows, and a
/// cached `VALUES` statement ([`statement`]) took the import from 7.0 to 4.5 s. Not for
/// rows carrying kilobytes of JSON text (a remessa's `extra`): escaped inside the
/// parameter and parsed again, they made both backends slower (see the module's speed
/// notes).
pub(super) struct JsonRows {
    text: String,
    rows: usize,
}

/// A cell of a [`JsonRows`] row.
pub(super) enum Cell<'a> {
    Text(&'a str),
    Int(i64),
    Null,
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(s: &'a str) -> Self {
        Cell::Text(s)
    }
}

impl<'a> From<&'a String> for Cell<'a> {
    fn from(s: &'a String) -> Self {
        Cell::Text(s)
    }
}

impl From<i64> for Cell<'_> {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}

impl<'a, T: Into<Cell<'a>>> From<Option<T>> for Cell<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Null, Into::into)
    }
}

impl JsonRows {
    pub(super) fn new() -> JsonRows {
        JsonRows {
            text: String::from("["),
            rows: 0,
        }
    }

    /// Appends a row; every row of a parameter has the same cells in the same order.
    pub(super) fn push(&mut self, cells: &[Cell<'_>]) {
        use std::fmt::Write;
        if self.rows > 0 {
            self.text.push(',');
        }
        self.rows += 1;
        self.text.push('[');
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            match cell {
                Cell::Text(s) => push_json_string(&mut self.text, s),
                Cell::Int(n) => {
                    let _ = write!(self.text, "{n}");
                }
                Cell::Null => self.text.push_str("null"),
            }
        }
        self.text.push(']');
    }

    /// The text to bind.
    pub(super) fn finish(mut self) -> String {
        self.text.push(']');
        self.text
    }

    /// The `FROM` item that expands the parameter `param` into rows named `alias`, each
    /// with a column `value` (the row's JSON array): PostgreSQL's `jsonb_array_elements`
    /// (jsonb: `->>` then indexes the parsed array, where on `json` it re-scans the text
    /// for every column, 4 times slower), SQLite's `json_each`.
    pub(super) fn from_item(backend: Backend, param: &str, alias: &str) -> String {
        match backend {
            Backend::Postgres => {
                format!("jsonb_array_elements(CAST({param} AS jsonb)) AS {alias}(value)")
            }
            Backend::Sqlite => format!("json_each({param}) AS {alias}"),
        }
    }

    /// `IN (…)` over the first column of the parameter `param`, for an indexed column: on
    /// PostgreSQL `= ANY (ARRAY(…))`, which is always an index probe per value, where an
    /// `IN (SELECT …)` is a join whose plan goes by the table's statistics (stale in the
    /// middle of a file: a whole-workspace scan per chunk).
    pub(super) fn in_first_column(backend: Backend, param: &str) -> String {
        let list = format!(
            "SELECT k.value->>0 FROM {}",
            JsonRows::from_item(backend, param, "k")
        );
        match backend {
            Backend::Postgres => format!("= ANY (ARRAY({list}))"),
            Backend::Sqlite => format!("IN ({list})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_shapes() {
        assert_eq!(shapes(1234, 500), [500, 500, 128, 64, 32, 8, 2]);
        assert_eq!(shapes(500, 500), [500]);
        assert_eq!(shapes(0, 500), Vec::<usize>::new());
        assert_eq!(shapes(3, 500), [2, 1]);
        assert_eq!(pieces(&[1, 2, 3], 2), [&[1, 2][..], &[3][..]]);
    }

    #[test]
    fn json_rows_are_json_arrays_of_the_cells() {
        let tricky = "aspas \" barra \\ nova\nlinha\ttab \u{1}\u{7f} ção € 😀";
        let mut rows = JsonRows::new();
        rows.push(&[tricky.into(), 5.into(), Cell::Null]);
        rows.push(&["".into(), i64::MIN.into(), Some(i64::MAX).into()]);
        let text = rows.finish();
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!([[tricky, 5, null], ["", i64::MIN, i64::MAX]])
        );
        assert_eq!(JsonRows::new().finish(), "[]");
    }

    #[test]
    fn placeholders_follow_the_text() {
        let mut p = Params::new(Backend::Postgres);
        assert_eq!(p.next(), "$1");
        assert_eq!(p.rows(2, 2), "($2, $3), ($4, $5)");
        assert_eq!(p.list(0), "");
        let mut p = Params::new(Backend::Sqlite);
        assert_eq!(p.list(3), "?, ?, ?");
    }
}
