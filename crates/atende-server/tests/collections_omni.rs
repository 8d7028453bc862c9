//! UC008 through HTTP: the omnichannel webhook receiver on a real server, on SQLite and
//! PostgreSQL. Every flow of the spec (basic: linked by the tabulation's attendance id;
//! FA001 CRM id → mass-action tabulation; FA002 CPF/CNPJ, FA004 phone, FA005 e-mail →
//! generic tabulation; FA006 unmatched, kept, listed and replayed), duplicate delivery,
//! the secret and the signature, array delivery and malformed bodies.

#![recursion_limit = "256"]

mod common;

use atende_store::portfolio::{
    content_hash, occurrence_source, NewOccurrence, NewPhone, NewRun, RemessaRecord, RunStart,
};
use atende_testkit::both;
use serde_json::{json, Value};

use common::{Server, TOKEN};

const WS: &str = "demo";
const SECRET: &str = "omni-shared-secret-0123";
const CPF_A: &str = "52998224725";
const CPF_B: &str = "11144477735";
const CPF_C: &str = "39053344705";
const WEBHOOK: &str = "/api/v1/collections/omni/demo/webhook";

async fn start(db: String) -> Server {
    let s = common::start(&db).await;
    let (status, body) = put_secret(&s, SECRET, Some(TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["webhook"], WEBHOOK);
    s
}

async fn put_secret(s: &Server, secret: &str, token: Option<&str>) -> (u16, Value) {
    let mut r = s
        .http
        .put(format!("{}/api/v1/collections/omni/secret", s.url))
        .header("Content-Type", "application/json")
        .body(json!({ "secret": secret }).to_string());
    if let Some(t) = token {
        r = r.header("Authorization", format!("Token {t}"));
    }
    answer(r).await
}

async fn answer(r: reqwest::RequestBuilder) -> (u16, Value) {
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Posts raw bytes to the webhook with the given headers (no API token).
async fn post_raw(s: &Server, path: &str, body: &[u8], headers: &[(&str, &str)]) -> (u16, Value) {
    let mut r = s
        .http
        .post(format!("{}{path}", s.url))
        .header("Content-Type", "application/json")
        .body(body.to_vec());
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    answer(r).await
}

/// Delivers a body with the shared secret header.
async fn deliver(s: &Server, body: &Value) -> (u16, Value) {
    post_raw(
        s,
        WEBHOOK,
        body.to_string().as_bytes(),
        &[("X-Atende-Secret", SECRET)],
    )
    .await
}

async fn event_count(s: &Server) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM omni_events")
        .fetch_one(s.app.store.pool())
        .await
        .unwrap()
}

async fn occurrence_count(s: &Server) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM occurrences")
        .fetch_one(s.app.store.pool())
        .await
        .unwrap()
}

fn customer(
    document: &str,
    crm: &str,
    contract: &str,
    phone: (&str, &str),
    email: &str,
) -> RemessaRecord {
    RemessaRecord {
        document: document.into(),
        name: "Cliente".into(),
        crm_id: Some(crm.into()),
        contract: contract.into(),
        portfolio: "528".into(),
        product: "VEICULOS".into(),
        phones: vec![NewPhone {
            ddd: phone.0.into(),
            number: phone.1.into(),
            kind: "CELULAR".into(),
            score: Some(80),
        }],
        emails: vec![email.into()],
        ..RemessaRecord::default()
    }
}

/// Loads customers as the day's remessa would.
async fn load(s: &Server, records: &[RemessaRecord]) {
    let store = &s.app.store;
    let now = atende_store::wall_now();
    let name = format!("remessa_{}", uuid::Uuid::new_v4());
    let mut tx = store.begin().await.unwrap();
    let RunStart::New(run) = tx
        .begin_run(
            WS,
            &NewRun {
                file_name: &name,
                layout: "test",
                content_hash: &content_hash(name.as_bytes()),
                file_date: jiff::civil::date(2024, 5, 2),
            },
            now,
        )
        .await
        .unwrap()
    else {
        panic!("a new file")
    };
    tx.commit().await.unwrap();
    let ctx = run.context(WS, now);
    let mut tx = store.begin().await.unwrap();
    for r in records {
        assert!(tx.upsert_remessa(&ctx, r).await.unwrap().is_applied());
    }
    tx.commit().await.unwrap();
}

