//! Recognition: a prepared line of writing in (`read::prepare`), its text and word
//! confidences out. Two recognizers sit behind `Recognizer`: Tesseract (`tesseract`: the
//! built-in `fra_hw` handwriting model or any `.traineddata`, e.g. Debian's print models)
//! and urnscan's own network (`htr`, built in). Which one reads a zone is the layout's
//! setting, `--ocr-model` overrides it (`ModelChoice`).

pub mod htr;
pub mod lexicon;
pub mod tesseract;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use image::GrayImage;

use crate::read::prepare::PreparedLine;
pub use tesseract::{BUILTIN_MODEL, DEBIAN_TESSDATA};

/// The model that reads a zone whose layout names none, and `urnscan ocr`'s: urnscan's own
/// network. On writers no model trained on it reads lines as well as Tesseract's `fra_hw`
/// and their answers on slips better, print and capitals as well as Debian's `fra`, in half
/// the time (docs/handwriting-model.md).
pub const DEFAULT_MODEL: &str = "htr";

/// Tesseract's model for printed French (Debian's tesseract-ocr-fra): it reads the forms'
/// own printed text when a QR code is unreadable (`locate::identify_from_print`).
pub const PRINT_MODEL: &str = "fra";

/// A model, found: Tesseract's built-in handwriting model, a `<lang>.traineddata` in a
/// folder, or urnscan's own network.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OcrModel {
    Builtin,
    File {
        dir: PathBuf,
        lang: String,
    },
    /// urnscan's network; `lexicon`: decoded with the French character model.
    Htr {
        lexicon: bool,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("the Tesseract model '{lang}' is not in {dir} (no {lang}.traineddata there). On Debian or Ubuntu: sudo apt-get install tesseract-ocr-{lang}; or give the folder holding it with --tessdata, or the file itself")]
    ModelMissing { lang: String, dir: String },
    #[error("could not load the model '{model}': the file may be damaged or from an incompatible version")]
    InitFailed { model: String },
    #[error("the recognizer refused the image: {0}")]
    Image(String),
    #[error("the recognizer failed on the zone: {0}")]
    Recognise(String),
}

/// Debian and Ubuntu put models under /usr/share/tesseract-ocr/<version>/tessdata (5 on
/// Debian 12 and Ubuntu 24.04, 4.00 on Ubuntu 22.04): the first that holds the model wins.
fn find_system_tessdata(language: &str) -> PathBuf {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/share/tesseract-ocr")
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .map(|e| e.path().join("tessdata"))
                .collect()
        })
        .unwrap_or_default();
    candidates.sort();
    candidates.reverse();
    candidates
        .into_iter()
        .find(|d| d.join(format!("{language}.traineddata")).is_file())
        .unwrap_or_else(|| PathBuf::from(DEBIAN_TESSDATA))
}

impl OcrModel {
    /// Finds the model a user or a layout names: `htr` (urnscan's network, built in),
    /// `fra_hw` (Tesseract's, built in), a path to a `.traineddata` file, or a language
    /// name looked up in `tessdata` (else TESSDATA_PREFIX, else the system's folder).
    /// Checks the file is there, for a message better than Tesseract's.
    pub fn resolve(name: &str, tessdata: Option<&Path>) -> Result<OcrModel, OcrError> {
        let model = if name == htr::MODEL_NAME {
            OcrModel::Htr { lexicon: true }
        } else if name == htr::GREEDY_MODEL_NAME {
            OcrModel::Htr { lexicon: false }
        } else if name == BUILTIN_MODEL {
            OcrModel::Builtin
        } else if name.ends_with(".traineddata") || name.contains(std::path::MAIN_SEPARATOR) {
            let path = Path::new(name);
            let lang = path
                .file_name()
                .map(|f| {
                    f.to_string_lossy()
                        .trim_end_matches(".traineddata")
                        .to_string()
                })
                .unwrap_or_default();
            let dir = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            OcrModel::File { dir, lang }
        } else {
            let dir = tessdata
                .map(Path::to_path_buf)
                .or_else(|| std::env::var_os("TESSDATA_PREFIX").map(PathBuf::from))
                .unwrap_or_else(|| find_system_tessdata(name));
            OcrModel::File {
                dir,
                lang: name.to_string(),
            }
        };
        if let OcrModel::File { dir, lang } = &model {
            if !dir.join(format!("{lang}.traineddata")).is_file() {
                return Err(OcrError::ModelMissing {
                    lang: lang.clone(),
                    dir: dir.display().to_string(),
                });
            }
        }
        Ok(model)
    }

