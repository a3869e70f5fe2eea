//! `urnscan export decidim`: a run's contributions as a proposals import file for Decidim.

use std::path::PathBuf;

use clap::Subcommand;
use urnscan::error::ExitCode;
use urnscan::handoff::decidim;

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Write a proposals import file for Decidim's admin importer (';'-separated CSV with
    /// title/<locale>, body/<locale>, scope/id, category/id for Decidim before 0.30,
    /// taxonomies/ids for 0.30 and later). Answers that still need review are held back
    /// unless --include-unreviewed.
    Decidim {
        /// The output folder of `urnscan process`.
        out: PathBuf,
        /// The import file to write (default: OUT/decidim-proposals.csv).
        #[arg(long, value_name = "FILE")]
        to: Option<PathBuf>,
        /// TOML file giving Decidim's ids: [scopes] urn id = scope id, [categories]
        /// question id = category id, [taxonomies.questions] and [taxonomies.urns] id =
        /// taxonomy ids. Without it, the id columns are left empty.
        #[arg(long, value_name = "FILE")]
        mapping: Option<PathBuf>,
        /// Locale of the title and body columns (one of the organization's locales).
        #[arg(long, default_value = "fr", value_parser = parse_locale)]
        locale: String,
        /// Also export answers that still need review.
        #[arg(long)]
        include_unreviewed: bool,
    },
}

/// A Decidim locale ("fr", "pt-BR", "ca"): it becomes part of two column names, so anything
/// else (a typo with a `;` or a space) is refused before a file is written.
fn parse_locale(s: &str) -> Result<String, String> {
    let mut parts = s.split('-');
    let lang_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_lowercase()));
    let rest_ok =
        parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if lang_ok && rest_ok {
        Ok(s.to_string())
    } else {
        Err(format!("{s:?} is not a locale such as fr, en or pt-BR"))
    }
}

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
        "urnscan export: {} proposal(s) in {} ({} held back until reviewed, {} without text, \
         {} illegible)",
        e.proposals,
        file.display(),
        e.held_back,
        e.empty,
        e.illegible
    );
    if mapping.is_none() {
        eprintln!(
            "urnscan export: no --mapping: scope/id, category/id and taxonomies/ids are \
             empty (Decidim imports the proposals without scope, category or taxonomy)"
        );
    }
    Ok(ExitCode::Success)
}

#[cfg(test)]
mod tests {
    use super::parse_locale;

    #[test]
    fn locales_are_checked_before_they_name_columns() {
        for ok in ["fr", "en", "ca", "pt-BR", "es-MX", "oc"] {
            assert_eq!(parse_locale(ok).as_deref(), Ok(ok));
        }
        for bad in ["", "FR", "f", "fr;en", "fr ", "fr-", "français", "fr/x"] {
            assert!(parse_locale(bad).is_err(), "{bad:?}");
        }
    }
}
