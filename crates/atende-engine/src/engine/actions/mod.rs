//! The actions a node runs before it routes, one file per action type named by its wire
//! name (`"type": "send_msg"` → `send_msg.rs`). `enter_flow` is not here: the run loop
//! starts a subflow once the node's other actions have run. Weni's service actions
//! (`weni_services.rs`) warn and take the Failure exit; other types this engine does not
//! run emit a `warning` event.

mod add_contact_groups;
mod add_contact_urn;
mod add_input_labels;
mod call_classifier;
mod call_llm;
mod call_resthook;
mod call_webhook;
mod open_ticket;
mod remove_contact_groups;
mod request_optin;
mod say_msg;
mod send_broadcast;
mod send_email;
mod send_msg;
mod send_whatsapp_msg;
mod set_contact_channel;
mod set_contact_field;
mod set_contact_language;
mod set_contact_name;
mod set_contact_status;
mod set_contact_timezone;
mod set_run_local;
mod set_run_result;
mod start_session;
mod transfer_airtime;
mod weni_services;

use serde_json::json;

pub(in crate::engine) use weni_services::FAILURE;

use crate::definition::action::{Action, ActionKind, WENI_SERVICE_TYPES};
use crate::definition::{Flow, Node};
use crate::engine::Machine;
use crate::session::Session;

impl Machine<'_, '_> {
    pub(super) fn execute(
        &mut self,
        session: &mut Session,
        idx: usize,
        flow: &Flow,
        node: &Node,
        action: &Action,
    ) {
        match &action.kind {
            ActionKind::SendMsg(a) => self.send_msg(session, idx, flow, action, a),
            ActionKind::SendWhatsappMsg(a) => self.send_whatsapp_msg(session, idx, flow, action, a),
            ActionKind::SetRunResult(a) => self.set_run_result(session, idx, node, a),
            ActionKind::SetContactName(a) => self.set_contact_name(session, idx, a),
            ActionKind::SetContactLanguage(a) => self.set_contact_language(session, idx, a),
            ActionKind::SetContactField(a) => self.set_contact_field(session, idx, a),
            ActionKind::SetRunLocal(a) => self.set_run_local(session, idx, a),
            ActionKind::AddContactGroups(a) => self.add_contact_groups(session, idx, a),
            ActionKind::RemoveContactGroups(a) => self.remove_contact_groups(session, idx, a),
            ActionKind::AddContactUrn(a) => self.add_contact_urn(session, idx, a),
            ActionKind::SetContactStatus(a) => self.set_status(&a.status),
            ActionKind::SetContactTimezone(a) => self.set_contact_timezone(session, idx, a),
            ActionKind::SetContactChannel(a) => self.set_contact_channel(a),
            ActionKind::AddInputLabels(a) => self.add_input_labels(session, idx, a),
            ActionKind::SendEmail(a) => self.send_email(session, idx, a),
            ActionKind::SendBroadcast(a) => self.send_broadcast(session, idx, flow, action, a),
            ActionKind::StartSession(a) => self.start_session(session, idx, a),
            ActionKind::OpenTicket(a) => self.open_ticket(session, idx, node, a),
            ActionKind::CallWebhook(a) => self.call_webhook(session, idx, node, a),
            ActionKind::CallClassifier(a) => self.call_classifier(session, idx, node, a),
            ActionKind::RequestOptin(_) => self.request_optin(),
            ActionKind::SayMsg(a) => self.say_msg(session, idx, flow, action, a),
            ActionKind::PlayAudio(a) => self.play_audio(session, idx, flow, action, a),
            ActionKind::CallResthook(a) => self.call_resthook(session, idx, node, a),
            ActionKind::CallLlm(a) => self.call_llm(session, idx, a),
            ActionKind::TransferAirtime(a) => self.transfer_airtime(session, idx, node, a),
            ActionKind::Unsupported {
                action_type,
                params,
            } if WENI_SERVICE_TYPES.contains(&action_type.as_str()) => {
                self.weni_service(session, idx, node, action_type, params)
            }
            other => {
                // Not run yet by this engine: say so and carry on, never refuse the flow.
                self.event(
                    "warning",
                    json!({ "text": format!("action type '{}' is not supported yet", other.type_name()) }),
                );
            }
        }
    }
}

