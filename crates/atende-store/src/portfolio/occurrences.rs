//! Occurrences (ocorrências, tabulations): the history of what happened with a customer
//! (UC009's "Histórico de Ocorrências", UC010's InsertTabulação). The portal writes one per
//! closed attendance; the omnichannel receiver (UC008) writes one when it has to create a
//! mass-action or generic tabulation to link an attendance to the customer.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{col, Result, Store, StoreError, Tx};

/// `idTipoCanal` (UC009/UC010): 1-TELEFONE, 2-EMAIL, 3-SMS, 5-WHATSAPP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(into = "i64", try_from = "i64")]
pub enum ChannelType {
    Phone = 1,
    Email = 2,
    Sms = 3,
    Whatsapp = 5,
}

impl ChannelType {
    pub const ALL: [ChannelType; 4] = [
        ChannelType::Phone,
        ChannelType::Email,
        ChannelType::Sms,
        ChannelType::Whatsapp,
    ];

    /// The name the spec gives it.
    pub fn name(self) -> &'static str {
        match self {
            ChannelType::Phone => "TELEFONE",
            ChannelType::Email => "EMAIL",
            ChannelType::Sms => "SMS",
            ChannelType::Whatsapp => "WHATSAPP",
        }
    }
}

impl From<ChannelType> for i64 {
    fn from(c: ChannelType) -> i64 {
        c as i64
    }
}

impl TryFrom<i64> for ChannelType {
    type Error = String;
    fn try_from(v: i64) -> std::result::Result<Self, String> {
        match v {
            1 => Ok(ChannelType::Phone),
            2 => Ok(ChannelType::Email),
            3 => Ok(ChannelType::Sms),
            5 => Ok(ChannelType::Whatsapp),
            _ => Err(format!(
                "idTipoCanal {v} is not one of 1 (TELEFONE), 2 (EMAIL), 3 (SMS), 5 (WHATSAPP)"
            )),
        }
    }
}

/// Who created an occurrence.
pub mod source {
    /// The portal's InsertTabulação (UC010).
    pub const PORTAL: &str = "portal";
    /// UC008 FA001: the attendance matched the customer by CRM id.
    pub const OMNI_MASS_ACTION: &str = "omni_mass_action";
    /// UC008 FA002–FA005: matched by CPF/CNPJ, phone or e-mail.
    pub const OMNI_GENERIC: &str = "omni_generic";

    /// Recorded by the omnichannel receiver (which links the attendance's other events
    /// itself).
    pub fn is_omni(source: &str) -> bool {
        source == OMNI_MASS_ACTION || source == OMNI_GENERIC
    }
}

/// An occurrence to record. Empty strings mean "not given".
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NewOccurrence {
    /// Customer's CPF/CNPJ, digits only (as stored in `customers`).
    pub document: String,
    pub crm_id: String,
    pub contract: String,
    /// `idCampanha`.
    pub campaign_id: String,
    /// `Resultado`: the code in the campaign's tabulation tree, and its name.
    pub result_code: String,
    pub result_name: String,
    /// `telefoneTrabalhado` / "Número Discado".
    pub phone_worked: String,
    /// "Telefone Agendado" and when.
    pub scheduled_phone: String,
    pub scheduled_for: Option<String>,
    /// "Parcela(s) negociada(s)", as given (e.g. `"3,4,5"`).
    pub installments: String,
    /// `Usuário`: the agent's login.
    pub user_login: String,
    pub channel_type: Option<ChannelType>,
    /// `Obs`.
    pub notes: String,
    /// `AttendanceID` in the omnichannel platform, `Protocolo`, `TicketID`.
    pub attendance_id: String,
    pub protocol: String,
    pub ticket_id: String,
    /// `dataInicioAtendimento`, store time text.
    pub attendance_started_on: Option<String>,
    /// How a boleto went out in this occurrence (`""` = none; `email`, `sms`, `whatsapp`…);
    /// UC009's "Boletos" counts occurrences where it is set.
    pub boleto_sent_by: String,
    /// See [`source`].
    pub source: String,
    /// The caller's idempotency key (`""`: none). Recording the same key twice answers
    /// the first occurrence's id.
    pub idempotency_key: String,
    /// Anything else the caller sent, kept as JSON.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A stored occurrence.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Occurrence {
    pub id: String,
    #[serde(flatten)]
    pub data: NewOccurrence,
    pub created_on: String,
}

