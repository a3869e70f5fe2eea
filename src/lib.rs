//! urnscan: scanned consultation slips in, clean CSV out.
//!
//! The modules follow the pipeline (see README, "How it works"):
//! `input` finds files and decodes pages, `locate` finds the QR code and registers the page,
//! `campaign` says what a form looks like and what its QR payload means, `read` crops each
//! zone, measures ink, scores ticks and prepares each line of writing, `recognize` reads
//! the lines (Tesseract or urnscan's own network), `text` normalises what was read,
//! `privacy` masks phone numbers and e-mail addresses, `output` writes the CSV files and
//! the summary, and `pipeline` drives pages through it in parallel. `explain` shows why a
//! page was set aside or flagged (what each step found, drawn on the page by `render`).
//! `handoff` works on a finished output folder (review sheet and corrections, Decidim
//! export). `render` draws forms from the layout (blank forms and realistic test scans).
//! `sys` holds every `unsafe` block, each a safe wrapper with its reason.
//! `config` checks what a command was asked; `error` holds the errors and exit codes.
//!
//! The command line (clap's types, one module per subcommand, what each prints) is the
//! binary's (`src/main.rs`, `src/cli.rs`, `src/commands/`): nothing here depends on it.

pub mod campaign;
pub mod config;
pub mod error;
pub mod eval;
pub mod explain;
pub mod geometry;
pub mod handoff;
pub mod input;
pub mod locate;
pub mod outcome;
pub mod output;
pub mod pipeline;
pub mod privacy;
pub mod read;
pub mod recognize;
pub mod render;
pub mod review;
pub mod slip;
// The one module where `unsafe` is allowed (Cargo.toml's [lints] deny it elsewhere).
#[allow(unsafe_code)]
pub mod sys;
pub mod text;
pub mod timing;
