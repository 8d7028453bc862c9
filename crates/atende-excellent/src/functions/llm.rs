//! LLM helper: `prompt`.

use super::{tri, FunctionDef};
use crate::eval::Evaluator;
use crate::value::Value;

pub(crate) const FUNCTIONS: &[FunctionDef] = &[FunctionDef::new("prompt", 1, Some(11), prompt)];

/// `prompt(name, args...)`: fills a named prompt's `{{ .arg1 }}`… placeholders.
fn prompt(ev: &mut Evaluator, args: &[Value]) -> Value {
    let name = tri!(args[0].to_text());
    let Some(template) = ev.env.llm_prompts.get(&name) else {
        return Value::error(format!("unknown LLM prompt {name}"));
    };
    let mut rendered: Vec<String> = Vec::with_capacity(args.len() - 1);
    for a in &args[1..] {
        rendered.push(tri!(a.to_text()));
    }
    let mut out = String::new();
    let mut rest = template.as_str();
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find("}}") else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let inner = rest[open + 2..open + close].trim();
        let value = inner
            .strip_prefix(".arg")
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| rendered.get(i));
        match value {
            Some(v) => out.push_str(v),
            None => out.push_str("<no value>"),
        }
        rest = &rest[open + close + 2..];
    }
    out.push_str(rest);
    Value::text(out)
}
