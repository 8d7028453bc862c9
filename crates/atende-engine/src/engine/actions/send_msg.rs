//! `send_msg`: a message to the contact (`msg_created`), on the first URN a channel can
//! send to; without one the message is marked unsendable.
//!
//! ```json
//! {"uuid": "b2a7c3e0-5c1d-4a55-9d4e-1f0a3b6c7d81", "type": "send_msg", "text": "Olá @contact.first_name!", "attachments": ["image/jpeg:http://example.com/boleto.jpg"], "quick_replies": ["Sim", "Não"]}
//! ```

use serde_json::{json, Map, Value as Json};

use crate::definition::action::{Action, SendMsg};
use crate::definition::Flow;
use crate::engine::{tel_country, Machine};
use crate::session::Session;

/// Longest attachment (`type:url`) a message may carry.
const MAX_ATTACHMENT_CHARS: usize = 2048;

/// Whether an evaluated attachment is `content-type:url` with both parts.
fn is_attachment(att: &str) -> bool {
    att.split_once(':')
        .is_some_and(|(t, url)| !t.is_empty() && !url.is_empty())
}

/// A message template's translation applied: its text, quick replies, media, locale
/// and the `templating` a channel sends it with.
struct Templated {
    text: String,
    quick_replies: Vec<String>,
    /// `None` when the template has no media header (the action's attachments stay).
    attachments: Option<Vec<String>>,
    locale: String,
    templating: Json,
}

/// Fills `{{1}}`-style placeholders of a component from its variable map.
fn fill(content: &str, vars: &Map<String, Json>, values: &[String]) -> String {
    let mut out = content.to_string();
    for (name, index) in vars {
        let value = index
            .as_u64()
            .and_then(|i| values.get(i as usize))
            .map(String::as_str)
            .unwrap_or_default();
        out = out.replace(&format!("{{{{{name}}}}}"), value);
    }
    out
}

/// Applies a template translation to the evaluated variables.
fn apply_template(template: &Json, translation: &Json, values: Vec<String>) -> Templated {
    let empty = Vec::new();
    let types: Vec<&str> = translation
        .get("variables")
        .and_then(Json::as_array)
        .unwrap_or(&empty)
        .iter()
        .map(|v| v.get("type").and_then(Json::as_str).unwrap_or("text"))
        .collect();
    // one value per variable the translation declares; extra ones are ignored
    let values: Vec<String> = (0..types.len())
        .map(|i| values.get(i).cloned().unwrap_or_default())
        .collect();
    let mut texts = Vec::new();
    let mut quick_replies = Vec::new();
    let mut attachments: Option<Vec<String>> = None;
    let mut components = Vec::new();
    let no_vars = Map::new();
    for c in translation
        .get("components")
        .and_then(Json::as_array)
        .unwrap_or(&empty)
    {
        let kind = c.get("type").and_then(Json::as_str).unwrap_or_default();
        let vars = c
            .get("variables")
            .and_then(Json::as_object)
            .unwrap_or(&no_vars);
        let content = fill(
            c.get("content").and_then(Json::as_str).unwrap_or_default(),
            vars,
            &values,
        );
        if kind == "button/quick_reply" {
            quick_replies.push(content);
        } else if kind.ends_with("/media") {
            // media headers become the attachments, when their values are ones
            let media = attachments.get_or_insert_with(Vec::new);
            for index in vars.values().filter_map(Json::as_u64) {
                if let Some(v) = values.get(index as usize).filter(|v| is_attachment(v)) {
                    media.push(v.clone());
                }
            }
        } else if !kind.starts_with("button/") && !content.is_empty() {
            texts.push(content);
        }
        if !vars.is_empty() {
            components.push(json!({ "name": c["name"], "type": kind, "variables": vars }));
        }
    }
    let mut templating =
        json!({ "template": { "uuid": template["uuid"], "name": template["name"] } });
    if !components.is_empty() {
        templating["components"] = Json::Array(components);
    }
    if !values.is_empty() {
        templating["variables"] = types
            .iter()
            .zip(&values)
            .map(|(t, v)| json!({ "type": t, "value": v }))
            .collect();
    }
    Templated {
        text: texts.join("\n\n"),
        quick_replies,
        attachments,
        locale: translation
            .get("locale")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string(),
        templating,
    }
}

