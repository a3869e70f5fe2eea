//! Configuration: from what the agent asked to checked settings, defaults filled in, the
//! campaign loaded, nonsense refused (as a `UsageError`, exit code 2) before any page is
//! read. The command line is the binary's; what it asks arrives here as plain values.

use std::path::PathBuf;

use anyhow::{bail, Context};

use crate::campaign::Campaign;
use crate::error::UsageError;
use crate::output::csvfile::Dialect;
use crate::output::rows::PersonalData;
use crate::recognize::{ModelChoice, OcrModel, Recognizer};

/// What the agent asked of `process`, as given: `process_config` checks it.
#[derive(Debug, Clone)]
pub struct ProcessRequest {
    /// Scanned files or folders.
    pub inputs: Vec<PathBuf>,
    pub out: PathBuf,
    /// The batch's label (default: the input folder's name).
    pub batch: Option<String>,
    /// Pages read in parallel (default: the number of CPU cores).
    pub jobs: Option<usize>,
    /// Campaign layout folder (default: the built-in campaign).
    pub layout: Option<PathBuf>,
    /// One model for every text zone, instead of each zone's own.
    pub ocr_model: Option<String>,
    /// Folder where model names are looked up.
    pub tessdata: Option<PathBuf>,
    pub force: bool,
    pub personal_data: PersonalData,
    /// A serial ledger shared by several output folders (default: the output folder's own).
    pub ledger: Option<PathBuf>,
    pub dialect: Dialect,
    pub progress: bool,
    pub clean_for_ocr: bool,
    /// A folder for a picture of every page set aside or flagged (`--debug`).
    pub debug: Option<PathBuf>,
    /// A folder for every answer line as the recognizer is given it (`--lines-out`).
    pub lines_out: Option<PathBuf>,
}

/// Everything `process` needs, already checked.
#[derive(Debug, Clone)]
pub struct ProcessConfig {
    pub inputs: Vec<PathBuf>,
    pub out: PathBuf,
    pub batch: String,
    pub jobs: usize,
    pub campaign: Campaign,
    pub models: ModelChoice,
    pub dialect: Dialect,
    pub progress: bool,
    /// True only to measure what cleaning the OCR's pixels would buy (`--clean-ocr`).
    pub clean_for_ocr: bool,
    /// Replace the results of another batch in `out`.
    pub force: bool,
    /// Mask phone numbers and e-mail addresses in contributions.csv, or keep them.
    pub personal_data: PersonalData,
    /// The serial ledger: `out/serials.csv`, or a file several output folders share.
    pub ledger: PathBuf,
    /// Tesseract's print model, for identifying pages whose QR code is unreadable (None
    /// when it is not installed: those pages stay `no_qr`).
    pub print_model: Option<OcrModel>,
    /// Where to draw every page rejected or carrying a flagged answer (`urnscan explain`'s
    /// picture), after the run.
    pub debug: Option<PathBuf>,
    /// Where to write every answer line as the recognizer is given it, named after the
    /// answer's crop (`<crop>.<line>.png`): training lines that went through the slip's
    /// own path (scan, crop, cleaning, line finding).
    pub lines_out: Option<PathBuf>,
}

pub fn load_campaign(layout: Option<&std::path::Path>) -> Result<Campaign, UsageError> {
    match layout {
        Some(dir) => {
            Campaign::load(dir).map_err(|e| UsageError(format!("invalid campaign layout: {e}")))
        }
        None => Campaign::builtin()
            .map_err(|e| UsageError(format!("built-in campaign is invalid (a bug): {e}"))),
    }
}

/// The model of every text zone of `campaign`, found and loaded once (or a usage error
/// naming the missing or damaged one): `forced` for all zones when given, else each zone's
/// own.
pub fn model_choice(
    campaign: &Campaign,
    forced: Option<&str>,
    tessdata: Option<&std::path::Path>,
) -> Result<ModelChoice, UsageError> {
    let zone_models = campaign
        .forms
        .iter()
        .flat_map(|f| f.text_zones().map(|z| z.model.clone()).collect::<Vec<_>>());
    let choice =
        ModelChoice::new(forced, zone_models, tessdata).map_err(|e| UsageError(e.to_string()))?;
    for model in choice.models() {
        drop(Recognizer::new(model).map_err(|e| UsageError(e.to_string()))?);
        if *model == (OcrModel::Htr { lexicon: true }) && !crate::recognize::htr::has_word_list() {
            // Not an error: the network reads on its own, a little less well.
            eprintln!(
                "urnscan: the French word list {} is missing (Debian package wfrench): \
                 handwriting is read without it, a little less well",
                crate::recognize::lexicon::DEBIAN_WORD_LIST
            );
        }
    }
    Ok(choice)
}

