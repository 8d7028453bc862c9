//! The Portuguese (pt-BR) wording of the reasons the parser gives. Error lines go back to
//! the creditor (`<file>.errors.csv` in the FTP error folder) and to the agency's
//! operators, who read Portuguese; `atende-br` keeps its English messages for its other
//! users, so its errors are worded here from their structured variants.

use atende_br::error::BrError;
use atende_br::phone::PhoneType;

/// The kind of value as the creditor names it (`CPF`, `CNPJ`, `telefone`, …).
fn what(what: &str) -> String {
    match what {
        "cpf" => "CPF".into(),
        "cnpj" => "CNPJ".into(),
        "cpf/cnpj" => "CPF/CNPJ".into(),
        "phone" => "telefone".into(),
        "boleto" => "boleto".into(),
        "pix" => "Pix".into(),
        "money" => "valor".into(),
        "date" => "data".into(),
        other => other.to_uppercase(),
    }
}

/// `atende-br`'s `expected` lengths, in Portuguese.
fn expected_length(expected: &str) -> Option<&'static str> {
    Some(match expected {
        "11 digits" => "11 dígitos",
        "14 characters" => "14 caracteres",
        "11 digits (cpf) or 14 characters (cnpj)" => "11 dígitos (CPF) ou 14 caracteres (CNPJ)",
        "10 or 11 digits with the area code (ddd)" => "10 ou 11 dígitos com o DDD",
        _ => return None,
    })
}

/// Which check digit, in Portuguese.
fn digit(digit: &str) -> String {
    match digit {
        "first" => "primeiro".into(),
        "second" => "segundo".into(),
        "general" => "geral".into(),
        other => match other.split_once(' ') {
            Some(("field", n)) => format!("do campo {n}"),
            Some(("block", n)) => format!("do bloco {n}"),
            _ => other.into(),
        },
    }
}

/// The free-text reasons of [`BrError::Invalid`] the document and phone parsers give.
fn invalid(reason: &str) -> Option<&'static str> {
    Some(match reason {
        "the international prefix 00 must be followed by a carrier code; write +55 instead" => {
            "o prefixo internacional 00 vem seguido do código da operadora; escreva +55"
        }
        "8-digit numbers need the area code (ddd) in front" => {
            "número de 8 dígitos sem o DDD na frente"
        }
        "8-digit numbers are landlines and start with 2 to 5; mobiles have 9 digits starting with 9" => {
            "número fixo de 8 dígitos deve começar com 2 a 5; celular tem 9 dígitos e começa com 9"
        }
        "9-digit numbers are mobiles and start with 9" => {
            "número de 9 dígitos é celular e deve começar com 9"
        }
        _ => return None,
    })
}

/// A CPF, CNPJ or phone error in Portuguese, e.g. `CPF: segundo dígito verificador
/// errado: esperado 5, encontrado 6`. Never repeats the value itself.
pub(crate) fn br_error(e: &BrError) -> String {
    match e {
        BrError::Empty { what: w } => format!("{}: vazio", what(w)),
        BrError::Length {
            what: w,
            expected,
            got,
        } => match expected_length(expected) {
            Some(expected) => format!(
                "{}: tamanho errado: esperado {expected}, encontrado {got}",
                what(w)
            ),
            None => format!("{}: tamanho errado ({got} caracteres)", what(w)),
        },
        BrError::Character {
            what: w,
            found,
            position,
        } => format!(
            "{}: caractere inesperado {found:?} na posição {position}",
            what(w)
        ),
        BrError::CheckDigit {
            what: w,
            digit: d,
            expected,
            found,
        } => format!(
            "{}: {} dígito verificador errado: esperado {expected}, encontrado {found}",
            what(w),
            digit(d)
        ),
        BrError::RepeatedDigits { what: w } => {
            format!("{}: todos os dígitos são iguais", what(w))
        }
        BrError::Ddd { ddd } => format!("telefone: o DDD {ddd:02} não existe"),
        BrError::NotBrazilian => {
            "telefone: não é um número do Brasil (o código do país deve ser 55)".into()
        }
        BrError::Invalid { what: w, reason } => match invalid(reason) {
            Some(reason) => format!("{}: {reason}", what(w)),
            None => format!("{}: inválido", what(w)),
        },
        // boleto and Pix errors never come from a file's fields
        _ => "valor inválido".into(),
    }
}

