//! The real services the engine gets in the server: wall clock, random UUIDs, an HTTP
//! client with timeouts, a size limit and a guard against private addresses, and e-mail.
//! The engine is synchronous, so these run inside `spawn_blocking` and reach the async
//! HTTP client through the runtime handle.

use std::net::{IpAddr, ToSocketAddrs};
use std::time::Duration;

use atende_engine::engine::MAX_WEBHOOK_RESPONSE_BYTES;
use atende_engine::services::{
    format_uuid, Clock, EmailService, HttpRequest, HttpResponse, HttpService, UrnClaims, UuidSource,
};

/// The wall clock: the server is the shell, reading it is its job.
pub struct WallClock;

impl Clock for WallClock {
    fn now(&mut self) -> jiff::Timestamp {
        atende_store::wall_now()
    }
}

/// Random UUIDs (v4, v7 time-ordered for sessions, runs and events).
pub struct RandomUuids;

impl UuidSource for RandomUuids {
    fn new_v4(&mut self) -> String {
        format_uuid(uuid::Uuid::new_v4().as_bytes())
    }
    fn new_v7(&mut self, _clock: &mut dyn Clock) -> String {
        format_uuid(uuid::Uuid::now_v7().as_bytes())
    }
}

/// Whether an address is one a flow must not reach unless allowed: loopback, private,
/// link-local, unspecified, carrier-grade NAT, unique-local.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// Webhook calls through `reqwest`.
pub struct WebhookClient {
    pub client: reqwest::Client,
    pub handle: tokio::runtime::Handle,
    /// Hosts (`name` or `name:port`) a flow may call even though they resolve to a
    /// private address (the demo ERP on localhost, an ERP on the LAN).
    pub allowed_private: Vec<String>,
    pub timeout: Duration,
}

impl WebhookClient {
    fn check_host(&self, url: &reqwest::Url) -> Result<(), String> {
        let host = url.host_str().ok_or("URL has no host")?;
        let port = url.port_or_known_default().unwrap_or(80);
        let host_port = format!("{host}:{port}");
        if self
            .allowed_private
            .iter()
            .any(|a| a.eq_ignore_ascii_case(host) || a.eq_ignore_ascii_case(&host_port))
        {
            return Ok(());
        }
        let addrs = (host.trim_matches(['[', ']']), port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {host}: {e}"))?;
        for addr in addrs {
            if is_private(addr.ip()) {
                return Err(format!(
                    "{host} resolves to a private address ({}); allow it with ATENDE_WEBHOOK_ALLOW",
                    addr.ip()
                ));
            }
        }
        Ok(())
    }

    async fn send(&self, request: &HttpRequest) -> Result<HttpResponse, String> {
        let url = reqwest::Url::parse(&request.url).map_err(|e| format!("invalid URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("scheme {} is not allowed", url.scheme()));
        }
        self.check_host(&url)?;
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| format!("invalid method {}", request.method))?;
        let mut builder = self
            .client
            .request(method, url)
            .timeout(self.timeout)
            .body(request.body.clone());
        for (k, v) in &request.headers {
            builder = builder.header(k, v);
        }
        let mut response = builder.send().await.map_err(|e| {
            if e.is_timeout() {
                "timed out".to_string()
            } else {
                format!("connection error: {e}")
            }
        })?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("connection error: {e}"))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_WEBHOOK_RESPONSE_BYTES {
                return Err(format!(
                    "response body exceeds {MAX_WEBHOOK_RESPONSE_BYTES} bytes"
                ));
            }
        }
        Ok(HttpResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}

impl HttpService for WebhookClient {
    fn request(&mut self, request: &HttpRequest) -> Result<HttpResponse, String> {
        // runs on a blocking thread (spawn_blocking), so blocking on the runtime is allowed
        let handle = self.handle.clone();
        handle.block_on(self.send(request))
    }
}

/// Whether a URN a flow adds already belongs to another contact of the workspace (the
/// engine then reports `urn:taken` instead of moving it).
pub struct StoreUrnClaims {
    pub store: atende_store::Store,
    pub handle: tokio::runtime::Handle,
    pub workspace: String,
}

impl UrnClaims for StoreUrnClaims {
    fn is_taken(&mut self, contact: &atende_engine::contact::Contact, urn: &str) -> bool {
        // runs on a blocking thread, like the HTTP client
        let owner = self
            .handle
            .block_on(self.store.contact_by_urn(&self.workspace, urn));
        match owner {
            Ok(Some(other)) => other.contact.uuid != contact.uuid,
            Ok(None) => false,
            // unsure: refuse rather than give one contact's URN to another
            Err(_) => true,
        }
    }
}

/// E-mail: logged, not sent, until an SMTP relay is configured (issue follow-up).
pub struct LogEmail;

impl EmailService for LogEmail {
    fn send(&mut self, to: &[String], subject: &str, _body: &str) -> Result<(), String> {
        tracing::info!(
            recipients = to.len(),
            subject,
            "send_email (no SMTP relay configured: not sent)"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "169.254.1.1",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "200.160.2.3", "2001:4860::8888"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }
}
