//! The portal's writes through HTTP (`shared/seeds/001_*.txt`): UC010 InsertTabulação
//! with its alternative flows (FA001 storage failure, FA002 phone, FA003 e-mail, FA004
//! address), the campaigns' tabulation trees, UC011 Atualizar Proposta PAN (FA001
//! contract not found) and the UC012 back-office workflow queue. Every test runs on
//! SQLite and, when configured, PostgreSQL.

mod common;

use atende_server::demo::WORKSPACE as WS;
use atende_store::portfolio::{
    Address, ChannelType, ContractStatus, Guarantee, ImportContext, Installment, NewPhone,
    RemessaRecord,
};
use atende_testkit::both;
use jiff::civil::date;
use serde_json::{json, Value};

use common::{Server, TOKEN};

const CPF_A: &str = "52998224725";
const CPF_B: &str = "11144477735";
const CPF_UNKNOWN: &str = "39053344705";
const CAMPAIGN: &str = "CAMP-1";

/// A request with optional body and extra headers; answers status and JSON.
async fn send(
    s: &Server,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut r = s
        .http
        .request(method, format!("{}/api/v1/collections{path}", s.url))
        .header("Authorization", format!("Token {TOKEN}"));
    if let Some(b) = body {
        r = r
            .header("Content-Type", "application/json")
            .body(b.to_string());
    }
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn post(s: &Server, path: &str, body: Value) -> (u16, Value) {
    send(s, reqwest::Method::POST, path, Some(&body), &[]).await
}

async fn get(s: &Server, path: &str) -> (u16, Value) {
    send(s, reqwest::Method::GET, path, None, &[]).await
}

fn remessa(document: &str, crm: &str, contract: &str, name: &str) -> RemessaRecord {
    RemessaRecord {
        document: document.into(),
        name: name.into(),
        crm_id: Some(crm.into()),
        contract: contract.into(),
        portfolio: "528".into(),
        product: "VEICULOS".into(),
        days_late: Some(95),
        installment_value_cents: Some(59_537),
        extra: [("prazo".to_string(), json!(48))].into_iter().collect(),
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
            NewPhone {
                ddd: "11".into(),
                number: "987650001".into(),
                kind: "CELULAR".into(),
                score: Some(90),
            },
            NewPhone {
                ddd: "11".into(),
                number: "33330002".into(),
                kind: "RESIDENCIAL".into(),
                score: Some(40),
            },
        ],
        emails: vec![format!(
            "{}@example.com",
            name.to_lowercase().replace(' ', ".")
        )],
    }
}

fn installment(contract: &str, number: i64, due: jiff::civil::Date, status: &str) -> Installment {
    Installment {
        contract: contract.into(),
        number,
        due_date: Some(due),
        value_cents: Some(59_537),
        balance_cents: Some(61_000),
        days_late: None,
        status: status.into(),
        ..Installment::default()
    }
}