/// A message an action built, before it becomes a `msg_created` event.
pub(super) struct OutgoingMsg {
    pub text: String,
    pub attachments: Vec<String>,
    /// `(text, extra)`: the button's text and an optional line under it.
    pub quick_replies: Vec<(String, Option<String>)>,
    pub templating: Option<Json>,
    pub locale: String,
    /// Parts only some channels render, under their own key (`whatsapp`).
    pub channel_extra: Option<(&'static str, Json)>,
}

/// The quick replies as written in an action: plain text (up to 14.x) or `{"text": …}`.
pub(super) fn written_quick_replies(written: &[Json]) -> Vec<String> {
    written
        .iter()
        .filter_map(|q| q.as_str().or_else(|| q.get("text")?.as_str()))
        .map(str::to_owned)
        .collect()
}

impl Machine<'_, '_> {
    pub(super) fn send_msg(
        &mut self,
        session: &Session,
        idx: usize,
        flow: &Flow,
        action: &Action,
        a: &SendMsg,
    ) {
        let text_template = self.translated(flow, action, "text", &a.text);
        let mut text = self.text(session, idx, &text_template);
        let (urn, channel) = self.route_for_contact();
        let mut attachments = self.msg_attachments(session, idx, flow, action, &a.attachments);
        let written = written_quick_replies(&a.quick_replies);
        let mut quick_replies = self.msg_quick_replies(session, idx, flow, action, &written);
        let mut locale = self.locale(flow, channel.as_ref());
        let mut templating = None;
        if let Some(t) = self.template_for(session, idx, a, channel.as_ref()) {
            text = t.text;
            if !t.quick_replies.is_empty() {
                quick_replies = t.quick_replies;
            }
            if let Some(media) = t.attachments {
                attachments = media;
            }
            locale = t.locale;
            templating = Some(t.templating);
        }
        let msg = OutgoingMsg {
            text,
            attachments,
            quick_replies: quick_replies.into_iter().map(|q| (q, None)).collect(),
            templating,
            locale,
            channel_extra: None,
        };
        self.msg_created(urn, channel, msg);
    }

    /// An action's attachments (`content-type:url` templates), translated and
    /// evaluated; the ones that evaluate to no attachment are reported and left out.
    pub(super) fn msg_attachments(
        &mut self,
        session: &Session,
        idx: usize,
        flow: &Flow,
        action: &Action,
        written: &[String],
    ) -> Vec<String> {
        let mut attachments = Vec::new();
        for att in self.translated_items(flow, action, "attachments", written) {
            let t = self.text(session, idx, &att);
            if t.chars().count() > MAX_ATTACHMENT_CHARS {
                self.event(
                    "error",
                    json!({ "text": format!("Evaluated attachment is longer than the {MAX_ATTACHMENT_CHARS} limit and will be ignored") }),
                );
            } else if !is_attachment(&t) {
                self.event(
                    "error",
                    json!({ "text": "Attachment evaluated to invalid value and will be ignored" }),
                );
            } else {
                attachments.push(t);
            }
        }
        attachments
    }

    /// An action's quick replies, translated and evaluated; empty ones are reported and
    /// left out.
    pub(super) fn msg_quick_replies(
        &mut self,
        session: &Session,
        idx: usize,
        flow: &Flow,
        action: &Action,
        written: &[String],
    ) -> Vec<String> {
        let mut quick_replies = Vec::new();
        for qr in self.translated_items(flow, action, "quick_replies", written) {
            let t = self.text(session, idx, &qr);
            if t.is_empty() {
                self.event(
                    "error",
                    json!({ "text": "Quick reply evaluated to empty string and will be ignored" }),
                );
            } else {
                quick_replies.push(t);
            }
        }
        quick_replies
    }

    /// Emits `msg_created` for a message to the contact on `urn`/`channel` (marked
    /// unsendable without a URN, or when the host's send check says so).
    pub(super) fn msg_created(
        &mut self,
        urn: Option<String>,
        channel: Option<Json>,
        out: OutgoingMsg,
    ) {
        let mut msg = Map::new();
        if let Some(u) = &urn {
            msg.insert("urn".into(), json!(u));
        }
        if let Some(c) = &channel {
            msg.insert("channel".into(), c.clone());
        }
        msg.insert("text".into(), json!(out.text));
        if !out.attachments.is_empty() {
            msg.insert("attachments".into(), json!(out.attachments));
        }
        if !out.quick_replies.is_empty() {
            let qrs: Vec<Json> = out
                .quick_replies
                .iter()
                .map(|(text, extra)| {
                    let mut q = json!({ "text": text, "type": "text" });
                    if let Some(e) = extra.as_ref().filter(|e| !e.is_empty()) {
                        q["extra"] = json!(e);
                    }
                    q
                })
                .collect();
            msg.insert("quick_replies".into(), Json::Array(qrs));
        }
        if let Some(t) = out.templating {
            msg.insert("templating".into(), t);
        }
        msg.insert("locale".into(), json!(out.locale));
        if let Some((key, extra)) = out.channel_extra {
            msg.insert(key.into(), extra);
        }
        let mut msg = Json::Object(msg);
        let reason = match (&urn, self.services.send_check.as_deref_mut()) {
            (None, _) => Some("no_route".to_string()),
            (Some(_), Some(check)) => check.unsendable_reason(&msg),
            (Some(_), None) => None,
        };
        if let Some(r) = reason {
            msg["unsendable_reason"] = json!(r);
        }
        self.event("msg_created", json!({ "msg": msg }));
    }

