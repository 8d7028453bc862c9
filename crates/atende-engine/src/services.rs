//! Services the engine is given instead of touching the outside world: a clock and a
//! UUID source (more — HTTP, classifier, LLM, e-mail — arrive with the engine core).

use atende_excellent::Pcg;
use jiff::Timestamp;

/// Where the engine gets "now".
pub trait Clock {
    fn now(&mut self) -> Timestamp;
}

/// A clock that starts at a given instant and advances by a fixed step on every call
/// (goflow's test clock: 2025-05-04T12:30:45.123456789Z, +1 s).
pub struct SequentialClock {
    next: Timestamp,
    step: jiff::SignedDuration,
}

impl SequentialClock {
    pub fn new(start: Timestamp, step: jiff::SignedDuration) -> SequentialClock {
        SequentialClock { next: start, step }
    }
}

impl Clock for SequentialClock {
    fn now(&mut self) -> Timestamp {
        let t = self.next;
        self.next = t.checked_add(self.step).unwrap_or(t);
        t
    }
}

/// Where the engine gets UUIDs: v4 for definitions (nodes, actions, contacts, sprints),
/// v7 (time-ordered) for sessions, runs and events.
pub trait UuidSource {
    fn new_v4(&mut self) -> String;
    fn new_v7(&mut self, clock: &mut dyn Clock) -> String;
}

/// A seeded UUID generator drawing 16 bytes from PCG (two little-endian u64s), as
/// goflow's test universe does; replays exactly for a given seed.
pub struct SeededUuids {
    rng: Pcg,
}

impl SeededUuids {
    pub fn new(seed: u64) -> SeededUuids {
        SeededUuids {
            rng: Pcg::new(seed, seed),
        }
    }

    fn bytes(&mut self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.rng.next_u64().to_le_bytes());
        b[8..].copy_from_slice(&self.rng.next_u64().to_le_bytes());
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        b
    }
}

/// Formats 16 bytes as a lowercase hyphenated UUID.
pub fn format_uuid(b: &[u8; 16]) -> String {
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

impl UuidSource for SeededUuids {
    fn new_v4(&mut self) -> String {
        format_uuid(&self.bytes())
    }

    fn new_v7(&mut self, clock: &mut dyn Clock) -> String {
        let mut b = self.bytes();
        let nanos = clock.now().as_nanosecond();
        let millis = nanos.div_euclid(1_000_000);
        let sub = ((nanos - millis * 1_000_000) >> 8) as u16;
        for (i, byte) in b.iter_mut().take(6).enumerate() {
            *byte = (millis >> (8 * (5 - i))) as u8;
        }
        b[6] = 0x70 | ((sub >> 8) as u8 & 0x0f);
        b[7] = sub as u8;
        format_uuid(&b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_v7_uuids_match_goflow() {
        let start: Timestamp = "2025-05-04T12:30:45.123456789Z".parse().unwrap();
        let mut clock = SequentialClock::new(start, jiff::SignedDuration::from_secs(1));
        let mut u = SeededUuids::new(123456);
        assert_eq!(u.new_v7(&mut clock), "01969b47-0583-76f8-924e-9de1a11831b3");
        assert_eq!(u.new_v7(&mut clock), "01969b47-096b-76f8-98c7-1f0d5859f77e");
        assert_eq!(u.new_v7(&mut clock), "01969b47-0d53-76f8-95cf-9fca95f1c30a");
    }
}
