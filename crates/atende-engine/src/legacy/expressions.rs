//! Legacy (RapidPro, pre-spec-13) expressions → Excellent templates.
//!
//! Legacy templates use `@contact.name`, `@flow.answer`, `@step.value`, `@extra.x`,
//! `@date.today` and Excel-like `@(…)` expressions (`WORD(…)`, `&`, `<>`, `TRUE`,
//! `""`-escaped strings, date arithmetic with `+`/`-`). Each variable is mapped to where
//! the same value lives in the new context (`@fields.x`, `@results.answer`, `@input`,
//! `@legacy_extra.x`) and each old function to its new equivalent. Whatever cannot be
//! parsed is kept verbatim, so a broken legacy template stays visibly broken instead of
//! being silently rewritten.

/// The legacy top-level names a bare `@name…` may start with; any other `@word` is text
/// (e.g. an e-mail address).
const TOP_LEVEL: &[&str] = &[
    "contact", "child", "parent", "flow", "step", "date", "channel", "extra",
];

/// URN schemes a legacy `@contact.<scheme>` may name.
pub(crate) const URN_SCHEMES: &[&str] = &[
    "tel",
    "tel_e164",
    "twitter",
    "twitterid",
    "telegram",
    "facebook",
    "email",
    "mailto",
    "ext",
    "whatsapp",
    "viber",
    "line",
    "fcm",
    "jiochat",
    "wechat",
    "discord",
    "instagram",
    "slack",
    "vk",
    "freshchat",
    "rocketchat",
    "webchat",
];

/// Options for [`migrate_template_with`].
#[derive(Clone, Copy, Debug, Default)]
pub struct MigrateOptions {
    /// Wrap every expression in `url_encode(…)` (legacy webhook URLs were encoded).
    pub url_encode: bool,
}

/// Migrates a legacy template; never fails (unparseable pieces are kept as written).
pub fn migrate_template_with(template: &str, opts: MigrateOptions) -> String {
    let chars: Vec<char> = template.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '@' {
            out.push(c);
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some('@') => {
                out.push_str("@@");
                i += 2;
            }
            Some('(') => match find_close(&chars, i + 2) {
                Some(close) => {
                    let inner: String = chars[i + 2..close].iter().collect();
                    match migrate_expression(&inner, opts) {
                        Some(m) => out.push_str(&m),
                        None => out.extend(&chars[i..=close]),
                    }
                    i = close + 1;
                }
                None => {
                    out.extend(&chars[i..]);
                    i = chars.len();
                }
            },
            Some(n) if n.is_alphabetic() || *n == '_' => {
                let mut j = i + 1;
                while j < chars.len()
                    && (chars[j].is_alphanumeric() || chars[j] == '_' || chars[j] == '.')
                {
                    j += 1;
                }
                // a trailing dot ends the sentence, it is not part of the path
                while j > i + 1 && chars[j - 1] == '.' {
                    j -= 1;
                }
                let ident: String = chars[i + 1..j].iter().collect();
                let top = ident.split('.').next().unwrap_or("").to_lowercase();
                if TOP_LEVEL.contains(&top.as_str()) && !ident.contains("..") {
                    let parts: Vec<String> = ident.split('.').map(str::to_lowercase).collect();
                    let (text, _) = migrate_path(&parts);
                    out.push_str(&wrap(&text, opts));
                } else {
                    out.push('@');
                    out.push_str(&ident);
                }
                i = j;
            }
            _ => {
                out.push('@');
                i += 1;
            }
        }
    }
    out
}

/// Wraps a migrated expression as a template piece: `@a.b` when it is a plain path,
/// `@(…)` otherwise.
fn wrap(expr: &str, opts: MigrateOptions) -> String {
    if opts.url_encode {
        return format!("@(url_encode({expr}))");
    }
    let simple = !expr.is_empty()
        && expr
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        && !expr.starts_with(|c: char| c.is_ascii_digit())
        && expr != "true"
        && expr != "false";
    if simple {
        format!("@{expr}")
    } else {
        format!("@({expr})")
    }
}

