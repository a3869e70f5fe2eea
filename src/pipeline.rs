//! The parallel driver: lists the pages of every input, hands them to `jobs` workers (each
//! with its own Tesseract engines, created once), journals each finished page (so that a
//! rerun after a crash reads only what is missing), keeps the results in input order
//! whatever the number of workers, and writes the CSV files, the ledger and summary.json.
//! The report is the `process` command's to write, from those files.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::config::ProcessConfig;
use crate::error::UsageError;
use crate::explain::{explain_page, picture_name};
use crate::input::{discover, page_count, sniff, InputFile, PageSource};
use crate::outcome::{Outcome, PageResult, Rejection};
use crate::output::corrections::Corrections;
use crate::output::csvfile::write_atomic;
use crate::output::decisions;
use crate::output::journal::{self, Journal, PageKey};
use crate::output::ledger::{fingerprint, Entry as LedgerEntry, Ledger};
use crate::output::records::{ContributionRecord, PageRecord};
use crate::output::rows::{
    contribution_records, contributions_header, finalise, page_record, FinalPage, Status,
};
use crate::output::summary::{DebugPictures, Summary};
use crate::recognize::Engines;
use crate::render::annotate::{save_png, Annotator};
use crate::slip::{read_page, Fatal, PageContext};

/// A unit of work, in input order.
enum Work {
    Page {
        file: usize,
        source: PageSource,
    },
    /// A file that yields no page (unsupported, unreadable, empty: `page` None), or a page
    /// known to be unreadable before decoding (past a break in a multi-page file).
    Rejected {
        file: usize,
        page: Option<u32>,
        rejection: Rejection,
    },
}

/// The pages of one file, as work items: sniffed and counted, none decoded.
fn list_pages(file: usize, f: &InputFile) -> Vec<Work> {
    let rejected = |page, rejection| {
        vec![Work::Rejected {
            file,
            page,
            rejection,
        }]
    };
    if let Some(error) = &f.unreadable {
        return rejected(
            None,
            Rejection::UnreadableFile {
                error: error.clone(),
            },
        );
    }
    let format = match sniff(&f.path) {
        Ok(format) => format,
        Err(rejection) => return rejected(None, rejection),
    };
    let (pages, broken) = match page_count(&f.path, format) {
        Ok(n) => (n, None),
        Err((n, error)) => (n, Some(error)),
    };
    let mut work: Vec<Work> = (1..=pages)
        .map(|page| Work::Page {
            file,
            source: PageSource { page, format },
        })
        .collect();
    if let Some(error) = broken {
        let page = (pages > 0).then_some(pages + 1);
        let error = if pages > 0 {
            format!("the pages after page {pages} cannot be read: {error}")
        } else {
            error
        };
        work.extend(rejected(page, Rejection::UnreadableFile { error }));
    }
    work
}

thread_local! {
    /// This worker's OCR engines, each created on the first zone that needs it and dropped
    /// at the end of the run.
    static ENGINES: RefCell<Engines> = RefCell::new(Engines::default());
}

fn with_engines<R>(f: impl FnOnce(&mut Engines) -> Result<R, Fatal>) -> Result<R, Fatal> {
    ENGINES.with(|cell| f(&mut cell.borrow_mut()))
}

/// Removes the answer images of a batch being replaced (`--force`).
fn remove_crops(dir: &std::path::Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "jpg") {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    Ok(())
}

pub struct RunResult {
    pub summary: Summary,
    /// The output folder's lock: whoever writes more into the folder after the run (the
    /// report) holds it until done; dropping it releases the folder.
    pub lock: crate::output::lock::OutputLock,
}

