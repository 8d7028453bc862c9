//! Rewriting Excellent templates inside flow definitions.
//!
//! Several migrations change what expressions refer to (`@webhook` became
//! `@webhook.json`, over-long result keys were cut). They must touch only the
//! expression parts of a template, leaving literal text (`flows@@nyaruka.com`, a name
//! that merely looks like a reference) alone. So a template is scanned into raw spans —
//! the text exactly as written and the expressions — each expression is parsed with
//! the Excellent parser and handed to a transform; an expression the transform did not
//! change keeps its original text byte for byte, and a changed one is written back in
//! goflow's canonical expression style (`a + b`, `f(x, y)`, `"quoted"`).

use atende_excellent::parser::{parse, precedence, BinOp, Expr};
use atende_excellent::template::{find_close, scan_identifier};

/// Whether `@name…` starts an expression: only goflow's top-level context keys do;
/// anything else after `@` is literal text.
fn is_top_level(name: &str) -> bool {
    crate::engine::CONTEXT_KEYS
        .iter()
        .any(|t| t.eq_ignore_ascii_case(name))
}

/// Rewrites every expression of `src` with `tx`, which returns whether it changed the
/// expression. Returns `None` when nothing changed (so callers leave the JSON as is).
pub fn rewrite(src: &str, tx: &mut dyn FnMut(&mut Expr) -> bool) -> Option<String> {
    let mut out = String::with_capacity(src.len() + 8);
    let mut changed = false;
    let bytes = src.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let Some(rel) = src[i..].find('@') else {
            out.push_str(&src[i..]);
            break;
        };
        out.push_str(&src[i..i + rel]);
        i += rel;
        match bytes.get(i + 1) {
            Some(b'@') => {
                out.push_str("@@");
                i += 2;
            }
            Some(b'(') => match find_close(src, i + 2) {
                Some(close) => {
                    let inner = &src[i + 2..close];
                    match transformed(inner, tx) {
                        Some(e) => {
                            changed = true;
                            out.push_str("@(");
                            out.push_str(&to_source(&e));
                            out.push(')');
                        }
                        None => out.push_str(&src[i..=close]),
                    }
                    i = close + 1;
                }
                None => {
                    out.push_str(&src[i..]);
                    break;
                }
            },
            _ => {
                let end = scan_identifier(src, i + 1);
                let ident = &src[i + 1..end];
                let first = ident.split('.').next().unwrap_or("");
                if !first.is_empty() && is_top_level(first) {
                    match transformed(ident, tx) {
                        Some(e) => {
                            changed = true;
                            let s = to_source(&e);
                            if is_dotted_path(&s) {
                                out.push('@');
                                out.push_str(&s);
                            } else {
                                out.push_str("@(");
                                out.push_str(&s);
                                out.push(')');
                            }
                        }
                        None => out.push_str(&src[i..end]),
                    }
                    i = end;
                } else {
                    out.push('@');
                    i += 1;
                }
            }
        }
    }
    changed.then_some(out)
}

/// The parsed expression after `tx`, if it parses and `tx` changed it.
fn transformed(src: &str, tx: &mut dyn FnMut(&mut Expr) -> bool) -> Option<Expr> {
    let mut e = parse(src).ok()?;
    tx(&mut e).then_some(e)
}

/// Whether `s` can be written in identifier form (`@a.b.c`).
fn is_dotted_path(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').enumerate().all(|(i, part)| {
            let mut chars = part.chars();
            match chars.next() {
                Some(c) if c == '_' || c.is_alphabetic() || (i > 0 && c.is_alphanumeric()) => {
                    chars.all(|c| c == '_' || c.is_alphanumeric())
                }
                _ => false,
            }
        })
}

fn op_text(op: BinOp) -> &'static str {
    match op {
        BinOp::Concat => "&",
        BinOp::Eq => "=",
        BinOp::Neq => "!=",
        BinOp::Lt => "<",
        BinOp::Lte => "<=",
        BinOp::Gt => ">",
        BinOp::Gte => ">=",
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::Pow => "^",
    }
}

/// Writes an expression back as source, adding parentheses only where precedence
/// needs them.
pub fn to_source(e: &Expr) -> String {
    let mut out = String::new();
    write(e, &mut out);
    out
}

fn write(e: &Expr, out: &mut String) {
    match e {
        Expr::Text(s) => quote(s, out),
        Expr::Number(n) => out.push_str(&n.to_string()),
        Expr::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Expr::Null => out.push_str("null"),
        Expr::Ref(n) => out.push_str(n),
        Expr::Dot(target, key) => {
            write_postfix_target(target, out);
            out.push('.');
            out.push_str(key);
        }
        Expr::Index(target, index) => {
            write_postfix_target(target, out);
            out.push('[');
            write(index, out);
            out.push(']');
        }
        Expr::Call(func, args) => {
            write_postfix_target(func, out);
            out.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(a, out);
            }
            out.push(')');
        }
        Expr::Lambda(params, body) => {
            out.push('(');
            out.push_str(&params.join(", "));
            out.push_str(") => ");
            write(body, out);
        }
        Expr::Neg(inner) => {
            out.push('-');
            match inner.as_ref() {
                Expr::Binary(..) | Expr::Lambda(..) => paren(inner, out),
                _ => write(inner, out),
            }
        }
        Expr::Binary(op, left, right) => {
            let p = precedence(*op);
            match left.as_ref() {
                Expr::Binary(lop, ..) if precedence(*lop) < p => paren(left, out),
                Expr::Lambda(..) => paren(left, out),
                _ => write(left, out),
            }
            out.push(' ');
            out.push_str(op_text(*op));
            out.push(' ');
            // operators are left-associative: an equal-precedence right side needs parens
            match right.as_ref() {
                Expr::Binary(rop, ..) if precedence(*rop) <= p => paren(right, out),
                Expr::Lambda(..) => paren(right, out),
                _ => write(right, out),
            }
        }
    }
}

