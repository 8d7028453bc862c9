//! The omnichannel receiver's storage (UC008, `shared/seeds/001_*.txt`): every webhook
//! event the omnichannel platform (OMNE) posts — `attendance`, `visitor` (widget visit),
//! `occurrence` (tabulation), `hsm` (template message status), `resume_users` (an agent's
//! day) — is kept in `omni_events`, matched or not, and linked to a customer by the
//! spec's fallback chain.
//!
//! # Keys and idempotency
//!
//! An event's key is `webhook_type:id`; events without an id (`hsm`, `resume_users`) are
//! keyed `webhook_type:sha256:<hex>` of their canonical JSON (keys sorted), so the same
//! delivery twice writes nothing the second time ([`OmniReceipt::duplicate`]).
//!
//! # The fallback chain ([`Store::receive_omni_event`], one transaction per event)
//!
//! 1. **attendance id** (basic flow): the event's attendance (`id` of an attendance,
//!    `attendance_id` of the others) recorded by a tabulation ([`Tx::occurrence_by_attendance`]);
//!    a widget visit without one links through a matched attendance whose `visitor_id`
//!    is the visit's `id`. The event joins that occurrence (`matched_by` `attendance`).
//! 2. **CRM id** (FA001: `info.crm`, `occurrences[].crm_id`): a customer with that CRM id
//!    gets a mass-action tabulation ([`source::OMNI_MASS_ACTION`]) for the event.
//! 3. **CPF/CNPJ** (FA002: `info.document`), 4. **phone** (FA004: `info.phone`,
//!    `info.whatsapp`, an hsm's `destiny`; any Brazilian form, `+55`, WhatsApp ids; a
//!    mobile also matches its legacy 8-digit form), 5. **e-mail** (FA005: `info.mail`):
//!    a generic tabulation ([`source::OMNI_GENERIC`]). A phone or e-mail several
//!    customers share links none of them.
//! 6. Otherwise (FA006) the event stays `unmatched`: listed by [`Store::omni_unmatched`]
//!    and linked later by [`Store::omni_replay`] (e.g. once the day's remessa brought the
//!    customer). `resume_users` is about agents, not customers: it is kept as `stored`.
//!
//! A created tabulation carries the event's attendance id and the idempotency key
//! `omni:<event key>`, so later events of the same attendance find it in step 1 and a
//! replay never records it twice. When an event is linked, the still unmatched events of
//! the same attendance (and the widget visits of an attendance's visitor) are linked with
//! it: the platform sends the tabulation before the attendance closes. The other way
//! round, a tabulation recorded after its attendance's events takes in those still
//! unmatched ([`Tx::insert_occurrence`]); both paths hold the attendance
//! ([`Tx::lock_name`]) so that two arriving at once on PostgreSQL cannot miss each other.

use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::occurrences::{source, ChannelType, NewOccurrence};
use super::{mask, normalize_document};
use crate::{col, time_text, wall_now, Result, Store, StoreError, Tx};

/// The `webhook_type`s the platform sends (UC008's "Mapa de domínio").
pub const WEBHOOK_TYPES: [&str; 5] = ["attendance", "visitor", "occurrence", "hsm", "resume_users"];

/// Longest event id accepted.
const MAX_ID: usize = 200;

/// An event's `status`.
pub mod status {
    /// Linked to a customer (`matched_by` says how).
    pub const MATCHED: &str = "matched";
    /// No step of the chain found the customer (FA006); replayable.
    pub const UNMATCHED: &str = "unmatched";
    /// Not about a customer (`resume_users`): kept, nothing to link.
    pub const STORED: &str = "stored";
}

/// How an event was linked (`matched_by`).
pub mod matched_by {
    pub const ATTENDANCE: &str = "attendance";
    pub const CRM: &str = "crm";
    pub const DOCUMENT: &str = "document";
    pub const PHONE: &str = "phone";
    pub const EMAIL: &str = "email";
}

/// A stored event.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct OmniEvent {
    pub event_key: String,
    pub webhook_type: String,
    /// The platform's `id` (empty for hsm and resume_users).
    pub event_id: String,
    pub attendance_id: String,
    pub visitor_id: String,
    /// The event as received.
    pub payload: Json,
    pub status: String,
    pub matched_by: String,
    /// The customer's CPF/CNPJ and the contract, once linked.
    pub document: String,
    pub contract: String,
    /// The occurrence (tabulation) the event is linked to.
    pub occurrence_id: String,
    /// How many times the chain ran over it (1 at receipt, +1 per replay).
    pub attempts: i64,
    pub received_on: String,
    pub matched_on: Option<String>,
}

/// What became of a received event. Leaves the customer's identity out: the answer goes
/// back to the platform.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct OmniReceipt {
    pub event_key: String,
    pub webhook_type: String,
    /// The event was received before; nothing was written.
    pub duplicate: bool,
    pub status: String,
    pub matched_by: String,
    pub occurrence_id: String,
    /// Earlier unmatched events of the same attendance linked along with this one.
    pub linked_with: u64,
}