    /// How the model is named in messages and in summary.json.
    pub fn label(&self) -> String {
        match self {
            OcrModel::Builtin => format!("{BUILTIN_MODEL} (built in)"),
            OcrModel::File { dir, lang } => dir
                .join(format!("{lang}.traineddata"))
                .display()
                .to_string(),
            OcrModel::Htr { lexicon: true } => format!("{} (built in)", htr::MODEL_NAME),
            OcrModel::Htr { lexicon: false } => {
                format!("{} (built in)", htr::GREEDY_MODEL_NAME)
            }
        }
    }
}

/// Time spent inside the recognizers (image in, text out) by all engines of this process,
/// and how many images they were given: the floor the benchmark compares a whole run with.
static OCR_NANOS: AtomicU64 = AtomicU64::new(0);
static OCR_CALLS: AtomicU64 = AtomicU64::new(0);

/// (seconds spent in the recognizers, images recognised) so far, all workers together.
pub fn ocr_totals() -> (f64, u64) {
    (
        OCR_NANOS.load(Ordering::Relaxed) as f64 / 1e9,
        OCR_CALLS.load(Ordering::Relaxed),
    )
}

fn timed<T>(f: impl FnOnce() -> T) -> T {
    let started = std::time::Instant::now();
    let r = f();
    OCR_NANOS.fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
    OCR_CALLS.fetch_add(1, Ordering::Relaxed);
    r
}

/// What a recognizer read in one image.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrText {
    pub text: String,
    /// Mean word confidence, 0–100; 0 when no word was read.
    pub confidence: f32,
    pub word_confidences: Vec<i32>,
    /// Lines of writing read as far fewer characters than their length holds (a line read
    /// as "a nn a." where a sentence is written): the mean confidence can stay high when the
    /// other lines are read well.
    pub sparse_lines: usize,
    /// Why the recognizer read nothing, when it failed on this image.
    pub failure: Option<String>,
}

/// One recognizer of one worker: a prepared line in, text and word confidences out.
pub enum Recognizer {
    Tesseract(tesseract::TesseractEngine),
    Htr(htr::HtrEngine),
}

impl Recognizer {
    pub fn new(model: &OcrModel) -> Result<Recognizer, OcrError> {
        Ok(match model {
            OcrModel::Htr { lexicon } => Recognizer::Htr(htr::HtrEngine::new(*lexicon)?),
            _ => Recognizer::Tesseract(tesseract::TesseractEngine::new(model)?),
        })
    }

    /// Reads one prepared line (`line` at `dpi`).
    pub fn read_line(&mut self, line: &GrayImage, dpi: u32) -> Result<OcrText, OcrError> {
        timed(|| match self {
            Recognizer::Tesseract(engine) => engine.read_line(line, dpi),
            Recognizer::Htr(engine) => engine.read_line(line),
        })
    }

    /// The line exactly as this recognizer's model is given it (`urnscan ocr --lines-out`).
    pub fn model_input(model: &OcrModel, line: &GrayImage) -> GrayImage {
        match model {
            OcrModel::Htr { .. } => htr::model_input(line),
            _ => line.clone(),
        }
    }
}

/// A line of writing at least this long (mm) is checked for `sparse_lines`.
const SPARSE_LINE_MIN_MM: f64 = 25.0;
/// Handwriting takes 2-4 mm per character; a reading with fewer than one character per this
/// many mm of the line's ink has lost words.
const SPARSE_LINE_MM_PER_CHAR: f64 = 10.0;

/// Which model reads which zone: `--ocr-model` for every zone when given, else the zone's
/// own `model` from the layout, else the default model. Resolved once, before any page is
/// read, so that a missing model stops the run with its name.
#[derive(Debug, Clone)]
pub struct ModelChoice {
    forced: Option<OcrModel>,
    by_name: HashMap<String, OcrModel>,
}

impl ModelChoice {
    pub fn new(
        forced: Option<&str>,
        zone_models: impl IntoIterator<Item = Option<String>>,
        tessdata: Option<&Path>,
    ) -> Result<ModelChoice, OcrError> {
        let forced = forced
            .map(|name| OcrModel::resolve(name, tessdata))
            .transpose()?;
        let mut by_name = HashMap::new();
        if forced.is_none() {
            for name in zone_models {
                let name = name.unwrap_or_else(|| DEFAULT_MODEL.to_string());
                if let std::collections::hash_map::Entry::Vacant(slot) = by_name.entry(name) {
                    let model = OcrModel::resolve(slot.key(), tessdata)?;
                    slot.insert(model);
                }
            }
        }
        Ok(ModelChoice { forced, by_name })
    }

    /// The model for a zone whose layout names `zone_model`.
    pub fn for_zone(&self, zone_model: Option<&str>) -> &OcrModel {
        if let Some(m) = &self.forced {
            return m;
        }
        self.by_name
            .get(zone_model.unwrap_or(DEFAULT_MODEL))
            .unwrap_or(&OcrModel::Htr { lexicon: true })
    }

