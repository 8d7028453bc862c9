//! Webhook calls: the HTTP request through the injected service, the `webhook_called`
//! event with Go's wire-format request and response texts, and `@webhook` with the
//! optional result.

use serde_json::{json, Map, Value as Json};

use crate::definition::Node;
use crate::engine::{Machine, MAX_WEBHOOK_RESPONSE_BYTES, MAX_WEBHOOK_TRACE_CHARS};
use crate::services::HttpRequest;
use crate::session::Session;

/// One HTTP call as webhook events and `@webhook` report it.
pub(super) struct WebhookCall {
    method: String,
    url: String,
    /// 0 when there was no response.
    pub(super) status: u16,
    headers: Option<Vec<(String, String)>>,
    body: String,
    request_trace: String,
    response_trace: Option<String>,
    /// `success`, `response_error` or `connection_error`.
    outcome: &'static str,
    elapsed_ms: i64,
    resthook: Option<String>,
    /// Bytes of the whole response (status line, headers, body), 0 without one.
    response_size: usize,
}

/// Go's canonical header casing (`content-type` → `Content-Type`).
pub(super) fn canonical_header(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut c = part.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The request as Go's net/http writes it: request line, `Host`, `User-Agent`,
/// `Content-Length` (when there is a body or the method sends one), the other headers
/// sorted, then `Accept-Encoding: gzip`, a blank line and the body.
fn request_text(req: &HttpRequest) -> String {
    let rest = req
        .url
        .split_once("://")
        .map(|(_, r)| r)
        .unwrap_or(&req.url);
    let (host, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    let mut out = format!("{} {path} HTTP/1.1\r\nHost: {host}\r\n", req.method);
    let ua = req
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("User-Agent"))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| "goflow-testing".to_string());
    out.push_str(&format!("User-Agent: {ua}\r\n"));
    let sends_body = matches!(req.method.as_str(), "POST" | "PUT" | "PATCH");
    if !req.body.is_empty() || sends_body {
        out.push_str(&format!("Content-Length: {}\r\n", req.body.len()));
    }
    let mut headers: Vec<&(String, String)> = req
        .headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("User-Agent"))
        .collect();
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("Accept-Encoding: gzip\r\n\r\n");
    out.push_str(&req.body);
    out
}

/// The response as Go writes it: `HTTP/1.0 <status>`, `Content-Length`, the other
/// headers sorted, a blank line and the body.
fn response_text(resp: &crate::services::HttpResponse) -> String {
    let mut out = format!(
        "HTTP/1.0 {} {}\r\nContent-Length: {}\r\n",
        resp.status,
        status_text(resp.status),
        resp.body.len()
    );
    let mut headers: Vec<&(String, String)> = resp
        .headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("Content-Length"))
        .collect();
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&resp.body);
    out
}

fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// Webhook traces longer than the limit keep their start and end in `...`.
fn truncate_trace(text: &str) -> String {
    if text.chars().count() <= MAX_WEBHOOK_TRACE_CHARS {
        return text.to_string();
    }
    let mut t = crate::prefix_chars(text, MAX_WEBHOOK_TRACE_CHARS - 3).to_string();
    t.push_str("...");
    t
}

