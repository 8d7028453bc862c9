//! Property tests: no template may panic, and evaluation stays bounded.

use std::sync::Arc;

use atende_excellent::{Environment, Evaluator, Object, Pcg, Template, Value};
use proptest::prelude::*;

fn root() -> Value {
    let mut contact = Object::with_default(Value::from("Ana Souza"));
    contact.insert("name", Value::from("Ana Souza"));
    contact.insert("age", Value::from(31i64));
    let mut root = Object::new();
    root.insert("contact", Value::Object(Arc::new(contact)));
    root.insert(
        "list",
        Value::array(vec![Value::from("a"), Value::from(1i64)]),
    );
    Value::Object(Arc::new(root))
}

fn eval(src: &str) -> String {
    let root = root();
    let env = Environment::brazil();
    let tpl = Template::parse(
        src,
        &|n| matches!(&root, Value::Object(o) if o.get(n).is_some()),
    );
    let mut rng = Pcg::new(1, 2);
    let now = jiff::Timestamp::from_second(1_700_000_000).unwrap();
    let mut ev = Evaluator::new(&env, &root, now, &mut rng);
    let _ = ev.template_value(&tpl);
    ev.render(&tpl).text
}

/// Pieces of the grammar, so generated input reaches the parser and the functions
/// rather than dying in the scanner.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("@(".to_string()),
        Just(")".to_string()),
        Just("(".to_string()),
        Just(",".to_string()),
        Just("\"x\"".to_string()),
        Just("@contact.name".to_string()),
        Just("list[0]".to_string()),
        Just(" & ".to_string()),
        Just(" + ".to_string()),
        Just(" ^ ".to_string()),
        Just("-".to_string()),
        Just("(x) => x".to_string()),
        Just("1.5".to_string()),
        Just("99999999999999999999".to_string()),
        prop::sample::select(atende_excellent::functions::names()).prop_map(str::to_string),
        "[a-z0-9 .\\[\\]]{0,4}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,64}") {
        eval(&s);
    }

    #[test]
    fn grammar_soup_never_panics(tokens in prop::collection::vec(token(), 0..24)) {
        eval(&tokens.concat());
    }
}

#[test]
fn huge_and_deep_inputs_are_errors() {
    let deep = format!("@({}1{})", "(".repeat(50_000), ")".repeat(50_000));
    assert_eq!(eval(&deep), "");
    let calls = format!("@({}1{})", "upper(".repeat(5_000), ")".repeat(5_000));
    assert_eq!(eval(&calls), "");
    let long = "@contact.name ".repeat(20_000);
    assert!(eval(&long).starts_with("Ana Souza Ana Souza"));
}
