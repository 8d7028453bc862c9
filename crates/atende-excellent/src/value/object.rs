//! Objects: string-keyed properties with an optional `__default__`.

use std::sync::Arc;

use super::Value;

/// An Excellent object. Properties are kept sorted by key because goflow renders,
/// serialises and lists keys in sorted order; lookups ignore case.
#[derive(Clone, Default)]
pub struct Object {
    props: Vec<(Arc<str>, Value)>,
    /// What the object renders as and compares by (the `__default__` property).
    pub default: Option<Value>,
    /// Set on values that add a deprecation warning when used.
    pub deprecated: Option<Arc<str>>,
    /// Properties (texts, arrays, …) whose lookup adds a deprecation warning, with
    /// its message: `@contact.id`, `@contact.tickets`.
    deprecated_props: Vec<(Arc<str>, Arc<str>)>,
}

impl Object {
    pub fn new() -> Object {
        Object::default()
    }

    pub fn with_default(default: Value) -> Object {
        Object {
            default: Some(default),
            ..Object::default()
        }
    }

    pub fn from_pairs(pairs: impl IntoIterator<Item = (Arc<str>, Value)>) -> Object {
        let mut o = Object::new();
        for (k, v) in pairs {
            o.insert(k, v);
        }
        o
    }

    /// Inserts or replaces a property (replacement is by exact key).
    pub fn insert(&mut self, key: impl Into<Arc<str>>, value: Value) {
        let key = key.into();
        match self.props.binary_search_by(|(k, _)| k.as_ref().cmp(&key)) {
            Ok(i) => self.props[i].1 = value,
            Err(i) => self.props.insert(i, (key, value)),
        }
    }

    /// Case-insensitive property lookup; an exact match wins.
    pub fn get(&self, key: &str) -> Option<&Value> {
        if let Ok(i) = self.props.binary_search_by(|(k, _)| k.as_ref().cmp(key)) {
            return Some(&self.props[i].1);
        }
        if key.is_ascii() {
            self.props
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        } else {
            let lower = key.to_lowercase();
            self.props
                .iter()
                .find(|(k, _)| k.to_lowercase() == lower)
                .map(|(_, v)| v)
        }
    }

    /// Marks property `key` as deprecated: looking it up warns with `message`.
    pub fn deprecate(&mut self, key: impl Into<Arc<str>>, message: impl Into<Arc<str>>) {
        let key = key.into();
        let message = message.into();
        match self.deprecated_props.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = message,
            None => self.deprecated_props.push((key, message)),
        }
    }

    /// The deprecation message of property `key` (matched as `get` matches keys).
    pub fn deprecation(&self, key: &str) -> Option<&str> {
        if self.deprecated_props.is_empty() {
            return None;
        }
        let found = if key.is_ascii() {
            self.deprecated_props
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
        } else {
            let lower = key.to_lowercase();
            self.deprecated_props
                .iter()
                .find(|(k, _)| k.to_lowercase() == lower)
        };
        found.map(|(_, m)| m.as_ref())
    }

    pub fn keys(&self) -> impl Iterator<Item = &Arc<str>> {
        self.props.iter().map(|(k, _)| k)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &Value)> {
        self.props.iter().map(|(k, v)| (k, v))
    }

    pub fn len(&self) -> usize {
        self.props.len()
    }

    pub fn is_empty(&self) -> bool {
        self.props.is_empty()
    }
}
