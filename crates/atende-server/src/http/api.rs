//! The REST API under `/api/v1`, every route behind an API token that scopes it to one
//! workspace. Request bodies are checked field by field; errors name the field.

use std::sync::Arc;

use atende_engine::contact::Contact;
use atende_engine::modifiers::Modifier;
use atende_store::{Channel, NewMessage};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{ApiError, Workspace};
use crate::services::RandomUuids;
use crate::{processor, App};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/contacts", get(list_contacts).post(create_contact))
        .route("/contacts/{uuid}", get(get_contact).post(update_contact))
        .route(
            "/contacts/{uuid}/modify",
            axum::routing::post(modify_contact),
        )
        .route("/contacts/{uuid}/messages", get(contact_messages))
        .route("/flows", get(list_flows))
        .route("/flows/{uuid}", get(get_flow))
        .route("/runs", get(list_runs))
        .route("/import", axum::routing::post(import))
        .route("/export", get(export))
        .route(
            "/fields",
            get(|s, w| list_assets(s, w, "fields")).post(import_part),
        )
        .route(
            "/groups",
            get(|s, w| list_assets(s, w, "groups")).post(import_part),
        )
        .route(
            "/globals",
            get(|s, w| list_assets(s, w, "globals")).post(import_part),
        )
        .route(
            "/triggers",
            get(|s, w| list_assets(s, w, "triggers")).post(create_trigger),
        )
        .route("/channels", get(list_channels).post(create_channel))
        .route("/messages", get(list_messages).post(send_message))
        .route("/flow_starts", axum::routing::post(start_flows))
        .route("/webhook_calls", get(webhook_calls))
}

type Result<T> = std::result::Result<T, ApiError>;

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    after: i64,
    #[serde(default)]
    before: i64,
    #[serde(default = "default_limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    100
}

fn limit(p: &Page) -> i64 {
    p.limit.clamp(1, 500)
}

fn field<'a>(body: &'a Value, key: &str) -> Result<&'a Value> {
    body.get(key)
        .ok_or_else(|| ApiError::bad_request(format!("field '{key}' is required")))
}

fn text_field<'a>(body: &'a Value, key: &str) -> Result<&'a str> {
    field(body, key)?
        .as_str()
        .ok_or_else(|| ApiError::bad_request(format!("field '{key}' must be a string")))
}

fn string_list(body: &Value, key: &str) -> Result<Vec<String>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str().map(str::to_owned).ok_or_else(|| {
                    ApiError::bad_request(format!("field '{key}[{i}]' must be a string"))
                })
            })
            .collect(),
        Some(_) => Err(ApiError::bad_request(format!(
            "field '{key}' must be a list"
        ))),
    }
}

fn contact_json(c: &Contact) -> Value {
    serde_json::to_value(c).unwrap_or_default()
}

async fn list_contacts(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Query(p): Query<Page>,
) -> Result<Json<Value>> {
    let list = app.store.contacts(&ws, p.after, limit(&p)).await?;
    let results: Vec<Value> = list.iter().map(|r| contact_json(&r.contact)).collect();
    Ok(Json(json!({"results": results})))
}

async fn get_contact(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Path(uuid): Path<String>,
) -> Result<Json<Value>> {
    let c = app
        .store
        .contact(&ws, &uuid)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no contact {uuid}")))?;
    Ok(Json(contact_json(&c.contact)))
}

/// `{"name", "urns": [...], "language"?, "fields"?: {key: text}}`.
async fn create_contact(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Json(body): Json<Value>,
) -> Result<(StatusCode, Json<Value>)> {
    let urns = string_list(&body, "urns")?;
    if urns.is_empty() {
        return Err(ApiError::bad_request("field 'urns' needs at least one URN"));
    }
    let mut normalized = Vec::new();
    for (i, u) in urns.iter().enumerate() {
        let n = atende_store::contacts::normalize_urn(u)
            .map_err(|e| ApiError::bad_request(format!("field 'urns[{i}]': {e}")))?;
        if app.store.contact_by_urn(&ws, &n).await?.is_some() {
            return Err(ApiError(
                StatusCode::CONFLICT,
                format!("field 'urns[{i}]': {n} belongs to another contact"),
            ));
        }
        normalized.push(n);
    }
    let mut contact = Contact {
        uuid: uuid::Uuid::new_v4().to_string(),
        name: body
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        language: body
            .get("language")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        status: "active".into(),
        urns: normalized,
        ..Contact::default()
    };
    let modifiers = contact_modifiers(&app, &ws, &body).await?;
    let mut tx = app.store.begin().await?;
    tx.insert_contact(&ws, &mut contact, atende_store::wall_now())
        .await?;
    tx.commit().await?;
    if !modifiers.is_empty() {
        contact = processor::modify_contact(&app, &ws, &contact.uuid, modifiers)
            .await?
            .0;
    }
    Ok((StatusCode::CREATED, Json(contact_json(&contact))))
}