/// Customer A (CRM-A, contract C-A1, (11) 98765-4321, maria@…) and B (CRM-B, contract
/// C-B1, (21) 3333-4444, joao@…).
async fn seed(s: &Server) {
    load(
        s,
        &[
            customer(
                CPF_A,
                "CRM-A",
                "C-A1",
                ("11", "987654321"),
                "maria@example.com",
            ),
            customer(
                CPF_B,
                "CRM-B",
                "C-B1",
                ("21", "33334444"),
                "joao@example.com",
            ),
        ],
    )
    .await;
}

/// The spec's attendance JSON (UC008 "JSON Atendimento"), with `id` and `info` given.
fn attendance(id: &str, info: Value, occurrences: Value) -> Value {
    let mut base = json!({
        "webhook_type": "attendance",
        "id": id,
        "origin": "receptive",
        "protocol": "20240502-1",
        "visitor_id": format!("visitor-of-{id}"),
        "bot_name": "",
        "bot_name_origin": "",
        "date_entry": "2021-05-01 19:14:36",
        "date_attendance": "2021-05-01 19:14:36",
        "date_terminated_robot": "2021-05-01 19:14:36",
        "date_attendance_human": "2021-05-01 19:14:36",
        "date_terminated": "2021-05-01 19:14:36",
        "count_return_robot": 0,
        "status_id": "3",
        "status": "Finalizado",
        "status_date": "2021-05-01 19:14:36",
        "channel": "whatsapp",
        "user": "MAIL",
        "user_name": "",
        "user_code": "",
        "reopened": 0,
        "occurrence_group_last": "",
        "occurrence_last": "",
        "occurrence_manifestation_last": "",
        "occurrence_money_last": "",
        "occurrence_success": "",
        "nps_stage": "",
        "nps_point": "",
        "recording_uri": "",
        "sla_time": "",
        "sla_time_executed": "",
        "info": {
            "document": "", "facebook": "", "mail": "", "name": "", "phone": "",
            "picture": "", "telegram": "", "whatsapp": "", "crm": "",
            "form": {"text-1634145065989-0": {"type": "text", "value": "Teste"}}
        },
        "custom": {"custom_1": "", "custom_2": "", "custom_3": "", "custom_4": "", "custom_5": ""},
        "messages": [
            {"id": "14b4304e-4986-11ec-a258-3e1637360071", "date_entry": "2021-05-01 19:14:36",
             "origin": "out", "channel": "chat", "type": "text/plain", "message": "", "status": "delivered"},
            {"id": "14b4304e-4986-11ec-a258-3e1637360076", "type": "image/png", "origin": "out",
             "channel": "chat", "message": {"uri": "https://xpto.png", "extension": "png", "name": "Nomedoarquivo.png"},
             "date_entry": "2021-05-01 19:14:36", "status": "delivered"}
        ],
        "occurrences": occurrences,
    });
    for (k, v) in info.as_object().unwrap() {
        base["info"][k] = v.clone();
    }
    base
}

fn occurrence_event(id: &str, attendance_id: &str) -> Value {
    json!({
        "webhook_type": "occurrence",
        "id": id,
        "attendance_id": attendance_id,
        "date_entry": "2021-11-19 19:14:51",
        "user": "anderson.silva@callflex.net.br",
        "bot_name": "1 - BOT",
        "channel": "chat",
        "occurrence_group": "TESTE",
        "occurrence": "PROMESSA",
        "manifestation": "zzzas222",
        "money": 0, "cpc": 0, "cpca": 0, "success": 0
    })
}

fn visitor_event(id: &str) -> Value {
    json!({
        "webhook_type": "visitor",
        "id": id,
        "ip": "199.199.199.199",
        "so": "Linux",
        "city": "São Paulo",
        "browser": "Chrome",
        "country": "BR",
        "bot_name": "136 - TTT",
        "lat_long": "-23.63,-46.6322",
        "reference": "",
        "date_entry": "2021-05-01 19:39:51"
    })
}

fn hsm_event(destiny: &str, status: &str) -> Value {
    json!({
        "webhook_type": "hsm",
        "id": "",
        "status": status,
        "channel": "whatsapp",
        "destiny": destiny,
        "bot_name": "",
        "date_entry": "2024-05-02 10:00:00",
        "parameters": "",
        "date_status": "2024-05-02 10:00:05",
        "template_id": "boleto_1"
    })
}

