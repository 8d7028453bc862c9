//! `call_webhook`: an HTTP request whose answer becomes `@webhook` and, with a result
//! name, a result (Success or Failure).
//!
//! ```json
//! {"uuid": "e9d0e1f2-a1fe-43ea-9b0c-3b4c5d6e7f8a", "type": "call_webhook", "method": "POST", "url": "https://api.example.com/boletos", "headers": {"Content-Type": "application/json"}, "body": "{\"cpf\": \"@fields.cpf\"}", "result_name": "Boleto"}
//! ```

use crate::definition::action::CallWebhook;
use crate::definition::Node;
use crate::engine::webhook::canonical_header;
use crate::engine::Machine;
use crate::session::Session;

impl Machine<'_, '_> {
    pub(super) fn call_webhook(
        &mut self,
        session: &mut Session,
        idx: usize,
        node: &Node,
        a: &CallWebhook,
    ) {
        let url = self.text(session, idx, &a.url).trim().to_string();
        let mut headers = Vec::new();
        for (k, v) in &a.headers {
            let v = v.as_str().unwrap_or_default();
            headers.push((canonical_header(k), self.text(session, idx, v)));
        }
        let body = self.text(session, idx, &a.body);
        let method = a.method.to_uppercase();
        let call = self.http_call(&method, &url, headers, body, None);
        self.finish_webhook(session, idx, node, &a.result_name, call);
    }
}
