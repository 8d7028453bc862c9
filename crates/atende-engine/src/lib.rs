//! The flow engine: reads flow definitions in the goflow/RapidPro flow spec (migrating
//! 13.x, 14.x and legacy pre-13 exports to the current 14.4.2) and runs them.
//!
//! Pure and synchronous: the engine does no I/O and reads no clock. Time, UUIDs,
//! randomness, HTTP, classification, LLMs and e-mail come from injected services
//! (`services.rs`), so a run replays exactly in tests.

pub mod contact;
pub mod definition;
pub mod engine;
pub mod events;
pub mod legacy;
pub mod migrations;
pub mod modifiers;
pub mod services;
pub mod session;
pub mod urns;

/// The first `n` characters of `s`, borrowed (no per-character copying: results and
/// webhook traces can be long).
pub fn prefix_chars(s: &str, n: usize) -> &str {
    if s.len() <= n {
        return s;
    }
    // ASCII (the usual case) cuts at the byte index
    if s.as_bytes()[..n].is_ascii() {
        return &s[..n];
    }
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
