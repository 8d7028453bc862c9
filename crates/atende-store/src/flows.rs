//! Flows (with revisions), fields, groups, globals and triggers: what a RapidPro / TextIt /
//! Weni export file holds. Import validates the whole file with the engine first, then
//! writes it in one transaction, idempotently (by UUID, or by content for triggers, which
//! exports carry without one).

use atende_engine::engine::Assets;
use atende_engine::services::UuidSource;
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};

use crate::{col, json_col, time_text, Result, Store, StoreError, Tx};

/// What an import changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub flows_created: usize,
    pub flows_updated: usize,
    pub flows_unchanged: usize,
    pub fields: usize,
    pub groups: usize,
    pub globals: usize,
    pub triggers: usize,
}

/// A trigger: what starts a flow without a running session.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Trigger {
    pub uuid: String,
    /// `keyword`, `catch_all`, `new_conversation`, `schedule`, `api`.
    pub trigger_type: String,
    pub keywords: Vec<String>,
    /// `first_word` or `only_word` (keyword triggers).
    pub match_type: String,
    pub flow_uuid: String,
    pub include_groups: Vec<String>,
    pub exclude_groups: Vec<String>,
    /// When a `schedule` trigger starts its flow for its groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
}

/// A scheduled trigger's timing: first at `start`, then every `repeat`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Schedule {
    /// RFC 3339 with an offset (`2026-12-01T09:00:00-03:00`).
    pub start: String,
    /// `never`, `daily`, `weekly` or `monthly`.
    pub repeat: String,
}

impl Schedule {
    /// The first firing at or after `now`, if any: repeats keep the local wall-clock time
    /// of `start` in `tz` (a 09:00 reminder stays at 09:00 across DST changes).
    pub fn next_after(
        &self,
        now: jiff::Timestamp,
        tz: &jiff::tz::TimeZone,
    ) -> Option<jiff::Timestamp> {
        let start: jiff::Timestamp = self.start.parse().ok()?;
        if start >= now {
            return Some(start);
        }
        let step = match self.repeat.as_str() {
            "daily" => jiff::Span::new().days(1),
            "weekly" => jiff::Span::new().weeks(1),
            "monthly" => jiff::Span::new().months(1),
            _ => return None,
        };
        let first = start.to_zoned(tz.clone());
        // step from the start, bounded so a bad span cannot loop for ever
        (0..100_000i64).find_map(|n| {
            let at = first.checked_add(step.checked_mul(n).ok()?).ok()?;
            (at.timestamp() >= now).then(|| at.timestamp())
        })
    }
}

fn read_schedule(i: usize, t: &Json) -> std::result::Result<Option<Schedule>, String> {
    let Some(s) = t.get("schedule").filter(|s| !s.is_null()) else {
        return Ok(None);
    };
    let start = s
        .get("start")
        .and_then(Json::as_str)
        .ok_or_else(|| format!("triggers[{i}].schedule.start is required (RFC 3339)"))?;
    if start.parse::<jiff::Timestamp>().is_err() {
        return Err(format!(
            "triggers[{i}].schedule.start: {start:?} is not a time with an offset (2026-12-01T09:00:00-03:00)"
        ));
    }
    let repeat = s.get("repeat").and_then(Json::as_str).unwrap_or("never");
    if !matches!(repeat, "never" | "daily" | "weekly" | "monthly") {
        return Err(format!(
            "triggers[{i}].schedule.repeat: {repeat:?} is not never, daily, weekly or monthly"
        ));
    }
    Ok(Some(Schedule {
        start: start.into(),
        repeat: repeat.into(),
    }))
}

/// A UUID-shaped id derived from content, so re-importing finds the same row.
fn content_id(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    atende_engine::services::format_uuid(&b)
}

fn str_of<'a>(j: &'a Json, key: &str) -> &'a str {
    j.get(key).and_then(Json::as_str).unwrap_or_default()
}

fn group_uuids(j: Option<&Json>) -> Vec<String> {
    j.and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|g| {
            g.get("uuid")
                .and_then(Json::as_str)
                .or_else(|| g.as_str())
                .map(str::to_owned)
        })
        .collect()
}

