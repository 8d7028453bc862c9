//! `atende run`: talk to a flow in the terminal (or from a script, for tests).
//!
//! The simulator is a thin shell around the engine: it owns the clock, the UUID source
//! and the terminal; every message, wait and route comes from `atende_engine::engine`.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use atende_engine::contact::Contact;
use atende_engine::engine::{self, Assets, Services, Sprint};
use atende_engine::services::{Clock, MockHttp, NullEmail, SeededUuids};
use atende_engine::session::{Session, SessionStatus};
use atende_excellent::{Environment, Pcg};
use clap::Args;
use serde_json::{json, Value as Json};

#[derive(Args)]
pub struct RunArgs {
    /// A RapidPro/TextIt/Weni export or asset file (`{"flows": [...], "fields": [...]}`).
    pub flows: PathBuf,
    /// The flow to start, by name or UUID (default: the first flow in the file).
    #[arg(long)]
    pub flow: Option<String>,
    /// A contact JSON file (goflow's contact format); default: a test contact in Brazil.
    #[arg(long)]
    pub contact: Option<PathBuf>,
    /// Read the replies from this file, one per line, instead of the terminal
    /// (`/timeout` fires the wait's timeout, `/quit` stops).
    #[arg(long)]
    pub script: Option<PathBuf>,
    /// Canned HTTP answers for the flow's webhooks, in goflow's `http_mocks` format:
    /// `{"https://erp.example/*": [{"status": 200, "body": {...}}]}`. Without it,
    /// webhooks fail as connection errors (the simulator makes no network calls).
    #[arg(long)]
    pub http_mocks: Option<PathBuf>,
    /// Print every engine event as JSON as well.
    #[arg(long)]
    pub events: bool,
}

/// The wall clock, for interactive use; tests use a seeded universe instead.
struct WallClock;

impl Clock for WallClock {
    fn now(&mut self) -> jiff::Timestamp {
        // The CLI is the shell: reading the real time here is its job.
        #[allow(clippy::disallowed_methods)]
        jiff::Timestamp::now()
    }
}

fn default_contact() -> Contact {
    Contact {
        uuid: "5d76d86b-3bb9-4d5a-b822-c9d86f5d8e4f".into(),
        name: "Cliente Teste".into(),
        language: "por".into(),
        status: "active".into(),
        timezone: "America/Sao_Paulo".into(),
        urns: vec!["whatsapp:5511987654321".into()],
        ..Contact::default()
    }
}