/// The index of the `)` closing a `@(` whose body starts at `start`, skipping strings.
fn find_close(chars: &[char], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut i = start;
    while i < chars.len() {
        let c = chars[i];
        if in_str {
            if c == '"' {
                if chars.get(i + 1) == Some(&'"') {
                    i += 1;
                } else {
                    in_str = false;
                }
            }
        } else if c == '"' {
            in_str = true;
        } else if c == '(' {
            depth += 1;
        } else if c == ')' {
            if depth == 0 {
                return Some(i);
            }
            depth -= 1;
        }
        i += 1;
    }
    None
}

/// Migrates the body of a legacy `@(…)` into a template piece, `None` if it does not parse.
fn migrate_expression(src: &str, opts: MigrateOptions) -> Option<String> {
    let expr = parse_legacy(src)?;
    // a constant string needs no expression at all
    if let Ex::Str(s) = &expr {
        if !opts.url_encode {
            return Some(s.replace('@', "@@"));
        }
    }
    let (text, _) = migrate(&expr);
    Some(wrap(&text, opts))
}

/// Migrates a legacy expression body (no `@(`…`)`) into a new expression, if it parses.
pub fn migrate_expression_body(src: &str) -> Option<String> {
    parse_legacy(src).map(|e| migrate(&e).0)
}

// ---------------------------------------------------------------------------------------
// legacy expression syntax

#[derive(Clone, Debug, PartialEq)]
enum Ex {
    Num(String),
    Str(String),
    Bool(bool),
    Path(Vec<String>),
    Call(String, Vec<Ex>),
    Neg(Box<Ex>),
    Bin(Op, Box<Ex>, Box<Ex>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Concat,
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(String),
    Str(String),
    Ident(String),
    Op(String),
    LParen,
    RParen,
    Comma,
}

fn tokenize(src: &str) -> Option<Vec<Tok>> {
    let chars: Vec<char> = src.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if i + 1 < chars.len() && chars[i] == '.' && chars[i + 1].is_ascii_digit() {
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            toks.push(Tok::Num(chars[start..i].iter().collect()));
        } else if c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                let ch = *chars.get(i)?;
                if ch == '"' {
                    if chars.get(i + 1) == Some(&'"') {
                        s.push('"');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                s.push(ch);
                i += 1;
            }
            toks.push(Tok::Str(s));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            let ident: String = chars[start..i].iter().collect();
            if ident.ends_with('.') || ident.contains("..") {
                return None;
            }
            toks.push(Tok::Ident(ident));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            if two == "<>" || two == "<=" || two == ">=" {
                toks.push(Tok::Op(two));
                i += 2;
                continue;
            }
            match c {
                '+' | '-' | '*' | '/' | '^' | '&' | '=' | '<' | '>' => {
                    toks.push(Tok::Op(c.to_string()))
                }
                '(' => toks.push(Tok::LParen),
                ')' => toks.push(Tok::RParen),
                ',' => toks.push(Tok::Comma),
                _ => return None,
            }
            i += 1;
        }
    }
    Some(toks)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

fn parse_legacy(src: &str) -> Option<Ex> {
    let toks = tokenize(src)?;
    if toks.is_empty() {
        return None;
    }
    let mut p = Parser { toks, pos: 0 };
    let e = p.comparison()?;
    if p.pos != p.toks.len() {
        return None;
    }
    Some(e)
}

impl Parser {
    fn peek_op(&self) -> Option<&str> {
        match self.toks.get(self.pos) {
            Some(Tok::Op(o)) => Some(o.as_str()),
            _ => None,
        }
    }

    fn binary(&mut self, ops: &[(&str, Op)], next: fn(&mut Parser) -> Option<Ex>) -> Option<Ex> {
        let mut left = next(self)?;
        while let Some(op) = self.peek_op() {
            let Some((_, o)) = ops.iter().find(|(s, _)| *s == op) else {
                break;
            };
            let o = *o;
            self.pos += 1;
            let right = next(self)?;
            left = Ex::Bin(o, Box::new(left), Box::new(right));
        }
        Some(left)
    }

    fn comparison(&mut self) -> Option<Ex> {
        self.binary(
            &[
                ("=", Op::Eq),
                ("<>", Op::Neq),
                ("<", Op::Lt),
                ("<=", Op::Lte),
                (">", Op::Gt),
                (">=", Op::Gte),
            ],
            Parser::concat,
        )
    }

    fn concat(&mut self) -> Option<Ex> {
        self.binary(&[("&", Op::Concat)], Parser::additive)
    }

