//! Synthetic files for tests, demos and benchmarks: valid for their layout (CPFs and CNPJs
//! with correct check digits, real DDDs, dates that exist), deterministic for a seed, and
//! consistent across layouts.
//!
//! Consistency: contract `i` of a seed is the same contract (number, customer, CPF,
//! phones, vehicle, agreement…) in every layout. Most layouts have one row per contract, so
//! a sample of N rows covers contracts `0..N`; parcelas has 1–7 rows per contract (its
//! overdue installments and the next one) and multi-record layouts one row per record
//! type, so their N rows cover fewer contracts — always a prefix of the remessa's of the
//! same seed and size, so an import of both links up. About one contract in ten belongs to
//! the customer of the contract before it (customers with two contracts, sharing phones).
//!
//! Values are chosen by the field's standard name (`numero_contrato`, `cpf_cnpj`,
//! `telefone_1`, … listed in `layouts/README.md`); fields with other names get random
//! values of their type, so a replaced layout still gets a valid sample.

use std::io::{self, Write};

use atende_br::document::Document;
use atende_br::{cnpj, cpf};
use jiff::civil::{Date, DateTime};
use jiff::{Span, ToSpan};
use rust_decimal::Decimal;

use crate::layout::{Field, Format, Kind, Layout, Record};
use crate::value::{DecimalFormat, DocumentKind, FieldType};

/// A synthetic file of `rows` data lines for `layout` (plus the header of a delimited
/// layout), as an iterator of lines without line breaks.
///
/// `seed` picks the data (same seed, same file; same seed across layouts, same
/// contracts); `today` is the date the file is "produced" on (due dates, days late and
/// the like are computed from it, never from the clock).
///
/// ```
/// use atende_collections::{sample, Layouts};
/// use jiff::civil::date;
///
/// let layouts = Layouts::defaults();
/// let lines: Vec<String> = sample(layouts.get("batimento").unwrap(), 2, 1, date(2023, 8, 4)).collect();
/// assert_eq!(lines.len(), 3);
/// assert_eq!(lines[0], "CONTRATO;PRIMEIRA_PARC_AB;DATA_ENVIO;CARTEIRA;COD_ASSESSORIA;NOME_ASSESSORIA;PRODUTO;DIAS_ATRASO");
/// assert!(lines[1].starts_with("101000000000;"));
/// ```
pub fn sample(layout: &Layout, rows: usize, seed: u64, today: Date) -> Sample<'_> {
    Sample {
        layout,
        rows,
        seed,
        today,
        emitted: 0,
        header_done: !matches!(layout.format, Format::Delimited { .. }),
        contract: 0,
        sub: 0,
        current: None,
    }
}

/// The lines of a sample file; see [`sample`].
///
/// ```
/// use atende_collections::{sample, Layouts};
/// use jiff::civil::date;
///
/// let layouts = Layouts::defaults();
/// let bytes = sample(layouts.get("parcelas").unwrap(), 10, 1, date(2023, 8, 4)).to_bytes();
/// assert_eq!(bytes.len(), 10 * 213);
/// ```
pub struct Sample<'l> {
    layout: &'l Layout,
    rows: usize,
    seed: u64,
    today: Date,
    emitted: usize,
    header_done: bool,
    contract: u64,
    sub: usize,
    current: Option<(Contract, usize)>,
}

impl Sample<'_> {
    /// Writes every line, each ended by `\n`; returns the bytes written.
    ///
    /// ```
    /// use atende_collections::{sample, Layouts};
    /// use jiff::civil::date;
    ///
    /// let layouts = Layouts::defaults();
    /// let mut out = Vec::new();
    /// let n = sample(layouts.get("exclusao").unwrap(), 3, 1, date(2023, 8, 4)).write_to(&mut out).unwrap();
    /// assert_eq!(n, 303);
    /// ```
    pub fn write_to(self, mut w: impl Write) -> io::Result<u64> {
        let mut n = 0u64;
        for line in self {
            w.write_all(line.as_bytes())?;
            w.write_all(b"\n")?;
            n += line.len() as u64 + 1;
        }
        Ok(n)
    }

    /// The whole file in memory (UTF-8, `\n` line ends).
    ///
    /// ```
    /// use atende_collections::{sample, Layouts};
    /// use jiff::civil::date;
    ///
    /// let layouts = Layouts::defaults();
    /// let file = sample(layouts.get("telefones").unwrap(), 1, 1, date(2023, 8, 4)).to_bytes();
    /// assert!(file.starts_with(b"CPF;CONTRATO;TELEFONE1;"));
    /// ```
    pub fn to_bytes(self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out).expect("writing to memory");
        out
    }
}

impl Iterator for Sample<'_> {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        let sep = match self.layout.format {
            Format::Delimited { separator } => Some(char::from(separator)),
            Format::Fixed { .. } => None,
        };
        if !self.header_done {
            self.header_done = true;
            let sep = sep.expect("header only for delimited layouts").to_string();
            let titles: Vec<&str> = self.layout.records[0]
                .fields
                .iter()
                .map(|f| f.column().unwrap_or(f.name()))
                .collect();
            return Some(titles.join(&sep));
        }
        if self.emitted >= self.rows {
            return None;
        }
        if self.current.is_none() {
            let c = Contract::new(self.seed, self.contract, self.today);
            let per = rows_per_contract(self.layout, &c);
            self.current = Some((c, per));
            self.sub = 0;
        }
        let (contract, per) = self.current.as_ref().expect("set above");
        let per = *per;
        let record = match self.layout.format {
            Format::Fixed {
                record_type: Some(_),
            } => &self.layout.records[self.sub % self.layout.records.len()],
            _ => &self.layout.records[0],
        };
        let ctx = RowCtx {
            c: contract,
            kind: self.layout.kind(),
            sub: self.sub,
            record,
            today: self.today,
            seed: self.seed,
        };
        let line = render_row(&ctx, record, sep);
        self.emitted += 1;
        self.sub += 1;
        if self.sub >= per {
            self.current = None;
            self.contract += 1;
        }
        Some(line)
    }
}

fn rows_per_contract(layout: &Layout, c: &Contract) -> usize {
    match layout.format {
        Format::Fixed {
            record_type: Some(_),
        } => layout.records.len(),
        _ if layout.kind() == Kind::Parcelas => c.parcel_rows(),
        _ => 1,
    }
}

