use serde_json::json;

use super::*;
use crate::services::{SeededUuids, SequentialClock, UrnClaims};

fn assets() -> Assets {
    Assets::from_json(&json!({
        "channels": [
            {"uuid": "c-send", "name": "WhatsApp", "schemes": ["whatsapp", "tel"], "roles": ["send", "receive"]},
            {"uuid": "c-recv", "name": "Inbox", "schemes": ["tel"], "roles": ["receive"]}
        ],
        "fields": [{"uuid": "f1", "key": "plano", "name": "Plano", "type": "text"}],
        "groups": [
            {"uuid": "g-manual", "name": "Clientes"},
            {"uuid": "g-smart", "name": "Premium", "query": "plano = premium"}
        ],
        "topics": [{"uuid": "t1", "name": "Financeiro"}],
        "users": [{"uuid": "u1", "name": "Ana", "email": "ana@example.com"}]
    }))
    .unwrap()
}

struct Taken;

impl UrnClaims for Taken {
    fn is_taken(&mut self, _contact: &Contact, urn: &str) -> bool {
        urn.contains("taken")
    }
}

fn apply(contact: &mut Contact, modifier: Json) -> Vec<Json> {
    let m = Modifier::from_json(&modifier).unwrap();
    assert_eq!(m.to_json(), modifier, "re-marshalled");
    let start: jiff::Timestamp = "2025-05-04T12:30:45Z".parse().unwrap();
    let mut clock = SequentialClock::new(start, jiff::SignedDuration::from_secs(1));
    let mut uuids = SeededUuids::new(1);
    let mut random = atende_excellent::Pcg::new(1, 1);
    let mut taken = Taken;
    let mut services =
        Services::new(&mut clock, &mut uuids, &mut random).with_urn_claims(&mut taken);
    m.apply(&Environment::default(), &assets(), contact, &mut services)
        .iter()
        .map(|e| {
            let mut j = e.to_json();
            let o = j.as_object_mut().unwrap();
            o.remove("uuid");
            o.remove("created_on");
            j
        })
        .collect()
}

fn contact() -> Contact {
    Contact::from_json(&json!({
        "uuid": "c1", "name": "Ana", "status": "active",
        "urns": ["tel:+5511987654321", "whatsapp:5511987654321"]
    }))
    .unwrap()
}

#[test]
fn field_changes_re_evaluate_smart_groups() {
    let mut c = contact();
    let events = apply(
        &mut c,
        json!({"type": "field", "field": {"key": "plano", "name": "Plano"}, "value": "Premium"}),
    );
    assert_eq!(
        events,
        [
            json!({"type": "contact_field_changed", "field": {"key": "plano", "name": "Plano"}, "value": {"text": "Premium"}}),
            json!({"type": "contact_groups_changed", "groups_added": [{"uuid": "g-smart", "name": "Premium"}]}),
        ]
    );
    // the same value again changes nothing
    let again = apply(
        &mut c,
        json!({"type": "field", "field": {"key": "plano", "name": "Plano"}, "value": "Premium"}),
    );
    assert!(again.is_empty());
}

#[test]
fn groups_refuse_smart_groups_and_inactive_contacts() {
    let mut c = contact();
    let events = apply(
        &mut c,
        json!({"type": "groups", "groups": [{"uuid": "g-smart", "name": "Premium"}, {"uuid": "g-manual", "name": "Clientes"}], "modification": "add"}),
    );
    assert_eq!(
        events[0]["text"],
        "Can't add contacts to the query based group 'Premium'"
    );
    assert_eq!(
        events[1]["groups_added"],
        json!([{"uuid": "g-manual", "name": "Clientes"}])
    );
    let events = apply(&mut c, json!({"type": "status", "status": "stopped"}));
    assert_eq!(
        events[1]["groups_removed"],
        json!([{"uuid": "g-manual", "name": "Clientes"}])
    );
    let events = apply(
        &mut c,
        json!({"type": "groups", "groups": [{"uuid": "g-manual", "name": "Clientes"}], "modification": "add"}),
    );
    assert_eq!(
        events[0]["text"],
        "Can't add blocked or stopped contacts to groups"
    );
}

#[test]
fn urns_are_normalised_checked_and_keep_their_channel() {
    let mut c = contact();
    c.urns[0] = "tel:+5511987654321?channel=c-send".into();
    let events = apply(
        &mut c,
        json!({"type": "urns", "urns": ["tel:+55 11 98765-4321", "telegram:nope", "twitter:taken_one", "mailto:Ana@Example.com"], "modification": "set"}),
    );
    assert_eq!(events[0]["code"], "urn:invalid");
    assert_eq!(events[1]["code"], "urn:taken");
    assert_eq!(
        events[2]["urns"],
        json!([
            "tel:+5511987654321?channel=c-send",
            "mailto:ana@example.com"
        ])
    );
}

