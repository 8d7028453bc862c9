//! Deterministic pseudo-random digits for the test-value generators.
//!
//! The generators take a caller-supplied `u64` seed instead of an RNG so that test data
//! is reproducible and the crate needs no `rand` dependency.

/// SplitMix64: one multiply-xorshift round per output; good enough to spread
/// consecutive seeds over the digit space, and trivially reproducible.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix(u64);

impl SplitMix {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (tiny modulo bias is irrelevant for test data).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// An ASCII digit.
    pub(crate) fn digit(&mut self) -> u8 {
        b'0' + self.below(10) as u8
    }
}