/// The occurrence a customer has with this id.
async fn occurrence(s: &Server, document: &str, id: &str) -> atende_store::portfolio::Occurrence {
    let all = s.app.store.occurrences_of(WS, document).await.unwrap();
    all.into_iter()
        .find(|o| o.id == id)
        .unwrap_or_else(|| panic!("no occurrence {id} for {document}"))
}

/// The portal's tabulation (UC010) of customer A for an omnichannel attendance.
fn portal_tabulation(attendance_id: &str) -> NewOccurrence {
    NewOccurrence {
        document: CPF_A.into(),
        crm_id: "CRM-A".into(),
        contract: "C-A1".into(),
        result_name: "PROMESSA DE PAGAMENTO".into(),
        attendance_id: attendance_id.into(),
        source: occurrence_source::PORTAL.into(),
        ..NewOccurrence::default()
    }
}

/// Records [`portal_tabulation`] in a transaction of its own; answers its id.
async fn tabulate(s: &Server, attendance_id: &str) -> String {
    let mut tx = s.app.store.begin().await.unwrap();
    let (id, created) = tx
        .insert_occurrence(
            WS,
            &portal_tabulation(attendance_id),
            &atende_store::time_text(atende_store::wall_now()),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(created);
    id
}

both!(
    basic_flow_links_by_the_tabulations_attendance_id,
    start,
    |s: Server| async move {
        seed(&s).await;
        // the portal recorded the agent's tabulation with the attendance id (UC010)
        let portal_id = tabulate(&s, "att-1").await;
        // the CPF of another customer is ignored: the attendance id comes first
        let (status, r) = deliver(
            &s,
            &attendance("att-1", json!({"document": CPF_B}), json!([])),
        )
        .await;
        assert_eq!(status, 200, "{r}");
        assert_eq!(
            (
                r["status"].as_str(),
                r["matched_by"].as_str(),
                r["duplicate"].as_bool()
            ),
            (Some("matched"), Some("attendance"), Some(false)),
            "{r}"
        );
        assert_eq!(r["occurrence_id"], portal_id.as_str());
        assert_eq!(r["event_key"], "attendance:att-1");
        // the tabulation event and the widget visit of the same attendance follow it
        let (_, r) = deliver(&s, &occurrence_event("occ-1", "att-1")).await;
        assert_eq!(
            (r["matched_by"].as_str(), r["occurrence_id"].as_str()),
            (Some("attendance"), Some(portal_id.as_str()))
        );
        let (_, r) = deliver(&s, &visitor_event("visitor-of-att-1")).await;
        assert_eq!(
            (r["matched_by"].as_str(), r["occurrence_id"].as_str()),
            (Some("attendance"), Some(portal_id.as_str())),
            "{r}"
        );
        // no tabulation was created: the portal's is the link
        assert_eq!(occurrence_count(&s).await, 1);
        let history = s
            .app
            .store
            .omni_history(WS, "529.982.247-25")
            .await
            .unwrap();
        let kinds: Vec<&str> = history.iter().map(|e| e.webhook_type.as_str()).collect();
        assert_eq!(
            kinds,
            ["visitor", "occurrence", "attendance"],
            "newest first"
        );
        assert!(history
            .iter()
            .all(|e| e.contract == "C-A1" && e.document == CPF_A));
        assert_eq!(
            history[2].payload["protocol"], "20240502-1",
            "the payload is kept"
        );
        assert!(s
            .app
            .store
            .omni_history(WS, CPF_B)
            .await
            .unwrap()
            .is_empty());
    }
);

both!(
    fa001_crm_id_creates_a_mass_action_tabulation,
    start,
    |s: Server| async move {
        seed(&s).await;
        // the tabulation arrives before the attendance closes: kept unmatched for now
        let (_, early) = deliver(&s, &occurrence_event("occ-2", "att-2")).await;
        assert_eq!(early["status"], "unmatched", "{early}");
        let occurrences = json!([{"id": "x", "cpc": 0, "cpca": 0, "money": 0, "success": 1,
            "date_entry": "2021-11-19 18:45:24", "group": "GRUPO", "occurrence": "ACORDO",
            "crm_id": "CRM-A", "manifestation": "LIVRE", "schedule_date": "0000-00-00 00:00:00"}]);
        // the CRM id comes before the CPF/CNPJ (B's)
        let (status, r) = deliver(
            &s,
            &attendance("att-2", json!({"document": CPF_B}), occurrences),
        )
        .await;
        assert_eq!(status, 200, "{r}");
        assert_eq!(
            (r["status"].as_str(), r["matched_by"].as_str()),
            (Some("matched"), Some("crm")),
            "{r}"
        );
        assert_eq!(r["linked_with"], 1, "the early tabulation event joins it");
        let id = r["occurrence_id"].as_str().unwrap().to_string();
        let o = occurrence(&s, CPF_A, &id).await;
        assert_eq!(o.data.source, "omni_mass_action");
        assert_eq!(o.data.attendance_id, "att-2");
        assert_eq!(o.data.contract, "C-A1");
        assert_eq!(o.data.crm_id, "CRM-A");
        assert_eq!(o.data.protocol, "20240502-1");
        assert_eq!(o.data.result_name, "ACORDO");
        assert_eq!(o.data.channel_type.map(i64::from), Some(5));
        // 19:14:36 in Brasília
        assert_eq!(
            o.data.attendance_started_on.as_deref(),
            Some("2021-05-01T22:14:36.000000Z")
        );
        let early = s
            .app
            .store
            .omni_event(WS, "occurrence:occ-2")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (early.status.as_str(), early.occurrence_id.as_str()),
            ("matched", id.as_str())
        );
        // info.crm works too, for customer B
        let (_, r) = deliver(&s, &attendance("att-3", json!({"crm": "CRM-B"}), json!([]))).await;
        assert_eq!(r["matched_by"], "crm");
        let o = occurrence(&s, CPF_B, r["occurrence_id"].as_str().unwrap()).await;
        assert_eq!(
            (o.data.source.as_str(), o.data.contract.as_str()),
            ("omni_mass_action", "C-B1")
        );
    }
);

