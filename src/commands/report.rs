//! `urnscan report`: write an output folder's report.html again from its CSV files.

use std::path::PathBuf;

use clap::Args;
use urnscan::error::ExitCode;
use urnscan::output::report;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The output folder of `urnscan process` (holding contributions.csv and pages.csv).
    pub out: PathBuf,
}

pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let out = args.out;
    let w = report::write(&out)?;
    println!(
        "urnscan report: {} ({} contribution(s), {} to review)",
        out.join(report::REPORT_FILE).display(),
        w.contributions,
        w.needs_review
    );
    Ok(ExitCode::Success)
}
