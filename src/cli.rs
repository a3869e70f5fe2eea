//! The top of the command line, as clap sees it: the list of commands and how `urnscan
//! --help` shows it. Each command's own arguments live in its module of `commands`, beside
//! the code that runs it; the library never sees these types.

use clap::{Parser, Subcommand};
use urnscan::error::EXIT_CODES_HELP;

use crate::commands::evaluate::EvaluateArgs;
use crate::commands::explain::ExplainArgs;
use crate::commands::export::ExportCommand;
use crate::commands::forms::FormsCommand;
use crate::commands::generate::GenerateArgs;
use crate::commands::layout::LayoutCommand;
use crate::commands::ocr::OcrArgs;
use crate::commands::process::ProcessArgs;
use crate::commands::report::ReportArgs;
use crate::commands::review::ReviewArgs;

/// The commands for tests and measurements, with their line in `urnscan --help`. They are
/// listed apart, after the agent's commands: clap puts every subcommand under one heading,
/// so these are hidden from it and `help_template` names them under their own.
const DEVELOPMENT: [(&str, &str); 3] = [
    (
        "generate",
        "Draw realistic scanned slips with their ground truth",
    ),
    (
        "evaluate",
        "Compare a run's output folder with the generator's ground truth",
    ),
    (
        "ocr",
        "Read images as answer zones are read (CER against <image>.gt.txt)",
    ),
];

/// clap's default help layout with a section for the development commands between the
/// agent's commands and the options, its headings styled as clap styles its own.
fn help_template() -> String {
    let styles = clap::builder::Styles::default();
    let (h, l) = (styles.get_header(), styles.get_literal());
    let width = DEVELOPMENT
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    let development: Vec<String> = DEVELOPMENT
        .iter()
        .map(|(name, about)| {
            let pad = width - name.len();
            format!("  {l}{name}{l:#}{:pad$}  {about}", "")
        })
        .collect();
    format!(
        "{{before-help}}{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\n\
         {h}Commands:{h:#}\n{{subcommands}}\n\n\
         {h}Development commands (tests and measurements):{h:#}\n{}\n\n\
         {h}Options:{h:#}\n{{options}}{{after-help}}",
        development.join("\n")
    )
}

#[derive(Debug, Parser)]
#[command(
    name = "urnscan",
    version,
    about = "Turns scanned consultation slips into clean, trustworthy CSV",
    long_about = "urnscan reads scans of the paper slips of a public consultation (QR code, \
handwritten answer, tick boxes), identifies each slip from its QR code, reads the answer with \
Tesseract and the ticks by ink, and writes contributions.csv and pages.csv.",
    help_template = help_template(),
    after_help = EXIT_CODES_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read scanned slips and write contributions.csv, pages.csv and the answer crops.
    #[command(after_help = EXIT_CODES_HELP)]
    Process(ProcessArgs),
    /// Why a page was set aside or flagged: read it as process does and draw what was found
    /// on it (QR code, registration marks, zones, lines of writing, ink, ticks, the decision)
    /// into a PNG; the same in words on stdout.
    #[command(
        after_help = "Exit codes:\n  0  picture written (whatever the page's decision)\n  2  usage error: no such file or page, not a scan, a model or the fonts missing\n  3  the file cannot be read or the picture cannot be written"
    )]
    Explain(ExplainArgs),
    /// Write OUT/report.html again from an output folder's CSV files: the review report
    /// (summary, pages set aside, charts, answers to review first with their crops). `process`
    /// writes it at the end of every run; this remakes it, e.g. after the CSVs were edited.
    #[command(
        after_help = "Exit codes:\n  0  report written\n  2  OUT is not an output folder of `urnscan process`\n  3  the report cannot be written"
    )]
    Report(ReportArgs),
    /// Have a person check the answers that need it: `urnscan review OUT` opens them in the
    /// browser, one at a time (or export a review sheet, apply it).
    #[command(after_help = crate::commands::review::EXIT_CODES_HELP)]
    Review(ReviewArgs),
    /// Export a run's contributions for another tool.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Print blank forms of the campaign (print-ready PDF, one form per page).
    Forms {
        #[command(subcommand)]
        command: FormsCommand,
    },
    /// Check a campaign layout folder.
    Layout {
        #[command(subcommand)]
        command: LayoutCommand,
    },
    /// Draw realistic scanned slips with their ground truth (for tests and benchmarks).
    #[command(hide = true)]
    Generate(GenerateArgs),
    /// Compare a run's output folder with the ground truth written by the scan generator.
    #[command(hide = true)]
    Evaluate(EvaluateArgs),
    /// OCR images (answer crops, lines) with exactly the cleaning, engine and text rules of
    /// the answer zones; prints file, text, confidence (and CER where <image>.gt.txt exists).
    #[command(hide = true)]
    Ocr(OcrArgs),
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::{Cli, DEVELOPMENT};

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn help_lists_the_agents_commands_then_the_development_ones_apart() {
        let cmd = Cli::command();
        let hidden: Vec<&str> = cmd
            .get_subcommands()
            .filter(|c| c.is_hide_set())
            .map(|c| c.get_name())
            .collect();
        let listed: Vec<&str> = DEVELOPMENT.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            hidden, listed,
            "every hidden command is listed apart, and only those"
        );
        assert_eq!(hidden, ["generate", "evaluate", "ocr"]);
        for help in [
            Cli::command().render_help().to_string(),
            Cli::command().render_long_help().to_string(),
        ] {
            let at = |what: &str| {
                help.find(what)
                    .unwrap_or_else(|| panic!("{what} in {help}"))
            };
            let order = [
                "Usage: urnscan <COMMAND>",
                "Commands:\n  process ",
                "  layout ",
                "Development commands (tests and measurements):\n  generate  Draw",
                "  ocr       Read",
                "Options:\n  -h, --help",
                "Exit codes:\n  0  every page",
            ];
            for pair in order.windows(2) {
                assert!(at(pair[0]) < at(pair[1]), "{pair:?} in {help}");
            }
            assert!(help.lines().all(|l| l.chars().count() <= 100), "{help}");
        }
    }
}
