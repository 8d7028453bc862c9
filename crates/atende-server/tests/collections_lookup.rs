//! UC009, the customer lookup, through HTTP on both backends: the basic flow (by CPF
//! punctuated or not, by alphanumeric CNPJ, by CRM id; the whole record), FA001 (not
//! found → 404), an invalid document (400), no token (401), another workspace's token
//! (404), FA002 (store unavailable → 503, no partial answer).

mod common;

use atende_collections::{sample, Layouts};
use atende_ingest::{import_file, FileOutcome};
use atende_store::portfolio::{
    content_hash, Address, Agreement, ChannelType, Guarantee, ImportContext, Installment,
    MassActionInfo, NewOccurrence, NewPhone, NewRun, RefinOffer, RemessaRecord, RunStart,
};
use atende_store::Store;
use atende_testkit::both;
use jiff::civil::{date, Date};
use serde_json::{json, Value};

use common::Server;

const WS: &str = atende_server::demo::WORKSPACE;
const CPF: &str = "52998224725";
const CNPJ: &str = "12ABC34501DE35";
const C1: &str = "100200300";
const C2: &str = "100200301";
const C3: &str = "300400500";

fn day() -> Date {
    date(2023, 8, 4)
}

/// When the seed's rows are written: the acordo rows carry it.
fn seeded_at() -> jiff::Timestamp {
    "2023-08-04T09:00:00Z".parse().unwrap()
}

/// A run for rows written straight through the store (as the importer would).
async fn context(store: &Store, name: &str) -> ImportContext {
    let hash = content_hash(name.as_bytes());
    let mut tx = store.begin().await.unwrap();
    let RunStart::New(run) = tx
        .begin_run(
            WS,
            &NewRun {
                file_name: name,
                layout: "test",
                content_hash: &hash,
                file_date: day(),
            },
            atende_store::wall_now(),
        )
        .await
        .unwrap()
    else {
        panic!("a new run")
    };
    tx.commit().await.unwrap();
    run.context(WS, seeded_at())
}

fn phone(ddd: &str, number: &str, kind: &str, score: Option<i64>) -> NewPhone {
    NewPhone {
        ddd: ddd.into(),
        number: number.into(),
        kind: kind.into(),
        score,
    }
}

fn remessa(document: &str, name: &str, contract: &str, value: i64) -> RemessaRecord {
    RemessaRecord {
        document: document.into(),
        name: name.into(),
        crm_id: None,
        contract: contract.into(),
        portfolio: "528".into(),
        product: "VEICULOS".into(),
        days_late: Some(35),
        installment_value_cents: Some(value),
        extra: [("COD_PRODUTO".to_string(), json!("528"))]
            .into_iter()
            .collect(),
        addresses: vec![Address {
            kind: "RESIDENCIAL".into(),
            street: "Rua das Flores".into(),
            number: "10".into(),
            district: "Centro".into(),
            city: "São Paulo".into(),
            state: "SP".into(),
            zip: "01001000".into(),
            ..Address::default()
        }],
        phones: vec![
            phone("11", "987654321", "CELULAR", None),
            phone("11", "33334444", "RESIDENCIAL", None),
        ],
        emails: vec!["maria@example.com".into()],
    }
}

fn occurrence(contract: &str, result: &str, boleto: &str, channel: ChannelType) -> NewOccurrence {
    NewOccurrence {
        document: CPF.into(),
        crm_id: String::new(),
        contract: contract.into(),
        campaign_id: "CAMP1".into(),
        result_code: result.into(),
        result_name: format!("Resultado {result}"),
        phone_worked: "11987654321".into(),
        scheduled_phone: "11987654321".into(),
        installments: "3,4".into(),
        user_login: "ana.souza".into(),
        channel_type: Some(channel),
        boleto_sent_by: boleto.into(),
        source: atende_store::portfolio::occurrence_source::PORTAL.into(),
        ..NewOccurrence::default()
    }
}