/// The modifiers a simple contact body asks for: `name`, `language`, `fields` (key →
/// text; empty text clears), `groups` (the manual groups it should be in, by UUID).
async fn contact_modifiers(app: &Arc<App>, ws: &str, body: &Value) -> Result<Vec<Modifier>> {
    let mut out = Vec::new();
    let assets = app.assets(ws).await?;
    if let Some(fields) = body.get("fields") {
        let fields = fields.as_object().ok_or_else(|| {
            ApiError::bad_request("field 'fields' must be an object of key → text")
        })?;
        for (k, v) in fields {
            let Some(def) = assets.fields.iter().find(|f| &f.key == k) else {
                return Err(ApiError::bad_request(format!(
                    "field 'fields.{k}': no such contact field"
                )));
            };
            let value = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Null => String::new(),
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "field 'fields.{k}' must be text or a number"
                    )))
                }
            };
            out.push(modifier(json!({"type": "field", "field": {"key": def.key, "name": def.name}, "value": value}), "fields")?);
        }
    }
    if let Some(groups) = body.get("groups") {
        let wanted = string_list(body, "groups")?;
        let mut refs = Vec::new();
        for (i, uuid) in wanted.iter().enumerate() {
            let g = assets
                .groups
                .iter()
                .find(|g| g.get("uuid").and_then(Value::as_str) == Some(uuid))
                .ok_or_else(|| {
                    ApiError::bad_request(format!("field 'groups[{i}]': no group {uuid}"))
                })?;
            if g.get("query")
                .and_then(Value::as_str)
                .is_some_and(|q| !q.is_empty())
            {
                return Err(ApiError::bad_request(format!(
                    "field 'groups[{i}]': {uuid} is a smart group; its members follow its query"
                )));
            }
            refs.push(json!({"uuid": uuid, "name": g["name"]}));
        }
        let _ = groups;
        // membership is exactly the list: remove from the other manual groups, add to these
        let others: Vec<Value> = assets
            .groups
            .iter()
            .filter(|g| {
                g.get("query")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
            })
            .filter(|g| {
                !wanted
                    .iter()
                    .any(|w| Some(w.as_str()) == g.get("uuid").and_then(Value::as_str))
            })
            .map(|g| json!({"uuid": g["uuid"], "name": g["name"]}))
            .collect();
        if !others.is_empty() {
            out.push(modifier(
                json!({"type": "groups", "groups": others, "modification": "remove"}),
                "groups",
            )?);
        }
        if !refs.is_empty() {
            out.push(modifier(
                json!({"type": "groups", "groups": refs, "modification": "add"}),
                "groups",
            )?);
        }
    }
    for key in ["name", "language"] {
        if let Some(v) = body.get(key) {
            let v = v
                .as_str()
                .ok_or_else(|| ApiError::bad_request(format!("field '{key}' must be a string")))?;
            out.push(modifier(json!({"type": key, key: v}), key)?);
        }
    }
    Ok(out)
}

fn modifier(json: Value, field: &str) -> Result<Modifier> {
    Modifier::from_json(&json).map_err(|e| ApiError::bad_request(format!("field '{field}': {e}")))
}

/// `{"name"?, "language"?, "fields"?, "groups"?}`: the simple update, as modifiers.
async fn update_contact(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Path(uuid): Path<String>,
    Json(body): Json<Value>,
) -> Result<Json<Value>> {
    if app.store.contact(&ws, &uuid).await?.is_none() {
        return Err(ApiError::not_found(format!("no contact {uuid}")));
    }
    let modifiers = contact_modifiers(&app, &ws, &body).await?;
    let (contact, events) = processor::modify_contact(&app, &ws, &uuid, modifiers).await?;
    Ok(Json(
        json!({"contact": contact_json(&contact), "events": events}),
    ))
}

/// `{"modifiers": [goflow modifier, …]}`: any contact change goflow can express
/// (fields, groups, URNs, status, language, timezone, tickets, …).
async fn modify_contact(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Path(uuid): Path<String>,
    Json(body): Json<Value>,
) -> Result<Json<Value>> {
    let list = body
        .get("modifiers")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::bad_request("field 'modifiers' must be a list"))?;
    let modifiers = list
        .iter()
        .enumerate()
        .map(|(i, m)| modifier(m.clone(), &format!("modifiers[{i}]")))
        .collect::<Result<Vec<_>>>()?;
    if app.store.contact(&ws, &uuid).await?.is_none() {
        return Err(ApiError::not_found(format!("no contact {uuid}")));
    }
    let (contact, events) = processor::modify_contact(&app, &ws, &uuid, modifiers).await?;
    Ok(Json(
        json!({"contact": contact_json(&contact), "events": events}),
    ))
}

