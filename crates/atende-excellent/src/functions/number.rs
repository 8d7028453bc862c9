//! Number functions: `round`, `round_up`, `round_down`, `max`, `min`, `mean`, `mod`,
//! `rand`, `rand_between`, `abs`, `format_number`.
//!
//! Numbers are decimals; rounding is half away from zero and a negative number of
//! places rounds the integer part (`round(1234, -2)` → `1200`). Division (in `mean`)
//! keeps 16 decimal places, as goflow's decimals do.

use rust_decimal::{Decimal, RoundingStrategy};

use super::text::to_integer;
use super::{tri, FunctionDef};
use crate::eval::Evaluator;
use crate::value::{format_number_with, Value};

pub(crate) const FUNCTIONS: &[FunctionDef] = &[
    FunctionDef::new("round", 1, Some(2), round),
    FunctionDef::new("round_up", 1, Some(2), round_up),
    FunctionDef::new("round_down", 1, Some(2), round_down),
    FunctionDef::new("max", 1, None, max),
    FunctionDef::new("min", 1, None, min),
    FunctionDef::new("mean", 1, None, mean),
    FunctionDef::new("mod", 2, Some(2), mod_),
    FunctionDef::new("rand", 0, Some(0), rand),
    FunctionDef::new("rand_between", 2, Some(2), rand_between),
    FunctionDef::new("abs", 1, Some(1), abs),
    FunctionDef::new("format_number", 1, Some(3), format_number),
];

/// Decimal places kept by division.
const DIVISION_PLACES: u32 = 16;

fn out_of_range() -> Value {
    Value::error("number value out of range")
}

/// Rounds `n` to `places` decimal places (negative: to a power of ten) with `strategy`.
fn round_places(n: Decimal, places: i64, strategy: RoundingStrategy) -> Option<Decimal> {
    if places >= 0 {
        let dp = u32::try_from(places).unwrap_or(u32::MAX);
        return Some(n.round_dp_with_strategy(dp, strategy));
    }
    // negative places: only the integer part and whether a fraction remains matter
    let k = places.unsigned_abs();
    let int = n.trunc();
    let has_fraction = !(n - int).is_zero();
    let int = i128::try_from(int).ok()?;
    let (q, rem) = match u32::try_from(k).ok().and_then(|k| 10i128.checked_pow(k)) {
        Some(f) => (int / f, int % f),
        None => (0, int),
    };
    let inexact = rem != 0 || has_fraction;
    let q = match strategy {
        RoundingStrategy::ToPositiveInfinity if n.is_sign_positive() && inexact => q + 1,
        RoundingStrategy::ToNegativeInfinity if n.is_sign_negative() && inexact => q - 1,
        RoundingStrategy::MidpointAwayFromZero => {
            let away = u32::try_from(k)
                .ok()
                .and_then(|k| 10u128.checked_pow(k))
                .is_some_and(|f| rem.unsigned_abs() * 2 >= f);
            match (away, n.is_sign_negative()) {
                (true, false) => q + 1,
                (true, true) => q - 1,
                _ => q,
            }
        }
        _ => q,
    };
    if q == 0 {
        return Some(Decimal::ZERO);
    }
    let f = 10i128.checked_pow(u32::try_from(k).ok()?)?;
    Decimal::try_from_i128_with_scale(q.checked_mul(f)?, 0).ok()
}

fn rounding(args: &[Value], strategy: RoundingStrategy) -> Value {
    let n = tri!(args[0].to_number());
    let places = match args.get(1) {
        Some(p) => tri!(to_integer(p)),
        None => 0,
    };
    match round_places(n, places, strategy) {
        Some(r) => Value::Number(r.normalize()),
        None => out_of_range(),
    }
}

/// `round(number [, places])`: `@(round(12.146, 2))` → `12.15`.
fn round(_: &mut Evaluator, args: &[Value]) -> Value {
    rounding(args, RoundingStrategy::MidpointAwayFromZero)
}

/// `round_up(number [, places])`: `@(round_up(12.141, 2))` → `12.15`.
fn round_up(_: &mut Evaluator, args: &[Value]) -> Value {
    rounding(args, RoundingStrategy::ToPositiveInfinity)
}

/// `round_down(number [, places])`: `@(round_down(12.146, 2))` → `12.14`.
fn round_down(_: &mut Evaluator, args: &[Value]) -> Value {
    rounding(args, RoundingStrategy::ToNegativeInfinity)
}

fn extreme(args: &[Value], pick: std::cmp::Ordering) -> Value {
    let mut best = tri!(args[0].to_number());
    for v in &args[1..] {
        let n = tri!(v.to_number());
        if n.cmp(&best) == pick {
            best = n;
        }
    }
    Value::Number(best)
}

/// `max(numbers...)`: `@(max(1, -1, 10))` → `10`.
fn max(_: &mut Evaluator, args: &[Value]) -> Value {
    extreme(args, std::cmp::Ordering::Greater)
}

/// `min(numbers...)`: `@(min(2, 2, -10))` → `-10`.
fn min(_: &mut Evaluator, args: &[Value]) -> Value {
    extreme(args, std::cmp::Ordering::Less)
}