/// A phone type in the words of a sentence ("um número gratuito (0800)").
pub(crate) fn phone_type(kind: PhoneType) -> &'static str {
    match kind {
        PhoneType::Mobile => "um celular",
        PhoneType::Landline => "um fixo",
        PhoneType::TollFree => "um número gratuito (0800)",
        PhoneType::SharedCost => "um número de custo compartilhado (0300, 4004…)",
        PhoneType::PremiumRate => "um número tarifado (0500, 0900)",
    }
}

/// A read error in Portuguese.
pub(crate) fn io_error(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    let what = match e.kind() {
        ErrorKind::NotFound => "arquivo não encontrado",
        ErrorKind::PermissionDenied => "sem permissão de leitura",
        ErrorKind::UnexpectedEof => "o arquivo terminou antes do esperado",
        ErrorKind::TimedOut => "tempo de leitura esgotado",
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
            "conexão interrompida"
        }
        ErrorKind::InvalidData => "dados inválidos",
        _ => "falha de leitura",
    };
    // the system's own text, for the operators
    format!("erro de leitura: {what} ({e})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use atende_br::{cnpj, cpf, document, phone};

    #[test]
    fn document_errors() {
        let e = |r: Result<_, BrError>| br_error(&r.map(|_: ()| ()).unwrap_err());
        assert_eq!(
            e(cpf::parse("52998224726").map(|_| ())),
            "CPF: segundo dígito verificador errado: esperado 5, encontrado 6"
        );
        assert_eq!(
            e(cpf::parse("52998224715").map(|_| ())),
            "CPF: primeiro dígito verificador errado: esperado 2, encontrado 1"
        );
        assert_eq!(
            e(cpf::parse("529.982.247-2").map(|_| ())),
            "CPF: tamanho errado: esperado 11 dígitos, encontrado 10"
        );
        assert_eq!(
            e(cpf::parse("529x82247-25").map(|_| ())),
            "CPF: caractere inesperado 'x' na posição 4"
        );
        assert_eq!(
            e(cpf::parse("111.111.111-11").map(|_| ())),
            "CPF: todos os dígitos são iguais"
        );
        assert_eq!(
            e(cnpj::parse("5455075200015").map(|_| ())),
            "CNPJ: tamanho errado: esperado 14 caracteres, encontrado 13"
        );
        assert_eq!(
            e(document::parse("123").map(|_| ())),
            "CPF/CNPJ: tamanho errado: esperado 11 dígitos (CPF) ou 14 caracteres (CNPJ), encontrado 3"
        );
    }

    #[test]
    fn phone_errors() {
        let e = |s: &str| br_error(&phone::parse(s).unwrap_err());
        assert_eq!(e("2398765-4321"), "telefone: o DDD 23 não existe");
        assert_eq!(
            e("+1 415 555 2671"),
            "telefone: não é um número do Brasil (o código do país deve ser 55)"
        );
        assert_eq!(
            e("123"),
            "telefone: tamanho errado: esperado 10 ou 11 dígitos com o DDD, encontrado 3"
        );
        assert_eq!(
            e("11 ramal"),
            "telefone: caractere inesperado 'r' na posição 4"
        );
        // every free-text reason of the phone parser has a Portuguese wording: a new
        // one in atende-br shows up here as the generic "inválido"
        for (input, reason) in [
            ("0055 11 98765-4321", "prefixo internacional 00"),
            ("98765432", "sem o DDD"),
            ("1187654321", "número fixo de 8 dígitos"),
            ("11887654321", "número de 9 dígitos é celular"),
        ] {
            let text = e(input);
            assert!(
                text.starts_with("telefone: ") && text.contains(reason),
                "{input}: {text}"
            );
        }
    }

    #[test]
    fn unknown_wordings_stay_portuguese() {
        let e = BrError::Length {
            what: "cpf",
            expected: "12 digits",
            got: 3,
        };
        assert_eq!(br_error(&e), "CPF: tamanho errado (3 caracteres)");
        let e = BrError::Crc {
            computed: 1,
            found: "ABCD".into(),
        };
        assert_eq!(br_error(&e), "valor inválido");
        let e = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "eof");
        assert_eq!(
            io_error(&e),
            "erro de leitura: o arquivo terminou antes do esperado (eof)"
        );
    }
}
