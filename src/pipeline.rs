//! The parallel driver: lists the pages of every input, hands them to `jobs` workers (each
//! with its own Tesseract engine, created once), keeps the results in input order whatever
//! the number of workers, and writes the outputs.

use std::cell::RefCell;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::campaign::Campaign;
use crate::input::{discover, sniff, InputFile, PageSource};
use crate::outcome::{Outcome, PageResult};
use crate::output::csvfile::{write_atomic, write_csv, Dialect};
use crate::output::rows::{
    contribution_rows, contributions_header, finalise, page_row, pages_header,
};
use crate::output::summary::Summary;
use crate::read::ocr::{OcrEngine, OcrSettings};
use crate::slip::{read_page, Fatal, PageContext};

/// Everything `process` needs, already checked.
#[derive(Debug, Clone)]
pub struct ProcessConfig {
    pub inputs: Vec<PathBuf>,
    pub out: PathBuf,
    pub batch: String,
    pub jobs: usize,
    pub campaign: Campaign,
    pub ocr: OcrSettings,
    pub dialect: Dialect,
    pub progress: bool,
}

/// A unit of work, in input order.
enum Work {
    Page {
        file: usize,
        source: PageSource,
    },
    /// A file that yields no page (unsupported, unreadable, empty).
    FileRejected {
        file: usize,
        rejection: crate::outcome::Rejection,
    },
}

thread_local! {
    /// This worker's OCR engine, created on its first page and dropped at the end of the run.
    static ENGINE: RefCell<Option<OcrEngine>> = const { RefCell::new(None) };
}

fn with_engine<R>(
    settings: &OcrSettings,
    f: impl FnOnce(&mut OcrEngine) -> Result<R, Fatal>,
) -> Result<R, Fatal> {
    ENGINE.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(OcrEngine::new(settings)?);
        }
        match slot.as_mut() {
            Some(engine) => f(engine),
            None => unreachable!("the engine was just created"),
        }
    })
}

pub struct RunResult {
    pub summary: Summary,
}

pub fn run(cfg: &ProcessConfig) -> anyhow::Result<RunResult> {
    let started = Instant::now();
    // Fail early, with a clear message, if Tesseract or its model is missing.
    drop(OcrEngine::new(&cfg.ocr)?);
    std::fs::create_dir_all(cfg.out.join("crops"))
        .with_context(|| format!("cannot create the output folder {}", cfg.out.display()))?;

    let files = discover(&cfg.inputs, Some(&cfg.out))?;
    let work: Vec<Work> = files
        .iter()
        .enumerate()
        .map(|(i, f)| match sniff(&f.path) {
            Ok(format) => Work::Page {
                file: i,
                source: PageSource {
                    file_index: i,
                    page: 1,
                    format,
                },
            },
            Err(rejection) => Work::FileRejected { file: i, rejection },
        })
        .collect();

    let bar = if cfg.progress {
        let bar =
            ProgressBar::with_draw_target(Some(work.len() as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} pages ({per_sec}, {eta} left)",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.jobs)
        .thread_name(|i| format!("urnscan-worker-{i}"))
        .build()
        .context("cannot start the worker threads")?;
    let ctx = PageContext {
        campaign: &cfg.campaign,
        out_dir: &cfg.out,
    };
    let results: Result<Vec<PageResult>, Fatal> = pool.install(|| {
        work.par_iter()
            .with_max_len(1)
            .map(|w| {
                let r = process(&ctx, &files, w, &cfg.ocr);
                bar.inc(1);
                r
            })
            .collect()
    });
    // Engines must go before the process exits, or Tesseract reports its caches as leaks.
    pool.broadcast(|_| ENGINE.with(|e| e.borrow_mut().take()));
    bar.finish_and_clear();
    let results = results?;

    let pages = finalise(&results);
    let mut contributions = Vec::new();
    let mut counted = Vec::new();
    for p in &pages {
        for row in contribution_rows(&cfg.campaign, &cfg.batch, p) {
            contributions.push(row);
        }
        if let (Some(s), crate::output::rows::Status::Ok) = (p.slip(), p.status) {
            for a in &s.answers {
                let review =
                    !a.review_reasons.is_empty() || s.ticks.iter().any(|t| t.codes.len() > 1);
                counted.push((s.urn.clone(), a.question_id.clone(), review));
            }
        }
    }
    let page_rows: Vec<Vec<String>> = pages.iter().map(|p| page_row(&cfg.campaign, p)).collect();
    write_csv(
        &cfg.out.join("pages.csv"),
        cfg.dialect,
        &pages_header(),
        &page_rows,
    )?;
    write_csv(
        &cfg.out.join("contributions.csv"),
        cfg.dialect,
        &contributions_header(&cfg.campaign),
        &contributions,
    )?;

    let mut summary = Summary::new(&pages, &counted);
    summary.campaign = cfg.campaign.id.clone();
    summary.batch = cfg.batch.clone();
    summary.files = files.len();
    summary.jobs = cfg.jobs;
    summary.seconds = started.elapsed().as_secs_f64();
    summary.pages_per_second = if summary.seconds > 0.0 {
        summary.pages_read as f64 / summary.seconds
    } else {
        0.0
    };
    summary.output = cfg.out.display().to_string();
    summary.peak_rss_mib = crate::output::summary::peak_rss_mib();
    let json = serde_json::to_vec_pretty(&summary).context("cannot encode the summary")?;
    write_atomic(&cfg.out.join("summary.json"), &json)?;
    Ok(RunResult { summary })
}

fn process(
    ctx: &PageContext,
    files: &[InputFile],
    w: &Work,
    ocr: &OcrSettings,
) -> Result<PageResult, Fatal> {
    match w {
        Work::FileRejected { file, rejection } => Ok(PageResult {
            source_file: files[*file].source_name.clone(),
            page: None,
            outcome: Outcome::Rejected(rejection.clone()),
        }),
        Work::Page { file, source } => {
            let f = &files[*file];
            let outcome = with_engine(ocr, |engine| {
                read_page(ctx, &f.path, &f.source_name, source, engine)
            })?;
            Ok(PageResult {
                source_file: f.source_name.clone(),
                page: Some(source.page),
                outcome,
            })
        }
    }
}