/// `mean(numbers...)`: `@(mean(1, 2))` → `1.5`.
fn mean(_: &mut Evaluator, args: &[Value]) -> Value {
    let mut sum = Decimal::ZERO;
    for v in args {
        let n = tri!(v.to_number());
        sum = match sum.checked_add(n) {
            Some(s) => s,
            None => return out_of_range(),
        };
    }
    match sum.checked_div(Decimal::from(args.len())) {
        Some(m) => Value::Number(
            m.round_dp_with_strategy(DIVISION_PLACES, RoundingStrategy::MidpointAwayFromZero)
                .normalize(),
        ),
        None => out_of_range(),
    }
}

/// `mod(dividend, divisor)`: `@(mod(5, 2))` → `1`.
fn mod_(_: &mut Evaluator, args: &[Value]) -> Value {
    let a = tri!(args[0].to_number());
    let b = tri!(args[1].to_number());
    if b.is_zero() {
        return Value::error("division by zero");
    }
    match a.checked_rem(b) {
        Some(r) => Value::Number(r.normalize()),
        None => out_of_range(),
    }
}

/// A float as the decimal with the fewest digits that reads back as the same float.
fn decimal_from_f64(f: f64) -> Decimal {
    let shortest = format!("{f}");
    shortest
        .parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(&format!("{f:e}")))
        .unwrap_or_default()
}

/// `rand()`: a random number in [0, 1), e.g. `@(rand())` → `0.774856886849196`.
fn rand(ev: &mut Evaluator, _: &[Value]) -> Value {
    Value::Number(decimal_from_f64(ev.random.next_f64()).normalize())
}

/// `rand_between(min, max)`: a random integer in [min, max], e.g. `@(rand_between(1, 10))` → `8`.
///
/// Like goflow: `floor(rand() * (max - min + 1) + min)`.
fn rand_between(ev: &mut Evaluator, args: &[Value]) -> Value {
    let lo = tri!(args[0].to_number());
    let hi = tri!(args[1].to_number());
    let r = decimal_from_f64(ev.random.next_f64());
    let n = hi
        .checked_sub(lo)
        .and_then(|span| span.checked_add(Decimal::ONE))
        .and_then(|span| r.checked_mul(span))
        .and_then(|x| x.checked_add(lo));
    match n {
        Some(n) => Value::Number(n.floor().normalize()),
        None => out_of_range(),
    }
}

/// `abs(number)`: `@(abs(-10))` → `10`.
fn abs(_: &mut Evaluator, args: &[Value]) -> Value {
    Value::Number(tri!(args[0].to_number()).abs())
}

/// `format_number(number [, places [, humanize]])`: `@(format_number(1234.5670, 2, true))` → `1,234.57`.
fn format_number(ev: &mut Evaluator, args: &[Value]) -> Value {
    let n = tri!(args[0].to_number());
    let places = match args.get(1) {
        Some(p) => {
            let p = tri!(to_integer(p));
            if !(0..=9).contains(&p) {
                return Value::error(format!("must take 0-9 number of places, got {p}"));
            }
            Some(p as u32)
        }
        None => None,
    };
    let humanize = match args.get(2) {
        Some(h) => tri!(h.to_bool()),
        None => true,
    };
    Value::text(format_number_with(
        &n,
        places,
        humanize,
        &ev.env.number_format,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::{Pcg, RandomSource};

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn r(n: &str, places: i64, s: RoundingStrategy) -> String {
        round_places(d(n), places, s)
            .unwrap()
            .normalize()
            .to_string()
    }

    #[test]
    fn rounds() {
        use RoundingStrategy::*;
        assert_eq!(r("12.146", 2, MidpointAwayFromZero), "12.15");
        assert_eq!(r("12.146", -1, MidpointAwayFromZero), "10");
        assert_eq!(r("15", -1, MidpointAwayFromZero), "20");
        assert_eq!(r("-15", -1, MidpointAwayFromZero), "-20");
        assert_eq!(r("123.456", 1000, MidpointAwayFromZero), "123.456");
        assert_eq!(r("123.456", -2_000_000_000, MidpointAwayFromZero), "0");
        assert_eq!(r("12.141", 0, ToPositiveInfinity), "13");
        assert_eq!(r("-12.6", 0, ToPositiveInfinity), "-12");
        assert_eq!(r("1234", -2, ToPositiveInfinity), "1300");
        assert_eq!(r("12.6", 0, ToNegativeInfinity), "12");
        assert_eq!(r("-12.1", 0, ToNegativeInfinity), "-13");
        assert_eq!(r("1.5", 2_000_000_000, ToNegativeInfinity), "1.5");
    }

    #[test]
    fn floats_use_shortest_decimals() {
        assert_eq!(
            decimal_from_f64(0.774856886849196).to_string(),
            "0.774856886849196"
        );
        assert_eq!(decimal_from_f64(0.0).to_string(), "0");
        assert_eq!(decimal_from_f64(1e-7).to_string(), "0.0000001");
    }

    #[test]
    fn seeded_rand_between() {
        let mut pcg = Pcg::new(123456, 123456);
        let r = decimal_from_f64(pcg.next_f64());
        assert_eq!((r * Decimal::TEN + Decimal::ONE).floor(), Decimal::from(8));
    }
}
