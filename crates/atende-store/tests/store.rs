//! The store's contract, run on SQLite always and on PostgreSQL when
//! `ATENDE_TEST_POSTGRES_URL` names a server (CI starts one). Each test gets a fresh
//! database, so claims of fires and outbox rows cannot see another test's rows.

use std::time::Duration;

use atende_engine::contact::{Contact, GroupRef};
use atende_engine::services::SeededUuids;
use atende_store::{NewMessage, Store, StoreError};
use serde_json::json;

use atende_testkit::both;

async fn open(url: String) -> Store {
    Store::open(&url).await.unwrap()
}

fn demo_export() -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/assistente-financeiro.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn contact(uuid: &str, urn: &str) -> Contact {
    Contact {
        uuid: uuid.into(),
        name: "Maria Silva".into(),
        status: "active".into(),
        urns: vec![urn.into()],
        ..Contact::default()
    }
}

fn msg(contact: &str, ext: Option<&str>, text: &str) -> NewMessage {
    NewMessage {
        uuid: uuid::Uuid::now_v7().to_string(),
        contact_uuid: contact.into(),
        channel_uuid: "chan".into(),
        urn: "tel:+5511987654321".into(),
        text: text.into(),
        external_id: ext.map(str::to_owned),
        ..NewMessage::default()
    }
}

fn now() -> jiff::Timestamp {
    atende_store::wall_now()
}

both!(migrations_are_idempotent, open, |store: Store| async move {
    // running the migrations again changes nothing and does not fail
    atende_store::migrations::run(&store).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM schema_migrations")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(n, atende_store::migrations::MIGRATIONS.len() as i64);
});

both!(
    import_is_idempotent_and_exports,
    open,
    |store: Store| async move {
        store.ensure_workspace("w1", "Demo").await.unwrap();
        let mut export = demo_export();
        export["triggers"] = json!([{"trigger_type": "K", "keyword": "oi", "flow": {"uuid": export["flows"][0]["uuid"]}}]);
        let first = store
            .import("w1", &export, &mut SeededUuids::new(1))
            .await
            .unwrap();
        assert_eq!(first.flows_created, 1);
        assert_eq!(first.triggers, 1);
        let again = store
            .import("w1", &export, &mut SeededUuids::new(1))
            .await
            .unwrap();
        assert_eq!(again.flows_created, 0);
        assert_eq!(again.flows_unchanged, 1);
        assert_eq!(store.triggers("w1").await.unwrap().len(), 1);
        let out = store.export("w1").await.unwrap();
        assert_eq!(out["flows"][0]["uuid"], export["flows"][0]["uuid"]);
        assert_eq!(out["flows"][0]["spec_version"], "14.4.2");
        // the export imports back unchanged
        let back = store
            .import("w1", &out, &mut SeededUuids::new(1))
            .await
            .unwrap();
        assert_eq!(back.flows_unchanged, 1);
        // a bad file writes nothing and names the problem
        let mut bad = demo_export();
        bad["flows"][0]["nodes"][0]["actions"][0]["type"] = json!(42);
        bad["flows"][0]["uuid"] = json!("9c3f2b0e-0000-4000-8000-000000000000");
        let err = store
            .import("w1", &bad, &mut SeededUuids::new(1))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
        assert_eq!(store.flow_list("w1").await.unwrap().len(), 1);
    }
);

both!(
    contacts_by_urn_and_groups,
    open,
    |store: Store| async move {
        store.ensure_workspace("w1", "Demo").await.unwrap();
        let mut c = contact("c1", "whatsapp:5511987654321");
        let mut tx = store.begin().await.unwrap();
        tx.insert_contact("w1", &mut c, now()).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(c.id, Some(1));
        let found = store
            .contact_by_urn("w1", "whatsapp:5511987654321?channel=x")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.contact.name, "Maria Silva");
        assert!(store
            .contact_by_urn("w2", "whatsapp:5511987654321")
            .await
            .unwrap()
            .is_none());
        c.groups.push(GroupRef {
            uuid: "g1".into(),
            name: "Atendimento humano".into(),
        });
        c.urns.push("mailto:maria@example.com".into());
        let mut tx = store.begin().await.unwrap();
        tx.update_contact("w1", &c, now()).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.group_contacts("w1", "g1").await.unwrap(), ["c1"]);
        assert!(store
            .contact_by_urn("w1", "mailto:maria@example.com")
            .await
            .unwrap()
            .is_some());
        let mut other = contact("c2", "tel:+5511900000000");
        let mut tx = store.begin().await.unwrap();
        tx.insert_contact("w1", &mut other, now()).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(other.id, Some(2));
    }
);

both!(
    inbound_is_idempotent_and_ordered,
    open,
    |store: Store| async move {
        store.ensure_workspace("w1", "Demo").await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let a = tx
            .insert_inbound("w1", &msg("c1", Some("ext-1"), "oi"), now())
            .await
            .unwrap();
        let dup = tx
            .insert_inbound("w1", &msg("c1", Some("ext-1"), "oi"), now())
            .await
            .unwrap();
        let b = tx
            .insert_inbound("w1", &msg("c1", Some("ext-2"), "menu"), now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(a.is_some() && b.is_some());
        assert_eq!(dup, None, "a retried webhook is stored once");
        let first = store.next_pending("w1", "c1").await.unwrap().unwrap();
        assert_eq!(first.text, "oi");
        let mut tx = store.begin().await.unwrap();
        tx.mark_handled("w1", &first.uuid, now()).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            store.next_pending("w1", "c1").await.unwrap().unwrap().text,
            "menu"
        );
        assert_eq!(
            store.contacts_with_pending(10).await.unwrap(),
            [("w1".to_string(), "c1".to_string())]
        );
    }
);