fn find_flow(assets: &Assets, wanted: Option<&str>) -> anyhow::Result<Json> {
    let flow = match wanted {
        None => assets.flows.first(),
        Some(w) => assets
            .flows
            .iter()
            .find(|f| f.uuid == w || f.name.eq_ignore_ascii_case(w)),
    };
    match flow {
        Some(f) => Ok(json!({ "uuid": f.uuid, "name": f.name })),
        None => {
            let names: Vec<&str> = assets.flows.iter().map(|f| f.name.as_str()).collect();
            bail!(
                "no flow {:?} in the file (flows: {})",
                wanted.unwrap_or(""),
                names.join(", ")
            )
        }
    }
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.flows)
        .with_context(|| format!("cannot read {}", args.flows.display()))?;
    let json: Json = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", args.flows.display()))?;
    let mut clock = WallClock;
    let seed = clock.now().as_nanosecond() as u64;
    let mut uuids = SeededUuids::new(seed);
    let mut random = Pcg::new(seed, seed.rotate_left(17));
    let assets = Assets::from_json_migrating(&json, &mut uuids)
        .with_context(|| format!("{}", args.flows.display()))?;
    let flow_ref = find_flow(&assets, args.flow.as_deref())?;
    let mut contact = match &args.contact {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            let j: Json = serde_json::from_str(&text)
                .with_context(|| format!("{} is not valid JSON", p.display()))?;
            Contact::from_json(&j).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
        }
        None => default_contact(),
    };
    let env = Environment::brazil();
    let mut http = match &args.http_mocks {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            let j: Json = serde_json::from_str(&text)
                .with_context(|| format!("{} is not valid JSON", p.display()))?;
            if !j.is_object() {
                bail!(
                    "{}: expected an object of URL patterns to response lists",
                    p.display()
                );
            }
            MockHttp::from_json(Some(&j))
        }
        None => MockHttp::default(),
    };
    // e-mails are shown as events, not sent
    let mut email = NullEmail;

    let mut input: Box<dyn BufRead> = match &args.script {
        Some(p) => Box::new(std::io::BufReader::new(
            std::fs::File::open(p).with_context(|| format!("cannot read {}", p.display()))?,
        )),
        None => Box::new(std::io::stdin().lock()),
    };
    let interactive = args.script.is_none();
    let trigger = json!({
        "type": "manual",
        "flow": flow_ref,
        "triggered_on": engine::format_time(clock.now()),
    });
    println!(
        "▶ {} (type a reply; /timeout fires the wait's timeout, /quit stops)",
        flow_ref["name"].as_str().unwrap_or_default()
    );
    let (mut session, sprint) = engine::start(
        &assets,
        &env,
        &mut contact,
        &trigger,
        Services::new(&mut clock, &mut uuids, &mut random)
            .with_http(&mut http)
            .with_email(&mut email),
    )?;
    show(&sprint, args.events);
    let urn = contact.urns.first().cloned().unwrap_or_default();
    while session.status == SessionStatus::Waiting {
        if interactive {
            print!("você> ");
            std::io::stdout().flush()?;
        }
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            println!("(end of input; the session is still waiting)");
            break;
        }
        let reply = line.trim_end_matches(['\n', '\r']).to_string();
        if !interactive {
            println!("você> {reply}");
        }
        let resume = match reply.as_str() {
            "/quit" => break,
            "/timeout" => {
                json!({ "type": "wait_timeout", "resumed_on": engine::format_time(clock.now()) })
            }
            _ => json!({
                "type": "msg",
                "resumed_on": engine::format_time(clock.now()),
                "msg": { "text": reply, "urn": urn },
            }),
        };
        // the session is persisted as JSON between sprints in the server; do the same
        session = Session::from_text(&session.to_text()).map_err(anyhow::Error::msg)?;
        let sprint = engine::resume(
            &assets,
            &env,
            &mut session,
            &mut contact,
            &resume,
            Services::new(&mut clock, &mut uuids, &mut random)
                .with_http(&mut http)
                .with_email(&mut email),
        )?;
        show(&sprint, args.events);
    }
    println!("■ session {}", status_name(session.status));
    for run in &session.runs {
        for (key, r) in &run.results {
            println!(
                "  @results.{key} = {:?}{}",
                r["value"].as_str().unwrap_or_default(),
                r.get("category")
                    .and_then(Json::as_str)
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn status_name(s: SessionStatus) -> &'static str {
    match s {
        SessionStatus::Active => "active",
        SessionStatus::Waiting => "waiting",
        SessionStatus::Completed => "completed",
        SessionStatus::Interrupted => "interrupted",
        SessionStatus::Failed => "failed",
    }
}

/// Prints what a sprint did, the way a person follows a conversation.
fn show(sprint: &Sprint, raw: bool) {
    for e in &sprint.events {
        if raw {
            println!("  {}", e.to_json());
        }
        match e.event_type {
            "msg_created" => {
                let msg = e.field("msg").cloned().unwrap_or_default();
                let text = msg["text"].as_str().unwrap_or_default();
                // WhatsApp's parts (Weni's send_whatsapp_msg), the way WhatsApp shows them
                let whatsapp = &msg["whatsapp"];
                match whatsapp.pointer("/header/text").and_then(Json::as_str) {
                    Some(header) => println!("bot> *{header}*\n     {text}"),
                    None => println!("bot> {text}"),
                }
                for a in msg["attachments"].as_array().into_iter().flatten() {
                    println!("     📎 {}", a.as_str().unwrap_or_default());
                }
                if let Some(footer) = whatsapp["footer"].as_str() {
                    println!("     _{footer}_");
                }
                if let Some(button) = whatsapp.pointer("/list/button_text").and_then(Json::as_str) {
                    println!("     ☰ {button}");
                }
                if let Some(cta) = whatsapp.get("cta_url") {
                    println!(
                        "     🔗 {}: {}",
                        cta["display_text"].as_str().unwrap_or_default(),
                        cta["url"].as_str().unwrap_or_default()
                    );
                }
                if whatsapp["interaction_type"] == "location" {
                    println!("     📍 (asks for your location)");
                }
                let qrs: Vec<&str> = msg["quick_replies"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|q| q["text"].as_str())
                    .collect();
                if !qrs.is_empty() {
                    println!("     [{}]", qrs.join("] ["));
                }
            }
            "run_result_changed" => println!(
                "  · {} = {:?}{}",
                e.field("name").and_then(Json::as_str).unwrap_or_default(),
                e.field("value").and_then(Json::as_str).unwrap_or_default(),
                e.field("category")
                    .and_then(Json::as_str)
                    .map(|c| format!(" → {c}"))
                    .unwrap_or_default()
            ),
            "msg_wait" => match e.field("timeout_seconds").and_then(Json::as_i64) {
                Some(t) => println!("  · waiting for a reply (timeout {t}s)"),
                None => println!("  · waiting for a reply"),
            },
            "error" | "warning" | "failure" => println!(
                "  ! {}: {}",
                e.event_type,
                e.field("text").and_then(Json::as_str).unwrap_or_default()
            ),
            "webhook_called" => println!(
                "  · webhook {} → {}",
                e.field("url").and_then(Json::as_str).unwrap_or_default(),
                e.field("status").and_then(Json::as_str).unwrap_or_default()
            ),
            "run_started" | "run_ended" => {}
            other => println!("  · {other}"),
        }
    }
}
