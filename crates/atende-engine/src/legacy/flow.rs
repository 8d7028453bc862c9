//! The definition-level part of the legacy migration: metadata, action sets, rule sets,
//! localization and `_ui`.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::expressions::{migrate_expression_body, migrate_template_with, quote, MigrateOptions};
use super::LegacyError;
use crate::services::UuidSource;

type Obj = Map<String, Value>;

/// Translations gathered while migrating: language → item UUID → key → values.
type Localization = BTreeMap<String, BTreeMap<String, Obj>>;

struct Ctx<'a> {
    flow_name: String,
    base_lang: String,
    media_url: &'a str,

    localization: Localization,
    uuids: &'a mut dyn UuidSource,
}

impl Ctx<'_> {
    fn err(&self, path: &str, message: impl Into<String>) -> LegacyError {
        LegacyError::Invalid {
            flow: self.flow_name.clone(),
            path: path.to_string(),
            message: message.into(),
        }
    }

    /// The base-language text of a translatable value and its other translations.
    fn split_translations(&self, v: &Value) -> (String, Vec<(String, String)>) {
        match v {
            Value::Object(map) => {
                let base = map
                    .get(&self.base_lang)
                    .or_else(|| map.get("base"))
                    .or_else(|| map.values().next())
                    .map(text_of)
                    .unwrap_or_default();
                let others = map
                    .iter()
                    .filter(|(k, _)| **k != self.base_lang && k.as_str() != "base")
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), text_of(v)))
                    .collect();
                (base, others)
            }
            Value::Null => (String::new(), Vec::new()),
            other => (text_of(other), Vec::new()),
        }
    }

    fn localize(&mut self, lang: &str, uuid: &str, key: &str, values: Vec<Value>) {
        self.localization
            .entry(lang.to_string())
            .or_default()
            .entry(uuid.to_string())
            .or_default()
            .insert(key.to_string(), Value::Array(values));
    }

    /// Migrates a translatable text: returns the base text and records the others.
    fn translated_text(&mut self, v: &Value, uuid: &str, key: &str) -> String {
        let (base, others) = self.split_translations(v);
        for (lang, text) in others {
            let t = migrate(&text);
            self.localize(&lang, uuid, key, vec![Value::String(t)]);
        }
        migrate(&base)
    }

    fn media(&self, s: &str) -> String {
        let (kind, url) = match s.split_once(':') {
            Some((k, rest)) if !k.contains('/') || !rest.starts_with("//") => {
                if rest.starts_with("//") {
                    (guess_media_type(s), s.to_string())
                } else {
                    (k.to_string(), rest.to_string())
                }
            }
            _ => (guess_media_type(s), s.to_string()),
        };
        let url =
            if url.starts_with("http://") || url.starts_with("https://") || url.starts_with('@') {
                migrate(&url)
            } else {
                format!(
                    "{}/{}",
                    self.media_url.trim_end_matches('/'),
                    url.trim_start_matches('/')
                )
            };
        format!("{kind}:{url}")
    }

    fn media_url_only(&self, s: &str) -> String {
        if s.starts_with("http://") || s.starts_with("https://") || s.starts_with('@') {
            migrate(s)
        } else {
            format!(
                "{}/{}",
                self.media_url.trim_end_matches('/'),
                s.trim_start_matches('/')
            )
        }
    }
}

