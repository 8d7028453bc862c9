#![no_main]
//! Scans, parses and evaluates arbitrary templates against a small context: nothing may
//! panic, hang or grow without bound.

use std::sync::Arc;

use atende_excellent::{Environment, Evaluator, Object, Pcg, Template, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let mut contact = Object::with_default(Value::from("Ana Souza"));
    contact.insert("name", Value::from("Ana Souza"));
    contact.insert("fields", Value::Object(Arc::new(Object::new())));
    let mut root = Object::new();
    root.insert("contact", Value::Object(Arc::new(contact)));
    root.insert("list", Value::array(vec![Value::from("a"), Value::from(1i64)]));
    let root = Value::Object(Arc::new(root));
    let env = Environment::brazil();
    let tpl = Template::parse(src, &|n| matches!(&root, Value::Object(o) if o.get(n).is_some()));
    let mut rng = Pcg::new(1, 2);
    let now = jiff::Timestamp::from_second(1_700_000_000).unwrap();
    let mut ev = Evaluator::new(&env, &root, now, &mut rng);
    let _ = ev.render(&tpl);
    let _ = ev.template_value(&tpl);
});
