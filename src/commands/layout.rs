//! `urnscan layout check`: validate a campaign layout folder and say what it holds.

use std::path::Path;
use std::path::PathBuf;

use clap::Subcommand;
use urnscan::config::{load_campaign, model_choice};
use urnscan::error::ExitCode;

#[derive(Debug, Subcommand)]
pub enum LayoutCommand {
    /// Validate a layout folder (campaign.toml, questions.csv, urns.csv) and say what is wrong.
    Check {
        /// The layout folder, e.g. forms-layout/assises-2022.
        dir: PathBuf,
    },
}

pub fn run(command: LayoutCommand) -> anyhow::Result<ExitCode> {
    match command {
        LayoutCommand::Check { dir } => check(&dir),
    }
}

fn check(dir: &Path) -> anyhow::Result<ExitCode> {
    let c = load_campaign(Some(dir))?;
    model_choice(&c, None, None)?;
    let zones: usize = c.forms.iter().map(|f| f.zones.len()).sum();
    println!(
        "{}: campaign '{}' is valid: {} form(s) ({}), {} zone(s), {} question(s), {} urn(s)",
        dir.display(),
        c.id,
        c.forms.len(),
        c.forms
            .iter()
            .map(|f| f.id.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        zones,
        c.questions.len(),
        c.urns.len()
    );
    Ok(ExitCode::Success)
}
