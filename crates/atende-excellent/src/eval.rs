//! The evaluator: walks an [`Expr`] against a context and returns a [`Value`].
//!
//! Mistakes inside an expression are values (`Value::Error`), never panics or `Err`s:
//! a template keeps going and reports each failing segment. A step budget stops
//! expressions that would run too long (`expression is too complex to evaluate`).

use std::sync::Arc;

use jiff::Timestamp;
use rust_decimal::{Decimal, MathematicalOps};

use crate::env::Environment;
use crate::parser::{BinOp, Expr};
use crate::services::RandomSource;
use crate::template::{Segment, Template};
use crate::value::{Func, Lambda, Value};

/// Most evaluation steps one template may take.
pub const MAX_STEPS: usize = 1_000_000;

/// Deepest chain of nested function-value calls (`foreach` inside a lambda inside …).
const MAX_CALL_DEPTH: usize = 64;

/// Evaluates expressions and templates against one context.
pub struct Evaluator<'a> {
    pub env: &'a Environment,
    /// The instant `now()` returns, once read.
    now: Option<Timestamp>,
    /// Where `now` comes from when it was not given: read only when an expression
    /// needs the time, so evaluating costs the caller's clock nothing otherwise.
    clock: Option<&'a mut dyn FnMut() -> Timestamp>,
    pub random: &'a mut dyn RandomSource,
    /// The context root: an object whose keys are the top-level names (`contact`, `fields`…).
    pub root: &'a Value,
    /// Deprecation messages of values used so far.
    pub warnings: Vec<String>,
    scope: Vec<(Arc<str>, Value)>,
    steps: usize,
    call_depth: usize,
}

/// The result of evaluating a template as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    /// One `error evaluating @…: …` message per failing segment.
    pub errors: Vec<String>,
}