both!(
    fa002_document_creates_a_generic_tabulation,
    start,
    |s: Server| async move {
        seed(&s).await;
        // an unknown CRM id falls through to the CPF/CNPJ, in any punctuation
        let (_, r) = deliver(
            &s,
            &attendance(
                "att-4",
                json!({"crm": "CRM-UNKNOWN", "document": "111.444.777-35"}),
                json!([]),
            ),
        )
        .await;
        assert_eq!(
            (r["status"].as_str(), r["matched_by"].as_str()),
            (Some("matched"), Some("document")),
            "{r}"
        );
        let o = occurrence(&s, CPF_B, r["occurrence_id"].as_str().unwrap()).await;
        assert_eq!(o.data.source, "omni_generic");
        assert_eq!(o.data.attendance_id, "att-4");
        assert_eq!(o.data.contract, "C-B1");
        let e = s
            .app
            .store
            .omni_event(WS, "attendance:att-4")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (e.document.as_str(), e.contract.as_str(), e.attempts),
            (CPF_B, "C-B1", 1)
        );
        assert!(e.matched_on.is_some());
    }
);

both!(
    fa004_phone_and_fa005_email_create_generic_tabulations,
    start,
    |s: Server| async move {
        seed(&s).await;
        // FA004: an HSM's destiny with +55 and punctuation against A's (11) 98765-4321
        let (_, r) = deliver(&s, &hsm_event("+55 (11) 98765-4321", "delivered")).await;
        assert_eq!(
            (r["status"].as_str(), r["matched_by"].as_str()),
            (Some("matched"), Some("phone")),
            "{r}"
        );
        assert!(
            r["event_key"].as_str().unwrap().starts_with("hsm:sha256:"),
            "{r}"
        );
        let o = occurrence(&s, CPF_A, r["occurrence_id"].as_str().unwrap()).await;
        assert_eq!(o.data.source, "omni_generic");
        assert_eq!(o.data.phone_worked, "11987654321");
        assert_eq!(o.data.result_name, "HSM delivered");
        assert_eq!(o.data.channel_type.map(i64::from), Some(5));
        // the attendance's whatsapp as a WhatsApp id, and a landline in info.phone
        let (_, r) = deliver(
            &s,
            &attendance(
                "att-5",
                json!({"whatsapp": "5511987654321@c.us"}),
                json!([]),
            ),
        )
        .await;
        assert_eq!(r["matched_by"], "phone", "{r}");
        let (_, r) = deliver(
            &s,
            &attendance("att-6", json!({"phone": "(21) 3333-4444"}), json!([])),
        )
        .await;
        assert_eq!(r["matched_by"], "phone", "{r}");
        occurrence(&s, CPF_B, r["occurrence_id"].as_str().unwrap()).await;
        // FA005: an unknown phone falls through to the e-mail (any case)
        let (_, r) = deliver(
            &s,
            &attendance(
                "att-7",
                json!({"phone": "(31) 99999-0000", "mail": "JOAO@Example.com"}),
                json!([]),
            ),
        )
        .await;
        assert_eq!(
            (r["status"].as_str(), r["matched_by"].as_str()),
            (Some("matched"), Some("email")),
            "{r}"
        );
        let o = occurrence(&s, CPF_B, r["occurrence_id"].as_str().unwrap()).await;
        assert_eq!(
            (o.data.source.as_str(), o.data.attendance_id.as_str()),
            ("omni_generic", "att-7")
        );
        // a phone two customers share links neither
        load(
            &s,
            &[customer(
                CPF_C,
                "CRM-C",
                "C-C1",
                ("11", "987654321"),
                "c@example.com",
            )],
        )
        .await;
        let (_, r) = deliver(&s, &hsm_event("11987654321", "error")).await;
        assert_eq!(r["status"], "unmatched", "{r}");
    }
);

