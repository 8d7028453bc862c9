//! Versioned schema migrations, run at start. One SQL dialect serves both backends: only
//! `TEXT` and `BIGINT` columns, timestamps as fixed-width UTC text (so they sort), JSON as
//! text. Every row belongs to a workspace.

use sqlx::Executor;

use crate::{Backend, Store, StoreError};

/// `(version, name, statements)`; append only, never edit a shipped migration.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "initial schema", V1),
    (2, "scheduled triggers", V2),
    (3, "collections portfolio", V3),
    (4, "message channel extras", V4),
    (
        5,
        "collections service: occurrences, workflow, proposals, omnichannel, exports",
        V5,
    ),
    (
        6,
        "workflow history names the tabulation behind each entry",
        V6,
    ),
    (
        7,
        "omnichannel receiver: per-workspace secret, visitor links",
        V7,
    ),
    (
        8,
        "export bookkeeping: lines sent per contract, mode, attempts",
        V8,
    ),
    (9, "collections pick-up sources per workspace", V9),
    (
        10,
        "occurrences keep their history entry as the lookup shows it",
        V10,
    ),
];

/// Each occurrence keeps, from when it is recorded, its entry in the customer's history as
/// the lookup shows it (`portfolio::lookup::OccurrenceEntry`: the record plus its local
/// date and time), so a lookup copies it instead of building it; occurrences are written
/// once and never changed. Rows recorded before keep `''` and are built when read.
const V10: &str = r#"
ALTER TABLE occurrences ADD COLUMN entry TEXT NOT NULL DEFAULT ''
"#;

/// The omnichannel receiver (UC008, [`crate::portfolio::omni`]): the shared secret the
/// platform signs its webhooks with, one per workspace; the attendance's `visitor_id`, by
/// which widget visits are linked; and the index the e-mail step of the fallback chain
/// searches by.
const V7: &str = r#"
CREATE TABLE omni_secrets (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    secret TEXT NOT NULL,
    updated_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id)
);
ALTER TABLE omni_events ADD COLUMN visitor_id TEXT NOT NULL DEFAULT '';
CREATE INDEX omni_events_visitor ON omni_events (workspace_id, visitor_id);
CREATE INDEX customer_emails_email ON customer_emails (workspace_id, email)
"#;

/// Each workflow history entry names the occurrence (tabulation) that caused it, if any:
/// an indication, or a later tabulation that indicated the same contract again. A retried
/// InsertTabulação finds its queue item through it (UC010, UC012).
const V6: &str = r#"
ALTER TABLE workflow_history ADD COLUMN occurrence_id TEXT NOT NULL DEFAULT '';
CREATE INDEX workflow_history_occurrence ON workflow_history (workspace_id, occurrence_id)
"#;

/// What the dialer has been sent (UC003, UC007; see `portfolio::exports`):
/// `export_sent` keeps, per kind (`mailing`, `baixa`) and contract, a fingerprint of the
/// last line sent, so an incremental file lists exactly the contracts whose line changed,
/// whatever changed it (a file, the portal, a score update). `export_runs` gains the mode
/// (`full`/`incremental`) and the delivery attempts.
const V8: &str = r#"
CREATE TABLE export_sent (
    workspace_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    contract TEXT NOT NULL,
    fingerprint BIGINT NOT NULL,
    export_id BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, kind, contract)
);
ALTER TABLE export_runs ADD COLUMN mode TEXT NOT NULL DEFAULT '';
ALTER TABLE export_runs ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
CREATE INDEX export_runs_kind ON export_runs (workspace_id, kind, id)
"#;

/// Where each workspace's creditor files are picked up from (see [`crate::sources`]):
/// an inbox folder, an FTP or an SFTP server. `secret` holds a reference to the
/// password or passphrase (`env:NAME` or `file:PATH`), never the secret itself.
/// `lease_owner`/`lease_until` keep two instances from polling one source at once.
const V9: &str = r#"
CREATE TABLE collection_sources (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    location TEXT NOT NULL,
    secret TEXT NOT NULL,
    key_file TEXT NOT NULL,
    host_key TEXT NOT NULL,
    every_secs BIGINT NOT NULL,
    enabled BIGINT NOT NULL,
    layouts TEXT NOT NULL,
    next_poll_on TEXT NOT NULL,
    last_poll_on TEXT,
    last_status TEXT NOT NULL,
    last_message TEXT NOT NULL,
    lease_owner TEXT NOT NULL,
    lease_until TEXT NOT NULL,
    created_on TEXT NOT NULL,
    modified_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id, name)
);
CREATE INDEX collection_sources_due ON collection_sources (enabled, next_poll_on)
"#;

