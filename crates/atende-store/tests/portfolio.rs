//! The collections portfolio's rules (issue 6), run on SQLite always and on PostgreSQL
//! when `ATENDE_TEST_POSTGRES_URL` names a server. Each test gets a fresh database.

use atende_store::portfolio::{
    content_hash, Address, Agreement, ContractStatus, CustomerView, Guarantee, ImportContext,
    Installment, MassActionInfo, NewPhone, NewRun, Outcome, RefinOffer, RemessaRecord, RunCounts,
    RunStart, RunStatus, INSTALLMENT_BATCH, MARK_EMAIL, MARK_SMS, MARK_WHATSAPP,
};
use atende_store::{Store, StoreError};
use jiff::civil::{date, Date};

use atende_testkit::both;

async fn open(url: String) -> Store {
    Store::open(&url).await.unwrap()
}

const WS: &str = "w1";
const CPF_A: &str = "52998224725";
const CPF_B: &str = "11144477735";

fn now() -> jiff::Timestamp {
    atende_store::wall_now()
}

/// Begins a run for a file (in its own transaction, as the importer does) and returns
/// the context for its rows.
async fn run(store: &Store, name: &str, file_date: Date) -> ImportContext {
    store.ensure_workspace(WS, "Cobrança").await.unwrap();
    let hash = content_hash(format!("{name} {}", uuid::Uuid::new_v4()).as_bytes());
    let mut tx = store.begin().await.unwrap();
    let RunStart::New(r) = tx
        .begin_run(
            WS,
            &NewRun {
                file_name: name,
                layout: "test",
                content_hash: &hash,
                file_date,
            },
            now(),
        )
        .await
        .unwrap()
    else {
        panic!("new content makes a new run")
    };
    tx.commit().await.unwrap();
    r.context(WS, now())
}

fn phone(ddd: &str, number: &str, score: Option<i64>) -> NewPhone {
    NewPhone {
        ddd: ddd.into(),
        number: number.into(),
        kind: String::new(),
        score,
    }
}

fn remessa(document: &str, contract: &str, portfolio: &str) -> RemessaRecord {
    RemessaRecord {
        document: document.into(),
        name: "Maria Silva".into(),
        crm_id: None,
        contract: contract.into(),
        portfolio: portfolio.into(),
        product: "VEICULOS".into(),
        days_late: Some(35),
        installment_value_cents: Some(59_537),
        extra: [("COD_PRODUTO".to_string(), serde_json::json!("528"))]
            .into_iter()
            .collect(),
        addresses: vec![Address {
            kind: "RESIDENCIAL".into(),
            street: "Rua das Flores".into(),
            number: "10".into(),
            district: "Centro".into(),
            city: "São Paulo".into(),
            state: "SP".into(),
            zip: "01001-000".into(),
            ..Address::default()
        }],
        phones: vec![
            NewPhone {
                kind: "CELULAR".into(),
                ..phone("11", "987654321", None)
            },
            NewPhone {
                kind: "RESIDENCIAL".into(),
                ..phone("11", "33334444", None)
            },
        ],
        emails: vec!["Maria@Example.com".into()],
    }
}

/// Applies remessa records in one file of `file_date`, committed.
async fn load_remessa(store: &Store, file_date: Date, records: &[RemessaRecord]) -> Vec<Outcome> {
    let ctx = run(store, &format!("{file_date}_remessa_528"), file_date).await;
    let mut tx = store.begin().await.unwrap();
    let mut out = Vec::new();
    for r in records {
        out.push(tx.upsert_remessa(&ctx, r).await.unwrap());
    }
    tx.commit().await.unwrap();
    out
}

async fn customer(store: &Store, document: &str) -> CustomerView {
    store
        .customer_by_document(WS, document)
        .await
        .unwrap()
        .expect("customer in the base")
}

async fn contract_status(store: &Store, document: &str, contract: &str) -> (ContractStatus, Date) {
    let c = customer(store, document).await;
    let k = c
        .contracts
        .iter()
        .find(|k| k.contract == contract)
        .expect("contract in the base");
    (k.status, k.status_since)
}

both!(
    remessa_creates_then_updates,
    open,
    |store: Store| async move {
        let d0 = date(2023, 8, 4);
        let out = load_remessa(&store, d0, &[remessa(CPF_A, "C1", "528")]).await;
        assert_eq!(out, [Outcome::Applied]);
        let c = customer(&store, "529.982.247-25").await;
        assert_eq!(c.name, "Maria Silva");
        assert_eq!(c.person_type, "F");
        assert_eq!(c.crm_id, "1", "a CRM id is minted when the file has none");
        assert_eq!(c.emails[0].email, "maria@example.com");
        assert_eq!(c.addresses.len(), 1);
        let k = &c.contracts[0];
        assert_eq!(k.status, ContractStatus::Active);
        assert_eq!(k.status_since, d0);
        assert_eq!(k.installment_value_cents, Some(59_537));
        assert_eq!(k.extra.parse()["COD_PRODUTO"], "528");
        assert_eq!(k.status_history.len(), 1);
        let phones: Vec<_> = k
            .phones
            .iter()
            .map(|p| (p.number.as_str(), p.origin.as_str(), p.position))
            .collect();
        assert_eq!(
            phones,
            [("987654321", "Remessa", 1), ("33334444", "Remessa", 2)]
        );

        // the next day's remessa updates the contract, keeps it active since d0, and merges
        // contact data without duplicating it
        let mut next = remessa(CPF_A, "C1", "528");
        next.name = "Maria da Silva".into();
        next.days_late = Some(36);
        next.addresses[0].street = "RUA DAS  FLORES".into();
        next.phones.push(phone("21", "988887777", None));
        next.emails.push("maria@example.com".into());
        let d1 = date(2023, 8, 5);
        assert_eq!(load_remessa(&store, d1, &[next]).await, [Outcome::Applied]);
        let c = customer(&store, CPF_A).await;
        assert_eq!(c.name, "Maria da Silva");
        assert_eq!(c.crm_id, "1");
        assert_eq!(c.addresses.len(), 1, "same address, other spelling");
        assert_eq!(c.emails.len(), 1);
        let k = &c.contracts[0];
        assert_eq!(k.days_late, Some(36));
        assert_eq!(k.status_since, d0);
        assert_eq!(k.status_history.len(), 1, "no status change, no history");
        assert_eq!(k.phones.len(), 3);
        assert_eq!(k.phones[2].number, "988887777");

        // a CRM id from the file is kept; lookups by it find the customer
        let mut b = remessa(CPF_B, "C2", "528");
        b.crm_id = Some("CRM-77".into());
        load_remessa(&store, d1, &[b]).await;
        let by_crm = store
            .customer_by_crm_id(WS, "CRM-77")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(by_crm.document, CPF_B);
        assert_eq!(
            store
                .customer_by_crm_id(WS, "1")
                .await
                .unwrap()
                .unwrap()
                .document,
            CPF_A
        );
        assert!(store.customer_by_crm_id(WS, "2").await.unwrap().is_none());
        assert!(store
            .customer_by_document(WS, "00000000191")
            .await
            .unwrap()
            .is_none());
        assert!(store
            .customer_by_document(WS, "not a cpf")
            .await
            .unwrap()
            .is_none());
        assert!(store
            .customer_by_document("other", CPF_A)
            .await
            .unwrap()
            .is_none());

        // a malformed key is the caller's mistake
        let ctx = run(&store, "bad", d1).await;
        let mut tx = store.begin().await.unwrap();
        let err = tx
            .upsert_remessa(&ctx, &remessa("123", "C3", "528"))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    }
);

