//! The `urnscan` binary: parse the command line, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

use urnscan::cli::{Cli, Command, ExportCommand, FormsCommand, LayoutCommand, ReviewCommand};
use urnscan::config::{load_campaign, model_choice, process_config, UsageError};
use urnscan::pipeline;

/// Exit codes, documented in `--help` and the README.
#[derive(Debug, Clone, Copy)]
enum Exit {
    Ok = 0,
    Rejected = 1,
    Usage = 2,
    Io = 3,
    Internal = 4,
}

fn main() -> ExitCode {
    ensure_single_threaded_tesseract();
    quiet_on_closed_pipe();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(err) => {
            eprintln!("urnscan: error: {err:#}");
            if let Some(advice) = advice(&err) {
                eprintln!("  → {advice}");
            }
            let code = if err.downcast_ref::<UsageError>().is_some() {
                Exit::Usage
            } else {
                Exit::Io
            };
            ExitCode::from(code as u8)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Layout {
            command: LayoutCommand::Check { dir },
        } => {
            let c = load_campaign(Some(&dir))?;
            model_choice(&c, None, None)?;
            let zones: usize = c.forms.iter().map(|f| f.zones.len()).sum();
            println!(
                "{}: campaign '{}' is valid: {} form(s) ({}), {} zone(s), {} question(s), {} urn(s)",
                dir.display(),
                c.id,
                c.forms.len(),
                c.forms.iter().map(|f| f.id.as_str()).collect::<Vec<_>>().join(", "),
                zones,
                c.questions.len(),
                c.urns.len()
            );
            Ok(Exit::Ok)
        }
        Command::Generate {
            out,
            count,
            seed,
            sample,
            pdf,
            lines,
            handwriting,
        } => {
            if lines {
                let n = urnscan::render::generate_lines(&out, count, seed)?;
                println!("urnscan generate: {n} line(s) in {}", out.display());
                return Ok(Exit::Ok);
            }
            let campaign = load_campaign(None)?;
            let r = urnscan::render::generate(
                &campaign,
                &urnscan::render::GenerateOptions {
                    out: out.clone(),
                    count,
                    seed,
                    sample_mix: sample,
                    pdf,
                    handwriting,
                },
            )?;
            println!("urnscan generate: {} page(s) in {}", r.pages, out.display());
            Ok(Exit::Ok)
        }
        Command::Review {
            command:
                ReviewCommand::Export {
                    out,
                    sheet,
                    all,
                    force,
                },
        } => {
            let (path, n) = urnscan::handoff::review::export(&out, sheet.as_deref(), all, force)?;
            println!(
                "urnscan review: {n} answer(s) to check in {}: fill corrected_text, then run \
                 urnscan review apply {} {}",
                path.display(),
                out.display(),
                path.display()
            );
            Ok(Exit::Ok)
        }
        Command::Review {
            command: ReviewCommand::Apply { out, sheet },
        } => {
            let a = urnscan::handoff::review::apply(&out, &sheet)?;
            // The report shows the corrected text from now on.
            urnscan::output::report::write(&out)?;
            println!(
                "urnscan review: {} correction(s) applied ({} row(s) left empty); {} in all in {}",
                a.corrected,
                a.left_empty,
                a.total,
                out.join("contributions.csv").display()
            );
            Ok(Exit::Ok)
        }
        Command::Export {
            command:
                ExportCommand::Decidim {
                    out,
                    to,
                    mapping,
                    locale,
                    include_unreviewed,
                },
        } => {
            use urnscan::handoff::decidim;
            let mapping = mapping.as_deref().map(decidim::Mapping::load).transpose()?;
            let file = to.unwrap_or_else(|| out.join("decidim-proposals.csv"));
            let e = decidim::export(
                &out,
                &file,
                &decidim::Options {
                    mapping: mapping.as_ref(),
                    locale: &locale,
                    include_unreviewed,
                },
            )?;
            println!(
                "urnscan export: {} proposal(s) in {} ({} held back until reviewed, {} without text)",
                e.proposals,
                file.display(),
                e.held_back,
                e.empty
            );
            if mapping.is_none() {
                eprintln!(
                    "urnscan export: no --mapping: scope/id, category/id and taxonomies/ids are \
                     empty (Decidim imports the proposals without scope, category or taxonomy)"
                );
            }
            Ok(Exit::Ok)
        }
        Command::Forms {
            command: FormsCommand::Print(args),
        } => {
            let campaign = load_campaign(args.layout.as_deref())?;
            let job = urnscan::render::print::plan(&campaign, &args)?;
            let r = urnscan::render::print::print(&campaign, &job)?;
            println!(
                "urnscan forms print: {} form(s) {} (urn {}, question {}, serials {}) in {}: {}, {:.1} s",
                r.pages,
                job.form.id,
                job.urn_id,
                job.qr_question,
                job.serials,
                job.out.display(),
                r.size(),
                r.elapsed.as_secs_f64()
            );
            Ok(Exit::Ok)
        }
        Command::Ocr(args) => {
            urnscan::ocr_command::run(&args)?;
            Ok(Exit::Ok)
        }
        Command::Report { out } => {
            let w = urnscan::output::report::write(&out)?;
            println!(
                "urnscan report: {} ({} contribution(s), {} to review)",
                out.join(urnscan::output::report::REPORT_FILE).display(),
                w.contributions,
                w.needs_review
            );
            Ok(Exit::Ok)
        }
        Command::Evaluate { out, truth, json } => {
            let r = urnscan::eval::compare(&out, &truth)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "pages in pages.csv exactly once: {}/{}",
                    r.pages - r.pages_not_once.len(),
                    r.pages
                );
                println!(
                    "page status right:               {}/{}",
                    r.pages_status_right, r.pages
                );
                println!(
                    "slips identified exactly:        {}/{} (form, question, urn, serial)",
                    r.slips_identified, r.slips
                );
                println!(
                    "orientation right:               {}/{}",
                    r.orientations_right, r.orientations
                );
                println!(
                    "contributions found:             {}/{} (unexpected: {})",
                    r.found_contributions,
                    r.expected_contributions,
                    r.unexpected_contributions.len()
                );
                println!(
                    "CER median {:.3}, mean {:.3} over {} answers",
                    r.cer_median,
                    r.cer_mean,
                    r.cer.len()
                );
                println!(
                    "checkbox groups right:           {}/{}",
                    r.checkbox_groups_right, r.checkbox_groups
                );
                let g = &r.routing;
                println!(
                    "review flag: recall {:.1} % ({}/{} answers with CER > {} flagged), precision {:.1} % ({}/{} flagged answers with CER > {})",
                    100.0 * g.recall,
                    g.bad_flagged,
                    g.bad,
                    urnscan::eval::BAD_CER,
                    100.0 * g.precision,
                    g.flagged_wrong,
                    g.flagged,
                    urnscan::eval::WRONG_CER
                );
                println!("pages read right (status, identity, orientation) per case:");
                for (case, (right, total)) in &r.by_case {
                    println!("  {case:<30} {right}/{total}");
                }
            }
            Ok(Exit::Ok)
        }
        Command::Process(args) => {
            let cfg = process_config(&args)?;
            let result = pipeline::run(&cfg)?;
            let s = &result.summary;
            if args.json {
                println!("{}", serde_json::to_string_pretty(s)?);
            } else {
                let qids: Vec<String> = cfg
                    .campaign
                    .questions
                    .iter()
                    .map(|q| q.id.clone())
                    .collect();
                print!("{}", s.to_text(&qids));
            }
            if !s.balanced() {
                eprintln!(
                    "urnscan: internal error: the page accounting does not balance ({}); this is a bug, please report it",
                    s.accounting_errors.join("; ")
                );
                return Ok(Exit::Internal);
            }
            Ok(if s.rejected > 0 {
                Exit::Rejected
            } else {
                Exit::Ok
            })
        }
    }
}

