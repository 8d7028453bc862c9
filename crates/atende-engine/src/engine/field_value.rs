//! Typed contact field values: the text with its number, datetime and location readings.

use atende_excellent::locations::Level;
use atende_excellent::{Environment, Value};

use crate::contact::{Contact, FieldValue};
use crate::engine::Assets;

/// A field value typed for storage (`text` always; `number` when it reads as one;
/// `datetime` when it reads as a date, in the contact's timezone; locations for fields
/// of a location type).
pub(crate) fn field_value(
    env: &Environment,
    assets: &Assets,
    contact: &Contact,
    key: &str,
    text: &str,
) -> FieldValue {
    Typer {
        env,
        assets,
        contact,
    }
    .field_value(key, text)
}

struct Typer<'a> {
    env: &'a Environment,
    assets: &'a Assets,
    contact: &'a Contact,
}

impl Typer<'_> {
    fn field_value(&self, key: &str, text: &str) -> FieldValue {
        let mut v = FieldValue {
            text: text.to_string(),
            ..FieldValue::default()
        };
        let def = self.assets.fields.iter().find(|f| f.key == key);
        if let Some(n) = atende_excellent::value::parse_decimal(text) {
            v.number = serde_json::from_str(&atende_excellent::value::format_decimal(&n)).ok();
        }
        // every value gets its datetime reading (whatever the field's type), in the
        // contact's timezone
        let mut env = self.env.clone();
        if let Ok(tz) = atende_excellent::dates::load_location(&self.contact.timezone) {
            env.timezone = tz;
            env.timezone_name = self.contact.timezone.clone();
        }
        if let Ok(z) = atende_excellent::dates::to_datetime(&env, &Value::from(text)) {
            v.datetime = Some(atende_excellent::dates::iso_datetime(&z));
        }
        let level = match def.map(|d| d.value_type.as_str()) {
            Some("state") => Some(Level::State),
            Some("district") => Some(Level::District),
            Some("ward") => Some(Level::Ward),
            _ => None,
        };
        if let Some(level) = level {
            self.locate(&mut v, text, level);
        }
        v
    }

    /// Location readings of a field value: a state anywhere; a district within the
    /// contact's state; a ward within the contact's district. Parents are filled in too.
    fn locate(&self, v: &mut FieldValue, text: &str, level: Level) {
        use atende_excellent::locations::{find_by_name, find_fuzzy, location_name};
        let roots = &self.assets.locations;
        // the contact's current value of the first field of a location type
        let current = |kind: &str, pick: fn(&FieldValue) -> Option<&String>| -> Option<String> {
            self.assets
                .fields
                .iter()
                .filter(|f| f.value_type == kind)
                .find_map(|f| self.contact.fields.get(&f.key).and_then(pick).cloned())
        };
        let parent_level = match level {
            Level::District => Some((Level::State, "state")),
            Level::Ward => Some((Level::District, "district")),
            _ => None,
        };
        let parent_path = match parent_level {
            None => None,
            Some((_, kind)) => {
                let pick: fn(&FieldValue) -> Option<&String> = if kind == "state" {
                    |f| f.state.as_ref()
                } else {
                    |f| f.district.as_ref()
                };
                match current(kind, pick) {
                    Some(p) => Some(p),
                    None => return,
                }
            }
        };
        let parent = match (&parent_path, parent_level) {
            (Some(path), Some((pl, _))) => {
                let found = find_by_name(roots, location_name(path), pl, None)
                    .into_iter()
                    .find(|f| f.path() == *path);
                match found {
                    Some(f) => Some(f),
                    None => return,
                }
            }
            _ => None,
        };
        let Some(found) = find_fuzzy(roots, text, level, parent.as_ref())
            .into_iter()
            .next()
        else {
            return;
        };
        let path = found.path();
        // ancestors are the leading parts of the path
        let parts: Vec<&str> = path.split(" > ").collect();
        let prefix = |n: usize| parts[..n.min(parts.len())].join(" > ");
        match level {
            Level::State => v.state = Some(path.clone()),
            Level::District => {
                v.state = Some(prefix(2));
                v.district = Some(path.clone());
            }
            Level::Ward => {
                v.state = Some(prefix(2));
                v.district = Some(prefix(3));
                v.ward = Some(path.clone());
            }
            Level::Country => {}
        }
    }
}