/// Positions order lists; a batch may leave gaps between them, so compare ranks.
fn ranked(mut v: CustomerView) -> CustomerView {
    for (i, a) in v.addresses.iter_mut().enumerate() {
        a.position = i as i64 + 1;
    }
    for (i, e) in v.emails.iter_mut().enumerate() {
        e.position = i as i64 + 1;
    }
    for k in &mut v.contracts {
        for (i, p) in k.phones.iter_mut().enumerate() {
            p.position = i as i64 + 1;
        }
    }
    v
}

both!(
    remessa_batch_equals_one_by_one,
    open,
    |store: Store| async move {
        // the same days in two workspaces: record by record in one, in batches in the other
        let at = now();
        let days = [
            date(2023, 8, 1),
            date(2023, 8, 2),
            date(2023, 8, 3),
            date(2023, 8, 6),
        ];
        let day_records = |day: usize| -> Vec<RemessaRecord> {
            let mut out = Vec::new();
            for i in 0..30 {
                // three customers, ten contracts each
                let doc = [CPF_A, CPF_B, "00000000191"][i % 3];
                let mut r = remessa(doc, &format!("K{i:02}"), "528");
                r.name = format!("Cliente {} dia {day}", i % 3);
                r.crm_id = (i == 4 && day == 0).then(|| "CRM-4".to_string());
                r.phones.push(phone(
                    "21",
                    &format!("9{:08}", 1000 + i + day),
                    Some(day as i64),
                ));
                // a number repeated within the record
                r.phones.push(NewPhone {
                    kind: "CELULAR".into(),
                    ..phone("11", "987654321", Some(7))
                });
                if day > 0 {
                    r.addresses.push(Address {
                        street: format!("Rua {day}"),
                        zip: "02002000".into(),
                        ..Address::default()
                    });
                    r.emails.push(format!("c{}@dia{day}.com", i % 3));
                }
                out.push(r);
            }
            if day == 3 {
                // a contract twice in one file: the second row wins
                let mut again = remessa(CPF_A, "K00", "528");
                again.product = "MOTOS".into();
                out.push(again);
            }
            out
        };
        let mut outcomes: Vec<Vec<Vec<(usize, Outcome)>>> = vec![Vec::new(), Vec::new()];
        for (w, ws) in ["one", "batch"].iter().enumerate() {
            store.ensure_workspace(ws, ws).await.unwrap();
            for (d, &day) in days.iter().enumerate() {
                // run ids follow the same sequence in both workspaces
                let mut tx = store.begin().await.unwrap();
                let hash = content_hash(format!("{ws}{d}").as_bytes());
                let RunStart::New(r) = tx
                    .begin_run(
                        ws,
                        &NewRun {
                            file_name: "remessa",
                            layout: "remessa",
                            content_hash: &hash,
                            file_date: day,
                        },
                        at,
                    )
                    .await
                    .unwrap()
                else {
                    panic!()
                };
                let ctx = ImportContext::new(ws, r.id, day, at);
                let records = day_records(d);
                if d == 1 {
                    // between the files of day 0 and 1: K01 written off, K02 excluded
                    let _ = tx
                        .write_off_agreement(
                            &ctx,
                            &Agreement {
                                contract: "K01".into(),
                                agreement_no: "1".into(),
                                ..Agreement::default()
                            },
                        )
                        .await
                        .unwrap();
                    let _ = tx
                        .exclude_contract(&ctx, "K02", ContractStatus::Excluded, "")
                        .await
                        .unwrap();
                }
                let out = if w == 0 {
                    let mut out = Vec::new();
                    for (i, r) in records.iter().enumerate() {
                        let o = tx.upsert_remessa(&ctx, r).await.unwrap();
                        if !o.is_applied() {
                            out.push((i, o));
                        }
                    }
                    out
                } else {
                    // uneven slices, as an importer flushing a buffer might pass
                    let mut out = Vec::new();
                    let mut first = 0;
                    for size in [7, 1, 20, 100] {
                        let end = (first + size).min(records.len());
                        for (i, o) in tx
                            .upsert_remessa_batch(&ctx, &records[first..end])
                            .await
                            .unwrap()
                        {
                            out.push((first + i, o));
                        }
                        first = end;
                    }
                    out
                };
                outcomes[w].push(out);
                tx.commit().await.unwrap();
            }
        }
        assert_eq!(outcomes[0], outcomes[1]);
        // K01 was blocked on day 1: refused on days 1 and 2, re-activated on day 3 (the 6th)
        assert_eq!(
            outcomes[0][1..3],
            [
                vec![(1, Outcome::PartialBlock { since: days[1] })],
                vec![(1, Outcome::PartialBlock { since: days[1] })]
            ]
        );
        assert!(outcomes[0][3].is_empty());
        for doc in [CPF_A, CPF_B, "00000000191"] {
            let one = store
                .customer_by_document("one", doc)
                .await
                .unwrap()
                .unwrap();
            let batch = store
                .customer_by_document("batch", doc)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(ranked(one.clone()), ranked(batch), "{doc}");
            if doc == CPF_B {
                assert_eq!(one.crm_id, "CRM-4");
            }
            if doc == CPF_A {
                assert_eq!(one.contracts[0].product, "MOTOS");
                let k03 = one.contracts.iter().find(|k| k.contract == "K03").unwrap();
                assert_eq!(
                    k03.phones[0].score,
                    Some(7),
                    "the repeated number's last score"
                );
                assert_eq!(one.addresses.len(), 4);
                assert_eq!(one.emails.len(), 4);
            }
        }
        let k02 = store
            .customer_by_document("one", "00000000191")
            .await
            .unwrap()
            .unwrap();
        let k02 = k02.contracts.iter().find(|k| k.contract == "K02").unwrap();
        assert_eq!(
            k02.status,
            ContractStatus::Active,
            "re-activated the next day"
        );
        assert_eq!(k02.status_history.len(), 3);
    }
);

