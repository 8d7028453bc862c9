//! The order the day's files are imported in, and which must wait (ATOM spec: UC001 the
//! remessa is the main file; UC002 enrichment after the day's remessa; UC004 baixa and
//! R017 acordos baixados after it; UC005 exclusão; R021 batimento only after the day's
//! remessa and acordos baixados).

use std::collections::HashSet;

use atende_collections::Kind;
use jiff::civil::Date;

/// The rank of a kind within a day: lower goes first.
pub fn rank(kind: Kind) -> u8 {
    match kind {
        Kind::Remessa => 0,
        Kind::Parcelas | Kind::Garantias | Kind::Telefones | Kind::Refin => 1,
        Kind::Baixa | Kind::AcordosBaixados => 2,
        Kind::Exclusao => 3,
        Kind::Batimento => 4,
        Kind::AcoesWhatsapp | Kind::HistoricoEmail | Kind::HistoricoSms => 5,
    }
}

/// Sorts `(name, kind, date)` by day, then rank, then name (which carries the time).
pub fn order<T>(files: &mut [(String, Kind, Date, T)]) {
    files.sort_by(|a, b| (a.2, rank(a.1), &a.0).cmp(&(b.2, rank(b.1), &b.0)));
}

/// Whether a file of `kind` for `date` may be imported now, given the `(kind, date)`
/// already imported; `Err` says what it waits for.
pub fn ready(kind: Kind, date: Date, imported: &HashSet<(Kind, Date)>) -> Result<(), String> {
    let has = |k: Kind| imported.contains(&(k, date));
    let needs_remessa = !matches!(
        kind,
        Kind::Remessa | Kind::AcoesWhatsapp | Kind::HistoricoEmail | Kind::HistoricoSms
    );
    if needs_remessa && !has(Kind::Remessa) {
        return Err(format!("waits for the remessa of {date}"));
    }
    if kind == Kind::Batimento && !has(Kind::AcordosBaixados) {
        return Err(format!("waits for the acordos baixados of {date} (R021)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remessa_first_batimento_last() {
        let d = jiff::civil::date(2026, 8, 4);
        let mut files = vec![
            ("bat".to_string(), Kind::Batimento, d, ()),
            ("parc".to_string(), Kind::Parcelas, d, ()),
            ("exc".to_string(), Kind::Exclusao, d, ()),
            ("rem".to_string(), Kind::Remessa, d, ()),
            ("acordos".to_string(), Kind::AcordosBaixados, d, ()),
            (
                "rem-yesterday".to_string(),
                Kind::Remessa,
                d.yesterday().unwrap(),
                (),
            ),
        ];
        order(&mut files);
        let names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(
            names,
            ["rem-yesterday", "rem", "parc", "acordos", "exc", "bat"]
        );
    }

    #[test]
    fn batimento_waits_for_remessa_and_acordos() {
        let d = jiff::civil::date(2026, 8, 4);
        let mut done = HashSet::new();
        assert!(ready(Kind::Parcelas, d, &done)
            .unwrap_err()
            .contains("remessa"));
        assert!(ready(Kind::HistoricoSms, d, &done).is_ok());
        done.insert((Kind::Remessa, d));
        assert!(ready(Kind::Parcelas, d, &done).is_ok());
        assert!(ready(Kind::Batimento, d, &done)
            .unwrap_err()
            .contains("acordos"));
        done.insert((Kind::AcordosBaixados, d));
        assert!(ready(Kind::Batimento, d, &done).is_ok());
        // yesterday's remessa does not open today's files
        assert!(ready(Kind::Parcelas, d.tomorrow().unwrap(), &done).is_err());
    }
}
