//! `atende eval`: evaluate one Excellent template from the command line.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use atende_conformance::expressions::CaseContext;
use atende_excellent::value::{from_json, to_typed_json};
use atende_excellent::{Environment, Value};
use clap::Args;

#[derive(Args)]
pub struct EvalArgs {
    /// The template, e.g. '@(upper(contact.name))' or 'Olá @contact.first_name'.
    pub template: String,
    /// A JSON file whose object is the context root (`{"contact": {...}, "fields": {...}}`).
    /// A corpus context file (with "env", "now" and a typed "context") is read as such.
    #[arg(long)]
    pub context: Option<PathBuf>,
    /// A JSON environment (`{"date_format": "DD-MM-YYYY", "timezone": "America/Sao_Paulo", ...}`).
    /// Defaults to Brazil: DD-MM-YYYY, America/Sao_Paulo, country BR.
    #[arg(long)]
    pub env: Option<PathBuf>,
    /// Print the typed value as JSON instead of the text.
    #[arg(long)]
    pub json: bool,
}

fn read_json(path: &PathBuf) -> anyhow::Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))
}

pub fn run(args: EvalArgs) -> anyhow::Result<ExitCode> {
    // The CLI is the shell: it reads the wall clock and hands it to the pure evaluator.
    #[allow(clippy::disallowed_methods)]
    let now = jiff::Timestamp::now();
    let mut ctx = CaseContext {
        env: Environment::brazil(),
        now,
        root: Value::Object(Default::default()),
    };
    if let Some(path) = &args.context {
        let json = read_json(path)?;
        if json.get("context").is_some() && json.get("env").is_some() {
            ctx = CaseContext::from_json(&json)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        } else if json.is_object() {
            ctx.root = from_json(&json);
        } else {
            anyhow::bail!("{}: the context must be a JSON object", path.display());
        }
    }
    if let Some(path) = &args.env {
        ctx.env = Environment::from_json(&read_json(path)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    }
    let (text, errors, value, warnings) = ctx.evaluate(&args.template);
    if args.json {
        println!("{}", to_typed_json(&value));
    } else {
        println!("{text}");
    }
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    for e in &errors {
        eprintln!("error: {e}");
    }
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