both!(
    partial_block_day_2_vs_day_4,
    open,
    |store: Store| async move {
        let d0 = date(2023, 8, 1);
        load_remessa(
            &store,
            d0,
            &[remessa(CPF_A, "C1", "528"), remessa(CPF_B, "C2", "528")],
        )
        .await;
        // acordos baixados on day 1 (the 2nd of August) block C1
        let blocked_on = date(2023, 8, 2);
        let ctx = run(&store, "AcordosBaixados_02082023_528.csv", blocked_on).await;
        let mut tx = store.begin().await.unwrap();
        let row = Agreement {
            contract: "C1".into(),
            agreement_no: "A-9".into(),
            installment_no: 1,
            document: "529.982.247-25".into(),
            amount_cents: Some(120_000),
            reason: "PAGAMENTO".into(),
            ..Agreement::default()
        };
        assert_eq!(
            tx.write_off_agreement(&ctx, &row).await.unwrap(),
            Outcome::Applied
        );
        // a second installment of the same agreement the same day changes nothing more
        let second = Agreement {
            installment_no: 2,
            ..row.clone()
        };
        assert_eq!(
            tx.write_off_agreement(&ctx, &second).await.unwrap(),
            Outcome::Applied
        );
        let unknown = Agreement {
            contract: "NOPE".into(),
            ..row.clone()
        };
        assert_eq!(
            tx.write_off_agreement(&ctx, &unknown).await.unwrap(),
            Outcome::ContractNotFound
        );
        tx.commit().await.unwrap();
        assert_eq!(
            contract_status(&store, CPF_A, "C1").await,
            (ContractStatus::PartialBlock, blocked_on)
        );
        let c = customer(&store, CPF_A).await;
        assert_eq!(c.contracts[0].agreements.len(), 2);
        assert_eq!(
            c.contracts[0].agreements[0].written_off_on,
            Some(blocked_on)
        );
        assert_eq!(c.contracts[0].agreements[0].document, CPF_A);
        assert_eq!(c.contracts[0].status_history.len(), 2);

        // the remessa of the 2nd and 3rd day does not re-activate it, nor touch the customer
        for day in [date(2023, 8, 3), date(2023, 8, 4)] {
            let mut r = remessa(CPF_A, "C1", "528");
            r.name = "Changed".into();
            let out = load_remessa(&store, day, &[r, remessa(CPF_B, "C2", "528")]).await;
            assert_eq!(
                out,
                [
                    Outcome::PartialBlock { since: blocked_on },
                    Outcome::Applied
                ],
                "{day}"
            );
            assert!(out[0].reason().unwrap().ends_with("linha ignorada (R020)"));
            assert_eq!(
                contract_status(&store, CPF_A, "C1").await,
                (ContractStatus::PartialBlock, blocked_on)
            );
            assert_eq!(customer(&store, CPF_A).await.name, "Maria Silva");
        }
        // the 4th day re-activates it
        let day4 = date(2023, 8, 5);
        let out = load_remessa(&store, day4, &[remessa(CPF_A, "C1", "528")]).await;
        assert_eq!(out, [Outcome::Applied]);
        assert_eq!(
            contract_status(&store, CPF_A, "C1").await,
            (ContractStatus::Active, day4)
        );
        let history: Vec<_> = customer(&store, CPF_A).await.contracts[0]
            .status_history
            .iter()
            .map(|h| (h.status, h.since))
            .collect();
        assert_eq!(
            history,
            [
                (ContractStatus::Active, d0),
                (ContractStatus::PartialBlock, blocked_on),
                (ContractStatus::Active, day4)
            ]
        );

        // a later write-off renews the block's date: the 3 days count from it
        let ctx = run(&store, "AcordosBaixados_06082023_528.csv", date(2023, 8, 6)).await;
        let mut tx = store.begin().await.unwrap();
        let _ = tx.write_off_agreement(&ctx, &row).await.unwrap();
        tx.commit().await.unwrap();
        let ctx = run(&store, "AcordosBaixados_07082023_528.csv", date(2023, 8, 7)).await;
        let mut tx = store.begin().await.unwrap();
        let _ = tx.write_off_agreement(&ctx, &second).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            contract_status(&store, CPF_A, "C1").await,
            (ContractStatus::PartialBlock, date(2023, 8, 7))
        );
        let out = load_remessa(&store, date(2023, 8, 9), &[remessa(CPF_A, "C1", "528")]).await;
        assert_eq!(
            out,
            [Outcome::PartialBlock {
                since: date(2023, 8, 7)
            }]
        );
        // an open agreement recorded later does not undo the write-off
        let ctx = run(&store, "baixa", date(2023, 8, 9)).await;
        let mut tx = store.begin().await.unwrap();
        let open = Agreement {
            written_off_on: None,
            ..row.clone()
        };
        assert_eq!(
            tx.record_agreement(&ctx, &open).await.unwrap(),
            Outcome::Applied
        );
        tx.commit().await.unwrap();
        let c = customer(&store, CPF_A).await;
        assert_eq!(
            c.contracts[0].agreements[0].written_off_on,
            Some(date(2023, 8, 6))
        );
    }
);

both!(
    enrichment_phones_go_last_and_numbered,
    open,
    |store: Store| async move {
        let d0 = date(2023, 8, 1);
        load_remessa(&store, d0, &[remessa(CPF_A, "C1", "528")]).await;
        let ctx = run(&store, "telefones_carteira_veic_020823101010.csv", d0).await;
        let mut tx = store.begin().await.unwrap();
        let out = tx
            .add_enrichment_phones(
                &ctx,
                "C1",
                &[
                    phone("11", "911112222", Some(870)),
                    phone("11", "987654321", Some(990)), // already on the contract
                    phone("", "", None),                 // empty column of the file
                    phone("31", "32221111", Some(400)),
                ],
            )
            .await
            .unwrap();
        assert_eq!(out, Outcome::Applied);
        assert_eq!(
            tx.add_enrichment_phones(&ctx, "NOPE", &[phone("11", "911112222", Some(1))])
                .await
                .unwrap(),
            Outcome::ContractNotFound
        );
        tx.commit().await.unwrap();
        let ctx = run(&store, "telefones_carteira_veic_030823101010.csv", d0).await;
        let mut tx = store.begin().await.unwrap();
        let out = tx
            .add_enrichment_phones(
                &ctx,
                "C1",
                &[
                    phone("21", "955556666", Some(100)),
                    phone("31", "32221111", Some(400)),
                ],
            )
            .await
            .unwrap();
        assert_eq!(out, Outcome::Applied);
        // the same phones again write nothing, and the contract still exists
        let out = tx
            .add_enrichment_phones(&ctx, "C1", &[phone("21", "955556666", Some(100))])
            .await
            .unwrap();
        assert_eq!(out, Outcome::Applied);
        tx.commit().await.unwrap();
        let k = &customer(&store, CPF_A).await.contracts[0];
        let phones: Vec<_> = k
            .phones
            .iter()
            .map(|p| (p.position, p.number.as_str(), p.origin.as_str(), p.score))
            .collect();
        assert_eq!(
            phones,
            [
                (1, "987654321", "Remessa", Some(990)),
                (2, "33334444", "Remessa", None),
                (3, "911112222", "Enriquecimento 1", Some(870)),
                (4, "32221111", "Enriquecimento 2", Some(400)),
                (5, "955556666", "Enriquecimento 3", Some(100)),
            ]
        );
        // a malformed phone is the caller's mistake
        let mut tx = store.begin().await.unwrap();
        assert!(tx
            .add_enrichment_phones(&ctx, "C1", &[phone("1", "911112222", None)])
            .await
            .is_err());
    }
);

fn installment(contract: &str, number: i64, value: i64) -> Installment {
    Installment {
        contract: contract.into(),
        number,
        due_date: Some(date(2023, 1, 10) + jiff::Span::new().months(number)),
        value_cents: Some(value),
        balance_cents: None,
        days_late: Some(0),
        status: "ABERTA".into(),
        extra: Default::default(),
    }
}

/// Contracts C1 and C2 of customer A, from a remessa of `day`.
async fn load_c1_c2(store: &Store, day: Date) {
    load_remessa(
        store,
        day,
        &[remessa(CPF_A, "C1", "528"), remessa(CPF_A, "C2", "528")],
    )
    .await;
}

/// (number, value) of the installments of the customer's `i`th contract.
fn installment_values(c: &CustomerView, i: usize) -> Vec<(i64, Option<i64>)> {
    c.contracts[i]
        .installments
        .iter()
        .map(|i| (i.number, i.value_cents))
        .collect()
}

both!(
    installments_replace_the_contracts_set,
    open,
    |store: Store| async move {
        let d0 = date(2023, 8, 1);
        load_c1_c2(&store, d0).await;
        let ctx = run(&store, "parc_1", d0).await;
        let mut tx = store.begin().await.unwrap();
        // more rows than a batch, so one contract's rows span two statements
        let n = INSTALLMENT_BATCH as i64 + 100;
        let mut rows: Vec<_> = (1..=n).map(|n| installment("C1", n, 10_000)).collect();
        rows.push(installment("C2", 1, 20_000));
        rows.push(installment("NOPE", 1, 1));
        let refused = tx.put_installments(&ctx, &rows).await.unwrap();
        assert_eq!(refused, [(n as usize + 1, Outcome::ContractNotFound)]);
        tx.commit().await.unwrap();
        let c = customer(&store, CPF_A).await;
        assert_eq!(c.contracts[0].installments.len(), n as usize);
        assert_eq!(c.contracts[1].installments.len(), 1);
        assert_eq!(
            c.contracts[0].installments[0].due_date,
            Some(date(2023, 2, 10))
        );

        // the next parcelas file replaces C1's set, leaves C2's; a repeated number keeps
        // the last row
        let ctx = run(&store, "parc_2", date(2023, 8, 2)).await;
        let mut tx = store.begin().await.unwrap();
        let rows = [
            installment("C1", 1, 11_000),
            installment("C1", 2, 11_000),
            installment("C1", 2, 12_000),
        ];
        assert!(tx.put_installments(&ctx, &rows).await.unwrap().is_empty());
        assert_eq!(
            tx.put_installment(&ctx, &installment("NOPE", 1, 1))
                .await
                .unwrap(),
            Outcome::ContractNotFound
        );
        tx.commit().await.unwrap();
        let c = customer(&store, CPF_A).await;
        assert_eq!(
            installment_values(&c, 0),
            [(1, Some(11_000)), (2, Some(12_000))]
        );
        assert_eq!(c.contracts[1].installments.len(), 1);
    }
);