/// The portfolio of the test: Maria (CPF, two contracts sharing a phone, installments,
/// a vehicle, REFIN, an enrichment phone, an acordo, marks, five occurrences,
/// omnichannel events and two proposals), a company (alphanumeric CNPJ, an acordo only), and 20 customers of a
/// generated remessa imported by atende-ingest.
async fn seed(s: &Server) {
    let store = &s.app.store;
    let layouts = Layouts::defaults();
    let l = layouts.get("remessa").unwrap();
    let report = import_file(
        store,
        &layouts,
        WS,
        &l.file_name(day().at(6, 0, 0, 0), "528"),
        &sample(l, 20, 7, day()).to_bytes(),
        &mut (),
    )
    .await
    .unwrap();
    assert_eq!(report.outcome, FileOutcome::Imported, "{}", report.message);

    let ctx = context(store, "lookup-seed").await;
    let mut tx = store.begin().await.unwrap();
    let refused = tx
        .upsert_remessa_batch(
            &ctx,
            &[
                remessa("529.982.247-25", "Maria Silva", C1, 59_537),
                RemessaRecord {
                    phones: vec![
                        phone("11", "987654321", "CELULAR", None),
                        phone("11", "955554444", "CELULAR", None),
                    ],
                    ..remessa(CPF, "Maria Silva", C2, 41_000)
                },
                RemessaRecord {
                    phones: vec![phone("31", "32221111", "COMERCIAL", None)],
                    emails: vec![],
                    ..remessa(CNPJ, "Transportes ABC Ltda", C3, 120_000)
                },
            ],
        )
        .await
        .unwrap();
    assert!(refused.is_empty(), "{refused:?}");
    assert!(tx
        .add_enrichment_phones(&ctx, C1, &[phone("21", "998887777", "", Some(700))])
        .await
        .unwrap()
        .is_applied());
    let installments: Vec<Installment> = [C1, C2]
        .iter()
        .flat_map(|c| {
            (1..=3).map(move |n| Installment {
                contract: c.to_string(),
                number: n,
                due_date: Some(date(2023, 5 + n as i8, 10)),
                value_cents: Some(59_537),
                balance_cents: Some(61_000),
                days_late: Some(30),
                status: "ABERTA".into(),
                extra: Default::default(),
            })
        })
        .collect();
    assert!(tx
        .put_installments(&ctx, &installments)
        .await
        .unwrap()
        .is_empty());
    assert!(tx
        .put_guarantee(
            &ctx,
            &Guarantee {
                contract: C1.into(),
                seq: 1,
                kind: "veiculo".into(),
                make: "FIAT".into(),
                model: "ARGO DRIVE 1.0".into(),
                manufacture_year: Some(2020),
                model_year: Some(2021),
                plate: "ABC1D23".into(),
                ..Guarantee::default()
            },
        )
        .await
        .unwrap()
        .is_applied());
    assert!(tx
        .put_refin(
            &ctx,
            &RefinOffer {
                contract: C1.into(),
                delay_band: "d) 91 a 120".into(),
                collection: "01, Melhor".into(),
                overdue_installments: Some(4),
                total_refinanced_cents: Some(2_381_480),
                monthly_interest: Some("1.66".into()),
                first_due_date: Some(date(2023, 8, 11)),
                agency: "AeC".into(),
                priority: Some(2),
                ..RefinOffer::default()
            },
        )
        .await
        .unwrap()
        .is_applied());
    for (contract, n, due) in [(C2, 1, date(2023, 7, 10)), (C3, 1, date(2023, 7, 20))] {
        assert!(tx
            .write_off_agreement(
                &ctx,
                &Agreement {
                    contract: contract.into(),
                    agreement_no: "A-77".into(),
                    installment_no: n,
                    due_date: Some(due),
                    amount_cents: Some(30_000),
                    total_debt_cents: Some(90_000),
                    ..Agreement::default()
                },
            )
            .await
            .unwrap()
            .is_applied());
    }
    assert!(tx
        .record_agreement(
            &ctx,
            &Agreement {
                contract: C3.into(),
                agreement_no: "A-77".into(),
                installment_no: 2,
                due_date: Some(date(2023, 8, 20)),
                amount_cents: Some(30_000),
                total_debt_cents: Some(90_000),
                ..Agreement::default()
            },
        )
        .await
        .unwrap()
        .is_applied());
    assert!(tx
        .mark_email(
            &ctx,
            CPF,
            "maria@example.com",
            &MassActionInfo {
                protocol: "P-1".into(),
                sent_on: Some("2023-08-01T12:00:00Z".parse().unwrap()),
                message: "Oferta".into(),
            },
        )
        .await
        .unwrap()
        .is_applied());
    assert!(tx
        .mark_whatsapp(&ctx, C1, "11", "987654321", "jornada1")
        .await
        .unwrap()
        .is_applied());
    // five occurrences, an hour apart (UTC); two sent a boleto
    for (i, (contract, result, boleto, channel)) in [
        (C1, "R1", "", ChannelType::Phone),
        (C2, "R2", "email", ChannelType::Email),
        (C1, "R3", "", ChannelType::Whatsapp),
        (C1, "R4", "whatsapp", ChannelType::Whatsapp),
        ("", "R5", "", ChannelType::Sms),
    ]
    .into_iter()
    .enumerate()
    {
        tx.insert_occurrence(
            WS,
            &occurrence(contract, result, boleto, channel),
            &format!("2023-08-01T{:02}:05:00.000000Z", 12 + i),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    // what the omnichannel receiver and the portal's proposal update write (their own
    // work items); here as rows
    for (key, kind, document, received) in [
        ("e1", "attendance", CPF, "2023-08-01T12:00:00.000000Z"),
        ("e2", "visitor", CPF, "2023-08-01T12:01:00.000000Z"),
        ("e3", "hsm", CPF, "2023-08-01T12:02:00.000000Z"),
        ("e4", "attendance", CPF, "2023-08-01T12:03:00.000000Z"),
        ("e5", "attendance", "", "2023-08-01T12:04:00.000000Z"),
        ("e6", "resume_users", CPF, "2023-08-01T12:05:00.000000Z"),
    ] {
        sqlx::query(
            "INSERT INTO omni_events (workspace_id, event_key, webhook_type, event_id, attendance_id, payload,
                status, matched_by, document, contract, occurrence_id, attempts, received_on, matched_on)
             VALUES ($1, $2, $3, $4, 'att-1', $5, 'matched', 'document', $6, $7, '', 1, $8, $8)",
        )
        .bind(WS)
        .bind(key)
        .bind(kind)
        .bind(format!("id-{key}"))
        .bind(json!({"webhook_type": kind, "id": format!("id-{key}")}).to_string())
        .bind(document)
        .bind(C1)
        .bind(received)
        .execute(store.pool())
        .await
        .unwrap();
    }
    // Maria's latest proposal is newer than her acordo (seeded_at), the other older
    for (id, created, kind) in [
        ("p-old", "2023-08-01T00:00:00.000000Z", "Quitação"),
        ("p-new", "2023-08-04T10:00:00.000000Z", "Parcial"),
    ] {
        sqlx::query(
            "INSERT INTO proposals (workspace_id, id, contract, document, attendance_id, ticket, user_login,
                agreement_type, proposed_cents, installments_count, down_payment_cents, first_due_date,
                fields, idempotency_key, created_on)
             VALUES ($1, $2, $3, $4, 'att-1', 'T-9', 'ana.souza', $5, 90000, 3, 10000, '2023-08-15',
                $6, '', $7)",
        )
        .bind(WS)
        .bind(id)
        .bind(C1)
        .bind(CPF)
        .bind(kind)
        .bind(json!({"rndRefin": false}).to_string())
        .bind(created)
        .execute(store.pool())
        .await
        .unwrap();
    }
}

