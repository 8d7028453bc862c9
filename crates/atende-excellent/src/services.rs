//! What an evaluation needs from outside the pure core: the current time and randomness.
//!
//! The evaluator never reads the wall clock or an OS random source; hosts inject them so
//! that flows replay deterministically in tests.

use jiff::Timestamp;

/// A source of random numbers (`rand()`, `rand_between()`, random routers).
pub trait RandomSource {
    /// A float in `[0, 1)`.
    fn next_f64(&mut self) -> f64;
    /// An integer in `[0, n)`; `n > 0`.
    fn int_n(&mut self, n: u64) -> u64;
}

/// PCG-DXSM, the generator of Go's `math/rand/v2` (`rand.NewPCG(seed1, seed2)`).
///
/// Implemented from the algorithm's published description so that seeded runs draw the
/// same numbers as goflow's tests (PCG(123456, 123456) → first `Float64` 0.774856886849196).
#[derive(Clone, Debug)]
pub struct Pcg {
    state: u128,
}

impl Pcg {
    const MUL: u128 = (2549297995355413924u128 << 64) | 4865540595714422341u128;
    const INC: u128 = (6364136223846793005u128 << 64) | 1442695040888963407u128;

    pub fn new(seed1: u64, seed2: u64) -> Pcg {
        Pcg {
            state: ((seed1 as u128) << 64) | seed2 as u128,
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_mul(Self::MUL).wrapping_add(Self::INC);
        let mut hi = (self.state >> 64) as u64;
        let lo = self.state as u64;
        hi ^= hi >> 32;
        hi = hi.wrapping_mul(0xda942042e4dd58b5);
        hi ^= hi >> 48;
        hi.wrapping_mul(lo | 1)
    }
}

impl RandomSource for Pcg {
    fn next_f64(&mut self) -> f64 {
        ((self.next_u64() << 11) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn int_n(&mut self, n: u64) -> u64 {
        if n.is_power_of_two() {
            return self.next_u64() & (n - 1);
        }
        let mut prod = self.next_u64() as u128 * n as u128;
        let mut lo = prod as u64;
        if lo < n {
            let thresh = n.wrapping_neg() % n;
            while lo < thresh {
                prod = self.next_u64() as u128 * n as u128;
                lo = prod as u64;
            }
        }
        (prod >> 64) as u64
    }
}

/// The clock and random source an evaluation uses.
pub struct Services<'a> {
    pub now: Timestamp,
    pub random: &'a mut dyn RandomSource,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcg_matches_go_math_rand_v2() {
        let mut r = Pcg::new(123456, 123456);
        assert_eq!(r.next_f64(), 0.774856886849196);
        assert_eq!(r.next_f64(), 0.5342568785221806);
        assert_eq!(r.next_f64(), 0.656779756512028);
    }
}