/// Who a broadcast or a started session goes to, as written in the action.
pub(super) struct Recipients<'r> {
    pub urns: &'r [String],
    pub contacts: &'r [serde_json::Value],
    pub groups: &'r [crate::definition::action::AssetRef],
    pub contact_query: &'r str,
    /// Expressions from legacy flows, each giving a contact UUID, group, URN or phone
    /// number.
    pub legacy_vars: &'r [String],
}

/// What a legacy variable turned out to name.
enum LegacyRecipient {
    Contact(String),
    Group(serde_json::Value),
    Urn(String),
}

impl Machine<'_, '_> {
    /// Writes the evaluated recipients into an event's data (`urns`, `contacts`,
    /// `groups`, `contact_query`), leaving out the empty ones as goflow does. Legacy
    /// variables that name nobody are reported as errors.
    pub(super) fn add_recipients(
        &mut self,
        session: &Session,
        idx: usize,
        to: Recipients<'_>,
        data: &mut serde_json::Value,
    ) {
        let mut urns: Vec<String> = to
            .urns
            .iter()
            .map(|u| self.text(session, idx, u))
            .filter(|u| !u.is_empty())
            .collect();
        let mut contacts = to.contacts.to_vec();
        let mut groups: Vec<serde_json::Value> = self
            .resolve_assets(
                session,
                idx,
                to.groups,
                crate::engine::asset_refs::AssetKind::Group,
            )
            .iter()
            .map(|g| json!({ "uuid": g["uuid"], "name": g["name"] }))
            .collect();
        for var in to.legacy_vars {
            let value = self.text(session, idx, var).trim().to_string();
            match self.legacy_recipient(&value) {
                Some(LegacyRecipient::Contact(uuid)) => {
                    contacts.push(json!({ "uuid": uuid, "name": "" }))
                }
                Some(LegacyRecipient::Group(g)) => groups.push(g),
                Some(LegacyRecipient::Urn(u)) => urns.push(u),
                None => self.event(
                    "error",
                    json!({ "text": format!("'{value}' couldn't be resolved to a contact, group or URN") }),
                ),
            }
        }
        if !urns.is_empty() {
            data["urns"] = json!(urns);
        }
        if !contacts.is_empty() {
            data["contacts"] = json!(contacts);
        }
        if !groups.is_empty() {
            data["groups"] = json!(groups);
        }
        if !to.contact_query.is_empty() {
            data["contact_query"] = json!(self.query_text(session, idx, to.contact_query));
        }
    }

    /// A legacy variable's value as a recipient: a group by UUID or name, a contact by
    /// UUID, a URN, or a phone number read in the contact's country.
    fn legacy_recipient(&self, value: &str) -> Option<LegacyRecipient> {
        let group = self.assets.groups.iter().find(|g| {
            g["uuid"] == value
                || g.get("name")
                    .and_then(serde_json::Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case(value))
        });
        if let Some(g) = group.filter(|_| !value.is_empty()) {
            return Some(LegacyRecipient::Group(
                json!({ "uuid": g["uuid"], "name": g["name"] }),
            ));
        }
        if crate::definition::action::is_uuid(value) {
            return Some(LegacyRecipient::Contact(value.to_lowercase()));
        }
        if let Some((scheme, path)) = value.split_once(':') {
            if crate::contact::URN_SCHEMES.contains(&scheme) && !path.is_empty() {
                return Some(LegacyRecipient::Urn(value.to_string()));
            }
        }
        let country: phonenumber::country::Id = self.contact_country().parse().ok()?;
        let number = phonenumber::parse(Some(country), value).ok()?;
        phonenumber::is_valid(&number).then(|| {
            LegacyRecipient::Urn(format!(
                "tel:{}",
                number.format().mode(phonenumber::Mode::E164)
            ))
        })
    }

    /// The country the contact is in for reading phone numbers: their channel's, else
    /// the environment's.
    pub(super) fn contact_country(&self) -> String {
        let (_, channel) = self.route_for_contact();
        channel
            .and_then(|c| {
                self.assets
                    .channels
                    .iter()
                    .find(|ch| ch["uuid"] == c["uuid"])
                    .and_then(|ch| ch.get("country"))
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| self.env.default_country.clone())
    }

    /// Whether the session was started for many contacts at once (a batch start), when
    /// flows may not start more sessions or broadcasts for whole groups.
    pub(super) fn is_batch_start(&self, session: &Session) -> bool {
        session
            .trigger
            .get("batch")
            .and_then(serde_json::Value::as_bool)
            == Some(true)
    }
}