both!(
    fa006_unmatched_is_kept_listed_and_replayed,
    start,
    |s: Server| async move {
        seed(&s).await;
        let unknown = |id: &str, doc: &str| {
            attendance(
                id,
                json!({"document": doc, "phone": "(31) 99999-0000", "mail": "nobody@example.com"}),
                json!([]),
            )
        };
        for (id, doc) in [("att-8", CPF_C), ("att-9", "00000000191"), ("att-10", "")] {
            let (status, r) = deliver(&s, &unknown(id, doc)).await;
            assert_eq!(status, 200);
            assert_eq!(
                (
                    r["status"].as_str(),
                    r["matched_by"].as_str(),
                    r["occurrence_id"].as_str()
                ),
                (Some("unmatched"), Some(""), Some("")),
                "{r}"
            );
        }
        // the widget visit of an unmatched attendance waits as well
        let (_, r) = deliver(&s, &visitor_event("visitor-of-att-8")).await;
        assert_eq!(r["status"], "unmatched");
        assert_eq!(event_count(&s).await, 4, "kept");
        assert_eq!(occurrence_count(&s).await, 0);
        let (status, page) = s.get("/api/v1/collections/omni/unmatched?limit=3").await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["total"], 4);
        let keys: Vec<&str> = page["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event_key"].as_str().unwrap())
            .collect();
        assert_eq!(
            keys,
            ["attendance:att-8", "attendance:att-9", "attendance:att-10"],
            "oldest first"
        );
        assert_eq!(page["results"][0]["payload"]["info"]["document"], CPF_C);
        let (_, page) = s
            .get("/api/v1/collections/omni/unmatched?limit=3&offset=3")
            .await;
        assert_eq!(page["results"][0]["event_key"], "visitor:visitor-of-att-8");
        let (status, bad) = s.get("/api/v1/collections/omni/unmatched?limit=x").await;
        assert_eq!(status, 400);
        assert!(bad["error"].as_str().unwrap().contains("'limit'"), "{bad}");
        // nothing new: a replay examines all, links none
        let (status, done) = s.post("/api/v1/collections/omni/replay", &json!({})).await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done, json!({"examined": 4, "matched": 0, "unmatched": 4}));
        // the day's remessa brings customer C; the replay links its attendance and visit
        load(
            &s,
            &[customer(
                CPF_C,
                "CRM-C",
                "C-C1",
                ("41", "987650000"),
                "c@example.com",
            )],
        )
        .await;
        let (_, done) = s.post("/api/v1/collections/omni/replay", &json!({})).await;
        assert_eq!(
            done,
            json!({"examined": 3, "matched": 2, "unmatched": 2}),
            "the visit joins its attendance"
        );
        let e = s
            .app
            .store
            .omni_event(WS, "attendance:att-8")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (e.status.as_str(), e.matched_by.as_str(), e.attempts),
            ("matched", "document", 3)
        );
        let o = occurrence(&s, CPF_C, &e.occurrence_id).await;
        assert_eq!(o.data.source, "omni_generic");
        let history = s.app.store.omni_history(WS, CPF_C).await.unwrap();
        assert_eq!(history.len(), 2);
        let still = s
            .app
            .store
            .omni_event(WS, "attendance:att-9")
            .await
            .unwrap()
            .unwrap();
        assert_eq!((still.status.as_str(), still.attempts), ("unmatched", 3));
        let (_, page) = s.get("/api/v1/collections/omni/unmatched").await;
        assert_eq!(page["total"], 2);
        // replay again: one tabulation per event, whatever happens
        s.post("/api/v1/collections/omni/replay?limit=1", &json!({}))
            .await;
        assert_eq!(occurrence_count(&s).await, 1);
        // token auth on the log and the replay
        let (status, _) = post_raw(&s, "/api/v1/collections/omni/replay", b"", &[]).await;
        assert_eq!(status, 401);
        let (status, _) = post_raw(
            &s,
            "/api/v1/collections/omni/replay",
            b"",
            &[("X-Atende-Secret", SECRET)],
        )
        .await;
        assert_eq!(status, 401);
    }
);

