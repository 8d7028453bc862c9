//! Expression lexer and parser: text → [`Expr`].
//!
//! Precedence, loosest first: `&`; `=` `!=`; `<` `<=` `>` `>=`; `+` `-`; `*` `/`; `^`;
//! unary `-`; then postfix calls, `.name`, `.0` and `[index]` on atoms. Literals (text,
//! numbers, `true`, `false`, `null`) take no postfix, as in goflow's grammar.
//! Nesting is bounded so hostile input returns an error instead of overflowing the stack.

use std::sync::Arc;

use rust_decimal::Decimal;

use crate::value::parse_decimal;

/// Deepest nesting of parentheses, calls and operators the parser accepts.
pub const MAX_DEPTH: usize = 200;

/// A parsed expression.
#[derive(Debug, Clone)]
pub enum Expr {
    Text(Arc<str>),
    Number(Decimal),
    Bool(bool),
    Null,
    /// A top-level name: a lambda parameter, a function or a context property.
    Ref(Arc<str>),
    /// `a.b`, `a.0`: the key is kept as written.
    Dot(Box<Expr>, Arc<str>),
    /// `a[expr]`
    Index(Box<Expr>, Box<Expr>),
    Call(Box<Expr>, Vec<Expr>),
    Lambda(Vec<Arc<str>>, Arc<Expr>),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Concat,
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(Arc<str>),
    Int(Arc<str>),
    Decimal(Arc<str>),
    Text(Arc<str>),
    LParen,
    RParen,
    LBrack,
    RBrack,
    Comma,
    Dot,
    Arrow,
    Op(BinOp),
    Minus,
    Eof,
}

/// Why an expression could not be parsed; displays like goflow (`syntax error at …`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("syntax error at {0}")]
    Syntax(String),
    #[error("number {0} is out of range")]
    NumberOutOfRange(String),
    #[error("expression is too deeply nested")]
    TooDeep,
}

/// Binding strength of a binary operator (higher binds tighter).
pub fn precedence(op: BinOp) -> u8 {
    match op {
        BinOp::Concat => 1,
        BinOp::Eq | BinOp::Neq => 2,
        BinOp::Lt | BinOp::Lte | BinOp::Gt | BinOp::Gte => 3,
        BinOp::Add | BinOp::Sub => 4,
        BinOp::Mul | BinOp::Div => 5,
        BinOp::Pow => 6,
    }
}

struct Lexer<'a> {
    src: &'a str,
    toks: Vec<(Tok, usize)>,
}

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

impl<'a> Lexer<'a> {
    fn lex(src: &'a str) -> Result<Vec<(Tok, usize)>, ParseError> {
        let mut lx = Lexer {
            src,
            toks: Vec::new(),
        };
        let bytes = src.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            let start = i;
            match c {
                b' ' | b'\t' | b'\n' | b'\r' => {
                    i += 1;
                    continue;
                }
                b'(' => lx.push(Tok::LParen, start, &mut i, 1),
                b')' => lx.push(Tok::RParen, start, &mut i, 1),
                b'[' => lx.push(Tok::LBrack, start, &mut i, 1),
                b']' => lx.push(Tok::RBrack, start, &mut i, 1),
                b',' => lx.push(Tok::Comma, start, &mut i, 1),
                b'.' => lx.push(Tok::Dot, start, &mut i, 1),
                b'&' => lx.push(Tok::Op(BinOp::Concat), start, &mut i, 1),
                b'+' => lx.push(Tok::Op(BinOp::Add), start, &mut i, 1),
                b'-' => lx.push(Tok::Minus, start, &mut i, 1),
                b'*' => lx.push(Tok::Op(BinOp::Mul), start, &mut i, 1),
                b'/' => lx.push(Tok::Op(BinOp::Div), start, &mut i, 1),
                b'^' => lx.push(Tok::Op(BinOp::Pow), start, &mut i, 1),
                b'=' if bytes.get(i + 1) == Some(&b'>') => lx.push(Tok::Arrow, start, &mut i, 2),
                b'=' => lx.push(Tok::Op(BinOp::Eq), start, &mut i, 1),
                b'!' if bytes.get(i + 1) == Some(&b'=') => {
                    lx.push(Tok::Op(BinOp::Neq), start, &mut i, 2)
                }
                b'<' if bytes.get(i + 1) == Some(&b'=') => {
                    lx.push(Tok::Op(BinOp::Lte), start, &mut i, 2)
                }
                b'<' if bytes.get(i + 1) == Some(&b'>') => {
                    lx.push(Tok::Op(BinOp::Neq), start, &mut i, 2)
                }
                b'<' => lx.push(Tok::Op(BinOp::Lt), start, &mut i, 1),
                b'>' if bytes.get(i + 1) == Some(&b'=') => {
                    lx.push(Tok::Op(BinOp::Gte), start, &mut i, 2)
                }
                b'>' => lx.push(Tok::Op(BinOp::Gt), start, &mut i, 1),
                b'"' => {
                    let (text, end) = lex_string(src, i)?;
                    lx.toks.push((Tok::Text(text.into()), start));
                    i = end;
                }
                b'0'..=b'9' => {
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                    if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
                        i += 1;
                        while i < bytes.len() && bytes[i].is_ascii_digit() {
                            i += 1;
                        }
                        lx.toks.push((Tok::Decimal(src[start..i].into()), start));
                    } else {
                        lx.toks.push((Tok::Int(src[start..i].into()), start));
                    }
                }
                _ => {
                    let ch = src[i..].chars().next().unwrap_or(' ');
                    if is_name_start(ch) {
                        let mut end = i;
                        for (off, ch) in src[i..].char_indices() {
                            if is_name_char(ch) {
                                end = i + off + ch.len_utf8();
                            } else {
                                break;
                            }
                        }
                        lx.toks.push((Tok::Name(src[start..end].into()), start));
                        i = end;
                    } else {
                        return Err(ParseError::Syntax(src[start..].trim().to_string()));
                    }
                }
            }
        }
        lx.toks.push((Tok::Eof, src.len()));
        Ok(lx.toks)
    }

    fn push(&mut self, tok: Tok, start: usize, i: &mut usize, len: usize) {
        let _ = self.src;
        self.toks.push((tok, start));
        *i += len;
    }
}

