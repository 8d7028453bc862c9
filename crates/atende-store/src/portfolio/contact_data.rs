//! Phones (per contract), addresses and e-mails (per customer): merged, never duplicated,
//! kept in arrival order (R023–R025).

use super::{
    contract_arg, document_arg, mask, Address, BadArg, ImportContext, NewPhone, Outcome,
    ORIGIN_ENRICHMENT,
};
use crate::{Result, Tx};

/// Adds a phone after the contract's others, or, when the contract has the number
/// already, updates its score and kind if given. $9 is the origin.
const MERGE_PHONE: &str = "INSERT INTO contract_phones (workspace_id, contract, ddd, number, position, kind, score, origin, run_id, created_on)
 SELECT c.workspace_id, c.contract, $3, $4,
    (SELECT COALESCE(MAX(p.position), 0) + 1 FROM contract_phones p WHERE p.workspace_id = c.workspace_id AND p.contract = c.contract),
    $5, $6, $9, $7, $8
 FROM contracts c WHERE c.workspace_id = $1 AND c.contract = $2
 ON CONFLICT (workspace_id, contract, ddd, number) DO UPDATE SET
    score = COALESCE(excluded.score, contract_phones.score),
    kind = CASE WHEN excluded.kind <> '' THEN excluded.kind ELSE contract_phones.kind END
 WHERE (excluded.score IS NOT NULL AND excluded.score IS DISTINCT FROM contract_phones.score)
    OR (excluded.kind <> '' AND excluded.kind <> contract_phones.kind)";

/// [`MERGE_PHONE`] for the telefones file: the origin is `Enriquecimento N`, N counting
/// the contract's enrichment phones.
const MERGE_ENRICHMENT_PHONE: &str = "INSERT INTO contract_phones (workspace_id, contract, ddd, number, position, kind, score, origin, run_id, created_on)
 SELECT c.workspace_id, c.contract, $3, $4,
    (SELECT COALESCE(MAX(p.position), 0) + 1 FROM contract_phones p WHERE p.workspace_id = c.workspace_id AND p.contract = c.contract),
    $5, $6,
    'Enriquecimento ' || CAST((SELECT COUNT(*) FROM contract_phones p WHERE p.workspace_id = c.workspace_id AND p.contract = c.contract AND p.origin LIKE 'Enriquecimento %') + 1 AS TEXT),
    $7, $8
 FROM contracts c WHERE c.workspace_id = $1 AND c.contract = $2
 ON CONFLICT (workspace_id, contract, ddd, number) DO UPDATE SET
    score = COALESCE(excluded.score, contract_phones.score),
    kind = CASE WHEN excluded.kind <> '' THEN excluded.kind ELSE contract_phones.kind END
 WHERE (excluded.score IS NOT NULL AND excluded.score IS DISTINCT FROM contract_phones.score)
    OR (excluded.kind <> '' AND excluded.kind <> contract_phones.kind)";