/// Customer A (CRM-A) with contracts C-100 (installments, vehicle) and C-200; customer B
/// (CRM-B) with C-300 only; the campaign's tree.
async fn seeded(db: String) -> Server {
    let s = common::start(&db).await;
    let ctx = ImportContext::new(WS, 1, date(2024, 1, 10), atende_store::wall_now());
    let mut tx = s.app.store.begin().await.unwrap();
    for r in [
        remessa(CPF_A, "CRM-A", "C-100", "Maria Silva"),
        remessa(CPF_A, "CRM-A", "C-200", "Maria Silva"),
        remessa(CPF_B, "CRM-B", "C-300", "Joao Souza"),
    ] {
        assert!(tx.upsert_remessa(&ctx, &r).await.unwrap().is_applied());
    }
    let rows = [
        installment("C-100", 1, date(2023, 1, 10), "P"),
        installment("C-100", 2, date(2023, 2, 10), "P"),
        installment("C-100", 3, date(2020, 1, 10), "A"),
        installment("C-100", 4, date(2020, 2, 10), "V"),
        installment("C-100", 5, date(2099, 1, 10), "A"),
        installment("C-100", 6, date(2099, 2, 10), "A"),
    ];
    assert!(tx.put_installments(&ctx, &rows).await.unwrap().is_empty());
    let g = Guarantee {
        contract: "C-100".into(),
        seq: 1,
        kind: "VEICULO".into(),
        make: "FIAT".into(),
        model: "ARGO 1.0".into(),
        manufacture_year: Some(2020),
        model_year: Some(2021),
        ..Guarantee::default()
    };
    assert!(tx.put_guarantee(&ctx, &g).await.unwrap().is_applied());
    tx.commit().await.unwrap();
    let (status, body) = send(
        &s,
        reqwest::Method::PUT,
        &format!("/campaigns/{CAMPAIGN}/tabulations"),
        Some(&json!({"tabulations": [
            {"code": "10", "name": "Contato"},
            {"code": "11", "name": "Promessa de pagamento", "parent": "10", "cpc": true},
            {"code": "12", "name": "Indicação ao Refinanciamento", "parent": "10", "cpc": true},
            {"code": "13", "name": "Entrega amigável", "parent": "10", "workflow": "EA"},
            {"code": "20", "name": "Sem contato"},
        ]})),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    s
}

/// A full InsertTabulação body as UC010's table lists it.
fn tabulation(result: &str) -> Value {
    json!({
        "idCampanha": CAMPAIGN,
        "idCrm": "CRM-A",
        "telefoneTrabalhado": "11987650001",
        "Resultado": result,
        "Usuário": "op.ana",
        "idTipoCanal": 5,
        "Obs": "cliente pediu refinanciamento",
        "AttendancelD": format!("att-{}", uuid::Uuid::new_v4()),
        "Protocolo": "2023092000123",
        "TicketID": "PAN-778",
        "dataInicioAtendimento": "2023-09-20 10:36:40",
        "contrato": "C-100",
    })
}

both!(
    tabulation_tree_is_replaced_listed_and_checked,
    seeded,
    |s: Server| async move {
        let (status, tree) = get(&s, &format!("/campaigns/{CAMPAIGN}/tabulations")).await;
        assert_eq!(status, 200, "{tree}");
        let nodes = tree["tabulations"].as_array().unwrap();
        assert_eq!(nodes.len(), 5);
        assert_eq!(
            nodes[1],
            json!({"code": "11", "name": "Promessa de pagamento", "parent": "10", "workflow": null, "cpc": true})
        );
        // the spec's outcome names mark the workflow when the node does not say
        assert_eq!(nodes[2]["workflow"], "REFIN");
        assert_eq!(nodes[3]["workflow"], "EA");
        let put = |body: Value| {
            let s = &s;
            async move {
                send(
                    s,
                    reqwest::Method::PUT,
                    "/campaigns/CAMP-2/tabulations",
                    Some(&body),
                    &[],
                )
                .await
            }
        };
        let (status, err) = put(json!({"tabulations": [
            {"code": "1", "name": "a"}, {"code": "2", "name": "b"}, {"code": "1", "name": "c"},
        ]}))
        .await;
        assert_eq!(status, 400);
        assert!(
            err["error"]
                .as_str()
                .unwrap()
                .starts_with("tabulations[2].code"),
            "{err}"
        );
        let (status, err) = put(json!({"tabulations": [
        {"code": "1", "name": "a"}, {"code": "2", "name": "b"}, {"code": "3", "name": "c", "parent": "1"},
        {"code": "4", "name": "d", "parent": "9"},
    ]}))
    .await;
        assert_eq!(status, 400);
        assert!(
            err["error"]
                .as_str()
                .unwrap()
                .starts_with("tabulations[3].parent"),
            "{err}"
        );
        let (status, err) =
            put(json!({"tabulations": [{"code": "1", "name": "a", "workflow": "XYZ"}]})).await;
        assert_eq!(status, 400);
        assert!(
            err["error"]
                .as_str()
                .unwrap()
                .starts_with("tabulations[0].workflow"),
            "{err}"
        );
        let (status, err) = put(json!({"tabulations": [{"code": "1"}]})).await;
        assert_eq!(status, 400);
        assert!(
            err["error"]
                .as_str()
                .unwrap()
                .starts_with("tabulations[0].name"),
            "{err}"
        );
        // refused trees changed nothing; campaigns are separate
        let (_, other) = get(&s, "/campaigns/CAMP-2/tabulations").await;
        assert_eq!(other["tabulations"], json!([]));
        let (status, _) = put(json!({"tabulations": [{"code": "1", "name": "Só um"}]})).await;
        assert_eq!(status, 200);
        let (_, other) = get(&s, "/campaigns/CAMP-2/tabulations").await;
        assert_eq!(other["tabulations"].as_array().unwrap().len(), 1);
        let (_, same) = get(&s, &format!("/campaigns/{CAMPAIGN}/tabulations")).await;
        assert_eq!(same, tree);
    }
);

both!(
    uc010_basic_flow_stores_the_tabulation,
    seeded,
    |s: Server| async move {
        let mut body = tabulation("11");
        body["parcelas"] = json!([3, 4]);
        body["telefoneAgendado"] = json!("11987650001");
        body["dataAgendamento"] = json!("2023-09-21 09:00:00");
        body["boletoEnviadoPor"] = json!("whatsapp");
        body["campoNovo"] = json!("kept");
        let (status, out) = post(&s, "/tabulations", body.clone()).await;
        assert_eq!(status, 201, "{out}");
        assert_eq!(out["contrato"], "C-100");
        assert_eq!(out["workflowItem"], Value::Null);
        let list = s.app.store.occurrences_of(WS, CPF_A).await.unwrap();
        assert_eq!(list.len(), 1);
        let o = &list[0];
        assert_eq!(o.id, out["id"].as_str().unwrap());
        let d = &o.data;
        assert_eq!((d.document.as_str(), d.crm_id.as_str()), (CPF_A, "CRM-A"));
        assert_eq!(
            (d.result_code.as_str(), d.result_name.as_str()),
            ("11", "Promessa de pagamento")
        );
        assert_eq!(d.campaign_id, CAMPAIGN);
        assert_eq!(d.contract, "C-100");
        assert_eq!(d.phone_worked, "11987650001");
        assert_eq!(d.user_login, "op.ana");
        assert_eq!(d.channel_type, Some(ChannelType::Whatsapp));
        assert_eq!(d.notes, "cliente pediu refinanciamento");
        assert_eq!(d.attendance_id, body["AttendancelD"].as_str().unwrap());
        assert_eq!(
            (d.protocol.as_str(), d.ticket_id.as_str()),
            ("2023092000123", "PAN-778")
        );
        // São Paulo is UTC-3 (no daylight saving since 2019)
        assert_eq!(
            d.attendance_started_on.as_deref(),
            Some("2023-09-20T13:36:40.000000Z")
        );
        assert_eq!(
            d.scheduled_for.as_deref(),
            Some("2023-09-21T12:00:00.000000Z")
        );
        assert_eq!(
            (d.installments.as_str(), d.scheduled_phone.as_str()),
            ("3,4", "11987650001")
        );
        assert_eq!(d.boleto_sent_by, "whatsapp");
        assert_eq!(d.source, "portal");
        assert_eq!(d.extra.get("campoNovo"), Some(&json!("kept")));

        // by CPF/CNPJ only, for the customer with one contract: the contract is filled in
        let mut by_doc = tabulation("20");
        by_doc.as_object_mut().unwrap().remove("idCrm");
        by_doc.as_object_mut().unwrap().remove("contrato");
        by_doc["cpfCnpj"] = json!("111.444.777-35");
        by_doc["idTipoCanal"] = json!("1");
        let (status, out) = post(&s, "/tabulations", by_doc).await;
        assert_eq!(status, 201, "{out}");
        assert_eq!(out["contrato"], "C-300");
        let b = s.app.store.occurrences_of(WS, CPF_B).await.unwrap();
        assert_eq!(
            (b[0].data.crm_id.as_str(), b[0].data.channel_type),
            ("CRM-B", Some(ChannelType::Phone))
        );
    }
);

both!(
    uc010_retries_are_idempotent,
    seeded,
    |s: Server| async move {
        let body = tabulation("11");
        let key = [("Idempotency-Key", "tab-0001")];
        let (first, a) = send(&s, reqwest::Method::POST, "/tabulations", Some(&body), &key).await;
        let (again, b) = send(&s, reqwest::Method::POST, "/tabulations", Some(&body), &key).await;
        assert_eq!((first, again), (201, 200), "{a} {b}");
        assert_eq!(a["id"], b["id"]);
        assert_eq!(
            s.app.store.occurrences_of(WS, CPF_A).await.unwrap().len(),
            1
        );
        // no header: the attendance, result and contract identify the tabulation
        let mut body = tabulation("11");
        let (first, a) = post(&s, "/tabulations", body.clone()).await;
        let (again, b) = post(&s, "/tabulations", body.clone()).await;
        assert_eq!((first, again), (201, 200), "{a} {b}");
        assert_eq!(a["id"], b["id"]);
        // the same attendance tabulating the customer's other contract is a new record
        body["contrato"] = json!("C-200");
        let (status, c) = post(&s, "/tabulations", body).await;
        assert_eq!(status, 201, "{c}");
        assert_ne!(c["id"], a["id"]);
        assert_eq!(
            s.app.store.occurrences_of(WS, CPF_A).await.unwrap().len(),
            3
        );
        // a REFIN indication sent 6 times at once with one key: one record, one item
        let body = tabulation("12");
        let key = [("Idempotency-Key", "race-1")];
        let answers = futures_util::future::join_all(
            (0..6).map(|_| send(&s, reqwest::Method::POST, "/tabulations", Some(&body), &key)),
        )
        .await;
        let created = answers.iter().filter(|(status, _)| *status == 201).count();
        assert_eq!(created, 1, "{answers:?}");
        for (status, out) in &answers {
            assert!(*status == 200 || *status == 201, "{out}");
            assert_eq!(out["id"], answers[0].1["id"]);
            assert_eq!(out["workflowItem"], answers[0].1["workflowItem"]);
        }
        assert_eq!(
            s.app.store.occurrences_of(WS, CPF_A).await.unwrap().len(),
            4
        );
        let (_, queue) = get(&s, "/workflow").await;
        assert_eq!(queue["results"].as_array().unwrap().len(), 1);
    }
);

both!(
    uc010_invalid_requests_name_the_field,
    seeded,
    |s: Server| async move {
        let error = |out: &Value| out["error"].as_str().unwrap_or_default().to_string();
        let (status, out) = post(&s, "/tabulations", tabulation("99")).await;
        assert_eq!(status, 422, "{out}");
        assert!(error(&out).contains("'resultado'"), "{out}");
        let mut body = tabulation("11");
        body["idTipoCanal"] = json!(4);
        let (status, out) = post(&s, "/tabulations", body).await;
        assert_eq!(status, 400);
        assert!(error(&out).contains("'idTipoCanal'"), "{out}");
        let mut body = tabulation("11");
        body.as_object_mut().unwrap().remove("Usuário");
        let (status, out) = post(&s, "/tabulations", body).await;
        assert_eq!(status, 400);
        assert!(error(&out).contains("'usuario'"), "{out}");
        let mut body = tabulation("11");
        body["dataInicioAtendimento"] = json!("20/09/2023 10h");
        let (status, out) = post(&s, "/tabulations", body).await;
        assert_eq!(status, 400);
        assert!(error(&out).contains("'dataInicioAtendimento'"), "{out}");
        let mut body = tabulation("11");
        body["idCrm"] = json!("CRM-NOBODY");
        let (status, out) = post(&s, "/tabulations", body).await;
        assert_eq!(status, 404, "{out}");
        let mut body = tabulation("11");
        body["contrato"] = json!("C-300");
        let (status, out) = post(&s, "/tabulations", body).await;
        assert_eq!(status, 404, "{out}");
        assert!(error(&out).contains("'contrato'"), "{out}");
        // CRM id and CPF of different customers
        let mut body = tabulation("11");
        body["cpfCnpj"] = json!(CPF_B);
        let (status, _) = post(&s, "/tabulations", body).await;
        assert_eq!(status, 404);
        assert!(s
            .app
            .store
            .occurrences_of(WS, CPF_A)
            .await
            .unwrap()
            .is_empty());
    }
);

both!(
    uc010_fa001_storage_failure_answers_503_and_stores_nothing,
    seeded,
    |s: Server| async move {
        // the history insert fails after the occurrence and the queue item were written:
        // the transaction leaves nothing behind
        sqlx::query("DROP TABLE workflow_history")
            .execute(s.app.store.pool())
            .await
            .unwrap();
        let (status, out) = post(&s, "/tabulations", tabulation("12")).await;
        assert_eq!(status, 503, "{out}");
        assert_eq!(out["error"], "storage unavailable");
        assert!(s
            .app
            .store
            .occurrences_of(WS, CPF_A)
            .await
            .unwrap()
            .is_empty());
        sqlx::query("DROP TABLE occurrences")
            .execute(s.app.store.pool())
            .await
            .unwrap();
        let (status, _) = post(&s, "/tabulations", tabulation("11")).await;
        assert_eq!(status, 503);
    }
);

both!(
    uc010_fa002_phone_goes_after_the_existing_ones,
    seeded,
    |s: Server| async move {
        let phones = |contract: &'static str| {
            let s = &s;
            async move {
                let c = s
                    .app
                    .store
                    .customer_by_document(WS, CPF_A)
                    .await
                    .unwrap()
                    .unwrap();
                c.contracts
                    .into_iter()
                    .find(|c| c.contract == contract)
                    .unwrap()
                    .phones
            }
        };
        assert_eq!(phones("C-100").await.len(), 2);
        let (status, out) = post(
        &s,
        &format!("/customers/{CPF_A}/phones"),
        json!({"contrato": "C-100", "ddd": "21", "numero": "99876-5432", "tipo": "celular", "score": 87}),
    )
    .await;
        assert_eq!(status, 201, "{out}");
        assert_eq!(out["contratos"][0]["posicao"], 3);
        let list = phones("C-100").await;
        assert_eq!(list.len(), 3);
        let last = &list[2];
        assert_eq!(
            (last.ddd.as_str(), last.number.as_str()),
            ("21", "998765432")
        );
        assert_eq!(
            (last.score, last.origin.as_str(), last.kind.as_str()),
            (Some(87), "Portal", "CELULAR")
        );
        assert_eq!(phones("C-200").await.len(), 2, "only the contract given");

        // no contract: every active contract of the customer (C-200 is excluded)
        let ctx = ImportContext::new(WS, 1, date(2024, 1, 10), atende_store::wall_now());
        let mut tx = s.app.store.begin().await.unwrap();
        let _ = tx
            .exclude_contract(&ctx, "C-200", ContractStatus::Excluded, "")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let (status, out) = post(
            &s,
            &format!("/customers/{}/phones", "529.982.247-25"),
            json!({"numero": "(11) 3456-7890", "score": "55"}),
        )
        .await;
        assert_eq!(status, 201, "{out}");
        assert_eq!(out["contratos"].as_array().unwrap().len(), 1);
        assert_eq!(out["contratos"][0]["contrato"], "C-100");
        assert_eq!(phones("C-100").await[3].number, "34567890");
        assert_eq!(phones("C-200").await.len(), 2);

        // the same number again: its score changes, its place does not
        let (status, out) = post(
            &s,
            &format!("/customers/{CPF_A}/phones"),
            json!({"contrato": "C-100", "ddd": "21", "numero": "998765432", "score": 12}),
        )
        .await;
        assert_eq!(status, 200, "{out}");
        let list = phones("C-100").await;
        assert_eq!(list.len(), 4);
        assert_eq!((list[2].score, list[2].position), (Some(12), 3));

        let error = |out: &Value| out["error"].as_str().unwrap_or_default().to_string();
        let path = format!("/customers/{CPF_A}/phones");
        let (status, out) = post(&s, &path, json!({"ddd": "00", "numero": "987654321"})).await;
        assert_eq!(status, 400);
        assert!(error(&out).contains("'ddd'"), "{out}");
        let (status, out) = post(&s, &path, json!({"ddd": "11", "numero": "12345"})).await;
        assert_eq!(status, 400);
        assert!(error(&out).contains("'numero'"), "{out}");
        let (status, out) = post(
            &s,
            &path,
            json!({"ddd": "11", "numero": "987654321", "score": -1}),
        )
        .await;
        assert_eq!(status, 400);
        assert!(error(&out).contains("'score'"), "{out}");
        let (status, out) = post(
            &s,
            &path,
            json!({"ddd": "11", "numero": "987654321", "scroe": 1}),
        )
        .await;
        assert_eq!(status, 400);
        assert!(error(&out).contains("'scroe'"), "{out}");
        let (status, out) = post(
            &s,
            &path,
            json!({"contrato": "C-300", "ddd": "11", "numero": "987654321"}),
        )
        .await;
        assert_eq!(status, 404);
        assert!(error(&out).contains("'contrato'"), "{out}");
        let (status, _) = post(
            &s,
            &format!("/customers/{CPF_UNKNOWN}/phones"),
            json!({"ddd": "11", "numero": "987654321"}),
        )
        .await;
        assert_eq!(status, 404);
    }
);

