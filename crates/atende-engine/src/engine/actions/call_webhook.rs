//! `call_webhook`: an HTTP request whose answer becomes `@webhook` and, with a result
//! name, a result (Success or Failure).
//!
//! ```json
//! {"uuid": "e9d0e1f2-a1fe-43ea-9b0c-3b4c5d6e7f8a", "type": "call_webhook", "method": "POST", "url": "https://api.example.com/boletos", "headers": {"Content-Type": "application/json"}, "body": "{\"cpf\": \"@fields.cpf\"}", "result_name": "Boleto"}
//! ```

use serde_json::json;

use crate::definition::action::CallWebhook;
use crate::definition::Node;
use crate::engine::webhook::canonical_header;
use crate::engine::Machine;
use crate::session::Session;

/// Longest URL a webhook may call (goflow's limit).
const MAX_URL_CHARS: usize = 8192;

/// How much of an invalid URL an error event shows.
const MAX_SHOWN_URL_CHARS: usize = 255;

/// The lowercase host of an absolute `http(s)://` URL, or `None` when the URL is not
/// one a webhook can call.
fn webhook_host(url: &str) -> Option<String> {
    if url.chars().count() > MAX_URL_CHARS {
        return None;
    }
    let (scheme, rest) = url.split_once("://")?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    (!host.is_empty()).then(|| host.to_lowercase())
}

impl Machine<'_, '_> {
    pub(super) fn call_webhook(
        &mut self,
        session: &mut Session,
        idx: usize,
        node: &Node,
        a: &CallWebhook,
    ) {
        let url = self.text(session, idx, &a.url).trim().to_string();
        let Some(host) = webhook_host(&url) else {
            let shown = if url.chars().count() > MAX_SHOWN_URL_CHARS {
                let cut = crate::prefix_chars(&url, MAX_SHOWN_URL_CHARS - 3);
                format!("{cut}...")
            } else {
                url.clone()
            };
            self.event(
                "error",
                json!({
                    "text": format!("Webhook URL evaluated to an invalid URL: '{shown}'"),
                    "code": "url:invalid",
                    "extra": { "url": shown },
                }),
            );
            return;
        };
        if self
            .services
            .blocked_hosts
            .iter()
            .any(|b| b.eq_ignore_ascii_case(&host))
        {
            self.event(
                "error",
                json!({
                    "text": format!("Webhook calls to {host} are not allowed"),
                    "code": "url:blocked",
                    "extra": { "hostname": host },
                }),
            );
            return;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_urls_have_a_host() {
        assert_eq!(
            webhook_host("https://Graph.facebook.com/v25.0/1"),
            Some("graph.facebook.com".into())
        );
        assert_eq!(
            webhook_host("http://user:pw@localhost:49999/x?y"),
            Some("localhost".into())
        );
        assert_eq!(webhook_host(":xxxxx"), None);
        assert_eq!(webhook_host("ftp://temba.io/"), None);
        assert_eq!(
            webhook_host(&format!("http://temba.io/{}", "x".repeat(8192))),
            None
        );
    }
}
