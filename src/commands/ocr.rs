//! `urnscan ocr`: the answer-zone reader on arbitrary images, so that anyone can measure it
//! on their own data (and CI on the real handwriting in ../shared/handwriting).

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;

use urnscan::error::ExitCode;
use urnscan::eval::{cer, mean, median};
use urnscan::read::ink::clean_zone;
use urnscan::read::prepare::prepare_lines;
use urnscan::recognize::{read_lines, write_model_inputs, OcrModel, Recognizer};
use urnscan::text::normalise;

#[derive(Debug, Args)]
pub struct OcrArgs {
    /// Images to read.
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<PathBuf>,
    /// Resolution the images were scanned at.
    #[arg(long, default_value_t = 300)]
    pub dpi: u32,
    /// Model: htr (urnscan's own network, built in, the default; htr-greedy: without its
    /// French character model), fra_hw (Tesseract's, built in, handwriting), a Tesseract
    /// name looked up in --tessdata (e.g. fra) or a path to a .traineddata file.
    #[arg(long, alias = "lang", default_value = urnscan::recognize::DEFAULT_MODEL, value_name = "MODEL")]
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
    /// upright, and brought to the model's own input) to DIR, as <image name>.<line>.png:
    /// what the reader sees. scripts/train-model and scripts/train-htr prepare their
    /// training lines this way.
    #[arg(long, value_name = "DIR")]
    pub lines_out: Option<PathBuf>,
    /// With --lines-out: only prepare and write the lines, read nothing (the training
    /// recipes prepare thousands of lines this way).
    #[arg(long, requires = "lines_out")]
    pub prepare_only: bool,
}

pub fn run(args: &OcrArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let model = OcrModel::resolve(&args.ocr_model, args.tessdata.as_deref())?;
    let mut engine = if args.prepare_only {
        None
    } else {
        Some(Recognizer::new(&model)?)
    };
    let stdout = std::io::stdout();
    let mut w = csv::Writer::from_writer(stdout.lock());
    w.write_record(["file", "text", "confidence", "cer"])?;
    let mut cers = Vec::new();
    if let Some(dir) = &args.lines_out {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create folder {}", dir.display()))?;
    }
    // The reading's own time (cleaning, line finding, preparation, recognition): start-up
    // (the network, the character model) and decoding the files are counted apart, so
    // that a figure per line does not depend on how many lines one run reads.
    let startup = started.elapsed();
    let mut reading = Duration::ZERO;
    for path in &args.images {
        let img = image::open(path)
            .with_context(|| format!("cannot read image {}", path.display()))?
            .into_luma8();
        let t = Instant::now();
        // Lines are always found in the cleaned image; their pixels are read as they are
        // (the zone path's default), or cleaned with --clean.
        let clean = clean_zone(&img, &[], 0.0);
        let pixels = if args.clean { &clean } else { &img };
        let lines = prepare_lines(&clean, pixels, &[], args.dpi);
        if let Some(dir) = &args.lines_out {
            let stem = path.file_stem().unwrap_or_default().to_string_lossy();
            write_model_inputs(&model, &lines, dir, &stem)?;
        }
        let Some(engine) = engine.as_mut() else {
            continue;
        };
        let read = read_lines(engine, &lines)?;
        reading += t.elapsed();
        let text = normalise(&read.text);
        let gt = path.with_extension("gt.txt");
        let c = std::fs::read_to_string(&gt)
            .ok()
            .map(|truth| cer(&text, &truth));
        if let Some(c) = c {
            cers.push(c);
        }
        w.write_record([
            path.display().to_string(),
            text,
            format!("{:.0}", read.confidence),
            c.map(|c| format!("{c:.3}")).unwrap_or_default(),
        ])?;
    }
    w.flush()?;
    drop(w);
    if !cers.is_empty() {
        let _ = std::io::stdout().flush();
        eprintln!(
            "urnscan ocr: {} image(s) with ground truth: CER median {:.3}, mean {:.3}",
            cers.len(),
            median(&cers),
            mean(&cers)
        );
    }
    if engine.is_some() && !args.images.is_empty() {
        eprintln!(
            "urnscan ocr: {:.1} ms per image reading (one core; start-up {:.0} ms apart)",
            reading.as_secs_f64() * 1000.0 / args.images.len() as f64,
            startup.as_secs_f64() * 1000.0
        );
    }
    Ok(ExitCode::Success)
}
