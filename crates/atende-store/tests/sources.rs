//! Pick-up sources per workspace: configuration, and the lease that keeps two instances
//! from polling one source at once. SQLite always; PostgreSQL when configured.

use std::time::Duration;

use atende_store::sources::{SourceKind, SourceSpec};
use atende_store::Store;
use atende_testkit::both;

fn inbox(dir: &str, every: i64) -> SourceSpec {
    SourceSpec {
        kind: SourceKind::Inbox,
        location: dir.into(),
        secret: String::new(),
        key_file: String::new(),
        host_key: String::new(),
        every_secs: every,
        enabled: true,
        layouts: String::new(),
    }
}

fn sftp() -> SourceSpec {
    SourceSpec {
        kind: SourceKind::Sftp,
        location: "sftp://evo@sftp.credor.com.br/remessas".into(),
        secret: "env:ATOM_SFTP_PASSWORD".into(),
        key_file: String::new(),
        host_key: "/etc/atende/known_hosts".into(),
        every_secs: 60,
        enabled: true,
        layouts: "/etc/atende/layouts".into(),
    }
}

both!(
    sources_are_configured_per_workspace,
    atende_testkit::url,
    |url: String| async move {
        let store = Store::open(&url).await.unwrap();
        store.ensure_workspace("atom", "ATOM").await.unwrap();
        store.ensure_workspace("other", "Other").await.unwrap();
        assert!(store.put_source("atom", "credor", &sftp()).await.unwrap());
        assert!(store
            .put_source("atom", "local", &inbox("/srv/in", 30))
            .await
            .unwrap());
        let list = store.sources("atom").await.unwrap();
        let names: Vec<&str> = list.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["credor", "local"]);
        assert_eq!(list[0].spec, sftp());
        assert_eq!(list[0].last_status, "");
        assert!(list[0].last_poll_on.is_none());
        assert!(store.sources("other").await.unwrap().is_empty());
        assert!(store.source("other", "credor").await.unwrap().is_none());
        // replacing keeps the row (false: not created)
        let changed = SourceSpec {
            every_secs: 120,
            ..sftp()
        };
        assert!(!store.put_source("atom", "credor", &changed).await.unwrap());
        let got = store.source("atom", "credor").await.unwrap().unwrap();
        assert_eq!(got.spec.every_secs, 120);
        // a password in clear never reaches the table
        let clear = SourceSpec {
            secret: "hunter2".into(),
            ..sftp()
        };
        let e = store
            .put_source("atom", "credor", &clear)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("field 'secret'"), "{e}");
        let stored: Vec<String> =
            sqlx::query_scalar("SELECT secret FROM collection_sources ORDER BY name")
                .fetch_all(store.pool())
                .await
                .unwrap();
        assert_eq!(stored, ["env:ATOM_SFTP_PASSWORD", ""]);
        assert!(store
            .set_source_enabled("atom", "credor", false)
            .await
            .unwrap());
        assert!(
            !store
                .source("atom", "credor")
                .await
                .unwrap()
                .unwrap()
                .spec
                .enabled
        );
        assert!(!store
            .set_source_enabled("atom", "nope", true)
            .await
            .unwrap());
        assert!(!store.remove_source("other", "credor").await.unwrap());
        assert!(store.remove_source("atom", "credor").await.unwrap());
        assert!(store.source("atom", "credor").await.unwrap().is_none());
    }
);

both!(
    a_source_is_polled_by_one_instance_at_a_time,
    atende_testkit::url,
    |url: String| async move {
        // two instances: two stores (pools) on one database
        let a = Store::open(&url).await.unwrap();
        let b = Store::open(&url).await.unwrap();
        for ws in ["w1", "w2"] {
            a.ensure_workspace(ws, ws).await.unwrap();
        }
        for i in 0..6 {
            let ws = if i % 2 == 0 { "w1" } else { "w2" };
            a.put_source(ws, &format!("s{i}"), &inbox(&format!("/in/{i}"), 60))
                .await
                .unwrap();
        }
        let mut off = inbox("/in/off", 60);
        off.enabled = false;
        a.put_source("w1", "off", &off).await.unwrap();
        let now = atende_store::wall_now() + jiff::SignedDuration::from_secs(1);
        let lease = Duration::from_secs(300);
        // both claim at once, many times over: every enabled source goes to one of them
        let mut claimed = Vec::new();
        let mut tasks = Vec::new();
        for round in 0..4 {
            for (store, owner) in [(a.clone(), "A"), (b.clone(), "B")] {
                let owner = format!("{owner}{round}");
                tasks.push(tokio::spawn(async move {
                    let got = store
                        .claim_due_sources(&owner, now, lease, 4)
                        .await
                        .unwrap();
                    got.into_iter()
                        .map(|s| (s.workspace, s.name, owner.clone()))
                        .collect::<Vec<_>>()
                }));
            }
        }
        for t in tasks {
            claimed.extend(t.await.unwrap());
        }
        let mut names: Vec<String> = claimed.iter().map(|(_, n, _)| n.clone()).collect();
        names.sort();
        assert_eq!(names, ["s0", "s1", "s2", "s3", "s4", "s5"], "{claimed:?}");
        // held: nobody else gets them, not even later within the lease
        let later = now + jiff::SignedDuration::from_secs(60);
        assert!(b
            .claim_due_sources("C", later, lease, 10)
            .await
            .unwrap()
            .is_empty());
        // a holder renews; one that lost the lease cannot write its outcome
        let (ws, name, owner) = claimed[0].clone();
        assert!(a
            .renew_source_lease(&ws, &name, &owner, later, lease)
            .await
            .unwrap());
        assert!(!a
            .renew_source_lease(&ws, &name, "intruder", later, lease)
            .await
            .unwrap());
        assert!(!b
            .finish_source_poll(&ws, &name, "intruder", later, true, "x")
            .await
            .unwrap());
        assert!(a
            .finish_source_poll(
                &ws,
                &name,
                &owner,
                later,
                false,
                "SFTP evo@h:22: connecting: refused"
            )
            .await
            .unwrap());
        let s = a.source(&ws, &name).await.unwrap().unwrap();
        assert_eq!(s.last_status, "error");
        assert!(s.last_message.contains("refused"));
        assert_eq!(
            s.last_poll_on.as_deref(),
            Some(atende_store::time_text(later).as_str())
        );
        assert_eq!(
            s.next_poll_on,
            atende_store::time_text(later + jiff::SignedDuration::from_secs(60))
        );
        assert!(s.lease_owner.is_empty());
        // not due again before its interval
        assert!(a
            .claim_due_sources("D", later + jiff::SignedDuration::from_secs(59), lease, 10)
            .await
            .unwrap()
            .is_empty());
        // a crashed holder's lease runs out: the others come back to whoever asks
        let after_lease = now + jiff::SignedDuration::from_secs(301);
        let mut back: Vec<String> = b
            .claim_due_sources("E", after_lease, lease, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
        back.sort();
        assert_eq!(back.len(), 6, "{back:?}");
        assert!(!back.contains(&"off".to_string()));
        // enabling makes a source due at once
        assert!(a.set_source_enabled("w1", "off", true).await.unwrap());
        let got = a
            .claim_due_sources(
                "F",
                atende_store::wall_now() + jiff::SignedDuration::from_secs(1),
                lease,
                10,
            )
            .await
            .unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].name, "off");
    }
);