pub fn run(cfg: &ProcessConfig) -> anyhow::Result<RunResult> {
    let started = Instant::now();
    let readable_by_others = crate::output::private::prepare(&cfg.out)?;
    // Held until the run's result is dropped, or until it returns an error.
    let lock = crate::output::lock::OutputLock::acquire(&cfg.out)?;
    if let Some(note) = lock.took_over_note() {
        eprintln!("{note}");
    }
    let journal_header = journal::Header {
        urnscan_journal: journal::VERSION,
        campaign: cfg.campaign.id.clone(),
        batch: cfg.batch.clone(),
    };
    let previous = journal::load(&cfg.out)?;
    let fresh = match &previous.header {
        Some(h) if h.batch != journal_header.batch || h.campaign != journal_header.campaign => {
            if !cfg.force {
                return Err(UsageError(format!(
                    "{} holds the results of batch '{}' (campaign {}): reading batch '{}' into it would replace them. Give another --out folder, or --force to replace them.",
                    cfg.out.display(),
                    h.batch,
                    h.campaign,
                    journal_header.batch
                ))
                .into());
            }
            remove_crops(&cfg.out.join("crops"))?;
            true
        }
        _ => false,
    };
    let done = if fresh {
        HashMap::new()
    } else {
        previous.results
    };
    let journal = Journal::open(&cfg.out, &journal_header, fresh)?;

    let mut ledger = Ledger::load(&cfg.ledger)?;
    let files = discover(&cfg.inputs)?;
    // Once per file, not per page: a 300-page PDF is one fingerprint.
    let fingerprints: Vec<String> = files.iter().map(|f| fingerprint(&f.path)).collect();
    let work: Vec<Work> = files
        .iter()
        .enumerate()
        .flat_map(|(i, f)| list_pages(i, f))
        .collect();
    let key = |w: &Work| -> PageKey {
        let (file, page) = match w {
            Work::Page { file, source } => (*file, Some(source.page)),
            Work::Rejected { file, page, .. } => (*file, *page),
        };
        (
            files[file].source_name.clone(),
            page,
            fingerprints[file].clone(),
        )
    };
    let resumed = work.iter().filter(|w| done.contains_key(&key(w))).count();

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
        clean_for_ocr: cfg.clean_for_ocr,
        lines_out: cfg.lines_out.as_deref(),
        models: &cfg.models,
        print_model: cfg.print_model.as_ref(),
    };
    let results: anyhow::Result<Vec<PageResult>> = pool.install(|| {
        work.par_iter()
            .with_max_len(1)
            .map(|w| {
                // Read by an earlier run that stopped (or finished): not read again.
                if let Some(r) = done.get(&key(w)) {
                    bar.inc(1);
                    return Ok(r.clone());
                }
                let r = process(&ctx, &files, &fingerprints, w)?;
                journal.record(&r)?;
                bar.inc(1);
                Ok(r)
            })
            .collect()
    });
    // Engines must go before the process exits, or Tesseract reports its caches as leaks.
    pool.broadcast(|_| ENGINES.with(|e| drop(std::mem::take(&mut *e.borrow_mut()))));
    bar.finish_and_clear();
    let results = results?;

    let pages = finalise(&results, &ledger);
    for p in &pages {
        if let (Some(s), Status::Ok | Status::Blank) = (p.slip(), p.status) {
            ledger.record(LedgerEntry {
                serial: s.serial.clone(),
                payload: s.payload.clone(),
                source_file: p.result.source_file.clone(),
                page: p.result.page.unwrap_or(0),
                fingerprint: p.result.fingerprint.clone(),
                batch: cfg.batch.clone(),
            });
        }
    }
    let answers: Vec<ContributionRecord> = pages
        .iter()
        .flat_map(|p| contribution_records(&cfg.campaign, &cfg.batch, cfg.personal_data, p))
        .collect();
    // People's decisions from earlier reviews of this folder win over the reading.
    let corrections = Corrections::load(&cfg.out)?;
    let (contributions, not_answers) =
        decisions::split(answers.clone(), &corrections, cfg.personal_data);
    let mut page_records: Vec<PageRecord> = pages
        .iter()
        .map(|p| page_record(&cfg.campaign, p))
        .collect();
    decisions::annotate_pages(
        &mut page_records,
        &answers.iter().collect::<Vec<_>>(),
        &not_answers,
    );
    let accounting = check_accounting(
        &files,
        &work,
        &page_records,
        &pages,
        contributions.len() + not_answers.len(),
    );
    PageRecord::write_all(&cfg.out.join("pages.csv"), cfg.dialect, &page_records)?;
    let header = contributions_header(&cfg.campaign);
    ContributionRecord::write_all(
        &cfg.out.join("contributions.csv"),
        cfg.dialect,
        &header,
        &contributions,
    )?;
    let not_answers_file = cfg.out.join(decisions::NOT_ANSWERS_FILE);
    if !not_answers.is_empty() {
        ContributionRecord::write_all(&not_answers_file, cfg.dialect, &header, &not_answers)?;
    } else if not_answers_file.exists() {
        std::fs::remove_file(&not_answers_file)
            .with_context(|| format!("cannot remove {}", not_answers_file.display()))?;
    }
    ledger.save(&cfg.ledger)?;
    journal.compact(&journal_header, &results)?;
    let debug = match &cfg.debug {
        Some(dir) => Some(write_debug_pictures(
            cfg, dir, &pool, &files, &work, &pages,
        )?),
        None => None,
    };

    let mut summary = Summary::new(&pages, &contributions);
    summary.not_answers = not_answers.len();
    summary.print_identification = cfg.print_model.is_some();
    summary.accounting_errors = accounting;
    summary.resumed = resumed;
    summary.personal_data = cfg.personal_data;
    summary.campaign = cfg.campaign.id.clone();
    summary.layout = cfg.campaign.origin.clone();
    summary.checkbox_titles = cfg.campaign.checkbox_group_titles();
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
    summary.output_readable_by_others = readable_by_others;
    summary.debug = debug;
    summary.peak_rss_mib = crate::output::summary::peak_rss_mib();
    (summary.ocr_seconds, summary.ocr_lines) = crate::recognize::ocr_totals();
    summary.png_zlib_override = crate::read::tesseract_png::stored_pngs();
    summary.stage_seconds = crate::timing::totals()
        .into_iter()
        .map(|(name, s)| (name.to_string(), s))
        .collect();
    let json = serde_json::to_vec_pretty(&summary).context("cannot encode the summary")?;
    write_atomic(&cfg.out.join("summary.json"), &json)?;
    Ok(RunResult { summary, lock })
}

