//! `urnscan generate`: realistic test scans of the built-in campaign with their ground
//! truth, or single handwritten lines for the model.

use urnscan::config::load_campaign;
use urnscan::error::ExitCode;
use urnscan::render::{self, GenerateOptions};

use crate::cli::GenerateArgs;

pub fn run(args: GenerateArgs) -> anyhow::Result<ExitCode> {
    let GenerateArgs {
        out,
        count,
        seed,
        sample,
        pdf,
        lines,
        handwriting,
    } = args;
    if lines {
        let n = render::generate_lines(&out, count, seed)?;
        println!("urnscan generate: {n} line(s) in {}", out.display());
        return Ok(ExitCode::Success);
    }
    let campaign = load_campaign(None)?;
    let r = render::generate(
        &campaign,
        &GenerateOptions {
            out: out.clone(),
            count,
            seed,
            sample_mix: sample,
            pdf,
            handwriting,
        },
    )?;
    println!("urnscan generate: {} page(s) in {}", r.pages, out.display());
    Ok(ExitCode::Success)
}
