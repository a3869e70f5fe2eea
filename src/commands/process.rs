//! `urnscan process`: read scanned slips into an output folder, write its report, print the
//! summary; the exit code says whether pages were rejected.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use urnscan::config::{process_config, ProcessRequest};
use urnscan::error::ExitCode;
use urnscan::output::csvfile::Dialect;
use urnscan::output::report;
use urnscan::output::rows::PersonalData;
use urnscan::pipeline;

#[derive(Debug, Args)]
pub struct ProcessArgs {
    /// Scanned files or folders (folders are read recursively; hidden files are skipped).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output folder (created if needed).
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Label of this batch in contributions.csv (default: the input folder's name).
    #[arg(long, value_name = "LABEL")]
    pub batch: Option<String>,
    /// Number of pages read in parallel (default: the number of CPU cores).
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<usize>,
    #[command(flatten)]
    pub reading: super::ReadingArgs,
    /// Replace the results of another batch in --out (by default a folder holds one batch:
    /// rerunning the same batch resumes it, another batch is refused).
    #[arg(long)]
    pub force: bool,
    /// Keep phone numbers and e-mail addresses in contributions.csv as read (by default they
    /// are replaced by [téléphone] and [courriel]; either way the answer is flagged
    /// personal_data).
    #[arg(long)]
    pub keep_personal_data: bool,
    /// Serial ledger shared by several output folders (e.g. one folder per week, one ledger
    /// for the consultation): a slip already counted in any of them is a duplicate naming
    /// its first reading. Default: OUT/serials.csv, this folder's own.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// Write CSV for a French spreadsheet: UTF-8 BOM, ';', CRLF, formulas neutralised.
    #[arg(long)]
    pub excel: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the summary as JSON (for scripts) instead of text.
    #[arg(long)]
    pub json: bool,
    /// After the run, write into DIR a picture of every page set aside (rejected) or
    /// carrying an answer flagged for review: what urnscan found, drawn on the page, as
    /// `urnscan explain` draws it (DIR/<file>-p<page>.png).
    #[arg(long, value_name = "DIR")]
    pub debug: Option<PathBuf>,
    /// OCR the cleaned zone's pixels instead of the raw crop's (for measuring what cleaning
    /// would buy; lines and blanks are always found in the cleaned zone).
    #[arg(long, hide = true)]
    pub clean_ocr: bool,
    /// Also write every answer line as the recognizer is given it to DIR, as
    /// `<crop name>.<line>.png` (contributions.csv's crop_file ties it to its answer): the
    /// training lines of scripts/train-htr --slips, prepared by the slip's whole path.
    #[arg(long, value_name = "DIR", hide = true)]
    pub lines_out: Option<PathBuf>,
}

pub fn run(args: ProcessArgs) -> anyhow::Result<ExitCode> {
    let cfg = process_config(&request(&args))?;
    let result = pipeline::run(&cfg)?;
    // Made from the CSV files just written, exactly as `urnscan report` makes it, so that
    // both give the same page; the folder stays locked until it is written.
    report::write(&cfg.out)?;
    drop(result.lock);
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
        layout: args.reading.layout.clone(),
        ocr_model: args.reading.ocr_model.clone(),
        tessdata: args.reading.tessdata.clone(),
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
        debug: args.debug.clone(),
        lines_out: args.lines_out.clone(),
    }
}