impl Tx {
    /// Records an occurrence; answers its id and whether it is new (`false`: the
    /// idempotency key was already used, the first occurrence's id is answered). An
    /// occurrence with an omnichannel attendance id takes in the attendance's events that
    /// arrived before it and found no customer (UC008: the platform may post the
    /// attendance before the agent's tabulation is recorded), unless the receiver itself
    /// is recording it ([`source::is_omni`]).
    pub async fn insert_occurrence(
        &mut self,
        workspace: &str,
        o: &NewOccurrence,
        now: &str,
    ) -> Result<(String, bool)> {
        if !o.attendance_id.is_empty() {
            self.lock_attendance(workspace, &o.attendance_id).await?;
        }
        if !o.idempotency_key.is_empty() {
            let existing: Option<String> = sqlx::query_scalar(
                "SELECT id FROM occurrences WHERE workspace_id = $1 AND idempotency_key = $2",
            )
            .bind(workspace)
            .bind(&o.idempotency_key)
            .fetch_optional(&mut *self.tx)
            .await?;
            if let Some(id) = existing {
                return Ok((id, false));
            }
        }
        let id = uuid::Uuid::now_v7().to_string();
        let extra =
            serde_json::to_string(&o.extra).map_err(|e| StoreError::Invalid(e.to_string()))?;
        // the history entry the lookup will show, in the workspace's time zone of today
        let environment: Option<String> =
            sqlx::query_scalar("SELECT environment FROM workspaces WHERE id = $1")
                .bind(workspace)
                .fetch_optional(&mut *self.tx)
                .await?;
        let time_zone = super::lookup::workspace_time_zone(environment.as_deref().unwrap_or(""));
        let entry = super::lookup::occurrence_entry(&id, o, now, &extra, &time_zone)?;
        let inserted = sqlx::query(
            "INSERT INTO occurrences (workspace_id, id, document, crm_id, contract, campaign_id,
                result_code, result_name, phone_worked, scheduled_phone, scheduled_for, installments,
                user_login, channel_type, notes, attendance_id, protocol, ticket_id,
                attendance_started_on, boleto_sent_by, source, idempotency_key, extra, created_on,
                entry)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                $19, $20, $21, $22, $23, $24, $25)
             ON CONFLICT (workspace_id, idempotency_key) WHERE idempotency_key <> '' DO NOTHING",
        )
        .bind(workspace)
        .bind(&id)
        .bind(&o.document)
        .bind(&o.crm_id)
        .bind(&o.contract)
        .bind(&o.campaign_id)
        .bind(&o.result_code)
        .bind(&o.result_name)
        .bind(&o.phone_worked)
        .bind(&o.scheduled_phone)
        .bind(&o.scheduled_for)
        .bind(&o.installments)
        .bind(&o.user_login)
        .bind(o.channel_type.map_or(0, i64::from))
        .bind(&o.notes)
        .bind(&o.attendance_id)
        .bind(&o.protocol)
        .bind(&o.ticket_id)
        .bind(&o.attendance_started_on)
        .bind(&o.boleto_sent_by)
        .bind(&o.source)
        .bind(&o.idempotency_key)
        .bind(extra)
        .bind(now)
        .bind(entry)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            // a concurrent request with the same key committed first (PostgreSQL waits for
            // it at the unique index, then does nothing): answer its occurrence
            let existing: String = sqlx::query_scalar(
                "SELECT id FROM occurrences WHERE workspace_id = $1 AND idempotency_key = $2",
            )
            .bind(workspace)
            .bind(&o.idempotency_key)
            .fetch_one(&mut *self.tx)
            .await?;
            return Ok((existing, false));
        }
        if !o.attendance_id.is_empty() && !source::is_omni(&o.source) {
            self.link_attendance_events(workspace, &o.attendance_id, o, &id, now)
                .await?;
        }
        Ok((id, true))
    }

    /// The occurrence that recorded this omnichannel attendance id, if any (UC008 step 2).
    pub async fn occurrence_by_attendance(
        &mut self,
        workspace: &str,
        attendance_id: &str,
    ) -> Result<Option<Occurrence>> {
        let row = sqlx::query(
            "SELECT * FROM occurrences WHERE workspace_id = $1 AND attendance_id = $2
             ORDER BY created_on LIMIT 1",
        )
        .bind(workspace)
        .bind(attendance_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.as_ref().map(occurrence_row).transpose()
    }
}

