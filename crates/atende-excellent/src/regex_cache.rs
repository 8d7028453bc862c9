//! Compiled regular expressions for patterns that come from flows (`has_pattern`,
//! `regex_match`): a flow uses the same few patterns for every contact, and compiling
//! dominates matching, so each thread keeps the most recent ones.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::Regex;

/// How many patterns a thread keeps; past that the cache starts over (patterns are per
/// flow, so a small cache holds a busy workspace's set).
const CAPACITY: usize = 256;

thread_local! {
    static CACHE: RefCell<HashMap<String, Option<Regex>>> = RefCell::new(HashMap::new());
}

/// The compiled `pattern`, or `None` when it is not a valid expression.
pub fn compile(pattern: &str) -> Option<Regex> {
    CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        if let Some(re) = cache.get(pattern) {
            return re.clone();
        }
        if cache.len() >= CAPACITY {
            cache.clear();
        }
        let re = Regex::new(pattern).ok();
        cache.insert(pattern.to_string(), re.clone());
        re
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caches_valid_and_invalid_patterns() {
        assert!(compile("(?i)a+").unwrap().is_match("AAA"));
        assert!(compile("(").is_none());
        assert!(compile("(").is_none());
    }
}