// ---------------------------------------------------------------------------------------
// Deterministic randomness.

#[derive(Clone, Copy)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64, index: u64) -> Rng {
        let mut r = Rng(seed
            ^ stream.wrapping_mul(0xD6E8_FEB8_6659_FD93)
            ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        *self.pick_ref(items)
    }

    fn pick_ref<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

const S_CUSTOMER: u64 = 1;
const S_SHARED: u64 = 2;
const S_CONTRACT: u64 = 3;
const S_GUARANTOR: u64 = 4;
const S_ENRICH: u64 = 5;
const S_FIELD: u64 = 6;

// ---------------------------------------------------------------------------------------
// Reference data.

const FIRST_M: &[&str] = &[
    "JOÃO",
    "JOSÉ",
    "ANTÔNIO",
    "FRANCISCO",
    "CARLOS",
    "PAULO",
    "PEDRO",
    "LUCAS",
    "LUIZ",
    "MARCOS",
    "LUÍS",
    "GABRIEL",
    "RAFAEL",
    "DANIEL",
    "MARCELO",
    "BRUNO",
    "EDUARDO",
    "FELIPE",
    "RAIMUNDO",
    "RODRIGO",
    "SEBASTIÃO",
    "FÁBIO",
    "ANDRÉ",
    "MÁRCIO",
];
const FIRST_F: &[&str] = &[
    "MARIA",
    "ANA",
    "FRANCISCA",
    "ANTÔNIA",
    "ADRIANA",
    "JULIANA",
    "MÁRCIA",
    "FERNANDA",
    "PATRÍCIA",
    "ALINE",
    "SANDRA",
    "CAMILA",
    "AMANDA",
    "BRUNA",
    "JÉSSICA",
    "LETÍCIA",
    "JÚLIA",
    "LUCIANA",
    "VANESSA",
    "MARIANA",
    "CONCEIÇÃO",
    "CLÁUDIA",
    "BEATRIZ",
    "LÚCIA",
];
const SURNAMES: &[&str] = &[
    "SILVA",
    "SANTOS",
    "OLIVEIRA",
    "SOUZA",
    "RODRIGUES",
    "FERREIRA",
    "ALVES",
    "PEREIRA",
    "LIMA",
    "GOMES",
    "COSTA",
    "RIBEIRO",
    "MARTINS",
    "CARVALHO",
    "ALMEIDA",
    "LOPES",
    "SOARES",
    "FERNANDES",
    "VIEIRA",
    "BARBOSA",
    "ROCHA",
    "DIAS",
    "NASCIMENTO",
    "ANDRADE",
    "MOREIRA",
    "NUNES",
    "MARQUES",
    "MACHADO",
    "MENDES",
    "FREITAS",
    "CARDOSO",
    "RAMOS",
    "GONÇALVES",
    "SANTANA",
    "TEIXEIRA",
    "ARAÚJO",
    "CONCEIÇÃO",
    "BRAGA",
    "ASSUNÇÃO",
    "DA SILVA",
];
const COMPANY: &[&str] = &[
    "TRANSPORTES",
    "COMÉRCIO DE ALIMENTOS",
    "LOGÍSTICA",
    "CONSTRUÇÕES",
    "SERVIÇOS",
    "AUTO PEÇAS",
];
const COMPANY_SUFFIX: &[&str] = &["LTDA", "EIRELI", "ME", "S.A."];
/// (city, UF, DDD, CEP prefix)
const CITIES: &[(&str, &str, u8, &str)] = &[
    ("SÃO PAULO", "SP", 11, "01"),
    ("GUARULHOS", "SP", 11, "07"),
    ("CAMPINAS", "SP", 19, "13"),
    ("SANTOS", "SP", 13, "11"),
    ("RIBEIRÃO PRETO", "SP", 16, "14"),
    ("RIO DE JANEIRO", "RJ", 21, "20"),
    ("NITERÓI", "RJ", 21, "24"),
    ("BELO HORIZONTE", "MG", 31, "30"),
    ("UBERLÂNDIA", "MG", 34, "38"),
    ("VITÓRIA", "ES", 27, "29"),
    ("SALVADOR", "BA", 71, "40"),
    ("FEIRA DE SANTANA", "BA", 75, "44"),
    ("RECIFE", "PE", 81, "50"),
    ("FORTALEZA", "CE", 85, "60"),
    ("NATAL", "RN", 84, "59"),
    ("JOÃO PESSOA", "PB", 83, "58"),
    ("MACEIÓ", "AL", 82, "57"),
    ("ARACAJU", "SE", 79, "49"),
    ("TERESINA", "PI", 86, "64"),
    ("SÃO LUÍS", "MA", 98, "65"),
    ("BELÉM", "PA", 91, "66"),
    ("MANAUS", "AM", 92, "69"),
    ("BRASÍLIA", "DF", 61, "70"),
    ("GOIÂNIA", "GO", 62, "74"),
    ("CUIABÁ", "MT", 65, "78"),
    ("CAMPO GRANDE", "MS", 67, "79"),
    ("CURITIBA", "PR", 41, "80"),
    ("LONDRINA", "PR", 43, "86"),
    ("FLORIANÓPOLIS", "SC", 48, "88"),
    ("JOINVILLE", "SC", 47, "89"),
    ("PORTO ALEGRE", "RS", 51, "90"),
    ("CAXIAS DO SUL", "RS", 54, "95"),
];
const STREETS: &[&str] = &[
    "RUA DAS FLORES",
    "AVENIDA BRASIL",
    "RUA SÃO JOÃO",
    "RUA XV DE NOVEMBRO",
    "AVENIDA GETÚLIO VARGAS",
    "RUA DA CONCEIÇÃO",
    "RUA SETE DE SETEMBRO",
    "AVENIDA DOM PEDRO II",
    "RUA TIRADENTES",
    "TRAVESSA DO COMÉRCIO",
    "RUA PROJETADA 4",
    "AVENIDA JUSCELINO KUBITSCHEK",
];
const DISTRICTS: &[&str] = &[
    "CENTRO",
    "JARDIM AMÉRICA",
    "VILA NOVA",
    "BOA VISTA",
    "SANTO ANTÔNIO",
    "SÃO JOSÉ",
    "PARQUE INDUSTRIAL",
    "CIDADE NOVA",
];
const COMPLEMENTS: &[&str] = &["", "", "", "APTO 12", "CASA 2", "FUNDOS", "BLOCO B AP 304"];
const PROFESSIONS: &[&str] = &[
    "MOTORISTA",
    "VENDEDOR",
    "PROFESSOR",
    "AUTÔNOMO",
    "COMERCIANTE",
    "ENFERMEIRO",
    "ELETRICISTA",
    "ANALISTA",
    "APOSENTADO",
];
/// (make, model, category, fuel)
const VEHICLES: &[(&str, &str, &str, &str)] = &[
    ("FIAT", "UNO MILLE 1.0 FIRE", "LEVE", "FLEX"),
    ("FIAT", "STRADA FREEDOM 1.3", "LEVE", "FLEX"),
    ("VOLKSWAGEN", "GOL 1.6 MSI", "LEVE", "FLEX"),
    ("VOLKSWAGEN", "POLO 1.0 TSI", "LEVE", "FLEX"),
    ("CHEVROLET", "ONIX 1.0 LT", "LEVE", "FLEX"),
    ("CHEVROLET", "S10 2.8 LTZ 4X4", "LEVE", "DIESEL"),
    ("HYUNDAI", "HB20 1.0 COMFORT", "LEVE", "FLEX"),
    ("FORD", "KA SE 1.5", "LEVE", "FLEX"),
    ("RENAULT", "SANDERO EXPRESSION 1.0", "LEVE", "FLEX"),
    ("TOYOTA", "COROLLA 2.0 XEI", "LEVE", "FLEX"),
    ("JEEP", "RENEGADE 1.8 LONGITUDE", "LEVE", "FLEX"),
    ("NISSAN", "KICKS 1.6 SV", "LEVE", "FLEX"),
    ("HONDA", "CG 160 FAN", "MOTO", "FLEX"),
    ("YAMAHA", "FACTOR 150 ED", "MOTO", "FLEX"),
    ("VOLVO", "FH 540 6X4", "PESADO", "DIESEL"),
    ("SCANIA", "R 450 A6X2", "PESADO", "DIESEL"),
    ("MERCEDES-BENZ", "ATEGO 2426", "PESADO", "DIESEL"),
];
const COLORS: &[&str] = &["BRANCA", "PRATA", "PRETA", "CINZA", "VERMELHA", "AZUL"];
const AGREEMENT_TYPES: &[&str] = &["QUITACAO", "PARCIAL", "TOTAISEMATRASO"];
const RECEIPT_PLACES: &[&str] = &["BANCO PAN", "LOTERICA", "INTERNET BANKING", "PIX"];