/// Reads an export's trigger, in RapidPro's letters (`K`, `C`, `N`, …) or our words.
fn read_trigger(i: usize, t: &Json) -> std::result::Result<Trigger, String> {
    let kind = match str_of(t, "trigger_type") {
        "K" | "keyword" => "keyword",
        "C" | "catch_all" => "catch_all",
        "N" | "new_conversation" => "new_conversation",
        "S" | "schedule" => "schedule",
        "api" => "api",
        other => {
            return Err(format!(
                "triggers[{i}].trigger_type: {other:?} is not supported (K, C, N, S)"
            ))
        }
    };
    let flow_uuid = t
        .pointer("/flow/uuid")
        .and_then(Json::as_str)
        .ok_or_else(|| format!("triggers[{i}].flow.uuid is required"))?;
    let mut keywords: Vec<String> = t
        .get("keywords")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .map(str::to_owned)
        .collect();
    if let Some(k) = t.get("keyword").and_then(Json::as_str) {
        keywords.push(k.into());
    }
    if kind == "keyword" && keywords.is_empty() {
        return Err(format!("triggers[{i}]: a keyword trigger needs keywords"));
    }
    let match_type = match str_of(t, "match_type") {
        "O" | "only_word" => "only_word",
        _ => "first_word",
    };
    let include_groups = group_uuids(t.get("groups"));
    let exclude_groups = group_uuids(t.get("exclude_groups"));
    let schedule = read_schedule(i, t)?;
    if kind == "schedule" {
        if schedule.is_none() {
            return Err(format!(
                "triggers[{i}]: a schedule trigger needs a schedule"
            ));
        }
        if include_groups.is_empty() {
            return Err(format!(
                "triggers[{i}].groups: a schedule trigger needs the groups it starts"
            ));
        }
    }
    let uuid = match t.get("uuid").and_then(Json::as_str) {
        Some(u) => u.to_string(),
        None => content_id(&[
            kind,
            &keywords.join(","),
            match_type,
            flow_uuid,
            &include_groups.join(","),
            &exclude_groups.join(","),
            &schedule
                .as_ref()
                .map(|s| format!("{}|{}", s.start, s.repeat))
                .unwrap_or_default(),
        ]),
    };
    Ok(Trigger {
        uuid,
        trigger_type: kind.into(),
        keywords,
        match_type: match_type.into(),
        flow_uuid: flow_uuid.into(),
        include_groups,
        exclude_groups,
        schedule,
    })
}

