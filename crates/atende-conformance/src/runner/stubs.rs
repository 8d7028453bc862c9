//! The service stubs goflow's test engine is built with (corpus README §2), for the
//! runners: an airtime provider and an LLM whose answers follow from their inputs.

use atende_engine::services::{
    AirtimeService, AirtimeTransfer, HttpLog, LlmResponse, LlmService, SendCheck,
};
use atende_excellent::{Environment, Pcg, RandomSource};
use rust_decimal::Decimal;
use serde_json::Value as Json;

/// The only currency the stub provider pays in.
const AIRTIME_CURRENCY: &str = "RWF";

/// Characters of the stub's external transfer ids.
const EXTERNAL_ID_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// The environment with the LLM prompts goflow's test engine has (`prompt("categorize",
/// …)`).
pub fn with_test_prompts(mut env: Environment) -> Environment {
    let mut prompts = (*env.llm_prompts).clone();
    prompts.insert(
        "categorize".into(),
        "Categorize the following text into one of the following categories and only return that category or <CANT> if you can't: {{ .arg1 }}".into(),
    );
    env.llm_prompts = std::sync::Arc::new(prompts);
    env
}

/// The actions harness's send check: text containing `FORBIDDEN` can't be sent.
pub struct ForbiddenWord;

impl SendCheck for ForbiddenWord {
    fn unsendable_reason(&mut self, msg: &Json) -> Option<String> {
        let text = msg.get("text").and_then(Json::as_str)?;
        text.contains("FORBIDDEN")
            .then(|| "forbidden_content".to_string())
    }
}

/// goflow's airtime stub: pays in RWF, refuses recipients containing `666`, logs one
/// fixed provider call and draws a 10-character external id. goflow draws the id from
/// the engine's seeded generator; in the fixtures nothing else draws from it first, so
/// a generator of the same seed gives the same ids.
pub struct StubAirtime {
    random: Pcg,
}

impl Default for StubAirtime {
    fn default() -> StubAirtime {
        StubAirtime {
            random: Pcg::new(123456, 123456),
        }
    }
}

impl AirtimeService for StubAirtime {
    fn transfer(
        &mut self,
        _sender: &str,
        recipient: &str,
        amounts: &[(String, Decimal)],
    ) -> Result<AirtimeTransfer, String> {
        if recipient.contains("666") {
            return Err("invalid recipient number".into());
        }
        let Some((currency, amount)) = amounts.iter().find(|(c, _)| c == AIRTIME_CURRENCY) else {
            return Err(format!(
                "no amount configured for transfers in {AIRTIME_CURRENCY}"
            ));
        };
        let external_id: String = (0..10)
            .map(|_| {
                EXTERNAL_ID_CHARS[self.random.int_n(EXTERNAL_ID_CHARS.len() as u64) as usize]
                    as char
            })
            .collect();
        let created_on = "2019-10-16T13:59:30.123456789Z"
            .parse()
            .map_err(|e| format!("{e}"))?;
        Ok(AirtimeTransfer {
            external_id,
            currency: currency.clone(),
            amount: *amount,
            http_logs: vec![HttpLog {
                url: "http://send.airtime.com".into(),
                status_code: 200,
                request: "GET / HTTP/1.1\r\nHost: send.airtime.com\r\nUser-Agent: Go-http-client/1.1\r\nAccept-Encoding: gzip\r\n\r\n".into(),
                response: "HTTP/1.0 200 OK\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}".into(),
                elapsed_ms: 0,
                retries: 0,
                request_size: 0,
                response_size: 0,
                status: "success".into(),
                created_on,
            }],
        })
    }
}

/// goflow's LLM stub: `\error X` fails with X, `\return X` answers X; instructions
/// starting `Categorize` get the last word of the instructions, `Translate` a
/// leetspeak "translation"; anything else is echoed back.
#[derive(Default)]
pub struct StubLlm;

/// The stub's "translation": a→4 b→8 e→3 g→9 i→1 l→1 o→0 s→5 t→7, any case.
fn leet(text: &str) -> String {
    text.chars()
        .map(|c| match c.to_ascii_lowercase() {
            'a' => '4',
            'b' => '8',
            'e' => '3',
            'g' => '9',
            'i' | 'l' => '1',
            'o' => '0',
            's' => '5',
            't' => '7',
            _ => c,
        })
        .collect()
}

fn translate(text: &str) -> Result<String, String> {
    match text {
        "error" => Err("unable to translate".into()),
        "untranslatable" => Ok("<CANT>".into()),
        _ => Ok(leet(text)),
    }
}

impl LlmService for StubLlm {
    fn call(
        &mut self,
        _llm: &Json,
        instructions: &str,
        input: &str,
    ) -> Result<LlmResponse, String> {
        let output = if let Some(why) = input.strip_prefix("\\error ") {
            return Err(why.to_string());
        } else if let Some(answer) = input.strip_prefix("\\return ") {
            answer.to_string()
        } else if instructions.starts_with("Categorize") {
            let last = instructions.split_whitespace().last().unwrap_or_default();
            last.trim_end_matches(']').to_string()
        } else if instructions.starts_with("Translate") {
            if instructions.contains("JSON") {
                // `{text: [text]}` with every text translated
                let parsed: serde_json::Map<String, Json> =
                    serde_json::from_str(input).map_err(|e| e.to_string())?;
                let mut out = serde_json::Map::new();
                for (k, v) in parsed {
                    let items: Result<Vec<Json>, String> = v
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|t| translate(t.as_str().unwrap_or_default()).map(Json::from))
                        .collect();
                    out.insert(k, Json::Array(items?));
                }
                Json::Object(out).to_string()
            } else {
                translate(input)?
            }
        } else {
            format!("You asked:\n\n{instructions}\n\n{input}")
        };
        Ok(LlmResponse {
            output,
            input_tokens: 45,
            output_tokens: 78,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stub_airtime_draws_goflows_external_id() {
        let mut a = StubAirtime::default();
        let t = a
            .transfer(
                "",
                "tel:+12065551212",
                &[("RWF".into(), Decimal::from(5000))],
            )
            .unwrap();
        assert_eq!(t.external_id, "4ZJR8BT9MF");
        assert_eq!(
            a.transfer("", "tel:+1666", &[]).unwrap_err(),
            "invalid recipient number"
        );
        assert_eq!(
            a.transfer("", "tel:+1", &[("USD".into(), Decimal::ONE)])
                .unwrap_err(),
            "no amount configured for transfers in RWF"
        );
    }

    #[test]
    fn stub_llm_answers_from_its_inputs() {
        let mut l = StubLlm;
        let llm = Json::Null;
        assert_eq!(l.call(&llm, "x", "\\error boom").unwrap_err(), "boom");
        assert_eq!(
            l.call(&llm, "Categorize into [Flights, Hotels]", "hi")
                .unwrap()
                .output,
            "Hotels"
        );
        assert_eq!(l.call(&llm, "Translate", "Hola").unwrap().output, "H014");
    }
}