both!(uc010_fa003_email_is_added, seeded, |s: Server| async move {
    let path = format!("/customers/{CPF_A}/emails");
    let (status, out) = post(&s, &path, json!({"email": "Maria.Nova@Example.com.br"})).await;
    assert_eq!(status, 201, "{out}");
    let c = s
        .app
        .store
        .customer_by_document(WS, CPF_A)
        .await
        .unwrap()
        .unwrap();
    let last = c.emails.last().unwrap();
    assert_eq!(
        (last.email.as_str(), last.origin.as_str()),
        ("maria.nova@example.com.br", "Portal")
    );
    assert_eq!(c.emails.len(), 2);
    let (status, _) = post(&s, &path, json!({"email": "maria.nova@example.com.br"})).await;
    assert_eq!(status, 200);
    let (status, out) = post(&s, &path, json!({"email": "maria@"})).await;
    assert_eq!(status, 400);
    assert!(out["error"].as_str().unwrap().contains("'email'"), "{out}");
    let (status, _) = post(
        &s,
        &format!("/customers/{CPF_UNKNOWN}/emails"),
        json!({"email": "a@b.com"}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, out) = post(&s, "/customers/123/emails", json!({"email": "a@b.com"})).await;
    assert_eq!(status, 400);
    assert!(
        out["error"].as_str().unwrap().contains("'document'"),
        "{out}"
    );
});

both!(
    uc010_fa004_address_is_added,
    seeded,
    |s: Server| async move {
        let path = format!("/customers/{CPF_A}/addresses");
        let address = json!({"tipo": "comercial", "logradouro": "Av. Paulista", "numero": "1000", "complemento": "cj 5",
                         "bairro": "Bela Vista", "cidade": "São Paulo", "uf": "sp", "cep": "01310-100"});
        let (status, out) = post(&s, &path, address.clone()).await;
        assert_eq!(status, 201, "{out}");
        let c = s
            .app
            .store
            .customer_by_document(WS, CPF_A)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.addresses.len(), 2);
        let last = c.addresses.last().unwrap();
        assert_eq!(
            (
                last.address.street.as_str(),
                last.address.zip.as_str(),
                last.address.state.as_str()
            ),
            ("Av. Paulista", "01310100", "SP")
        );
        assert_eq!(
            (last.origin.as_str(), last.address.kind.as_str()),
            ("Portal", "COMERCIAL")
        );
        let (status, _) = post(&s, &path, address.clone()).await;
        assert_eq!(status, 200);
        let mut bad = address.clone();
        bad["uf"] = json!("XX");
        let (status, out) = post(&s, &path, bad).await;
        assert_eq!(status, 400);
        assert!(out["error"].as_str().unwrap().contains("'uf'"), "{out}");
        let mut bad = address.clone();
        bad["cep"] = json!("0131");
        let (status, out) = post(&s, &path, bad).await;
        assert_eq!(status, 400);
        assert!(out["error"].as_str().unwrap().contains("'cep'"), "{out}");
        let mut bad = address.clone();
        bad.as_object_mut().unwrap().remove("logradouro");
        let (status, out) = post(&s, &path, bad).await;
        assert_eq!(status, 400);
        assert!(
            out["error"].as_str().unwrap().contains("'logradouro'"),
            "{out}"
        );
        let (status, _) = post(&s, &format!("/customers/{CPF_UNKNOWN}/addresses"), address).await;
        assert_eq!(status, 404);
    }
);