#[test]
fn routes_and_affinity_set_channels() {
    let mut c = contact();
    let events = apply(
        &mut c,
        json!({"type": "affinity", "urn": "whatsapp:5511987654321", "channel": {"uuid": "c-send", "name": "WhatsApp"}}),
    );
    assert_eq!(
        events[0]["urns"],
        json!([
            "whatsapp:5511987654321?channel=c-send",
            "tel:+5511987654321"
        ])
    );
    let events = apply(
        &mut c,
        json!({"type": "routes", "routes": [{"urn": "tel:+5511987654321", "channel": {"uuid": "c-send", "name": "WhatsApp"}}], "modification": "append"}),
    );
    assert_eq!(
        events[0]["urns"],
        json!([
            "whatsapp:5511987654321?channel=c-send",
            "tel:+5511987654321?channel=c-send"
        ])
    );
    let events = apply(&mut c, json!({"type": "channel", "channel": null}));
    assert_eq!(
        events[0]["urns"],
        json!(["whatsapp:5511987654321", "tel:+5511987654321"])
    );
    let events = apply(
        &mut c,
        json!({"type": "channel", "channel": {"uuid": "c-recv", "name": "Inbox"}}),
    );
    assert_eq!(
        events[0]["text"],
        "Can't set channel that can't send as the preferred channel"
    );
}

#[test]
fn tickets_open_one_at_a_time() {
    let mut c = contact();
    let events = apply(
        &mut c,
        json!({"type": "ticket_open", "topic": null, "assignee": {"uuid": "u1", "name": "Ana"}, "note": "Segunda via"}),
    );
    let types: Vec<&Json> = events.iter().map(|e| &e["type"]).collect();
    assert_eq!(types, ["ticket_opened", "ticket_note_added"]);
    assert_eq!(
        events[0]["ticket"]["topic"],
        json!({"uuid": "t1", "name": "Financeiro"})
    );
    let uuid = events[0]["ticket"]["uuid"].as_str().unwrap().to_string();
    assert!(apply(
        &mut c,
        json!({"type": "ticket_open", "topic": null, "assignee": null})
    )
    .is_empty());
    let events = apply(
        &mut c,
        json!({"type": "ticket_assignee", "ticket_uuid": uuid, "assignee": null}),
    );
    assert_eq!(
        events[0],
        json!({"type": "ticket_assignee_changed", "ticket_uuid": uuid, "assignee": null, "previous": {"uuid": "u1", "name": "Ana"}})
    );
    let events = apply(&mut c, json!({"type": "ticket_close", "ticket_uuid": uuid}));
    assert_eq!(events[0]["type"], "ticket_closed");
    assert_eq!(c.tickets[0]["status"], "closed");
    let events = apply(
        &mut c,
        json!({"type": "ticket_reopen", "ticket_uuid": uuid}),
    );
    assert_eq!(events[0]["type"], "ticket_reopened");
}

#[test]
fn missing_assets_are_reported() {
    let mut c = contact();
    let events = apply(
        &mut c,
        json!({"type": "groups", "groups": [{"uuid": "gone", "name": "Gone"}], "modification": "remove"}),
    );
    assert_eq!(
        events[0]["text"],
        "Missing dependency: group[uuid=gone,name=Gone]"
    );
    let events = apply(
        &mut c,
        json!({"type": "field", "field": {"key": "gone", "name": "Gone"}, "value": "x"}),
    );
    assert_eq!(
        events[0]["text"],
        "Missing dependency: field[key=gone,name=Gone]"
    );
}

#[test]
fn read_errors_name_the_field() {
    let err = |j: Json| Modifier::from_json(&j).unwrap_err().to_string();
    assert_eq!(err(json!({"name": "Bob"})), "field 'type' is required");
    assert_eq!(
        err(json!({"type": "dance"})),
        "unknown modifier type 'dance'"
    );
    assert_eq!(
        err(json!({"type": "status", "status": "drunk"})),
        "field 'status' is not valid: 'drunk' is not one of active, blocked, stopped, archived"
    );
    assert_eq!(
        err(json!({"type": "urns", "urns": ["tel:1"]})),
        "field 'modification' is required"
    );
    assert!(
        err(json!({"type": "urns", "urns": [1], "modification": "set"}))
            .starts_with("field 'urns' is not valid: invalid type")
    );
    let m: Modifier = serde_json::from_value(json!({"type": "name", "name": "Bob"})).unwrap();
    assert_eq!(m, Modifier::Name(Name { name: "Bob".into() }));
    assert_eq!(Modifier::TYPES.len(), 17);
    assert!(Modifier::TYPES.contains(&m.type_name()));
}
