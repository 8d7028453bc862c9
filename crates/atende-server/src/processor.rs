//! Message processing: an inbound message is stored (idempotently), then handled under
//! the contact's lease, oldest first; the engine's sprint runs on a blocking thread and its
//! results (contact, session, runs, outbound messages, scheduled fires, webhook log) are
//! written in one transaction. The scheduler and the outbox worker live here too.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use atende_engine::contact::Contact;
use atende_engine::engine::{self, Assets, Services, Sprint};
use atende_engine::session::{Session, SessionStatus};
use atende_excellent::{Environment, Pcg};
use atende_store::{Channel, Message, NewMessage, Tx};
use serde_json::{json, Value as Json};

use crate::services::{LogEmail, RandomUuids, StoreUrnClaims, WallClock, WebhookClient};
use crate::triggers::{self, Route};
use crate::App;

/// How long a contact's lease lasts; a sprint (webhooks included) must end well before.
const CONTACT_LEASE: Duration = Duration::from_secs(120);
/// How long to wait for another instance to finish with a contact.
const CONTACT_WAIT: Duration = Duration::from_secs(60);

/// Runs `work` holding the lease on `key` (a contact UUID, or `urn:…` while a contact
/// is being created), so one instance at a time works on it. The future does nothing
/// until awaited here, after the lease is taken.
async fn leased<T>(
    app: &App,
    workspace: &str,
    key: &str,
    work: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    let owner = format!("{}:{}", app.instance, uuid::Uuid::new_v4().simple());
    app.store
        .lock_contact(workspace, key, &owner, CONTACT_LEASE, CONTACT_WAIT)
        .await?;
    let result = work.await;
    app.store.unlock_contact(workspace, key, &owner).await?;
    result
}

/// An inbound message as a channel hands it over.
#[derive(Clone, Debug, Default)]
pub struct Inbound {
    pub urn: String,
    pub text: String,
    pub attachments: Vec<String>,
    pub external_id: Option<String>,
    /// The sender's name, when the channel knows it (new contacts get it).
    pub name: Option<String>,
}

/// What happened to an inbound message.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Received {
    pub contact_uuid: String,
    pub msg_uuid: String,
    /// The channel had delivered this external id before: nothing was done again.
    pub duplicate: bool,
}

/// Finds or creates the contact owning `urn`.
pub async fn ensure_contact(
    app: &App,
    workspace: &str,
    urn: &str,
    name: Option<&str>,
) -> anyhow::Result<(Contact, bool)> {
    let urn = atende_store::contacts::normalize_urn(urn).map_err(|e| anyhow!(e))?;
    if let Some(found) = app.store.contact_by_urn(workspace, &urn).await? {
        return Ok((found.contact, false));
    }
    let mut contact = Contact {
        uuid: uuid::Uuid::new_v4().to_string(),
        name: name.unwrap_or_default().to_string(),
        status: "active".into(),
        urns: vec![urn.clone()],
        ..Contact::default()
    };
    // two first messages from one URN at once (or on two instances) must make one
    // contact: the URN's lease serialises them, and the second finds the first's contact
    let key = format!("urn:{urn}");
    let result = leased(app, workspace, &key, async {
        if let Some(found) = app.store.contact_by_urn(workspace, &urn).await? {
            return anyhow::Ok((found.contact, false));
        }
        let mut tx = app.store.begin().await?;
        tx.insert_contact(workspace, &mut contact, atende_store::wall_now())
            .await?;
        tx.commit().await?;
        Ok((contact, true))
    })
    .await;
    result
}