impl Machine<'_, '_> {
    /// Makes one HTTP request through the HTTP service, timing it with the clock and
    /// recording the Go wire-format texts webhook events carry.
    pub(super) fn http_call(
        &mut self,
        method: &str,
        url: &str,
        headers: Vec<(String, String)>,
        body: String,
        resthook: Option<&str>,
    ) -> WebhookCall {
        let request = HttpRequest {
            method: method.to_string(),
            url: url.to_string(),
            headers,
            body,
        };
        let request_trace = request_text(&request);
        let start = self.services.clock.now();
        let result = match self.services.http.as_deref_mut() {
            Some(http) => http.request(&request),
            None => Err("no HTTP service available".to_string()),
        };
        let end = self.services.clock.now();
        let elapsed = end.duration_since(start).as_millis().max(0);
        let mut call = WebhookCall {
            method: method.to_string(),
            url: url.to_string(),
            status: 0,
            headers: None,
            body: String::new(),
            request_trace,
            response_trace: None,
            outcome: "connection_error",
            elapsed_ms: elapsed as i64,
            resthook: resthook.map(str::to_owned),
            response_size: 0,
        };
        if let Ok(resp) = result {
            call.status = resp.status;
            call.response_trace = Some(response_text(&resp));
            call.headers = Some(resp.headers.clone());
            call.response_size = call.response_trace.as_ref().map_or(0, String::len);
            if resp.body.len() > MAX_WEBHOOK_RESPONSE_BYTES {
                // the body is not read: the call counts as failed to connect, and the
                // trace keeps the head only (its Content-Length still the body's)
                let full = response_text(&resp);
                let head = full.len() - resp.body.len();
                call.response_trace = Some(full[..head].to_string());
                call.body = String::new();
                self.event(
                    "warning",
                    json!({ "code": "webhook:response_size", "text": format!("Webhook response exceeded the limit of {MAX_WEBHOOK_RESPONSE_BYTES} bytes"), "extra": { "limit": MAX_WEBHOOK_RESPONSE_BYTES.to_string() } }),
                );
            } else {
                call.body = resp.body;
                call.outcome = if (200..300).contains(&resp.status) {
                    "success"
                } else if resp.status == 410 && resthook.is_some() {
                    // a resthook subscriber answering 410 Gone has unsubscribed
                    "subscriber_gone"
                } else {
                    "response_error"
                };
            }
        }
        let mut data = json!({
            "url": call.url,
            "request": truncate_trace(&call.request_trace),
            "elapsed_ms": call.elapsed_ms,
            "retries": 0,
            "status": call.outcome,
            "sizes": {
                "request": call.request_trace.len(),
                "response": call.response_size,
            },
        });
        if call.status != 0 {
            data["status_code"] = json!(call.status);
        }
        if let Some(r) = &call.response_trace {
            data["response"] = json!(truncate_trace(r));
        }
        if let Some(slug) = &call.resthook {
            data["resthook"] = json!(slug);
        }
        self.event("webhook_called", data);
        call
    }

    /// `@webhook` and the optional result (`value` = status, `category` Success or
    /// Failure, `extra` = the body's JSON when small enough).
    pub(super) fn finish_webhook(
        &mut self,
        session: &mut Session,
        idx: usize,
        node: &Node,
        result_name: &str,
        call: WebhookCall,
    ) {
        let parsed: Option<Json> = serde_json::from_str(&call.body).ok();
        let json_body = parsed.clone().unwrap_or(Json::Null);
        let headers = call.headers.as_ref().map(|h| {
            Json::Object(
                h.iter()
                    .map(|(k, v)| (k.clone(), json!(v)))
                    .collect::<Map<String, Json>>(),
            )
        });
        session.runs[idx].webhook = Some(json!({
            "method": call.method,
            "url": call.url,
            "status": call.status,
            "headers": headers.unwrap_or(Json::Null),
            "json": json_body,
        }));
        if result_name.is_empty() {
            return;
        }
        let category = if call.outcome == "success" {
            "Success"
        } else {
            "Failure"
        };
        let extra = parsed.filter(|_| call.body.len() <= MAX_WEBHOOK_TRACE_CHARS);
        let has_extra = extra.is_some();
        let input = format!("{} {}", call.method, call.url);
        self.save_result(
            session,
            idx,
            result_name,
            &call.status.to_string(),
            category,
            &node.uuid,
            Some(input),
            extra,
        );
        // the extra as the server wrote it, for @legacy_extra
        if has_extra {
            session.runs[idx]
                .extra_text
                .insert(crate::engine::result_key(result_name), call.body.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_responses_in_go_wire_format() {
        let req = HttpRequest {
            method: "POST".into(),
            url: "http://temba.io/?q=1".into(),
            headers: vec![("X-Something".into(), "Male".into())],
            body: "Hi there!".into(),
        };
        assert_eq!(
            request_text(&req),
            "POST /?q=1 HTTP/1.1\r\nHost: temba.io\r\nUser-Agent: goflow-testing\r\nContent-Length: 9\r\nX-Something: Male\r\nAccept-Encoding: gzip\r\n\r\nHi there!"
        );
        let resp = crate::services::HttpResponse {
            status: 400,
            headers: vec![],
            body: "{}".into(),
        };
        assert_eq!(
            response_text(&resp),
            "HTTP/1.0 400 Bad Request\r\nContent-Length: 2\r\n\r\n{}"
        );
        assert_eq!(canonical_header("content-type"), "Content-Type");
        assert_eq!(truncate_trace(&"x".repeat(10_005)).len(), 10_000);
    }
}