pub fn process_config(args: &ProcessRequest) -> anyhow::Result<ProcessConfig> {
    let campaign = load_campaign(args.layout.as_deref())?;
    let jobs = match args.jobs {
        Some(0) => return Err(UsageError("--jobs must be at least 1".into()).into()),
        Some(n) => n,
        None => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
    };
    if args.inputs.is_empty() {
        return Err(UsageError("give at least one scanned file or folder".into()).into());
    }
    for input in &args.inputs {
        if !input.exists() {
            return Err(UsageError(format!("input '{}' does not exist", input.display())).into());
        }
    }
    check_out_apart_from_inputs("output folder", &args.out, &args.inputs)?;
    if let Some(debug) = &args.debug {
        if debug.exists() && !debug.is_dir() {
            bail!(UsageError(format!(
                "--debug '{}' exists and is not a folder",
                debug.display()
            )));
        }
        // Its pictures would be read as scans by the next run.
        check_out_apart_from_inputs("--debug folder", debug, &args.inputs)?;
        // The pictures' legend needs the fonts: said now, not after the run.
        crate::render::annotate::Annotator::new()
            .map_err(|e| UsageError(format!("--debug: {e:#}")))?;
    }
    if let Some(dir) = &args.lines_out {
        // Its lines would be read as scans by the next run.
        check_out_apart_from_inputs("--lines-out folder", dir, &args.inputs)?;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create folder {}", dir.display()))?;
    }
    let ledger = match &args.ledger {
        Some(l) => {
            if l.is_dir() {
                bail!(UsageError(format!(
                    "--ledger '{}' is a folder: give the ledger file (e.g. serials.csv)",
                    l.display()
                )));
            }
            if let Some(parent) = l.parent().filter(|p| !p.as_os_str().is_empty()) {
                if !parent.is_dir() {
                    bail!(UsageError(format!(
                        "the folder of --ledger '{}' does not exist",
                        l.display()
                    )));
                }
            }
            let abs = resolved(l);
            if let Some(input) = args.inputs.iter().find(|i| {
                let i = resolved(i);
                i.is_dir() && abs.starts_with(&i)
            }) {
                bail!(UsageError(format!(
                    "--ledger '{}' is inside the input folder '{}': keep it outside the scans",
                    l.display(),
                    input.display()
                )));
            }
            l.clone()
        }
        None => args.out.join(crate::output::ledger::FILE),
    };
    if args.out.exists() && !args.out.is_dir() {
        bail!(UsageError(format!(
            "--out '{}' exists and is not a folder",
            args.out.display()
        )));
    }
    let models = model_choice(
        &campaign,
        args.ocr_model.as_deref(),
        args.tessdata.as_deref(),
    )?;
    let print_model = print_model(args.tessdata.as_deref());
    let batch = match &args.batch {
        Some(b) => b.clone(),
        None => default_batch(&args.inputs[0]).context("cannot name the batch: give --batch")?,
    };
    Ok(ProcessConfig {
        inputs: args.inputs.clone(),
        out: args.out.clone(),
        batch,
        jobs,
        campaign,
        models,
        dialect: args.dialect,
        progress: args.progress,
        clean_for_ocr: args.clean_for_ocr,
        force: args.force,
        personal_data: args.personal_data,
        ledger,
        print_model,
        debug: args.debug.clone(),
        lines_out: args.lines_out.clone(),
    })
}

/// Tesseract's print model for the campaign's printed text (`PRINT_MODEL`), when it is
/// installed and loads.
pub fn print_model(tessdata: Option<&std::path::Path>) -> Option<OcrModel> {
    let model = OcrModel::resolve(crate::recognize::PRINT_MODEL, tessdata).ok()?;
    Recognizer::new(&model).ok().map(|_| model)
}

/// The path as the file system resolves it (links followed) when it exists, else made
/// absolute as written.
fn resolved(p: &std::path::Path) -> std::path::PathBuf {
    p.canonicalize()
        .or_else(|_| std::path::absolute(p))
        .unwrap_or_else(|_| p.to_path_buf())
}

/// The output folder (or the `--debug` one: `what`) must not lie inside a scanned folder (its
/// crops would be read as scans on the next run) and no input may lie inside it (its files
/// would be mistaken for urnscan's own).
fn check_out_apart_from_inputs(
    what: &str,
    out: &std::path::Path,
    inputs: &[std::path::PathBuf],
) -> Result<(), UsageError> {
    let out_abs = resolved(out);
    for input in inputs {
        let in_abs = resolved(input);
        if in_abs.is_dir() && out_abs.starts_with(&in_abs) {
            return Err(UsageError(format!(
                "the {what} '{}' is inside the input folder '{}': choose a folder outside the scans",
                out.display(),
                input.display()
            )));
        }
        if in_abs.starts_with(&out_abs) {
            return Err(UsageError(format!(
                "the input '{}' is inside the {what} '{}': choose another folder",
                input.display(),
                out.display()
            )));
        }
    }
    Ok(())
}

/// The input folder's name (for a file, its folder's name).
fn default_batch(input: &std::path::Path) -> Option<String> {
    let abs = input.canonicalize().ok()?;
    let dir = if abs.is_dir() {
        abs
    } else {
        abs.parent()?.to_path_buf()
    };
    dir.file_name().map(|n| n.to_string_lossy().into_owned())
}