/// Stores an inbound message and handles it (and any earlier ones still pending).
pub async fn receive(
    app: &Arc<App>,
    workspace: &str,
    channel: &Channel,
    inbound: Inbound,
) -> anyhow::Result<Received> {
    let (contact, _) =
        ensure_contact(app, workspace, &inbound.urn, inbound.name.as_deref()).await?;
    let msg = NewMessage {
        uuid: uuid::Uuid::now_v7().to_string(),
        contact_uuid: contact.uuid.clone(),
        channel_uuid: channel.uuid.clone(),
        urn: atende_store::contacts::normalize_urn(&inbound.urn).map_err(|e| anyhow!(e))?,
        text: inbound.text,
        attachments: inbound.attachments,
        quick_replies: Vec::new(),
        external_id: inbound.external_id,
        extras: serde_json::Value::Null,
    };
    let mut tx = app.store.begin().await?;
    let stored = tx
        .insert_inbound(workspace, &msg, atende_store::wall_now())
        .await?;
    tx.commit().await?;
    app.metrics
        .inbound
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if stored.is_none() {
        return Ok(Received {
            contact_uuid: contact.uuid,
            msg_uuid: msg.uuid,
            duplicate: true,
        });
    }
    process_contact(app, workspace, &contact.uuid).await?;
    Ok(Received {
        contact_uuid: contact.uuid,
        msg_uuid: msg.uuid,
        duplicate: false,
    })
}

/// Handles the contact's pending messages in order, holding its lease.
pub async fn process_contact(app: &Arc<App>, workspace: &str, contact: &str) -> anyhow::Result<()> {
    let result = leased(app, workspace, contact, async {
        while let Some(msg) = app.store.next_pending(workspace, contact).await? {
            handle_message(app, workspace, &msg).await?;
        }
        anyhow::Ok(())
    })
    .await;
    result
}

/// The engine's input for one sprint.
enum Work {
    Start(Json),
    Resume(Box<Session>, Json),
}

async fn handle_message(app: &Arc<App>, workspace: &str, msg: &Message) -> anyhow::Result<()> {
    let now = atende_store::wall_now();
    let record = app
        .store
        .contact(workspace, &msg.contact_uuid)
        .await?
        .ok_or_else(|| anyhow!("message {} names no stored contact", msg.uuid))?;
    let contact = record.contact;
    let waiting = app.store.waiting_session(workspace, &contact.uuid).await?;
    let trigger_list = app.store.triggers(workspace).await?;
    let groups: Vec<String> = contact.groups.iter().map(|g| g.uuid.clone()).collect();
    let first_message = app
        .store
        .contact_messages(workspace, &contact.uuid, 0, 2)
        .await?
        .first()
        .is_some_and(|m| m.uuid == msg.uuid);
    let assets = app.assets(workspace).await?;
    let msg_json = json!({
        "uuid": msg.uuid,
        "urn": msg.urn,
        "channel": {"uuid": msg.channel_uuid},
        "text": msg.text,
        "attachments": msg.attachments,
        "external_id": msg.external_id,
    });
    let event = json!({"type": "msg_received", "uuid": msg.uuid, "created_on": engine::format_time(now), "msg": msg_json});
    let route = triggers::route(
        &trigger_list,
        &msg.text,
        &groups,
        waiting.is_some(),
        first_message,
    );
    let work = match (route, waiting) {
        (Route::Start { trigger, keyword }, _) => {
            let Some(flow) = assets.flow(&trigger.flow_uuid) else {
                tracing::warn!(flow = trigger.flow_uuid, "trigger names a missing flow");
                return mark_handled(app, workspace, &msg.uuid).await;
            };
            let mut t = json!({
                "type": "msg",
                "flow": {"uuid": flow.uuid, "name": flow.name},
                "triggered_on": engine::format_time(now),
                "event": event,
            });
            if let Some(k) = keyword {
                t["keyword_match"] = json!({"type": if trigger.match_type == "only_word" { "only_word" } else { "first_word" }, "keyword": k});
            }
            Work::Start(t)
        }
        (Route::Resume, Some(session)) => Work::Resume(
            Box::new(session),
            json!({"type": "msg", "resumed_on": engine::format_time(now), "event": event}),
        ),
        _ => return mark_handled(app, workspace, &msg.uuid).await,
    };
    run_and_apply(app, workspace, contact, work, Some(&msg.uuid), None).await
}