impl<'a> Evaluator<'a> {
    pub fn new(
        env: &'a Environment,
        root: &'a Value,
        now: Timestamp,
        random: &'a mut dyn RandomSource,
    ) -> Evaluator<'a> {
        Evaluator {
            env,
            now: Some(now),
            clock: None,
            random,
            root,
            warnings: Vec::new(),
            scope: Vec::new(),
            steps: 0,
            call_depth: 0,
        }
    }

    /// An evaluator that reads the time from `clock`, once, when an expression first
    /// needs it (`now()`, `today()`, dates parsed from text).
    pub fn with_clock(
        env: &'a Environment,
        root: &'a Value,
        clock: &'a mut dyn FnMut() -> Timestamp,
        random: &'a mut dyn RandomSource,
    ) -> Evaluator<'a> {
        Evaluator {
            env,
            now: None,
            clock: Some(clock),
            random,
            root,
            warnings: Vec::new(),
            scope: Vec::new(),
            steps: 0,
            call_depth: 0,
        }
    }

    /// The current instant (read from the clock the first time).
    pub fn now(&mut self) -> Timestamp {
        if let Some(now) = self.now {
            return now;
        }
        let now = self
            .clock
            .as_mut()
            .map(|c| c())
            .unwrap_or(Timestamp::UNIX_EPOCH);
        self.now = Some(now);
        now
    }

    /// True when `name` is a top-level key of the context (what `@name` may refer to).
    pub fn is_top_level(&self, name: &str) -> bool {
        match self.root {
            Value::Object(o) => o.get(name).is_some(),
            _ => false,
        }
    }

    /// Scans, parses and renders `src` as text.
    pub fn template(&mut self, src: &str) -> Rendered {
        let root = self.root;
        let tpl = Template::parse(src, &|n| is_top_level_in(root, n));
        self.render(&tpl)
    }

    /// Renders a pre-parsed template as text.
    pub fn render(&mut self, tpl: &Template) -> Rendered {
        self.steps = 0;
        let mut text = String::new();
        let mut errors = Vec::new();
        for seg in &tpl.segments {
            match seg {
                Segment::Text(t) => text.push_str(t),
                Segment::Expr { source, expr } => {
                    let v = self.segment_value(expr);
                    match v {
                        Value::Error(e) => errors.push(format!("error evaluating {source}: {e}")),
                        v => v.render_into(&mut text),
                    }
                }
            }
        }
        Rendered { text, errors }
    }

    /// A template's typed value: a single `@…` segment gives its value, anything else text.
    pub fn template_value(&mut self, tpl: &Template) -> (Value, Vec<String>) {
        if let Some(Segment::Expr { source, expr }) = tpl.single_expression() {
            self.steps = 0;
            let v = self.segment_value(expr);
            let errors = match &v {
                Value::Error(e) => vec![format!("error evaluating {source}: {e}")],
                _ => Vec::new(),
            };
            return (v, errors);
        }
        let r = self.render(tpl);
        (Value::text(r.text), r.errors)
    }

    fn segment_value(&mut self, expr: &Result<Arc<Expr>, crate::parser::ParseError>) -> Value {
        match expr {
            Ok(e) => self.eval(e),
            Err(e) => Value::error(e.to_string()),
        }
    }

    /// Evaluates an expression.
    pub fn eval(&mut self, e: &Expr) -> Value {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Value::error("expression is too complex to evaluate");
        }
        match e {
            Expr::Text(t) => Value::Text(t.clone()),
            Expr::Number(n) => Value::Number(*n),
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Null => Value::Null,
            Expr::Ref(name) => self.resolve(name),
            Expr::Dot(target, key) => {
                let t = self.eval(target);
                self.lookup_key(&t, key)
            }
            Expr::Index(target, index) => {
                let t = self.eval(target);
                if t.is_error() {
                    return t;
                }
                let i = self.eval(index);
                self.lookup_index(&t, &i)
            }
            Expr::Call(callee, args) => {
                let f = self.eval(callee);
                let Value::Function(func) = f else {
                    if f.is_error() {
                        return f;
                    }
                    return Value::error(format!("{} is not a function", f.describe()));
                };
                let args: Vec<Value> = args.iter().map(|a| self.eval(a)).collect();
                self.call(&func, &args)
            }
            Expr::Lambda(params, body) => Value::Function(Func::Lambda(Arc::new(Lambda {
                params: params.clone(),
                body: body.clone(),
                captured: self.scope.clone(),
            }))),
            Expr::Neg(inner) => {
                let v = self.eval(inner);
                match v.to_number() {
                    Ok(n) => Value::Number(-n),
                    Err(e) => e,
                }
            }
            Expr::Binary(op, l, r) => {
                let l = self.eval(l);
                let r = self.eval(r);
                binary(*op, &l, &r)
            }
        }
    }

    fn resolve(&mut self, name: &str) -> Value {
        if let Some((_, v)) = self
            .scope
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
        {
            return v.clone();
        }
        if let Some(def) = crate::functions::lookup(name) {
            return Value::Function(Func::Native(def));
        }
        if let Value::Object(o) = self.root {
            if let Some(v) = o.get(name) {
                if let Some(msg) = o.deprecation(name) {
                    self.warnings.push(msg.to_string());
                }
                return self.note_deprecated(v);
            }
        }
        Value::error(format!("context has no property '{name}'"))
    }

    fn note_deprecated(&mut self, v: &Value) -> Value {
        if let Value::Object(o) = v {
            if let Some(msg) = &o.deprecated {
                self.warnings.push(msg.to_string());
            }
        }
        v.clone()
    }

    /// `value.key` (also used by `@a.0`): objects by key, arrays by numeric key.
    pub fn lookup_key(&mut self, target: &Value, key: &str) -> Value {
        match target {
            Value::Error(_) => target.clone(),
            Value::Object(o) => match o.get(key) {
                Some(v) => {
                    if let Some(msg) = o.deprecation(key) {
                        self.warnings.push(msg.to_string());
                    }
                    self.note_deprecated(v)
                }
                None => Value::error(format!("object has no property '{key}'")),
            },
            Value::Array(_) => self.lookup_index(target, &Value::text(key)),
            _ => Value::error(format!("{} doesn't support lookups", target.describe())),
        }
    }

    /// `value[index]`.
    pub fn lookup_index(&mut self, target: &Value, index: &Value) -> Value {
        match target {
            Value::Error(_) => target.clone(),
            Value::Array(items) => {
                let n = match index.to_number() {
                    Ok(n) => n,
                    Err(e) => return e,
                };
                let Some(i) = integer(&n) else {
                    return Value::error(format!(
                        "index {} out of range for {} items",
                        n,
                        items.len()
                    ));
                };
                let len = items.len() as i64;
                let idx = if i < 0 { len + i } else { i };
                if idx < 0 || idx >= len {
                    return Value::error(format!("index {i} out of range for {len} items"));
                }
                items[idx as usize].clone()
            }
            Value::Object(_) => match index.to_text() {
                Ok(k) => self.lookup_key(target, &k),
                Err(e) => e,
            },
            _ => Value::error(format!("{} doesn't support lookups", target.describe())),
        }
    }

    /// Calls a function value with already evaluated arguments; errors returned by the
    /// function are wrapped as `error calling NAME(...): …`.
    pub fn call(&mut self, func: &Func, args: &[Value]) -> Value {
        let result = match func {
            Func::Native(def) => match def.check_arity(args.len()) {
                Some(msg) => Value::error(msg),
                None => (def.call)(self, args),
            },
            Func::Lambda(lambda) => {
                if args.len() != lambda.params.len() {
                    Value::error(format!(
                        "need {} argument(s), got {}",
                        lambda.params.len(),
                        args.len()
                    ))
                } else if self.call_depth >= MAX_CALL_DEPTH {
                    Value::error("expression is too complex to evaluate")
                } else {
                    let saved = std::mem::replace(&mut self.scope, lambda.captured.clone());
                    self.scope
                        .extend(lambda.params.iter().cloned().zip(args.iter().cloned()));
                    self.call_depth += 1;
                    let v = self.eval(&lambda.body);
                    self.call_depth -= 1;
                    self.scope = saved;
                    v
                }
            }
        };
        match result {
            Value::Error(e) => Value::error(format!(
                "error calling {}(...): {e}",
                func.name().to_lowercase()
            )),
            v => v,
        }
    }

    /// Calls a value that should be a function (`foreach(list, upper)`).
    pub fn call_value(&mut self, f: &Value, args: &[Value]) -> Value {
        match f {
            Value::Function(func) => self.call(func, args),
            Value::Error(_) => Value::error("error is not a function"),
            other => Value::error(format!("{} is not a function", other.describe())),
        }
    }
}

