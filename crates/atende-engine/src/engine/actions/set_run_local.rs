//! `set_run_local`: a run-scoped variable (`@locals.x`), set, incremented or cleared; no event.
//!
//! ```json
//! {"uuid": "8d7e6f5a-4b32-4d2e-9fa0-1b2c3d4e5f6a", "type": "set_run_local", "local": "tentativas", "value": "1", "operation": "increment"}
//! ```

use serde_json::json;

use crate::definition::action::SetRunLocal;
use crate::engine::Machine;
use crate::session::Session;

impl Machine<'_, '_> {
    pub(super) fn set_run_local(&mut self, session: &mut Session, idx: usize, a: &SetRunLocal) {
        let Some(value) = self.text_checked(session, idx, &a.value) else {
            return; // the expression error was reported
        };
        if a.operation == "increment" && value.trim().parse::<i64>().is_err() {
            self.event(
                "error",
                json!({ "text": "Increment value is not an integer" }),
            );
            return;
        }
        let locals = &mut session.runs[idx].locals;
        match a.operation.as_str() {
            "clear" => {
                locals.remove(&a.local);
            }
            "increment" => {
                let cur = locals
                    .get(&a.local)
                    .and_then(|v| v.as_str().and_then(atende_excellent::value::parse_decimal))
                    .unwrap_or_default();
                let by = atende_excellent::value::parse_decimal(&value).unwrap_or_default();
                locals.insert(
                    a.local.clone(),
                    json!(atende_excellent::value::format_decimal(&(cur + by))),
                );
            }
            _ => {
                locals.insert(a.local.clone(), json!(value));
            }
        }
    }
}