const MERGE_ADDRESS: &str = "INSERT INTO customer_addresses (workspace_id, document, address_key, position, kind, street, number,
    complement, district, city, state, zip, origin, run_id, created_on)
 VALUES ($1, $2, $3,
    (SELECT COALESCE(MAX(position), 0) + 1 FROM customer_addresses WHERE workspace_id = $1 AND document = $2),
    $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
 ON CONFLICT (workspace_id, document, address_key) DO NOTHING";

const MERGE_EMAIL: &str = "INSERT INTO customer_emails (workspace_id, document, email, position, origin, run_id, created_on)
 VALUES ($1, $2, $3,
    (SELECT COALESCE(MAX(position), 0) + 1 FROM customer_emails WHERE workspace_id = $1 AND document = $2),
    $4, $5, $6)
 ON CONFLICT (workspace_id, document, email) DO NOTHING";

/// A DDD of 2 digits and a number of 8 or 9, trimmed.
pub(super) fn check_phone(
    ddd: &str,
    number: &str,
) -> std::result::Result<(String, String), BadArg> {
    let (ddd, number) = (ddd.trim(), number.trim());
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if ddd.len() != 2 || !digits(ddd) || !(8..=9).contains(&number.len()) || !digits(number) {
        return Err(BadArg::Phone(ddd.into(), mask(number)));
    }
    Ok((ddd.into(), number.into()))
}

/// The phones worth storing: blank numbers (empty fields of a fixed-width file) are
/// dropped; anything else must pass [`check_phone`].
pub(super) fn check_phones(phones: &[NewPhone]) -> Result<Vec<NewPhone>> {
    let mut out = Vec::with_capacity(phones.len());
    for p in phones {
        let number = p.number.trim();
        if number.is_empty() || number.bytes().all(|b| b == b'0') {
            continue;
        }
        let (ddd, number) = check_phone(&p.ddd, number)?;
        out.push(NewPhone {
            ddd,
            number,
            kind: p.kind.trim().into(),
            score: p.score,
        });
    }
    Ok(out)
}

/// Lower-case words of the parts that tell two addresses apart.
pub(super) fn address_key(a: &Address) -> String {
    let words = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let zip: String = a.zip.chars().filter(char::is_ascii_digit).collect();
    format!(
        "{}|{}|{}|{zip}",
        words(&a.street),
        words(&a.number),
        words(&a.complement)
    )
}

impl Tx {
    /// Telefones file (R023–R025): the row's phones go after the contract's existing
    /// ones, each as `Enriquecimento N` with its score; a number the contract has already
    /// only gets its score updated.
    pub async fn add_enrichment_phones(
        &mut self,
        ctx: &ImportContext,
        contract: &str,
        phones: &[NewPhone],
    ) -> Result<Outcome> {
        self.add_phones(ctx, contract, phones, ORIGIN_ENRICHMENT)
            .await
    }

    /// Adds phones with an origin (`Remessa`, `Portal`, …; [`ORIGIN_ENRICHMENT`] numbers
    /// them like [`Tx::add_enrichment_phones`]) after the contract's existing ones; a
    /// known number only gets its score and kind updated.
    pub async fn add_phones(
        &mut self,
        ctx: &ImportContext,
        contract: &str,
        phones: &[NewPhone],
        origin: &str,
    ) -> Result<Outcome> {
        let contract = contract_arg(contract)?;
        let phones = check_phones(phones)?;
        let written = self
            .merge_phones(ctx, contract, &phones, origin.trim())
            .await?;
        // nothing written: either every number was known and unchanged, or no contract
        if written == 0 && !self.contract_exists(ctx, contract).await? {
            return Ok(Outcome::ContractNotFound);
        }
        Ok(Outcome::Applied)
    }

    /// Phones already checked; `origin` [`ORIGIN_ENRICHMENT`] numbers them. Returns the
    /// rows written (0 for an unknown contract).
    pub(super) async fn merge_phones(
        &mut self,
        ctx: &ImportContext,
        contract: &str,
        phones: &[NewPhone],
        origin: &str,
    ) -> Result<u64> {
        let enrichment = origin == ORIGIN_ENRICHMENT;
        let mut written = 0;
        for p in phones {
            let query = sqlx::query(if enrichment {
                MERGE_ENRICHMENT_PHONE
            } else {
                MERGE_PHONE
            })
            .bind(&ctx.workspace)
            .bind(contract)
            .bind(&p.ddd)
            .bind(&p.number)
            .bind(&p.kind)
            .bind(p.score)
            .bind(ctx.run_id)
            .bind(&ctx.now_text);
            let query = if enrichment {
                query
            } else {
                query.bind(origin)
            };
            written += query.execute(&mut *self.tx).await?.rows_affected();
        }
        Ok(written)
    }

    /// Adds addresses to a customer's list unless an address with the same street,
    /// number, complement and CEP is there already.
    pub async fn add_addresses(
        &mut self,
        ctx: &ImportContext,
        document: &str,
        addresses: &[Address],
        origin: &str,
    ) -> Result<Outcome> {
        let document = document_arg(document)?;
        if !self.customer_exists(ctx, &document).await? {
            return Ok(Outcome::CustomerNotFound);
        }
        self.merge_addresses(ctx, &document, addresses, origin)
            .await?;
        Ok(Outcome::Applied)
    }

    /// Adds e-mails (lower-cased) to a customer's list unless there already.
    pub async fn add_emails(
        &mut self,
        ctx: &ImportContext,
        document: &str,
        emails: &[String],
        origin: &str,
    ) -> Result<Outcome> {
        let document = document_arg(document)?;
        if !self.customer_exists(ctx, &document).await? {
            return Ok(Outcome::CustomerNotFound);
        }
        self.merge_emails(ctx, &document, emails, origin).await?;
        Ok(Outcome::Applied)
    }

    pub(super) async fn customer_exists(
        &mut self,
        ctx: &ImportContext,
        document: &str,
    ) -> Result<bool> {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT 1 FROM customers WHERE workspace_id = $1 AND document = $2",
        )
        .bind(&ctx.workspace)
        .bind(document)
        .fetch_optional(&mut *self.tx)
        .await?
        .is_some())
    }

    pub(super) async fn merge_addresses(
        &mut self,
        ctx: &ImportContext,
        document: &str,
        addresses: &[Address],
        origin: &str,
    ) -> Result<()> {
        for a in addresses {
            if a.street.trim().is_empty() && a.zip.trim().is_empty() {
                continue;
            }
            sqlx::query(MERGE_ADDRESS)
                .bind(&ctx.workspace)
                .bind(document)
                .bind(address_key(a))
                .bind(a.kind.trim())
                .bind(a.street.trim())
                .bind(a.number.trim())
                .bind(a.complement.trim())
                .bind(a.district.trim())
                .bind(a.city.trim())
                .bind(a.state.trim())
                .bind(a.zip.trim())
                .bind(origin)
                .bind(ctx.run_id)
                .bind(&ctx.now_text)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    pub(super) async fn merge_emails(
        &mut self,
        ctx: &ImportContext,
        document: &str,
        emails: &[String],
        origin: &str,
    ) -> Result<()> {
        for e in emails {
            let email = e.trim().to_lowercase();
            if email.is_empty() {
                continue;
            }
            sqlx::query(MERGE_EMAIL)
                .bind(&ctx.workspace)
                .bind(document)
                .bind(&email)
                .bind(origin)
                .bind(ctx.run_id)
                .bind(&ctx.now_text)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_checked_and_blanks_dropped() {
        let p = |ddd: &str, number: &str| NewPhone {
            ddd: ddd.into(),
            number: number.into(),
            ..NewPhone::default()
        };
        let ok = check_phones(&[p("11", "987654321"), p("", ""), p("00", "00000000")]).unwrap();
        assert_eq!(ok.len(), 1);
        let err = check_phones(&[p("1", "987654321")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("*****4321"), "{err}");
        assert!(check_phones(&[p("11", "9876-4321")]).is_err());
    }

    #[test]
    fn addresses_differ_by_street_number_complement_and_zip() {
        let a = Address {
            street: "Rua  das Flores".into(),
            number: "10".into(),
            zip: "01234-567".into(),
            ..Address::default()
        };
        let b = Address {
            street: "RUA DAS FLORES".into(),
            city: "São Paulo".into(),
            ..a.clone()
        };
        assert_eq!(address_key(&a), address_key(&b));
        assert_eq!(address_key(&a), "rua das flores|10||01234567");
    }
}