fn write_postfix_target(target: &Expr, out: &mut String) {
    match target {
        Expr::Binary(..) | Expr::Neg(..) | Expr::Lambda(..) => paren(target, out),
        _ => write(target, out),
    }
}

fn paren(e: &Expr, out: &mut String) {
    out.push('(');
    write(e, out);
    out.push(')');
}

/// A double-quoted literal with Go-style escapes (`strconv.Quote`).
fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Applies `f` to every context reference chain in `e` (each `Ref`, `Dot` and `Index`
/// node, outermost first), skipping lambda parameters, so transforms only need to
/// recognise the shape they rewrite. Returns whether anything changed.
pub fn visit(e: &mut Expr, f: &mut dyn FnMut(&mut Expr) -> bool) -> bool {
    fn go(e: &mut Expr, params: &mut Vec<String>, f: &mut dyn FnMut(&mut Expr) -> bool) -> bool {
        let shadowed =
            root_name(e).is_some_and(|n| params.iter().any(|p| p.eq_ignore_ascii_case(n)));
        // a node the transform replaced is not visited again: its new children
        // would match the same rule and be rewritten forever
        if matches!(e, Expr::Ref(_) | Expr::Dot(..) | Expr::Index(..)) && !shadowed && f(e) {
            return true;
        }
        let mut changed = false;
        match e {
            Expr::Dot(target, _) => changed |= go(target, params, f),
            Expr::Index(target, index) => {
                changed |= go(target, params, f);
                changed |= go(index, params, f);
            }
            Expr::Call(func, args) => {
                changed |= go(func, params, f);
                for a in args {
                    changed |= go(a, params, f);
                }
            }
            Expr::Lambda(ps, body) => {
                let before = params.len();
                params.extend(ps.iter().map(|p| p.to_string()));
                let mut inner = body.as_ref().clone();
                if go(&mut inner, params, f) {
                    *body = std::sync::Arc::new(inner);
                    changed = true;
                }
                params.truncate(before);
            }
            Expr::Neg(inner) => changed |= go(inner, params, f),
            Expr::Binary(_, l, r) => {
                changed |= go(l, params, f);
                changed |= go(r, params, f);
            }
            Expr::Text(_) | Expr::Number(_) | Expr::Bool(_) | Expr::Null | Expr::Ref(_) => {}
        }
        changed
    }
    go(e, &mut Vec::new(), f)
}

/// The name a reference chain starts from (`contact` for `contact.fields.age`).
pub fn root_name(e: &Expr) -> Option<&str> {
    match e {
        Expr::Ref(n) => Some(n),
        Expr::Dot(t, _) | Expr::Index(t, _) => root_name(t),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add_json(e: &mut Expr) -> bool {
        visit(e, &mut |e| match e {
            Expr::Ref(n) if n.eq_ignore_ascii_case("webhook") => {
                *e = Expr::Dot(Box::new(Expr::Ref(n.clone())), "json".into());
                true
            }
            _ => false,
        })
    }

    #[test]
    fn rewrites_only_expressions() {
        assert_eq!(
            rewrite(
                "@webhook @(webhook[\"foo\"]) flows@@nyaruka.com @contact.fields.webhook",
                &mut add_json
            )
            .as_deref(),
            Some(
                "@webhook.json @(webhook.json[\"foo\"]) flows@@nyaruka.com @contact.fields.webhook"
            )
        );
        assert_eq!(rewrite("foo@webhookx.com and @(1+2)", &mut add_json), None);
        assert_eq!(rewrite("unclosed @(webhook", &mut add_json), None);
    }

    #[test]
    fn lambda_parameters_are_not_context() {
        assert_eq!(
            rewrite(
                "@(foreach(x, (webhook) => webhook & webhook.a))",
                &mut add_json
            ),
            None
        );
    }

    #[test]
    fn changed_expressions_are_written_canonically() {
        assert_eq!(
            rewrite("@(upper( webhook )&\"a\\\"b\"  )", &mut add_json).as_deref(),
            Some("@(upper(webhook.json) & \"a\\\"b\")")
        );
        assert_eq!(
            rewrite("@((webhook.a + 1) * -2)", &mut add_json).as_deref(),
            Some("@((webhook.json.a + 1) * -2)")
        );
    }
}