both!(
    duplicate_delivery_is_idempotent,
    start,
    |s: Server| async move {
        seed(&s).await;
        let event = attendance("att-11", json!({"document": CPF_A}), json!([]));
        let (_, first) = deliver(&s, &event).await;
        assert_eq!(
            (first["duplicate"].as_bool(), first["matched_by"].as_str()),
            (Some(false), Some("document"))
        );
        let (status, again) = deliver(&s, &event).await;
        assert_eq!(status, 200);
        assert_eq!(again["duplicate"], true, "{again}");
        assert_eq!(again["occurrence_id"], first["occurrence_id"]);
        assert_eq!(again["status"], "matched");
        assert_eq!((event_count(&s).await, occurrence_count(&s).await), (1, 1));
        // an hsm has no id: the same content, keys reordered and spaced, is the same event
        let (_, h1) = deliver(&s, &hsm_event("+5511987654321", "delivered")).await;
        let reordered = r#"{ "template_id":"boleto_1", "date_status":"2024-05-02 10:00:05", "parameters":"",
            "date_entry":"2024-05-02 10:00:00", "bot_name":"", "destiny":"+5511987654321",
            "channel":"whatsapp", "status":"delivered", "id":"", "webhook_type":"hsm" }"#;
        let (_, h2) = post_raw(
            &s,
            WEBHOOK,
            reordered.as_bytes(),
            &[("X-Atende-Secret", SECRET)],
        )
        .await;
        assert_eq!(
            (h1["duplicate"].as_bool(), h2["duplicate"].as_bool()),
            (Some(false), Some(true)),
            "{h2}"
        );
        assert_eq!(h1["event_key"], h2["event_key"]);
        // another status of the same message is another event
        let (_, h3) = deliver(&s, &hsm_event("+5511987654321", "error")).await;
        assert_eq!(h3["duplicate"], false);
        assert_eq!((event_count(&s).await, occurrence_count(&s).await), (3, 3));
    }
);

both!(
    bad_secret_or_signature_is_refused_and_nothing_stored,
    start,
    |s: Server| async move {
        seed(&s).await;
        let body = attendance("att-12", json!({"document": CPF_A}), json!([])).to_string();
        let body = body.as_bytes();
        let refused: [&[(&str, &str)]; 5] = [
            &[],
            &[("X-Atende-Secret", "omni-shared-secret-0124")],
            &[("X-Atende-Secret", "")],
            &[("X-Atende-Signature", "sha256=00ff")],
            &[("Authorization", "Token test-token-0123456789")],
        ];
        for headers in refused {
            let (status, r) = post_raw(&s, WEBHOOK, body, headers).await;
            assert_eq!(status, 401, "{headers:?}: {r}");
            assert!(
                r["error"].as_str().unwrap().contains("X-Atende-Secret"),
                "{r}"
            );
        }
        // signed with another key, or the body changed after signing
        let other = atende_server::http::ext::sign("another-secret-0000000", body);
        let (status, _) =
            post_raw(&s, WEBHOOK, body, &[("X-Atende-Signature", other.as_str())]).await;
        assert_eq!(status, 401);
        let signed = atende_server::http::ext::sign(SECRET, body);
        let mut tampered = body.to_vec();
        tampered.extend_from_slice(b" ");
        let (status, _) = post_raw(
            &s,
            WEBHOOK,
            &tampered,
            &[("X-Atende-Signature", signed.as_str())],
        )
        .await;
        assert_eq!(status, 401);
        // a workspace without a secret takes nothing
        let (status, _) = post_raw(
            &s,
            "/api/v1/collections/omni/nobody/webhook",
            body,
            &[("X-Atende-Secret", SECRET)],
        )
        .await;
        assert_eq!(status, 401);
        assert_eq!((event_count(&s).await, occurrence_count(&s).await), (0, 0));
        // the right signature is accepted
        let (status, r) = post_raw(
            &s,
            WEBHOOK,
            body,
            &[("X-Atende-Signature", signed.as_str())],
        )
        .await;
        assert_eq!(status, 200, "{r}");
        assert_eq!(r["matched_by"], "document");
        // a new secret replaces the old one; setting it needs the API token and a long secret
        let (status, _) = put_secret(&s, "a-brand-new-secret-42", None).await;
        assert_eq!(status, 401);
        let (status, r) = put_secret(&s, "short", Some(TOKEN)).await;
        assert_eq!(status, 400);
        assert!(r["error"].as_str().unwrap().contains("'secret'"), "{r}");
        let (status, _) = put_secret(&s, "a-brand-new-secret-42", Some(TOKEN)).await;
        assert_eq!(status, 200);
        let hsm = hsm_event("+5511987654321", "delivered").to_string();
        let (status, _) =
            post_raw(&s, WEBHOOK, hsm.as_bytes(), &[("X-Atende-Secret", SECRET)]).await;
        assert_eq!(status, 401);
        let (status, _) = post_raw(
            &s,
            WEBHOOK,
            hsm.as_bytes(),
            &[("X-Atende-Secret", "a-brand-new-secret-42")],
        )
        .await;
        assert_eq!(status, 200);
    }
);

