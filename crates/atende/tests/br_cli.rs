//! `atende br …` as a user runs it: the built binary, its output and its exit status.

use std::process::{Command, Output};

fn atende(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_atende"))
        .args(args)
        .output()
        .expect("run the atende binary")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn check_runs_the_corpus_and_closes_with_the_summary() {
    let Some(corpus) = atende_conformance::corpus_or_skip("br check on the corpus") else {
        return;
    };
    let dir = corpus.join("br");
    let files = atende_conformance::br::corpus_files(&dir).expect("list corpus/br");
    let mut args = vec!["br".to_owned(), "check".to_owned()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = atende(&args);
    let text = stdout(&out);
    let last = text.lines().last().unwrap_or_default();
    assert!(
        last.ends_with(" passed, 0 failed"),
        "last line {last:?}\n{text}"
    );
    assert!(out.status.success(), "{text}");

    // A folder means every .jsonl in it, same verdict.
    let out = atende(&["br", "check", &dir.display().to_string()]);
    assert_eq!(stdout(&out).lines().last(), Some(last));
}

#[test]
fn check_reports_failures_and_exits_1() {
    let dir = std::env::temp_dir().join(format!("atende-br-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cases.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"kind": "cpf", "input": "529.982.247-25", "valid": true, "formatted": "529.982.247-25"}"#,
            "\n",
            r#"{"kind": "cpf", "input": "529.982.247-26", "valid": true}"#,
            "\n",
            r#"{"kind": "rg", "input": "1"}"#,
            "\n"
        ),
    )
    .unwrap();
    let out = atende(&["br", "check", &file.display().to_string()]);
    let text = stdout(&out);
    std::fs::remove_dir_all(&dir).ok();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("FAIL cases.jsonl:2: "), "{text}");
    assert!(lines[0].contains("second check digit"), "{text}");
    assert_eq!(lines[1], "FAIL cases.jsonl:3: unknown kind \"rg\"");
    assert_eq!(lines[2], "1 passed, 2 failed");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn explains_a_valid_cpf() {
    let out = atende(&["br", "cpf", "529.982.247-25"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("valid"), "{text}");
    assert!(text.contains("52998224725"), "{text}");
    assert!(text.contains("***.982.247-**"), "{text}");
}

#[test]
fn explains_why_a_cpf_is_invalid() {
    let out = atende(&["br", "cpf", "529.982.247-26"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("invalid"), "{text}");
    assert!(
        text.contains("wrong second check digit: expected 5, found 6"),
        "{text}"
    );
}

#[test]
fn explains_other_values() {
    let out = atende(&[
        "br",
        "boleto",
        "10492.00650 61000.100042 00997.263900 9 89810000021403",
        "--today",
        "2026-11-24",
    ]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("R$ 214,03"), "{text}");
    assert!(text.contains("10/05/2022"), "{text}");
    assert!(
        text.contains("10499898100000214032006561000100040099726390"),
        "{text}"
    );

    let out = atende(&["br", "cnpj", "12ABC34501DE35"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("12.ABC.345/01DE-35"));

    let out = atende(&["br", "pix", "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("random key (evp)"), "{text}");
    assert!(text.contains("Fulano de Tal, BRASILIA"), "{text}");

    let out = atende(&["br", "phone", "552164180266"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("+5521964180266"), "{text}");
    assert!(text.contains("9th digit was restored"), "{text}");

    let out = atende(&["br", "phone", "(23) 98765-4321"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("area code (ddd) 23 is not assigned"));
}