/// What the portal, the omnichannel platform and the dialer exchange with the portfolio
/// (issue 7, `shared/seeds/001_*.txt` UC003, UC007–UC012); see [`crate::portfolio`].
/// `occurrences` is the history of tabulations (ocorrências): the portal's
/// InsertTabulação, and the tabulations the omnichannel receiver creates to link an
/// attendance (`source`). `omni_events` keeps every webhook received, matched or not.
const V5: &str = r#"
CREATE TABLE occurrences (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    id TEXT NOT NULL,
    document TEXT NOT NULL,
    crm_id TEXT NOT NULL,
    contract TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    result_code TEXT NOT NULL,
    result_name TEXT NOT NULL,
    phone_worked TEXT NOT NULL,
    scheduled_phone TEXT NOT NULL,
    scheduled_for TEXT,
    installments TEXT NOT NULL,
    user_login TEXT NOT NULL,
    channel_type BIGINT NOT NULL,
    notes TEXT NOT NULL,
    attendance_id TEXT NOT NULL,
    protocol TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    attendance_started_on TEXT,
    boleto_sent_by TEXT NOT NULL,
    source TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    extra TEXT NOT NULL,
    created_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX occurrences_customer ON occurrences (workspace_id, document, created_on);
CREATE INDEX occurrences_attendance ON occurrences (workspace_id, attendance_id);
CREATE UNIQUE INDEX occurrences_idempotency ON occurrences (workspace_id, idempotency_key) WHERE idempotency_key <> '';
CREATE TABLE tabulation_results (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    campaign_id TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    parent_code TEXT NOT NULL,
    workflow_kind TEXT NOT NULL,
    cpc BIGINT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, campaign_id, code)
);
CREATE TABLE workflow_items (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    id TEXT NOT NULL,
    contract TEXT NOT NULL,
    document TEXT NOT NULL,
    occurrence_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    assigned_to TEXT NOT NULL,
    notes TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_on TEXT NOT NULL,
    modified_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX workflow_items_queue ON workflow_items (workspace_id, status, created_on);
CREATE INDEX workflow_items_contract ON workflow_items (workspace_id, contract);
CREATE TABLE workflow_history (
    workspace_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    status TEXT NOT NULL,
    user_login TEXT NOT NULL,
    notes TEXT NOT NULL,
    changed_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id, item_id, version)
);
CREATE TABLE proposals (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    id TEXT NOT NULL,
    contract TEXT NOT NULL,
    document TEXT NOT NULL,
    attendance_id TEXT NOT NULL,
    ticket TEXT NOT NULL,
    user_login TEXT NOT NULL,
    agreement_type TEXT NOT NULL,
    proposed_cents BIGINT,
    installments_count BIGINT,
    down_payment_cents BIGINT,
    first_due_date TEXT,
    fields TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    created_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX proposals_contract ON proposals (workspace_id, contract, created_on);
CREATE UNIQUE INDEX proposals_idempotency ON proposals (workspace_id, idempotency_key) WHERE idempotency_key <> '';
CREATE TABLE omni_events (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    event_key TEXT NOT NULL,
    webhook_type TEXT NOT NULL,
    event_id TEXT NOT NULL,
    attendance_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    matched_by TEXT NOT NULL,
    document TEXT NOT NULL,
    contract TEXT NOT NULL,
    occurrence_id TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    received_on TEXT NOT NULL,
    matched_on TEXT,
    PRIMARY KEY (workspace_id, event_key)
);
CREATE INDEX omni_events_customer ON omni_events (workspace_id, document, received_on);
CREATE INDEX omni_events_status ON omni_events (workspace_id, status, received_on);
CREATE INDEX omni_events_attendance ON omni_events (workspace_id, attendance_id);
CREATE TABLE export_runs (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    layout TEXT NOT NULL,
    file_name TEXT NOT NULL,
    trigger_run_id BIGINT,
    since TEXT,
    rows_written BIGINT NOT NULL,
    status TEXT NOT NULL,
    destination TEXT NOT NULL,
    message TEXT NOT NULL,
    created_on TEXT NOT NULL,
    delivered_on TEXT,
    PRIMARY KEY (workspace_id, id)
)
"#;

/// What a channel needs beyond text, quick replies and attachments (WhatsApp header,
/// footer, list, CTA from Weni's `send_whatsapp_msg`; templates), as JSON text.
const V4: &str = r#"
ALTER TABLE messages ADD COLUMN extras TEXT NOT NULL DEFAULT ''
"#;

/// The collections portfolio (see [`crate::portfolio`] for the rules). Money is BIGINT
/// cents (`*_cents`), rates are TEXT decimals (`1.66` = 1.66 %), dates are `YYYY-MM-DD`
/// text, times fixed-width UTC text, free-form remittance fields JSON text (`extra`).
/// Child rows are keyed by the natural key of their parent (document, contract), so the
/// per-row writes of an import never look an id up.
const V3: &str = r#"
CREATE TABLE customers (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    document TEXT NOT NULL,
    person_type TEXT NOT NULL,
    name TEXT NOT NULL,
    crm_id TEXT NOT NULL,
    created_on TEXT NOT NULL,
    modified_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id, document)
);
CREATE INDEX customers_crm ON customers (workspace_id, crm_id);
CREATE TABLE contracts (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    contract TEXT NOT NULL,
    document TEXT NOT NULL,
    portfolio TEXT NOT NULL,
    product TEXT NOT NULL,
    days_late BIGINT,
    installment_value_cents BIGINT,
    extra TEXT NOT NULL,
    status TEXT NOT NULL,
    status_since TEXT NOT NULL,
    version BIGINT NOT NULL,
    run_id BIGINT,
    created_on TEXT NOT NULL,
    modified_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id, contract)
);
CREATE INDEX contracts_customer ON contracts (workspace_id, document, contract);
CREATE INDEX contracts_portfolio ON contracts (workspace_id, portfolio, status);
CREATE TABLE contract_status_history (
    workspace_id TEXT NOT NULL,
    contract TEXT NOT NULL,
    version BIGINT NOT NULL,
    status TEXT NOT NULL,
    status_since TEXT NOT NULL,
    reason TEXT NOT NULL,
    run_id BIGINT,
    changed_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id, contract, version)
);
CREATE TABLE installments (
    workspace_id TEXT NOT NULL,
    contract TEXT NOT NULL,
    number BIGINT NOT NULL,
    due_date TEXT,
    value_cents BIGINT,
    balance_cents BIGINT,
    days_late BIGINT,
    status TEXT NOT NULL,
    extra TEXT NOT NULL,
    run_id BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, contract, number)
);
CREATE TABLE guarantees (
    workspace_id TEXT NOT NULL,
    contract TEXT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    make TEXT NOT NULL,
    model TEXT NOT NULL,
    manufacture_year BIGINT,
    model_year BIGINT,
    plate TEXT NOT NULL,
    chassis TEXT NOT NULL,
    renavam TEXT NOT NULL,
    color TEXT NOT NULL,
    extra TEXT NOT NULL,
    run_id BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, contract, seq)
);
CREATE TABLE customer_addresses (
    workspace_id TEXT NOT NULL,
    document TEXT NOT NULL,
    address_key TEXT NOT NULL,
    position BIGINT NOT NULL,
    kind TEXT NOT NULL,
    street TEXT NOT NULL,
    number TEXT NOT NULL,
    complement TEXT NOT NULL,
    district TEXT NOT NULL,
    city TEXT NOT NULL,
    state TEXT NOT NULL,
    zip TEXT NOT NULL,
    origin TEXT NOT NULL,
    run_id BIGINT,
    created_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id, document, address_key)
);
CREATE TABLE contract_phones (
    workspace_id TEXT NOT NULL,
    contract TEXT NOT NULL,
    ddd TEXT NOT NULL,
    number TEXT NOT NULL,
    position BIGINT NOT NULL,
    kind TEXT NOT NULL,
    score BIGINT,
    origin TEXT NOT NULL,
    run_id BIGINT,
    created_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id, contract, ddd, number)
);
CREATE INDEX contract_phones_number ON contract_phones (workspace_id, ddd, number);
CREATE TABLE customer_emails (
    workspace_id TEXT NOT NULL,
    document TEXT NOT NULL,
    email TEXT NOT NULL,
    position BIGINT NOT NULL,
    origin TEXT NOT NULL,
    run_id BIGINT,
    created_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id, document, email)
);
CREATE TABLE refin_offers (
    workspace_id TEXT NOT NULL,
    contract TEXT NOT NULL,
    seq BIGINT NOT NULL,
    delay_band TEXT NOT NULL,
    collection TEXT NOT NULL,
    overdue_installments BIGINT,
    upcoming_installments BIGINT,
    open_installments BIGINT,
    original_plan BIGINT,
    original_installment_cents BIGINT,
    down_payment_cents BIGINT,
    refin_plan BIGINT,
    refin_installments BIGINT,
    refin_installment_cents BIGINT,
    total_refinanced_cents BIGINT,
    monthly_interest TEXT,
    annual_cet TEXT,
    first_due_date TEXT,
    last_due_date TEXT,
    agency TEXT NOT NULL,
    priority BIGINT,
    extra TEXT NOT NULL,
    run_id BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, contract, seq)
);
CREATE TABLE agreements (
    workspace_id TEXT NOT NULL,
    contract TEXT NOT NULL,
    agreement_no TEXT NOT NULL,
    installment_no BIGINT NOT NULL,
    document TEXT NOT NULL,
    due_date TEXT,
    amount_cents BIGINT,
    total_debt_cents BIGINT,
    written_off_on TEXT,
    reason TEXT NOT NULL,
    extra TEXT NOT NULL,
    run_id BIGINT,
    created_on TEXT NOT NULL,
    modified_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id, contract, agreement_no, installment_no)
);
CREATE TABLE mass_actions (
    workspace_id TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    document TEXT NOT NULL,
    contract TEXT NOT NULL,
    address TEXT NOT NULL,
    protocol TEXT NOT NULL,
    sent_on TEXT,
    message TEXT NOT NULL,
    journey TEXT NOT NULL,
    result TEXT NOT NULL,
    run_id BIGINT,
    created_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX mass_actions_customer ON mass_actions (workspace_id, document);
CREATE TABLE import_runs (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    id BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    layout TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    file_date TEXT NOT NULL,
    status TEXT NOT NULL,
    rows_read BIGINT NOT NULL,
    rows_imported BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    message TEXT NOT NULL,
    started_on TEXT NOT NULL,
    finished_on TEXT,
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX import_runs_imported ON import_runs (workspace_id, file_name, content_hash) WHERE status = 'imported';
CREATE TABLE import_errors (
    workspace_id TEXT NOT NULL,
    run_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    line BIGINT NOT NULL,
    field TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (workspace_id, run_id, seq)
)
"#;

const V2: &str = r#"
ALTER TABLE triggers ADD COLUMN schedule TEXT NOT NULL DEFAULT ''
"#;

const V1: &str = r#"
CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    environment TEXT NOT NULL,
    created_on TEXT NOT NULL
);
CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL,
    created_on TEXT NOT NULL
);
CREATE TABLE counters (
    workspace_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, name)
);
CREATE TABLE channels (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    uuid TEXT NOT NULL,
    name TEXT NOT NULL,
    channel_type TEXT NOT NULL,
    address TEXT NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (workspace_id, uuid)
);
CREATE TABLE contacts (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    uuid TEXT NOT NULL,
    id BIGINT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    data TEXT NOT NULL,
    created_on TEXT NOT NULL,
    modified_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id, uuid)
);
CREATE TABLE contact_urns (
    workspace_id TEXT NOT NULL,
    identity TEXT NOT NULL,
    contact_uuid TEXT NOT NULL,
    priority BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, identity)
);
CREATE INDEX contact_urns_contact ON contact_urns (workspace_id, contact_uuid);
CREATE TABLE contact_groups (
    workspace_id TEXT NOT NULL,
    group_uuid TEXT NOT NULL,
    contact_uuid TEXT NOT NULL,
    PRIMARY KEY (workspace_id, group_uuid, contact_uuid)
);
CREATE INDEX contact_groups_contact ON contact_groups (workspace_id, contact_uuid);
CREATE TABLE contact_locks (
    workspace_id TEXT NOT NULL,
    contact_uuid TEXT NOT NULL,
    owner TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id, contact_uuid)
);
CREATE TABLE fields (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    key TEXT NOT NULL,
    uuid TEXT NOT NULL,
    name TEXT NOT NULL,
    value_type TEXT NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
CREATE TABLE groups (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    uuid TEXT NOT NULL,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    PRIMARY KEY (workspace_id, uuid)
);
CREATE TABLE globals (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
CREATE TABLE flows (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    uuid TEXT NOT NULL,
    name TEXT NOT NULL,
    flow_type TEXT NOT NULL,
    revision BIGINT NOT NULL,
    definition TEXT NOT NULL,
    modified_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id, uuid)
);
CREATE TABLE flow_revisions (
    workspace_id TEXT NOT NULL,
    flow_uuid TEXT NOT NULL,
    revision BIGINT NOT NULL,
    definition TEXT NOT NULL,
    created_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id, flow_uuid, revision)
);
CREATE TABLE triggers (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    uuid TEXT NOT NULL,
    trigger_type TEXT NOT NULL,
    keywords TEXT NOT NULL,
    match_type TEXT NOT NULL,
    flow_uuid TEXT NOT NULL,
    include_groups TEXT NOT NULL,
    exclude_groups TEXT NOT NULL,
    created_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id, uuid)
);
CREATE TABLE sessions (
    workspace_id TEXT NOT NULL,
    uuid TEXT NOT NULL,
    contact_uuid TEXT NOT NULL,
    status TEXT NOT NULL,
    state TEXT NOT NULL,
    created_on TEXT NOT NULL,
    modified_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id, uuid)
);
CREATE INDEX sessions_contact ON sessions (workspace_id, contact_uuid, status);
CREATE TABLE runs (
    workspace_id TEXT NOT NULL,
    uuid TEXT NOT NULL,
    session_uuid TEXT NOT NULL,
    contact_uuid TEXT NOT NULL,
    flow_uuid TEXT NOT NULL,
    status TEXT NOT NULL,
    results TEXT NOT NULL,
    created_on TEXT NOT NULL,
    exited_on TEXT,
    PRIMARY KEY (workspace_id, uuid)
);
CREATE INDEX runs_flow ON runs (workspace_id, flow_uuid);
CREATE TABLE messages (
    workspace_id TEXT NOT NULL,
    uuid TEXT NOT NULL,
    seq BIGINT NOT NULL,
    contact_uuid TEXT NOT NULL,
    channel_uuid TEXT NOT NULL,
    urn TEXT NOT NULL,
    direction TEXT NOT NULL,
    text TEXT NOT NULL,
    attachments TEXT NOT NULL,
    quick_replies TEXT NOT NULL,
    status TEXT NOT NULL,
    external_id TEXT,
    created_on TEXT NOT NULL,
    modified_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id, uuid)
);
CREATE UNIQUE INDEX messages_external ON messages (workspace_id, channel_uuid, external_id);
CREATE INDEX messages_contact ON messages (workspace_id, contact_uuid, seq);
CREATE INDEX messages_pending ON messages (status, direction);
CREATE TABLE outbox (
    workspace_id TEXT NOT NULL,
    msg_uuid TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_on TEXT NOT NULL,
    claimed_until TEXT NOT NULL,
    last_error TEXT NOT NULL,
    PRIMARY KEY (workspace_id, msg_uuid)
);
CREATE INDEX outbox_due ON outbox (next_attempt_on);
CREATE TABLE fires (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    contact_uuid TEXT NOT NULL,
    session_uuid TEXT NOT NULL,
    kind TEXT NOT NULL,
    sprint BIGINT NOT NULL,
    due_on TEXT NOT NULL,
    claimed_until TEXT NOT NULL
);
CREATE INDEX fires_due ON fires (due_on);
CREATE INDEX fires_session ON fires (workspace_id, session_uuid);
CREATE TABLE webhook_calls (
    workspace_id TEXT NOT NULL,
    uuid TEXT NOT NULL,
    session_uuid TEXT NOT NULL,
    url TEXT NOT NULL,
    status TEXT NOT NULL,
    status_code BIGINT NOT NULL,
    elapsed_ms BIGINT NOT NULL,
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    created_on TEXT NOT NULL,
    PRIMARY KEY (workspace_id, uuid)
);
"#;

/// Applies every migration not yet recorded, each in its own transaction. On PostgreSQL
/// an advisory lock keeps several instances starting at once from racing.
pub async fn run(store: &Store) -> Result<(), StoreError> {
    let mut conn = store.pool.acquire().await?;
    if store.backend == Backend::Postgres {
        conn.execute("SELECT pg_advisory_lock(7340001)").await?;
    }
    let result = apply(store, &mut conn).await;
    if store.backend == Backend::Postgres {
        conn.execute("SELECT pg_advisory_unlock(7340001)").await?;
    }
    result
}

async fn apply(store: &Store, conn: &mut sqlx::AnyConnection) -> Result<(), StoreError> {
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_on TEXT NOT NULL)",
    )
    .await?;
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations")
        .fetch_all(&mut *conn)
        .await?;
    for (version, name, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        for statement in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            tx.execute(statement)
                .await
                .map_err(|e| StoreError::Migration(format!("migration {version} ({name}): {e}")))?;
        }
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_on) VALUES ($1, $2, $3)",
        )
        .bind(version)
        .bind(*name)
        .bind(crate::now_text(store))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(version, name, "applied migration");
    }
    Ok(())
}
