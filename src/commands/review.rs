//! `urnscan review export` and `urnscan review apply`: a sheet of the answers a person must
//! check, and its corrections carried back into the output folder.

use std::path::Path;

use urnscan::error::ExitCode;
use urnscan::handoff::review;
use urnscan::output::report;

use crate::cli::ReviewCommand;

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
