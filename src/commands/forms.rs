//! `urnscan forms print`: a print-ready PDF of blank forms of the campaign.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use urnscan::config::load_campaign;
use urnscan::error::ExitCode;
use urnscan::render::print::{self, PrintRequest};

#[derive(Debug, Subcommand)]
pub enum FormsCommand {
    /// Write a print-ready PDF of blank forms, one per page, numbered with consecutive
    /// serials; each QR code carries the campaign's payload for its form, question, urn and
    /// serial.
    #[command(
        after_help = "Example:\n  urnscan forms print --form slip-a5 --urn U07 --question Q2 \\\n      --serials 000100..000199 --out forms.pdf\n\nExit codes: 0 written; 2 usage or layout error (unknown form, urn or question, bad\nserial range, output is a folder); 3 the PDF cannot be written."
    )]
    Print(FormsPrintArgs),
}

#[derive(Debug, Args)]
pub struct FormsPrintArgs {
    /// Campaign layout folder (default: the built-in assises-2022 campaign).
    #[arg(long, value_name = "DIR")]
    pub layout: Option<PathBuf>,
    /// The form to print, as the layout names it (e.g. slip-a5, sheet-a4).
    #[arg(long, value_name = "FORM")]
    pub form: String,
    /// The urn the forms go to (an id from the campaign's urns.csv, e.g. U07).
    #[arg(long, value_name = "URN")]
    pub urn: String,
    /// The question (an id from questions.csv, e.g. Q2): only for a form whose QR code
    /// names its question (slip-a5); a form whose zones carry fixed questions (sheet-a4)
    /// needs none.
    #[arg(long, value_name = "QUESTION")]
    pub question: Option<String>,
    /// Serial numbers, inclusive: FIRST..LAST (e.g. 000100..000199) or a single serial,
    /// with the campaign's number of digits.
    #[arg(long, value_name = "FIRST..LAST")]
    pub serials: String,
    /// The PDF to write (replaced atomically if it exists).
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,
    /// Print resolution of the page images (bilevel: Group 4 or Flate, whichever is smaller).
    #[arg(long, default_value_t = 600, value_name = "DPI")]
    pub dpi: u32,
}

pub fn run(command: FormsCommand) -> anyhow::Result<ExitCode> {
    match command {
        FormsCommand::Print(args) => print_forms(args),
    }
}

fn print_forms(args: FormsPrintArgs) -> anyhow::Result<ExitCode> {
    let campaign = load_campaign(args.layout.as_deref())?;
    let request = PrintRequest {
        form: args.form,
        urn: args.urn,
        question: args.question,
        serials: args.serials,
        out: args.out,
        dpi: args.dpi,
    };
    let job = print::plan(&campaign, &request)?;
    let r = print::print(&campaign, &job)?;
    println!(
        "urnscan forms print: {} form(s) {} (urn {}, question {}, serials {}) in {}: {}, {:.1} s",
        r.pages,
        job.form.id,
        job.urn_id,
        job.qr_question,
        job.serials,
        job.out.display(),
        r.size(),
        r.elapsed.as_secs_f64()
    );
    Ok(ExitCode::Success)
}
