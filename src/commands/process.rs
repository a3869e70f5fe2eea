//! `urnscan process`: read scanned slips into an output folder, write its report, print the
//! summary; the exit code says whether pages were rejected.

use std::io::IsTerminal;

use urnscan::config::{process_config, ProcessRequest};
use urnscan::error::ExitCode;
use urnscan::output::csvfile::Dialect;
use urnscan::output::report;
use urnscan::output::rows::PersonalData;
use urnscan::pipeline;

use crate::cli::ProcessArgs;

pub fn run(args: ProcessArgs) -> anyhow::Result<ExitCode> {
    let cfg = process_config(&request(&args))?;
    let result = pipeline::run(&cfg)?;
    // Made from the CSV files just written, exactly as `urnscan report` makes it, so that
    // both give the same page.
    report::write(&cfg.out)?;
    let s = &result.summary;
    if args.json {
        println!("{}", serde_json::to_string_pretty(s)?);
    } else {
        let qids: Vec<String> = cfg
            .campaign
            .questions
            .iter()
            .map(|q| q.id.clone())
            .collect();
        print!("{}", s.to_text(&qids));
    }
    if !s.balanced() {
        eprintln!(
            "urnscan: internal error: the page accounting does not balance ({}); this is a bug, please report it",
            s.accounting_errors.join("; ")
        );
        return Ok(ExitCode::Internal);
    }
    Ok(if s.rejected > 0 {
        ExitCode::RejectedPages
    } else {
        ExitCode::Success
    })
}

/// The command line's flags as the library's settings; a progress bar only for a person
/// watching a terminal (not with --quiet, nor under --json, whose output a script reads).
fn request(args: &ProcessArgs) -> ProcessRequest {
    ProcessRequest {
        inputs: args.inputs.clone(),
        out: args.out.clone(),
        batch: args.batch.clone(),
        jobs: args.jobs,
        layout: args.layout.clone(),
        ocr_model: args.ocr_model.clone(),
        tessdata: args.tessdata.clone(),
        force: args.force,
        personal_data: if args.keep_personal_data {
            PersonalData::Keep
        } else {
            PersonalData::Mask
        },
        ledger: args.ledger.clone(),
        dialect: if args.excel {
            Dialect::Excel
        } else {
            Dialect::Plain
        },
        progress: !args.quiet && !args.json && std::io::stderr().is_terminal(),
        clean_for_ocr: args.clean_ocr,
    }
}