impl Store {
    /// Imports an export file (any spec version the engine reads). Nothing is written when
    /// any part is invalid; the error names the part.
    pub async fn import(
        &self,
        workspace: &str,
        export: &Json,
        uuids: &mut (dyn UuidSource + Send),
    ) -> Result<ImportSummary> {
        if !export.is_object() {
            return Err(StoreError::Invalid(
                "an export file is a JSON object with \"flows\", \"fields\", …".into(),
            ));
        }
        for (i, flow) in export
            .get("flows")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let uuid = str_of(flow, "uuid");
            if !atende_engine::definition::action::is_uuid(uuid) {
                return Err(StoreError::Invalid(format!(
                    "flows[{i}].uuid: {uuid:?} is not a UUID"
                )));
            }
            if str_of(flow, "name").trim().is_empty() {
                return Err(StoreError::Invalid(format!(
                    "flows[{i}] ({uuid}): field 'name' is required"
                )));
            }
        }
        // exports carry fields without UUIDs; give each a stable one
        let mut export = export.clone();
        for f in export
            .get_mut("fields")
            .and_then(Json::as_array_mut)
            .into_iter()
            .flatten()
        {
            if f.get("uuid").is_none() {
                f["uuid"] = json!(content_id(&["field", str_of(f, "key")]));
            }
            if f.get("type").is_none() {
                f["type"] = json!(str_of(f, "value_type").to_string());
            }
        }
        let export = &export;
        // the engine reads (and migrates) every flow first: a bad file writes nothing
        let migrated =
            Assets::migrate_json(export, uuids).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let assets =
            Assets::from_json(&migrated).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let flows: Vec<Json> = migrated
            .get("flows")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        let mut triggers = Vec::new();
        for (i, t) in export
            .get("triggers")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let t = read_trigger(i, t).map_err(StoreError::Invalid)?;
            let known = assets.flows.iter().any(|f| f.uuid == t.flow_uuid)
                || self
                    .flow_definition(workspace, &t.flow_uuid)
                    .await?
                    .is_some();
            if !known {
                return Err(StoreError::Invalid(format!(
                    "triggers[{i}].flow.uuid: no flow {} in the file or the workspace",
                    t.flow_uuid
                )));
            }
            triggers.push(t);
        }
        let now = crate::wall_now();
        let mut summary = ImportSummary::default();
        let mut tx = self.begin().await?;
        for flow in &flows {
            match tx.upsert_flow(workspace, flow, now).await? {
                Upsert::Created => summary.flows_created += 1,
                Upsert::Updated => summary.flows_updated += 1,
                Upsert::Unchanged => summary.flows_unchanged += 1,
            }
        }
        for f in &assets.fields {
            sqlx::query(
                "INSERT INTO fields (workspace_id, key, uuid, name, value_type) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (workspace_id, key) DO UPDATE SET name = excluded.name, value_type = excluded.value_type",
            )
            .bind(workspace)
            .bind(&f.key)
            .bind(if f.uuid.is_empty() { content_id(&["field", &f.key]) } else { f.uuid.clone() })
            .bind(&f.name)
            .bind(&f.value_type)
            .execute(&mut *tx.tx)
            .await?;
            summary.fields += 1;
        }
        for g in &assets.groups {
            let uuid = str_of(g, "uuid");
            if uuid.is_empty() {
                continue;
            }
            sqlx::query(
                "INSERT INTO groups (workspace_id, uuid, name, query) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (workspace_id, uuid) DO UPDATE SET name = excluded.name, query = excluded.query",
            )
            .bind(workspace)
            .bind(uuid)
            .bind(str_of(g, "name"))
            .bind(str_of(g, "query"))
            .execute(&mut *tx.tx)
            .await?;
            summary.groups += 1;
        }
        for g in &assets.globals {
            sqlx::query(
                "INSERT INTO globals (workspace_id, key, name, value) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (workspace_id, key) DO UPDATE SET name = excluded.name, value = excluded.value",
            )
            .bind(workspace)
            .bind(str_of(g, "key"))
            .bind(str_of(g, "name"))
            .bind(str_of(g, "value"))
            .execute(&mut *tx.tx)
            .await?;
            summary.globals += 1;
        }
        for t in &triggers {
            tx.upsert_trigger(workspace, t, now).await?;
            summary.triggers += 1;
        }
        tx.next_counter(workspace, crate::ASSETS_VERSION).await?;
        tx.commit().await?;
        Ok(summary)
    }

    /// A flow's current definition (spec 14.4.2).
    pub async fn flow_definition(&self, workspace: &str, uuid: &str) -> Result<Option<Json>> {
        let row = sqlx::query("SELECT definition FROM flows WHERE workspace_id = $1 AND uuid = $2")
            .bind(workspace)
            .bind(uuid)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| json_col(&r, "definition")).transpose()
    }

    /// `(uuid, name, revision)` of every flow.
    pub async fn flow_list(&self, workspace: &str) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT uuid, name, revision FROM flows WHERE workspace_id = $1 ORDER BY name, uuid",
        )
        .bind(workspace)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((col(r, "uuid")?, col(r, "name")?, col(r, "revision")?)))
            .collect()
    }

    pub async fn triggers(&self, workspace: &str) -> Result<Vec<Trigger>> {
        let rows = sqlx::query(
            "SELECT uuid, trigger_type, keywords, match_type, flow_uuid, include_groups, exclude_groups, schedule
             FROM triggers WHERE workspace_id = $1 ORDER BY created_on, uuid",
        )
        .bind(workspace)
        .fetch_all(&self.pool)
        .await?;
        let list = |r: &sqlx::any::AnyRow, name: &str| -> Result<Vec<String>> {
            serde_json::from_value(json_col(r, name)?).map_err(|e| StoreError::Corrupt {
                what: format!("triggers.{name}"),
                why: e.to_string(),
            })
        };
        rows.iter()
            .map(|r| {
                Ok(Trigger {
                    uuid: col(r, "uuid")?,
                    trigger_type: col(r, "trigger_type")?,
                    keywords: list(r, "keywords")?,
                    match_type: col(r, "match_type")?,
                    flow_uuid: col(r, "flow_uuid")?,
                    include_groups: list(r, "include_groups")?,
                    exclude_groups: list(r, "exclude_groups")?,
                    schedule: match col::<String>(r, "schedule")?.as_str() {
                        "" => None,
                        text => {
                            Some(serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
                                what: "triggers.schedule".into(),
                                why: e.to_string(),
                            })?)
                        }
                    },
                })
            })
            .collect()
    }

    /// Adds or replaces one trigger (API).
    pub async fn save_trigger(&self, workspace: &str, trigger: &Json) -> Result<Trigger> {
        let t = read_trigger(0, trigger)
            .map_err(|e| StoreError::Invalid(e.replace("triggers[0].", "")))?;
        if self
            .flow_definition(workspace, &t.flow_uuid)
            .await?
            .is_none()
        {
            return Err(StoreError::Invalid(format!(
                "flow.uuid: no flow {}",
                t.flow_uuid
            )));
        }
        let mut tx = self.begin().await?;
        tx.upsert_trigger(workspace, &t, crate::wall_now()).await?;
        tx.next_counter(workspace, crate::ASSETS_VERSION).await?;
        tx.commit().await?;
        Ok(t)
    }

    /// The workspace as a goflow asset source (what the engine reads), and as the body of
    /// an export file (RapidPro's `version` 13 layout plus our trigger words).
    pub async fn export(&self, workspace: &str) -> Result<Json> {
        let flows =
            sqlx::query("SELECT definition FROM flows WHERE workspace_id = $1 ORDER BY name, uuid")
                .bind(workspace)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| json_col(r, "definition"))
                .collect::<Result<Vec<_>>>()?;
        let fields = sqlx::query(
            "SELECT key, uuid, name, value_type FROM fields WHERE workspace_id = $1 ORDER BY key",
        )
        .bind(workspace)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(json!({
                "key": col::<String>(r, "key")?,
                "uuid": col::<String>(r, "uuid")?,
                "name": col::<String>(r, "name")?,
                "type": col::<String>(r, "value_type")?,
            }))
        })
        .collect::<Result<Vec<_>>>()?;
        let groups = sqlx::query(
            "SELECT uuid, name, query FROM groups WHERE workspace_id = $1 ORDER BY name",
        )
        .bind(workspace)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let query: String = col(r, "query")?;
            let mut g =
                json!({"uuid": col::<String>(r, "uuid")?, "name": col::<String>(r, "name")?});
            if !query.is_empty() {
                g["query"] = json!(query);
            }
            Ok(g)
        })
        .collect::<Result<Vec<_>>>()?;
        let globals = sqlx::query(
            "SELECT key, name, value FROM globals WHERE workspace_id = $1 ORDER BY key",
        )
        .bind(workspace)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(json!({
                "key": col::<String>(r, "key")?,
                "name": col::<String>(r, "name")?,
                "value": col::<String>(r, "value")?,
            }))
        })
        .collect::<Result<Vec<_>>>()?;
        let triggers: Vec<Json> = self
            .triggers(workspace)
            .await?
            .into_iter()
            .map(|t| {
                json!({
                    "uuid": t.uuid,
                    "trigger_type": t.trigger_type,
                    "keywords": t.keywords,
                    "match_type": t.match_type,
                    "flow": {"uuid": t.flow_uuid},
                    "groups": t.include_groups.iter().map(|u| json!({"uuid": u})).collect::<Vec<_>>(),
                    "exclude_groups": t.exclude_groups.iter().map(|u| json!({"uuid": u})).collect::<Vec<_>>(),
                    "schedule": t.schedule,
                })
            })
            .collect();
        Ok(json!({
            "version": "13",
            "site": "atende",
            "flows": flows,
            "fields": fields,
            "groups": groups,
            "globals": globals,
            "triggers": triggers,
            "campaigns": [],
        }))
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Upsert {
    Created,
    Updated,
    Unchanged,
}