both!(
    installments_repeated_across_calls_keep_the_last_row,
    open,
    |store: Store| async move {
        let d0 = date(2023, 8, 1);
        load_c1_c2(&store, d0).await;
        // an earlier run's set, replaced by the next run's first rows
        let ctx = run(&store, "parc_1", d0).await;
        let mut tx = store.begin().await.unwrap();
        let rows: Vec<_> = (1..=5).map(|n| installment("C1", n, 1)).collect();
        assert!(tx.put_installments(&ctx, &rows).await.unwrap().is_empty());
        tx.commit().await.unwrap();
        let ctx = run(&store, "parc_2", date(2023, 8, 2)).await;
        let mut tx = store.begin().await.unwrap();
        // the file's rows come in chunks: C1's rows span three calls and repeat numbers
        // from an earlier call (with an unknown contract between), C2's come in the last
        assert!(tx
            .put_installments(&ctx, &[installment("C1", 1, 10), installment("C1", 2, 20)])
            .await
            .unwrap()
            .is_empty());
        let refused = tx
            .put_installments(
                &ctx,
                &[
                    installment("C1", 2, 21),
                    installment("NOPE", 1, 1),
                    installment("C1", 3, 30),
                    installment("NOPE", 2, 1),
                ],
            )
            .await
            .unwrap();
        assert_eq!(
            refused,
            [
                (1, Outcome::ContractNotFound),
                (3, Outcome::ContractNotFound)
            ]
        );
        assert!(tx
            .put_installments(
                &ctx,
                &[
                    installment("C1", 1, 11),
                    installment("C1", 3, 31),
                    installment("C1", 3, 32),
                    installment("C2", 1, 40),
                ]
            )
            .await
            .unwrap()
            .is_empty());
        tx.commit().await.unwrap();
        let c = customer(&store, CPF_A).await;
        assert_eq!(
            installment_values(&c, 0),
            [(1, Some(11)), (2, Some(21)), (3, Some(32))]
        );
        assert_eq!(installment_values(&c, 1), [(1, Some(40))]);
    }
);

both!(
    installment_text_and_nulls_round_trip,
    open,
    |store: Store| async move {
        let d0 = date(2023, 8, 1);
        load_remessa(&store, d0, &[remessa(CPF_A, "C1", "528")]).await;
        let ctx = run(&store, "parc_1", d0).await;
        let tricky = "aspas \" 'simples' barra \\ \\u0041 nova\nlinha\r\ttab \u{1}\u{1f}\u{7f} ção € 😀 [\"x\", null] {}";
        let extra: atende_store::portfolio::EncodedExtra = [
            ("texto".to_string(), serde_json::json!(tricky)),
            ("numero".to_string(), serde_json::json!(-12)),
            ("nulo".to_string(), serde_json::Value::Null),
        ]
        .into_iter()
        .collect();
        let rows = [
            Installment {
                contract: " C1 ".into(),
                number: 1,
                due_date: None,
                value_cents: None,
                balance_cents: None,
                days_late: None,
                status: tricky.into(),
                extra: extra.clone(),
            },
            Installment {
                contract: "C1".into(),
                number: i64::MAX,
                due_date: Some(date(2024, 2, 29)),
                value_cents: Some(i64::MIN),
                balance_cents: Some(0),
                days_late: Some(-1),
                status: String::new(),
                extra: Default::default(),
            },
        ];
        let mut tx = store.begin().await.unwrap();
        assert!(tx.put_installments(&ctx, &rows).await.unwrap().is_empty());
        tx.commit().await.unwrap();
        let c = customer(&store, CPF_A).await;
        let got = c.contracts[0].installments.clone();
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[0].number, got[0].due_date, got[0].value_cents),
            (1, None, None)
        );
        assert_eq!((got[0].balance_cents, got[0].days_late), (None, None));
        assert_eq!(got[0].status, tricky);
        assert_eq!(got[0].extra.get(), extra.as_str());
        assert_eq!(
            (got[1].number, got[1].due_date, got[1].value_cents),
            (i64::MAX, Some(date(2024, 2, 29)), Some(i64::MIN))
        );
        assert_eq!(
            (got[1].balance_cents, got[1].days_late),
            (Some(0), Some(-1))
        );
        assert_eq!((got[1].status.as_str(), got[1].extra.get()), ("", "{}"));
    }
);

both!(
    big_values_written_in_a_bulk_load_read_back,
    open,
    |store: Store| async move {
        // bulk_load compresses big values with lz4 on PostgreSQL: a remessa's extra
        // above the TOAST threshold (2 KB) must read back as written
        let ctx = run(&store, "remessa_grande", date(2023, 8, 1)).await;
        let mut r = remessa(CPF_A, "C1", "528");
        r.extra = (0..400)
            .map(|i| {
                (
                    format!("CAMPO_{i:03}"),
                    serde_json::json!(format!("valor {i} ção")),
                )
            })
            .collect();
        assert!(r.extra.as_str().len() > 8_000);
        let mut tx = store.begin().await.unwrap();
        tx.bulk_load().await.unwrap();
        assert!(tx.upsert_remessa(&ctx, &r).await.unwrap().is_applied());
        tx.commit().await.unwrap();
        let c = customer(&store, CPF_A).await;
        assert_eq!(c.contracts[0].extra.get(), r.extra.as_str());
        if store.backend() == atende_store::Backend::Postgres {
            let method: Option<String> =
                sqlx::query_scalar("SELECT pg_column_compression(extra) FROM contracts")
                    .fetch_one(store.pool())
                    .await
                    .unwrap();
            assert_eq!(method.as_deref(), Some("lz4"));
        }
    }
);

