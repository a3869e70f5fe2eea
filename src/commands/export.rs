//! `urnscan export decidim`: a run's contributions as a proposals import file for Decidim.

use urnscan::error::ExitCode;
use urnscan::handoff::decidim;

use crate::cli::ExportCommand;

pub fn run(command: ExportCommand) -> anyhow::Result<ExitCode> {
    let ExportCommand::Decidim {
        out,
        to,
        mapping,
        locale,
        include_unreviewed,
    } = command;
    let mapping = mapping.as_deref().map(decidim::Mapping::load).transpose()?;
    let file = to.unwrap_or_else(|| out.join("decidim-proposals.csv"));
    let e = decidim::export(
        &out,
        &file,
        &decidim::Options {
            mapping: mapping.as_ref(),
            locale: &locale,
            include_unreviewed,
        },
    )?;
    println!(
        "urnscan export: {} proposal(s) in {} ({} held back until reviewed, {} without text)",
        e.proposals,
        file.display(),
        e.held_back,
        e.empty
    );
    if mapping.is_none() {
        eprintln!(
            "urnscan export: no --mapping: scope/id, category/id and taxonomies/ids are \
             empty (Decidim imports the proposals without scope, category or taxonomy)"
        );
    }
    Ok(ExitCode::Success)
}
