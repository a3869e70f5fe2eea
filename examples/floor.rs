//! The floor of issue "Speed and memory": Tesseract alone recognising only the answer-zone
//! crops, engines already loaded. `scripts/bench-vs-script` runs it on the same scans as
//! urnscan and the obvious script:
//!
//!   cargo run --release --example floor -- SCANS_DIR [--jobs N] [--only LIST] [--texts FILE]
//!
//! Every page is first decoded, located and cut into its answer zones by urnscan's own code
//! (the very crops its OCR starts from, at its reading resolution); `--only` keeps the zones
//! listed as `file<TAB>zone` lines (the ones urnscan found ink in and read: blank zones are
//! not OCR that cannot be avoided). Then `--jobs` engines load
//! the built-in model. Only then does the clock start: each engine recognises its share of
//! the crops as one block of text (`--psm 6`, Tesseract finding the lines itself) and the wall
//! time until the last one is done is the floor. No cleaning, line finding, confidence or CSV.
//! Prints one line, `floor: <crops> crops, <pages> pages, <wall> s wall, <cpu> s recognising`;
//! `--texts` writes each crop's text as `file<TAB>zone<TAB>text` (newlines as spaces).
//! Linked with urnscan, Tesseract skips the compression of its internal PNG round trip
//! (src/read/tesseract_png.rs); `--as-shipped` keeps it, as Tesseract does alone.

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use urnscan::campaign::Campaign;
use urnscan::input::{decode_page, sniff, PageSource};
use urnscan::read::crop::READ_DPI;
use urnscan::read::tesseract_png::set_stored_png;
use urnscan::recognize::tesseract::TesseractEngine;
use urnscan::recognize::OcrModel;
use urnscan::slip::{answer_zone_crop, locate, Located};

const USAGE: &str = "usage: floor SCANS_DIR [--jobs N] [--only LIST] [--texts FILE] [--as-shipped]";

/// One crop and the text Tesseract read in it.
type Read<'a> = (&'a Crop, String);

struct Crop {
    file: String,
    zone: String,
    image: image::GrayImage,
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut dir, mut jobs, mut texts, mut only) = (None, 2usize, None, None);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--jobs" => jobs = args.next().context("--jobs N")?.parse()?,
            "--texts" => texts = Some(PathBuf::from(args.next().context("--texts FILE")?)),
            "--only" => only = Some(PathBuf::from(args.next().context("--only LIST")?)),
            "--as-shipped" => set_stored_png(false),
            _ if dir.is_none() => dir = Some(PathBuf::from(a)),
            _ => bail!(USAGE),
        }
    }
    let dir = dir.context(USAGE)?;
    let only: Option<HashSet<(String, String)>> = match only {
        Some(path) => Some(
            std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?
                .lines()
                .filter_map(|l| l.split_once('\t'))
                .map(|(f, z)| (f.to_string(), z.to_string()))
                .collect(),
        ),
        None => None,
    };
    let campaign = Campaign::builtin()?;

    // The crops, cut before the clock starts. Pages that are not slips are skipped: urnscan
    // does not OCR them either.
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let (mut crops, mut pages) = (Vec::new(), 0usize);
    for path in &files {
        let Ok(format) = sniff(path) else { continue };
        let Ok(mut img) = decode_page(path, &PageSource { page: 1, format }) else {
            continue;
        };
        let Ok(Located { form, reg, .. }) = locate(&campaign, &mut img) else {
            continue;
        };
        pages += 1;
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for zone in form.text_zones() {
            if only
                .as_ref()
                .is_some_and(|o| !o.contains(&(file.clone(), zone.id.clone())))
            {
                continue;
            }
            crops.push(Crop {
                file: file.clone(),
                zone: zone.id.clone(),
                image: answer_zone_crop(&img, &reg, zone),
            });
        }
    }

    let mut engines = (0..jobs.max(1))
        .map(|_| TesseractEngine::new(&OcrModel::Builtin))
        .collect::<Result<Vec<_>, _>>()?;
    let shares: Vec<Vec<&Crop>> = (0..engines.len())
        .map(|i| crops.iter().skip(i).step_by(engines.len()).collect())
        .collect();

    let started = Instant::now();
    let results: Vec<(f64, Vec<Read>)> = std::thread::scope(|s| {
        let handles: Vec<_> = engines
            .iter_mut()
            .zip(&shares)
            .map(|(engine, share)| {
                s.spawn(move || {
                    let t = Instant::now();
                    let texts = share
                        .iter()
                        .map(|c| {
                            let text = engine
                                .read_block(&c.image, READ_DPI as u32)
                                .map(|o| o.text)
                                .unwrap_or_default();
                            (*c, text)
                        })
                        .collect::<Vec<_>>();
                    (t.elapsed().as_secs_f64(), texts)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let wall = started.elapsed().as_secs_f64();
    let cpu: f64 = results.iter().map(|(s, _)| s).sum();
    println!(
        "floor: {} crops, {pages} pages, {wall:.2} s wall, {cpu:.2} s recognising",
        crops.len()
    );
    if let Some(path) = texts {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?,
        );
        for (crop, text) in results.iter().flat_map(|(_, t)| t) {
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            writeln!(out, "{}\t{}\t{text}", crop.file, crop.zone)?;
        }
    }
    Ok(())
}