fn proposal() -> Value {
    json!({
        "contrato": "C-100",
        "Parcela": "595,37",
        "usuario": "op.ana",
        "attendancelid": "att-77",
        "ticketPan": "PAN-T-1",
        "valorProposto": "1.234,56",
        "tipoAcordo": "Quitacao",
        "qtdParcelas": 1,
        "valorEntrada": 234.5,
        "valorHonorario": "10.5",
        "parcelasContratos": [{"numero": 3, "valor": 595.37}],
        "primeiroVencimento": "25/06/2024",
        "negociacaoEntregaAmigavel": false,
        "rndRefin": "true",
        "negParcelas": [3, 4],
        "valorSemDesc": 2000,
        "valorComDesc": "38.27",
        "OfertaMinima": "R$ 1.100,00",
        "dividaAtraso": 95,
        "dividaPrazo": 48,
        "dividaParcelasPagas": 2,
        "dividaParcelasVenc": 2,
        "dividasAVencer": 2,
    })
}

both!(
    uc011_proposal_is_stored_on_its_contract,
    seeded,
    |s: Server| async move {
        let key = [("Idempotency-Key", "prop-1")];
        let (status, out) = send(
            &s,
            reqwest::Method::POST,
            "/proposals",
            Some(&proposal()),
            &key,
        )
        .await;
        assert_eq!(status, 201, "{out}");
        let list = s.app.store.proposals_of(WS, "C-100").await.unwrap();
        assert_eq!(list.len(), 1);
        let p = &list[0];
        assert_eq!(p.id, out["id"].as_str().unwrap());
        assert_eq!(p.document, CPF_A);
        let d = &p.data;
        assert_eq!(
            (d.agreement_type.as_str(), d.user_login.as_str()),
            ("Quitação", "op.ana")
        );
        assert_eq!(
            (d.attendance_id.as_str(), d.ticket.as_str()),
            ("att-77", "PAN-T-1")
        );
        assert_eq!(
            (d.proposed_cents, d.down_payment_cents, d.installments_count),
            (Some(123_456), Some(23_450), Some(1))
        );
        assert_eq!(d.first_due_date, Some(date(2024, 6, 25)));
        let f = &d.fields;
        assert_eq!(f["parcelaCents"], 59_537);
        assert_eq!(f["valorHonorarioCents"], 1_050);
        assert_eq!(f["valorSemDescCents"], 200_000);
        assert_eq!(f["OfertaMinimaCents"], 110_000);
        assert_eq!(f["valorComDesc"], "38.27");
        assert_eq!(
            (
                f["rndRefin"].clone(),
                f["negociacaoEntregaAmigavel"].clone()
            ),
            (json!(true), json!(false))
        );
        assert_eq!(f["negParcelas"], json!([3, 4]));
        assert_eq!(f["parcelasContratos"][0]["numero"], 3);
        assert_eq!(
            (f["dividaAtraso"].clone(), f["dividasAVencer"].clone()),
            (json!(95), json!(2))
        );
        // a retry answers the first proposal
        let (status, again) = send(
            &s,
            reqwest::Method::POST,
            "/proposals",
            Some(&proposal()),
            &key,
        )
        .await;
        assert_eq!((status, again["id"].clone()), (200, out["id"].clone()));
        assert_eq!(
            s.app.store.proposals_of(WS, "C-100").await.unwrap().len(),
            1
        );
        // sent 5 times at once with a new key: stored once
        let body = proposal();
        let key = [("Idempotency-Key", "prop-race")];
        let answers = futures_util::future::join_all(
            (0..5).map(|_| send(&s, reqwest::Method::POST, "/proposals", Some(&body), &key)),
        )
        .await;
        assert_eq!(
            answers.iter().filter(|(st, _)| *st == 201).count(),
            1,
            "{answers:?}"
        );
        assert!(
            answers.iter().all(|(_, o)| o["id"] == answers[0].1["id"]),
            "{answers:?}"
        );
        assert_eq!(
            s.app.store.proposals_of(WS, "C-100").await.unwrap().len(),
            2
        );

        let error = |out: &Value| out["error"].as_str().unwrap_or_default().to_string();
        let mut bad = proposal();
        bad["tipoAcordo"] = json!("Total");
        let (status, out) = post(&s, "/proposals", bad).await;
        assert_eq!(status, 400);
        assert!(error(&out).contains("'tipoAcordo'"), "{out}");
        let mut bad = proposal();
        bad["valorEntrada"] = json!("12,345");
        let (status, out) = post(&s, "/proposals", bad).await;
        assert_eq!(status, 400);
        assert!(error(&out).contains("'valorEntrada'"), "{out}");
        let mut bad = proposal();
        bad["primeiroVencimento"] = json!("31/02/2024");
        let (status, out) = post(&s, "/proposals", bad).await;
        assert_eq!(status, 400);
        assert!(error(&out).contains("'primeiroVencimento'"), "{out}");
        let mut bad = proposal();
        bad["rndRefin"] = json!("talvez");
        let (status, out) = post(&s, "/proposals", bad).await;
        assert_eq!(status, 400);
        assert!(error(&out).contains("'rndRefin'"), "{out}");
        assert_eq!(
            s.app.store.proposals_of(WS, "C-100").await.unwrap().len(),
            2
        );
    }
);