    /// Every model a run may use (to load each once before the first page).
    pub fn models(&self) -> Vec<&OcrModel> {
        match &self.forced {
            Some(m) => vec![m],
            None => self.by_name.values().collect(),
        }
    }
}

/// One worker's recognizers, one per model, each created the first time a zone needs it.
#[derive(Default)]
pub struct Engines {
    by_model: HashMap<OcrModel, Recognizer>,
}

impl Engines {
    pub fn get(&mut self, model: &OcrModel) -> Result<&mut Recognizer, OcrError> {
        if !self.by_model.contains_key(model) {
            let engine = Recognizer::new(model)?;
            self.by_model.insert(model.clone(), engine);
        }
        self.by_model
            .get_mut(model)
            .ok_or_else(|| OcrError::InitFailed {
                model: model.label(),
            })
    }
}

/// A prepared line that `--lines-out` could not write.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the prepared line {}", path.display())]
pub struct LineWriteError {
    pub path: PathBuf,
    #[source]
    pub error: image::ImageError,
}

/// Writes prepared lines exactly as `model` is given them, `DIR/<stem>.<n>.png` top to
/// bottom (`ocr --lines-out` and `process --lines-out`: the lines a network trains on).
pub fn write_model_inputs(
    model: &OcrModel,
    lines: &[PreparedLine],
    dir: &Path,
    stem: &str,
) -> Result<(), LineWriteError> {
    for (n, line) in lines.iter().enumerate() {
        let path = dir.join(format!("{stem}.{n}.png"));
        Recognizer::model_input(model, &line.image)
            .save(&path)
            .map_err(|error| LineWriteError { path, error })?;
    }
    Ok(())
}

/// Reads prepared lines. Lines are joined with newlines; the confidence is the mean over
/// every word read.
pub fn read_lines(engine: &mut Recognizer, lines: &[PreparedLine]) -> Result<OcrText, OcrError> {
    let mut texts = Vec::new();
    let mut word_confidences = Vec::new();
    let mut sparse_lines = 0;
    for line in lines {
        let read = engine.read_line(&line.image, line.dpi)?;
        let text = read.text.trim();
        let chars = text.chars().filter(|c| !c.is_whitespace()).count();
        if line.width_mm >= SPARSE_LINE_MIN_MM
            && (chars as f64) < line.width_mm / SPARSE_LINE_MM_PER_CHAR
        {
            sparse_lines += 1;
        }
        if !text.is_empty() {
            texts.push(text.to_string());
        }
        word_confidences.extend(read.word_confidences);
    }
    Ok(OcrText {
        text: texts.join("\n"),
        confidence: mean_confidence(&word_confidences),
        word_confidences,
        sparse_lines,
        failure: None,
    })
}

fn mean_confidence(words: &[i32]) -> f32 {
    if words.is_empty() {
        0.0
    } else {
        words.iter().sum::<i32>() as f32 / words.len() as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_resolve_to_the_built_in_models_a_file_or_a_tessdata_name() {
        assert_eq!(
            OcrModel::resolve("fra_hw", None).unwrap(),
            OcrModel::Builtin
        );
        assert_eq!(
            OcrModel::resolve("htr", None).unwrap(),
            OcrModel::Htr { lexicon: true }
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mine.traineddata"), b"x").unwrap();
        let by_path = dir.path().join("mine.traineddata");
        let expected = OcrModel::File {
            dir: dir.path().to_path_buf(),
            lang: "mine".into(),
        };
        assert_eq!(
            OcrModel::resolve(&by_path.display().to_string(), None).unwrap(),
            expected
        );
        assert_eq!(
            OcrModel::resolve("mine", Some(dir.path())).unwrap(),
            expected
        );
        match OcrModel::resolve("klingon", Some(dir.path())) {
            Err(OcrError::ModelMissing { lang, .. }) => assert_eq!(lang, "klingon"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn forced_model_wins_over_every_zone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("print.traineddata"), b"x").unwrap();
        let zones = [None, Some("print".to_string())];
        let free = ModelChoice::new(None, zones.clone(), Some(dir.path())).unwrap();
        assert_eq!(free.for_zone(None), &OcrModel::Htr { lexicon: true });
        assert_ne!(free.for_zone(Some("print")), &OcrModel::Builtin);
        assert_eq!(free.models().len(), 2);
        let forced = ModelChoice::new(Some("fra_hw"), zones, Some(dir.path())).unwrap();
        assert_eq!(forced.for_zone(Some("print")), &OcrModel::Builtin);
        assert_eq!(forced.models().len(), 1);
        assert!(ModelChoice::new(None, [Some("nope".to_string())], Some(dir.path())).is_err());
    }
}