/// What a replay did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct OmniReplay {
    /// Unmatched events the chain ran over again.
    pub examined: u64,
    /// Events linked (those examined and the events of their attendances).
    pub matched: u64,
    /// Unmatched events left in the workspace.
    pub unmatched: i64,
}

/// Checks an event's shape before anything is stored: an object with a known
/// `webhook_type`, an `id` where the type has one, and the fields the chain reads of the
/// right types. The error names the JSON path, starting with `at` (`$`, `$[2]`).
pub fn check_event(event: &Json, at: &str) -> std::result::Result<(), String> {
    let Json::Object(obj) = event else {
        return Err(format!("{at} must be an event object"));
    };
    let kind = match obj.get("webhook_type") {
        None | Some(Json::Null) => return Err(format!("{at}.webhook_type is required")),
        Some(Json::String(s)) => s.as_str(),
        Some(_) => return Err(format!("{at}.webhook_type must be a string")),
    };
    if !WEBHOOK_TYPES.contains(&kind) {
        return Err(format!(
            "{at}.webhook_type {kind:?} is not one of {}",
            WEBHOOK_TYPES.join(", ")
        ));
    }
    for key in [
        "id",
        "attendance_id",
        "visitor_id",
        "destiny",
        "channel",
        "status",
    ] {
        scalar(obj, key, at)?;
    }
    let id = text(obj.get("id"));
    if id.chars().count() > MAX_ID {
        return Err(format!("{at}.id is longer than {MAX_ID} characters"));
    }
    if id.is_empty() && matches!(kind, "attendance" | "visitor" | "occurrence") {
        return Err(format!("{at}.id is required for a {kind} event"));
    }
    match obj.get("info") {
        None | Some(Json::Null) => {}
        Some(Json::Object(info)) => {
            for key in ["document", "mail", "phone", "whatsapp", "crm"] {
                scalar(info, key, &format!("{at}.info"))?;
            }
        }
        Some(_) => return Err(format!("{at}.info must be an object")),
    }
    match obj.get("occurrences") {
        None | Some(Json::Null) => {}
        Some(Json::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let Json::Object(o) = item else {
                    return Err(format!("{at}.occurrences[{i}] must be an object"));
                };
                scalar(o, "crm_id", &format!("{at}.occurrences[{i}]"))?;
            }
        }
        Some(_) => return Err(format!("{at}.occurrences must be an array")),
    }
    Ok(())
}

/// A field that must be a string (a number is taken as its text) when present.
fn scalar(obj: &Map<String, Json>, key: &str, at: &str) -> std::result::Result<(), String> {
    match obj.get(key) {
        None | Some(Json::Null | Json::String(_) | Json::Number(_)) => Ok(()),
        Some(_) => Err(format!("{at}.{key} must be a string")),
    }
}

