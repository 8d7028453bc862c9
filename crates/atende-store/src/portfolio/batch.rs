//! Placeholders for the generated multi-row statements of the bulk paths.

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
    fn placeholders_follow_the_text() {
        let mut p = Params::new(Backend::Postgres);
        assert_eq!(p.next(), "$1");
        assert_eq!(p.rows(2, 2), "($2, $3), ($4, $5)");
        assert_eq!(p.list(0), "");
        let mut p = Params::new(Backend::Sqlite);
        assert_eq!(p.list(3), "?, ?, ?");
    }
}