impl Tx {
    async fn upsert_flow(
        &mut self,
        workspace: &str,
        flow: &Json,
        now: jiff::Timestamp,
    ) -> Result<Upsert> {
        let uuid = str_of(flow, "uuid");
        let definition = flow.to_string();
        let row = sqlx::query(
            "SELECT revision, definition FROM flows WHERE workspace_id = $1 AND uuid = $2",
        )
        .bind(workspace)
        .bind(uuid)
        .fetch_optional(&mut *self.tx)
        .await?;
        let (revision, outcome) = match row {
            None => (1, Upsert::Created),
            Some(r) => {
                let old: String = col(&r, "definition")?;
                let old_json: Json = serde_json::from_str(&old).unwrap_or_default();
                if old_json == *flow {
                    return Ok(Upsert::Unchanged);
                }
                (col::<i64>(&r, "revision")? + 1, Upsert::Updated)
            }
        };
        sqlx::query(
            "INSERT INTO flows (workspace_id, uuid, name, flow_type, revision, definition, modified_on)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (workspace_id, uuid) DO UPDATE SET name = excluded.name, flow_type = excluded.flow_type,
               revision = excluded.revision, definition = excluded.definition, modified_on = excluded.modified_on",
        )
        .bind(workspace)
        .bind(uuid)
        .bind(str_of(flow, "name"))
        .bind(str_of(flow, "type"))
        .bind(revision)
        .bind(&definition)
        .bind(time_text(now))
        .execute(&mut *self.tx)
        .await?;
        sqlx::query(
            "INSERT INTO flow_revisions (workspace_id, flow_uuid, revision, definition, created_on) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(workspace)
        .bind(uuid)
        .bind(revision)
        .bind(&definition)
        .bind(time_text(now))
        .execute(&mut *self.tx)
        .await?;
        Ok(outcome)
    }

    async fn upsert_trigger(
        &mut self,
        workspace: &str,
        t: &Trigger,
        now: jiff::Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO triggers (workspace_id, uuid, trigger_type, keywords, match_type, flow_uuid, include_groups, exclude_groups, created_on, schedule)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (workspace_id, uuid) DO UPDATE SET trigger_type = excluded.trigger_type, keywords = excluded.keywords,
               match_type = excluded.match_type, flow_uuid = excluded.flow_uuid, include_groups = excluded.include_groups,
               exclude_groups = excluded.exclude_groups, schedule = excluded.schedule",
        )
        .bind(workspace)
        .bind(&t.uuid)
        .bind(&t.trigger_type)
        .bind(json!(t.keywords).to_string())
        .bind(&t.match_type)
        .bind(&t.flow_uuid)
        .bind(json!(t.include_groups).to_string())
        .bind(json!(t.exclude_groups).to_string())
        .bind(time_text(now))
        .bind(t.schedule.as_ref().map(|s| json!(s).to_string()).unwrap_or_default())
        .execute(&mut *self.tx)
        .await?;
        // a schedule trigger's next firing is a scheduled fire keyed by the trigger
        if let Some(schedule) = &t.schedule {
            let tz = self.workspace_timezone(workspace).await?;
            let fires: Vec<(&str, jiff::Timestamp)> = schedule
                .next_after(now, &tz)
                .map(|at| vec![(crate::fires::TRIGGER_FIRE, at)])
                .unwrap_or_default();
            self.schedule_fires(workspace, "", &t.uuid, 0, &fires)
                .await?;
        }
        Ok(())
    }