both!(
    uc011_fa001_contract_not_found,
    seeded,
    |s: Server| async move {
        let mut body = proposal();
        body["contrato"] = json!("C-999");
        let (status, out) = post(&s, "/proposals", body).await;
        assert_eq!(status, 404, "{out}");
        let error = out["error"].as_str().unwrap();
        assert!(
            error.contains("C-999") && error.contains("not found"),
            "{out}"
        );
        assert!(s
            .app
            .store
            .proposals_of(WS, "C-999")
            .await
            .unwrap()
            .is_empty());
    }
);

both!(
    uc012_refin_and_ea_outcomes_queue_the_contract,
    seeded,
    |s: Server| async move {
        // customer A has two contracts: the REFIN indication must say which
        let mut body = tabulation("12");
        body.as_object_mut().unwrap().remove("contrato");
        let (status, out) = post(&s, "/tabulations", body).await;
        assert_eq!(status, 400, "{out}");
        assert!(
            out["error"].as_str().unwrap().contains("'contrato'"),
            "{out}"
        );
        let (status, out) = post(&s, "/tabulations", tabulation("12")).await;
        assert_eq!(status, 201, "{out}");
        let item_id = out["workflowItem"].as_str().expect("queued").to_string();

        let (status, queue) = get(&s, "/workflow").await;
        assert_eq!(status, 200, "{queue}");
        let items = queue["results"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        let i = &items[0];
        assert_eq!(i["id"], item_id.as_str());
        assert_eq!(
            (i["status"].clone(), i["tipo"].clone(), i["version"].clone()),
            (json!("Pendente"), json!("REFIN"), json!(1))
        );
        assert_eq!(
            (
                i["contrato"].clone(),
                i["nome"].clone(),
                i["cpfCnpj"].clone()
            ),
            (json!("C-100"), json!("Maria Silva"), json!(CPF_A))
        );
        assert_eq!(i["telefones"].as_array().unwrap().len(), 2);
        assert_eq!(i["telefones"][0]["numero"], "987650001");
        assert_eq!(i["email"], "maria.silva@example.com");
        assert_eq!(i["endereco"]["logradouro"], "Rua das Flores");
        assert_eq!(
            (i["prazo"].clone(), i["parcelasPagas"].clone()),
            (json!(48), json!(2))
        );
        assert_eq!(
            (i["aVencer"].clone(), i["vencidas"].clone()),
            (json!(2), json!(2))
        );
        let overdue: Vec<i64> = i["parcelasVencidas"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["numero"].as_i64().unwrap())
            .collect();
        assert_eq!(overdue, [3, 4]);
        assert_eq!(
            (i["valorParcelaCents"].clone(), i["diasAtraso"].clone()),
            (json!(59_537), json!(95))
        );
        assert_eq!(
            (i["marca"].clone(), i["modelo"].clone(), i["ano"].clone()),
            (json!("FIAT"), json!("ARGO 1.0"), json!(2021))
        );
        assert_eq!(
            i["tabulacao"],
            json!({"codigo": "12", "nome": "Indicação ao Refinanciamento"})
        );
        assert_eq!(i["observacao"], "cliente pediu refinanciamento");

        // an EA outcome for the customer with one contract fills the contract in
        let mut ea = tabulation("13");
        ea["idCrm"] = json!("CRM-B");
        ea.as_object_mut().unwrap().remove("contrato");
        let (status, out) = post(&s, "/tabulations", ea).await;
        assert_eq!(status, 201, "{out}");
        let ea_item = out["workflowItem"].as_str().unwrap().to_string();
        let (_, queue) = get(&s, "/workflow?status=pendente&limit=1").await;
        assert_eq!(queue["results"].as_array().unwrap().len(), 1);
        let next = queue["next"].as_str().unwrap().to_string();
        let (_, page2) = get(&s, &format!("/workflow?limit=1&after={next}")).await;
        assert_eq!(page2["results"][0]["id"], ea_item.as_str());
        assert_eq!(
            (
                page2["results"][0]["contrato"].clone(),
                page2["results"][0]["tipo"].clone()
            ),
            (json!("C-300"), json!("EA"))
        );
        // without installments, the counts come from the remessa (here only prazo)
        assert_eq!(
            (
                page2["results"][0]["prazo"].clone(),
                page2["results"][0]["vencidas"].clone()
            ),
            (json!(48), Value::Null)
        );

        // the contract indicated again while its item is open: the same item, re-pointed
        let mut again = tabulation("12");
        again["Obs"] = json!("cliente ligou de novo");
        let (status, out) = post(&s, "/tabulations", again).await;
        assert_eq!(status, 201, "{out}");
        assert_eq!(out["workflowItem"], item_id.as_str());
        let (_, item) = get(&s, &format!("/workflow/{item_id}")).await;
        assert_eq!(
            (item["version"].clone(), item["observacao"].clone()),
            (json!(2), json!("cliente ligou de novo"))
        );
        assert_eq!(item["historico"].as_array().unwrap().len(), 2);
        // a retried indication answers its item
        let body = tabulation("12");
        let key = [("Idempotency-Key", "ind-1")];
        let (_, first) = send(&s, reqwest::Method::POST, "/tabulations", Some(&body), &key).await;
        let (status, retry) =
            send(&s, reqwest::Method::POST, "/tabulations", Some(&body), &key).await;
        assert_eq!(status, 200);
        assert_eq!(
            (retry["id"].clone(), retry["workflowItem"].clone()),
            (first["id"].clone(), json!(item_id))
        );
        // an outcome without workflow queues nothing
        let (_, out) = post(&s, "/tabulations", tabulation("11")).await;
        assert_eq!(out["workflowItem"], Value::Null);
        let (_, queue) = get(&s, "/workflow").await;
        assert_eq!(queue["results"].as_array().unwrap().len(), 2);
    }
);

both!(
    uc012_status_updates_keep_history_and_versions,
    seeded,
    |s: Server| async move {
        let (_, out) = post(&s, "/tabulations", tabulation("12")).await;
        let id = out["workflowItem"].as_str().unwrap().to_string();
        let path = format!("/workflow/{id}");
        let (status, item) = post(&s, &path, json!({"status": "agendamento de contato", "usuario": "mis.bia", "obs": "ligar sexta", "version": 1})).await;
        assert_eq!(status, 200, "{item}");
        assert_eq!(
            (
                item["status"].clone(),
                item["version"].clone(),
                item["responsavel"].clone()
            ),
            (json!("Agendamento de Contato"), json!(2), json!("mis.bia"))
        );
        let history = item["historico"].as_array().unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(
            (history[0]["status"].clone(), history[0]["usuario"].clone()),
            (json!("Pendente"), json!("op.ana"))
        );
        assert_eq!(
            (
                history[1]["status"].clone(),
                history[1]["obs"].clone(),
                history[1]["version"].clone()
            ),
            (
                json!("Agendamento de Contato"),
                json!("ligar sexta"),
                json!(2)
            )
        );
        // someone saw version 1 and saves: refused
        let (status, out) = post(
            &s,
            &path,
            json!({"status": "Acordo Realizado", "usuario": "mis.caio", "version": 1}),
        )
        .await;
        assert_eq!(status, 409, "{out}");
        // the spec's dash and accents are matched loosely; no version: applied
        let (status, item) = post(&s, &path, json!({"status": "Sem condições de Pagamento – Óbito/Falecimento", "usuario": "mis.caio"})).await;
        assert_eq!(status, 200, "{item}");
        assert_eq!(
            (item["status"].clone(), item["version"].clone()),
            (
                json!("Sem condições de Pagamento - Óbito/Falecimento"),
                json!(3)
            )
        );
        let (_, queue) = get(&s, "/workflow?status=Pendente").await;
        assert_eq!(queue["results"], json!([]));
        let (_, queue) = get(&s, "/workflow?status=Sem%20condi%C3%A7%C3%B5es%20de%20Pagamento%20-%20%C3%93bito%2FFalecimento").await;
        assert_eq!(queue["results"].as_array().unwrap().len(), 1);
        let (status, out) = post(
            &s,
            &path,
            json!({"status": "Resolvido", "usuario": "mis.caio"}),
        )
        .await;
        assert_eq!(status, 400);
        let error = out["error"].as_str().unwrap();
        assert!(
            error.contains("'status'")
                && error.contains("Acordo Realizado")
                && error.contains("Proposta enviada para o Pan"),
            "{out}"
        );
        let (status, _) = post(&s, &path, json!({"status": "Acordo Realizado"})).await;
        assert_eq!(status, 400);
        let (status, _) = get(&s, "/workflow?status=Resolvido").await;
        assert_eq!(status, 400);
        let (status, out) = get(&s, "/workflow?limit=many").await;
        assert_eq!(status, 400);
        assert!(out["error"].as_str().unwrap().contains("'limit'"), "{out}");
        let (status, _) = post(
            &s,
            "/workflow/nope",
            json!({"status": "Acordo Realizado", "usuario": "x"}),
        )
        .await;
        assert_eq!(status, 404);
        let (status, _) = get(&s, "/workflow/nope").await;
        assert_eq!(status, 404);
        // a closed item does not take new indications: a new one opens
        let (_, out) = post(&s, "/tabulations", tabulation("12")).await;
        assert_ne!(out["workflowItem"], id.as_str());

        // another workspace's token sees none of it
        s.app
            .store
            .ensure_workspace("other", "Other")
            .await
            .unwrap();
        s.app
            .store
            .add_token("other", "t", "other-token-0123456789")
            .await
            .unwrap();
        let r = s
            .http
            .get(format!("{}/api/v1/collections{path}", s.url))
            .header("Authorization", "Token other-token-0123456789")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 404);
        let r = s
            .http
            .get(format!("{}/api/v1/collections/workflow", s.url))
            .header("Authorization", "Token other-token-0123456789")
            .send()
            .await
            .unwrap();
        let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        assert_eq!(body["results"], json!([]));
        let r = s
            .http
            .get(format!("{}/api/v1/collections/workflow", s.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);
    }
);

#[tokio::test]
async fn portal_routes_are_in_the_openapi_document() {
    let s = common::start(&atende_testkit::sqlite_url()).await;
    let (status, doc) = s.get("/api/openapi.json").await;
    assert_eq!(status, 200);
    for (path, methods) in [
        (
            "/api/v1/collections/campaigns/{campaign}/tabulations",
            &["get", "put"][..],
        ),
        ("/api/v1/collections/tabulations", &["post"]),
        ("/api/v1/collections/customers/{document}/phones", &["post"]),
        ("/api/v1/collections/customers/{document}/emails", &["post"]),
        (
            "/api/v1/collections/customers/{document}/addresses",
            &["post"],
        ),
        ("/api/v1/collections/proposals", &["post"]),
        ("/api/v1/collections/workflow", &["get"]),
        ("/api/v1/collections/workflow/{id}", &["get", "post"]),
    ] {
        for m in methods {
            assert!(
                doc["paths"][path][m]["summary"].is_string(),
                "{m} {path} missing from the OpenAPI document"
            );
        }
    }
}
