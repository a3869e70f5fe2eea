//! `urnscan review OUT`: the answers a person must check, in the browser (`urnscan::review`);
//! `urnscan review export` and `urnscan review apply`: the same as a spreadsheet, and its
//! corrections carried back into the output folder.

use std::io::Write;
use std::path::Path;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use urnscan::error::ExitCode;
use urnscan::handoff::review;
use urnscan::output::report;
use urnscan::review::{Options, ReviewServer};

pub const EXIT_CODES_HELP: &str = "Exit codes:\n  0  stopped (Ctrl-C), or the sheet written or applied\n  2  OUT is not an output folder of `urnscan process`, a run is writing into it, the port is taken, or the sheet does not match the folder\n  3  a file cannot be read or written";

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ReviewArgs {
    #[command(subcommand)]
    pub command: Option<ReviewCommand>,
    /// The output folder of `urnscan process` whose answers to review in the browser.
    #[arg(required = true)]
    pub out: Option<PathBuf>,
    /// The port on 127.0.0.1 (default: a free one).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub port: u16,
    /// Print the address but do not open a browser.
    #[arg(long)]
    pub no_browser: bool,
}

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Write a review sheet (Excel-friendly CSV: UTF-8 BOM, ';') of the answers that need
    /// review, each with its crop file and the text read; fill its corrected_text column.
    Export {
        /// The output folder of `urnscan process`.
        out: PathBuf,
        /// Where to write the sheet (default: OUT/review-sheet.csv, beside the crops).
        #[arg(long, value_name = "FILE")]
        sheet: Option<PathBuf>,
        /// List every answer, not only those that need review.
        #[arg(long)]
        all: bool,
        /// Replace a sheet holding corrections not applied yet (by default that is refused,
        /// so that an agent's typing is never lost).
        #[arg(long)]
        force: bool,
    },
    /// Carry a filled review sheet's corrected_text into contributions.csv (text replaced,
    /// reviewed=true, the OCR's reading kept in ocr_text) and into OUT/corrections.csv, which
    /// later runs of `process` on OUT apply again. Rows left empty are not reviewed yet. A
    /// sheet naming unknown answers, or made from another reading, is refused whole.
    Apply {
        /// The output folder of `urnscan process`.
        out: PathBuf,
        /// The filled review sheet (either CSV dialect).
        sheet: PathBuf,
    },
}

pub fn run(args: ReviewArgs) -> anyhow::Result<ExitCode> {
    let Some(command) = args.command else {
        // clap requires OUT when no subcommand is given.
        let out = args.out.unwrap_or_default();
        return serve(&out, args.port, !args.no_browser);
    };
    match command {
        ReviewCommand::Export {
            out,
            sheet,
            all,
            force,
        } => export(&out, sheet.as_deref(), all, force),
        ReviewCommand::Apply { out, sheet } => apply(&out, &sheet),
    }
}

fn serve(out: &Path, port: u16, open_browser: bool) -> anyhow::Result<ExitCode> {
    let server = ReviewServer::bind(out, &Options { port })?;
    let url = server.url();
    // The address first, alone on its line: scripts and tests read it from there.
    println!("{url}");
    std::io::stdout().flush()?;
    eprintln!(
        "urnscan review: the answers of {} are served at the address above (this computer \
         only); every decision is saved in {} as it is made. Ctrl-C stops the server.",
        out.display(),
        out.join("corrections.csv").display()
    );
    if open_browser {
        // The desktop's default browser; none (a server, ssh) is not an error.
        if std::process::Command::new("xdg-open")
            .arg(&url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .is_err()
        {
            eprintln!("urnscan review: no browser could be opened: open the address above");
        }
    }
    server.serve()?;
    let decided = urnscan::output::corrections::Corrections::load(out)?.len();
    eprintln!(
        "urnscan review: stopped; {decided} answer(s) decided in {}",
        out.join("corrections.csv").display()
    );
    Ok(ExitCode::Success)
}

fn export(out: &Path, sheet: Option<&Path>, all: bool, force: bool) -> anyhow::Result<ExitCode> {
    let (path, n) = review::export(out, sheet, all, force)?;
    println!(
        "urnscan review: {n} answer(s) to check in {}: fill corrected_text, then run \
         urnscan review apply {} {}",
        path.display(),
        out.display(),
        path.display()
    );
    Ok(ExitCode::Success)
}

fn apply(out: &Path, sheet: &Path) -> anyhow::Result<ExitCode> {
    let a = review::apply(out, sheet)?;
    // The report shows the corrected text from now on.
    report::write(out)?;
    println!(
        "urnscan review: {} correction(s) applied ({} row(s) left empty); {} in all in {}",
        a.corrected,
        a.left_empty,
        a.total,
        out.join("contributions.csv").display()
    );
    Ok(ExitCode::Success)
}