both!(array_delivery_resume_users, start, |s: Server| async move {
    let users = json!([
        {"webhook_type": "resume_users", "date": "2021-12-28", "user_id": 1,
         "user_name": "Usuário de atendimento 1", "user": "anderson.silva@callflex.net.br",
         "login": "2021-12-28 15:36:12", "logout": "2021-12-28 16:26:38",
         "journey": "00:50:26.000000", "available": "00:39:36.000000",
         "unavailable": "00:00:02.000000", "break": "00:00:00.000000"},
        {"webhook_type": "resume_users", "date": "2021-12-28", "user_id": 2,
         "user_name": "Usuário de atendimento 2", "user": "maria@callflex.net.br",
         "login": "2021-12-28 08:00:00", "logout": "2021-12-28 17:00:00",
         "journey": "09:00:00.000000", "available": "08:00:00.000000",
         "unavailable": "00:30:00.000000", "break": "00:30:00.000000"}
    ]);
    let (status, r) = deliver(&s, &users).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        (
            r["received"].as_i64(),
            r["duplicates"].as_i64(),
            r["duplicate"].as_bool()
        ),
        (Some(2), Some(0), Some(false)),
        "{r}"
    );
    let results = r["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .all(|x| x["status"] == "stored" && x["webhook_type"] == "resume_users"),
        "{r}"
    );
    assert_ne!(results[0]["event_key"], results[1]["event_key"]);
    // agents' summaries are not customers: not in the unmatched log
    let (_, page) = s.get("/api/v1/collections/omni/unmatched").await;
    assert_eq!(page["total"], 0);
    let (_, again) = deliver(&s, &users).await;
    assert_eq!(
        (again["duplicates"].as_i64(), again["duplicate"].as_bool()),
        (Some(2), Some(true))
    );
    // a mixed array: each event on its own
    let (_, mixed) = deliver(&s, &json!([users[0].clone(), visitor_event("v-x")])).await;
    assert_eq!(
        (mixed["duplicates"].as_i64(), mixed["duplicate"].as_bool()),
        (Some(1), Some(false))
    );
    assert_eq!(mixed["results"][1]["status"], "unmatched");
    assert_eq!(event_count(&s).await, 3);
});

