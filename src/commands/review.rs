//! `urnscan review export` and `urnscan review apply`: a sheet of the answers a person must
//! check, and its corrections carried back into the output folder.

use std::path::Path;
use std::path::PathBuf;

use clap::Subcommand;
use urnscan::error::ExitCode;
use urnscan::handoff::review;
use urnscan::output::report;

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

pub fn run(command: ReviewCommand) -> anyhow::Result<ExitCode> {
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