/// A scalar's text, trimmed (`""` when absent or not a scalar).
fn text(v: Option<&Json>) -> String {
    match v {
        Some(Json::String(s)) => s.trim().to_string(),
        Some(Json::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The event's key: `webhook_type:id`, or `webhook_type:sha256:<hex>` of its canonical
/// JSON when it has no id.
pub fn event_key(event: &Json) -> String {
    let kind = text(event.get("webhook_type"));
    let id = text(event.get("id"));
    if !id.is_empty() {
        return format!("{kind}:{id}");
    }
    let mut canonical = String::new();
    write_canonical(event, &mut canonical);
    let digest = Sha256::digest(canonical.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{kind}:sha256:{hex}")
}

/// JSON with every object's keys sorted and no spaces: the same event, however the
/// sender ordered or spaced it, gives the same text.
fn write_canonical(v: &Json, out: &mut String) {
    match v {
        Json::Object(obj) => {
            let mut keys: Vec<&String> = obj.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Json::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&obj[k], out);
            }
            out.push('}');
        }
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// What the chain can link an event by.
#[derive(Debug, Default)]
struct Keys {
    kind: String,
    event_id: String,
    attendance_id: String,
    /// An attendance's `visitor_id`, or a widget visit's own `id`.
    visitor_id: String,
    crm_ids: Vec<String>,
    document: Option<String>,
    phones: Vec<String>,
    email: String,
}

fn keys(event: &Json) -> Keys {
    let kind = text(event.get("webhook_type"));
    let event_id = text(event.get("id"));
    let info = event.get("info");
    let info_text = |key: &str| text(info.and_then(|i| i.get(key)));
    let (attendance_id, visitor_id) = match kind.as_str() {
        "attendance" => (event_id.clone(), text(event.get("visitor_id"))),
        "visitor" => (text(event.get("attendance_id")), event_id.clone()),
        _ => (text(event.get("attendance_id")), String::new()),
    };
    let mut crm_ids = vec![info_text("crm")];
    if let Some(Json::Array(items)) = event.get("occurrences") {
        crm_ids.extend(items.iter().map(|o| text(o.get("crm_id"))));
    }
    let mut unique = Vec::new();
    for id in crm_ids {
        if !id.is_empty() && !unique.contains(&id) {
            unique.push(id);
        }
    }
    let phones = [
        info_text("phone"),
        info_text("whatsapp"),
        text(event.get("destiny")),
    ]
    .into_iter()
    .filter(|p| !p.is_empty())
    .collect();
    Keys {
        document: normalize_document(&info_text("document")),
        email: info_text("mail").to_lowercase(),
        kind,
        event_id,
        attendance_id,
        visitor_id,
        crm_ids: unique,
        phones,
    }
}

/// `(DDD, number)` forms under which `contract_phones` may hold a phone the platform
/// wrote in any Brazilian form (`+55 11 98765-4321`, `5511987654321@c.us`, …): the
/// number, and for a mobile also its legacy 8-digit form.
fn phone_forms(input: &str) -> Option<(String, Vec<String>)> {
    use atende_br::phone::{from_whatsapp_id, parse, PhoneType};
    let phone = parse(input)
        .or_else(|_| from_whatsapp_id(input).map(|w| w.phone))
        .ok()?;
    if !matches!(phone.kind(), PhoneType::Mobile | PhoneType::Landline) {
        return None;
    }
    let national = phone.national();
    let (ddd, number) = national.split_at(2);
    let mut numbers = vec![number.to_string()];
    if phone.kind() == PhoneType::Mobile {
        numbers.push(number[1..].to_string());
    }
    Some((ddd.to_string(), numbers))
}

/// `channel` (or the first message's) as `idTipoCanal`; chat and widget have none.
fn channel_type(event: &Json) -> Option<ChannelType> {
    let mut channel = text(event.get("channel"));
    if channel.is_empty() {
        if let Some(Json::Array(messages)) = event.get("messages") {
            channel = messages
                .iter()
                .map(|m| text(m.get("channel")))
                .find(|c| !c.is_empty())
                .unwrap_or_default();
        }
    }
    match channel.to_lowercase().as_str() {
        "whatsapp" => Some(ChannelType::Whatsapp),
        "sms" => Some(ChannelType::Sms),
        "email" | "e-mail" | "mail" => Some(ChannelType::Email),
        "phone" | "voice" | "telefone" => Some(ChannelType::Phone),
        _ => None,
    }
}

/// The platform's local times (`2021-05-01 19:14:36`, Brasília) as store time text.
fn platform_time(text: &str) -> Option<String> {
    let dt: jiff::civil::DateTime = text.trim().replacen(' ', "T", 1).parse().ok()?;
    let zoned = dt.in_tz("America/Sao_Paulo").ok()?;
    Some(time_text(zoned.timestamp()))
}

/// The tabulation's outcome: the attendance's last occurrence, the occurrence's name,
/// the HSM's status.
fn result_name(event: &Json, kind: &str, source_kind: &str) -> String {
    let named = match kind {
        "attendance" => event
            .get("occurrences")
            .and_then(Json::as_array)
            .and_then(|o| o.last())
            .map(|o| text(o.get("occurrence")))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| text(event.get("occurrence_last"))),
        "occurrence" => text(event.get("occurrence")),
        "hsm" => match text(event.get("status")) {
            s if s.is_empty() => String::new(),
            s => format!("HSM {s}"),
        },
        _ => String::new(),
    };
    if !named.is_empty() {
        return named;
    }
    if source_kind == source::OMNI_MASS_ACTION {
        "Ação massiva omnichannel".into()
    } else {
        "Tabulação genérica omnichannel".into()
    }
}

/// Where the chain linked an event.
#[derive(Debug)]
struct Link {
    matched_by: &'static str,
    document: String,
    contract: String,
    occurrence_id: String,
}

/// A customer the chain found, and the contract to put the tabulation on.
struct Found {
    document: String,
    crm_id: String,
    contract: String,
    phone_worked: String,
}

impl Tx {
    /// Runs the chain over an event (already stored under `event_key`) and writes the
    /// outcome on its row; answers `(status, link, events linked along)`.
    async fn link_omni_event(
        &mut self,
        workspace: &str,
        event_key: &str,
        event: &Json,
        now: &str,
    ) -> Result<(&'static str, Option<Link>, u64)> {
        let keys = keys(event);
        if keys.kind == "resume_users" {
            self.set_omni_status(workspace, event_key, status::STORED, None, now)
                .await?;
            return Ok((status::STORED, None, 0));
        }
        let link = self
            .find_link(workspace, event_key, event, &keys, now)
            .await?;
        let Some(link) = link else {
            self.set_omni_status(workspace, event_key, status::UNMATCHED, None, now)
                .await?;
            return Ok((status::UNMATCHED, None, 0));
        };
        self.set_omni_status(workspace, event_key, status::MATCHED, Some(&link), now)
            .await?;
        let along = self.link_siblings(workspace, &keys, &link, now).await?;
        Ok((status::MATCHED, Some(link), along))
    }

    async fn find_link(
        &mut self,
        workspace: &str,
        event_key: &str,
        event: &Json,
        keys: &Keys,
        now: &str,
    ) -> Result<Option<Link>> {
        if !keys.attendance_id.is_empty() {
            if let Some(o) = self
                .occurrence_by_attendance(workspace, &keys.attendance_id)
                .await?
            {
                return Ok(Some(Link {
                    matched_by: matched_by::ATTENDANCE,
                    document: o.data.document,
                    contract: o.data.contract,
                    occurrence_id: o.id,
                }));
            }
        }
        if keys.kind == "visitor" && !keys.visitor_id.is_empty() {
            let row = sqlx::query(
                "SELECT document, contract, occurrence_id FROM omni_events
                 WHERE workspace_id = $1 AND visitor_id = $2 AND webhook_type = 'attendance'
                   AND status = 'matched'
                 ORDER BY received_on LIMIT 1",
            )
            .bind(workspace)
            .bind(&keys.visitor_id)
            .fetch_optional(&mut *self.tx)
            .await?;
            if let Some(row) = row {
                return Ok(Some(Link {
                    matched_by: matched_by::ATTENDANCE,
                    document: col(&row, "document")?,
                    contract: col(&row, "contract")?,
                    occurrence_id: col(&row, "occurrence_id")?,
                }));
            }
        }
        for crm in &keys.crm_ids {
            // the first by document, as the customer lookup (UC009) does
            let row = sqlx::query(
                "SELECT document FROM customers WHERE workspace_id = $1 AND crm_id = $2
                 ORDER BY document LIMIT 1",
            )
            .bind(workspace)
            .bind(crm)
            .fetch_optional(&mut *self.tx)
            .await?;
            if let Some(row) = row {
                let document: String = col(&row, "document")?;
                if let Some(found) = self.customer_found(workspace, &document).await? {
                    return self
                        .tabulate(
                            workspace,
                            event_key,
                            event,
                            keys,
                            found,
                            matched_by::CRM,
                            now,
                        )
                        .await;
                }
            }
        }
        if let Some(document) = &keys.document {
            if let Some(found) = self.customer_found(workspace, document).await? {
                return self
                    .tabulate(
                        workspace,
                        event_key,
                        event,
                        keys,
                        found,
                        matched_by::DOCUMENT,
                        now,
                    )
                    .await;
            }
        }
        for phone in &keys.phones {
            if let Some(found) = self.customer_by_phone(workspace, phone).await? {
                return self
                    .tabulate(
                        workspace,
                        event_key,
                        event,
                        keys,
                        found,
                        matched_by::PHONE,
                        now,
                    )
                    .await;
            }
        }
        if !keys.email.is_empty() {
            let documents: Vec<String> = sqlx::query_scalar(
                "SELECT DISTINCT document FROM customer_emails WHERE workspace_id = $1 AND email = $2",
            )
            .bind(workspace)
            .bind(&keys.email)
            .fetch_all(&mut *self.tx)
            .await?;
            if let [document] = documents.as_slice() {
                if let Some(found) = self.customer_found(workspace, document).await? {
                    return self
                        .tabulate(
                            workspace,
                            event_key,
                            event,
                            keys,
                            found,
                            matched_by::EMAIL,
                            now,
                        )
                        .await;
                }
            } else if documents.len() > 1 {
                tracing::debug!(
                    event_key,
                    "e-mail shared by several customers: not linked by it"
                );
            }
        }
        Ok(None)
    }

    /// The customer with this document and its contract for a tabulation (the first
    /// active one, else the first).
    async fn customer_found(&mut self, workspace: &str, document: &str) -> Result<Option<Found>> {
        let Some(row) =
            sqlx::query("SELECT crm_id FROM customers WHERE workspace_id = $1 AND document = $2")
                .bind(workspace)
                .bind(document)
                .fetch_optional(&mut *self.tx)
                .await?
        else {
            return Ok(None);
        };
        let contract: Option<String> = sqlx::query_scalar(
            "SELECT contract FROM contracts WHERE workspace_id = $1 AND document = $2
             ORDER BY CASE WHEN status = 'ATIVO' THEN 0 ELSE 1 END, contract LIMIT 1",
        )
        .bind(workspace)
        .bind(document)
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(Some(Found {
            document: document.to_string(),
            crm_id: col(&row, "crm_id")?,
            contract: contract.unwrap_or_default(),
            phone_worked: String::new(),
        }))
    }

    /// The one customer whose contracts hold the phone (`contract_phones`, DDD + number),
    /// with the contract holding it.
    async fn customer_by_phone(&mut self, workspace: &str, phone: &str) -> Result<Option<Found>> {
        let Some((ddd, numbers)) = phone_forms(phone) else {
            return Ok(None);
        };
        let legacy = numbers.get(1).unwrap_or(&numbers[0]);
        let rows = sqlx::query(
            "SELECT c.document, c.contract FROM contract_phones p
             JOIN contracts c ON c.workspace_id = p.workspace_id AND c.contract = p.contract
             WHERE p.workspace_id = $1 AND p.ddd = $2 AND p.number IN ($3, $4)
             ORDER BY CASE WHEN c.status = 'ATIVO' THEN 0 ELSE 1 END, p.position, c.contract",
        )
        .bind(workspace)
        .bind(&ddd)
        .bind(&numbers[0])
        .bind(legacy)
        .fetch_all(&mut *self.tx)
        .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let document: String = col(first, "document")?;
        for row in &rows[1..] {
            if col::<String>(row, "document")? != document {
                tracing::debug!(
                    phone = %mask(phone),
                    "phone held by several customers: not linked by it"
                );
                return Ok(None);
            }
        }
        let contract: String = col(first, "contract")?;
        let Some(found) = self.customer_found(workspace, &document).await? else {
            return Ok(None);
        };
        Ok(Some(Found {
            contract,
            phone_worked: format!("{ddd}{}", numbers[0]),
            ..found
        }))
    }

    /// Records the mass-action (CRM id) or generic tabulation that links the event.
    #[allow(clippy::too_many_arguments)]
    async fn tabulate(
        &mut self,
        workspace: &str,
        event_key: &str,
        event: &Json,
        keys: &Keys,
        found: Found,
        by: &'static str,
        now: &str,
    ) -> Result<Option<Link>> {
        let source_kind = if by == matched_by::CRM {
            source::OMNI_MASS_ACTION
        } else {
            source::OMNI_GENERIC
        };
        let started = ["date_attendance", "date_entry"]
            .iter()
            .find_map(|k| platform_time(&text(event.get(*k))));
        let mut extra = Map::new();
        extra.insert("omni_event_key".into(), event_key.into());
        extra.insert("webhook_type".into(), keys.kind.clone().into());
        extra.insert("matched_by".into(), by.into());
        let occurrence = NewOccurrence {
            document: found.document.clone(),
            crm_id: found.crm_id,
            contract: found.contract.clone(),
            result_name: result_name(event, &keys.kind, source_kind),
            phone_worked: found.phone_worked,
            user_login: text(event.get("user")),
            channel_type: channel_type(event),
            notes: format!("Omnichannel {} linked by {by}", keys.kind),
            attendance_id: keys.attendance_id.clone(),
            protocol: text(event.get("protocol")),
            attendance_started_on: started,
            source: source_kind.into(),
            idempotency_key: format!("omni:{event_key}"),
            extra,
            ..NewOccurrence::default()
        };
        let (id, _) = self.insert_occurrence(workspace, &occurrence, now).await?;
        Ok(Some(Link {
            matched_by: by,
            document: found.document,
            contract: found.contract,
            occurrence_id: id,
        }))
    }

    async fn set_omni_status(
        &mut self,
        workspace: &str,
        event_key: &str,
        status: &str,
        link: Option<&Link>,
        now: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE omni_events SET status = $3, matched_by = $4, document = $5, contract = $6,
                occurrence_id = $7, matched_on = $8
             WHERE workspace_id = $1 AND event_key = $2",
        )
        .bind(workspace)
        .bind(event_key)
        .bind(status)
        .bind(link.map_or("", |l| l.matched_by))
        .bind(link.map_or("", |l| l.document.as_str()))
        .bind(link.map_or("", |l| l.contract.as_str()))
        .bind(link.map_or("", |l| l.occurrence_id.as_str()))
        .bind(link.map(|_| now))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Holds the omnichannel attendance until the transaction ends: an event of the
    /// attendance and its tabulation arriving at once on two PostgreSQL connections would
    /// otherwise each miss the other (the event stored unmatched, the tabulation finding
    /// no event to take in).
    pub(crate) async fn lock_attendance(
        &mut self,
        workspace: &str,
        attendance_id: &str,
    ) -> Result<()> {
        self.lock_name(&format!(
            "omni-attendance\u{1f}{workspace}\u{1f}{attendance_id}"
        ))
        .await
    }

    /// Links the attendance's unmatched events (and its widget visits) to the
    /// occurrence `occurrence_id` just recorded for it ([`Tx::insert_occurrence`]).
    pub(crate) async fn link_attendance_events(
        &mut self,
        workspace: &str,
        attendance_id: &str,
        o: &NewOccurrence,
        occurrence_id: &str,
        now: &str,
    ) -> Result<u64> {
        let link = Link {
            matched_by: matched_by::ATTENDANCE,
            document: o.document.clone(),
            contract: o.contract.clone(),
            occurrence_id: occurrence_id.into(),
        };
        let mut keys = Keys {
            attendance_id: attendance_id.into(),
            ..Keys::default()
        };
        let mut linked = self.link_siblings(workspace, &keys, &link, now).await?;
        // the widget visits of the attendance's visitor
        let visitors: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT visitor_id FROM omni_events WHERE workspace_id = $1
               AND attendance_id = $2 AND webhook_type = 'attendance' AND visitor_id <> ''",
        )
        .bind(workspace)
        .bind(attendance_id)
        .fetch_all(&mut *self.tx)
        .await?;
        keys.attendance_id.clear();
        keys.kind = "attendance".into();
        for visitor in visitors {
            keys.visitor_id = visitor;
            linked += self.link_siblings(workspace, &keys, &link, now).await?;
        }
        Ok(linked)
    }

    /// Links the unmatched events of the same attendance, and an attendance's widget
    /// visits, to where this one went.
    async fn link_siblings(
        &mut self,
        workspace: &str,
        keys: &Keys,
        link: &Link,
        now: &str,
    ) -> Result<u64> {
        const LINK: &str = "UPDATE omni_events SET status = 'matched', matched_by = 'attendance',
                document = $3, contract = $4, occurrence_id = $5, matched_on = $6
             WHERE workspace_id = $1 AND status = 'unmatched' AND ";
        let mut linked = 0;
        let run = |condition: &'static str, key: &str| {
            sqlx::query(sqlx::AssertSqlSafe(format!("{LINK}{condition}")))
                .bind(workspace.to_string())
                .bind(key.to_string())
                .bind(link.document.clone())
                .bind(link.contract.clone())
                .bind(link.occurrence_id.clone())
                .bind(now.to_string())
        };
        if !keys.attendance_id.is_empty() {
            let q = run("attendance_id = $2", &keys.attendance_id);
            linked += q.execute(&mut *self.tx).await?.rows_affected();
        }
        if keys.kind == "attendance" && !keys.visitor_id.is_empty() {
            let q = run(
                "webhook_type = 'visitor' AND visitor_id = $2",
                &keys.visitor_id,
            );
            linked += q.execute(&mut *self.tx).await?.rows_affected();
        }
        Ok(linked)
    }
}

impl Store {
    /// Stores one webhook event ([`check_event`] first: a malformed one is
    /// [`StoreError::Invalid`] naming the path) and links it by the chain, in one
    /// transaction. An event received before answers `duplicate` and writes nothing.
    pub async fn receive_omni_event(&self, workspace: &str, event: &Json) -> Result<OmniReceipt> {
        check_event(event, "$").map_err(StoreError::Invalid)?;
        let key = event_key(event);
        let k = keys(event);
        let payload =
            serde_json::to_string(event).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let now = time_text(wall_now());
        let mut tx = self.begin().await?;
        if !k.attendance_id.is_empty() {
            tx.lock_attendance(workspace, &k.attendance_id).await?;
        }
        let inserted = sqlx::query(
            "INSERT INTO omni_events (workspace_id, event_key, webhook_type, event_id, attendance_id,
                visitor_id, payload, status, matched_by, document, contract, occurrence_id, attempts,
                received_on, matched_on)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'unmatched', '', '', '', '', 1, $8, NULL)
             ON CONFLICT (workspace_id, event_key) DO NOTHING",
        )
        .bind(workspace)
        .bind(&key)
        .bind(&k.kind)
        .bind(&k.event_id)
        .bind(&k.attendance_id)
        .bind(&k.visitor_id)
        .bind(&payload)
        .bind(&now)
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            drop(tx);
            let stored =
                self.omni_event(workspace, &key)
                    .await?
                    .ok_or_else(|| StoreError::Corrupt {
                        what: "omni_events".into(),
                        why: format!("{key} conflicted but cannot be read"),
                    })?;
            return Ok(OmniReceipt {
                event_key: key,
                webhook_type: stored.webhook_type,
                duplicate: true,
                status: stored.status,
                matched_by: stored.matched_by,
                occurrence_id: stored.occurrence_id,
                linked_with: 0,
            });
        }
        let (status, link, along) = tx.link_omni_event(workspace, &key, event, &now).await?;
        tx.commit().await?;
        if status == status::UNMATCHED {
            tracing::info!(
                workspace,
                event_key = %key,
                webhook_type = %k.kind,
                "omnichannel event not linked to a customer: kept for replay"
            );
        }
        Ok(OmniReceipt {
            event_key: key,
            webhook_type: k.kind,
            duplicate: false,
            status: status.into(),
            matched_by: link.as_ref().map_or("", |l| l.matched_by).into(),
            occurrence_id: link.map(|l| l.occurrence_id).unwrap_or_default(),
            linked_with: along,
        })
    }

    /// One stored event.
    pub async fn omni_event(&self, workspace: &str, event_key: &str) -> Result<Option<OmniEvent>> {
        let row =
            sqlx::query("SELECT * FROM omni_events WHERE workspace_id = $1 AND event_key = $2")
                .bind(workspace)
                .bind(event_key)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(omni_event_row).transpose()
    }

    /// The unmatched events (FA006's log), oldest first, `limit` from `offset`, and how
    /// many there are.
    pub async fn omni_unmatched(
        &self,
        workspace: &str,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<OmniEvent>, i64)> {
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM omni_events WHERE workspace_id = $1 AND status = 'unmatched'",
        )
        .bind(workspace)
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query(
            "SELECT * FROM omni_events WHERE workspace_id = $1 AND status = 'unmatched'
             ORDER BY received_on, event_key LIMIT $2 OFFSET $3",
        )
        .bind(workspace)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let events = rows.iter().map(omni_event_row).collect::<Result<_>>()?;
        Ok((events, total))
    }

    /// Runs the chain again over up to `limit` unmatched events, oldest first, each in
    /// its own transaction (`attempts` + 1), e.g. after the day's remessa brought their
    /// customers.
    pub async fn omni_replay(&self, workspace: &str, limit: i64) -> Result<OmniReplay> {
        const PAGE: i64 = 200;
        let mut done = OmniReplay::default();
        let (mut after_on, mut after_key) = (String::new(), String::new());
        'pages: loop {
            let rows = sqlx::query(
                "SELECT event_key, received_on FROM omni_events
                 WHERE workspace_id = $1 AND status = 'unmatched'
                   AND (received_on > $2 OR (received_on = $2 AND event_key > $3))
                 ORDER BY received_on, event_key LIMIT $4",
            )
            .bind(workspace)
            .bind(&after_on)
            .bind(&after_key)
            .bind(PAGE)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                if done.examined >= u64::try_from(limit).unwrap_or(0) {
                    break 'pages;
                }
                after_key = col(row, "event_key")?;
                after_on = col(row, "received_on")?;
                if let Some(matched) = self.replay_one(workspace, &after_key).await? {
                    done.examined += 1;
                    done.matched += matched;
                }
            }
        }
        done.unmatched = sqlx::query_scalar(
            "SELECT COUNT(*) FROM omni_events WHERE workspace_id = $1 AND status = 'unmatched'",
        )
        .bind(workspace)
        .fetch_one(&self.pool)
        .await?;
        tracing::info!(
            workspace,
            examined = done.examined,
            matched = done.matched,
            unmatched = done.unmatched,
            "omnichannel replay"
        );
        Ok(done)
    }

    /// The chain over one event, if it is still unmatched; answers the events linked.
    async fn replay_one(&self, workspace: &str, event_key: &str) -> Result<Option<u64>> {
        let now = time_text(wall_now());
        let mut tx = self.begin().await?;
        // the row lock (PostgreSQL) keeps a concurrent replay off this event
        let claimed = sqlx::query(
            "UPDATE omni_events SET attempts = attempts + 1
             WHERE workspace_id = $1 AND event_key = $2 AND status = 'unmatched'",
        )
        .bind(workspace)
        .bind(event_key)
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            return Ok(None);
        }
        let payload: String = sqlx::query_scalar(
            "SELECT payload FROM omni_events WHERE workspace_id = $1 AND event_key = $2",
        )
        .bind(workspace)
        .bind(event_key)
        .fetch_one(&mut *tx.tx)
        .await?;
        let event: Json = serde_json::from_str(&payload).map_err(|e| StoreError::Corrupt {
            what: "omni_events.payload".into(),
            why: e.to_string(),
        })?;
        let (status, _, along) = tx
            .link_omni_event(workspace, event_key, &event, &now)
            .await?;
        tx.commit().await?;
        Ok(Some(u64::from(status == status::MATCHED) + along))
    }

    /// The customer's omnichannel history (UC009's "Histórico WhatsApp": attendances,
    /// widget visits, HSM, occurrences), newest first. `document` in any punctuation.
    pub async fn omni_history(&self, workspace: &str, document: &str) -> Result<Vec<OmniEvent>> {
        let Some(document) = normalize_document(document) else {
            return Ok(Vec::new());
        };
        let rows = sqlx::query(
            "SELECT * FROM omni_events WHERE workspace_id = $1 AND document = $2
             ORDER BY received_on DESC, event_key DESC",
        )
        .bind(workspace)
        .bind(&document)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(omni_event_row).collect()
    }

    /// Sets the workspace's webhook secret (the platform's shared secret or HMAC key).
    pub async fn set_omni_secret(&self, workspace: &str, secret: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO omni_secrets (workspace_id, secret, updated_on) VALUES ($1, $2, $3)
             ON CONFLICT (workspace_id) DO UPDATE SET secret = excluded.secret, updated_on = excluded.updated_on",
        )
        .bind(workspace)
        .bind(secret)
        .bind(time_text(wall_now()))
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await
    }

    /// The workspace's webhook secret, if one was set.
    pub async fn omni_secret(&self, workspace: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT secret FROM omni_secrets WHERE workspace_id = $1")
                .bind(workspace)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}