    /// The workspace's time zone (its environment's `timezone`), UTC when unknown.
    pub async fn workspace_timezone(&mut self, workspace: &str) -> Result<jiff::tz::TimeZone> {
        let env: Option<String> =
            sqlx::query_scalar("SELECT environment FROM workspaces WHERE id = $1")
                .bind(workspace)
                .fetch_optional(&mut *self.tx)
                .await?;
        let name = env
            .and_then(|e| serde_json::from_str::<Json>(&e).ok())
            .and_then(|e| e.get("timezone").and_then(Json::as_str).map(str::to_owned))
            .unwrap_or_else(|| "UTC".into());
        Ok(jiff::tz::TimeZone::get(&name).unwrap_or(jiff::tz::TimeZone::UTC))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_repeat_at_the_same_local_time() {
        let tz = jiff::tz::TimeZone::get("America/Sao_Paulo").unwrap();
        let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
        let daily = Schedule {
            start: "2026-11-20T09:00:00-03:00".into(),
            repeat: "daily".into(),
        };
        assert_eq!(
            daily.next_after(at("2026-11-26T10:00:00-03:00"), &tz),
            Some(at("2026-11-27T09:00:00-03:00"))
        );
        assert_eq!(
            daily.next_after(at("2026-11-26T08:00:00-03:00"), &tz),
            Some(at("2026-11-26T09:00:00-03:00"))
        );
        let monthly = Schedule {
            start: "2026-01-31T09:00:00-03:00".into(),
            repeat: "monthly".into(),
        };
        // from 31 January, months without a 31st fall on their last day
        assert_eq!(
            monthly.next_after(at("2026-02-01T00:00:00-03:00"), &tz),
            Some(at("2026-02-28T09:00:00-03:00"))
        );
        let once = Schedule {
            start: "2026-11-20T09:00:00-03:00".into(),
            repeat: "never".into(),
        };
        assert_eq!(once.next_after(at("2026-11-26T00:00:00Z"), &tz), None);
        assert_eq!(
            once.next_after(at("2026-11-19T00:00:00Z"), &tz),
            Some(at("2026-11-20T12:00:00Z"))
        );
    }

    #[test]
    fn schedule_triggers_are_checked() {
        let err = read_trigger(
            0,
            &json!({"trigger_type": "schedule", "flow": {"uuid": "f"}, "groups": [{"uuid": "g"}],
            "schedule": {"start": "amanhã", "repeat": "daily"}}),
        )
        .unwrap_err();
        assert!(err.contains("schedule.start"), "{err}");
        let err = read_trigger(
            0,
            &json!({"trigger_type": "schedule", "flow": {"uuid": "f"},
            "schedule": {"start": "2026-12-01T09:00:00-03:00"}}),
        )
        .unwrap_err();
        assert!(err.contains("groups"), "{err}");
    }

    #[test]
    fn rapidpro_triggers_are_read() {
        let t = read_trigger(
            0,
            &json!({"trigger_type": "K", "keyword": "iniciarchat", "match_type": "O",
                    "flow": {"uuid": "f1", "name": "Cristal"}, "groups": [], "exclude_groups": [{"uuid": "g1", "name": "Atendimento humano"}]}),
        )
        .unwrap();
        assert_eq!(t.trigger_type, "keyword");
        assert_eq!(t.keywords, ["iniciarchat"]);
        assert_eq!(t.match_type, "only_word");
        assert_eq!(t.exclude_groups, ["g1"]);
        // same content, same id: re-import finds it
        let again = read_trigger(
            0,
            &json!({"trigger_type": "K", "keyword": "iniciarchat", "match_type": "O",
                    "flow": {"uuid": "f1"}, "exclude_groups": [{"uuid": "g1"}]}),
        )
        .unwrap();
        assert_eq!(t.uuid, again.uuid);
        let err =
            read_trigger(3, &json!({"trigger_type": "X", "flow": {"uuid": "f"}})).unwrap_err();
        assert!(err.starts_with("triggers[3].trigger_type"), "{err}");
    }
}
