//! The location hierarchy (country → state → district → ward) used by `has_state`,
//! `has_district`, `has_ward` and `format_location`.
//!
//! The roots of the tree are countries (level 0); their children are states (level 1),
//! then districts (2) and wards (3). A location is written as its path of names joined by
//! ` > ` (`Rwanda > Kigali City > Gasabo`).

use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value as Json;

/// One node of the hierarchy.
#[derive(Clone, Debug, Default)]
pub struct Location {
    pub name: String,
    pub aliases: Vec<String>,
    pub children: Vec<Location>,
}

/// The depth of a location in the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Country = 0,
    State = 1,
    District = 2,
    Ward = 3,
}

/// Separates the names of a location path.
pub const PATH_SEPARATOR: &str = " > ";

impl Location {
    /// Reads `{"name": …, "aliases": […], "children": […]}`.
    pub fn from_json(json: &Json) -> Option<Location> {
        let obj = json.as_object()?;
        Some(Location {
            name: obj.get("name")?.as_str()?.to_string(),
            aliases: obj
                .get("aliases")
                .and_then(Json::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            children: obj
                .get("children")
                .and_then(Json::as_array)
                .map(|a| a.iter().filter_map(Location::from_json).collect())
                .unwrap_or_default(),
        })
    }

    /// Whether `name` (already trimmed and lowercased) is this location's name or alias.
    fn is_named(&self, lowered: &str) -> bool {
        self.name.trim().to_lowercase() == lowered
            || self
                .aliases
                .iter()
                .any(|a| a.trim().to_lowercase() == lowered)
    }
}

/// A location found in the tree, with the chain of its ancestors (root first, itself last).
#[derive(Clone, Debug)]
pub struct Found<'a> {
    pub chain: Vec<&'a Location>,
}

impl<'a> Found<'a> {
    /// The location itself.
    pub fn location(&self) -> &'a Location {
        self.chain[self.chain.len() - 1]
    }

    /// `Rwanda > Kigali City > Gasabo`.
    pub fn path(&self) -> String {
        let names: Vec<&str> = self.chain.iter().map(|l| l.name.as_str()).collect();
        names.join(PATH_SEPARATOR)
    }
}

/// Every location at `level`: under `parent` when given, else anywhere in the tree.
fn at_level<'a>(roots: &'a [Location], level: Level, parent: Option<&Found<'a>>) -> Vec<Found<'a>> {
    fn walk<'a>(
        node: &'a Location,
        chain: &mut Vec<&'a Location>,
        depth: usize,
        want: usize,
        out: &mut Vec<Found<'a>>,
    ) {
        chain.push(node);
        if depth == want {
            out.push(Found {
                chain: chain.clone(),
            });
        } else {
            for child in &node.children {
                walk(child, chain, depth + 1, want, out);
            }
        }
        chain.pop();
    }
    let want = level as usize;
    let mut out = Vec::new();
    match parent {
        Some(p) => {
            let depth = p.chain.len() - 1;
            if depth >= want {
                return out;
            }
            let mut chain = p.chain[..depth].to_vec();
            walk(p.location(), &mut chain, depth, want, &mut out);
        }
        None => {
            let mut chain = Vec::new();
            for root in roots {
                walk(root, &mut chain, 0, want, &mut out);
            }
        }
    }
    out
}

/// Locations at `level` (under `parent`) whose name or an alias is `name`, ignoring case
/// and surrounding spaces.
pub fn find_by_name<'a>(
    roots: &'a [Location],
    name: &str,
    level: Level,
    parent: Option<&Found<'a>>,
) -> Vec<Found<'a>> {
    let lowered = name.trim().to_lowercase();
    if lowered.is_empty() {
        return Vec::new();
    }
    at_level(roots, level, parent)
        .into_iter()
        .filter(|f| f.location().is_named(&lowered))
        .collect()
}

fn punctuation() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\pP").expect("valid regex"))
}

fn location_words() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"[\pL\pM\pN]+(?:-[\pL\pM\pN]+)*").expect("valid regex"))
}

/// Finds the locations at `level` (under `parent`) that `text` names: the whole text,
/// then the text without punctuation, then each word (hyphenated names stay one word),
/// then each pair of adjacent words. The first step that finds something wins.
pub fn find_fuzzy<'a>(
    roots: &'a [Location],
    text: &str,
    level: Level,
    parent: Option<&Found<'a>>,
) -> Vec<Found<'a>> {
    let found = find_by_name(roots, text, level, parent);
    if !found.is_empty() {
        return found;
    }
    let stripped = punctuation().replace_all(text, "");
    let found = find_by_name(roots, &stripped, level, parent);
    if !found.is_empty() {
        return found;
    }
    let words: Vec<&str> = location_words()
        .find_iter(text)
        .map(|m| m.as_str())
        .collect();
    for word in &words {
        let found = find_by_name(roots, word, level, parent);
        if !found.is_empty() {
            return found;
        }
    }
    for pair in words.windows(2) {
        let found = find_by_name(roots, &pair.join(" "), level, parent);
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

/// The last name of a location path: `Rwanda > Kigali City` → `Kigali City`.
pub fn location_name(path: &str) -> &str {
    path.rsplit('>').next().unwrap_or("").trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Vec<Location> {
        let json = serde_json::json!([{"name": "Rwanda", "aliases": ["Ruanda"], "children": [
            {"name": "Kigali City", "aliases": ["Kigali", "Kigari"], "children": [
                {"name": "Gasabo", "children": [{"name": "Gisozi"}, {"name": "Ndera"}]},
                {"name": "Nyarugenge", "children": []}]},
            {"name": "Québec", "aliases": ["Quebec", "Que,"], "children": []},
            {"name": "Île-de-France", "aliases": [], "children": []}]}]);
        json.as_array()
            .unwrap()
            .iter()
            .filter_map(Location::from_json)
            .collect()
    }

    fn first(roots: &[Location], text: &str, level: Level) -> Option<String> {
        find_fuzzy(roots, text, level, None)
            .first()
            .map(Found::path)
    }

    #[test]
    fn fuzzy_search() {
        let t = tree();
        assert_eq!(
            first(&t, "kigali city", Level::State).as_deref(),
            Some("Rwanda > Kigali City")
        );
        assert_eq!(
            first(&t, "¡Kigari!", Level::State).as_deref(),
            Some("Rwanda > Kigali City")
        );
        assert_eq!(
            first(&t, "Quebec", Level::State).as_deref(),
            Some("Rwanda > Québec")
        );
        assert_eq!(
            first(&t, "je suis de l'Île-de-France", Level::State).as_deref(),
            Some("Rwanda > Île-de-France")
        );
        assert_eq!(
            first(&t, "I live in gasabo", Level::District).as_deref(),
            Some("Rwanda > Kigali City > Gasabo")
        );
        assert_eq!(first(&t, "Gasabo", Level::Ward), None);
        assert_eq!(first(&t, "Boston", Level::State), None);
    }

    #[test]
    fn search_under_parent() {
        let t = tree();
        let states = find_fuzzy(&t, "Kigali", Level::State, None);
        let wards = find_fuzzy(&t, "ndera", Level::Ward, states.first());
        assert_eq!(wards[0].path(), "Rwanda > Kigali City > Gasabo > Ndera");
        let quebec = find_fuzzy(&t, "Quebec", Level::State, None);
        assert!(find_fuzzy(&t, "ndera", Level::Ward, quebec.first()).is_empty());
    }

    #[test]
    fn names() {
        assert_eq!(location_name("Rwanda > Kigali"), "Kigali");
        assert_eq!(location_name("Rwanda"), "Rwanda");
    }
}
