//! The location hierarchy (country → state → district → ward) used by `has_state`,
//! `has_district`, `has_ward` and `format_location`.

use serde_json::Value as Json;

/// One node of the hierarchy.
#[derive(Clone, Debug, Default)]
pub struct Location {
    pub name: String,
    pub aliases: Vec<String>,
    pub children: Vec<Location>,
}

impl Location {
    /// Reads `{"name": …, "aliases": […], "children": […]}`.
    pub fn from_json(json: &Json) -> Option<Location> {
        let obj = json.as_object()?;
        Some(Location {
            name: obj.get("name")?.as_str()?.to_string(),
            aliases: obj
                .get("aliases")
                .and_then(Json::as_array)
                .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
                .unwrap_or_default(),
            children: obj
                .get("children")
                .and_then(Json::as_array)
                .map(|a| a.iter().filter_map(Location::from_json).collect())
                .unwrap_or_default(),
        })
    }
}
