//! `urnscan explain`: why a page was set aside or flagged. Reads one page exactly as
//! `process` does, draws what urnscan found on it into a PNG (`--out`), and prints the same
//! decision and findings as text.

use std::path::PathBuf;

use clap::Args;
use urnscan::config::{load_campaign, model_choice};
use urnscan::error::{ExitCode, UsageError};
use urnscan::explain::explain_file;
use urnscan::render::annotate::{save_png, Annotator};

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The scanned file (PNG, JPEG, TIFF or PDF).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Page of a multi-page TIFF or PDF, from 1.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    pub page: u32,
    /// The picture to write (PNG).
    #[arg(long, short, value_name = "IMAGE.png")]
    pub out: PathBuf,
    #[command(flatten)]
    pub reading: super::ReadingArgs,
}

pub fn run(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    if !args.file.exists() {
        return Err(UsageError(format!("'{}' does not exist", args.file.display())).into());
    }
    let is_png = args
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    if !is_png {
        return Err(UsageError(format!(
            "--out '{}': the picture is a PNG file, name it IMAGE.png",
            args.out.display()
        ))
        .into());
    }
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            return Err(UsageError(format!(
                "the folder of --out '{}' does not exist",
                args.out.display()
            ))
            .into());
        }
    }
    // Fonts first: a missing package is said before a page is read.
    let annotator = Annotator::new().map_err(|e| UsageError(format!("{e:#}")))?;
    let campaign = load_campaign(args.reading.layout.as_deref())?;
    let models = model_choice(
        &campaign,
        args.reading.ocr_model.as_deref(),
        args.reading.tessdata.as_deref(),
    )?;
    let print_model = urnscan::config::print_model(args.reading.tessdata.as_deref());
    let explanation = explain_file(
        &campaign,
        &models,
        print_model.as_ref(),
        &args.file,
        args.page,
    )?;
    save_png(&annotator.draw(&explanation), &args.out)?;
    print!("{}", explanation.to_text());
    println!("picture: {}", args.out.display());
    Ok(ExitCode::Success)
}