/// Tesseract's OpenMP threads would fight the workers (a zone took 580 ms instead of 78 ms
/// when they did). libgomp reads OMP_THREAD_LIMIT once, when the library is loaded, which is
/// before `main`: setting it from here has no effect on this process. So when it is not set,
/// the program runs itself again with it set. Nobody has to know the variable exists.
/// What an agent can do about a failure of the output disk, in plain words.
fn advice(err: &anyhow::Error) -> Option<&'static str> {
    let io = err
        .chain()
        .find_map(|cause| cause.downcast_ref::<std::io::Error>())?;
    match io.raw_os_error() {
        Some(libc::ENOSPC) | Some(libc::EDQUOT) => Some(
            "the disk is full: free some space, then run the same command again (the pages already read are kept in the output folder's journal and are not read again)",
        ),
        Some(libc::EROFS) | Some(libc::EACCES) | Some(libc::EPERM) => Some(
            "urnscan may not write there: give an output folder you can write to (--out), or ask for the rights on this one",
        ),
        _ => None,
    }
}

/// `urnscan evaluate OUT | head` must end quietly when `head` stops reading, as other Unix
/// tools do, not panic in println!: restore the default SIGPIPE action that Rust's runtime
/// sets to "ignore".
fn quiet_on_closed_pipe() {
    urnscan::sys::restore_default_sigpipe();
}

fn ensure_single_threaded_tesseract() {
    if std::env::var_os("OMP_THREAD_LIMIT").is_some() {
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        if let Ok(exe) = std::env::current_exe() {
            let err = std::process::Command::new(exe)
                .args(std::env::args_os().skip(1))
                .env("OMP_THREAD_LIMIT", "1")
                .exec();
            // exec only returns on failure: carry on, slower but correct.
            eprintln!("urnscan: warning: could not restart with OMP_THREAD_LIMIT=1 ({err}); OCR may be slow");
        }
    }
}
