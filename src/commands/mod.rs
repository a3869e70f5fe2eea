//! One module per subcommand of `urnscan`. Each declares its arguments (clap's types, listed
//! in `crate::cli`), turns them into the library's plain values, calls the library, prints
//! what the agent reads, and says how the command ended (`ExitCode`). Errors go up to
//! `main`, which prints them and picks their exit code.

pub mod evaluate;
pub mod explain;
pub mod export;
pub mod forms;
pub mod generate;
pub mod layout;
pub mod ocr;
pub mod process;
pub mod report;
pub mod review;

use std::path::PathBuf;

/// The options that say which campaign a page belongs to and which models read it: the same
/// for every command that reads pages (`process`, `explain`).
#[derive(Debug, clap::Args)]
pub struct ReadingArgs {
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
}