both!(
    contact_lease_excludes_other_owners,
    open,
    |store: Store| async move {
        let lease = Duration::from_secs(60);
        store
            .lock_contact("w1", "c1", "a", lease, Duration::ZERO)
            .await
            .unwrap();
        let busy = store
            .lock_contact("w1", "c1", "b", lease, Duration::from_millis(50))
            .await;
        assert!(matches!(busy, Err(StoreError::Busy(_))));
        // another contact is free
        store
            .lock_contact("w1", "c2", "b", lease, Duration::ZERO)
            .await
            .unwrap();
        store.unlock_contact("w1", "c1", "a").await.unwrap();
        store
            .lock_contact("w1", "c1", "b", lease, Duration::ZERO)
            .await
            .unwrap();
        // an expired lease (crashed holder) is taken over
        store
            .lock_contact("w1", "c3", "dead", Duration::ZERO, Duration::ZERO)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        store
            .lock_contact("w1", "c3", "b", lease, Duration::from_millis(200))
            .await
            .unwrap();
    }
);

both!(fires_are_claimed_once, open, |store: Store| async move {
    let due = now() - jiff::SignedDuration::from_secs(1);
    let mut tx = store.begin().await.unwrap();
    tx.schedule_fires("w1", "c1", "s1", 1, &[("wait_timeout", due)])
        .await
        .unwrap();
    tx.schedule_fires(
        "w1",
        "c2",
        "s2",
        1,
        &[("wait_expiration", due + jiff::SignedDuration::from_hours(1))],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // two claimers at once: exactly one gets the due fire
    let lease = Duration::from_secs(30);
    let (a, b) = tokio::join!(
        store.claim_fires(now(), lease, 10),
        store.claim_fires(now(), lease, 10)
    );
    let claimed: Vec<_> = a.unwrap().into_iter().chain(b.unwrap()).collect();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].kind, "wait_timeout");
    let mut tx = store.begin().await.unwrap();
    assert!(tx.take_fire(&claimed[0].id).await.unwrap());
    assert!(
        !tx.take_fire(&claimed[0].id).await.unwrap(),
        "a fire applies once"
    );
    tx.commit().await.unwrap();
    // rescheduling replaces the session's fires
    let mut tx = store.begin().await.unwrap();
    tx.schedule_fires("w1", "c2", "s2", 2, &[]).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.fire_count().await.unwrap(), 0);
});

both!(
    outbox_claims_retries_and_completes,
    open,
    |store: Store| async move {
        store.ensure_workspace("w1", "Demo").await.unwrap();
        let out = msg("c1", None, "Olá!");
        let mut tx = store.begin().await.unwrap();
        tx.insert_outbound("w1", &out, true, now()).await.unwrap();
        tx.commit().await.unwrap();
        let lease = Duration::from_secs(30);
        let items = store.claim_outbox(now(), lease, 10).await.unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].attempts, 1);
        assert!(
            store
                .claim_outbox(now(), lease, 10)
                .await
                .unwrap()
                .is_empty(),
            "claimed rows are leased"
        );
        store
            .outbox_retry(
                "w1",
                &out.uuid,
                now() - jiff::SignedDuration::from_secs(1),
                "HTTP 500",
            )
            .await
            .unwrap();
        let again = store.claim_outbox(now(), lease, 10).await.unwrap();
        assert_eq!(again[0].attempts, 2);
        store
            .outbox_done("w1", &out.uuid, "sent", Some("provider-9"))
            .await
            .unwrap();
        let msgs = store.contact_messages("w1", "c1", 0, 10).await.unwrap();
        assert_eq!(msgs[0].status, "sent");
        assert_eq!(msgs[0].external_id.as_deref(), Some("provider-9"));
    }
);

both!(tokens_are_hashed, open, |store: Store| async move {
    store.ensure_workspace("w1", "Demo").await.unwrap();
    let token = store.create_token("w1", "test").await.unwrap();
    assert_eq!(
        store.token_workspace(&token).await.unwrap().as_deref(),
        Some("w1")
    );
    assert_eq!(store.token_workspace("atd_wrong").await.unwrap(), None);
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_ne!(stored, token);
});

#[tokio::test]
async fn bad_urls_are_explained() {
    let err = Store::open("mysql://x").await.unwrap_err().to_string();
    assert!(err.contains("sqlite: or postgres://"), "{err}");
}

/// A bulk load's bigger SQLite page cache is the import's alone: the pooled connection
/// goes back with the everyday one, whether the file committed or was rolled back.
#[tokio::test]
async fn a_bulk_load_gives_back_its_page_cache_when_it_ends() {
    let store = Store::open("sqlite::memory:").await.unwrap();
    let cache = |row: sqlx::any::AnyRow| -> i64 {
        use sqlx::Row;
        row.get(0)
    };
    let everyday = cache(
        sqlx::query("PRAGMA cache_size")
            .fetch_one(store.pool())
            .await
            .unwrap(),
    );
    assert_eq!(everyday, -32 * 1024);
    for commit in [true, false] {
        let mut tx = store.begin().await.unwrap();
        tx.bulk_load().await.unwrap();
        if commit {
            tx.commit().await.unwrap();
        } else {
            tx.rollback().await.unwrap();
        }
        // sqlite::memory: has one connection: the one the import used
        let after = cache(
            sqlx::query("PRAGMA cache_size")
                .fetch_one(store.pool())
                .await
                .unwrap(),
        );
        assert_eq!(after, everyday, "commit: {commit}");
    }
}