both!(
    malformed_body_is_400_naming_the_path,
    start,
    |s: Server| async move {
        let cases: [(&str, &str); 8] = [
            (
                r#"[{"webhook_type": "hsm", "id": ""}, {"webhook_type": "attendance", "info": {"phone": 11 98}}]"#,
                "$[1].info",
            ),
            (
                r#"{"webhook_type": "attendance", "id": "a", "info": {"document": "5299"#,
                "$.info.document",
            ),
            (
                r#"[{"webhook_type": "hsm", "id": ""}, {"webhook_type": "chamada", "id": "1"}]"#,
                "$[1].webhook_type",
            ),
            (r#"{"webhook_type": "attendance", "protocol": "1"}"#, "$.id"),
            (
                r#"{"webhook_type": "attendance", "id": "a", "info": {"crm": ["1"]}}"#,
                "$.info.crm",
            ),
            (
                r#"{"webhook_type": "attendance", "id": "a", "occurrences": [{"crm_id": {}}]}"#,
                "$.occurrences[0].crm_id",
            ),
            (r#""attendance""#, "$ must be"),
            ("", "$: the body is empty"),
        ];
        for (body, path) in cases {
            let (status, r) =
                post_raw(&s, WEBHOOK, body.as_bytes(), &[("X-Atende-Secret", SECRET)]).await;
            assert_eq!(status, 400, "{body}: {r}");
            let error = r["error"].as_str().unwrap();
            assert!(error.starts_with(path), "{body}: {error}");
        }
        // the valid first events of the refused arrays were not stored either
        assert_eq!(event_count(&s).await, 0);
    }
);

both!(
    events_before_their_tabulation_are_linked_when_it_arrives,
    start,
    |s: Server| async move {
        seed(&s).await;
        // the platform posts the attendance, its widget visit and its occurrence before
        // the agent's tabulation reaches the portal: none names a known customer
        for event in [
            attendance("att-early", json!({}), json!([])),
            visitor_event("visitor-of-att-early"),
            occurrence_event("occ-early", "att-early"),
        ] {
            let (status, r) = deliver(&s, &event).await;
            assert_eq!(
                (status, r["status"].as_str()),
                (200, Some("unmatched")),
                "{r}"
            );
        }
        let (unmatched, total) = s.app.store.omni_unmatched(WS, 0, 10).await.unwrap();
        assert_eq!((unmatched.len(), total), (3, 3));
        let occurrence_id = tabulate(&s, "att-early").await;
        assert_eq!(s.app.store.omni_unmatched(WS, 0, 10).await.unwrap().1, 0);
        for key in [
            "attendance:att-early",
            "visitor:visitor-of-att-early",
            "occurrence:occ-early",
        ] {
            let e = s.app.store.omni_event(WS, key).await.unwrap().unwrap();
            assert_eq!(
                (
                    e.status.as_str(),
                    e.matched_by.as_str(),
                    e.occurrence_id.as_str()
                ),
                ("matched", "attendance", occurrence_id.as_str()),
                "{key}"
            );
        }
        // an event of another attendance stays where it was
        let (_, r) = deliver(&s, &attendance("att-other", json!({}), json!([]))).await;
        assert_eq!(r["status"], "unmatched");
        tabulate(&s, "att-unrelated").await;
        assert_eq!(s.app.store.omni_unmatched(WS, 0, 10).await.unwrap().1, 1);
    }
);

both!(
    an_event_arriving_while_its_tabulation_is_being_recorded_is_linked,
    start,
    |s: Server| async move {
        seed(&s).await;
        // the tabulation's transaction is open (not committed) when the attendance
        // arrives on another connection: neither sees the other's row. The event must
        // wait for the tabulation and then find it, not be stored unmatched.
        let mut tx = s.app.store.begin().await.unwrap();
        let (occurrence_id, _) = tx
            .insert_occurrence(
                WS,
                &portal_tabulation("att-race"),
                &atende_store::time_text(atende_store::wall_now()),
            )
            .await
            .unwrap();
        let s = std::sync::Arc::new(s);
        let delivery = tokio::spawn({
            let s = s.clone();
            async move { deliver(&s, &attendance("att-race", json!({}), json!([]))).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        tx.commit().await.unwrap();
        let (status, r) = delivery.await.unwrap();
        assert_eq!(status, 200, "{r}");
        assert_eq!(
            (r["status"].as_str(), r["occurrence_id"].as_str()),
            (Some("matched"), Some(occurrence_id.as_str())),
            "{r}"
        );
    }
);

#[tokio::test]
async fn openapi_lists_the_omnichannel_routes() {
    {
        let s = common::start(&atende_testkit::sqlite_url()).await;
        let (_, doc) = s.get("/api/openapi.json").await;
        for (path, method) in [
            ("/api/v1/collections/omni/{workspace}/webhook", "post"),
            ("/api/v1/collections/omni/secret", "put"),
            ("/api/v1/collections/omni/unmatched", "get"),
            ("/api/v1/collections/omni/replay", "post"),
        ] {
            assert!(
                doc["paths"][path][method].is_object(),
                "{path} {method} missing"
            );
        }
        assert!(
            doc["paths"]["/api/v1/collections/omni/{workspace}/webhook"]["post"]
                .get("security")
                .is_none()
        );
    }
}
