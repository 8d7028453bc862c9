//! `say_msg` and `play_audio`: what a voice flow says or plays on the call
//! (`ivr_created`), a recording as an `audio:` attachment.
//!
//! ```json
//! {"uuid": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f", "type": "say_msg", "text": "Olá @contact.name", "audio_url": "http://example.com/ola.m4a"}
//! {"uuid": "d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a", "type": "play_audio", "audio_url": "http://example.com/@(contact.uuid).m4a"}
//! ```

use serde_json::{json, Map, Value as Json};

use crate::definition::action::{Action, PlayAudio, SayMsg};
use crate::definition::Flow;
use crate::engine::Machine;
use crate::session::Session;

impl Machine<'_, '_> {
    /// The language an action's translations are looked up in: the contact's when the
    /// environment allows it, else none (the flow's own text).
    fn translation_language(&self, flow: &Flow) -> Option<String> {
        let lang = &self.contact.language;
        (!lang.is_empty() && *lang != flow.language && self.env.allowed_languages.contains(lang))
            .then(|| lang.clone())
    }

    /// An action's translated text for `key` (the first item of its localised list), or
    /// `default` when the flow has no translation for the contact's language.
    pub(super) fn translated(
        &self,
        flow: &Flow,
        action: &Action,
        key: &str,
        default: &str,
    ) -> String {
        self.translation_language(flow)
            .and_then(|lang| {
                flow.localization
                    .get(&lang)?
                    .get(&action.uuid)?
                    .get(key)?
                    .as_array()?
                    .first()?
                    .as_str()
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| default.to_string())
    }

    /// An action's translated list for `key` (attachments, quick replies), or
    /// `default` when the flow has no translation for the contact's language.
    pub(super) fn translated_items(
        &self,
        flow: &Flow,
        action: &Action,
        key: &str,
        default: &[String],
    ) -> Vec<String> {
        self.translation_language(flow)
            .and_then(|lang| {
                let items = flow
                    .localization
                    .get(&lang)?
                    .get(&action.uuid)?
                    .get(key)?
                    .as_array()?;
                Some(
                    items
                        .iter()
                        .filter_map(Json::as_str)
                        .map(str::to_owned)
                        .collect(),
                )
            })
            .unwrap_or_else(|| default.to_vec())
    }

    pub(super) fn say_msg(
        &mut self,
        session: &Session,
        idx: usize,
        flow: &Flow,
        action: &Action,
        a: &SayMsg,
    ) {
        let template = self.translated(flow, action, "text", &a.text);
        let text = self.text(session, idx, &template);
        // the recording's URL is fixed per language, not a template
        let audio_url = self.translated(flow, action, "audio_url", &a.audio_url);
        if text.is_empty() && audio_url.is_empty() {
            self.event(
                "error",
                json!({ "text": "Can't say message without audio URL or backdown text" }),
            );
            return;
        }
        self.ivr_created(flow, text, &audio_url);
    }

    pub(super) fn play_audio(
        &mut self,
        session: &Session,
        idx: usize,
        flow: &Flow,
        action: &Action,
        a: &PlayAudio,
    ) {
        let template = self.translated(flow, action, "audio_url", &a.audio_url);
        let Some(audio_url) = self.text_checked(session, idx, &template) else {
            return; // the expression error was reported: play nothing
        };
        if audio_url.is_empty() {
            self.event(
                "error",
                json!({ "text": "Audio URL evaluated to empty, skipping" }),
            );
            return;
        }
        self.ivr_created(flow, String::new(), &audio_url);
    }

    fn ivr_created(&mut self, flow: &Flow, text: String, audio_url: &str) {
        let (urn, channel) = self.route_for_contact();
        let mut msg = Map::new();
        if let Some(u) = urn {
            msg.insert("urn".into(), json!(u));
        }
        if let Some(c) = &channel {
            msg.insert("channel".into(), c.clone());
        }
        msg.insert("text".into(), json!(text));
        if !audio_url.is_empty() {
            msg.insert("attachments".into(), json!([format!("audio:{audio_url}")]));
        }
        msg.insert("locale".into(), json!(self.locale(flow, channel.as_ref())));
        self.event("ivr_created", json!({ "msg": Json::Object(msg) }));
    }
}