async fn started(db: String) -> Server {
    let s = common::start(&db).await;
    seed(&s).await;
    s
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x[key].as_str().unwrap().to_string())
        .collect()
}

both!(
    lookup_by_document_and_crm_id,
    started,
    |s: Server| async move {
        let (status, m) = s.get("/api/v1/collections/customers/529.982.247-25").await;
        assert_eq!(status, 200, "{m}");
        assert_eq!(m["name"], "Maria Silva");
        assert_eq!(m["document"], CPF);
        assert_eq!(m["person_type"], "F");
        // contracts by number, with the map's fields
        assert_eq!(strings(&m["contracts"], "contract"), [C1, C2]);
        let c1 = &m["contracts"][0];
        assert_eq!(c1["portfolio"], "528");
        assert_eq!(c1["status"], "ATIVO");
        assert_eq!(c1["days_late"], 35);
        assert_eq!(c1["installment_value_cents"], 59_537);
        assert_eq!(
            c1["financed_asset"],
            json!({"make": "FIAT", "model": "ARGO DRIVE 1.0", "manufacture_year": 2020, "model_year": 2021})
        );
        assert_eq!(c1["guarantees"][0]["plate"], "ABC1D23");
        assert_eq!(c1["refin"][0]["delay_band"], "d) 91 a 120");
        assert_eq!(c1["refin"][0]["total_refinanced_cents"], 2_381_480);
        assert_eq!(c1["refin"][0]["monthly_interest"], "1.66");
        assert_eq!(c1["installments"].as_array().unwrap().len(), 3);
        assert_eq!(c1["installments"][2]["due_date"], "2023-08-10");
        let numbers: Vec<_> = c1["installments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["number"].as_i64().unwrap())
            .collect();
        assert_eq!(numbers, [1, 2, 3], "installments by number");
        let keys = keys_of(&c1["installments"][0]);
        assert_eq!(
            keys,
            [
                "balance_cents",
                "days_late",
                "due_date",
                "extra",
                "number",
                "status",
                "value_cents"
            ],
            "an installment's keys (the contract is the enclosing object's)"
        );
        assert_eq!(m["contracts"][1]["financed_asset"], Value::Null);
        assert_eq!(
            m["contracts"][1]["status"], "BLOQUEIO PARCIAL",
            "the acordo baixado blocks the contract"
        );
        // available phones: each number once, the enrichment phone last
        let phones = m["phones"].as_array().unwrap();
        let numbers: Vec<String> = phones
            .iter()
            .map(|p| {
                format!(
                    "{}{}",
                    p["ddd"].as_str().unwrap(),
                    p["number"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(
            numbers,
            ["11987654321", "1133334444", "11955554444", "21998887777"]
        );
        assert_eq!(phones[0]["kind"], "CELULAR");
        assert_eq!(phones[0]["contracts"], json!([C1, C2]));
        assert_eq!(phones[1]["contracts"], json!([C1]));
        assert_eq!(phones[3]["origin"], "Enriquecimento 1");
        assert_eq!(phones[3]["score"], 700);
        assert_eq!(c1["phones"].as_array().unwrap().len(), 3);
        // counts
        assert_eq!(m["contacts_made"], 5);
        assert_eq!(m["boletos_sent"], 2);
        // occurrences newest first, with local date and time (São Paulo, UTC-3)
        let occ = &m["occurrences"];
        assert_eq!(strings(occ, "result_code"), ["R5", "R4", "R3", "R2", "R1"]);
        assert_eq!(occ[4]["date"], "2023-08-01");
        assert_eq!(occ[4]["time"], "09:05:00");
        assert_eq!(occ[4]["channel_type"], 1);
        assert_eq!(occ[4]["channel"], "TELEFONE");
        assert_eq!(occ[1]["channel"], "WHATSAPP");
        assert_eq!(occ[1]["boleto_sent_by"], "whatsapp");
        assert_eq!(occ[1]["phone_worked"], "11987654321");
        assert_eq!(occ[1]["scheduled_phone"], "11987654321");
        assert_eq!(occ[1]["installments"], "3,4");
        assert_eq!(occ[1]["user_login"], "ana.souza");
        assert_eq!(occ[1]["contract"], C1);
        let keys = keys_of(&occ[1]);
        assert_eq!(
            keys,
            [
                "attendance_id",
                "attendance_started_on",
                "boleto_sent_by",
                "campaign_id",
                "channel",
                "channel_type",
                "contract",
                "created_on",
                "crm_id",
                "date",
                "extra",
                "id",
                "installments",
                "notes",
                "phone_worked",
                "protocol",
                "result_code",
                "result_name",
                "scheduled_for",
                "scheduled_phone",
                "source",
                "ticket_id",
                "time",
                "user_login"
            ],
            "an occurrence's keys, each once"
        );
        let text = s
            .http
            .get(format!(
                "{}/api/v1/collections/customers/52998224725",
                s.url
            ))
            .header("Authorization", format!("Token {}", common::TOKEN))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(
            text.matches(r#""time":"#).count(),
            5,
            "date and time are written once per occurrence"
        );
        // the last agreement: the newest proposal, its boleto and journey
        let last = &m["last_agreement"];
        assert_eq!(last["source"], "proposal", "{last}");
        assert_eq!(last["reference"], "p-new");
        assert_eq!(last["contract"], C1);
        assert_eq!(last["payment_dates"], json!(["2023-08-15"]));
        assert_eq!(last["summary"]["agreement_type"], "Parcial");
        assert_eq!(last["summary"]["installments_count"], 3);
        assert_eq!(last["summary"]["down_payment_cents"], 10_000);
        assert_eq!(last["amount_to_pay_cents"], 90_000);
        assert_eq!(last["journey"], "jornada1");
        assert_eq!(last["boleto"]["sent"], true);
        assert_eq!(last["boleto"]["sent_by"], "whatsapp");
        assert_eq!(last["proposal"]["fields"]["rndRefin"], false);
        // WhatsApp history by type, newest first; other customers' and agents' events out
        let h = &m["whatsapp_history"];
        assert_eq!(strings(&h["attendances"], "event_id"), ["id-e4", "id-e1"]);
        assert_eq!(strings(&h["widget_visits"], "event_id"), ["id-e2"]);
        assert_eq!(strings(&h["hsm"], "event_id"), ["id-e3"]);
        assert_eq!(h["occurrences"], json!([]));
        assert_eq!(h["hsm"][0]["payload"]["webhook_type"], "hsm");
        // addresses, e-mails, mass actions
        assert_eq!(m["addresses"][0]["street"], "Rua das Flores");
        assert_eq!(m["emails"][0]["email"], "maria@example.com");
        let kinds = strings(&m["mass_actions"], "kind");
        assert!(
            kinds.contains(&"Ação Massiva – Email".to_string()),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&"Ação Massiva – WhatsApp".to_string()),
            "{kinds:?}"
        );

        // the same customer by plain digits and by CRM id
        let (status, plain) = s.get(&format!("/api/v1/collections/customers/{CPF}")).await;
        assert_eq!(status, 200);
        assert_eq!(plain, m);
        let crm = m["crm_id"].as_str().unwrap();
        assert!(!crm.is_empty());
        let (status, by_crm) = s
            .get(&format!("/api/v1/collections/customers/by-crm/{crm}"))
            .await;
        assert_eq!(status, 200, "{by_crm}");
        assert_eq!(by_crm, m);

        // the company: alphanumeric CNPJ, punctuated (the slash percent-encoded)
        let (status, company) = s
            .get("/api/v1/collections/customers/12.abc.345%2F01de-35")
            .await;
        assert_eq!(status, 200, "{company}");
        assert_eq!(company["document"], CNPJ);
        assert_eq!(company["person_type"], "J");
        assert_eq!(company["contacts_made"], 0);
        assert_eq!(company["occurrences"], json!([]));
        // its last agreement is the acordo: both rows, one written off
        let last = &company["last_agreement"];
        assert_eq!(last["source"], "acordo", "{last}");
        assert_eq!(last["reference"], "A-77");
        assert_eq!(last["payment_dates"], json!(["2023-07-20", "2023-08-20"]));
        assert_eq!(last["amount_to_pay_cents"], 60_000);
        assert_eq!(last["summary"]["installments_count"], 2);
        assert_eq!(last["summary"]["written_off_installments"], 1);
        assert_eq!(last["summary"]["total_debt_cents"], 90_000);
        assert_eq!(last["boleto"]["sent"], false);
        assert_eq!(last["proposal"], Value::Null);

        // a customer of the imported file
        let other: String = sqlx::query_scalar(
            "SELECT document FROM customers WHERE workspace_id = $1 AND document NOT IN ($2, $3)
             ORDER BY document LIMIT 1",
        )
        .bind(WS)
        .bind(CPF)
        .bind(CNPJ)
        .fetch_one(s.app.store.pool())
        .await
        .unwrap();
        let (status, imported) = s
            .get(&format!("/api/v1/collections/customers/{other}"))
            .await;
        assert_eq!(status, 200, "{imported}");
        assert!(!imported["contracts"].as_array().unwrap().is_empty());
        assert!(!imported["phones"].as_array().unwrap().is_empty());
        assert_eq!(imported["last_agreement"], Value::Null);
    }
);

// Occurrences keep the entry the lookup shows from when they are recorded; rows recorded
// before (an empty `entry`) are built when read, and must read the same, until the
// server's `fill_occurrence_entries` writes the same entries they would have had.
both!(
    occurrences_recorded_before_their_entry_was_stored_read_the_same,
    started,
    |s: Server| async move {
        let store = &s.app.store;
        let mut tx = store.begin().await.unwrap();
        let mut o = occurrence(C2, "R6", "sms", ChannelType::Sms);
        o.channel_type = None;
        o.notes = "disse \"pago\"\nna sexta, às 9h \u{1F4B8} \\ \u{1}".into();
        o.scheduled_for = Some("2023-08-02T15:00:00.000000Z".into());
        o.attendance_started_on = Some("2023-08-01T23:30:00.000000Z".into());
        o.extra = json!({"canal": {"nome": "URA", "fila": [1, 2.5, null, true]}, "obs": "ç"})
            .as_object()
            .unwrap()
            .clone();
        // after midnight UTC, still the day before in São Paulo
        tx.insert_occurrence(WS, &o, "2023-08-02T01:59:59.123456Z")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let stored: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM occurrences WHERE workspace_id = $1 AND entry <> ''",
        )
        .bind(WS)
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(stored, 6, "every occurrence recorded keeps its entry");
        let (status, with_entries) = s.get("/api/v1/collections/customers/52998224725").await;
        assert_eq!(status, 200, "{with_entries}");
        let newest = &with_entries["occurrences"][0];
        assert_eq!(newest["result_code"], "R6");
        assert_eq!(
            (&newest["date"], &newest["time"]),
            (&json!("2023-08-01"), &json!("22:59:59"))
        );
        assert_eq!(newest["notes"], o.notes.as_str());
        assert_eq!(
            newest["extra"]["canal"]["fila"],
            json!([1, 2.5, null, true])
        );
        assert_eq!(
            (&newest["channel_type"], &newest["channel"]),
            (&Value::Null, &json!(""))
        );

        let entries = || async {
            sqlx::query_as::<_, (String, String)>(
                "SELECT id, entry FROM occurrences WHERE workspace_id = $1 ORDER BY id",
            )
            .bind(WS)
            .fetch_all(store.pool())
            .await
            .unwrap()
        };
        let recorded = entries().await;

        sqlx::query("UPDATE occurrences SET entry = ''")
            .execute(store.pool())
            .await
            .unwrap();
        let (status, built) = s.get("/api/v1/collections/customers/52998224725").await;
        assert_eq!(status, 200, "{built}");
        assert_eq!(built["occurrences"].as_array().unwrap().len(), 6);
        assert_eq!(built["occurrences"], with_entries["occurrences"]);
        assert_eq!(built, with_entries, "the whole record reads the same");

        // the server fills them in again (batches of 4: the cursor carries over)
        let (mut cursor, mut written, mut batches) = (None, 0, 0);
        loop {
            let (n, next) = store.fill_occurrence_entries(&cursor, 4).await.unwrap();
            written += n;
            batches += 1;
            cursor = next;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!((written, batches), (6, 2));
        assert_eq!(entries().await, recorded, "the same text as when recorded");
        let again = store.fill_occurrence_entries(&None, 4).await.unwrap();
        assert_eq!(again.0, 0, "nothing left to fill");
        let (_, filled) = s.get("/api/v1/collections/customers/52998224725").await;
        assert_eq!(filled, with_entries);
    }
);

both!(lookup_refusals, started, |s: Server| async move {
    // FA001: a valid CPF nobody has
    let (status, body) = s.get("/api/v1/collections/customers/111.444.777-35").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body, json!({"error": "customer 111.444.777-35 not found"}));
    let (status, body) = s
        .get("/api/v1/collections/customers/by-crm/NO-SUCH-CRM")
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(body["error"].as_str().unwrap().contains("NO-SUCH-CRM"));
    // invalid documents name the parameter
    for bad in ["123", "529.982.247-26", "5299822472X", "11111111111"] {
        let (status, body) = s.get(&format!("/api/v1/collections/customers/{bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(
            body["error"].as_str().unwrap().starts_with("document: "),
            "{body}"
        );
    }
    let long = "9".repeat(65);
    let (status, body) = s
        .get(&format!("/api/v1/collections/customers/by-crm/{long}"))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().starts_with("crm_id: "));
    // no token, a wrong token
    for auth in [None, Some("Token not-a-token")] {
        let mut req = s
            .http
            .get(format!("{}/api/v1/collections/customers/{CPF}", s.url));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status().as_u16(), 401, "{auth:?}");
    }
    // another workspace's token does not see the customer
    s.app
        .store
        .ensure_workspace("other", "Outra assessoria")
        .await
        .unwrap();
    s.app
        .store
        .add_token("other", "test", "other-token-0123456789")
        .await
        .unwrap();
    for path in [
        format!("/api/v1/collections/customers/{CPF}"),
        "/api/v1/collections/customers/by-crm/1".to_string(),
    ] {
        let r = s
            .http
            .get(format!("{}{path}", s.url))
            .header("Authorization", "Token other-token-0123456789")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 404, "{path}");
    }
    // both paths are in the OpenAPI document
    let (_, doc) = s.get("/api/openapi.json").await;
    for path in [
        "/api/v1/collections/customers/{document}",
        "/api/v1/collections/customers/by-crm/{crm_id}",
    ] {
        assert!(doc["paths"][path]["get"].is_object(), "{path}");
    }
});

both!(lookup_store_unavailable, started, |s: Server| async move {
    let path = format!("/api/v1/collections/customers/{CPF}");
    assert_eq!(s.get(&path).await.0, 200);
    // FA002: a table the lookup reads is gone; the answer is an error, not the rest
    sqlx::query("DROP TABLE omni_events")
        .execute(s.app.store.pool())
        .await
        .unwrap();
    let (status, body) = s.get(&path).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body, json!({"error": "storage unavailable"}));
    // and with the database gone altogether
    s.app.store.pool().close().await;
    let (status, body) = s.get(&path).await;
    assert_eq!(status, 503, "{body}");
    assert!(body["contracts"].is_null(), "{body}");
});

/// An object's keys, in the (sorted) order serde_json keeps them.
fn keys_of(object: &serde_json::Value) -> Vec<&str> {
    object
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect()
}