async fn contact_messages(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Path(uuid): Path<String>,
    Query(p): Query<Page>,
) -> Result<Json<Value>> {
    let list = app
        .store
        .contact_messages(&ws, &uuid, p.after, limit(&p))
        .await?;
    Ok(Json(json!({"results": list})))
}

async fn list_flows(State(app): State<Arc<App>>, Workspace(ws): Workspace) -> Result<Json<Value>> {
    let results: Vec<Value> = app
        .store
        .flow_list(&ws)
        .await?
        .into_iter()
        .map(|(uuid, name, revision)| json!({"uuid": uuid, "name": name, "revision": revision}))
        .collect();
    Ok(Json(json!({"results": results})))
}

async fn get_flow(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Path(uuid): Path<String>,
) -> Result<Json<Value>> {
    app.store
        .flow_definition(&ws, &uuid)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no flow {uuid}")))
}

#[derive(Deserialize)]
struct RunsQuery {
    flow: String,
    #[serde(default = "default_limit")]
    limit: i64,
}

async fn list_runs(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Query(q): Query<RunsQuery>,
) -> Result<Json<Value>> {
    let runs = app
        .store
        .flow_runs(&ws, &q.flow, q.limit.clamp(1, 500))
        .await?;
    Ok(Json(json!({"results": runs})))
}

async fn import(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Json(body): Json<Value>,
) -> Result<Json<Value>> {
    let summary = app.store.import(&ws, &body, &mut RandomUuids).await?;
    Ok(Json(serde_json::to_value(summary).unwrap_or_default()))
}

/// `POST /fields|groups|globals` with one item or a list: a partial import.
async fn import_part(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    uri: axum::http::Uri,
    Json(body): Json<Value>,
) -> Result<Json<Value>> {
    let kind = uri
        .path()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let items = match body {
        Value::Array(list) => list,
        one @ Value::Object(_) => vec![one],
        _ => {
            return Err(ApiError::bad_request(format!(
                "send a {kind} object or a list of them"
            )))
        }
    };
    let required: &[&str] = match kind.as_str() {
        "fields" => &["key", "name", "type"],
        "groups" => &["uuid", "name"],
        _ => &["key", "name", "value"],
    };
    for (i, item) in items.iter().enumerate() {
        for key in required {
            if item.get(*key).and_then(Value::as_str).is_none() {
                return Err(ApiError::bad_request(format!(
                    "{kind}[{i}].{key} is required (a string)"
                )));
            }
        }
    }
    let summary = app
        .store
        .import(&ws, &json!({ kind: items }), &mut RandomUuids)
        .await?;
    Ok(Json(serde_json::to_value(summary).unwrap_or_default()))
}

async fn export(State(app): State<Arc<App>>, Workspace(ws): Workspace) -> Result<Json<Value>> {
    Ok(Json(app.store.export(&ws).await?))
}

async fn list_assets(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    kind: &'static str,
) -> Result<Json<Value>> {
    let export = app.store.export(&ws).await?;
    Ok(Json(json!({"results": export[kind]})))
}

async fn create_trigger(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Json(body): Json<Value>,
) -> Result<(StatusCode, Json<Value>)> {
    let t = app.store.save_trigger(&ws, &body).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::to_value(t).unwrap_or_default()),
    ))
}

async fn list_channels(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
) -> Result<Json<Value>> {
    let mut list = app.store.channels(&ws).await?;
    for c in &mut list {
        // secrets are write-only
        if let Some(o) = c.config.as_object_mut() {
            if o.contains_key("secret") {
                o.insert("secret".into(), json!("***"));
            }
        }
    }
    Ok(Json(json!({"results": list})))
}

/// `{"name", "type": "ext"|"webchat", "uuid"?, "schemes"?, "callback_url"?, "secret"?}`.
async fn create_channel(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Json(body): Json<Value>,
) -> Result<(StatusCode, Json<Value>)> {
    let name = text_field(&body, "name")?;
    let kind = text_field(&body, "type")?;
    if !matches!(kind, "ext" | "webchat") {
        return Err(ApiError::bad_request(
            "field 'type' must be 'ext' or 'webchat'",
        ));
    }
    let uuid = match body.get("uuid").and_then(Value::as_str) {
        Some(u) if atende_engine::definition::action::is_uuid(u) => u.to_string(),
        Some(_) => return Err(ApiError::bad_request("field 'uuid' must be a UUID")),
        None => uuid::Uuid::new_v4().to_string(),
    };
    let schemes = match string_list(&body, "schemes")? {
        s if s.is_empty() => vec![kind.to_string()],
        s => s,
    };
    let callback = body
        .get("callback_url")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if kind == "ext" && reqwest::Url::parse(callback).is_err() {
        return Err(ApiError::bad_request(
            "field 'callback_url' must be an http(s) URL for an ext channel",
        ));
    }
    let mut config = json!({"schemes": schemes, "callback_url": callback});
    match body.get("secret").and_then(Value::as_str) {
        Some(secret) if secret.len() >= 16 => config["secret"] = json!(secret),
        Some(_) => {
            return Err(ApiError::bad_request(
                "field 'secret' must have at least 16 characters",
            ))
        }
        // inbound webhooks are verified: an ext channel cannot go without a secret
        None if kind == "ext" => {
            return Err(ApiError::bad_request(
                "field 'secret' is required for an ext channel (signs its webhooks)",
            ))
        }
        None => {}
    }
    let channel = Channel {
        uuid,
        name: name.into(),
        channel_type: kind.into(),
        address: body
            .get("address")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .into(),
        config,
    };
    app.store.save_channel(&ws, &channel).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"uuid": channel.uuid, "name": channel.name, "type": channel.channel_type})),
    ))
}