    fn additive(&mut self) -> Option<Ex> {
        self.binary(&[("+", Op::Add), ("-", Op::Sub)], Parser::multiplicative)
    }

    fn multiplicative(&mut self) -> Option<Ex> {
        self.binary(&[("*", Op::Mul), ("/", Op::Div)], Parser::power)
    }

    fn power(&mut self) -> Option<Ex> {
        self.binary(&[("^", Op::Pow)], Parser::unary)
    }

    fn unary(&mut self) -> Option<Ex> {
        if self.peek_op() == Some("-") {
            self.pos += 1;
            let e = self.unary()?;
            return Some(Ex::Neg(Box::new(e)));
        }
        if self.peek_op() == Some("+") {
            self.pos += 1;
            return self.unary();
        }
        self.atom()
    }

    fn atom(&mut self) -> Option<Ex> {
        let tok = self.toks.get(self.pos)?.clone();
        self.pos += 1;
        match tok {
            Tok::Num(n) => Some(Ex::Num(n)),
            Tok::Str(s) => Some(Ex::Str(s)),
            Tok::LParen => {
                let e = self.comparison()?;
                match self.toks.get(self.pos) {
                    Some(Tok::RParen) => {
                        self.pos += 1;
                        Some(e)
                    }
                    _ => None,
                }
            }
            Tok::Ident(name) => {
                if self.toks.get(self.pos) == Some(&Tok::LParen) {
                    if name.contains('.') {
                        return None;
                    }
                    self.pos += 1;
                    let mut args = Vec::new();
                    if self.toks.get(self.pos) == Some(&Tok::RParen) {
                        self.pos += 1;
                        return Some(Ex::Call(name.to_uppercase(), args));
                    }
                    loop {
                        args.push(self.comparison()?);
                        match self.toks.get(self.pos) {
                            Some(Tok::Comma) => self.pos += 1,
                            Some(Tok::RParen) => {
                                self.pos += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                    return Some(Ex::Call(name.to_uppercase(), args));
                }
                let lower = name.to_lowercase();
                match lower.as_str() {
                    "true" => Some(Ex::Bool(true)),
                    "false" => Some(Ex::Bool(false)),
                    _ => Some(Ex::Path(lower.split('.').map(str::to_string).collect())),
                }
            }
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------
// migration to new syntax

/// Precedence of the printed new expression, to decide where parentheses go.
const P_ATOM: u8 = 10;
const P_POW: u8 = 8;
const P_NEG: u8 = 7;
const P_MUL: u8 = 6;
const P_ADD: u8 = 5;
const P_CONCAT: u8 = 4;
const P_CMP: u8 = 3;
const P_EQ: u8 = 2;

fn paren(e: (String, u8), min: u8) -> String {
    if e.1 < min {
        format!("({})", e.0)
    } else {
        e.0
    }
}

/// A new-syntax string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Where a legacy context path lives in the new context, as expression text.
pub fn migrate_path(parts: &[String]) -> (String, u8) {
    let rest = |from: usize| -> String {
        parts[from..]
            .iter()
            .map(|p| format!(".{p}"))
            .collect::<String>()
    };
    let top = parts[0].as_str();
    let atom = |s: String| (s, P_ATOM);
    match top {
        "contact" => migrate_contact(&parts[1..], "contact", "fields", "urns"),
        "flow" => migrate_results(&parts[1..], "results"),
        "parent" | "child" => {
            if parts.get(1).map(String::as_str) == Some("contact") {
                migrate_contact(
                    &parts[2..],
                    &format!("{top}.contact"),
                    &format!("{top}.fields"),
                    &format!("{top}.urns"),
                )
            } else {
                migrate_results(&parts[1..], &format!("{top}.results"))
            }
        }
        "step" => match parts.get(1).map(String::as_str) {
            None | Some("value") => atom(format!("input{}", rest(2))),
            Some("contact") => migrate_contact(&parts[2..], "contact", "fields", "urns"),
            Some("time") => atom(format!("input.created_on{}", rest(2))),
            Some(_) => atom(format!("input{}", rest(1))),
        },
        "date" => match parts.get(1).map(String::as_str) {
            None | Some("now") => atom("now()".into()),
            Some("today") => atom("today()".into()),
            Some("yesterday") => atom("datetime_add(now(), -1, \"D\")".into()),
            Some("tomorrow") => atom("datetime_add(now(), 1, \"D\")".into()),
            Some(_) => atom(format!("now(){}", rest(1))),
        },
        "channel" => match parts.get(1).map(String::as_str) {
            None | Some("tel") | Some("tel_e164") | Some("address") => {
                atom("contact.channel.address".into())
            }
            Some(_) => atom(format!("contact.channel{}", rest(1))),
        },
        "extra" => atom(format!("legacy_extra{}", rest(1))),
        _ => atom(parts.join(".")),
    }
}

fn migrate_contact(parts: &[String], contact: &str, fields: &str, urns: &str) -> (String, u8) {
    let Some(first) = parts.first() else {
        return (contact.to_string(), P_ATOM);
    };
    let tail: String = parts[1..].iter().map(|p| format!(".{p}")).collect();
    let s = match first.as_str() {
        "name" | "first_name" | "uuid" | "id" | "language" | "created_on" => {
            format!("{contact}.{first}{tail}")
        }
        "groups" => format!("join({contact}.groups, \",\")"),
        "tel_e164" => format!("urn_parts({urns}.tel).path"),
        s if URN_SCHEMES.contains(&s) => format!("format_urn({urns}.{s})"),
        _ => format!("{fields}.{first}{tail}"),
    };
    (s, P_ATOM)
}

fn migrate_results(parts: &[String], results: &str) -> (String, u8) {
    let Some(name) = parts.first() else {
        return (results.to_string(), P_ATOM);
    };
    if name == "contact" {
        return migrate_contact(&parts[1..], "contact", "fields", "urns");
    }
    let sub = match parts.get(1).map(String::as_str) {
        None => String::new(),
        Some("text") => ".input".into(),
        Some("time") => ".created_on".into(),
        Some(other) => format!(".{other}"),
    };
    let tail: String = parts.iter().skip(2).map(|p| format!(".{p}")).collect();
    (format!("{results}.{name}{sub}{tail}"), P_ATOM)
}

/// True for expressions that are certainly numbers (so `+` needs no date handling).
fn is_numeric(e: &Ex) -> bool {
    match e {
        Ex::Num(_) => true,
        Ex::Neg(x) => is_numeric(x),
        Ex::Bin(Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Pow, a, b) => {
            is_numeric(a) && is_numeric(b)
        }
        _ => false,
    }
}

/// True for `date.*` paths and date-valued functions, which `+ n` shifts by days.
fn is_date_path(e: &Ex) -> bool {
    match e {
        Ex::Path(p) => p[0] == "date",
        Ex::Call(n, _) => matches!(n.as_str(), "NOW" | "TODAY"),
        _ => false,
    }
}

fn neg_text(e: &Ex) -> String {
    match e {
        Ex::Num(n)
            if n.chars().all(|c| c.is_ascii_digit()) && n.trim_start_matches('0').is_empty() =>
        {
            "0".into()
        }
        Ex::Num(n) => format!("-{n}"),
        Ex::Neg(x) => paren(migrate(x), P_NEG),
        _ => format!("-{}", paren(migrate(e), P_NEG)),
    }
}

/// `n - 1` for a 1-based index, computed when it is a literal.
fn minus_one(e: &Ex) -> String {
    if let Some(n) = int_literal(e) {
        return (n - 1).to_string();
    }
    format!("{} - 1", paren(migrate(e), P_ADD + 1))
}

fn int_literal(e: &Ex) -> Option<i64> {
    match e {
        Ex::Num(n) => n.parse().ok(),
        Ex::Str(s) => s.trim().parse().ok(),
        Ex::Neg(x) => int_literal(x).map(|n| -n),
        _ => None,
    }
}

fn is_true_literal(e: &Ex) -> bool {
    match e {
        Ex::Bool(b) => *b,
        Ex::Str(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn migrate(e: &Ex) -> (String, u8) {
    match e {
        Ex::Num(n) => (n.clone(), P_ATOM),
        Ex::Str(s) => (quote(s), P_ATOM),
        Ex::Bool(b) => (b.to_string(), P_ATOM),
        Ex::Path(p) => migrate_path(p),
        Ex::Neg(x) => (format!("-{}", paren(migrate(x), P_NEG)), P_NEG),
        Ex::Call(name, args) => migrate_call(name, args),
        Ex::Bin(op, a, b) => migrate_binary(*op, a, b),
    }
}

fn migrate_binary(op: Op, a: &Ex, b: &Ex) -> (String, u8) {
    if matches!(op, Op::Add | Op::Sub) && !(is_numeric(a) && is_numeric(b)) {
        let right = if op == Op::Sub {
            neg_text(b)
        } else {
            migrate(b).0
        };
        if is_date_path(a) && is_numeric(b) {
            return (
                format!("datetime_add({}, {right}, \"D\")", migrate(a).0),
                P_ATOM,
            );
        }
        return (format!("legacy_add({}, {right})", migrate(a).0), P_ATOM);
    }
    let (sym, prec, right_assoc) = match op {
        Op::Add => ("+", P_ADD, false),
        Op::Sub => ("-", P_ADD, false),
        Op::Mul => ("*", P_MUL, false),
        Op::Div => ("/", P_MUL, false),
        Op::Pow => ("^", P_POW, false),
        Op::Concat => ("&", P_CONCAT, false),
        Op::Eq => ("=", P_EQ, false),
        Op::Neq => ("!=", P_EQ, false),
        Op::Lt => ("<", P_CMP, false),
        Op::Lte => ("<=", P_CMP, false),
        Op::Gt => (">", P_CMP, false),
        Op::Gte => (">=", P_CMP, false),
    };
    let (lmin, rmin) = if right_assoc {
        (prec + 1, prec)
    } else {
        (prec, prec + 1)
    };
    (
        format!(
            "{} {sym} {}",
            paren(migrate(a), lmin),
            paren(migrate(b), rmin)
        ),
        prec,
    )
}

fn call(name: &str, args: &[String]) -> (String, u8) {
    (format!("{name}({})", args.join(", ")), P_ATOM)
}

fn migrate_call(name: &str, args: &[Ex]) -> (String, u8) {
    let m: Vec<String> = args.iter().map(|a| migrate(a).0).collect();
    let chain = |sym: &str, prec: u8| -> (String, u8) {
        let parts: Vec<String> = args.iter().map(|a| paren(migrate(a), prec + 1)).collect();
        (parts.join(&format!(" {sym} ")), prec)
    };
    match name {
        "TRUE" if args.is_empty() => ("true".into(), P_ATOM),
        "FALSE" if args.is_empty() => ("false".into(), P_ATOM),
        "AVERAGE" => call("mean", &m),
        "CONCATENATE" if !args.is_empty() => chain("&", P_CONCAT),
        "SUM" if !args.is_empty() => chain("+", P_ADD),
        "DATE" => call("date_from_parts", &m),
        "TIME" => call("time_from_parts", &m),
        "DATEVALUE" => call("datetime", &m),
        "TIMEVALUE" => call("time", &m),
        "DATEDIF" if args.len() == 3 => {
            let unit = match &args[2] {
                Ex::Str(u) => quote(&u.to_uppercase()),
                _ => m[2].clone(),
            };
            call("datetime_diff", &[m[0].clone(), m[1].clone(), unit])
        }
        "DAYS" if args.len() == 2 => {
            call("datetime_diff", &[m[1].clone(), m[0].clone(), quote("D")])
        }
        "EDATE" if args.len() == 2 => {
            call("datetime_add", &[m[0].clone(), m[1].clone(), quote("M")])
        }
        "DAY" if args.len() == 1 => call("format_date", &[m[0].clone(), quote("D")]),
        "MONTH" if args.len() == 1 => call("format_date", &[m[0].clone(), quote("M")]),
        "YEAR" if args.len() == 1 => call("format_date", &[m[0].clone(), quote("YYYY")]),
        "HOUR" if args.len() == 1 => call("format_datetime", &[m[0].clone(), quote("tt")]),
        "MINUTE" if args.len() == 1 => call("format_datetime", &[m[0].clone(), quote("m")]),
        "SECOND" if args.len() == 1 => call("format_datetime", &[m[0].clone(), quote("s")]),
        "WEEKDAY" if args.len() == 1 => (format!("weekday({}) + 1", m[0]), P_ADD),
        "EXP" if args.len() == 1 => (
            format!(
                "2.718281828459045 ^ {}",
                paren(migrate(&args[0]), P_POW + 1)
            ),
            P_POW,
        ),
        "POWER" if args.len() == 2 => (
            format!(
                "{} ^ {}",
                paren(migrate(&args[0]), P_POW),
                paren(migrate(&args[1]), P_POW + 1)
            ),
            P_POW,
        ),
        "FIXED" if !args.is_empty() => {
            let mut a = vec![
                m[0].clone(),
                m.get(1).cloned().unwrap_or_else(|| "2".into()),
            ];
            if args.get(2).is_some_and(is_true_literal) {
                a.push("false".into());
            }
            call("format_number", &a)
        }
        "INT" => call("round_down", &m),
        "LEFT" if args.len() == 2 => call("text_slice", &[m[0].clone(), "0".into(), m[1].clone()]),
        "RIGHT" if args.len() == 2 => call("text_slice", &[m[0].clone(), neg_text(&args[1])]),
        "LEN" => call("text_length", &m),
        "PROPER" => call("title", &m),
        "REPT" => call("repeat", &m),
        "READ_DIGITS" => call("read_chars", &m),
        "ROUNDUP" => call("round_up", &m),
        "ROUNDDOWN" => call("round_down", &m),
        "RANDBETWEEN" => call("rand_between", &m),
        "UNICHAR" => call("char", &m),
        "UNICODE" => call("code", &m),
        "FORMAT_DATE" => call("format_datetime", &m),
        "REGEX_GROUP" => call("regex_match", &m),
        "SUBSTITUTE" if args.len() >= 3 => {
            let mut a = m[..3].to_vec();
            if let Some(inst) = args.get(3) {
                if int_literal(inst) != Some(-1) {
                    a.push(m[3].clone());
                }
            }
            call("replace", &a)
        }
        "FIRST_WORD" if args.len() == 1 => call("word", &[m[0].clone(), "0".into()]),
        "WORD" if args.len() >= 2 => {
            let mut a = vec![m[0].clone(), minus_one(&args[1])];
            if args.get(2).is_some_and(is_true_literal) {
                a.push(quote(" "));
            }
            call("word", &a)
        }
        "WORD_COUNT" if !args.is_empty() => {
            let mut a = vec![m[0].clone()];
            if args.get(1).is_some_and(is_true_literal) {
                a.push(quote(" "));
            }
            call("word_count", &a)
        }
        "WORD_SLICE" if args.len() >= 2 => {
            let mut a = vec![m[0].clone(), minus_one(&args[1])];
            if let Some(stop) = args.get(2) {
                match int_literal(stop) {
                    Some(0) => {}
                    Some(n) if n < 0 => a.push(n.to_string()),
                    _ => a.push(minus_one(stop)),
                }
            }
            call("word_slice", &a)
        }
        "FIELD" if args.len() == 3 => {
            call("field", &[m[0].clone(), minus_one(&args[1]), m[2].clone()])
        }
        _ => call(&name.to_lowercase(), &m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mig(s: &str) -> String {
        migrate_template_with(s, MigrateOptions::default())
    }

    #[test]
    fn variables_move_to_the_new_context() {
        assert_eq!(mig("Hi @contact.name"), "Hi @contact.name");
        assert_eq!(mig("@contact.city?"), "@fields.city?");
        assert_eq!(mig("@flow.phone.text"), "@results.phone.input");
        assert_eq!(mig("Body @step.value"), "Body @input");
        assert_eq!(mig("@contact.groups"), "@(join(contact.groups, \",\"))");
        assert_eq!(mig("mail rowan@nyaruka.com."), "mail rowan@nyaruka.com.");
        assert_eq!(mig("@extra.color"), "@legacy_extra.color");
    }

    #[test]
    fn expressions_are_rewritten() {
        assert_eq!(mig("@(\"\")"), "");
        assert_eq!(
            mig("@(date.today + 10)"),
            "@(datetime_add(today(), 10, \"D\"))"
        );
        assert_eq!(mig("@date.yesterday"), "@(datetime_add(now(), -1, \"D\"))");
        assert_eq!(mig("@(WORD(x, 2))"), "@(word(x, 1))");
        assert_eq!(mig("@(1 <> 2)"), "@(1 != 2)");
        assert_eq!(
            mig("@(legacy.expression.with.error.)"),
            "@(legacy.expression.with.error.)"
        );
        assert_eq!(mig("@('x')"), "@('x')");
    }
}
