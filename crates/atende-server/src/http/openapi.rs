//! The OpenAPI 3.1 document served at `/api/openapi.json`, written by hand next to the
//! routes it describes (a test checks that every API route is in it).

use serde_json::{json, Value};

/// An OpenAPI operation: its summary, whether it takes the API token, the request body's
/// description and the responses.
pub(crate) fn op(
    summary: &str,
    auth: bool,
    body: Option<&str>,
    responses: &[(&str, &str)],
) -> Value {
    let mut o = json!({
        "summary": summary,
        "responses": responses.iter().map(|(code, d)| (code.to_string(), json!({"description": d}))).collect::<serde_json::Map<_, _>>(),
    });
    if auth {
        o["security"] = json!([{"token": []}]);
    }
    if let Some(b) = body {
        o["requestBody"] = json!({
            "required": true,
            "content": {"application/json": {"schema": {"type": "object", "description": b}}}
        });
    }
    o
}

const OK: (&str, &str) = ("200", "OK");
const CREATED: (&str, &str) = ("201", "Created");
const BAD: (&str, &str) = ("400", "Invalid request; the error names the field");
const UNAUTH: (&str, &str) = ("401", "Missing or invalid API token");
const MISSING: (&str, &str) = ("404", "Not found");

/// The document.
pub fn openapi_document() -> Value {
    let list = |what: &str| op(&format!("List {what}"), true, None, &[OK, UNAUTH]);
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "Atende API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Customer-service automation: contacts, flows (RapidPro/goflow spec), messages, channels."},
        "components": {"securitySchemes": {"token": {"type": "apiKey", "in": "header", "name": "Authorization",
                        "description": "`Token <api token>` (or `Bearer <api token>`)"}}},
        "paths": {
            "/api/v1/contacts": {
                "get": list("contacts (by id, `after` and `limit`)"),
                "post": op("Create a contact", true, Some("{name, urns: [scheme:path], language?, fields?: {key: text}}"), &[CREATED, BAD, UNAUTH, ("409", "A URN belongs to another contact")]),
            },
            "/api/v1/contacts/{uuid}": {
                "get": op("Read a contact", true, None, &[OK, UNAUTH, MISSING]),
                "post": op("Update a contact (smart groups follow)", true, Some("{name?, language?, fields?: {key: text}, groups?: [manual group uuid]}"), &[OK, BAD, UNAUTH, MISSING, ("422", "A change the contact cannot take")]),
            },
            "/api/v1/contacts/{uuid}/modify": {"post": op("Apply goflow contact modifiers", true, Some("{modifiers: [{type: field|groups|urns|status|language|name|timezone|channel|ticket_*, …}]}"), &[OK, BAD, UNAUTH, MISSING, ("422", "A change the contact cannot take (e.g. urn:taken)")])},
            "/api/v1/contacts/{uuid}/messages": {"get": op("A contact's messages, oldest first after `after`", true, None, &[OK, UNAUTH])},
            "/api/v1/flows": {"get": list("flows")},
            "/api/v1/flows/{uuid}": {"get": op("A flow's definition (spec 14.4.2)", true, None, &[OK, UNAUTH, MISSING])},
            "/api/v1/runs": {"get": op("Runs of a flow (`flow` query) with their results", true, None, &[OK, UNAUTH])},
            "/api/v1/import": {"post": op("Import a RapidPro/TextIt/Weni export (idempotent by UUID)", true, Some("export file: {flows, fields, groups, globals, triggers}"), &[OK, ("422", "Invalid file; the error names the flow, node or field"), UNAUTH])},
            "/api/v1/export": {"get": op("Export the workspace in the same format", true, None, &[OK, UNAUTH])},
            "/api/v1/fields": {"get": list("contact fields"), "post": op("Create or update fields", true, Some("{key, name, type} or a list"), &[OK, BAD, UNAUTH])},
            "/api/v1/groups": {"get": list("groups"), "post": op("Create or update groups (with `query` for smart groups)", true, Some("{uuid, name, query?} or a list"), &[OK, BAD, UNAUTH])},
            "/api/v1/globals": {"get": list("globals"), "post": op("Create or update globals", true, Some("{key, name, value} or a list"), &[OK, BAD, UNAUTH])},
            "/api/v1/triggers": {"get": list("triggers"), "post": op("Create or update a trigger", true, Some("{trigger_type: keyword|catch_all|new_conversation|schedule, keywords?, match_type?, flow: {uuid}, groups?, exclude_groups?, schedule?: {start: RFC 3339, repeat: never|daily|weekly|monthly}}"), &[CREATED, ("422", "Invalid trigger"), UNAUTH])},
            "/api/v1/channels": {"get": list("channels (secrets hidden)"), "post": op("Create a channel", true, Some("{name, type: ext|webchat, schemes?, callback_url?, secret?}"), &[CREATED, BAD, UNAUTH])},
            "/api/v1/messages": {
                "get": list("messages, newest first (`before`, `limit`)"),
                "post": op("Send a message outside flows", true, Some("{contact | urn, text, quick_replies?}"), &[CREATED, BAD, UNAUTH, MISSING]),
            },
            "/api/v1/flow_starts": {"post": op("Start a flow for contacts", true, Some("{flow, contacts?: [uuid], urns?: [urn], params?}"), &[OK, BAD, UNAUTH])},
            "/api/v1/webhook_calls": {"get": list("webhook calls made by flows")},
            "/c/ext/{channel}/receive": {"post": op("Inbound message on an ext channel, signed with X-Atende-Signature: sha256=<HMAC>", false, Some("{from, text, id?, name?, attachments?}"), &[("202", "Accepted and handled"), OK, BAD, ("401", "Bad signature"), MISSING])},
            "/chat/api/send": {"post": op("Web chat: a visitor's message", false, Some("{channel, visitor, text, id?}"), &[("202", "Accepted"), BAD, MISSING])},
            "/chat/api/messages": {"get": op("Web chat: a visitor's messages after `after` (polling fallback)", false, None, &[OK, MISSING])},
            "/healthz": {"get": op("Health", false, None, &[OK, ("503", "Database unavailable")])},
            "/metrics": {"get": op("Prometheus metrics", false, None, &[OK])},
        }
    });
    if let Some(paths) = doc["paths"].as_object_mut() {
        paths.extend(super::collections::openapi_paths());
    }
    doc
}