fn omni_event_row(row: &AnyRow) -> Result<OmniEvent> {
    let payload: String = col(row, "payload")?;
    Ok(OmniEvent {
        event_key: col(row, "event_key")?,
        webhook_type: col(row, "webhook_type")?,
        event_id: col(row, "event_id")?,
        attendance_id: col(row, "attendance_id")?,
        visitor_id: col(row, "visitor_id")?,
        payload: serde_json::from_str(&payload).map_err(|e| StoreError::Corrupt {
            what: "omni_events.payload".into(),
            why: e.to_string(),
        })?,
        status: col(row, "status")?,
        matched_by: col(row, "matched_by")?,
        document: col(row, "document")?,
        contract: col(row, "contract")?,
        occurrence_id: col(row, "occurrence_id")?,
        attempts: col(row, "attempts")?,
        received_on: col(row, "received_on")?,
        matched_on: row.try_get("matched_on").ok().flatten(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_type_and_id_or_a_hash_of_the_canonical_payload() {
        assert_eq!(
            event_key(&json!({"webhook_type": "attendance", "id": " 00b7 "})),
            "attendance:00b7"
        );
        let a = event_key(
            &json!({"webhook_type": "hsm", "id": "", "destiny": "+5511987654321", "status": "delivered"}),
        );
        let b: Json = serde_json::from_str(
            r#"{ "status":"delivered" , "destiny":"+5511987654321","id":"","webhook_type":"hsm"}"#,
        )
        .unwrap();
        assert!(
            a.starts_with("hsm:sha256:") && a.len() == "hsm:sha256:".len() + 64,
            "{a}"
        );
        assert_eq!(a, event_key(&b));
        let c = event_key(
            &json!({"webhook_type": "hsm", "id": "", "destiny": "+5511987654321", "status": "error"}),
        );
        assert_ne!(a, c);
    }

    #[test]
    fn events_are_checked_naming_the_path() {
        let ok = json!({"webhook_type": "attendance", "id": "a1", "info": {"crm": 123},
                        "occurrences": [{"crm_id": "9"}]});
        assert_eq!(check_event(&ok, "$"), Ok(()));
        let cases = [
            (json!([]), "$[0] must be an event object"),
            (json!({"id": "x"}), "$[0].webhook_type is required"),
            (
                json!({"webhook_type": "nope"}),
                "$[0].webhook_type \"nope\" is not one of",
            ),
            (
                json!({"webhook_type": "visitor"}),
                "$[0].id is required for a visitor event",
            ),
            (
                json!({"webhook_type": "hsm", "destiny": ["x"]}),
                "$[0].destiny must be a string",
            ),
            (
                json!({"webhook_type": "attendance", "id": "a", "info": {"document": {}}}),
                "$[0].info.document must be a string",
            ),
            (
                json!({"webhook_type": "attendance", "id": "a", "info": "x"}),
                "$[0].info must be an object",
            ),
            (
                json!({"webhook_type": "attendance", "id": "a", "occurrences": [{}, {"crm_id": true}]}),
                "$[0].occurrences[1].crm_id must be a string",
            ),
        ];
        for (event, want) in cases {
            let err = check_event(&event, "$[0]").unwrap_err();
            assert!(err.starts_with(want), "{err} / {want}");
        }
    }

    #[test]
    fn phones_in_any_form_give_ddd_and_number() {
        let forms = |s: &str| phone_forms(s).unwrap();
        let mobile = (
            "11".to_string(),
            vec!["987654321".to_string(), "87654321".to_string()],
        );
        assert_eq!(forms("+55 (11) 98765-4321"), mobile);
        assert_eq!(forms("5511987654321"), mobile);
        assert_eq!(forms("551187654321@s.whatsapp.net"), mobile);
        assert_eq!(
            forms("(11) 3333-4444"),
            ("11".into(), vec!["33334444".into()])
        );
        assert_eq!(phone_forms("0800 123 4567"), None);
        assert_eq!(phone_forms(""), None);
    }

    #[test]
    fn keys_follow_the_event_type() {
        let k = keys(
            &json!({"webhook_type": "attendance", "id": "at1", "visitor_id": "v1",
            "info": {"document": "529.982.247-25", "mail": "Maria@Example.COM", "crm": "77",
                     "phone": "", "whatsapp": "5511987654321"},
            "occurrences": [{"crm_id": "77"}, {"crm_id": 78}]}),
        );
        assert_eq!(
            (k.attendance_id.as_str(), k.visitor_id.as_str()),
            ("at1", "v1")
        );
        assert_eq!(k.crm_ids, ["77", "78"]);
        assert_eq!(k.document.as_deref(), Some("52998224725"));
        assert_eq!(k.phones, ["5511987654321"]);
        assert_eq!(k.email, "maria@example.com");
        let v = keys(&json!({"webhook_type": "visitor", "id": "v1"}));
        assert_eq!(
            (v.attendance_id.as_str(), v.visitor_id.as_str()),
            ("", "v1")
        );
        let o = keys(&json!({"webhook_type": "occurrence", "id": "o1", "attendance_id": "at1"}));
        assert_eq!(o.attendance_id, "at1");
        assert_eq!(
            platform_time("2021-05-01 19:14:36").as_deref(),
            Some("2021-05-01T22:14:36.000000Z")
        );
        assert_eq!(platform_time("0000-00-00 00:00:00"), None);
    }
}
