//! Every shipped layout: its sample parses back without errors (UTF-8, Latin-1, CRLF),
//! one corrupted value gives one row error on the right line and field, and a file of
//! another shape is refused as a whole. Plus file-name identification with the names the
//! specification gives, and the links between samples of the same seed.

use std::collections::{HashMap, HashSet};

use atende_collections::{parse, sample, FileError, Kind, Layout, Layouts, RowError, Value};
use jiff::civil::{date, Date};

const TODAY: Date = date(2023, 8, 4);
const ROWS: usize = 300;

/// Every row of a file as text (`line: v1|v2|…`), and the row errors.
fn read(layout: &Layout, bytes: &[u8]) -> Result<(Vec<String>, Vec<RowError>), FileError> {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let summary = parse(layout, bytes, |r| match r {
        Ok(row) => rows.push(format!(
            "{}: {}",
            row.line,
            row.values()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join("|")
        )),
        Err(e) => errors.push(e),
    })?;
    assert_eq!(summary.rows, rows.len());
    assert_eq!(summary.rejected, errors.len());
    Ok((rows, errors))
}

fn lines(layout: &Layout, rows: usize, seed: u64) -> Vec<String> {
    sample(layout, rows, seed, TODAY).collect()
}

fn join(lines: &[String]) -> Vec<u8> {
    let mut out = lines.join("\n").into_bytes();
    out.push(b'\n');
    out
}

/// The first field of the line's record with a type that "XX" cannot satisfy.
fn typed_field<'l>(layout: &'l Layout, line: &str) -> &'l atende_collections::Field {
    let record = match layout.records() {
        [only] => only,
        many => many
            .iter()
            .find(|r| line.starts_with(r.code().unwrap()))
            .unwrap(),
    };
    record
        .fields()
        .iter()
        .find(|f| !matches!(f.type_name(), "text" | "email"))
        .unwrap_or_else(|| panic!("{}: no typed field", layout.name()))
}

fn corrupt(layout: &Layout, line: &str) -> (String, String) {
    let field = typed_field(layout, line);
    let corrupted = match (layout.separator(), field.position()) {
        (None, Some((start, len))) => line
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i + 1 >= start && i + 1 < start + len {
                    'X'
                } else {
                    c
                }
            })
            .collect(),
        (Some(sep), _) => {
            let header = sample(layout, 0, 1, TODAY).next().unwrap();
            let col = header
                .split(sep)
                .position(|t| Some(t) == field.column())
                .unwrap();
            let mut cols: Vec<&str> = line.split(sep).collect();
            cols[col] = "XX";
            cols.join(&sep.to_string())
        }
        _ => unreachable!(),
    };
    (corrupted, field.name().to_owned())
}

fn check_layout(name: &str) {
    let layouts = Layouts::defaults();
    let layout = layouts.get(name).unwrap();
    let delimited = layout.separator().is_some();
    let header = usize::from(delimited);

    // Round trip.
    let file = lines(layout, ROWS, 42);
    assert_eq!(file.len(), ROWS + header);
    let bytes = join(&file);
    let (rows, errors) = read(layout, &bytes).unwrap();
    assert!(
        errors.is_empty(),
        "{name}: {:?}",
        &errors[..errors.len().min(5)]
    );
    assert_eq!(rows.len(), ROWS);
    let first_data_line = 1 + header;
    assert!(rows[0].starts_with(&format!("{first_data_line}: ")));

    // The same file in Latin-1 and with CRLF line ends reads the same values.
    let latin1: Vec<u8> = String::from_utf8(bytes.clone())
        .unwrap()
        .chars()
        .map(|c| u8::try_from(u32::from(c)).expect("sample text is Latin-1"))
        .collect();
    assert_eq!(read(layout, &latin1).unwrap(), (rows.clone(), vec![]));
    let crlf = String::from_utf8(bytes.clone())
        .unwrap()
        .replace('\n', "\r\n");
    assert_eq!(
        read(layout, crlf.as_bytes()).unwrap(),
        (rows.clone(), vec![])
    );

    // One corrupted value: one row error, on its line and field; the rest goes on.
    let mut bad = file.clone();
    let k = 2 + header; // third data row
    let (corrupted, field) = corrupt(layout, &bad[k]);
    bad[k] = corrupted;
    let (rows2, errors) = read(layout, &join(&bad)).unwrap();
    assert_eq!(errors.len(), 1, "{name}: {errors:?}");
    assert_eq!(
        (errors[0].line, errors[0].field.as_str()),
        (k + 1, field.as_str())
    );
    // in Portuguese, saying where the value is
    let at = if delimited { "coluna " } else { "posições " };
    assert!(errors[0].reason.starts_with(at), "{name}: {}", errors[0]);
    assert_eq!(rows2.len(), ROWS - 1);

    // A file of another shape is refused on its first line.
    let mut wrong = file.clone();
    if delimited {
        wrong[0] = wrong[0].replacen(layout.records()[0].fields()[0].column().unwrap(), "XYZ", 1);
        let e = read(layout, &join(&wrong)).unwrap_err();
        assert!(
            matches!(e, FileError::Header { line: 1, .. }),
            "{name}: {e}"
        );
        let e = read(layout, &join(&file[1..])).unwrap_err();
        assert!(
            matches!(e, FileError::Header { line: 1, .. }),
            "{name}: {e}"
        );
    } else {
        wrong[0].pop();
        let e = read(layout, &join(&wrong)).unwrap_err();
        assert!(
            matches!(e, FileError::RecordLength { line: 1, .. }),
            "{name}: {e}"
        );
    }
    // A file of every other layout is refused too (never half-read as this one).
    for other in layouts.iter().filter(|o| o.name() != name) {
        let foreign = join(&lines(other, 5, 1));
        match read(layout, &foreign) {
            Err(_) => {}
            Ok((rows, _)) => assert!(
                rows.is_empty(),
                "{name} accepted rows of {}: {rows:?}",
                other.name()
            ),
        }
    }

    // Its file names are recognised, with their date and portfolio.
    let at = TODAY.at(2, 15, 30, 0);
    let file_name = layout.file_name(at, "528");
    let (found, info) = layouts.identify(&file_name).unwrap();
    assert_eq!(found.name(), name, "{file_name}");
    assert_eq!(info.date, TODAY);
}

