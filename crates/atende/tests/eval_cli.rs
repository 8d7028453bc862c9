//! The `atende eval` and `atende conformance expressions`/`runner` commands, run as a user would.

use std::path::PathBuf;
use std::process::Command;

fn atende(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_atende"))
        .args(args)
        .output()
        .expect("run atende");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp_file(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("atende-eval-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn evaluates_a_template_with_a_context() {
    let ctx = temp_file(
        "ctx.json",
        r#"{"contact": {"name": "ana souza", "fields": {"divida": 1234.5}}}"#,
    );
    let (code, out, err) = atende(&[
        "eval",
        "Olá @(title(contact.name)), R$ @(contact.fields.divida * 2)",
        "--context",
        ctx.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "Olá Ana Souza, R$ 2469\n");
}

#[test]
fn prints_the_typed_value_as_json() {
    let (code, out, _) = atende(&["eval", "@(array(1, \"x\"))", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), r#"[{"number":"1"},"x"]"#);
}

#[test]
fn a_bad_template_reports_the_failing_segment() {
    let (code, out, err) = atende(&["eval", "a @(1 / 0) b"]);
    assert_eq!(code, 1);
    assert_eq!(out, "a  b\n");
    assert!(
        err.contains("error evaluating @(1 / 0): division by zero"),
        "{err}"
    );
}

#[test]
fn a_bad_context_file_names_the_file() {
    let ctx = temp_file("bad.json", "{not json");
    let (code, _, err) = atende(&["eval", "@x", "--context", ctx.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.json is not valid JSON"), "{err}");
}

#[test]
fn conformance_reports_failures_and_the_closing_line() {
    let dir = std::env::temp_dir().join(format!("atende-conf-cli-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("contexts")).unwrap();
    std::fs::write(
        dir.join("contexts/c.json"),
        r#"{"now": "2018-04-11T13:24:30Z", "env": {"timezone": "UTC"}, "context": {"object": {"name": "Ana"}}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("cases.jsonl"),
        concat!(
            r#"{"id": "ok-1", "template": "@(upper(name))", "context": "contexts/c.json", "expected": "ANA", "error": false}"#,
            "\n",
            r#"{"id": "bad-1", "template": "@(1 + 1)", "context": "contexts/c.json", "expected": "3", "error": false}"#,
            "\n"
        ),
    )
    .unwrap();
    let file = dir.join("cases.jsonl");
    let (code, out, _) = atende(&["conformance", "expressions", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("FAIL bad-1: @(1 + 1) — expected \"3\" got \"2\""),
        "{out}"
    );
    assert_eq!(lines[1], "1 passed, 1 failed");
}

#[test]
fn conformance_runner_checks_an_events_folder() {
    let dir = std::env::temp_dir()
        .join(format!("atende-events-cli-{}", std::process::id()))
        .join("events");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("a_name_changed.json"),
        r#"{"uuid": "0196", "type": "contact_name_changed", "created_on": "2025-05-04T12:30:46Z", "name": "Ana"}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("b_closed.json"),
        r#"{"uuid": "0197", "type": "ticket_closed", "created_on": "2025-05-04T12:30:46Z", "ticket": 7}"#,
    )
    .unwrap();
    let (code, out, _) = atende(&["conformance", "runner", dir.to_str().unwrap()]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "FAIL b_closed.json: $.ticket: not a field of ticket_closed; $.ticket_uuid: missing (required by ticket_closed)",
            "1 passed, 1 failed"
        ],
        "{out}"
    );
}
