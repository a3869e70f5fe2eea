//! `urnscan generate`: realistic test scans of a campaign (the built-in one, or `--layout`)
//! with their ground truth, or single handwritten lines for the model.

use std::path::PathBuf;

use clap::Args;
use urnscan::config::load_campaign;
use urnscan::error::ExitCode;
use urnscan::render::{self, GenerateOptions};

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Output folder: the scans go to DIR/scans/, the truth files to DIR/.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Number of pages (mostly slips, a quarter sheets, plus a blank slip, a page with no
    /// QR code, a foreign QR code and an unknown urn).
    #[arg(long, default_value_t = 200)]
    pub count: usize,
    /// Seed: the same seed gives the same files, byte for byte.
    #[arg(long, default_value_t = 2022)]
    pub seed: u64,
    /// The curated sample set (about 16 pages covering every case) instead of a random mix.
    #[arg(long)]
    pub sample: bool,
    /// Put every page in one scanner-style PDF (DIR/scans/scans.pdf).
    #[arg(long)]
    pub pdf: bool,
    /// Paste the answers from this folder of real handwritten lines (<id>.png with its
    /// <id>.gt.txt, e.g. ../shared/handwriting/lines) instead of drawing them with fonts:
    /// measures the reader and its review routing on real handwriting.
    #[arg(long, value_name = "DIR")]
    pub handwriting: Option<PathBuf>,
    /// Draw single handwritten lines instead of pages: DIR/lineNNNNN.png with the text in
    /// lineNNNNN.gt.txt (model tests and training).
    #[arg(long, conflicts_with_all = ["sample", "pdf"])]
    pub lines: bool,
    /// With --lines: a third of the lines typeset in print faces other than the forms'
    /// (packages fonts-liberation2, fonts-freefont-ttf, fonts-urw-base35) and a sixth in
    /// block capitals, so that a trained network still reads print and capitals.
    #[arg(long, requires = "lines")]
    pub print: bool,
    /// Campaign layout folder whose forms to draw (default: the built-in assises-2022
    /// campaign).
    #[arg(long, value_name = "DIR", conflicts_with = "lines")]
    pub layout: Option<PathBuf>,
    /// Paper and scanner faults on most pages: folds, stains, black-and-white scans of
    /// halftoned forms, and more blank slips (nothing of which may become a contribution).
    #[arg(long, conflicts_with_all = ["sample", "lines"])]
    pub faults: bool,
    /// Every slip's and sheet's QR code torn off or blotted with ink: the pages urnscan must
    /// identify from their printed serial, urn and question.
    #[arg(long, conflicts_with_all = ["sample", "lines"])]
    pub damaged_qr: bool,
}

pub fn run(args: GenerateArgs) -> anyhow::Result<ExitCode> {
    let GenerateArgs {
        out,
        count,
        seed,
        sample,
        pdf,
        lines,
        print,
        handwriting,
        layout,
        faults,
        damaged_qr,
    } = args;
    if lines {
        let n = render::generate_lines(&out, count, seed, print)?;
        println!("urnscan generate: {n} line(s) in {}", out.display());
        return Ok(ExitCode::Success);
    }
    let campaign = load_campaign(layout.as_deref())?;
    let r = render::generate(
        &campaign,
        &GenerateOptions {
            out: out.clone(),
            count,
            seed,
            sample_mix: sample,
            pdf,
            handwriting,
            faults,
            damaged_qr,
        },
    )?;
    println!("urnscan generate: {} page(s) in {}", r.pages, out.display());
    Ok(ExitCode::Success)
}