both!(
    guarantees_and_refin_replace_earlier_data,
    open,
    |store: Store| async move {
        let d0 = date(2023, 8, 1);
        load_remessa(&store, d0, &[remessa(CPF_A, "C1", "528")]).await;
        let car = Guarantee {
            contract: "C1".into(),
            seq: 1,
            kind: "VEICULO".into(),
            make: "FIAT".into(),
            model: "UNO".into(),
            manufacture_year: Some(2019),
            model_year: Some(2020),
            plate: "ABC1D23".into(),
            chassis: "9BD000000000000".into(),
            ..Guarantee::default()
        };
        let offer = |plan: i64| RefinOffer {
            contract: "C1".into(),
            delay_band: "d) 91 a 120".into(),
            refin_plan: Some(plan),
            refin_installment_cents: Some(41_600),
            total_refinanced_cents: Some(2_381_480),
            monthly_interest: Some("1.66".into()),
            first_due_date: Some(date(2023, 8, 11)),
            ..RefinOffer::default()
        };
        let ctx = run(&store, "garantias_1", d0).await;
        let mut tx = store.begin().await.unwrap();
        assert_eq!(
            tx.put_guarantee(&ctx, &car).await.unwrap(),
            Outcome::Applied
        );
        let second = Guarantee {
            seq: 2,
            model: "MOBI".into(),
            ..car.clone()
        };
        assert_eq!(
            tx.put_guarantee(&ctx, &second).await.unwrap(),
            Outcome::Applied
        );
        assert_eq!(
            tx.put_refin(&ctx, &offer(58)).await.unwrap(),
            Outcome::Applied
        );
        assert_eq!(
            tx.put_refin(&ctx, &offer(48)).await.unwrap(),
            Outcome::Applied
        );
        let nope = RefinOffer {
            contract: "NOPE".into(),
            ..offer(1)
        };
        assert_eq!(
            tx.put_refin(&ctx, &nope).await.unwrap(),
            Outcome::ContractNotFound
        );
        let nope = Guarantee {
            contract: "NOPE".into(),
            ..car.clone()
        };
        assert_eq!(
            tx.put_guarantee(&ctx, &nope).await.unwrap(),
            Outcome::ContractNotFound
        );
        tx.commit().await.unwrap();
        let k = &customer(&store, CPF_A).await.contracts[0];
        assert_eq!(k.guarantees, [car.clone(), second]);
        assert_eq!(k.refin.len(), 2, "two offers of one file");

        // R029: the next REFIN file discards the earlier data of the contract
        let ctx = run(&store, "refin_2", date(2023, 8, 8)).await;
        let mut tx = store.begin().await.unwrap();
        assert_eq!(
            tx.put_refin(&ctx, &offer(36)).await.unwrap(),
            Outcome::Applied
        );
        let updated = Guarantee {
            model: "UNO WAY".into(),
            ..car.clone()
        };
        assert_eq!(
            tx.put_guarantee(&ctx, &updated).await.unwrap(),
            Outcome::Applied
        );
        tx.commit().await.unwrap();
        let k = &customer(&store, CPF_A).await.contracts[0];
        assert_eq!(k.refin, [offer(36)]);
        assert_eq!(k.guarantees, [updated]);
    }
);

both!(exclusion_and_removal, open, |store: Store| async move {
    let d0 = date(2023, 8, 1);
    load_remessa(
        &store,
        d0,
        &[remessa(CPF_A, "C1", "528"), remessa(CPF_A, "C2", "528")],
    )
    .await;
    let d1 = date(2023, 8, 2);
    let ctx = run(&store, "baixa_528", d1).await;
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.exclude_contract(&ctx, "C1", ContractStatus::Excluded, "")
            .await
            .unwrap(),
        Outcome::Applied
    );
    assert_eq!(
        tx.exclude_contract(&ctx, "C2", ContractStatus::Removed, "RETIRADA PELO CREDOR")
            .await
            .unwrap(),
        Outcome::Applied
    );
    // again: nothing changes, still applied
    assert_eq!(
        tx.exclude_contract(&ctx, "C2", ContractStatus::Removed, "")
            .await
            .unwrap(),
        Outcome::Applied
    );
    assert_eq!(
        tx.exclude_contract(&ctx, "NOPE", ContractStatus::Excluded, "")
            .await
            .unwrap(),
        Outcome::ContractNotFound
    );
    assert!(tx
        .exclude_contract(&ctx, "C1", ContractStatus::Active, "")
        .await
        .is_err());
    tx.commit().await.unwrap();
    assert_eq!(
        contract_status(&store, CPF_A, "C1").await,
        (ContractStatus::Excluded, d1)
    );
    let c = customer(&store, CPF_A).await;
    let h = &c.contracts[1].status_history;
    assert_eq!(h.len(), 2);
    assert_eq!(h[1].status, ContractStatus::Removed);
    assert_eq!(h[1].reason, "RETIRADA PELO CREDOR");
    assert_eq!(h[1].run_id, Some(ctx.run_id));
});