/// `--debug DIR`: `urnscan explain`'s picture of every page rejected or carrying an answer
/// flagged for review, decoded again (only those), in parallel. The decision drawn is the
/// run's own outcome for the page. A file that gave no page at all has nothing to draw.
fn write_debug_pictures(
    cfg: &ProcessConfig,
    dir: &std::path::Path,
    pool: &rayon::ThreadPool,
    files: &[InputFile],
    work: &[Work],
    pages: &[FinalPage],
) -> anyhow::Result<DebugPictures> {
    crate::output::private::create_private_dir_all(dir)
        .with_context(|| format!("cannot create the --debug folder {}", dir.display()))?;
    let annotator = Annotator::new()?;
    // `pages` are the work items' results, in the same order.
    let mut names = std::collections::HashSet::new();
    let chosen: Vec<(&InputFile, &PageSource, &Outcome, String)> = work
        .iter()
        .zip(pages)
        .filter_map(|(w, p)| {
            let Work::Page { file, source } = w else {
                return None;
            };
            let wanted = match p.status {
                Status::Rejected => true,
                Status::Ok => crate::explain::set_aside_or_flagged(&p.result.outcome),
                Status::Blank | Status::Duplicate | Status::Conflict => false,
            };
            wanted.then_some((&files[*file], source, &p.result.outcome))
        })
        .map(|(f, source, outcome)| {
            // Two files may sanitise to one name ("a b.jpg", "a_b.jpg"): numbered apart.
            let first = picture_name(&f.source_name, source.page);
            let mut name = first.clone();
            let mut n = 2;
            while !names.insert(name.clone()) {
                name = format!("{}-{n}.png", first.trim_end_matches(".png"));
                n += 1;
            }
            (f, source, outcome, name)
        })
        .collect();
    pool.install(|| {
        chosen
            .par_iter()
            .with_max_len(1)
            .try_for_each(|(f, source, outcome, name)| {
                let title = format!("{} page {}", f.source_name, source.page);
                let ex = explain_page(
                    &cfg.campaign,
                    cfg.print_model.as_ref(),
                    &f.path,
                    &title,
                    source,
                    outcome,
                );
                save_png(&annotator.draw(&ex), &dir.join(name))
            })
    })?;
    Ok(DebugPictures {
        folder: dir.display().to_string(),
        pictures: chosen.len(),
    })
}

/// Checks that nothing was lost or counted twice on the way from files to rows: every work
/// item is one pages.csv row, every file has a row, every answer of a page with status ok
/// is one contribution. A failure is a bug in urnscan, reported with exit code 4.
fn check_accounting(
    files: &[InputFile],
    work: &[Work],
    page_records: &[PageRecord],
    pages: &[FinalPage],
    contributions: usize,
) -> Vec<String> {
    let mut errors = Vec::new();
    if page_records.len() != work.len() {
        errors.push(format!(
            "{} pages to read but {} rows in pages.csv",
            work.len(),
            page_records.len()
        ));
    }
    let named: std::collections::HashSet<&str> = page_records
        .iter()
        .map(|r| r.source_file.as_str())
        .collect();
    for f in files {
        if !named.contains(f.source_name.as_str()) {
            errors.push(format!("{} has no row in pages.csv", f.source_name));
        }
    }
    let answers: usize = pages
        .iter()
        .filter(|p| p.status == Status::Ok)
        .filter_map(|p| p.slip())
        .map(|s| s.answers.len())
        .sum();
    if answers != contributions {
        errors.push(format!(
            "{answers} answers read but {contributions} contributions written"
        ));
    }
    errors
}

fn process(
    ctx: &PageContext,
    files: &[InputFile],
    fingerprints: &[String],
    w: &Work,
) -> anyhow::Result<PageResult> {
    match w {
        Work::Rejected {
            file,
            page,
            rejection,
        } => Ok(PageResult {
            source_file: files[*file].source_name.clone(),
            page: *page,
            fingerprint: String::new(),
            outcome: Outcome::Rejected(rejection.clone()),
        }),
        Work::Page { file, source } => {
            let f = &files[*file];
            // One page that trips a bug (in urnscan or a decoder) must not take the batch
            // down: it becomes a row saying so, and the worker gets a fresh engine.
            let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                with_engines(|engines| read_page(ctx, &f.path, &f.source_name, source, engines))
            }));
            let outcome = match attempt {
                Ok(result) => result.with_context(|| {
                    format!(
                        "stopped while reading {} page {}",
                        f.source_name, source.page
                    )
                })?,
                Err(panic) => {
                    ENGINES.with(|e| drop(std::mem::take(&mut *e.borrow_mut())));
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown failure".into());
                    Outcome::Rejected(Rejection::UnreadableFile {
                        error: format!("urnscan failed on this page ({what}); this is a bug, please report it with the file"),
                    })
                }
            };
            Ok(PageResult {
                source_file: f.source_name.clone(),
                page: Some(source.page),
                fingerprint: fingerprints[*file].clone(),
                outcome,
            })
        }
    }
}
