//! glibc malloc settings for a long-running server.
//!
//! glibc hands memory back to the kernel as soon as more than 128 KB lie free at the top
//! of an arena, and serves each allocation of 128 KB or more with its own `mmap`. A
//! server that builds and drops answers of a few hundred KB (the collections lookup's
//! 406 KB record, SQLite's JSON text behind it) then pays for the same pages again and
//! again: measured on `benches/lookup.rs`'s customer, 170 minor page faults a lookup, a
//! fifth of its CPU time in the kernel. [`tune`] raises both limits once at start-up,
//! so freed memory up to [`TRIM_THRESHOLD`] per arena is kept for the next request:
//! 2,000 lookups went from 430,000 to 3,900 page faults and from 1.4 s to 0.2 s of
//! system time.
//!
//! The glibc variables an operator may set (`MALLOC_MMAP_THRESHOLD_`,
//! `MALLOC_TRIM_THRESHOLD_`, `MALLOC_TOP_PAD_`, `GLIBC_TUNABLES` with `glibc.malloc.`)
//! win: when one is set, [`tune`] leaves malloc alone. `ATENDE_MALLOC_TUNING=off` turns
//! it off too.

/// Allocations below this come from the arenas, whose freed memory is reused, instead
/// of a fresh `mmap` each (glibc's default: 128 KB, raised by itself only up to the size
/// of the largest block freed so far).
pub const MMAP_THRESHOLD: usize = 4 << 20;

/// Free memory an arena keeps at its top before giving it back to the kernel (glibc's
/// default: 128 KB). The cost: up to this much resident but unused per arena.
pub const TRIM_THRESHOLD: usize = 16 << 20;

/// What [`tune`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tuning {
    /// The thresholds are set.
    Applied,
    /// A glibc malloc variable or `ATENDE_MALLOC_TUNING=off` is set: left alone.
    LeftToEnvironment,
    /// Not glibc, or glibc refused a value.
    Unsupported,
}

impl std::fmt::Display for Tuning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tuning::Applied => write!(
                f,
                "malloc: mmap threshold {} MiB, trim threshold {} MiB",
                MMAP_THRESHOLD >> 20,
                TRIM_THRESHOLD >> 20
            ),
            Tuning::LeftToEnvironment => write!(f, "malloc: left to the environment's settings"),
            Tuning::Unsupported => write!(
                f,
                "malloc: not tuned (not glibc, or glibc refused the values)"
            ),
        }
    }
}

/// Sets glibc's thresholds unless the environment says otherwise. Call it first thing
/// in `main`, before other threads start (mallopt changes process-wide settings).
pub fn tune() -> Tuning {
    if left_to_environment(|name| std::env::var(name).ok()) {
        return Tuning::LeftToEnvironment;
    }
    set_thresholds()
}

/// Whether the process's environment (`var`) asks for glibc's own settings.
fn left_to_environment(var: impl Fn(&str) -> Option<String>) -> bool {
    const GLIBC_VARIABLES: [&str; 3] = [
        "MALLOC_MMAP_THRESHOLD_",
        "MALLOC_TRIM_THRESHOLD_",
        "MALLOC_TOP_PAD_",
    ];
    let off = var("ATENDE_MALLOC_TUNING")
        .is_some_and(|v| matches!(v.trim(), "off" | "0" | "false" | "no"));
    off || GLIBC_VARIABLES.iter().any(|name| var(name).is_some())
        || var("GLIBC_TUNABLES").is_some_and(|t| t.contains("glibc.malloc."))
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn set_thresholds() -> Tuning {
    let as_int = |bytes: usize| libc::c_int::try_from(bytes).expect("a threshold fits a C int");
    // SAFETY: mallopt only changes glibc's malloc parameters (under the main arena's
    // lock); it reads no memory of ours. Returns 1 on success.
    let mmap = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, as_int(MMAP_THRESHOLD)) };
    let trim = unsafe { libc::mallopt(libc::M_TRIM_THRESHOLD, as_int(TRIM_THRESHOLD)) };
    if mmap == 1 && trim == 1 {
        Tuning::Applied
    } else {
        Tuning::Unsupported
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_thresholds() -> Tuning {
    Tuning::Unsupported
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn glibc_variables_and_the_off_switch_leave_malloc_alone() {
        assert!(!left_to_environment(env(&[])));
        assert!(!left_to_environment(env(&[("ATENDE_MALLOC_TUNING", "on")])));
        assert!(left_to_environment(env(&[("ATENDE_MALLOC_TUNING", "off")])));
        assert!(left_to_environment(env(&[(
            "MALLOC_TRIM_THRESHOLD_",
            "131072"
        )])));
        assert!(left_to_environment(env(&[("MALLOC_TOP_PAD_", "0")])));
        assert!(left_to_environment(env(&[(
            "GLIBC_TUNABLES",
            "glibc.malloc.arena_max=2"
        )])));
        // tunables of other glibc parts are not malloc's
        assert!(!left_to_environment(env(&[(
            "GLIBC_TUNABLES",
            "glibc.cpu.hwcaps=-AVX2"
        )])));
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    #[allow(unsafe_code)]
    fn a_megabyte_comes_from_the_arena_not_from_its_own_mapping() {
        // SAFETY: mallinfo2 only reads glibc's counters
        let mapped = || unsafe { libc::mallinfo2() }.hblkhd;
        // what `tune` calls, without the environment check (a developer may have set one)
        assert_eq!(set_thresholds(), Tuning::Applied);
        let before = mapped();
        let block = std::hint::black_box(vec![1u8; 1 << 20]);
        // glibc's default would have mapped it on its own (128 KB threshold)
        assert!(mapped() < before + (1 << 20), "{} -> {}", before, mapped());
        drop(block);
    }
}
