//! `atende conformance …`: replay shared conformance corpora.

use std::path::PathBuf;
use std::process::ExitCode;

use atende_conformance::{expressions, Report};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum ConformanceCommand {
    /// Excellent template cases (JSONL, `shared/corpus/goflow/expressions` format).
    Expressions {
        /// Case files; context paths inside them are relative to each file's folder.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also compare goflow's exact error messages.
        #[arg(long)]
        strict: bool,
    },
    /// goflow flow-run fixture folders (`migrations`, `legacy`, …; layout in
    /// `shared/corpus/goflow/runner/README.md`), chosen by folder name.
    Runner {
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// `legacy`: also require migrated expressions to render what the old RapidPro
        /// evaluator rendered (goflow's own test only checks where errors happen).
        #[arg(long)]
        strict: bool,
    },
}

pub fn run(command: ConformanceCommand) -> anyhow::Result<ExitCode> {
    let report = match command {
        ConformanceCommand::Expressions { files, strict } => {
            expressions::run_files(&files, expressions::Options { strict })?
        }
        ConformanceCommand::Runner { dirs, strict } => {
            let mut report = Report::default();
            for dir in &dirs {
                let legacy = dir.file_name().is_some_and(|n| n == "legacy");
                report.merge(if strict && legacy {
                    atende_conformance::runner::legacy::run_dir_strict(dir)?
                } else {
                    atende_conformance::runner::run_dir(dir)?
                });
            }
            report
        }
    };
    Ok(print_report(&report))
}

/// Prints the failures and the closing `N passed, M failed` line.
pub fn print_report(report: &Report) -> ExitCode {
    for line in &report.failures {
        println!("{line}");
    }
    println!("{}", report.summary());
    if report.failed() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
