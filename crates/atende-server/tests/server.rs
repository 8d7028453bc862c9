//! `atende serve` end to end through HTTP: the demo bot over web chat (with its webhook to
//! the built-in ERP), the signed external channel with idempotent inbound and outbox
//! delivery with retries, wait timeouts that fire once across instances, per-contact
//! ordering across instances, and the token-protected API.

mod common;

use atende_testkit::both;

use std::sync::{Arc, Mutex};

use axum::routing::post;
use serde_json::{json, Value};

use common::Server;

both!(
    demo_bot_answers_segunda_via,
    atende_testkit::url,
    |db: String| async move {
        let s = common::start(&db).await;
        let menu = s.chat("visitor-aaaa-0001", "oi").await;
        assert_eq!(menu.len(), 1, "{menu:?}");
        assert!(menu[0].contains("Sou a Cris"), "{menu:?}");
        let ask = s.chat("visitor-aaaa-0001", "1").await;
        assert_eq!(ask, ["Por favor, informe seu CPF ou CNPJ."]);
        let boleto = s.chat("visitor-aaaa-0001", "529.982.247-25").await;
        assert!(boleto[0].starts_with("Encontrei seu boleto:"), "{boleto:?}");
        assert!(boleto[0].contains("00190.50095 40144.816069"), "{boleto:?}");
        // the webhook went to this server's mock ERP, and is logged
        let (_, calls) = s.get("/api/v1/webhook_calls").await;
        assert_eq!(calls["results"][0]["status_code"], 200);
        // the run's results are readable through the API
        let (_, flows) = s.get("/api/v1/flows").await;
        let flow = flows["results"][0]["uuid"].as_str().unwrap().to_string();
        let (_, runs) = s.get(&format!("/api/v1/runs?flow={flow}")).await;
        // the result keeps the document the contact typed, read as digits
        assert_eq!(
            runs["results"][0]["results"]["documento"]["value"],
            "52998224725"
        );
    }
);

both!(
    wait_timeout_fires_once_across_instances,
    atende_testkit::url,
    |db: String| async move {
        let a = common::start(&db).await;
        let b = common::start(&db).await;
        // a 1-second timeout instead of the demo's 15 minutes
        let (_, mut export) = a.get("/api/v1/export").await;
        for node in export["flows"][0]["nodes"].as_array_mut().unwrap() {
            if let Some(t) = node.pointer_mut("/router/wait/timeout/seconds") {
                *t = json!(1);
            }
        }
        let (status, body) = a.post("/api/v1/import", &export).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["flows_updated"], 1);
        a.chat("visitor-bbbb-0001", "oi").await;
        a.chat("visitor-bbbb-0001", "1").await;
        assert!(
            atende_server::processor::fire_due(&a.app).await.unwrap() == 0,
            "not due yet"
        );
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        // both instances' schedulers wake at once
        let (x, y) = tokio::join!(
            atende_server::processor::fire_due(&a.app),
            atende_server::processor::fire_due(&b.app)
        );
        assert_eq!(x.unwrap() + y.unwrap(), 1, "the timeout fires exactly once");
        let log = a.chat_log("visitor-bbbb-0001").await;
        let closings = log
            .iter()
            .filter(|(_, t)| t.contains("por inatividade"))
            .count();
        assert_eq!(closings, 1, "{log:?}");
        assert_eq!(atende_server::processor::fire_due(&b.app).await.unwrap(), 0);
    }
);

both!(
    answering_cancels_the_timeout,
    atende_testkit::url,
    |db: String| async move {
        let s = common::start(&db).await;
        s.chat("visitor-cccc-0001", "oi").await;
        s.chat("visitor-cccc-0001", "1").await;
        assert_eq!(
            s.app.store.fire_count().await.unwrap(),
            2,
            "timeout + expiration"
        );
        s.chat("visitor-cccc-0001", "52998224725").await;
        // the session ended: nothing left to fire
        assert_eq!(s.app.store.fire_count().await.unwrap(), 0);
    }
);