fn strip_accents(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'Á' | 'À' | 'Â' | 'Ã' => 'A',
            'É' | 'Ê' => 'E',
            'Í' => 'I',
            'Ó' | 'Ô' | 'Õ' => 'O',
            'Ú' | 'Ü' => 'U',
            'Ç' => 'C',
            other => other,
        })
        .collect()
}

fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.chars().enumerate() {
        if i == 0 {
            out.push(c);
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The synthetic world: customers and contracts derived from (seed, index).

struct Address {
    tipo: &'static str,
    street: &'static str,
    number: String,
    complement: &'static str,
    district: &'static str,
    city: &'static str,
    uf: &'static str,
    cep: String,
}

struct Person {
    doc: Document,
    company: bool,
    name: String,
    first_name: String,
    birth: Date,
    sex: &'static str,
    /// National numbers (DDD + number) and their type letter.
    phones: Vec<(String, &'static str)>,
    emails: Vec<String>,
    addresses: Vec<Address>,
    city: (&'static str, &'static str, u8, &'static str),
}

fn mobile(rng: &mut Rng, ddd: u8) -> String {
    format!("{ddd:02}9{}{}", rng.range(6, 9), rng.digits(7))
}

fn landline(rng: &mut Rng, ddd: u8) -> String {
    format!("{ddd:02}{}{}", rng.range(2, 5), rng.digits(7))
}

/// A unique valid CPF for `index` (a bijection of 0..10⁹ onto CPF bases).
fn unique_cpf(seed: u64, index: u64) -> Document {
    const M: u128 = 1_000_000_000;
    // 3¹⁸ is coprime with 10⁹, so distinct indices give distinct bases.
    let base =
        (u128::from(index) % M * 387_420_489 + u128::from(seed) % M * 7_919 + 123_456_789) % M;
    let mut b = [0u8; 9];
    b.copy_from_slice(format!("{base:09}").as_bytes());
    if b.iter().all(|&d| d == b[0]) {
        b[8] = b'0' + (b[8] - b'0' + 1) % 10;
    }
    let dv = cpf::check_digits(&b);
    let s: String = b.iter().chain(dv.iter()).map(|&c| char::from(c)).collect();
    atende_br::document::parse(&s).expect("generated cpf")
}

/// A unique valid numeric CNPJ (head office) for `index`, or now and then an
/// alphanumeric one.
fn company_cnpj(seed: u64, index: u64, rng: &mut Rng) -> Document {
    if rng.below(10) == 0 {
        return Document::Cnpj(cnpj::generate_alphanumeric(seed ^ index.rotate_left(17)));
    }
    // Roots from 10000000 up: a zero-padded CNPJ never looks like a padded CPF.
    let root = 10_000_000 + (u128::from(index) * 48_271 + u128::from(seed)) % 89_999_999;
    let mut body = [0u8; 12];
    body.copy_from_slice(format!("{root:08}0001").as_bytes());
    let dv = cnpj::check_digits(&body);
    let s: String = body
        .iter()
        .chain(dv.iter())
        .map(|&c| char::from(c))
        .collect();
    atende_br::document::parse(&s).expect("generated cnpj")
}

fn person(seed: u64, stream: u64, index: u64, today: Date) -> Person {
    let mut r = Rng::new(seed, stream, index);
    let company = stream == S_CUSTOMER && r.below(20) == 0;
    let city = r.pick(CITIES);
    let (name, first_name, sex, doc);
    if company {
        let n = format!(
            "{} {} {}",
            r.pick(SURNAMES),
            r.pick(COMPANY),
            r.pick(COMPANY_SUFFIX)
        );
        first_name = title_case(n.split(' ').next().unwrap_or("Cliente"));
        name = n;
        sex = "";
        doc = company_cnpj(seed, index, &mut r);
    } else {
        let female = r.below(2) == 0;
        let first = if female {
            r.pick(FIRST_F)
        } else {
            r.pick(FIRST_M)
        };
        name = format!("{first} {} {}", r.pick(SURNAMES), r.pick(SURNAMES));
        first_name = title_case(first);
        sex = if female { "F" } else { "M" };
        doc = if stream == S_CUSTOMER {
            unique_cpf(seed, index)
        } else {
            unique_cpf(seed ^ 0x5EED, index)
        };
    }
    let birth = today
        .checked_sub(Span::new().days(r.range(20 * 365, 70 * 365)))
        .unwrap_or(today);
    let mut phones = vec![(mobile(&mut r, city.2), "M")];
    for _ in 0..r.below(4) {
        let p = match r.below(3) {
            0 => (mobile(&mut r, city.2), "M"),
            1 => (landline(&mut r, city.2), "R"),
            _ => (landline(&mut r, city.2), "C"),
        };
        phones.push(p);
    }
    let ascii = strip_accents(&name).to_lowercase();
    let mut words = ascii.split(' ').filter(|w| w.len() > 2);
    let local = format!(
        "{}.{}{}",
        words.next().unwrap_or("cliente"),
        words.next().unwrap_or("pan"),
        r.below(1000)
    );
    let domains = [
        "gmail.com",
        "hotmail.com",
        "outlook.com",
        "yahoo.com.br",
        "uol.com.br",
    ];
    let emails = (0..r.below(3))
        .map(|i| {
            if i == 0 {
                format!("{local}@{}", r.pick(&domains))
            } else {
                format!("{local}.{i}@{}", r.pick(&domains))
            }
        })
        .collect();
    let mut addresses = Vec::new();
    for (i, tipo) in ["R", "C", "O"].into_iter().enumerate() {
        if i > 0 && r.below(2) == 0 {
            break;
        }
        let c = if i == 0 { city } else { r.pick(CITIES) };
        addresses.push(Address {
            tipo,
            street: r.pick(STREETS),
            number: r.range(1, 3999).to_string(),
            complement: r.pick(COMPLEMENTS),
            district: r.pick(DISTRICTS),
            city: c.0,
            uf: c.1,
            cep: format!("{}{}", c.3, r.digits(6)),
        });
    }
    Person {
        doc,
        company,
        name,
        first_name,
        birth,
        sex,
        phones,
        emails,
        addresses,
        city,
    }
}

struct Contract {
    index: u64,
    number: String,
    customer_index: u64,
    customer: Person,
    guarantor: Person,
    vehicle: (&'static str, &'static str, &'static str, &'static str),
    year: i64,
    term: i64,
    paid: i64,
    overdue: i64,
    days_late: i64,
    installment: Decimal,
    financed: Decimal,
    down: Decimal,
    rate: Decimal,
    first_due: Date,
    contract_date: Date,
    agreement_type: &'static str,
    agreement_date: Date,
    agreement_parcels: i64,
    refin_eligible: bool,
    /// Enrichment phones (telefones file): new numbers with a score.
    enrichment: Vec<(String, i64)>,
    r: Rng,
}

fn add_months(d: Date, months: i64) -> Date {
    d.checked_add(Span::new().months(months)).unwrap_or(d)
}

fn money(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

impl Contract {
    fn new(seed: u64, index: u64, today: Date) -> Contract {
        let mut customer_index = index;
        while customer_index > 0 && Rng::new(seed, S_SHARED, customer_index).below(10) == 0 {
            customer_index -= 1;
        }
        let customer = person(seed, S_CUSTOMER, customer_index, today);
        let guarantor = person(seed, S_GUARANTOR, index, today);
        let mut r = Rng::new(seed, S_CONTRACT, index);
        let vehicle = r.pick(VEHICLES);
        let term = r.pick(&[24i64, 36, 48, 60]);
        let overdue = r.range(1, 6);
        let paid = r.range(0, term - overdue - 1);
        let days_late = (overdue - 1) * 30 + r.range(1, 29);
        let oldest_due = today.checked_sub(days_late.days()).expect("dates in range");
        let first_due = add_months(oldest_due, -paid);
        let installment = money(r.range(30_000, 350_000));
        let financed = installment * Decimal::from(term) * Decimal::new(7, 1);
        let down = financed * Decimal::new(2, 1);
        let enrichment = {
            let mut e = Rng::new(seed, S_ENRICH, index);
            (0..e.range(1, 3))
                .map(|_| {
                    let ddd = customer.city.2;
                    let n = if e.below(4) == 0 {
                        landline(&mut e, ddd)
                    } else {
                        mobile(&mut e, ddd)
                    };
                    (n, e.range(1, 100))
                })
                .collect()
        };
        Contract {
            index,
            number: format!("{:03}{index:09}", 100 + seed % 900),
            customer_index,
            year: r.range(2012, i64::from(today.year()).max(2013)),
            term,
            paid,
            overdue,
            days_late,
            installment,
            financed: financed.round_dp(2),
            down: down.round_dp(2),
            rate: Decimal::new(r.range(99, 299), 2),
            first_due,
            contract_date: add_months(first_due, -1),
            agreement_type: r.pick(AGREEMENT_TYPES),
            agreement_date: today.checked_sub(r.range(0, 2).days()).unwrap_or(today),
            agreement_parcels: r.range(1, 12),
            refin_eligible: r.below(3) == 0,
            enrichment,
            vehicle,
            customer,
            guarantor,
            r,
        }
    }

    fn open_rows(&self) -> i64 {
        let to_due = self.term - self.paid - self.overdue;
        self.overdue + i64::from(to_due > 0)
    }

    fn parcel_rows(&self) -> usize {
        self.open_rows() as usize
    }

    fn due(&self, n: i64) -> Date {
        add_months(self.first_due, n - 1)
    }

    fn to_due(&self) -> i64 {
        self.term - self.paid - self.overdue
    }

    fn overdue_total(&self) -> Decimal {
        self.installment * Decimal::from(self.overdue)
    }

    fn agreement_number(&self) -> String {
        format!("{:09}", 100_000_000 + self.index)
    }

    fn agreement_value(&self) -> Decimal {
        (self.overdue_total() * Decimal::new(9, 1)).round_dp(2)
    }

    fn negotiated(&self) -> String {
        (self.paid + 1..=self.paid + self.overdue)
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }
}

// ---------------------------------------------------------------------------------------
// Field values.

enum Gen {
    Empty,
    Text(String),
    Int(i64),
    Dec(Decimal),
    Date(Date),
    DateTime(DateTime),
    Doc(Document),
    Phone(String),
}

struct RowCtx<'a> {
    c: &'a Contract,
    kind: Kind,
    sub: usize,
    record: &'a Record,
    today: Date,
    seed: u64,
}

fn text(s: impl Into<String>) -> Gen {
    Gen::Text(s.into())
}

fn opt_text(s: Option<&str>) -> Gen {
    match s {
        Some(s) if !s.is_empty() => text(s),
        _ => Gen::Empty,
    }
}

fn late_band(days: i64) -> &'static str {
    match days {
        ..=30 => "a) 1 a 30",
        31..=60 => "b) 31 a 60",
        61..=90 => "c) 61 a 90",
        91..=120 => "d) 91 a 120",
        121..=180 => "e) 121 a 180",
        181..=360 => "f) 181 a 360",
        _ => "g) mais de 360",
    }
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `name_N_rest` → (N, rest) for `prefix` (`telefone_3_tipo` → (3, "_tipo")).
fn numbered<'n>(name: &'n str, prefix: &str) -> Option<(usize, &'n str)> {
    let rest = name.strip_prefix(prefix)?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let n = rest[..digits].parse().ok()?;
    Some((n, &rest[digits..]))
}

impl RowCtx<'_> {
    /// The installment number of a parcelas row.
    fn parcel(&self) -> i64 {
        self.c.paid + 1 + self.sub as i64
    }

    fn gen(&self, f: &Field) -> Gen {
        let c = self.c;
        let p = &c.customer;
        let today = self.today;
        let kind = self.kind;
        let name = f.name();
        let mut r = Rng::new(self.seed ^ c.index, S_FIELD, fnv(name));
        if let Some((n, rest)) = numbered(name, "telefone_") {
            let phones: Vec<(&str, &str, i64)> = if kind == Kind::Telefones {
                c.enrichment
                    .iter()
                    .map(|(n, s)| (n.as_str(), "M", *s))
                    .collect()
            } else {
                p.phones.iter().map(|(n, t)| (n.as_str(), *t, 0)).collect()
            };
            return match (phones.get(n.wrapping_sub(1)), rest) {
                (Some((num, _, _)), "") => Gen::Phone((*num).to_owned()),
                (Some((_, t, _)), "_tipo") => text(*t),
                _ => Gen::Empty,
            };
        }
        if let Some((n, "")) = numbered(name, "score_") {
            return match c.enrichment.get(n.wrapping_sub(1)) {
                Some((_, s)) => Gen::Dec(Decimal::from(*s)),
                None => Gen::Empty,
            };
        }
        if let Some((n, "")) = numbered(name, "email_") {
            return opt_text(p.emails.get(n.wrapping_sub(1)).map(String::as_str));
        }
        if let Some((n, rest)) = numbered(name, "endereco_") {
            let Some(a) = p.addresses.get(n.wrapping_sub(1)) else {
                return Gen::Empty;
            };
            return match rest {
                "_tipo" => text(a.tipo),
                "_logradouro" => text(a.street),
                "_numero" => text(a.number.clone()),
                "_complemento" => opt_text(Some(a.complement)),
                "_bairro" => text(a.district),
                "_cidade" => text(a.city),
                "_uf" => text(a.uf),
                "_cep" => text(a.cep.clone()),
                _ => Gen::Empty,
            };
        }
        if let Some((n, rest)) = numbered(name, "referencia_") {
            let refp = person(
                self.seed ^ 0x4EF,
                S_GUARANTOR,
                c.index * 4 + n as u64,
                today,
            );
            return match rest {
                "_nome" => text(refp.name),
                "_telefone" => Gen::Phone(refp.phones[0].0.clone()),
                _ => Gen::Empty,
            };
        }
        let g = &c.guarantor;
        let ga = &g.addresses[0];
        let (make, model, category, fuel) = c.vehicle;
        let parcel_due = c.due(self.parcel());
        match name {
            "tipo_registro" => opt_text(self.record.code()),
            "numero_contrato" => text(c.number.clone()),
            "cpf_cnpj" => Gen::Doc(p.doc),
            "tipo_pessoa" => text(if p.company { "J" } else { "F" }),
            "nome_cliente" if kind == Kind::AcoesWhatsapp => text(p.first_name.clone()),
            "nome_cliente" => text(p.name.clone()),
            "id_crm" => text(format!("{}{:09}", 1 + self.seed % 9, c.customer_index)),
            "carteira" => text(match category {
                "MOTO" => "MOTO",
                "PESADO" => "PESADOS",
                _ => "VEICULOS",
            }),
            "nome_carteira" => text(format!("CARTEIRA {category} PAN")),
            "codigo_produto" => text(match category {
                "MOTO" => "103",
                "PESADO" => "102",
                _ => "101",
            }),
            "produto" => text(match category {
                "MOTO" => "MOTOCICLETA",
                "PESADO" => "VEICULO PESADO",
                _ => "VEICULO LEVE",
            }),
            "codigo_assessoria" | "cobrador" => text("528"),
            "nome_assessoria" | "nome_cobrador" => text("AEC"),
            "escob" => text("AeC"),
            "data_envio" => Gen::DateTime(
                today
                    .checked_sub(1.day())
                    .unwrap_or(today)
                    .at(r.range(8, 20) as i8, r.range(0, 59) as i8, 0, 0),
            ),
            "data_entrada_cobranca" => Gen::Date(
                today
                    .checked_sub(Span::new().days(c.days_late - 1))
                    .unwrap_or(today),
            ),
            "dias_atraso" if kind == Kind::Parcelas => {
                Gen::Int((today - parcel_due).get_days().max(0).into())
            }
            "dias_atraso" => Gen::Int(c.days_late),
            "faixa_atraso" => text(late_band(c.days_late)),
            "valor_parcela" if kind == Kind::Baixa => {
                Gen::Dec((c.agreement_value() / Decimal::from(c.agreement_parcels)).round_dp(2))
            }
            "valor_parcela" | "parcela_original" => Gen::Dec(c.installment),
            "valor_financiado" => Gen::Dec(c.financed),
            "valor_entrada" if kind == Kind::Baixa => {
                Gen::Dec((c.agreement_value() * Decimal::new(1, 1)).round_dp(2))
            }
            "valor_entrada" => Gen::Dec(c.down),
            "saldo_devedor" => {
                Gen::Dec(c.installment * Decimal::from(c.term - c.paid) * Decimal::new(85, 2))
            }
            "valor_total_atraso" | "total_divida" => Gen::Dec(c.overdue_total()),
            "taxa_juros_mensal" | "juro_mensal" => Gen::Dec(c.rate),
            "cet_anual" => Gen::Dec(c.rate * Decimal::from(12) + Decimal::new(150, 2)),
            "data_contrato" => Gen::Date(c.contract_date),
            "data_primeiro_vencimento" => Gen::Date(c.first_due),
            "data_ultimo_vencimento" => Gen::Date(c.due(c.term)),
            "data_vencimento_atraso" => Gen::Date(c.due(c.paid + 1)),
            "primeira_parcela_aberta" => {
                let d = c.due(c.paid + 1);
                text(format!("{:02}/{:02}/{}", d.day(), d.month(), d.year()))
            }
            "prazo" | "plano_original" => Gen::Int(c.term),
            "parcelas_pagas" => Gen::Int(c.paid),
            "parcelas_vencidas" | "qtd_parcelas_vencidas" => Gen::Int(c.overdue),
            "parcelas_a_vencer" | "qtd_parcelas_vencer" => Gen::Int(c.to_due()),
            "qtd_parcelas_aberto" => Gen::Int(c.overdue + c.to_due()),
            "data_nascimento" => Gen::Date(p.birth),
            "sexo" => opt_text(Some(p.sex)),
            "estado_civil" => text(r.pick(&["S", "C", "D", "V", "O"])),
            "nome_mae" if !p.company => {
                text(format!("{} {}", r.pick(FIRST_F), r.pick(SURNAMES)))
            }
            "rg" if !p.company => text(r.digits(9)),
            "profissao" if !p.company => text(r.pick(PROFESSIONS)),
            "empresa" if !p.company => text(format!(
                "{} {} {}",
                r.pick(SURNAMES),
                r.pick(COMPANY),
                r.pick(COMPANY_SUFFIX)
            )),
            "nome_mae" | "rg" | "profissao" | "empresa" => Gen::Empty,
            "renda" => Gen::Dec(money(r.range(150_000, 2_500_000))),
            "segmento" => text(if p.company { "PJ" } else { "VAREJO" }),
            "status_contrato" => text("AT"),
            "flag_refin" => text(if c.refin_eligible { "S" } else { "N" }),
            "flag_entrega_amigavel" => text(if c.days_late > 90 { "S" } else { "N" }),
            "telefone" => Gen::Phone(p.phones[0].0.clone()),
            "email" => text(
                p.emails
                    .first()
                    .cloned()
                    .unwrap_or_else(|| format!("cliente{}@exemplo.com.br", c.customer_index)),
            ),
            // parcelas
            "numero_parcela" if kind == Kind::Parcelas => Gen::Int(self.parcel()),
            "numero_parcela" => Gen::Int(1),
            "data_vencimento" if kind == Kind::Parcelas => Gen::Date(parcel_due),
            "data_vencimento" => Gen::Date(c.agreement_date.checked_add(5.days()).unwrap_or(today)),
            "valor_principal" => Gen::Dec((c.installment * Decimal::new(7, 1)).round_dp(2)),
            "valor_juros" => Gen::Dec((c.installment * Decimal::new(3, 1)).round_dp(2)),
            "valor_multa" if parcel_due < today => {
                Gen::Dec((c.installment * Decimal::new(2, 2)).round_dp(2))
            }
            "valor_mora" if parcel_due < today => Gen::Dec(
                (c.installment
                    * Decimal::new(33, 5)
                    * Decimal::from((today - parcel_due).get_days()))
                .round_dp(2),
            ),
            "valor_multa" | "valor_mora" | "valor_encargos" | "valor_desconto" => {
                Gen::Dec(Decimal::ZERO)
            }
            "valor_atualizado" => {
                let late = i64::from((today - parcel_due).get_days().max(0));
                let extra = if late > 0 {
                    c.installment * (Decimal::new(2, 2) + Decimal::new(33, 5) * Decimal::from(late))
                } else {
                    Decimal::ZERO
                };
                Gen::Dec((c.installment + extra).round_dp(2))
            }
            "situacao" if kind == Kind::Parcelas => {
                text(if parcel_due < today { "V" } else { "A" })
            }
            "situacao" => text("AB"),
            "data_pagamento" | "valor_pago" => Gen::Empty,
            "data_atualizacao" => Gen::Date(today),
            // garantias
            "codigo_garantia" => text(format!("G{:09}", c.index)),
            "tipo_garantia" => text("ALIENACAO FIDUC"),
            "marca" => text(make),
            "modelo" => text(model),
            "ano_fabricacao" => Gen::Int(c.year),
            "ano_modelo" => Gen::Int(c.year + (c.index % 2) as i64),
            "cor" => text(r.pick(COLORS)),
            "combustivel" => text(fuel),
            "placa" => {
                let l = |r: &mut Rng| char::from(b'A' + r.below(26) as u8);
                let d = |r: &mut Rng| char::from(b'0' + r.below(10) as u8);
                text(format!(
                    "{}{}{}{}{}{}{}",
                    l(&mut r),
                    l(&mut r),
                    l(&mut r),
                    d(&mut r),
                    l(&mut r),
                    d(&mut r),
                    d(&mut r)
                ))
            }
            "uf_placa" | "uf_registro" => text(p.city.1),
            "chassi" => {
                const VIN: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ0123456789";
                let tail: String = (0..15)
                    .map(|_| char::from(VIN[r.below(VIN.len() as u64) as usize]))
                    .collect();
                text(format!("9B{tail}"))
            }
            "renavam" => text(r.digits(11)),
            "categoria" => text(category),
            "valor_bem" => Gen::Dec(c.financed + c.down),
            "valor_avaliacao" => Gen::Dec(((c.financed + c.down) * Decimal::new(8, 1)).round_dp(2)),
            "data_avaliacao" => Gen::Date(today.checked_sub(30.days()).unwrap_or(today)),
            "descricao_bem" => text(format!("{make} {model} {} {fuel}", c.year)),
            "numero_gravame" => text(r.digits(12)),
            "data_registro_gravame" => Gen::Date(c.contract_date),
            "situacao_gravame" => text("ATIVO"),
            "orgao_registro" => text(format!("DETRAN-{}", p.city.1)),
            "observacao_gravame" => Gen::Empty,
            "cpf_cnpj_garantidor" => Gen::Doc(g.doc),
            "nome_garantidor" => text(g.name.clone()),
            "garantidor_logradouro" => text(ga.street),
            "garantidor_numero" => text(ga.number.clone()),
            "garantidor_complemento" => opt_text(Some(ga.complement)),
            "garantidor_bairro" => text(ga.district),
            "garantidor_cidade" => text(ga.city),
            "garantidor_uf" => text(ga.uf),
            "garantidor_cep" => text(ga.cep.clone()),
            "garantidor_telefone" => Gen::Phone(g.phones[0].0.clone()),
            // agreements (baixa, acordos baixados)
            "numero_acordo" => text(c.agreement_number()),
            "tipo_acordo" => text(c.agreement_type),
            "data_acordo" => Gen::Date(c.agreement_date),
            "valor_acordo" => Gen::Dec(c.agreement_value()),
            "valor_movimento" => {
                Gen::Dec((c.agreement_value() / Decimal::from(c.agreement_parcels)).round_dp(2))
            }
            "quantidade_parcelas" => Gen::Int(c.agreement_parcels),
            "parcelas_negociadas" => text(c.negotiated()),
            "nosso_numero" => text(format!("{:017}", 10_000_000_000 + c.index)),
            "local_recebimento" => text(c.r.clone().pick(RECEIPT_PLACES)),
            "data_movimento" => Gen::Date(today.checked_sub(1.day()).unwrap_or(today)),
            "motivo" if kind == Kind::Exclusao => text("CONTRATO LIQUIDADO NO CREDOR"),
            "motivo" => text("PAGAMENTO CONFIRMADO"),
            // exclusão
            "data_exclusao" => Gen::Date(today),
            "tipo_movimento" => text(if c.r.clone().below(5) == 0 { "R" } else { "E" }),
            // refin
            "collection" => text("01, Melhor"),
            "entrada_refin" => Gen::Dec((c.installment / Decimal::from(10)).round_dp(0)),
            "plano_refin" => Gen::Int(c.term + 10),
            "qtd_parc_refin" => Gen::Int(c.term + 9),
            "parcela_refin" => Gen::Dec((c.installment * Decimal::new(7, 1)).round_dp(0)),
            "total_refinanciado" => Gen::Dec(
                (c.installment * Decimal::new(7, 1) * Decimal::from(c.term + 9)).round_dp(2),
            ),
            "venc_primeira_parcela" => Gen::Date(today.checked_add(7.days()).unwrap_or(today)),
            "venc_ult_parcela" => Gen::Date(add_months(
                today.checked_add(7.days()).unwrap_or(today),
                c.term + 8,
            )),
            "prioridade" => Gen::Int(r.range(1, 3)),
            // mass actions
            "jornada" => text(if c.refin_eligible {
                "jornada1"
            } else {
                "jornada2"
            }),
            "protocolo" => text(format!(
                "{}{:010}",
                if kind == Kind::HistoricoSms { "SMS" } else { "EML" },
                c.index
            )),
            "mensagem" => text(format!(
                "PAN: Olá {}! Temos condições exclusivas para regularizar o financiamento do seu veículo. Responda SIM.",
                p.first_name
            )),
            _ => self.random(f, &mut r),
        }
    }

    /// A value of the field's type for names the generator does not know.
    fn random(&self, f: &Field, r: &mut Rng) -> Gen {
        match &f.ty {
            FieldType::Text { values } if !values.is_empty() => text(r.pick_ref(values).clone()),
            FieldType::Text { .. } => {
                let len = f.length().unwrap_or(8).min(8) as u64;
                let n = 1 + r.below(len);
                text(
                    (0..n)
                        .map(|_| {
                            char::from(
                                b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[r.below(36) as usize],
                            )
                        })
                        .collect::<String>(),
                )
            }
            FieldType::Email => text(format!("cliente{}@exemplo.com.br", self.c.customer_index)),
            FieldType::Integer => Gen::Int(r.range(0, 999)),
            FieldType::Decimal(_) => Gen::Dec(money(r.range(0, 99_999))),
            FieldType::Date(_) => Gen::Date(
                self.today
                    .checked_sub(Span::new().days(r.range(0, 3650)))
                    .unwrap_or(self.today),
            ),
            FieldType::DateTime(_) => Gen::DateTime(self.today.at(
                r.range(0, 23) as i8,
                r.range(0, 59) as i8,
                r.range(0, 59) as i8,
                0,
            )),
            FieldType::Document(_) => Gen::Doc(unique_cpf(self.seed ^ 0xD0C, self.c.index)),
            FieldType::Phone => Gen::Phone(mobile(r, self.c.customer.city.2)),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Rendering a value in a field.

fn render_row(ctx: &RowCtx<'_>, record: &Record, sep: Option<char>) -> String {
    let mut line = String::with_capacity(record.length().unwrap_or(256));
    // Characters written so far (fixed width counts characters, not bytes).
    let mut have = 0usize;
    for (i, f) in record.fields.iter().enumerate() {
        let mut g = ctx.gen(f);
        if matches!(g, Gen::Empty) && f.required() {
            let mut r = Rng::new(ctx.seed ^ ctx.c.index, S_FIELD, 1000 + i as u64);
            g = ctx.random(f, &mut r);
        }
        let mut v = String::new();
        format_value(f, g, &mut v, ctx, i);
        match sep {
            Some(sep) => {
                if i > 0 {
                    line.push(sep);
                }
                if v.contains(sep) || v.contains('"') {
                    line.push('"');
                    line.push_str(&v.replace('"', "\"\""));
                    line.push('"');
                } else {
                    line.push_str(&v);
                }
            }
            None => {
                // Fixed width: every field at its position (gaps are blanks).
                let start = f.start();
                let len = f.length().unwrap_or(0);
                line.extend(std::iter::repeat_n(' ', start.saturating_sub(have)));
                let n = v.chars().count();
                if n == 0 {
                    line.extend(std::iter::repeat_n(' ', len));
                } else if n >= len {
                    line.extend(v.chars().take(len));
                } else if right_aligned(f) {
                    line.extend(std::iter::repeat_n('0', len - n));
                    line.push_str(&v);
                } else {
                    line.push_str(&v);
                    line.extend(std::iter::repeat_n(' ', len - n));
                }
                have = start.max(have) + len;
            }
        }
    }
    if sep.is_none() {
        let total = record.length().unwrap_or(0);
        line.extend(std::iter::repeat_n(' ', total.saturating_sub(have)));
    }
    line
}

/// Numbers and documents are zero-padded on the left in fixed-width files.
fn right_aligned(f: &Field) -> bool {
    matches!(
        f.ty,
        FieldType::Integer | FieldType::Decimal(_) | FieldType::Document(_)
    )
}

fn format_value(f: &Field, g: Gen, out: &mut String, ctx: &RowCtx<'_>, i: usize) {
    use std::fmt::Write;
    if matches!(g, Gen::Empty) {
        return;
    }
    let fixed_len = f.position().map(|(_, l)| l);
    match &f.ty {
        FieldType::Text { values } => {
            let s = as_text(g);
            let s = if values.is_empty() || values.iter().any(|v| v.eq_ignore_ascii_case(&s)) {
                s
            } else {
                let mut r = Rng::new(ctx.seed ^ ctx.c.index, S_FIELD, 2000 + i as u64);
                r.pick_ref(values).clone()
            };
            let max = f.length().unwrap_or(usize::MAX);
            out.extend(s.chars().take(max));
        }
        FieldType::Email => out.push_str(&as_text(g)),
        FieldType::Integer => {
            let mut n = match g {
                Gen::Int(n) => n,
                Gen::Dec(d) => d.trunc().try_into().unwrap_or(0),
                _ => 0,
            };
            if let Some(len) = fixed_len.filter(|&l| l < 18) {
                n = n.rem_euclid(10i64.pow(len as u32));
            }
            let _ = write!(out, "{n}");
        }
        FieldType::Decimal(fmt) => {
            let d = match g {
                Gen::Dec(d) => d,
                Gen::Int(n) => Decimal::from(n),
                _ => Decimal::ZERO,
            };
            match *fmt {
                DecimalFormat::Implied(n) => {
                    let mut m = (d.abs() * Decimal::from(10i64.pow(n))).trunc();
                    m.rescale(0);
                    let mut v = m.mantissa();
                    if let Some(len) = fixed_len.filter(|&l| l < 38) {
                        v %= 10i128.pow(len as u32);
                    }
                    let _ = write!(out, "{v}");
                }
                DecimalFormat::Separator { sep, percent } => {
                    let s = d.abs().to_string();
                    out.push_str(&s.replace('.', &char::from(sep).to_string()));
                    if percent {
                        out.push('%');
                    }
                }
            }
        }
        FieldType::Date(ps) => {
            let dt = match g {
                Gen::Date(d) => d.to_datetime(jiff::civil::Time::midnight()),
                Gen::DateTime(dt) => dt,
                _ => ctx.today.to_datetime(jiff::civil::Time::midnight()),
            };
            ps[0].format(dt, out);
        }
        FieldType::DateTime(ps) => {
            let dt = match g {
                Gen::Date(d) => d.to_datetime(jiff::civil::Time::midnight()),
                Gen::DateTime(dt) => dt,
                _ => ctx.today.to_datetime(jiff::civil::Time::midnight()),
            };
            ps[0].format(dt, out);
        }
        FieldType::Document(kind) => {
            let doc = match g {
                Gen::Doc(d) => d,
                _ => unique_cpf(ctx.seed, ctx.c.index),
            };
            let doc = match (kind, doc) {
                (DocumentKind::Cpf, Document::Cnpj(_)) => unique_cpf(ctx.seed ^ 0xC9F, ctx.c.index),
                (DocumentKind::Cnpj, Document::Cpf(_)) => {
                    let mut r = Rng::new(ctx.seed, S_FIELD, ctx.c.index);
                    company_cnpj(ctx.seed, ctx.c.index, &mut r)
                }
                _ => doc,
            };
            out.push_str(doc.as_str());
        }
        FieldType::Phone => out.push_str(&as_text(g)),
    }
}

fn as_text(g: Gen) -> String {
    match g {
        Gen::Empty => String::new(),
        Gen::Text(s) | Gen::Phone(s) => s,
        Gen::Int(n) => n.to_string(),
        Gen::Dec(d) => d.to_string().replace('.', ","),
        Gen::Date(d) => format!("{:02}/{:02}/{}", d.day(), d.month(), d.year()),
        Gen::DateTime(dt) => format!(
            "{:02}/{:02}/{} {:02}:{:02}:{:02}",
            dt.day(),
            dt.month(),
            dt.year(),
            dt.hour(),
            dt.minute(),
            dt.second()
        ),
        Gen::Doc(d) => d.as_str().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Layouts;
    use jiff::civil::date;

    #[test]
    fn unique_documents() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..20_000 {
            let d = unique_cpf(3, i);
            assert!(cpf::is_valid(d.as_str()));
            assert!(seen.insert(d.as_str().to_owned()), "repeated cpf at {i}");
        }
        let mut r = Rng::new(1, 2, 3);
        for i in 0..2_000 {
            let d = company_cnpj(3, i, &mut r);
            assert!(cnpj::is_valid(d.as_str()));
        }
    }

    #[test]
    fn deterministic_and_consistent() {
        let layouts = Layouts::defaults();
        let today = date(2023, 8, 4);
        let remessa = layouts.get("remessa").unwrap();
        let a: Vec<String> = sample(remessa, 20, 9, today).collect();
        let b: Vec<String> = sample(remessa, 20, 9, today).collect();
        assert_eq!(a, b);
        let c: Vec<String> = sample(remessa, 20, 10, today).collect();
        assert_ne!(a, c);
        // Contract and CPF of row i agree between remessa and telefones.
        let tel: Vec<String> = sample(layouts.get("telefones").unwrap(), 20, 9, today).collect();
        for (i, line) in tel[1..].iter().enumerate() {
            let cols: Vec<&str> = line.split(';').collect();
            let contract = &a[i][..20];
            assert_eq!(contract.trim(), cols[1]);
            let doc = a[i][20..34].trim_start_matches("000");
            assert!(cols[0].ends_with(doc), "{} vs {doc}", cols[0]);
        }
    }

    #[test]
    fn accents_keep_fixed_widths() {
        let layouts = Layouts::defaults();
        for line in sample(layouts.get("remessa").unwrap(), 50, 1, date(2023, 8, 4)) {
            assert_eq!(line.chars().count(), 2960);
        }
    }
}
