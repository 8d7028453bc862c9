//! `atende run` drives the example bot from a script, as a person would in the terminal.

use std::process::Command;

fn run_script(script: &str) -> String {
    run_with(script, &[])
}

fn run_with(script: &str, extra: &[&str]) -> String {
    let dir = std::env::temp_dir().join(format!(
        "atende-run-cli-{}-{}",
        std::process::id(),
        script.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("script.txt");
    std::fs::write(&path, script).unwrap();
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/assistente-financeiro.json"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_atende"))
        .args(["run", example, "--script", path.to_str().unwrap()])
        .args(extra)
        .output()
        .expect("run atende");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn menu_loops_on_unknown_answers_and_hands_over_to_an_agent() {
    let out = run_script("não sei\n2\n");
    assert!(out.contains("Sou a Cris, assistente virtual"), "{out}");
    assert!(out.contains("Menu = \"não sei\" → Other"), "{out}");
    assert!(
        out.contains("Desculpe, não entendi. Responda 1 ou 2."),
        "{out}"
    );
    assert!(out.contains("Menu = \"2\" → Atendente"), "{out}");
    assert!(
        out.contains("Vou transferir você para um de nossos atendentes."),
        "{out}"
    );
    assert!(out.contains("■ session completed"), "{out}");
}

#[test]
fn invalid_document_is_asked_again_and_silence_times_out() {
    let out = run_script("1\n123.456.789-00\n/timeout\n");
    assert!(
        out.contains("Documento = \"123.456.789-00\" → Invalido"),
        "{out}"
    );
    assert!(out.contains("Esse documento não parece válido."), "{out}");
    assert!(
        out.contains("Encerramos este atendimento por inatividade."),
        "{out}"
    );
    assert!(
        out.contains("@results.documento = \"\" (Inatividade)"),
        "{out}"
    );
}

#[test]
fn a_valid_cpf_is_normalised_into_the_result() {
    let out = run_script("1\nmeu cpf é 529.982.247-25\n/quit\n");
    assert!(
        out.contains("Documento = \"52998224725\" → Valido"),
        "{out}"
    );
}

#[test]
fn unknown_flow_names_the_available_ones() {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/assistente-financeiro.json"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_atende"))
        .args(["run", example, "--flow", "Nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no flow \"Nope\" in the file (flows: Assistente Financeiro)"),
        "{err}"
    );
}

#[test]
fn the_erp_webhook_answers_with_the_boleto() {
    let dir = std::env::temp_dir().join(format!("atende-run-mocks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mocks = dir.join("mocks.json");
    std::fs::write(
        &mocks,
        r#"{"http://localhost:8080/demo/erp/boletos*": [{"status": 200, "body": {"linha_digitavel": "00190.50095 40144.816069 06809.350314 3 37370000000100", "vencimento": "2026-12-10", "valor": 189.9}}]}"#,
    )
    .unwrap();
    let out = run_with(
        "1\n529.982.247-25\n",
        &["--http-mocks", mocks.to_str().unwrap()],
    );
    assert!(
        out.contains(
            "webhook http://localhost:8080/demo/erp/boletos?documento=52998224725 → success"
        ),
        "{out}"
    );
    assert!(
        out.contains("Linha digitável: 00190.50095 40144.816069 06809.350314 3 37370000000100"),
        "{out}"
    );
    assert!(out.contains("Vencimento: 10/12/2026"), "{out}");
    assert!(out.contains("Valor: R$ 189,90"), "{out}");
}

#[test]
fn without_mocks_the_webhook_fails_and_the_bot_says_so() {
    let out = run_script("1\n529.982.247-25\n");
    assert!(out.contains("ERP = \"0\" → Failure"), "{out}");
    assert!(
        out.contains("Não consegui consultar seus boletos agora."),
        "{out}"
    );
}