both!(
    one_contact_in_order_across_instances,
    atende_testkit::url,
    |db: String| async move {
        let a = common::start(&db).await;
        let b = common::start(&db).await;
        a.chat("visitor-dddd-0001", "oi").await;
        // two instances take the contact's next messages at the same moment
        let send = |s: &Server, text: &str, id: &str| {
            let body = json!({"channel": common::WEBCHAT, "visitor": "visitor-dddd-0001", "text": text, "id": id});
            let req = s
                .http
                .post(format!("{}/chat/api/send", s.url))
                .header("Content-Type", "application/json")
                .body(body.to_string());
            async move {
                let r = req.send().await.unwrap();
                let status = r.status().as_u16();
                if status != 202 {
                    println!("send failed: {}", r.text().await.unwrap_or_default());
                }
                status
            }
        };
        let (x, y) = tokio::join!(send(&a, "1", "m1"), send(&b, "x", "m2"));
        assert_eq!((x, y), (202, 202));
        let log = a.chat_log("visitor-dddd-0001").await;
        let ins: Vec<&str> = log
            .iter()
            .filter(|(d, _)| d == "in")
            .map(|(_, t)| t.as_str())
            .collect();
        let outs: Vec<&str> = log
            .iter()
            .filter(|(d, _)| d == "out")
            .map(|(_, t)| t.as_str())
            .collect();
        // whichever arrived first, each message got exactly one sprint, in arrival order
        let expected: &[&str] = if ins[1..] == ["1", "x"] {
            &[
                "Sou a Cris",
                "informe seu CPF",
                "não parece válido",
                "informe seu CPF",
            ]
        } else {
            assert_eq!(ins[1..], ["x", "1"]);
            // an invalid choice apologises and the menu is shown again
            &[
                "Sou a Cris",
                "Responda 1 ou 2",
                "Sou a Cris",
                "informe seu CPF",
            ]
        };
        assert_eq!(outs.len(), expected.len(), "{log:?}");
        for (out, want) in outs.iter().zip(expected) {
            assert!(out.contains(want), "{log:?}");
        }
        let contact = a
            .app
            .store
            .contact_by_urn("demo", "webchat:visitor-dddd-0001")
            .await
            .unwrap()
            .unwrap()
            .contact
            .uuid;
        assert!(a
            .app
            .store
            .next_pending("demo", &contact)
            .await
            .unwrap()
            .is_none());
        assert!(a
            .app
            .store
            .waiting_session("demo", &contact)
            .await
            .unwrap()
            .is_some());
    }
);