/// Where [`Store::fill_occurrence_entries`] goes on from: the last occurrence it looked
/// at, in primary-key order (`None`: from the start).
pub type EntryCursor = Option<(String, String)>;

impl Store {
    /// Writes the history entry ([`super::OccurrenceEntry`]) of up to `limit`
    /// occurrences recorded before entries were stored (migration 10), in their
    /// workspace's time zone of today: what the lookup shows for them meanwhile, built
    /// when read. Walks the table once in primary-key order from `after`; answers how
    /// many it wrote and where to go on (`None`: the end). Safe to run on several
    /// instances at once: a row is only written while its entry is still empty.
    pub async fn fill_occurrence_entries(
        &self,
        after: &EntryCursor,
        limit: i64,
    ) -> Result<(usize, EntryCursor)> {
        let (workspace, id) = after.clone().unwrap_or_default();
        let mut tx = self.begin().await?;
        let rows = sqlx::query(
            "SELECT o.*, w.environment FROM occurrences o JOIN workspaces w ON w.id = o.workspace_id
             WHERE o.workspace_id > $1 OR (o.workspace_id = $1 AND o.id > $2)
             ORDER BY o.workspace_id, o.id LIMIT $3",
        )
        .bind(&workspace)
        .bind(&id)
        .bind(limit)
        .fetch_all(&mut *tx.tx)
        .await?;
        let mut written = 0;
        let mut last = None;
        for row in &rows {
            let workspace: String = col(row, "workspace_id")?;
            let o = occurrence_row(row)?;
            last = Some((workspace.clone(), o.id.clone()));
            if !col::<String>(row, "entry")?.is_empty() {
                continue;
            }
            let time_zone = super::lookup::workspace_time_zone(&col::<String>(row, "environment")?);
            let extra: String = col(row, "extra")?;
            let entry =
                super::lookup::occurrence_entry(&o.id, &o.data, &o.created_on, &extra, &time_zone)?;
            written += sqlx::query(
                "UPDATE occurrences SET entry = $1 WHERE workspace_id = $2 AND id = $3 AND entry = ''",
            )
            .bind(entry)
            .bind(&workspace)
            .bind(&o.id)
            .execute(&mut *tx.tx)
            .await?
            .rows_affected() as usize;
        }
        tx.commit().await?;
        let next = if (rows.len() as i64) < limit {
            None
        } else {
            last
        };
        Ok((written, next))
    }

    /// The customer's occurrences, newest first.
    pub async fn occurrences_of(&self, workspace: &str, document: &str) -> Result<Vec<Occurrence>> {
        let rows = sqlx::query(
            "SELECT * FROM occurrences WHERE workspace_id = $1 AND document = $2
             ORDER BY created_on DESC, id DESC",
        )
        .bind(workspace)
        .bind(document)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(occurrence_row).collect()
    }
}

/// Reads an `occurrences` row (`SELECT *`).
pub(crate) fn occurrence_row(row: &AnyRow) -> Result<Occurrence> {
    let channel: i64 = col(row, "channel_type")?;
    let extra: String = col(row, "extra")?;
    Ok(Occurrence {
        id: col(row, "id")?,
        created_on: col(row, "created_on")?,
        data: NewOccurrence {
            document: col(row, "document")?,
            crm_id: col(row, "crm_id")?,
            contract: col(row, "contract")?,
            campaign_id: col(row, "campaign_id")?,
            result_code: col(row, "result_code")?,
            result_name: col(row, "result_name")?,
            phone_worked: col(row, "phone_worked")?,
            scheduled_phone: col(row, "scheduled_phone")?,
            scheduled_for: row.try_get("scheduled_for").ok().flatten(),
            installments: col(row, "installments")?,
            user_login: col(row, "user_login")?,
            channel_type: ChannelType::try_from(channel).ok(),
            notes: col(row, "notes")?,
            attendance_id: col(row, "attendance_id")?,
            protocol: col(row, "protocol")?,
            ticket_id: col(row, "ticket_id")?,
            attendance_started_on: row.try_get("attendance_started_on").ok().flatten(),
            boleto_sent_by: col(row, "boleto_sent_by")?,
            source: col(row, "source")?,
            idempotency_key: col(row, "idempotency_key")?,
            extra: serde_json::from_str(&extra).map_err(|e| StoreError::Corrupt {
                what: "occurrences.extra".into(),
                why: e.to_string(),
            })?,
        },
    })
}