async fn mark_handled(app: &App, workspace: &str, msg: &str) -> anyhow::Result<()> {
    let mut tx = app.store.begin().await?;
    tx.mark_handled(workspace, msg, atende_store::wall_now())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Starts a flow for a contact outside any message (API flow starts).
pub async fn start_flow(
    app: &Arc<App>,
    workspace: &str,
    contact_uuid: &str,
    flow_uuid: &str,
    params: Option<Json>,
) -> anyhow::Result<String> {
    let result = leased(app, workspace, contact_uuid, async {
        let contact = app
            .store
            .contact(workspace, contact_uuid)
            .await?
            .ok_or_else(|| anyhow!("no contact {contact_uuid}"))?
            .contact;
        let assets = app.assets(workspace).await?;
        let flow = assets
            .flow(flow_uuid)
            .ok_or_else(|| anyhow!("no flow {flow_uuid}"))?;
        let mut trigger = json!({
            "type": "manual",
            "flow": {"uuid": flow.uuid, "name": flow.name},
            "triggered_on": engine::format_time(atende_store::wall_now()),
        });
        if let Some(p) = params {
            trigger["params"] = p;
        }
        run_and_apply(app, workspace, contact, Work::Start(trigger), None, None).await
    })
    .await;
    result.map(|()| contact_uuid.to_string())
}

/// Applies contact modifiers (goflow's typed contact changes: name, fields, groups,
/// language, URNs, status, …) outside any flow, under the contact's lease, re-evaluating
/// smart groups; returns the events. Nothing is written when an event is an error.
pub async fn modify_contact(
    app: &Arc<App>,
    workspace: &str,
    contact_uuid: &str,
    modifiers: Vec<atende_engine::modifiers::Modifier>,
) -> anyhow::Result<(Contact, Vec<Json>)> {
    let result = leased(app, workspace, contact_uuid, async {
        let mut contact = app
            .store
            .contact(workspace, contact_uuid)
            .await?
            .ok_or_else(|| anyhow!("no contact {contact_uuid}"))?
            .contact;
        let assets = app.assets(workspace).await?;
        let env = workspace_env(app, workspace).await?;
        let modifiers = modifiers.clone();
        let mut claims = StoreUrnClaims {
            store: app.store.clone(),
            handle: tokio::runtime::Handle::current(),
            workspace: workspace.to_string(),
        };
        // on a blocking thread: URN claims block on the store
        let (contact, events) = tokio::task::spawn_blocking(move || {
            let mut clock = WallClock;
            let mut uuids = RandomUuids;
            let mut random = Pcg::new(1, 2);
            let mut services =
                Services::new(&mut clock, &mut uuids, &mut random).with_urn_claims(&mut claims);
            let mut events = Vec::new();
            for m in &modifiers {
                events.extend(m.apply(&env, &assets, &mut contact, &mut services));
            }
            (contact, events)
        })
        .await
        .context("modifier thread")?;
        if let Some(err) = events.iter().find(|e| e.event_type == "error") {
            let text = err
                .field("text")
                .and_then(Json::as_str)
                .unwrap_or("invalid change");
            return Err(anyhow::Error::new(atende_store::StoreError::Invalid(
                text.to_string(),
            )));
        }
        let mut tx = app.store.begin().await?;
        tx.update_contact(workspace, &contact, atende_store::wall_now())
            .await?;
        tx.commit().await?;
        Ok((contact, events.iter().map(|e| e.to_json()).collect()))
    })
    .await;
    result
}

async fn workspace_env(app: &App, workspace: &str) -> anyhow::Result<Environment> {
    let ws = app
        .store
        .workspace(workspace)
        .await?
        .ok_or_else(|| anyhow!("no workspace {workspace}"))?;
    Environment::from_json(&ws.environment)
        .map_err(|e| anyhow!("workspace {workspace} environment: {e}"))
}

/// Runs one sprint on a blocking thread and writes everything it produced in one
/// transaction. `handled` is the inbound message this sprint consumed; `fire` the
/// scheduled fire it applies (the transaction rolls back if another instance took it).
async fn run_and_apply(
    app: &Arc<App>,
    workspace: &str,
    contact: Contact,
    work: Work,
    handled: Option<&str>,
    fire: Option<&str>,
) -> anyhow::Result<()> {
    let assets = app.assets(workspace).await?;
    let env = workspace_env(app, workspace).await?;
    let before = contact.clone();
    let mut http = WebhookClient {
        client: app.http.clone(),
        handle: tokio::runtime::Handle::current(),
        allowed_private: app.config.webhook_allow.clone(),
        timeout: app.config.webhook_timeout,
    };
    // the server is the shell: timing sprints for /metrics is its job
    #[allow(clippy::disallowed_methods)]
    let started = std::time::Instant::now();
    let mut claims = StoreUrnClaims {
        store: app.store.clone(),
        handle: tokio::runtime::Handle::current(),
        workspace: workspace.to_string(),
    };
    let (contact, session, sprint, interrupted) = tokio::task::spawn_blocking(move || {
        let mut contact = contact;
        let mut clock = WallClock;
        let mut uuids = RandomUuids;
        let seed = uuid::Uuid::new_v4().as_u128();
        let mut random = Pcg::new(seed as u64, (seed >> 64) as u64);
        let mut email = LogEmail;
        let services = Services::new(&mut clock, &mut uuids, &mut random)
            .with_http(&mut http)
            .with_email(&mut email)
            .with_urn_claims(&mut claims);
        match work {
            Work::Start(trigger) => {
                let (session, sprint) =
                    engine::start(&assets, &env, &mut contact, &trigger, services)?;
                anyhow::Ok((contact, session, sprint, true))
            }
            Work::Resume(mut session, resume) => {
                let sprint =
                    engine::resume(&assets, &env, &mut session, &mut contact, &resume, services)?;
                anyhow::Ok((contact, *session, sprint, false))
            }
        }
    })
    .await
    .context("engine thread")??;
    app.metrics
        .sprints
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    app.metrics.sprint_micros.fetch_add(
        started.elapsed().as_micros() as u64,
        std::sync::atomic::Ordering::Relaxed,
    );

    let now = atende_store::wall_now();
    let mut tx = app.store.begin().await?;
    if let Some(id) = fire {
        if !tx.take_fire(id).await? {
            // applied by another instance meanwhile: drop this sprint
            return Ok(());
        }
    }
    if interrupted {
        tx.interrupt_waiting(workspace, &contact.uuid).await?;
    }
    if contact != before {
        tx.update_contact(workspace, &contact, now).await?;
    }
    tx.save_session(workspace, &session, now).await?;
    schedule(&mut tx, workspace, &session, &sprint, now).await?;
    let channels = app.store.channels(workspace).await?;
    let mut outbound = 0;
    for event in &sprint.events {
        match event.event_type {
            "msg_created" => {
                let deliver =
                    queue_outbound(&mut tx, workspace, &contact, &channels, event, now).await?;
                outbound += usize::from(deliver);
            }
            "webhook_called" => log_webhook(&mut tx, workspace, &session.uuid, event).await?,
            _ => {}
        }
    }
    if let Some(msg) = handled {
        tx.mark_handled(workspace, msg, now).await?;
    }
    tx.commit().await?;
    app.metrics
        .outbound
        .fetch_add(outbound as u64, std::sync::atomic::Ordering::Relaxed);
    // web chat clients of this contact read their new messages now
    let _ = app
        .notify
        .send((workspace.to_string(), contact.uuid.clone()));
    if outbound > 0 {
        app.outbox_wake.notify_one();
    }
    Ok(())
}

/// Replaces the session's fires: a waiting session gets its wait timeout and its
/// expiration; any other status gets none.
async fn schedule(
    tx: &mut Tx,
    workspace: &str,
    session: &Session,
    sprint: &Sprint,
    now: jiff::Timestamp,
) -> anyhow::Result<()> {
    let mut fires = Vec::new();
    if session.status == SessionStatus::Waiting {
        if let Some(wait) = sprint
            .events
            .iter()
            .rev()
            .find(|e| e.event_type == "msg_wait")
        {
            if let Some(secs) = wait.field("timeout_seconds").and_then(Json::as_i64) {
                fires.push(("wait_timeout", now + jiff::SignedDuration::from_secs(secs)));
            }
            if let Some(at) = wait
                .field("expires_on")
                .and_then(Json::as_str)
                .and_then(|s| s.parse::<jiff::Timestamp>().ok())
            {
                fires.push(("wait_expiration", at));
            }
        }
    }
    tx.schedule_fires(
        workspace,
        &session.contact_uuid,
        &session.uuid,
        i64::from(session.sprints),
        &fires,
    )
    .await?;
    Ok(())
}

/// Stores a `msg_created` event's message; `true` when it went to the outbox.
async fn queue_outbound(
    tx: &mut Tx,
    workspace: &str,
    contact: &Contact,
    channels: &[Channel],
    event: &atende_engine::events::Event,
    now: jiff::Timestamp,
) -> anyhow::Result<bool> {
    let Some(msg) = event.field("msg") else {
        return Ok(false);
    };
    let str_of = |k: &str| {
        msg.get(k)
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let urn = match str_of("urn") {
        u if u.is_empty() => contact.urns.first().cloned().unwrap_or_default(),
        u => u,
    };
    let scheme = urn.split(':').next().unwrap_or_default();
    let channel = msg
        .pointer("/channel/uuid")
        .and_then(Json::as_str)
        .and_then(|u| channels.iter().find(|c| c.uuid == u))
        .or_else(|| {
            channels
                .iter()
                .find(|c| channel_schemes(c).contains(&scheme.to_string()))
        });
    let list = |k: &str| -> Vec<String> {
        msg.get(k)
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.get("text").and_then(Json::as_str).or_else(|| v.as_str()))
            .map(str::to_owned)
            .collect()
    };
    let new = NewMessage {
        uuid: if str_of("uuid").is_empty() {
            event.uuid.clone()
        } else {
            str_of("uuid")
        },
        contact_uuid: contact.uuid.clone(),
        channel_uuid: channel.map(|c| c.uuid.clone()).unwrap_or_default(),
        urn: atende_engine::contact::urn_identity(&urn).to_string(),
        text: str_of("text"),
        attachments: list("attachments"),
        quick_replies: list("quick_replies"),
        external_id: None,
        extras: channel_extras(msg),
    };
    // web chat reads messages straight from the store; other channels deliver
    let deliver = channel.is_some_and(|c| c.channel_type != "webchat");
    tx.insert_outbound(workspace, &new, deliver, now).await?;
    Ok(deliver)
}

/// The parts of an engine message a channel renders beyond text, quick replies and
/// attachments: Weni's WhatsApp interactive parts, WhatsApp templates.
fn channel_extras(msg: &Json) -> Json {
    let mut extras = serde_json::Map::new();
    for key in ["whatsapp", "templating"] {
        if let Some(v) = msg.get(key).filter(|v| !v.is_null()) {
            extras.insert(key.into(), v.clone());
        }
    }
    if extras.is_empty() {
        Json::Null
    } else {
        Json::Object(extras)
    }
}

async fn log_webhook(
    tx: &mut Tx,
    workspace: &str,
    session: &str,
    event: &atende_engine::events::Event,
) -> anyhow::Result<()> {
    tx.log_webhook(workspace, session, &event.to_json()).await?;
    Ok(())
}

/// The URN schemes a channel serves.
pub fn channel_schemes(c: &Channel) -> Vec<String> {
    match c.config.get("schemes").and_then(Json::as_array) {
        Some(list) => list
            .iter()
            .filter_map(Json::as_str)
            .map(str::to_owned)
            .collect(),
        None => vec![c.channel_type.clone()],
    }
}

/// Builds the engine's assets for a workspace: its export plus its channels.
pub fn build_assets(export: &Json, channels: &[Channel]) -> anyhow::Result<Assets> {
    let mut source = export.clone();
    source["channels"] = channels
        .iter()
        .map(|c| {
            json!({
                "uuid": c.uuid,
                "name": c.name,
                "address": c.address,
                "schemes": channel_schemes(c),
                "roles": ["send", "receive"],
            })
        })
        .collect();
    Assets::from_json(&source).map_err(|e| anyhow!("stored assets: {e}"))
}

/// The scheduler: applies due wait timeouts and expirations, once each, across instances.
pub async fn run_scheduler(app: Arc<App>) {
    loop {
        if let Err(e) = fire_due(&app).await {
            tracing::warn!(error = %e, "scheduler");
        }
        tokio::time::sleep(app.config.scheduler_interval).await;
    }
}

/// Applies the fires that are due now; returns how many were applied.
pub async fn fire_due(app: &Arc<App>) -> anyhow::Result<usize> {
    let fires = app
        .store
        .claim_fires(atende_store::wall_now(), Duration::from_secs(300), 100)
        .await?;
    let mut applied = 0;
    for fire in fires {
        if fire.kind == atende_store::fires::TRIGGER_FIRE {
            match start_scheduled(app, &fire).await {
                Ok(true) => {
                    applied += 1;
                    app.metrics
                        .fires
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, trigger = %fire.session_uuid, "scheduled trigger")
                }
            }
            continue;
        }
        let ws = &fire.workspace_id;
        let result = leased(app, ws, &fire.contact_uuid, async {
            let Some(session) = app.store.session(ws, &fire.session_uuid).await? else {
                return anyhow::Ok(false);
            };
            if session.status != SessionStatus::Waiting || i64::from(session.sprints) != fire.sprint {
                // the contact answered (or the session ended) since: the fire is stale
                let mut tx = app.store.begin().await?;
                tx.take_fire(&fire.id).await?;
                tx.commit().await?;
                return Ok(false);
            }
            let contact = app
                .store
                .contact(ws, &fire.contact_uuid)
                .await?
                .ok_or_else(|| anyhow!("fire {} names no contact", fire.id))?
                .contact;
            let resume = json!({"type": fire.kind, "resumed_on": engine::format_time(atende_store::wall_now())});
            run_and_apply(app, ws, contact, Work::Resume(Box::new(session), resume), None, Some(&fire.id)).await?;
            Ok(true)
        })
        .await;
        if result? {
            applied += 1;
            app.metrics
                .fires
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
    Ok(applied)
}

/// A schedule trigger is due: book its next firing and take this one out in one
/// transaction (so it runs once, whichever instance claimed it), then start its flow for
/// the members of its groups. A crash half-way leaves the rest of the group unstarted
/// rather than starting anyone twice.
async fn start_scheduled(app: &Arc<App>, fire: &atende_store::Fire) -> anyhow::Result<bool> {
    let ws = &fire.workspace_id;
    let Some(trigger) = app
        .store
        .triggers(ws)
        .await?
        .into_iter()
        .find(|t| t.uuid == fire.session_uuid)
    else {
        let mut tx = app.store.begin().await?;
        tx.take_fire(&fire.id).await?;
        tx.commit().await?;
        return Ok(false);
    };
    let now = atende_store::wall_now();
    let mut tx = app.store.begin().await?;
    if !tx.take_fire(&fire.id).await? {
        return Ok(false);
    }
    let tz = tx.workspace_timezone(ws).await?;
    // strictly after this firing, so a daily trigger does not fire again today
    let next = trigger
        .schedule
        .as_ref()
        .and_then(|s| s.next_after(now + jiff::SignedDuration::from_secs(1), &tz));
    let fires: Vec<(&str, jiff::Timestamp)> = next
        .map(|at| vec![(atende_store::fires::TRIGGER_FIRE, at)])
        .unwrap_or_default();
    tx.schedule_fires(ws, "", &trigger.uuid, 0, &fires).await?;
    tx.commit().await?;
    let mut members = std::collections::BTreeSet::new();
    for g in &trigger.include_groups {
        members.extend(app.store.group_contacts(ws, g).await?);
    }
    for g in &trigger.exclude_groups {
        for c in app.store.group_contacts(ws, g).await? {
            members.remove(&c);
        }
    }
    let total = members.len();
    let mut started = 0;
    for contact in members {
        match start_flow(app, ws, &contact, &trigger.flow_uuid, None).await {
            Ok(_) => started += 1,
            Err(e) => tracing::warn!(error = %e, "scheduled start for one contact"),
        }
    }
    tracing::info!(trigger = %trigger.uuid, started, total, "scheduled trigger fired");
    Ok(true)
}

/// Picks up messages left pending by a crash or restart.
pub async fn recover_pending(app: &Arc<App>) -> anyhow::Result<()> {
    for (ws, contact) in app.store.contacts_with_pending(1000).await? {
        if let Err(e) = process_contact(app, &ws, &contact).await {
            tracing::warn!(error = %e, "recovering pending messages");
        }
    }
    Ok(())
}
