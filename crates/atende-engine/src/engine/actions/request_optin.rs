//! `request_optin`: asked a contact to opt in to a topic of messages. goflow no longer
//! runs it, so neither do we: an `error` event with code `action:unsupported`.
//!
//! ```json
//! {"uuid": "a9b8c7d6-e5f4-4a3b-8c2d-1e0f9a8b7c6d", "type": "request_optin", "optin": {"uuid": "248be71d-78e9-4d71-a6c4-9981d369e5cb", "name": "Joke Of The Day"}}
//! ```

use serde_json::json;

use crate::engine::Machine;

impl Machine<'_, '_> {
    pub(super) fn request_optin(&mut self) {
        self.event(
            "error",
            json!({ "text": "opt-in requests are no longer supported", "code": "action:unsupported" }),
        );
    }
}