both!(
    batimento_writes_off_absent_contracts_and_creates_none,
    open,
    |store: Store| async move {
        let d0 = date(2023, 8, 3);
        load_remessa(
            &store,
            d0,
            &[
                remessa(CPF_A, "A", "528"),
                remessa(CPF_A, "B", "528"),
                remessa(CPF_B, "C", "528"),
                remessa(CPF_B, "D", "528"),
                remessa(CPF_B, "E", "999"),
            ],
        )
        .await;
        // D is in partial block (acordos of the day)
        let ctx = run(&store, "AcordosBaixados", d0).await;
        let mut tx = store.begin().await.unwrap();
        let _ = tx
            .write_off_agreement(
                &ctx,
                &Agreement {
                    contract: "D".into(),
                    agreement_no: "1".into(),
                    ..Agreement::default()
                },
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let d1 = date(2023, 8, 4);
        let ctx = run(&store, "bat_carteira_veic_04082023_528.csv", d1).await;
        let mut tx = store.begin().await.unwrap();
        let mut b = tx.begin_batimento("528").await.unwrap();
        assert_eq!(
            tx.batimento_row(&ctx, &mut b, "A").await.unwrap(),
            Outcome::Applied
        );
        assert_eq!(
            tx.batimento_rows(&ctx, &mut b, &["X", "A", "E"])
                .await
                .unwrap(),
            [(0, Outcome::ContractNotFound)]
        );
        let summary = tx.finish_batimento(&ctx, b).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(summary.seen, 3);
        assert_eq!(summary.written_off, 2, "B and C");
        let st = |doc, k| {
            let store = store.clone();
            async move { contract_status(&store, doc, k).await.0 }
        };
        assert_eq!(st(CPF_A, "A").await, ContractStatus::Active);
        assert_eq!(st(CPF_A, "B").await, ContractStatus::AllWrittenOff);
        assert_eq!(st(CPF_B, "C").await, ContractStatus::AllWrittenOff);
        assert_eq!(st(CPF_B, "D").await, ContractStatus::PartialBlock);
        assert_eq!(
            st(CPF_B, "E").await,
            ContractStatus::Active,
            "other portfolio"
        );
        assert!(
            store
                .customer_by_document(WS, CPF_B)
                .await
                .unwrap()
                .unwrap()
                .contracts
                .iter()
                .all(|k| k.contract != "X"),
            "a contract only in the batimento is not created"
        );
        let b_history = &customer(&store, CPF_A).await.contracts[1].status_history;
        assert_eq!(b_history.len(), 2);
        assert_eq!(b_history[1].status, ContractStatus::AllWrittenOff);
        assert_eq!(b_history[1].since, d1);
        assert_eq!(b_history[1].reason, "batimento");

        // the next day's batimento, in another transaction: written-off contracts are not
        // re-activated by being listed; A goes now
        let ctx = run(
            &store,
            "bat_carteira_veic_05082023_528.csv",
            date(2023, 8, 5),
        )
        .await;
        let mut tx = store.begin().await.unwrap();
        let mut b = tx.begin_batimento("528").await.unwrap();
        assert!(tx
            .batimento_rows(&ctx, &mut b, &["B", "C"])
            .await
            .unwrap()
            .is_empty());
        let summary = tx.finish_batimento(&ctx, b).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(summary.written_off, 1);
        assert_eq!(st(CPF_A, "A").await, ContractStatus::AllWrittenOff);
        assert_eq!(st(CPF_A, "B").await, ContractStatus::AllWrittenOff);

        // a file naming no contract of the base would write off everything: refused
        load_remessa(&store, date(2023, 8, 6), &[remessa(CPF_B, "E", "999")]).await;
        let mut tx = store.begin().await.unwrap();
        let mut b = tx.begin_batimento("999").await.unwrap();
        let refused = tx.batimento_rows(&ctx, &mut b, &["X"]).await.unwrap();
        assert_eq!(refused.len(), 1);
        let err = tx.finish_batimento(&ctx, b).await.unwrap_err();
        assert!(
            err.to_string()
                .starts_with("o arquivo de batimento não traz nenhum contrato da base"),
            "{err}"
        );
        drop(tx);
        assert_eq!(st(CPF_B, "E").await, ContractStatus::Active);
    }
);

both!(mass_action_marks, open, |store: Store| async move {
    let d0 = date(2023, 8, 1);
    // two customers' contracts share a phone
    let mut c3 = remessa(CPF_B, "C3", "528");
    c3.phones = vec![phone("11", "987654321", None)];
    load_remessa(
        &store,
        d0,
        &[remessa(CPF_A, "C1", "528"), remessa(CPF_A, "C2", "528"), c3],
    )
    .await;
    let ctx = run(&store, "20230215_164000_massiva_sms.csv", d0).await;
    let info = MassActionInfo {
        protocol: "P-1".into(),
        sent_on: Some("2023-02-15T19:40:00Z".parse().unwrap()),
        message: "Regularize seu contrato".into(),
    };
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.mark_sms(&ctx, "11", "987654321", &info).await.unwrap(),
        Outcome::Applied
    );
    assert_eq!(
        tx.mark_sms(&ctx, "11", "900000000", &info).await.unwrap(),
        Outcome::PhoneNotFound
    );
    assert_eq!(
        tx.mark_email(&ctx, "529.982.247-25", "Maria@Example.com", &info)
            .await
            .unwrap(),
        Outcome::Applied
    );
    assert_eq!(
        tx.mark_email(&ctx, "00000000191", "x@example.com", &info)
            .await
            .unwrap(),
        Outcome::CustomerNotFound
    );
    assert_eq!(
        tx.mark_whatsapp(&ctx, "C2", "11", "987654321", "jornada1")
            .await
            .unwrap(),
        Outcome::Applied
    );
    assert_eq!(
        tx.mark_whatsapp(&ctx, "NOPE", "11", "987654321", "jornada1")
            .await
            .unwrap(),
        Outcome::ContractNotFound
    );
    assert!(tx
        .set_whatsapp_result(&ctx, "C2", "Massiva WhatsApp enviada com sucesso")
        .await
        .unwrap());
    tx.commit().await.unwrap();

    let a = customer(&store, CPF_A).await;
    let sms: Vec<_> = a
        .mass_actions
        .iter()
        .filter(|m| m.kind == MARK_SMS)
        .map(|m| m.contract.clone().unwrap())
        .collect();
    assert_eq!(sms.len(), 2, "every contract holding the phone");
    assert!(sms.contains(&"C1".to_string()) && sms.contains(&"C2".to_string()));
    let email: Vec<_> = a
        .mass_actions
        .iter()
        .filter(|m| m.kind == MARK_EMAIL)
        .collect();
    assert_eq!(email.len(), 1);
    assert_eq!(email[0].contract, None);
    assert_eq!(email[0].address, "maria@example.com");
    assert_eq!(email[0].protocol, "P-1");
    assert_eq!(
        email[0].sent_on.as_deref(),
        Some("2023-02-15T19:40:00.000000Z")
    );
    let wa: Vec<_> = a
        .mass_actions
        .iter()
        .filter(|m| m.kind == MARK_WHATSAPP)
        .collect();
    assert_eq!(wa.len(), 1);
    assert_eq!(wa[0].journey, "jornada1");
    assert_eq!(wa[0].result, "Massiva WhatsApp enviada com sucesso");
    let b = customer(&store, CPF_B).await;
    assert_eq!(b.mass_actions.len(), 1);
    assert_eq!(b.mass_actions[0].kind, MARK_SMS);
    assert_eq!(b.mass_actions[0].contract.as_deref(), Some("C3"));
    assert_eq!(b.mass_actions[0].address, "11987654321");
});

async fn begin(store: &Store, name: &str, content: &[u8]) -> RunStart {
    let hash = content_hash(content);
    let file = NewRun {
        file_name: name,
        layout: "remessa_assessoria",
        content_hash: &hash,
        file_date: date(2023, 8, 4),
    };
    let mut tx = store.begin().await.unwrap();
    let start = tx.begin_run(WS, &file, now()).await.unwrap();
    tx.commit().await.unwrap();
    start
}

fn new_run(start: RunStart) -> atende_store::portfolio::ImportRun {
    match start {
        RunStart::New(r) => r,
        other => panic!("expected a new run, got {other:?}"),
    }
}

