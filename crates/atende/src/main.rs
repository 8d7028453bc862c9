//! The `atende` binary: parses the command line and hands each subcommand to the library that owns it.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// Atende: customer-service automation for WhatsApp, web chat, SMS, e-mail and phone.
///
/// Runs RapidPro/TextIt/Weni flows, evaluates Excellent expressions and checks
/// Brazilian billing data (CPF/CNPJ, boleto, Pix).
#[derive(Parser)]
#[command(name = "atende", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate an Excellent template and print the result.
    Eval(cmd::eval::EvalArgs),
    /// Run a conformance corpus and report `N passed, M failed`.
    #[command(subcommand)]
    Conformance(cmd::conformance::ConformanceCommand),
    /// Talk to a flow in the terminal (or from a script file).
    Run(cmd::run::RunArgs),
    /// Run the server: API, web chat, flows (SQLite by default; the demo bot included).
    Serve(cmd::serve::ServeArgs),
    /// Import a RapidPro/TextIt/Weni export file into a workspace.
    Import(cmd::serve::ImportArgs),
    /// The collections hub's creditor files: import, layouts, samples, runs, pick-up.
    Collections {
        #[command(flatten)]
        common: cmd::collections::Common,
        #[command(subcommand)]
        command: cmd::collections::CollectionsCommand,
    },
    /// Brazilian documents and payments: CPF, CNPJ, boleto, Pix, phones.
    #[command(subcommand)]
    Br(cmd::br::BrCommand),
}

fn main() -> ExitCode {
    // before any thread starts: mallopt changes process-wide settings
    let malloc = atende_malloc::tune();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Eval(args) => cmd::eval::run(args),
        Command::Conformance(c) => cmd::conformance::run(c),
        Command::Br(c) => cmd::br::run(c),
        Command::Run(args) => cmd::run::run(args),
        Command::Serve(args) => cmd::serve::serve(args, malloc),
        Command::Import(args) => cmd::serve::import(args),
        Command::Collections { common, command } => cmd::collections::run(common, command),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
