//! The command line, as clap sees it. `config` turns it into checked settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  every page was read (blank and duplicate pages are fine)
  1  the run completed, but some pages were rejected (see pages.csv)
  2  usage error, or the campaign layout is invalid
  3  input/output failure (missing input, output folder not writable, disk full)
  4  internal error: the page accounting does not balance (a bug: please report it)";

#[derive(Debug, Parser)]
#[command(
    name = "urnscan",
    version,
    about = "Turns scanned consultation slips into clean, trustworthy CSV",
    long_about = "urnscan reads scans of the paper slips of a public consultation (QR code, \
handwritten answer, tick boxes), identifies each slip from its QR code, reads the answer with \
Tesseract and the ticks by ink, and writes contributions.csv and pages.csv.",
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
    /// OCR images (answer crops, lines) with exactly the cleaning, engine and text rules of
    /// the answer zones; prints file, text, confidence (and CER where <image>.gt.txt exists).
    Ocr(OcrArgs),
    /// Write OUT/report.html again from an output folder's CSV files: the review report
    /// (summary, pages set aside, charts, answers to review first with their crops). `process`
    /// writes it at the end of every run; this remakes it, e.g. after the CSVs were edited.
    #[command(
        after_help = "Exit codes:\n  0  report written\n  2  OUT is not an output folder of `urnscan process`\n  3  the report cannot be written"
    )]
    Report {
        /// The output folder of `urnscan process` (holding contributions.csv and pages.csv).
        out: PathBuf,
    },
    /// Compare a run's output folder with the ground truth written by the scan generator.
    Evaluate {
        /// The output folder of `urnscan process`.
        out: PathBuf,
        /// The folder holding truth-pages.csv and truth-answers.csv.
        #[arg(long, value_name = "DIR")]
        truth: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Draw realistic scanned slips with their ground truth (for tests and benchmarks).
    Generate {
        /// Output folder: the scans go to DIR/scans/, the truth files to DIR/.
        #[arg(long, short, value_name = "DIR")]
        out: PathBuf,
        /// Number of pages (mostly slips, a quarter sheets, plus a blank slip, a page with no
        /// QR code, a foreign QR code and an unknown urn).
        #[arg(long, default_value_t = 200)]
        count: usize,
        /// Seed: the same seed gives the same files, byte for byte.
        #[arg(long, default_value_t = 2022)]
        seed: u64,
        /// The curated sample set (about 16 pages covering every case) instead of a random mix.
        #[arg(long)]
        sample: bool,
        /// Put every page in one scanner-style PDF (DIR/scans/scans.pdf).
        #[arg(long)]
        pdf: bool,
        /// Paste the answers from this folder of real handwritten lines (<id>.png with its
        /// <id>.gt.txt, e.g. ../shared/handwriting/lines) instead of drawing them with fonts:
        /// measures the reader and its review routing on real handwriting.
        #[arg(long, value_name = "DIR")]
        handwriting: Option<PathBuf>,
        /// Draw single handwritten lines instead of pages: DIR/lineNNNNN.png with the text in
        /// lineNNNNN.gt.txt (model tests and training).
        #[arg(long, conflicts_with_all = ["sample", "pdf"])]
        lines: bool,
    },
    /// Have a person check the answers that need it: export a review sheet, apply it.
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
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
}