fn is_top_level_in(root: &Value, name: &str) -> bool {
    match root {
        Value::Object(o) => o.get(name).is_some(),
        _ => false,
    }
}

/// The integer value of `n`, when it has no fractional part and fits in i64.
pub fn integer(n: &Decimal) -> Option<i64> {
    if n.fract().is_zero() {
        i64::try_from(n.trunc()).ok()
    } else {
        None
    }
}

fn out_of_range() -> Value {
    Value::error("number value out of range")
}

fn binary(op: BinOp, l: &Value, r: &Value) -> Value {
    match op {
        BinOp::Concat => {
            let a = match l.to_text() {
                Ok(a) => a,
                Err(e) => return e,
            };
            match r.to_text() {
                Ok(b) => Value::text(a + &b),
                Err(e) => e,
            }
        }
        BinOp::Eq | BinOp::Neq => match l.equals(r) {
            Ok(eq) => Value::Bool(eq == (op == BinOp::Eq)),
            Err(e) => e,
        },
        BinOp::Lt | BinOp::Lte | BinOp::Gt | BinOp::Gte => {
            let ord = match compare(l, r) {
                Ok(o) => o,
                Err(e) => return e,
            };
            use std::cmp::Ordering::*;
            Value::Bool(match op {
                BinOp::Lt => ord == Less,
                BinOp::Lte => ord != Greater,
                BinOp::Gt => ord == Greater,
                _ => ord != Less,
            })
        }
        _ => {
            let a = match l.to_number() {
                Ok(a) => a,
                Err(e) => return e,
            };
            let b = match r.to_number() {
                Ok(b) => b,
                Err(e) => return e,
            };
            let res = match op {
                BinOp::Add => a.checked_add(b),
                BinOp::Sub => a.checked_sub(b),
                BinOp::Mul => a.checked_mul(b),
                BinOp::Div => {
                    if b.is_zero() {
                        return Value::error("division by zero");
                    }
                    // goflow divides to 16 decimal places
                    a.checked_div(b).map(|q| {
                        q.round_dp_with_strategy(
                            16,
                            rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                        )
                    })
                }
                BinOp::Pow => return power(a, b),
                _ => unreachable!("handled above"),
            };
            match res {
                Some(n) => Value::Number(n),
                None => out_of_range(),
            }
        }
    }
}