/// A callback server that fails its first `failures` requests, then records bodies.
async fn callback_server(failures: usize) -> (String, Arc<Mutex<Vec<Value>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let calls = Arc::new(Mutex::new(0usize));
    let (g, c) = (got.clone(), calls.clone());
    let router = axum::Router::new().route(
        "/out",
        post(move |body: String| {
            let (g, c) = (g.clone(), c.clone());
            async move {
                let n = {
                    let mut c = c.lock().unwrap();
                    *c += 1;
                    *c
                };
                if n <= failures {
                    return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, String::new());
                }
                g.lock().unwrap().push(serde_json::from_str(&body).unwrap());
                (
                    axum::http::StatusCode::OK,
                    json!({"id": format!("prov-{n}")}).to_string(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{addr}/out"), got)
}

const SECRET: &str = "ext-secret-0123456789";

async fn ext_channel(s: &Server, callback: &str) -> String {
    let (status, body) = s
        .post("/api/v1/channels", &json!({"name": "ERP bridge", "type": "ext", "schemes": ["tel"], "callback_url": callback, "secret": SECRET}))
        .await;
    assert_eq!(status, 201, "{body}");
    body["uuid"].as_str().unwrap().to_string()
}

async fn ext_send(
    s: &Server,
    channel: &str,
    body: &Value,
    signature: Option<String>,
) -> (u16, Value) {
    let raw = body.to_string();
    let sig = signature.unwrap_or_else(|| atende_server::http::ext::sign(SECRET, raw.as_bytes()));
    let r = s
        .http
        .post(format!("{}/c/ext/{channel}/receive", s.url))
        .header("X-Atende-Signature", sig)
        .body(raw)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.text().await.unwrap()).unwrap_or_default(),
    )
}

both!(
    ext_channel_is_signed_idempotent_and_delivers_with_retries,
    atende_testkit::url,
    |db: String| async move {
        let s = common::start(&db).await;
        let (callback, got) = callback_server(2).await;
        let channel = ext_channel(&s, &callback).await;
        let msg =
            json!({"from": "+5511987654321", "text": "oi", "id": "wamid-1", "name": "Maria Silva"});
        let (status, first) = ext_send(&s, &channel, &msg, None).await;
        assert_eq!(status, 202, "{first}");
        let (status, again) = ext_send(&s, &channel, &msg, None).await;
        assert_eq!(status, 200);
        assert_eq!(
            again["duplicate"], true,
            "a retried webhook is handled once"
        );
        // a forged request is refused and changes nothing
        let (status, _) = ext_send(
            &s,
            &channel,
            &json!({"from": "+5511987654321", "text": "1", "id": "x"}),
            Some("sha256=00".into()),
        )
        .await;
        assert_eq!(status, 401);
        // the greeting goes out through the outbox: two failures, then delivered
        for _ in 0..3 {
            atende_server::outbox::deliver_due(&s.app).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(120)).await;
        }
        let delivered = got.lock().unwrap().clone();
        assert_eq!(delivered.len(), 1, "{delivered:?}");
        assert_eq!(delivered[0]["to"], "+5511987654321");
        assert!(
            delivered[0]["text"].as_str().unwrap().contains("Maria"),
            "the contact got the sender's name"
        );
        let contact = first["contact_uuid"].as_str().unwrap();
        let (_, msgs) = s.get(&format!("/api/v1/contacts/{contact}/messages")).await;
        let out = msgs["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["direction"] == "out")
            .unwrap()
            .clone();
        assert_eq!(out["status"], "sent");
        assert_eq!(out["external_id"], "prov-3");
    }
);

both!(
    api_needs_a_token_and_names_bad_fields,
    atende_testkit::url,
    |db: String| async move {
        let s = common::start(&db).await;
        let r = s
            .http
            .get(format!("{}/api/v1/contacts", s.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);
        let r = s
            .http
            .get(format!("{}/api/v1/contacts", s.url))
            .header("Authorization", "Token wrong-token-000000")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);
        let (status, body) = s
            .post(
                "/api/v1/contacts",
                &json!({"name": "Ana", "urns": ["tel:+5511911112222", 7]}),
            )
            .await;
        assert_eq!(status, 400);
        assert!(
            body["error"].as_str().unwrap().contains("urns[1]"),
            "{body}"
        );
        let (status, body) = s
            .post(
                "/api/v1/contacts",
                &json!({"name": "Ana", "urns": ["fax:1"]}),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        let (status, created) = s
            .post(
                "/api/v1/contacts",
                &json!({"name": "Ana Souza", "urns": ["tel:+5511911112222"]}),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        let (status, _) = s
            .post(
                "/api/v1/contacts",
                &json!({"name": "Outra", "urns": ["tel:+5511911112222"]}),
            )
            .await;
        assert_eq!(status, 409);
        // a flow start for that contact runs the bot; its greeting uses the name
        let (_, flows) = s.get("/api/v1/flows").await;
        let flow = flows["results"][0]["uuid"].clone();
        let (status, body) = s
            .post(
                "/api/v1/flow_starts",
                &json!({"flow": flow, "contacts": [created["uuid"]]}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (_, msgs) = s
            .get(&format!(
                "/api/v1/contacts/{}/messages",
                created["uuid"].as_str().unwrap()
            ))
            .await;
        assert!(
            msgs["results"][0]["text"]
                .as_str()
                .unwrap()
                .contains("Ana!"),
            "{msgs}"
        );
        // a bad import writes nothing and says what is wrong
        let (status, body) = s
            .post("/api/v1/import", &json!({"flows": [{"uuid": "x"}]}))
            .await;
        assert_eq!(status, 422, "{body}");
        let (status, body) = s
            .post(
                "/api/v1/globals",
                &json!({"key": "suporte", "name": "Suporte"}),
            )
            .await;
        assert_eq!(status, 400);
        assert!(
            body["error"].as_str().unwrap().contains("globals[0].value"),
            "{body}"
        );
        let (status, _) = s
            .post(
                "/api/v1/globals",
                &json!({"key": "suporte", "name": "Suporte", "value": "0800"}),
            )
            .await;
        assert_eq!(status, 200);
        let (_, globals) = s.get("/api/v1/globals").await;
        assert!(globals["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["key"] == "suporte"));
    }
);

#[tokio::test]
async fn openapi_health_and_metrics() {
    let s = common::start(&atende_testkit::sqlite_url()).await;
    let (status, doc) = s.get("/api/openapi.json").await;
    assert_eq!(status, 200);
    for path in [
        "/api/v1/contacts",
        "/api/v1/import",
        "/api/v1/flow_starts",
        "/api/v1/messages",
        "/c/ext/{channel}/receive",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    let (status, health) = s.get("/healthz").await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    s.chat("visitor-eeee-0001", "oi").await;
    let metrics = s
        .http
        .get(format!("{}/metrics", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("atende_inbound_messages_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains("atende_sprints_total 1"), "{metrics}");
}

#[tokio::test]
async fn restart_keeps_waiting_sessions_and_their_timeouts() {
    let db = atende_testkit::sqlite_url();
    {
        let s = common::start(&db).await;
        s.chat("visitor-ffff-0001", "oi").await;
        s.chat("visitor-ffff-0001", "1").await;
    }
    // a new instance on the same database resumes where the first stopped
    let s = common::start(&db).await;
    assert_eq!(s.app.store.fire_count().await.unwrap(), 2);
    let answer = s.chat("visitor-ffff-0001", "52998224725").await;
    assert!(answer[0].starts_with("Encontrei seu boleto"), "{answer:?}");
}

both!(
    smart_groups_follow_fields_and_route_catch_all,
    atende_testkit::url,
    |db: String| async move {
        // the Cristal bot's rule: contacts whose `atividade_no_chat` says a human is on the
        // case get one catch-all flow, everyone else the bot
        let s = common::start(&db).await;
        let (_, flows) = s.get("/api/v1/flows").await;
        let bot = flows["results"][0]["uuid"].clone();
        let human = "7b1f4a52-9d0e-4c55-8a11-2f6e5d4c3b2a";
        let group = "0c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f";
        let export = json!({
            "flows": [{
                "uuid": human, "name": "Humano", "spec_version": "14.4.2", "language": "por",
                "type": "messaging", "revision": 1, "expire_after_minutes": 60, "localization": {},
                "nodes": [{"uuid": "8c2e4f6a-1b3d-4e5f-9a7b-0c1d2e3f4a5b",
                           "actions": [{"uuid": "9d3f5a7b-2c4e-4f6a-8b9c-1d2e3f4a5b6c", "type": "send_msg", "text": "Um atendente já vai falar com você."}],
                           "exits": [{"uuid": "ae4a6b8c-3d5f-4a7b-9c0d-2e3f4a5b6c7d"}]}]
            }],
            "fields": [{"key": "atividade_no_chat", "name": "Atividade no chat", "type": "text"}],
            "groups": [{"uuid": group, "name": "Atendimento humano", "query": "atividade_no_chat = \"Atendimento humano\""}],
            "triggers": [
                {"trigger_type": "C", "flow": {"uuid": human}, "groups": [{"uuid": group}]},
            ]
        });
        let (status, body) = s.post("/api/v1/import", &export).await;
        assert_eq!(status, 200, "{body}");
        // the demo's catch-all must not catch the human group's contacts
        let (status, body) = s.post("/api/v1/triggers", &json!({"trigger_type": "catch_all", "flow": {"uuid": bot}, "exclude_groups": [{"uuid": group}]})).await;
        assert_eq!(status, 201, "{body}");
        let (status, c) = s.post("/api/v1/contacts", &json!({"name": "João", "urns": ["webchat:visitor-gggg-0001"], "fields": {"atividade_no_chat": "Atendimento humano"}})).await;
        assert_eq!(status, 201, "{c}");
        assert_eq!(
            c["groups"][0]["uuid"], group,
            "smart group evaluated at creation: {c}"
        );
        assert_eq!(
            s.chat("visitor-gggg-0001", "oi").await,
            ["Um atendente já vai falar com você."]
        );
        // the field changes: the contact leaves the group and the bot answers again
        let uuid = c["uuid"].as_str().unwrap();
        let (status, changed) = s
            .post(
                &format!("/api/v1/contacts/{uuid}"),
                &json!({"fields": {"atividade_no_chat": "Bot"}}),
            )
            .await;
        assert_eq!(status, 200, "{changed}");
        assert!(changed["contact"].get("groups").is_none(), "{changed}");
        assert!(changed["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "contact_groups_changed"));
        let answer = s.chat("visitor-gggg-0001", "oi").await;
        assert!(answer[0].contains("Sou a Cris"), "{answer:?}");
        // goflow modifiers work as they are; bad ones are named
        let (status, body) = s
            .post(
                &format!("/api/v1/contacts/{uuid}/modify"),
                &json!({"modifiers": [{"type": "status", "status": "zombie"}]}),
            )
            .await;
        assert_eq!(status, 400);
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .starts_with("field 'modifiers[0]'"),
            "{body}"
        );
        let (status, body) = s
            .post(
                &format!("/api/v1/contacts/{uuid}/modify"),
                &json!({"modifiers": [{"type": "language", "language": "eng"}]}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["contact"]["language"], "eng");
    }
);

both!(
    a_urn_stays_with_its_contact,
    atende_testkit::url,
    |db: String| async move {
        let s = common::start(&db).await;
        let (_, a) = s
            .post(
                "/api/v1/contacts",
                &json!({"name": "Ana", "urns": ["tel:+5511911110000"]}),
            )
            .await;
        let (_, b) = s
            .post(
                "/api/v1/contacts",
                &json!({"name": "Bia", "urns": ["tel:+5511922220000"]}),
            )
            .await;
        let uuid = b["uuid"].as_str().unwrap();
        let (status, body) = s
        .post(&format!("/api/v1/contacts/{uuid}/modify"), &json!({"modifiers": [{"type": "urns", "urns": ["tel:+5511911110000"], "modification": "append"}]}))
        .await;
        assert_eq!(status, 422, "{body}");
        let owner = s
            .app
            .store
            .contact_by_urn("demo", "tel:+5511911110000")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(owner.contact.uuid, a["uuid"].as_str().unwrap());
        // a free URN is added, normalised
        let (status, body) = s
        .post(&format!("/api/v1/contacts/{uuid}/modify"), &json!({"modifiers": [{"type": "urns", "urns": ["tel:+55 11 93333-0000"], "modification": "append"}]}))
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(
            s.app
                .store
                .contact_by_urn("demo", "tel:+5511933330000")
                .await
                .unwrap()
                .is_some(),
            "{body}"
        );
    }
);

both!(
    scheduled_trigger_starts_its_group_once,
    atende_testkit::url,
    |db: String| async move {
        let a = common::start(&db).await;
        let b = common::start(&db).await;
        let group = "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8";
        let (status, body) = a
            .post(
                "/api/v1/groups",
                &json!({"uuid": group, "name": "Vencimento dia 10"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        for (name, urn) in [
            ("Ana", "webchat:visitor-hhhh-0001"),
            ("Bia", "webchat:visitor-hhhh-0002"),
        ] {
            let (status, c) = a
                .post(
                    "/api/v1/contacts",
                    &json!({"name": name, "urns": [urn], "groups": [group]}),
                )
                .await;
            assert_eq!(status, 201, "{c}");
        }
        let (_, flows) = a.get("/api/v1/flows").await;
        let flow = flows["results"][0]["uuid"].clone();
        let start = atende_store::wall_now() + jiff::SignedDuration::from_millis(800);
        let (status, body) = a
        .post("/api/v1/triggers", &json!({"trigger_type": "schedule", "flow": {"uuid": flow}, "groups": [{"uuid": group}],
            "schedule": {"start": start.to_string(), "repeat": "daily"}}))
        .await;
        assert_eq!(status, 201, "{body}");
        tokio::time::sleep(std::time::Duration::from_millis(900)).await;
        let (x, y) = tokio::join!(
            atende_server::processor::fire_due(&a.app),
            atende_server::processor::fire_due(&b.app)
        );
        assert_eq!(x.unwrap() + y.unwrap(), 1, "one firing, on one instance");
        for visitor in ["visitor-hhhh-0001", "visitor-hhhh-0002"] {
            let log = a.chat_log(visitor).await;
            assert_eq!(log.len(), 1, "{log:?}");
            assert!(log[0].1.contains("Sou a Cris"), "{log:?}");
        }
        // tomorrow's firing is booked
        let next: Vec<String> =
            sqlx::query_scalar("SELECT due_on FROM fires WHERE kind = 'trigger'")
                .fetch_all(a.app.store.pool())
                .await
                .unwrap();
        assert_eq!(next.len(), 1);
        let due: jiff::Timestamp = next[0].parse().unwrap();
        let in_a_day = (due - start).get_seconds();
        assert!((86_000..=86_400 + 3_600).contains(&in_a_day), "{in_a_day}");
    }
);

both!(
    whatsapp_parts_reach_the_channel,
    atende_testkit::url,
    |db: String| async move {
        // a Weni `send_whatsapp_msg` keeps its header, footer and list for the channel
        let s = common::start(&db).await;
        let flow = "5b0e7c1a-2f3d-4e5a-9b8c-7d6e5f4a3b2c";
        let export = json!({
            "version": "13",
            "flows": [{
                "uuid": flow, "name": "Menu WhatsApp", "spec_version": "13.1.0", "language": "por",
                "type": "messaging", "revision": 1, "expire_after_minutes": 60, "localization": {},
                "nodes": [{"uuid": "1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d",
                    "actions": [{"uuid": "2b3c4d5e-6f7a-4b2c-9d3e-4f5a6b7c8d9e", "type": "send_whatsapp_msg",
                        "header_type": "text", "header_text": "Atende Financeira", "text": "Como podemos ajudar?",
                        "footer": "Toque em uma opção", "interaction_type": "list", "button_text": "Ver opções",
                        "list_items": [{"uuid": "3c4d5e6f-7a8b-4c3d-8e4f-5a6b7c8d9e0f", "title": "Segunda via", "description": "Boleto do mês"}]}],
                    "exits": [{"uuid": "4d5e6f7a-8b9c-4d4e-9f5a-6b7c8d9e0f1a"}]}]
            }],
            "triggers": [{"trigger_type": "K", "keyword": "zap", "flow": {"uuid": flow}}]
        });
        let (status, body) = s.post("/api/v1/import", &export).await;
        assert_eq!(status, 200, "{body}");
        let out = s.chat("visitor-iiii-0001", "zap").await;
        assert_eq!(out, ["Como podemos ajudar?"]);
        let (_, page) = s
            .get(&format!(
                "/chat/api/messages?channel={}&visitor=visitor-iiii-0001",
                common::WEBCHAT
            ))
            .await;
        let msg = &page["results"][1];
        assert_eq!(msg["header"], "Atende Financeira", "{page}");
        assert_eq!(msg["footer"], "Toque em uma opção");
        assert_eq!(msg["quick_replies"][0], "Segunda via");
        let contact = s
            .app
            .store
            .contact_by_urn("demo", "webchat:visitor-iiii-0001")
            .await
            .unwrap()
            .unwrap()
            .contact
            .uuid;
        let (_, msgs) = s.get(&format!("/api/v1/contacts/{contact}/messages")).await;
        assert_eq!(
            msgs["results"][1]["extras"]["whatsapp"]["list"]["button_text"], "Ver opções",
            "{msgs}"
        );
    }
);