async fn list_messages(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Query(p): Query<Page>,
) -> Result<Json<Value>> {
    let list = app.store.messages(&ws, p.before, limit(&p)).await?;
    Ok(Json(json!({"results": list})))
}

/// `{"contact" | "urn", "text", "quick_replies"?}`: an outbound message outside flows
/// (an agent's or another system's).
async fn send_message(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Json(body): Json<Value>,
) -> Result<(StatusCode, Json<Value>)> {
    let text = text_field(&body, "text")?;
    if text.trim().is_empty() {
        return Err(ApiError::bad_request("field 'text' must not be empty"));
    }
    let contact = if let Some(uuid) = body.get("contact").and_then(Value::as_str) {
        app.store.contact(&ws, uuid).await?.map(|r| r.contact)
    } else if let Some(urn) = body.get("urn").and_then(Value::as_str) {
        Some(processor::ensure_contact(&app, &ws, urn, None).await?.0)
    } else {
        return Err(ApiError::bad_request(
            "field 'contact' or 'urn' is required",
        ));
    };
    let contact = contact.ok_or_else(|| ApiError::not_found("no such contact"))?;
    let urn = contact
        .urns
        .first()
        .cloned()
        .ok_or_else(|| ApiError::bad_request("the contact has no URN"))?;
    let scheme = urn.split(':').next().unwrap_or_default().to_string();
    let channels = app.store.channels(&ws).await?;
    let channel = channels
        .iter()
        .find(|c| processor::channel_schemes(c).contains(&scheme))
        .ok_or_else(|| ApiError::bad_request(format!("no channel sends to {scheme}: URNs")))?;
    let msg = NewMessage {
        uuid: uuid::Uuid::now_v7().to_string(),
        contact_uuid: contact.uuid.clone(),
        channel_uuid: channel.uuid.clone(),
        urn,
        text: text.into(),
        quick_replies: string_list(&body, "quick_replies")?,
        ..NewMessage::default()
    };
    let deliver = channel.channel_type != "webchat";
    let mut tx = app.store.begin().await?;
    tx.insert_outbound(&ws, &msg, deliver, atende_store::wall_now())
        .await?;
    tx.commit().await?;
    let _ = app.notify.send((ws.clone(), contact.uuid.clone()));
    app.outbox_wake.notify_one();
    Ok((
        StatusCode::CREATED,
        Json(json!({"uuid": msg.uuid, "contact": {"uuid": contact.uuid}})),
    ))
}

/// `{"flow", "contacts"?: [uuid], "urns"?: [urn], "params"?}`.
async fn start_flows(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Json(body): Json<Value>,
) -> Result<Json<Value>> {
    let flow = text_field(&body, "flow")?.to_string();
    if app.store.flow_definition(&ws, &flow).await?.is_none() {
        return Err(ApiError::bad_request(format!(
            "field 'flow': no flow {flow}"
        )));
    }
    let mut contacts = string_list(&body, "contacts")?;
    for urn in string_list(&body, "urns")? {
        contacts.push(
            processor::ensure_contact(&app, &ws, &urn, None)
                .await?
                .0
                .uuid,
        );
    }
    if contacts.is_empty() {
        return Err(ApiError::bad_request(
            "field 'contacts' or 'urns' must name at least one contact",
        ));
    }
    let params = body.get("params").cloned();
    let mut started = Vec::new();
    for c in contacts {
        started.push(processor::start_flow(&app, &ws, &c, &flow, params.clone()).await?);
    }
    Ok(Json(json!({"flow": flow, "contacts": started})))
}

async fn webhook_calls(
    State(app): State<Arc<App>>,
    Workspace(ws): Workspace,
    Query(p): Query<Page>,
) -> Result<Json<Value>> {
    Ok(Json(
        json!({"results": app.store.webhook_calls(&ws, limit(&p)).await?}),
    ))
}