#[derive(Debug, Subcommand)]
pub enum LayoutCommand {
    /// Validate a layout folder (campaign.toml, questions.csv, urns.csv) and say what is wrong.
    Check {
        /// The layout folder, e.g. forms-layout/assises-2022.
        dir: PathBuf,
    },
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

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Write a proposals import file for Decidim's admin importer (';'-separated CSV with
    /// title/<locale>, body/<locale>, scope/id, category/id). Answers that still need review
    /// are held back unless --include-unreviewed.
    Decidim {
        /// The output folder of `urnscan process`.
        out: PathBuf,
        /// The import file to write (default: OUT/decidim-proposals.csv).
        #[arg(long, value_name = "FILE")]
        to: Option<PathBuf>,
        /// TOML file giving Decidim's ids: [scopes] urn id = scope id, [categories]
        /// question id = category id. Without it, scope/id and category/id are left empty.
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

#[derive(Debug, Args)]
pub struct ProcessArgs {
    /// Scanned files or folders (folders are read recursively; hidden files are skipped).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output folder (created if needed).
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Label of this batch in contributions.csv (default: the input folder's name).
    #[arg(long, value_name = "LABEL")]
    pub batch: Option<String>,
    /// Number of pages read in parallel (default: the number of CPU cores).
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<usize>,
    /// Campaign layout folder (default: the built-in assises-2022 campaign).
    #[arg(long, value_name = "DIR")]
    pub layout: Option<PathBuf>,
    /// Model for every text zone, instead of each zone's own (the layout's `model`, by
    /// default the built-in Tesseract handwriting model fra_hw): htr (urnscan's own
    /// network, built in; htr-greedy: without its French character model), a Tesseract
    /// name looked up in --tessdata (e.g. fra, Debian's print model) or a path to a
    /// .traineddata file.
    #[arg(long, alias = "lang", value_name = "MODEL")]
    pub ocr_model: Option<String>,
    /// Folder where model names are looked up (default: $TESSDATA_PREFIX, else Debian's).
    #[arg(long, value_name = "DIR")]
    pub tessdata: Option<PathBuf>,
    /// Replace the results of another batch in --out (by default a folder holds one batch:
    /// rerunning the same batch resumes it, another batch is refused).
    #[arg(long)]
    pub force: bool,
    /// Keep phone numbers and e-mail addresses in contributions.csv as read (by default they
    /// are replaced by [téléphone] and [courriel]; either way the answer is flagged
    /// personal_data).
    #[arg(long)]
    pub keep_personal_data: bool,
    /// Serial ledger shared by several output folders (e.g. one folder per week, one ledger
    /// for the consultation): a slip already counted in any of them is a duplicate naming
    /// its first reading. Default: OUT/serials.csv, this folder's own.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// Write CSV for a French spreadsheet: UTF-8 BOM, ';', CRLF, formulas neutralised.
    #[arg(long)]
    pub excel: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the summary as JSON (for scripts) instead of text.
    #[arg(long)]
    pub json: bool,
    /// OCR the cleaned zone's pixels instead of the raw crop's (for measuring what cleaning
    /// would buy; lines and blanks are always found in the cleaned zone).
    #[arg(long, hide = true)]
    pub clean_ocr: bool,
}

#[derive(Debug, Args)]
pub struct OcrArgs {
    /// Images to read.
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<PathBuf>,
    /// Resolution the images were scanned at.
    #[arg(long, default_value_t = 300)]
    pub dpi: u32,
    /// Model: fra_hw (Tesseract's, built in, handwriting), htr (urnscan's own network,
    /// built in; htr-greedy: without its French character model), a Tesseract name looked
    /// up in --tessdata (e.g. fra) or a path to a .traineddata file.
    #[arg(long, alias = "lang", default_value = "fra_hw", value_name = "MODEL")]
    pub ocr_model: String,
    /// Folder where model names are looked up (default: $TESSDATA_PREFIX, else Debian's).
    #[arg(long, value_name = "DIR")]
    pub tessdata: Option<PathBuf>,
    /// OCR the cleaned image's pixels instead of the image's own, as `process --clean-ocr`
    /// does (for measuring what cleaning would buy; lines are found in the cleaned image
    /// either way).
    #[arg(long)]
    pub clean: bool,
    /// Also write each line as the model is given it (found, scaled, levelled and stood
    /// upright) to DIR, as <image name>.<line>.png: what the reader sees. scripts/train-model
    /// prepares its training lines this way.
    #[arg(long, value_name = "DIR")]
    pub lines_out: Option<PathBuf>,
    /// With --lines-out: only prepare and write the lines, read nothing (the training
    /// recipes prepare thousands of lines this way).
    #[arg(long, requires = "lines_out")]
    pub prepare_only: bool,
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
