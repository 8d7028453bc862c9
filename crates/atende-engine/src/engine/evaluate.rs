//! Template evaluation in a run's context: builds only the top-level values a
//! template names; expression errors become `error` events.

use atende_excellent::{Evaluator, Template, Value};
use serde_json::{json, Value as Json};

use crate::engine::context::CONTEXT_KEYS;
use crate::engine::{Machine, MAX_TEMPLATE_CHARS};
use crate::session::Session;

/// An `error` event's fields for a template error (`error evaluating @x: why`), shaped
/// as goflow's: `code` `expression`, the failing expression in `extra`.
fn expression_error(message: &str) -> Json {
    let parsed = message
        .strip_prefix("error evaluating ")
        .and_then(|rest| rest.split_once(": "));
    match parsed {
        Some((source, why)) => json!({
            "code": "expression",
            "extra": { "expression": source },
            "text": format!("Error evaluating expression: {why}"),
        }),
        None => json!({ "text": message }),
    }
}

/// Collects the top-level names an expression reads (`contact` in `@contact.name`).
fn referenced_names(e: &atende_excellent::Expr, out: &mut Vec<String>) {
    use atende_excellent::Expr;
    match e {
        Expr::Ref(name) => {
            if !out.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                out.push(name.to_string());
            }
        }
        Expr::Dot(t, _) | Expr::Neg(t) => referenced_names(t, out),
        Expr::Index(a, b) | Expr::Binary(_, a, b) => {
            referenced_names(a, out);
            referenced_names(b, out);
        }
        Expr::Call(f, args) => {
            referenced_names(f, out);
            for a in args {
                referenced_names(a, out);
            }
        }
        Expr::Lambda(_, body) => referenced_names(body, out),
        Expr::Text(_) | Expr::Number(_) | Expr::Bool(_) | Expr::Null => {}
    }
}

/// Over-long template output keeps its start, marked with `...`.
fn truncate_output(text: String) -> String {
    if text.len() <= MAX_TEMPLATE_CHARS || text.chars().count() <= MAX_TEMPLATE_CHARS {
        return text;
    }
    let mut t = crate::prefix_chars(&text, MAX_TEMPLATE_CHARS - 3).to_string();
    t.push_str("...");
    t
}

impl Machine<'_, '_> {
    /// Evaluates a template in the run's context; errors become `error` events.
    pub(super) fn evaluate(
        &mut self,
        session: &Session,
        idx: usize,
        template: &str,
    ) -> (Value, String) {
        // Most templates in real flows are plain text: skip building the context.
        if !template.contains('@') {
            return (Value::from(template), truncate_output(template.to_string()));
        }
        let tpl = Template::parse(template, &|n| {
            CONTEXT_KEYS.iter().any(|k| k.eq_ignore_ascii_case(n))
        });
        // build only the top-level values the template names
        let mut names: Vec<String> = Vec::new();
        for seg in &tpl.segments {
            if let atende_excellent::Segment::Expr { expr: Ok(e), .. } = seg {
                referenced_names(e, &mut names);
            }
        }
        let root = self.context_with(session, idx, &|k| {
            names.iter().any(|n| n.eq_ignore_ascii_case(k))
        });
        // one evaluation gives both the typed value and the text; the clock is read
        // only if the template needs the time
        let (value, errors, warnings) = {
            let clock = &mut *self.services.clock;
            let mut now = || clock.now();
            let mut ev = Evaluator::with_clock(self.env, &root, &mut now, self.services.random);
            let (value, errors) = ev.template_value(&tpl);
            (value, errors, std::mem::take(&mut ev.warnings))
        };
        let text = match &value {
            Value::Error(_) => String::new(),
            v => v.render(),
        };
        for w in warnings {
            self.event(
                "warning",
                json!({ "code": "context:deprecated", "text": w }),
            );
        }
        for e in errors {
            self.event("error", expression_error(&e));
        }
        (value, truncate_output(text))
    }

    /// The template's text, or `None` when evaluating it reported an error: actions
    /// skip rather than act on a half-evaluated value (goflow's behaviour).
    pub(super) fn text_checked(
        &mut self,
        session: &Session,
        idx: usize,
        template: &str,
    ) -> Option<String> {
        let before = self.sprint.events.len();
        let text = self.text(session, idx, template);
        let failed = self.sprint.events[before..]
            .iter()
            .any(|e| e.event_type == "error");
        (!failed).then_some(text)
    }

    /// A contact query template: each expression's text is quoted as a query value
    /// (`gender = @fields.gender` → `gender = "Male"`), so what a contact typed can't
    /// change the query's meaning.
    pub(super) fn query_text(&mut self, session: &Session, idx: usize, template: &str) -> String {
        if !template.contains('@') {
            return template.to_string();
        }
        let tpl = Template::parse(template, &|n| {
            CONTEXT_KEYS.iter().any(|k| k.eq_ignore_ascii_case(n))
        });
        let mut out = String::new();
        for seg in &tpl.segments {
            match seg {
                atende_excellent::Segment::Text(t) => out.push_str(t),
                atende_excellent::Segment::Expr { source, .. } => {
                    let value = self.text(session, idx, source);
                    out.push_str(&Json::String(value).to_string());
                }
            }
        }
        out
    }

    pub(super) fn text(&mut self, session: &Session, idx: usize, template: &str) -> String {
        self.evaluate(session, idx, template).1
    }
}