fn guess_media_type(path: &str) -> String {
    let ext = path.rsplit('.').next().unwrap_or("").to_lowercase();
    match ext.as_str() {
        "mp3" | "m4a" | "wav" | "ogg" | "oga" | "amr" => "audio",
        "mp4" | "mov" | "3gp" | "webm" => "video",
        _ => "image",
    }
    .to_string()
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn migrate(s: &str) -> String {
    migrate_template_with(s, MigrateOptions::default())
}

fn s(v: Option<&Value>) -> String {
    v.map(text_of).unwrap_or_default()
}

/// A result key as goflow derives it from a name (`Response 1` → `response_1`).
pub fn snakify(name: &str) -> String {
    let mut out = String::new();
    let mut last_us = false;
    for c in name.trim().to_lowercase().chars() {
        if c.is_alphanumeric() {
            out.push(c);
            last_us = false;
        } else if !last_us {
            out.push('_');
            last_us = true;
        }
    }
    out.trim_matches('_').to_string()
}

pub(super) fn migrate_flow(
    flow: &Value,
    base_media_url: &str,
    uuids: &mut dyn UuidSource,
) -> Result<Value, LegacyError> {
    let empty = Obj::new();
    let obj = flow.as_object().unwrap_or(&empty);
    let meta = obj
        .get("metadata")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let name = meta
        .get("name")
        .or_else(|| obj.get("name"))
        .map(text_of)
        .unwrap_or_default();
    let flow_uuid = meta
        .get("uuid")
        .or_else(|| obj.get("uuid"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let flow_uuid = match flow_uuid {
        Some(u) => u,
        None => uuids.new_v4(),
    };
    let revision = meta.get("revision").and_then(Value::as_i64).unwrap_or(0);
    let expires = meta.get("expires").and_then(Value::as_i64).unwrap_or(0);
    let flow_type = s(obj.get("flow_type"));
    let base_lang = s(obj.get("base_language"));
    let mut ctx = Ctx {
        flow_name: if name.is_empty() {
            flow_uuid.clone()
        } else {
            name.clone()
        },
        base_lang: base_lang.clone(),
        media_url: base_media_url,

        localization: Localization::new(),
        uuids,
    };

    let mut nodes: Vec<(i64, i64, Value)> = Vec::new();
    let mut ui_nodes = Obj::new();
    let empty_list = Vec::new();
    for (i, set) in obj
        .get("action_sets")
        .and_then(Value::as_array)
        .unwrap_or(&empty_list)
        .iter()
        .enumerate()
    {
        let path = format!("action_sets[{i}]");
        let (node, ui) = migrate_action_set(&mut ctx, set, &path)?;
        let uuid = s(node.get("uuid"));
        ui_nodes.insert(uuid, ui);
        nodes.push((num(set.get("y")), num(set.get("x")), node));
    }
    for (i, rs) in obj
        .get("rule_sets")
        .and_then(Value::as_array)
        .unwrap_or(&empty_list)
        .iter()
        .enumerate()
    {
        let path = format!("rule_sets[{i}]");
        let (node, ui) = migrate_rule_set(&mut ctx, rs, &path)?;
        let uuid = s(node.get("uuid"));
        ui_nodes.insert(uuid, ui);
        nodes.push((num(rs.get("y")), num(rs.get("x")), node));
    }
    // goflow orders nodes by position, the entry node first
    nodes.sort_by_key(|(y, x, _)| (*y, *x));
    let entry = s(obj.get("entry"));
    if let Some(pos) = nodes.iter().position(|(_, _, n)| s(n.get("uuid")) == entry) {
        let n = nodes.remove(pos);
        nodes.insert(0, n);
    }

    let localization: Obj = ctx
        .localization
        .into_iter()
        .map(|(lang, items)| {
            (
                lang,
                Value::Object(
                    items
                        .into_iter()
                        .map(|(k, v)| (k, Value::Object(v)))
                        .collect(),
                ),
            )
        })
        .collect();

    let flow_type_new = match flow_type.as_str() {
        "V" => "voice",
        "S" => "messaging_offline",
        _ => "messaging",
    };

    Ok(json!({
        "uuid": flow_uuid,
        "name": name,
        "spec_version": "13.0.0",
        "language": base_lang,
        "type": flow_type_new,
        "revision": revision,
        "expire_after_minutes": expires,
        "localization": localization,
        "nodes": nodes.into_iter().map(|(_, _, n)| n).collect::<Vec<_>>(),
        "_ui": {"nodes": ui_nodes, "stickies": {}},
    }))
}

fn num(v: Option<&Value>) -> i64 {
    v.and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
        .unwrap_or(0)
}

fn position(v: &Value) -> Value {
    json!({"left": num(v.get("x")), "top": num(v.get("y"))})
}

fn exit(uuid: &str, dest: Option<&Value>) -> Value {
    let mut e = Obj::new();
    e.insert("uuid".into(), json!(uuid));
    if let Some(Value::String(d)) = dest {
        if !d.is_empty() {
            e.insert("destination_uuid".into(), json!(d));
        }
    }
    Value::Object(e)
}

fn migrate_action_set(
    ctx: &mut Ctx,
    set: &Value,
    path: &str,
) -> Result<(Value, Value), LegacyError> {
    let uuid = s(set.get("uuid"));
    if uuid.is_empty() {
        return Err(ctx.err(path, "action set has no uuid"));
    }
    let mut actions = Vec::new();
    if let Some(list) = set.get("actions").and_then(Value::as_array) {
        for (i, a) in list.iter().enumerate() {
            actions.push(migrate_action(ctx, a, &format!("{path}.actions[{i}]"))?);
        }
    }
    let exit_uuid = match set.get("exit_uuid").and_then(Value::as_str) {
        Some(u) => u.to_string(),
        None => ctx.uuids.new_v4(),
    };
    let node = json!({
        "uuid": uuid,
        "actions": actions,
        "exits": [exit(&exit_uuid, set.get("destination"))],
    });
    let ui = json!({"type": "execute_actions", "position": position(set)});
    Ok((node, ui))
}

/// A group or label reference: `{uuid, name}` stays, a name alone or an expression becomes
/// a `name_match`.
fn reference(v: &Value) -> Value {
    match v {
        Value::String(t) => json!({"name_match": migrate(t)}),
        Value::Object(o) => match o.get("uuid").and_then(Value::as_str) {
            Some(u) => json!({"uuid": u, "name": s(o.get("name"))}),
            None => json!({"name_match": migrate(&s(o.get("name")))}),
        },
        other => json!({"name_match": text_of(other)}),
    }
}

fn list<'a>(a: &'a Value, key: &str) -> &'a [Value] {
    a.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn migrate_action(ctx: &mut Ctx, a: &Value, path: &str) -> Result<Value, LegacyError> {
    let kind = s(a.get("type"));
    let uuid = match a.get("uuid").and_then(Value::as_str) {
        Some(u) => u.to_string(),
        None => ctx.uuids.new_v4(),
    };
    let mut out = Obj::new();
    let mut put = |k: &str, v: Value| {
        out.insert(k.to_string(), v);
    };
    match kind.as_str() {
        "reply" | "send" => {
            let is_send = kind == "send";
            put(
                "type",
                json!(if is_send {
                    "send_broadcast"
                } else {
                    "send_msg"
                }),
            );
            put("uuid", json!(uuid));
            let text = ctx.translated_text(a.get("msg").unwrap_or(&Value::Null), &uuid, "text");
            put("text", json!(text));
            if let Some(media) = a.get("media").filter(|m| match m {
                Value::Object(o) => !o.is_empty(),
                Value::Null => false,
                _ => true,
            }) {
                let (base, others) = ctx.split_translations(media);
                if !base.is_empty() {
                    put("attachments", json!([ctx.media(&base)]));
                }
                for (lang, m) in others {
                    let v = ctx.media(&m);
                    ctx.localize(&lang, &uuid, "attachments", vec![json!(v)]);
                }
            }
            let qrs = list(a, "quick_replies");
            if !qrs.is_empty() {
                let mut base = Vec::new();
                let mut by_lang: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
                for (i, qr) in qrs.iter().enumerate() {
                    let (b, others) = ctx.split_translations(qr);
                    base.push(json!(migrate(&b)));
                    for (lang, t) in others {
                        let e = by_lang.entry(lang).or_insert_with(|| vec![None; qrs.len()]);
                        e[i] = Some(migrate(&t));
                    }
                }
                put("quick_replies", Value::Array(base));
                for (lang, items) in by_lang {
                    let v = items
                        .into_iter()
                        .map(|t| json!(t.unwrap_or_default()))
                        .collect();
                    ctx.localize(&lang, &uuid, "quick_replies", v);
                }
            }
            if is_send {
                let contacts: Vec<Value> = list(a, "contacts")
                    .iter()
                    .map(|c| json!({"uuid": s(c.get("uuid")), "name": s(c.get("name"))}))
                    .collect();
                let groups: Vec<Value> = list(a, "groups").iter().map(reference).collect();
                let vars: Vec<Value> = list(a, "variables")
                    .iter()
                    .map(|v| json!(migrate(&s(v.get("id")))))
                    .collect();
                if !contacts.is_empty() {
                    put("contacts", Value::Array(contacts));
                }
                if !groups.is_empty() {
                    put("groups", Value::Array(groups));
                }
                if !vars.is_empty() {
                    put("legacy_vars", Value::Array(vars));
                }
            } else if a.get("send_all").and_then(Value::as_bool) == Some(true) {
                put("all_urns", json!(true));
            }
        }
        "say" => {
            put("type", json!("say_msg"));
            put("uuid", json!(uuid));
            let text = ctx.translated_text(a.get("msg").unwrap_or(&Value::Null), &uuid, "text");
            put("text", json!(text));
            if let Some(rec) = a.get("recording") {
                let (base, others) = ctx.split_translations(rec);
                if !base.is_empty() {
                    put("audio_url", json!(ctx.media_url_only(&base)));
                }
                for (lang, r) in others {
                    if !r.is_empty() {
                        let v = ctx.media_url_only(&r);
                        ctx.localize(&lang, &uuid, "audio_url", vec![json!(v)]);
                    }
                }
            }
        }
        "play" => {
            put("type", json!("play_audio"));
            put("uuid", json!(uuid));
            put("audio_url", json!(migrate(&s(a.get("url")))));
        }
        "add_group" | "del_group" => {
            let groups: Vec<Value> = list(a, "groups").iter().map(reference).collect();
            if kind == "add_group" {
                put("type", json!("add_contact_groups"));
                put("uuid", json!(uuid));
                put("groups", Value::Array(groups));
            } else {
                put("type", json!("remove_contact_groups"));
                put("uuid", json!(uuid));
                if groups.is_empty() {
                    put("all_groups", json!(true));
                } else {
                    put("groups", Value::Array(groups));
                }
            }
        }
        "add_label" => {
            put("type", json!("add_input_labels"));
            put("uuid", json!(uuid));
            let labels: Vec<Value> = list(a, "labels").iter().map(reference).collect();
            put("labels", Value::Array(labels));
        }
        "email" => {
            put("type", json!("send_email"));
            put("uuid", json!(uuid));
            let addrs: Vec<Value> = list(a, "emails")
                .iter()
                .map(|e| json!(migrate(&text_of(e))))
                .collect();
            put("addresses", Value::Array(addrs));
            put("subject", json!(migrate(&s(a.get("subject")))));
            put("body", json!(migrate(&s(a.get("msg")))));
        }
        "save" => {
            let field = s(a.get("field"));
            let value = migrate(&s(a.get("value")));
            match field.as_str() {
                "name" => {
                    put("type", json!("set_contact_name"));
                    put("uuid", json!(uuid));
                    put("name", json!(value));
                }
                "first_name" => {
                    put("type", json!("set_contact_name"));
                    put("uuid", json!(uuid));
                    put(
                        "name",
                        json!(format!("{value} @(word_slice(contact.name, 1, -1))")),
                    );
                }
                f if super::expressions::URN_SCHEMES.contains(&f) => {
                    let scheme = if f == "tel_e164" { "tel" } else { f };
                    put("type", json!("add_contact_urn"));
                    put("uuid", json!(uuid));
                    put("scheme", json!(scheme));
                    put("path", json!(value));
                }
                _ => {
                    put("type", json!("set_contact_field"));
                    put("uuid", json!(uuid));
                    put("field", json!({"key": field, "name": s(a.get("label"))}));
                    put("value", json!(value));
                }
            }
        }
        "lang" => {
            put("type", json!("set_contact_language"));
            put("uuid", json!(uuid));
            put("language", json!(s(a.get("lang"))));
        }
        "channel" => {
            put("type", json!("set_contact_channel"));
            put("uuid", json!(uuid));
            put(
                "channel",
                json!({"uuid": s(a.get("channel")), "name": s(a.get("name"))}),
            );
        }
        "flow" => {
            put("type", json!("enter_flow"));
            put("uuid", json!(uuid));
            put("flow", flow_ref(a.get("flow")));
            put("terminal", json!(true));
        }
        "trigger-flow" => {
            put("type", json!("start_session"));
            put("uuid", json!(uuid));
            let contacts: Vec<Value> = list(a, "contacts")
                .iter()
                .map(|c| json!({"uuid": s(c.get("uuid")), "name": s(c.get("name"))}))
                .collect();
            let groups: Vec<Value> = list(a, "groups").iter().map(reference).collect();
            let vars: Vec<Value> = list(a, "variables")
                .iter()
                .map(|v| json!(migrate(&s(v.get("id")))))
                .collect();
            if !contacts.is_empty() {
                put("contacts", Value::Array(contacts));
            }
            if !groups.is_empty() {
                put("groups", Value::Array(groups));
            }
            if !vars.is_empty() {
                put("legacy_vars", Value::Array(vars));
            }
            put("flow", flow_ref(a.get("flow")));
        }
        "api" => {
            put("type", json!("call_webhook"));
            put("uuid", json!(uuid));
            let method = s(a.get("action"));
            put(
                "method",
                json!(if method.is_empty() {
                    "POST".to_string()
                } else {
                    method.to_uppercase()
                }),
            );
            put(
                "url",
                json!(migrate_template_with(
                    &s(a.get("webhook")),
                    MigrateOptions { url_encode: true }
                )),
            );
            let mut headers = Obj::new();
            if let Some(body) = legacy_body(&method, &mut headers) {
                put("body", body);
                put("headers", Value::Object(headers));
            }
        }
        "" => return Err(ctx.err(path, "action has no type")),
        other => return Err(ctx.err(path, format!("unrecognized action type '{other}'"))),
    }
    Ok(Value::Object(out))
}

/// What a legacy webhook POSTed: the contact, the flow, the run's path and results,
/// the run, and the message being handled with its channel (`null` without one).
pub const LEGACY_WEBHOOK_BODY: &str = concat!(
    r#"@(json(object("#,
    r#""contact", object("uuid", contact.uuid, "name", contact.name, "urn", default(input.urn, null)), "#,
    r#""flow", run.flow, "#,
    r#""path", run.path, "#,
    r#""results", foreach_value(results, extract_object, "category", "created_on", "input", "name", "node_uuid", "value"), "#,
    r#""run", object("uuid", run.uuid, "created_on", run.created_on), "#,
    r#""input", if(input, extract_object(input, "uuid", "type", "text", "attachments", "urn", "channel", "created_on"), null), "#,
    r#""channel", default(input.channel, null)"#,
    r#")))"#
);

/// A legacy POST webhook (the default method) sends [`LEGACY_WEBHOOK_BODY`] as JSON;
/// other methods send no body.
fn legacy_body(method: &str, headers: &mut Obj) -> Option<Value> {
    if !(method.is_empty() || method.eq_ignore_ascii_case("POST")) {
        return None;
    }
    if !headers
        .keys()
        .any(|k| k.eq_ignore_ascii_case("content-type"))
    {
        headers.insert("Content-Type".into(), json!("application/json"));
    }
    Some(json!(LEGACY_WEBHOOK_BODY))
}

fn flow_ref(v: Option<&Value>) -> Value {
    let v = v.cloned().unwrap_or(Value::Null);
    json!({"uuid": s(v.get("uuid")), "name": s(v.get("name"))})
}

/// One migrated category: its name, translations, exit and destination.
struct Category {
    uuid: String,
    name: String,
    translations: Vec<(String, String)>,
    exit_uuid: String,
    destination: Option<Value>,
}

fn migrate_rule_set(ctx: &mut Ctx, rs: &Value, path: &str) -> Result<(Value, Value), LegacyError> {
    let uuid = s(rs.get("uuid"));
    if uuid.is_empty() {
        return Err(ctx.err(path, "rule set has no uuid"));
    }
    let rs_type = s(rs.get("ruleset_type"));
    let label = s(rs.get("label"));
    let rules = list(rs, "rules");
    let config = rs.get("config").cloned().unwrap_or(Value::Null);

    // categories: one per distinct (name, destination), in rule order
    let mut categories: Vec<Category> = Vec::new();
    let mut rule_category: Vec<usize> = Vec::new();
    for rule in rules {
        let (name, translations) =
            ctx.split_translations(rule.get("category").unwrap_or(&Value::Null));
        let dest = rule.get("destination").filter(|d| d.is_string()).cloned();
        let found = categories
            .iter()
            .position(|c| c.name == name && c.destination == dest);
        let idx = match found {
            Some(i) => i,
            None => {
                categories.push(Category {
                    uuid: ctx.uuids.new_v4(),
                    name,
                    translations,
                    exit_uuid: s(rule.get("uuid")),
                    destination: dest,
                });
                categories.len() - 1
            }
        };
        rule_category.push(idx);
    }

    let mut cases = Vec::new();
    let mut ui_cases = Obj::new();
    let mut default_cat = String::new();
    let mut timeout: Option<(i64, String)> = None;
    let mut failure_cat = String::new();
    for (ri, rule) in rules.iter().enumerate() {
        let cat = &categories[rule_category[ri]];
        let cat_uuid = cat.uuid.clone();
        let test = rule.get("test").cloned().unwrap_or(Value::Null);
        let ttype = s(test.get("type"));
        match ttype.as_str() {
            "true" => {
                default_cat = cat_uuid;
                continue;
            }
            "timeout" => {
                timeout = Some((num(test.get("minutes")) * 60, cat_uuid));
                continue;
            }
            "webhook_status" if s(test.get("status")) == "failure" => {
                failure_cat = cat_uuid.clone();
            }
            "airtime_status" if s(test.get("exit_status")) != "success" => {
                // goflow still draws the case UUID before dropping the failure test
                let _ = ctx.uuids.new_v4();
                failure_cat = cat_uuid;
                continue;
            }
            _ => {}
        }
        let case_uuid = ctx.uuids.new_v4();
        let tpath = format!("{path}.rules[{ri}].test");
        let (ctype, args, ui_arg) = migrate_test(ctx, &test, &case_uuid, &tpath)?;
        let mut c = Obj::new();
        c.insert("uuid".into(), json!(case_uuid));
        c.insert("type".into(), json!(ctype));
        if !args.is_empty() {
            c.insert("arguments".into(), json!(args));
        }
        c.insert("category_uuid".into(), json!(cat_uuid));
        if let Some(arg) = ui_arg {
            ui_cases.insert(case_uuid.clone(), json!({"arguments": [arg]}));
        }
        cases.push(Value::Object(c));
    }
    if default_cat.is_empty() {
        default_cat = failure_cat;
    }

    for c in &categories {
        for (lang, t) in &c.translations {
            ctx.localize(lang, &c.uuid, "name", vec![json!(t)]);
        }
    }

    let result_key = snakify(&label);
    let operand_raw = s(rs.get("operand"));
    let operand_migrated = if operand_raw.is_empty() {
        "@input".to_string()
    } else {
        migrate(&operand_raw)
    };
    let mut actions: Vec<Value> = Vec::new();
    let mut wait: Option<Value> = None;
    let mut result_name = Some(label.clone());
    let mut ui_config = Obj::new();
    let mut router_type = "switch";
    let operand: Option<String>;
    let ui_type: &str;
    match rs_type.as_str() {
        t if t.starts_with("wait_") => {
            let mut w = Obj::new();
            w.insert("type".into(), json!("msg"));
            let hint = match t {
                "wait_photo" => Some(json!({"type": "image"})),
                "wait_video" => Some(json!({"type": "video"})),
                "wait_audio" | "wait_recording" => Some(json!({"type": "audio"})),
                "wait_gps" => Some(json!({"type": "location"})),
                "wait_digits" => {
                    Some(json!({"type": "digits", "terminated_by": s(rs.get("finished_key"))}))
                }
                "wait_digit" => Some(json!({"type": "digits", "count": 1})),
                _ => None,
            };
            if let Some(h) = hint {
                w.insert("hint".into(), h);
            }
            if let Some((secs, cat)) = &timeout {
                w.insert(
                    "timeout".into(),
                    json!({"seconds": secs, "category_uuid": cat}),
                );
            }
            wait = Some(Value::Object(w));
            operand = Some(if matches!(t, "wait_digits" | "wait_digit") {
                "@input.text".into()
            } else {
                "@input".into()
            });
            ui_type = "wait_for_response";
        }
        "webhook" | "resthook" => {
            let action_uuid = ctx.uuids.new_v4();
            if rs_type == "resthook" {
                actions.push(json!({
                    "type": "call_resthook",
                    "uuid": action_uuid,
                    "resthook": s(config.get("resthook")),
                    "result_name": label,
                }));
                ui_type = "split_by_resthook";
            } else {
                let method = s(config.get("webhook_action"));
                let mut a = Obj::new();
                a.insert("type".into(), json!("call_webhook"));
                a.insert("uuid".into(), json!(action_uuid));
                a.insert(
                    "method".into(),
                    json!(if method.is_empty() {
                        "POST".into()
                    } else {
                        method.to_uppercase()
                    }),
                );
                a.insert(
                    "url".into(),
                    json!(migrate_template_with(
                        &s(config.get("webhook")),
                        MigrateOptions { url_encode: true }
                    )),
                );
                let mut headers: Obj = list(&config, "webhook_headers")
                    .iter()
                    .map(|h| (s(h.get("name")), json!(migrate(&s(h.get("value"))))))
                    .collect();
                if let Some(body) = legacy_body(&method, &mut headers) {
                    a.insert("body".into(), body);
                }
                if !headers.is_empty() {
                    a.insert("headers".into(), Value::Object(headers));
                }
                a.insert("result_name".into(), json!(label));
                actions.push(Value::Object(a));
                ui_type = "split_by_webhook";
            }
            operand = Some(format!("@results.{result_key}.category"));
            result_name = None;
        }
        "airtime" => {
            let action_uuid = ctx.uuids.new_v4();
            let mut amounts = Obj::new();
            if let Some(cfg) = config.as_object() {
                for c in cfg.values() {
                    if let Some(code) = c.get("currency_code").and_then(Value::as_str) {
                        amounts.insert(
                            code.to_string(),
                            c.get("amount").cloned().unwrap_or(json!(0)),
                        );
                    }
                }
            }
            actions.push(json!({
                "type": "transfer_airtime",
                "uuid": action_uuid,
                "amounts": amounts,
                "result_name": label,
            }));
            operand = Some(format!("@results.{result_key}"));
            result_name = None;
            ui_type = "split_by_airtime";
        }
        "subflow" => {
            let action_uuid = ctx.uuids.new_v4();
            actions.push(json!({
                "type": "enter_flow",
                "uuid": action_uuid,
                "flow": flow_ref(config.get("flow")),
            }));
            operand = Some("@child.run.status".into());
            result_name = None;
            ui_type = "split_by_subflow";
        }
        "group" => {
            operand = Some("@contact.groups".into());
            ui_type = "split_by_groups";
        }
        "random" => {
            router_type = "random";
            operand = None;
            ui_type = "split_by_random";
        }
        "form_field" => {
            let inner = migrate_expression_body(operand_raw.trim_start_matches('@'))
                .unwrap_or_else(|| operand_migrated.trim_start_matches('@').to_string());
            let index = config.get("field_index").cloned().unwrap_or(json!(0));
            let delim = s(config.get("field_delimiter"));
            operand = Some(format!("@(field({inner}, {index}, {}))", quote(&delim)));
            ui_config.insert("delimiter".into(), json!(delim));
            ui_config.insert("index".into(), index);
            ui_config.insert(
                "operand".into(),
                json!({"id": operand_raw.trim_start_matches('@').split('.').nth(1).unwrap_or("")}),
            );
            ui_type = "split_by_run_result_delimited";
        }
        "flow_field" => {
            operand = Some(operand_migrated.clone());
            ui_config.insert(
                "operand".into(),
                json!({"id": operand_raw.trim_start_matches('@').split('.').nth(1).unwrap_or("")}),
            );
            ui_type = "split_by_run_result";
        }
        "contact_field" | "expression" => {
            let parts: Vec<String> = operand_raw
                .trim_start_matches('@')
                .split('.')
                .map(str::to_lowercase)
                .collect();
            let simple_contact = rs_type == "contact_field"
                && parts.len() == 2
                && parts[0] == "contact"
                && operand_raw.starts_with('@')
                && !operand_raw.contains('(');
            if simple_contact {
                let key = parts[1].as_str();
                if key == "groups" {
                    operand = Some(operand_migrated.clone());
                    ui_type = "split_by_expression";
                } else if key != "tel_e164" && super::expressions::URN_SCHEMES.contains(&key) {
                    operand = Some(format!("@(default(urn_parts(urns.{key}).path, \"\"))"));
                    ui_config.insert("operand".into(), json!({"id": key, "type": "scheme"}));
                    ui_type = "split_by_contact_field";
                } else if matches!(key, "name" | "language" | "uuid" | "first_name") {
                    operand = Some(operand_migrated.clone());
                    let display = match key {
                        "name" => "Name",
                        "language" => "Language",
                        "uuid" => "UUID",
                        _ => "First Name",
                    };
                    ui_config.insert(
                        "operand".into(),
                        json!({"id": key, "name": display, "type": "property"}),
                    );
                    ui_type = "split_by_contact_field";
                } else {
                    operand = Some(operand_migrated.clone());
                    ui_config.insert("operand".into(), json!({"id": key, "type": "field"}));
                    ui_type = "split_by_contact_field";
                }
            } else {
                operand = Some(operand_migrated.clone());
                ui_type = "split_by_expression";
            }
        }
        other => return Err(ctx.err(path, format!("unrecognized ruleset type '{other}'"))),
    }
    if !ui_cases.is_empty() {
        ui_config.insert("cases".into(), Value::Object(ui_cases));
    }

    let mut router = Obj::new();
    router.insert("type".into(), json!(router_type));
    if let Some(w) = wait {
        router.insert("wait".into(), w);
    }
    if let Some(rn) = result_name.filter(|r| !r.is_empty()) {
        router.insert("result_name".into(), json!(rn));
    }
    router.insert(
        "categories".into(),
        Value::Array(
            categories
                .iter()
                .map(|c| json!({"uuid": c.uuid, "name": c.name, "exit_uuid": c.exit_uuid}))
                .collect(),
        ),
    );
    if router_type == "switch" {
        router.insert("operand".into(), json!(operand.unwrap_or_default()));
        router.insert("cases".into(), Value::Array(cases));
        router.insert("default_category_uuid".into(), json!(default_cat));
    }

    let mut node = Obj::new();
    node.insert("uuid".into(), json!(uuid));
    if !actions.is_empty() {
        node.insert("actions".into(), Value::Array(actions));
    }
    node.insert("router".into(), Value::Object(router));
    node.insert(
        "exits".into(),
        Value::Array(
            categories
                .iter()
                .map(|c| exit(&c.exit_uuid, c.destination.as_ref()))
                .collect(),
        ),
    );
    let mut ui = Obj::new();
    ui.insert("type".into(), json!(ui_type));
    if !ui_config.is_empty() {
        ui.insert("config".into(), Value::Object(ui_config));
    }
    ui.insert("position".into(), position(rs));
    Ok((Value::Object(node), Value::Object(ui)))
}

/// The `N` of a legacy `@(date.today + N)` test argument, which the editor shows.
fn relative_days(arg: &str) -> Option<String> {
    let compact: String = arg.chars().filter(|c| !c.is_whitespace()).collect();
    let inner = compact.strip_prefix("@(date.today")?.strip_suffix(')')?;
    let (sign, n) = if let Some(n) = inner.strip_prefix('+') {
        ("", n)
    } else if let Some(n) = inner.strip_prefix('-') {
        ("-", n)
    } else {
        return None;
    };
    if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(format!("{sign}{n}"))
}

/// Migrates a rule test: the case type, its arguments and (for relative date tests)
/// the argument the editor displays.
fn migrate_test(
    ctx: &mut Ctx,
    test: &Value,
    case_uuid: &str,
    path: &str,
) -> Result<(String, Vec<String>, Option<String>), LegacyError> {
    let ttype = s(test.get("type"));
    let plain = |k: &str| migrate(&s(test.get(k)));
    let translatable = |ctx: &mut Ctx, kind: &str| -> (String, Vec<String>, Option<String>) {
        let v = test.get("test").cloned().unwrap_or(Value::Null);
        let (base, others) = ctx.split_translations(&v);
        for (lang, t) in others {
            ctx.localize(&lang, case_uuid, "arguments", vec![json!(migrate(&t))]);
        }
        (kind.to_string(), vec![migrate(&base)], None)
    };
    Ok(match ttype.as_str() {
        "contains" => translatable(ctx, "has_all_words"),
        "contains_any" => translatable(ctx, "has_any_word"),
        "contains_phrase" => translatable(ctx, "has_phrase"),
        "contains_only_phrase" => translatable(ctx, "has_only_phrase"),
        "starts" => translatable(ctx, "has_beginning"),
        "regex" => translatable(ctx, "has_pattern"),
        "not_empty" => ("has_text".into(), vec![], None),
        "number" => ("has_number".into(), vec![], None),
        "lt" | "lte" | "gt" | "gte" | "eq" => {
            (format!("has_number_{ttype}"), vec![plain("test")], None)
        }
        "between" => (
            "has_number_between".into(),
            vec![plain("min"), plain("max")],
            None,
        ),
        "date" => ("has_date".into(), vec![], None),
        "date_before" | "date_equal" | "date_after" => {
            let kind = match ttype.as_str() {
                "date_before" => "has_date_lt",
                "date_equal" => "has_date_eq",
                _ => "has_date_gt",
            };
            let raw = s(test.get("test"));
            (kind.into(), vec![migrate(&raw)], relative_days(&raw))
        }
        "phone" => ("has_phone".into(), vec![], None),
        "has_email" => ("has_email".into(), vec![], None),
        "state" => ("has_state".into(), vec![], None),
        "district" => ("has_district".into(), vec![plain("test")], None),
        "ward" => (
            "has_ward".into(),
            vec![plain("district"), plain("state")],
            None,
        ),
        "in_group" => {
            let g = test.get("test").cloned().unwrap_or(Value::Null);
            (
                "has_group".into(),
                vec![s(g.get("uuid")), s(g.get("name"))],
                None,
            )
        }
        "subflow" => ("has_only_text".into(), vec![s(test.get("exit_type"))], None),
        "webhook_status" => {
            let st = if s(test.get("status")) == "success" {
                "Success"
            } else {
                "Failure"
            };
            ("has_only_text".into(), vec![st.into()], None)
        }
        "airtime_status" => ("has_category".into(), vec!["Success".into()], None),
        "interrupted_status" => ("has_only_text".into(), vec!["interrupted".into()], None),
        "" => return Err(ctx.err(path, "test has no type")),
        other => return Err(ctx.err(path, format!("unrecognized test type '{other}'"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_keys_are_snake_case() {
        assert_eq!(snakify("Response 1"), "response_1");
        assert_eq!(snakify(" Favorite Beer? "), "favorite_beer");
    }

    #[test]
    fn relative_days_are_read() {
        assert_eq!(relative_days("@(date.today + 10)").as_deref(), Some("10"));
        assert_eq!(relative_days("@(date.today - 1)").as_deref(), Some("-1"));
        assert_eq!(relative_days("@date.yesterday"), None);
    }
}
