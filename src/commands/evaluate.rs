//! `urnscan evaluate`: a run's output folder against the generator's ground truth, printed
//! for a person or as JSON.

use std::path::PathBuf;

use clap::Args;
use urnscan::error::ExitCode;
use urnscan::eval::{self, Report};

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The output folder of `urnscan process`.
    pub out: PathBuf,
    /// The folder holding truth-pages.csv and truth-answers.csv.
    #[arg(long, value_name = "DIR")]
    pub truth: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: EvaluateArgs) -> anyhow::Result<ExitCode> {
    let r = eval::compare(&args.out, &args.truth)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print_text(&r);
    }
    Ok(ExitCode::Success)
}

fn print_text(r: &Report) {
    println!(
        "pages in pages.csv exactly once: {}/{}",
        r.pages - r.pages_not_once.len(),
        r.pages
    );
    println!(
        "page status right:               {}/{}",
        r.pages_status_right, r.pages
    );
    println!(
        "slips identified exactly:        {}/{} (form, question, urn, serial)",
        r.slips_identified, r.slips
    );
    println!(
        "slips identified wrongly:        {} ({} slip(s) identified from print)",
        r.wrong_identities, r.identified_from_print
    );
    println!(
        "orientation right:               {}/{}",
        r.orientations_right, r.orientations
    );
    println!(
        "contributions found:             {}/{} (unexpected: {})",
        r.found_contributions,
        r.expected_contributions,
        r.unexpected_contributions.len()
    );
    println!(
        "CER median {:.3}, mean {:.3} over {} answers",
        r.cer_median,
        r.cer_mean,
        r.cer.len()
    );
    println!(
        "checkbox groups right:           {}/{}",
        r.checkbox_groups_right, r.checkbox_groups
    );
    let g = &r.routing;
    println!(
        "review flag: recall {:.1} % ({}/{} answers with CER > {} flagged), precision {:.1} % ({}/{} flagged answers with CER > {})",
        100.0 * g.recall,
        g.bad_flagged,
        g.bad,
        eval::BAD_CER,
        100.0 * g.precision,
        g.flagged_wrong,
        g.flagged,
        eval::WRONG_CER
    );
    println!("pages read right (status, identity, orientation) per case:");
    for (case, (right, total)) in &r.by_case {
        println!("  {case:<30} {right}/{total}");
    }
}