/// `a ^ b`. Exponents above 100 are refused like goflow; fractional exponents go through
/// f64 and are rounded back to 16 places.
pub fn power(a: Decimal, b: Decimal) -> Value {
    if b.abs() > Decimal::from(100) {
        return out_of_range();
    }
    if let Some(e) = integer(&b) {
        let r = if e >= 0 {
            a.checked_powi(e)
        } else if a.is_zero() {
            return Value::error("division by zero");
        } else {
            a.checked_powi(-e).and_then(|p| Decimal::ONE.checked_div(p))
        };
        return r.map(Value::Number).unwrap_or_else(out_of_range);
    }
    use rust_decimal::prelude::ToPrimitive;
    let (Some(x), Some(y)) = (a.to_f64(), b.to_f64()) else {
        return out_of_range();
    };
    let r = x.powf(y);
    if !r.is_finite() {
        return out_of_range();
    }
    match Decimal::from_f64_retain(r) {
        Some(d) => Value::Number(d.round_dp(16).normalize()),
        None => out_of_range(),
    }
}

fn compare(l: &Value, r: &Value) -> Result<std::cmp::Ordering, Value> {
    let (a, b) = (l.default_or_self(), r.default_or_self());
    match (a, b) {
        (Value::Error(_), _) => Err(a.clone()),
        (_, Value::Error(_)) => Err(b.clone()),
        (Value::Date(x), Value::Date(y)) => Ok(x.cmp(y)),
        (Value::Time(x), Value::Time(y)) => Ok(x.cmp(y)),
        (Value::DateTime(x), Value::DateTime(y)) => Ok(x.timestamp().cmp(&y.timestamp())),
        _ => Ok(a.to_number()?.cmp(&b.to_number()?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Object;

    fn contact_root() -> Value {
        let mut contact = Object::with_default(Value::from("Bob"));
        contact.insert("name", Value::from("Bob"));
        contact.insert("id", Value::from("1234"));
        contact.deprecate("id", "@contact.id is deprecated");
        contact.insert("tickets", Value::array(vec![]));
        contact.deprecate("tickets", "@contact.tickets is deprecated");
        let mut root = Object::new();
        root.insert("contact", Value::Object(Arc::new(contact)));
        Value::Object(Arc::new(root))
    }

    /// Deprecated texts and arrays warn when looked up, whatever the key's case.
    #[test]
    fn deprecated_properties_warn_when_read() {
        let env = Environment::default();
        let root = contact_root();
        let mut rng = crate::Pcg::new(1, 1);
        let mut ev = Evaluator::new(&env, &root, Timestamp::UNIX_EPOCH, &mut rng);
        let r = ev.template("@contact.name @contact.ID @(count(contact.tickets))");
        assert_eq!(r.text, "Bob 1234 0");
        assert_eq!(
            ev.warnings,
            [
                "@contact.id is deprecated",
                "@contact.tickets is deprecated"
            ]
        );
    }

    /// The clock is read once, and only when an expression needs the time.
    #[test]
    fn the_clock_is_read_only_when_needed() {
        let env = Environment::default();
        let root = contact_root();
        let mut rng = crate::Pcg::new(1, 1);
        let mut reads = 0;
        let mut clock = || {
            reads += 1;
            Timestamp::UNIX_EPOCH
        };
        let mut ev = Evaluator::with_clock(&env, &root, &mut clock, &mut rng);
        assert_eq!(ev.template("@contact.name").text, "Bob");
        assert_eq!(
            ev.template("@(format_date(today())) @(format_datetime(now(), \"YYYY\"))")
                .text,
            "1970-01-01 1970"
        );
        drop(ev);
        assert_eq!(reads, 1);
    }
}