/// Reads a `"…"` literal with Go-style escapes starting at `start`; returns the text and
/// the index after the closing quote.
fn lex_string(src: &str, start: usize) -> Result<(String, usize), ParseError> {
    let mut out = String::new();
    let mut chars = src[start + 1..].char_indices();
    while let Some((off, c)) = chars.next() {
        match c {
            '"' => return Ok((out, start + 1 + off + 1)),
            '\\' => {
                let Some((_, e)) = chars.next() else { break };
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'a' => out.push('\u{7}'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'v' => out.push('\u{b}'),
                    '\\' => out.push('\\'),
                    '"' => out.push('"'),
                    '\'' => out.push('\''),
                    'u' | 'U' | 'x' => {
                        let n = match e {
                            'u' => 4,
                            'U' => 8,
                            _ => 2,
                        };
                        let mut code = 0u32;
                        let mut ok = true;
                        for _ in 0..n {
                            match chars.next().and_then(|(_, h)| h.to_digit(16)) {
                                Some(d) => code = code * 16 + d,
                                None => ok = false,
                            }
                        }
                        match char::from_u32(code) {
                            Some(ch) if ok => out.push(ch),
                            _ => return Err(ParseError::Syntax(src[start..].to_string())),
                        }
                    }
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
            c => out.push(c),
        }
    }
    Err(ParseError::Syntax(src[start..].to_string()))
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<(Tok, usize)>,
    pos: usize,
    depth: usize,
}

/// Parses one expression (the text inside `@( … )`).
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let toks = Lexer::lex(src)?;
    let mut p = Parser {
        src,
        toks,
        pos: 0,
        depth: 0,
    };
    let e = p.expr()?;
    if p.peek() != &Tok::Eof {
        return Err(p.error_here());
    }
    Ok(e)
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }

    fn peek_at(&self, n: usize) -> &Tok {
        let i = (self.pos + n).min(self.toks.len() - 1);
        &self.toks[i].0
    }

    fn bump(&mut self) -> Tok {
        let t = self.toks[self.pos].0.clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn error_here(&self) -> ParseError {
        let at = self.toks[self.pos].1;
        ParseError::Syntax(self.src[at..].trim().to_string())
    }

    fn expect(&mut self, t: Tok) -> Result<(), ParseError> {
        if *self.peek() == t {
            self.bump();
            Ok(())
        } else {
            Err(self.error_here())
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(ParseError::TooDeep)
        } else {
            Ok(())
        }
    }

    fn expr(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let e = self.binary(1);
        self.depth -= 1;
        e
    }

    /// Precedence climbing: one frame per nesting level instead of one per operator
    /// level, which keeps deep (hostile) input well inside small thread stacks.
    fn binary(&mut self, min_prec: u8) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Tok::Op(op) => *op,
                Tok::Minus => BinOp::Sub,
                _ => break,
            };
            let prec = precedence(op);
            if prec < min_prec {
                break;
            }
            self.bump();
            // all operators are left-associative
            let right = self.binary(prec + 1)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if *self.peek() == Tok::Minus {
            self.bump();
            self.enter()?;
            let inner = self.unary();
            self.depth -= 1;
            return Ok(Expr::Neg(Box::new(inner?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        match self.peek().clone() {
            Tok::Text(s) => {
                self.bump();
                Ok(Expr::Text(s))
            }
            Tok::Int(s) | Tok::Decimal(s) => {
                self.bump();
                let n =
                    parse_decimal(&s).ok_or_else(|| ParseError::NumberOutOfRange(s.to_string()))?;
                Ok(Expr::Number(n))
            }
            Tok::Name(n) if n.eq_ignore_ascii_case("true") => {
                self.bump();
                Ok(Expr::Bool(true))
            }
            Tok::Name(n) if n.eq_ignore_ascii_case("false") => {
                self.bump();
                Ok(Expr::Bool(false))
            }
            Tok::Name(n) if n.eq_ignore_ascii_case("null") => {
                self.bump();
                Ok(Expr::Null)
            }
            _ => self.atom(),
        }
    }

    fn is_lambda_ahead(&self) -> bool {
        // `(` [name {, name}] `)` `=>`
        let mut i = 1;
        if *self.peek_at(i) == Tok::RParen {
            return *self.peek_at(i + 1) == Tok::Arrow;
        }
        loop {
            if !matches!(self.peek_at(i), Tok::Name(_)) {
                return false;
            }
            i += 1;
            match self.peek_at(i) {
                Tok::Comma => i += 1,
                Tok::RParen => return *self.peek_at(i + 1) == Tok::Arrow,
                _ => return false,
            }
        }
    }

    fn atom(&mut self) -> Result<Expr, ParseError> {
        let mut e = match self.peek().clone() {
            Tok::Name(n) => {
                self.bump();
                Expr::Ref(n)
            }
            Tok::LParen if self.is_lambda_ahead() => {
                self.bump();
                let mut params = Vec::new();
                while let Tok::Name(n) = self.peek().clone() {
                    self.bump();
                    params.push(n);
                    if *self.peek() == Tok::Comma {
                        self.bump();
                    }
                }
                self.expect(Tok::RParen)?;
                self.expect(Tok::Arrow)?;
                let body = self.expr()?;
                return Ok(Expr::Lambda(params, Arc::new(body)));
            }
            Tok::LParen => {
                self.bump();
                let inner = self.expr()?;
                self.expect(Tok::RParen)?;
                inner
            }
            _ => return Err(self.error_here()),
        };
        let mut postfix = 0usize;
        loop {
            match self.peek() {
                Tok::LParen => {
                    self.bump();
                    let mut args = Vec::new();
                    if *self.peek() != Tok::RParen {
                        loop {
                            args.push(self.expr()?);
                            if *self.peek() == Tok::Comma {
                                self.bump();
                            } else {
                                break;
                            }
                        }
                    }
                    self.expect(Tok::RParen)?;
                    e = Expr::Call(Box::new(e), args);
                }
                Tok::Dot => match self.peek_at(1).clone() {
                    Tok::Name(n) | Tok::Int(n) => {
                        self.bump();
                        self.bump();
                        e = Expr::Dot(Box::new(e), n);
                    }
                    _ => {
                        self.bump();
                        return Err(self.error_here());
                    }
                },
                Tok::LBrack => {
                    self.bump();
                    let idx = self.expr()?;
                    self.expect(Tok::RBrack)?;
                    e = Expr::Index(Box::new(e), Box::new(idx));
                }
                _ => break,
            }
            postfix += 1;
            if postfix > MAX_DEPTH * 10 {
                return Err(ParseError::TooDeep);
            }
        }
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> String {
        parse(src).unwrap_err().to_string()
    }

    #[test]
    fn syntax_errors_name_the_rest_of_the_input() {
        assert_eq!(err("0 / "), "syntax error at ");
        assert_eq!(err("1.1.0"), "syntax error at .0");
        assert_eq!(err("NULL.x"), "syntax error at .x");
        assert_eq!(err("'x'"), "syntax error at 'x'");
        assert_eq!(err("array2d.0.2"), "syntax error at 0.2");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let src = "(".repeat(100_000) + "1" + &")".repeat(100_000);
        assert_eq!(parse(&src).unwrap_err(), ParseError::TooDeep);
        let src = "-".repeat(100_000) + "1";
        assert_eq!(parse(&src).unwrap_err(), ParseError::TooDeep);
    }

    #[test]
    fn lambdas_and_calls() {
        assert!(matches!(parse("(x) => x").unwrap(), Expr::Lambda(..)));
        assert!(matches!(parse("(x)").unwrap(), Expr::Ref(..)));
        assert!(matches!(parse("(upper)(\"a\")").unwrap(), Expr::Call(..)));
    }
}
