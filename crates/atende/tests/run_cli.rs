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

/// A tiny export from Weni's goflow fork (spec 13.1.0): WhatsApp buttons with a header
/// and footer, and an external-service call the simulator cannot make.
const WENI_EXPORT: &str = r#"{
  "version": "13",
  "site": "https://flows.weni.ai",
  "flows": [{
    "uuid": "8d3e6f21-5b7a-4c1e-9f20-3a4b5c6d7e81", "name": "Atendimento Cristal",
    "spec_version": "13.1.0", "language": "por", "type": "messaging", "revision": 4,
    "expire_after_minutes": 15, "localization": {},
    "nodes": [
      {"uuid": "a1f0e3c2-0b4d-4e6f-8a1b-2c3d4e5f6a71",
       "actions": [{"uuid": "b2e1f4d3-1c5e-4f70-9b2c-3d4e5f6a7b82", "type": "send_whatsapp_msg",
         "messageType": "interactive", "header_type": "text", "header_text": "Cristal",
         "text": "Oi, @contact.first_name! Quer a segunda via do boleto?", "footer": "Atende Financeira",
         "interaction_type": "replies", "quick_replies": ["Sim", "Não"]}],
       "exits": [{"uuid": "c3d2a5e4-2d6f-4a81-8c3d-4e5f6a7b8c93", "destination_uuid": "d4c3b6f5-3e70-4b92-9d4e-5f6a7b8c9da4"}]},
      {"uuid": "d4c3b6f5-3e70-4b92-9d4e-5f6a7b8c9da4", "actions": [],
       "router": {"type": "switch", "operand": "@input.text", "result_name": "Quer boleto",
         "wait": {"type": "msg"},
         "cases": [{"uuid": "e5b4c7a6-4f81-4ca3-8e5f-6a7b8c9d0eb5", "type": "has_any_word", "arguments": ["sim"],
                    "category_uuid": "f6a5d8b7-5a92-4db4-9f6a-7b8c9d0e1fc6"}],
         "categories": [{"uuid": "f6a5d8b7-5a92-4db4-9f6a-7b8c9d0e1fc6", "name": "Sim", "exit_uuid": "a7b6e9c8-6ba3-4ec5-8a7b-8c9d0e1f2ad7"},
                        {"uuid": "b8c7fad9-7cb4-4fd6-9b8c-9d0e1f2a3be8", "name": "Other", "exit_uuid": "c9d8abea-8dc5-4ae7-8c9d-0e1f2a3b4cf9"}],
         "default_category_uuid": "b8c7fad9-7cb4-4fd6-9b8c-9d0e1f2a3be8"},
       "exits": [{"uuid": "a7b6e9c8-6ba3-4ec5-8a7b-8c9d0e1f2ad7", "destination_uuid": "dae9bcfb-9ed6-4bf8-9d0e-1f2a3b4c5d0a"},
                 {"uuid": "c9d8abea-8dc5-4ae7-8c9d-0e1f2a3b4cf9", "destination_uuid": "ebfacd0c-afe7-4c09-8e1f-2a3b4c5d6e1b"}]},
      {"uuid": "dae9bcfb-9ed6-4bf8-9d0e-1f2a3b4c5d0a",
       "actions": [{"uuid": "fc0bde1d-b0f8-4d1a-9f2a-3b4c5d6e7f2c", "type": "call_external_service",
         "external_service": {"uuid": "0d1cef2e-c109-4e2b-8a3b-4c5d6e7f8a3d", "name": "ERP"},
         "call": {"name": "SegundaVia", "value": "segunda_via", "verboseName": "Segunda via"},
         "params": [], "result_name": "Boleto"}],
       "router": {"type": "switch", "operand": "@results.boleto",
         "cases": [{"uuid": "1e2df03f-d21a-4f3c-9b4c-5d6e7f8a9b4e", "type": "has_category", "arguments": ["Success"],
                    "category_uuid": "2f3e0140-e32b-4a4d-8c5d-6e7f8a9b0c5f"}],
         "categories": [{"uuid": "2f3e0140-e32b-4a4d-8c5d-6e7f8a9b0c5f", "name": "Success", "exit_uuid": "3a4f1251-f43c-4b5e-9d6e-7f8a9b0c1d60"},
                        {"uuid": "4b502362-054d-4c6f-8e7f-8a9b0c1d2e71", "name": "Failure", "exit_uuid": "5c613473-165e-4d70-9f8a-9b0c1d2e3f82"}],
         "default_category_uuid": "4b502362-054d-4c6f-8e7f-8a9b0c1d2e71"},
       "exits": [{"uuid": "3a4f1251-f43c-4b5e-9d6e-7f8a9b0c1d60", "destination_uuid": null},
                 {"uuid": "5c613473-165e-4d70-9f8a-9b0c1d2e3f82", "destination_uuid": "ebfacd0c-afe7-4c09-8e1f-2a3b4c5d6e1b"}]},
      {"uuid": "ebfacd0c-afe7-4c09-8e1f-2a3b4c5d6e1b",
       "actions": [{"uuid": "6d724584-276f-4e81-8a9b-0c1d2e3f4a93", "type": "send_msg",
                    "text": "Vou transferir você para um atendente.", "quick_replies": []}],
       "exits": [{"uuid": "7e835695-3870-4f92-9b0c-1d2e3f4a5ba4", "destination_uuid": null}]}
    ]
  }],
  "campaigns": [],
  "triggers": [],
  "fields": [{"key": "cpf", "name": "CPF", "type": "text"}],
  "groups": []
}"#;

#[test]
fn a_weni_export_runs_with_whatsapp_buttons_and_fails_over_its_service_call() {
    let dir = std::env::temp_dir().join(format!("atende-run-weni-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let export = dir.join("weni.json");
    std::fs::write(&export, WENI_EXPORT).unwrap();
    let script = dir.join("script.txt");
    std::fs::write(&script, "sim\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_atende"))
        .args(["run", export.to_str().unwrap(), "--script"])
        .arg(&script)
        .output()
        .expect("run atende");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("bot> *Cristal*\n     Oi, Cliente! Quer a segunda via do boleto?"),
        "{stdout}"
    );
    assert!(stdout.contains("     _Atende Financeira_"), "{stdout}");
    assert!(stdout.contains("     [Sim] [Não]"), "{stdout}");
    assert!(
        stdout.contains(
            "! warning: action type 'call_external_service' (Weni) is not supported: taking the Failure exit"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("Boleto = \"\" → Failure"), "{stdout}");
    assert!(
        stdout.contains("bot> Vou transferir você para um atendente."),
        "{stdout}"
    );
    assert!(stdout.contains("■ session completed"), "{stdout}");
}
