//! Mass-action marks (R030–R036, UC013–UC015): each mark is a row of the customer's
//! mass-action history, with the file's protocol, date and message.

use super::{
    check_phone, contract_arg, document_arg, ImportContext, MassActionInfo, Outcome, MARK_EMAIL,
    MARK_SMS, MARK_WHATSAPP,
};
use crate::{time_text, Result, Tx};

const MARK_CUSTOMER: &str =
    "INSERT INTO mass_actions (workspace_id, id, kind, document, contract, address, protocol,
    sent_on, message, journey, result, run_id, created_on)
 SELECT workspace_id, $3, $4, document, '', $5, $6, $7, $8, '', '', $9, $10
 FROM customers WHERE workspace_id = $1 AND document = $2";

const MARK_PHONE_HOLDERS: &str = "INSERT INTO mass_actions (workspace_id, id, kind, document, contract, address, protocol,
    sent_on, message, journey, result, run_id, created_on)
 SELECT p.workspace_id, $4 || ':' || p.contract, $5, c.document, p.contract, p.ddd || p.number, $6, $7, $8, '', '', $9, $10
 FROM contract_phones p JOIN contracts c ON c.workspace_id = p.workspace_id AND c.contract = p.contract
 WHERE p.workspace_id = $1 AND p.ddd = $2 AND p.number = $3";

const MARK_CONTRACT: &str =
    "INSERT INTO mass_actions (workspace_id, id, kind, document, contract, address, protocol,
    sent_on, message, journey, result, run_id, created_on)
 SELECT workspace_id, $3, $4, document, contract, $5, '', NULL, '', $6, '', $7, $8
 FROM contracts WHERE workspace_id = $1 AND contract = $2";

fn mark_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

impl Tx {
    /// Histórico massivo e-mail (R035): marks the customer with this CPF/CNPJ `Ação
    /// Massiva – Email`.
    pub async fn mark_email(
        &mut self,
        ctx: &ImportContext,
        document: &str,
        email: &str,
        info: &MassActionInfo,
    ) -> Result<Outcome> {
        let document = document_arg(document)?;
        let n = sqlx::query(MARK_CUSTOMER)
            .bind(&ctx.workspace)
            .bind(&document)
            .bind(mark_id())
            .bind(MARK_EMAIL)
            .bind(email.trim().to_lowercase())
            .bind(info.protocol.trim())
            .bind(info.sent_on.map(time_text))
            .bind(&info.message)
            .bind(ctx.run_id)
            .bind(&ctx.now_text)
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
        Ok(if n == 0 {
            Outcome::CustomerNotFound
        } else {
            Outcome::Applied
        })
    }

    /// Histórico massivo SMS (R036): marks `Ação Massiva – SMS` on every contract that
    /// holds this phone.
    pub async fn mark_sms(
        &mut self,
        ctx: &ImportContext,
        ddd: &str,
        number: &str,
        info: &MassActionInfo,
    ) -> Result<Outcome> {
        let (ddd, number) = check_phone(ddd, number)?;
        let n = sqlx::query(MARK_PHONE_HOLDERS)
            .bind(&ctx.workspace)
            .bind(&ddd)
            .bind(&number)
            .bind(mark_id())
            .bind(MARK_SMS)
            .bind(info.protocol.trim())
            .bind(info.sent_on.map(time_text))
            .bind(&info.message)
            .bind(ctx.run_id)
            .bind(&ctx.now_text)
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
        Ok(if n == 0 {
            Outcome::PhoneNotFound
        } else {
            Outcome::Applied
        })
    }

    /// Ações massivas WhatsApp (R030–R032): marks the contract `Ação Massiva – WhatsApp`
    /// with the number the HSM goes to and the journey (`jornada1`, `jornada2`); the
    /// sender records the result with [`Tx::set_whatsapp_result`].
    pub async fn mark_whatsapp(
        &mut self,
        ctx: &ImportContext,
        contract: &str,
        ddd: &str,
        number: &str,
        journey: &str,
    ) -> Result<Outcome> {
        let contract = contract_arg(contract)?;
        let (ddd, number) = check_phone(ddd, number)?;
        let n = sqlx::query(MARK_CONTRACT)
            .bind(&ctx.workspace)
            .bind(contract)
            .bind(mark_id())
            .bind(MARK_WHATSAPP)
            .bind(format!("{ddd}{number}"))
            .bind(journey.trim())
            .bind(ctx.run_id)
            .bind(&ctx.now_text)
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
        Ok(if n == 0 {
            Outcome::ContractNotFound
        } else {
            Outcome::Applied
        })
    }

    /// UC014: how the HSM of this run's WhatsApp mark on the contract went (`Massiva
    /// WhatsApp enviada com sucesso` / `… sem sucesso`). Returns whether a mark was found.
    pub async fn set_whatsapp_result(
        &mut self,
        ctx: &ImportContext,
        contract: &str,
        result: &str,
    ) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE mass_actions SET result = $4
             WHERE workspace_id = $1 AND run_id = $2 AND contract = $3 AND kind = $5
               AND document = (SELECT document FROM contracts WHERE workspace_id = $1 AND contract = $3)",
        )
        .bind(&ctx.workspace)
        .bind(ctx.run_id)
        .bind(contract.trim())
        .bind(result)
        .bind(MARK_WHATSAPP)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        Ok(n > 0)
    }
}