both!(
    runs_are_idempotent_by_name_and_content,
    open,
    |store: Store| async move {
        store.ensure_workspace(WS, "Cobrança").await.unwrap();
        let name = "20230804_020000_remessa_528_out.528";
        let content = b"linha 1\nlinha 2\n";
        let first = new_run(begin(&store, name, content).await);
        assert_eq!(first.status, RunStatus::Started);
        assert_eq!(first.file_date, date(2023, 8, 4));
        assert_eq!(first.file_name, name);
        // interrupted (still `started`): the same file may run again
        let second = new_run(begin(&store, name, content).await);
        let ctx = second.context(WS, now());
        let mut tx = store.begin().await.unwrap();
        tx.add_error(&ctx, 2, "CPF", "check digit").await.unwrap();
        tx.add_error(&ctx, 7, "", "short line").await.unwrap();
        let counts = RunCounts {
            read: 10,
            imported: 8,
            rejected: 2,
        };
        tx.finish_run(WS, second.id, RunStatus::Imported, counts, "", now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        // the same content again: the earlier run, nothing to import
        match begin(&store, name, content).await {
            RunStart::AlreadyImported(r) => {
                assert_eq!(r.id, second.id);
                assert_eq!(r.status, RunStatus::Imported);
                assert_eq!(r.counts, counts);
                assert!(r.finished_on.is_some());
            }
            other => panic!("expected AlreadyImported, got {other:?}"),
        }
        // same name, new content: a new run
        let changed = b"linha 1\n";
        let third = new_run(begin(&store, name, changed).await);
        // a rejected run does not block the file (say, after a layout fix)
        let mut tx = store.begin().await.unwrap();
        tx.add_run_error(WS, third.id, 1, "", "record length 279, expected 280")
            .await
            .unwrap();
        tx.finish_run(
            WS,
            third.id,
            RunStatus::Rejected,
            RunCounts::default(),
            "layout",
            now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let racer = new_run(begin(&store, name, changed).await);
        // two imports of one file racing: the second to finish fails (its rows roll back)
        let other = new_run(begin(&store, name, changed).await);
        let mut tx = store.begin().await.unwrap();
        tx.finish_run(WS, racer.id, RunStatus::Imported, counts, "", now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        assert!(tx
            .finish_run(WS, other.id, RunStatus::Imported, counts, "", now())
            .await
            .is_err());
        drop(tx);

        let errors = store.run_errors(WS, second.id).await.unwrap();
        assert_eq!(errors.len(), 2);
        assert_eq!(
            (
                errors[1].line,
                errors[1].field.as_str(),
                errors[1].reason.as_str()
            ),
            (7, "", "short line")
        );
        let runs = store.runs(WS, 0, 100).await.unwrap();
        let ids: Vec<_> = runs.iter().map(|r| r.id).collect();
        assert_eq!(ids, [other.id, racer.id, third.id, second.id, first.id]);
        assert_eq!(runs[2].status, RunStatus::Rejected);
        assert_eq!(runs[2].message, "layout");
        assert_eq!(runs[0].status, RunStatus::Started);
        assert_eq!(store.runs(WS, third.id, 1).await.unwrap()[0].id, second.id);
        assert_eq!(store.run(WS, 99).await.unwrap(), None);
    }
);

both!(
    rolled_back_file_leaves_base_untouched,
    open,
    |store: Store| async move {
        let d0 = date(2023, 8, 1);
        load_remessa(
            &store,
            d0,
            &[remessa(CPF_A, "C1", "528"), remessa(CPF_A, "C2", "528")],
        )
        .await;
        let before = customer(&store, CPF_A).await;
        let ctx = run(&store, "big_file", date(2023, 8, 2)).await;
        {
            let mut tx = store.begin().await.unwrap();
            let mut r = remessa(CPF_A, "C1", "528");
            r.name = "Rolled Back".into();
            r.phones.push(phone("21", "977776666", Some(5)));
            let _ = tx.upsert_remessa(&ctx, &r).await.unwrap();
            let _ = tx
                .upsert_remessa(&ctx, &remessa(CPF_B, "C9", "528"))
                .await
                .unwrap();
            let rows: Vec<_> = (1..=50).map(|n| installment("C1", n, 100)).collect();
            tx.put_installments(&ctx, &rows).await.unwrap();
            let _ = tx
                .add_enrichment_phones(&ctx, "C2", &[phone("31", "988887777", Some(1))])
                .await
                .unwrap();
            let _ = tx
                .write_off_agreement(
                    &ctx,
                    &Agreement {
                        contract: "C2".into(),
                        agreement_no: "1".into(),
                        ..Agreement::default()
                    },
                )
                .await
                .unwrap();
            let _ = tx
                .mark_email(&ctx, CPF_A, "a@b.c", &MassActionInfo::default())
                .await
                .unwrap();
            let mut b = tx.begin_batimento("528").await.unwrap();
            tx.batimento_rows(&ctx, &mut b, &["C9"]).await.unwrap();
            let s = tx.finish_batimento(&ctx, b).await.unwrap();
            assert_eq!(s.written_off, 1, "C1 inside the transaction");
            tx.add_error(&ctx, 3, "x", "y").await.unwrap();
            // dropped without commit: a rejected file, or a crash mid-file
        }
        assert_eq!(customer(&store, CPF_A).await, before);
        assert!(store
            .customer_by_document(WS, CPF_B)
            .await
            .unwrap()
            .is_none());
        assert!(store.run_errors(WS, ctx.run_id).await.unwrap().is_empty());
        // the store still works afterwards, batimento table included
        let mut tx = store.begin().await.unwrap();
        let mut b = tx.begin_batimento("528").await.unwrap();
        tx.batimento_rows(&ctx, &mut b, &["C1", "C2"])
            .await
            .unwrap();
        assert_eq!(tx.finish_batimento(&ctx, b).await.unwrap().written_off, 0);
        tx.commit().await.unwrap();
    }
);

/// Micro-benchmark (issue 6 item 3): 200,000 installment rows in one transaction on
/// SQLite through [`Tx::put_installments`], next to `sqlite3 .import` of the same rows as
/// CSV into a plain table. Run with
/// `cargo test --release -p atende-store --test portfolio -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
#[allow(clippy::disallowed_methods)] // a benchmark reads the wall clock
async fn bench_installments_sqlite() {
    const CONTRACTS: usize = 20_000;
    const PER: i64 = 10;
    let dir = std::env::temp_dir().join(format!("atende-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::open(&format!("sqlite://{}", dir.join("store.db").display()))
        .await
        .unwrap();
    store.ensure_workspace(WS, "bench").await.unwrap();
    let ctx = run(&store, "remessa", date(2023, 8, 1)).await;
    let mut tx = store.begin().await.unwrap();
    for i in 0..CONTRACTS {
        let mut r = remessa(CPF_A, &format!("{i:012}"), "528");
        r.phones.clear();
        r.addresses.clear();
        r.emails.clear();
        let _ = tx.upsert_remessa(&ctx, &r).await.unwrap();
    }
    tx.commit().await.unwrap();

    let rows: Vec<Installment> = (0..CONTRACTS)
        .flat_map(|i| (1..=PER).map(move |n| installment(&format!("{i:012}"), n, 59_537 + n)))
        .collect();
    let ctx = run(&store, "parcelas", date(2023, 8, 1)).await;
    let started = std::time::Instant::now();
    let mut tx = store.begin().await.unwrap();
    for chunk in rows.chunks(5_000) {
        assert!(tx.put_installments(&ctx, chunk).await.unwrap().is_empty());
    }
    tx.commit().await.unwrap();
    let ours = started.elapsed();
    let n = rows.len() as f64;
    println!(
        "put_installments: {} rows in {:.2?} = {:.0} rows/s",
        rows.len(),
        ours,
        n / ours.as_secs_f64()
    );

    // the same rows again, one statement per row
    let ctx = run(&store, "parcelas_single", date(2023, 8, 2)).await;
    let started = std::time::Instant::now();
    let mut tx = store.begin().await.unwrap();
    for r in &rows[..50_000] {
        let _ = tx.put_installment(&ctx, r).await.unwrap();
    }
    tx.commit().await.unwrap();
    let single = started.elapsed();
    println!(
        "put_installment (one row per call): 50000 rows in {single:.2?} = {:.0} rows/s",
        50_000.0 / single.as_secs_f64()
    );

    // the database's own bulk loader on the same rows
    let csv = dir.join("parcelas.csv");
    let mut text = String::new();
    for r in &rows {
        text.push_str(&format!(
            "{WS},{},{},{},{},,{},{},{{}},{}\n",
            r.contract,
            r.number,
            r.due_date.unwrap(),
            r.value_cents.unwrap(),
            r.days_late.unwrap(),
            r.status,
            ctx.run_id
        ));
    }
    std::fs::write(&csv, text).unwrap();
    let db = dir.join("import.db");
    let script = format!(
        "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\nCREATE TABLE installments (workspace_id TEXT NOT NULL, contract TEXT NOT NULL, number BIGINT NOT NULL, due_date TEXT, value_cents BIGINT, balance_cents BIGINT, days_late BIGINT, status TEXT NOT NULL, extra TEXT NOT NULL, run_id BIGINT NOT NULL, PRIMARY KEY (workspace_id, contract, number));\n.import --csv {} installments\n",
        csv.display()
    );
    let started = std::time::Instant::now();
    let status = std::process::Command::new("sqlite3")
        .arg(&db)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(script.as_bytes())?;
            child.wait()
        });
    let bulk = started.elapsed();
    match status {
        Ok(s) if s.success() => println!(
            "sqlite3 .import (same rows, same primary key): {bulk:.2?} = {:.0} rows/s; put_installments at {:.0}% of it",
            n / bulk.as_secs_f64(),
            100.0 * bulk.as_secs_f64() / ours.as_secs_f64()
        ),
        other => println!("SKIPPED sqlite3 .import baseline: {other:?}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Micro-benchmark: remessa records (270 extra fields, 3 phones, an address and an
/// e-mail each) through [`Tx::upsert_remessa`], first load and the next day's update,
/// next to `sqlite3 .import` of the same records as 280-column CSV rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
#[allow(clippy::disallowed_methods)] // a benchmark reads the wall clock
async fn bench_remessa_sqlite() {
    const N: usize = 20_000;
    let dir = std::env::temp_dir().join(format!("atende-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::open(&format!("sqlite://{}", dir.join("store.db").display()))
        .await
        .unwrap();
    store.ensure_workspace(WS, "bench").await.unwrap();
    let records: Vec<RemessaRecord> = (0..N)
        .map(|i| {
            let mut r = remessa(
                &format!("{:011}", 10_000_000_000u64 + i as u64),
                &format!("{i:012}"),
                "528",
            );
            r.extra = (0..270)
                .map(|f| {
                    (
                        format!("CAMPO_{f:03}"),
                        serde_json::json!(format!("valor {f} {i}")),
                    )
                })
                .collect();
            r.phones.push(phone("21", &format!("9{:08}", i), Some(500)));
            r
        })
        .collect();
    for (label, day) in [
        ("first load", date(2023, 8, 1)),
        ("next day", date(2023, 8, 2)),
    ] {
        let ctx = run(&store, label, day).await;
        let started = std::time::Instant::now();
        let mut tx = store.begin().await.unwrap();
        for chunk in records.chunks(5_000) {
            assert!(tx
                .upsert_remessa_batch(&ctx, chunk)
                .await
                .unwrap()
                .is_empty());
        }
        tx.commit().await.unwrap();
        let t = started.elapsed();
        println!(
            "upsert_remessa_batch ({label}): {N} records in {t:.2?} = {:.0} records/s",
            N as f64 / t.as_secs_f64()
        );
    }
    let ctx = run(&store, "one by one", date(2023, 8, 3)).await;
    let started = std::time::Instant::now();
    let mut tx = store.begin().await.unwrap();
    for r in &records[..5_000] {
        assert!(tx.upsert_remessa(&ctx, r).await.unwrap().is_applied());
    }
    tx.commit().await.unwrap();
    let t = started.elapsed();
    println!(
        "upsert_remessa (one record per call, next day): 5000 records in {t:.2?} = {:.0} records/s",
        5_000.0 / t.as_secs_f64()
    );
    // the lookup of issue 7 on this base
    let started = std::time::Instant::now();
    let mut times = Vec::new();
    for r in records.iter().step_by(20) {
        let t = std::time::Instant::now();
        assert!(store
            .customer_by_document(WS, &r.document)
            .await
            .unwrap()
            .is_some());
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "customer_by_document: {} lookups in {:.2?}, p50 {:.2?}, p99 {:.2?}",
        times.len(),
        started.elapsed(),
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
    let csv = dir.join("remessa.csv");
    let mut text = String::new();
    for r in &records {
        let mut fields = vec![
            r.document.clone(),
            r.name.clone(),
            r.contract.clone(),
            r.portfolio.clone(),
        ];
        fields.extend(
            r.extra
                .to_map()
                .values()
                .map(|v| v.as_str().unwrap().to_string()),
        );
        fields.extend(r.phones.iter().map(|p| format!("{}{}", p.ddd, p.number)));
        fields.push(r.addresses[0].street.clone());
        fields.push(r.emails[0].clone());
        text.push_str(&fields.join(","));
        text.push('\n');
    }
    let columns = text.lines().next().unwrap().split(',').count();
    std::fs::write(&csv, text).unwrap();
    let cols: Vec<String> = (0..columns).map(|c| format!("c{c} TEXT")).collect();
    let script = format!(
        "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\nCREATE TABLE remessa ({}, PRIMARY KEY (c2));\n.import --csv {} remessa\n",
        cols.join(", "),
        csv.display()
    );
    let started = std::time::Instant::now();
    let status = std::process::Command::new("sqlite3")
        .arg(dir.join("import.db"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(script.as_bytes())?;
            child.wait()
        });
    let bulk = started.elapsed();
    match status {
        Ok(s) if s.success() => println!(
            "sqlite3 .import ({columns} columns): {bulk:.2?} = {:.0} records/s",
            N as f64 / bulk.as_secs_f64()
        ),
        other => println!("SKIPPED sqlite3 .import baseline: {other:?}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Micro-benchmark: a batimento of 200,000 contracts (180,000 listed, 20,000 written
/// off) on SQLite, rows through [`Tx::batimento_rows`] then the set-based write-off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
#[allow(clippy::disallowed_methods)] // a benchmark reads the wall clock
async fn bench_batimento_sqlite() {
    const N: usize = 200_000;
    let dir = std::env::temp_dir().join(format!("atende-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::open(&format!("sqlite://{}", dir.join("store.db").display()))
        .await
        .unwrap();
    store.ensure_workspace(WS, "bench").await.unwrap();
    let ctx = run(&store, "remessa", date(2023, 8, 1)).await;
    let mut tx = store.begin().await.unwrap();
    let records: Vec<RemessaRecord> = (0..N)
        .map(|i| RemessaRecord {
            document: format!("{:011}", 10_000_000_000u64 + (i / 2) as u64),
            name: "Cliente".into(),
            contract: format!("{i:012}"),
            portfolio: "528".into(),
            ..RemessaRecord::default()
        })
        .collect();
    for chunk in records.chunks(10_000) {
        assert!(tx
            .upsert_remessa_batch(&ctx, chunk)
            .await
            .unwrap()
            .is_empty());
    }
    tx.commit().await.unwrap();
    let listed: Vec<&str> = records
        .iter()
        .filter(|r| !r.contract.ends_with('7'))
        .map(|r| r.contract.as_str())
        .collect();
    let ctx = run(
        &store,
        "bat_carteira_veic_02082023_528.csv",
        date(2023, 8, 2),
    )
    .await;
    let started = std::time::Instant::now();
    let mut tx = store.begin().await.unwrap();
    let mut b = tx.begin_batimento("528").await.unwrap();
    for chunk in listed.chunks(10_000) {
        assert!(tx
            .batimento_rows(&ctx, &mut b, chunk)
            .await
            .unwrap()
            .is_empty());
    }
    let rows = started.elapsed();
    let summary = tx.finish_batimento(&ctx, b).await.unwrap();
    tx.commit().await.unwrap();
    let total = started.elapsed();
    assert_eq!(summary.written_off, (N / 10) as u64);
    println!(
        "batimento: {} rows in {rows:.2?} ({:.0} rows/s), write-off of {} contracts in {:.2?}, {total:.2?} in all",
        listed.len(),
        listed.len() as f64 / rows.as_secs_f64(),
        summary.written_off,
        total - rows
    );
    let _ = std::fs::remove_dir_all(&dir);
}

both!(
    one_export_runs_at_a_time_and_an_interrupted_one_is_closed,
    open,
    |store: Store| async move {
        use atende_store::portfolio::exports::{ExportStatus, NewExport, EXPORT_STALE};
        store.ensure_workspace(WS, "Cobrança").await.unwrap();
        let new = NewExport {
            kind: "mailing",
            mode: "full",
            layout: "manager_mailing",
            trigger_run_id: None,
            destination: "outbox",
        };
        let t0 = now();
        let begin = |at: jiff::Timestamp| {
            let (store, new) = (store.clone(), new.clone());
            async move {
                let mut tx = store.begin().await.unwrap();
                let run = tx.begin_export(WS, &new, at).await;
                if run.is_ok() {
                    tx.commit().await.unwrap();
                }
                run
            }
        };
        let first = begin(t0).await.unwrap();
        // another export while the first is still being written: refused, naming it
        let err = begin(t0 + jiff::SignedDuration::from_secs(60))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::InUse(_)), "{err}");
        assert!(
            err.to_string().contains(&format!("export {}", first.id)),
            "{err}"
        );
        // long after, the first is taken for interrupted and the next one starts
        let later = t0 + EXPORT_STALE + jiff::SignedDuration::from_secs(1);
        let second = begin(later).await.unwrap();
        assert_ne!(second.id, first.id);
        let first = store.export_run(WS, first.id).await.unwrap().unwrap();
        assert_eq!(first.status, ExportStatus::Error);
        assert!(
            first.message.starts_with("interrupted"),
            "{}",
            first.message
        );
        // an export of another workspace is not held up
        store.ensure_workspace("w2", "Outra").await.unwrap();
        let mut tx = store.begin().await.unwrap();
        tx.begin_export("w2", &new, later).await.unwrap();
        tx.commit().await.unwrap();
    }
);