#[test]
fn remessa() {
    check_layout("remessa");
}

#[test]
fn parcelas() {
    check_layout("parcelas");
}

#[test]
fn garantias() {
    check_layout("garantias");
}

#[test]
fn baixa() {
    check_layout("baixa");
}

#[test]
fn exclusao() {
    check_layout("exclusao");
}

#[test]
fn acordos_baixados() {
    check_layout("acordos_baixados");
}

#[test]
fn batimento() {
    check_layout("batimento");
}

#[test]
fn telefones() {
    check_layout("telefones");
}

#[test]
fn refin() {
    check_layout("refin");
}

#[test]
fn acoes_whatsapp() {
    check_layout("acoes_whatsapp");
}

#[test]
fn historico_email() {
    check_layout("historico_email");
}

#[test]
fn historico_sms() {
    check_layout("historico_sms");
}

#[test]
fn one_layout_per_kind_and_what_the_spec_fixes() {
    let layouts = Layouts::defaults();
    let kinds: HashSet<Kind> = layouts.iter().map(Layout::kind).collect();
    assert_eq!(kinds.len(), 12);
    let fields = |name: &str, code: Option<&str>| {
        let l = layouts.get(name).unwrap();
        let r = match code {
            Some(c) => l.record(c).unwrap(),
            None => &l.records()[0],
        };
        (r.length(), r.fields().len())
    };
    assert_eq!(fields("remessa", None).1, 280);
    assert_eq!(fields("parcelas", None).1, 18);
    assert_eq!(fields("garantias", Some("1")), (Some(902), 20));
    assert_eq!(fields("garantias", Some("2")), (Some(199), 8));
    assert_eq!(fields("garantias", Some("3")), (Some(362), 12));
    assert_eq!(fields("baixa", None), (Some(302), 23));
    assert_eq!(fields("exclusao", None).1, 5);
    let columns = |name: &str| {
        layouts.get(name).unwrap().records()[0]
            .fields()
            .iter()
            .map(|f| f.column().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join(";")
    };
    assert_eq!(
        columns("acordos_baixados"),
        "Cobrador;NomeCobrador;NumAcordo;NumParcela;NossoNum;DtVcto;DtMovto;VlrMovt;TotDiv;Motivo;LocalRecebimento;NumCpfCgc;NomeCliente;OperOriginal;ParcNegociadas"
    );
    assert_eq!(
        columns("batimento"),
        "CONTRATO;PRIMEIRA_PARC_AB;DATA_ENVIO;CARTEIRA;COD_ASSESSORIA;NOME_ASSESSORIA;PRODUTO;DIAS_ATRASO"
    );
    assert!(columns("refin").ends_with(
        "FX_ATRASO;COLLECTION;QTD_PARCELAS_VENCIDAS;QTD_PARCELAS_VENCER;QTD_PARCELAS_ABERTO;PLANO ORIGINAL;PARCELA_ORIGINAL;ENTRADA_REFIN;PLANO_REFIN;QTD_PARC_REFIN;PARCELA_REFIN;TOTAL_REFINANCIADO;JURO_MENSAL;CET_ANUAL;VENC_PRIMEIRA_PARCELA;VENC_ULT_PARCELA;ESCOB;PRIORIDADE"
    ));
    let plausible: Vec<&str> = layouts
        .iter()
        .filter(|l| !l.plausible())
        .map(Layout::name)
        .collect();
    assert_eq!(plausible, ["acordos_baixados", "batimento"]);
}

#[test]
fn identifies_the_names_of_the_specification() {
    let layouts = Layouts::defaults();
    let cases = [
        (
            "20230804_021500_remessa_528_out.528",
            "remessa",
            "2023-08-04",
            Some("02:15:00"),
            Some("528"),
        ),
        (
            "20230804_021500_parc_528_out.528",
            "parcelas",
            "2023-08-04",
            Some("02:15:00"),
            Some("528"),
        ),
        (
            "20230804_021500_garantias_528_out.528",
            "garantias",
            "2023-08-04",
            Some("02:15:00"),
            Some("528"),
        ),
        (
            "20230804_021500_acordo_528_out.528.txt",
            "baixa",
            "2023-08-04",
            Some("02:15:00"),
            Some("528"),
        ),
        (
            "20230804_021500_acordo_528_out.528_new.txt",
            "baixa",
            "2023-08-04",
            Some("02:15:00"),
            Some("528"),
        ),
        (
            "20230804_021500_baixa_528_out.528",
            "exclusao",
            "2023-08-04",
            Some("02:15:00"),
            Some("528"),
        ),
        (
            "AcordosBaixados_04082023_528.csv",
            "acordos_baixados",
            "2023-08-04",
            None,
            Some("528"),
        ),
        (
            "bat_carteira_veic_04082023_528.csv.528",
            "batimento",
            "2023-08-04",
            None,
            Some("528"),
        ),
        (
            "bat_carteira_veic_04082023_528.csv",
            "batimento",
            "2023-08-04",
            None,
            Some("528"),
        ),
        (
            "telefones_carteira_veic_040823101112.csv",
            "telefones",
            "2023-08-04",
            Some("10:11:12"),
            None,
        ),
        (
            "refin_carteira_veic_080823060000.csv",
            "refin",
            "2023-08-08",
            Some("06:00:00"),
            None,
        ),
        (
            "Refin_carteira_veic_08082023060000.csv",
            "refin",
            "2023-08-08",
            Some("06:00:00"),
            None,
        ),
        (
            "20230215_153000_massiva_email.csv",
            "historico_email",
            "2023-02-15",
            Some("15:30:00"),
            None,
        ),
        (
            "20230215_164000_massiva_sms.csv",
            "historico_sms",
            "2023-02-15",
            Some("16:40:00"),
            None,
        ),
        (
            "20230215_164000_massiva_whatsapp.csv",
            "acoes_whatsapp",
            "2023-02-15",
            Some("16:40:00"),
            None,
        ),
        (
            "/ftp/evo/processados/20230804_021500_parc_528_out.528",
            "parcelas",
            "2023-08-04",
            Some("02:15:00"),
            Some("528"),
        ),
    ];
    for (file, layout, day, time, id) in cases {
        let (l, info) = layouts
            .identify(file)
            .unwrap_or_else(|| panic!("{file} not identified"));
        assert_eq!(l.name(), layout, "{file}");
        assert_eq!(info.date.to_string(), day, "{file}");
        assert_eq!(info.time.map(|t| t.to_string()).as_deref(), time, "{file}");
        assert_eq!(info.portfolio_id.as_deref(), id, "{file}");
    }
    for file in [
        "",
        "remessa.txt",
        "20230804_021500_remessa_528_out.529",
        "20230804_021500_remessa_528_out.528.bak",
        "20230832_021500_remessa_528_out.528",
        "20230804_251500_remessa_528_out.528",
        "bat_carteira_veic_DDMMAAAA_528.csv.528",
        "telefones_carteira_veic_0408231011.csv",
        "AcordosBaixados_04082023.csv",
        "LAYOUT_MASSIVO_AEC.xlsx",
    ] {
        assert!(layouts.identify(file).is_none(), "{file} identified");
    }
}

/// Contract → CPF in a layout's sample.
fn contracts(layouts: &Layouts, name: &str, rows: usize) -> HashMap<String, Option<String>> {
    let layout = layouts.get(name).unwrap();
    let bytes = sample(layout, rows, 5, TODAY).to_bytes();
    let mut out = HashMap::new();
    parse(layout, &bytes[..], |row| {
        let row = row.unwrap();
        let Some(Value::Text(c)) = row.get("numero_contrato") else {
            return;
        };
        let doc = match row.get("cpf_cnpj") {
            Some(Value::Document(d)) => Some(d.as_str().to_owned()),
            _ => None,
        };
        out.insert(c.to_owned(), doc);
    })
    .unwrap();
    out
}

#[test]
fn samples_of_one_seed_link_up() {
    let layouts = Layouts::defaults();
    let n = 400;
    let remessa = contracts(&layouts, "remessa", n);
    assert_eq!(remessa.len(), n);
    for name in [
        "parcelas",
        "garantias",
        "baixa",
        "exclusao",
        "acordos_baixados",
        "batimento",
        "telefones",
        "refin",
        "acoes_whatsapp",
    ] {
        let other = contracts(&layouts, name, n);
        assert!(!other.is_empty(), "{name}");
        for (contract, doc) in &other {
            let Some(remessa_doc) = remessa.get(contract) else {
                panic!("{name}: contract {contract} is not in the remessa");
            };
            if doc.is_some() {
                assert_eq!(doc, remessa_doc, "{name}: contract {contract}");
            }
        }
    }
    // Customers with two contracts exist (one CPF, several contracts).
    let mut per_cpf: HashMap<&Option<String>, usize> = HashMap::new();
    for doc in remessa.values() {
        *per_cpf.entry(doc).or_default() += 1;
    }
    assert!(per_cpf.values().any(|&n| n > 1));
}

/// Random damage (bytes of every kind inserted, replaced, removed; lines cut) never
/// panics: every line is a row, a row error or the file error.
#[test]
fn damaged_files_never_panic() {
    let layouts = Layouts::defaults();
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    const NASTY: &[u8] =
        b"\"\";;\r\n\t\0 0-/.,%:\x80\x9f\xc3\xa3\xe2\x82\xac\xf0\x9d\x84\x9e\xff\xfe";
    for layout in layouts.iter() {
        let clean = sample(layout, 40, 3, TODAY).to_bytes();
        for _ in 0..200 {
            let mut bytes = clean.clone();
            for _ in 0..1 + next(8) {
                let at = next(bytes.len());
                match next(4) {
                    0 => bytes.insert(at, NASTY[next(NASTY.len())]),
                    1 => bytes[at] = NASTY[next(NASTY.len())],
                    2 => {
                        bytes.remove(at);
                    }
                    _ => bytes.truncate(at),
                }
                if bytes.is_empty() {
                    break;
                }
            }
            let mut seen = 0;
            if let Ok(summary) = parse(layout, &bytes[..], |_| seen += 1) {
                assert_eq!(summary.rows + summary.rejected, seen);
            }
        }
    }
}

#[test]
fn layouts_replaced_from_a_folder() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("collections-layouts");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let exclusao = r#"
        name = "exclusao"
        kind = "exclusao"
        description = "O layout real do credor"
        file_names = ["<AAAAMMDD>_<HHMMSS>_baixa_<ID>_out.<ID>"]
        format = { type = "delimited" }
        key = ["numero_contrato"]
        fields = [{ name = "numero_contrato", column = "CONTRATO" }]
    "#;
    let extra = exclusao
        .replace(
            "\"exclusao\"\n        kind",
            "\"exclusao_moto\"\n        kind",
        )
        .replace("_baixa_", "_baixa_moto_");
    std::fs::write(dir.join("exclusao.toml"), exclusao).unwrap();
    std::fs::write(dir.join("exclusao_moto.toml"), extra).unwrap();
    std::fs::write(dir.join("notes.txt"), "not a layout").unwrap();
    let layouts = Layouts::load_dir(&dir).unwrap();
    assert_eq!(layouts.iter().count(), 13);
    let l = layouts.get("exclusao").unwrap();
    assert_eq!(l.description(), "O layout real do credor");
    assert_eq!(l.separator(), Some(';'));
    assert_eq!(layouts.iter().position(|l| l.name() == "exclusao"), Some(4));
    let (l, _) = layouts
        .identify("20230804_021500_baixa_moto_528_out.528")
        .unwrap();
    assert_eq!(l.name(), "exclusao_moto");

    std::fs::write(dir.join("broken.toml"), "name = \"broken\"\nkind = 3\n").unwrap();
    let e = Layouts::load_dir(&dir).unwrap_err().to_string();
    assert!(e.contains("broken.toml"), "{e}");
}