    /// The action's template applied, when it names one the workspace has with a
    /// translation for the channel: the contact's language first, then the
    /// environment's default, each with the channel's country and without.
    fn template_for(
        &mut self,
        session: &Session,
        idx: usize,
        a: &SendMsg,
        channel: Option<&Json>,
    ) -> Option<Templated> {
        let wanted = a.template.as_ref()?;
        let template = self
            .assets
            .templates
            .iter()
            .find(|t| t.get("uuid").and_then(Json::as_str) == Some(wanted.uuid.as_str()))?;
        let channel_uuid = channel?.get("uuid")?;
        let country = self.channel_country(channel);
        let mut languages = Vec::new();
        let contact_lang = &self.contact.language;
        if !contact_lang.is_empty() && self.env.allowed_languages.contains(contact_lang) {
            languages.push(contact_lang.clone());
        }
        languages.extend(self.env.allowed_languages.first().cloned());
        let mut locales = Vec::new();
        for lang in languages {
            if let Some(c) = &country {
                locales.push(format!("{lang}-{c}"));
            }
            locales.push(lang);
        }
        let translations = template.get("translations")?.as_array()?;
        let translation = locales.iter().find_map(|locale| {
            translations.iter().find(|t| {
                t.pointer("/channel/uuid") == Some(channel_uuid)
                    && t.get("locale").and_then(Json::as_str) == Some(locale.as_str())
            })
        })?;
        let (template, translation) = (template.clone(), translation.clone());
        let values: Vec<String> = a
            .template_variables
            .iter()
            .map(|v| self.text(session, idx, v))
            .collect();
        Some(apply_template(&template, &translation, values))
    }

    /// The country of a channel, from the assets.
    fn channel_country(&self, channel: Option<&Json>) -> Option<String> {
        let uuid = channel?.get("uuid")?.as_str()?;
        self.assets
            .channels
            .iter()
            .find(|ch| ch.get("uuid").and_then(Json::as_str) == Some(uuid))?
            .get("country")?
            .as_str()
            .map(str::to_owned)
    }

    /// The URN and channel a message to the contact goes out on.
    pub(super) fn route_for_contact(&self) -> (Option<String>, Option<Json>) {
        for urn in &self.contact.urns {
            let identity = crate::contact::urn_identity(urn);
            let scheme = identity.split(':').next().unwrap_or_default();
            for ch in &self.assets.channels {
                let sends = ch
                    .get("roles")
                    .and_then(Json::as_array)
                    .is_some_and(|r| r.contains(&json!("send")));
                let scheme_ok = ch
                    .get("schemes")
                    .and_then(Json::as_array)
                    .is_some_and(|s| s.contains(&json!(scheme)));
                if sends && scheme_ok {
                    let reference = json!({ "uuid": ch["uuid"], "name": ch["name"] });
                    return (Some(identity.to_string()), Some(reference));
                }
            }
        }
        (None, None)
    }

    /// `eng-US`: the message language and the channel's (or environment's) country.
    pub(super) fn locale(&self, flow: &Flow, channel: Option<&Json>) -> String {
        let lang = if !self.contact.language.is_empty()
            && self.env.allowed_languages.contains(&self.contact.language)
        {
            self.contact.language.clone()
        } else {
            flow.language.clone()
        };
        let country = channel
            .and_then(|c| c.get("uuid").and_then(Json::as_str))
            .and_then(|uuid| {
                self.assets
                    .channels
                    .iter()
                    .find(|ch| ch.get("uuid").and_then(Json::as_str) == Some(uuid))
            })
            .and_then(|ch| ch.get("country").and_then(Json::as_str))
            .map(str::to_owned)
            .or_else(|| tel_country(self.contact))
            .unwrap_or_else(|| self.env.default_country.clone());
        if country.is_empty() {
            lang
        } else {
            format!("{lang}-{country}")
        }
    }
}
