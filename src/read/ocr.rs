//! The one place urnscan talks to Tesseract (libtesseract's C API through the `tesseract`
//! crate's plumbing). Everything else sees `OcrEngine::read`: a grey image in, text and
//! confidences out.
//!
//! Zones are read line by line (`read_zone`, lines from `lines`), each line as one raw line:
//! that is how the built-in handwriting model was trained. The model is built into the
//! binary (no file to install, nothing downloaded); any other `.traineddata` can be named.
//!
//! An engine is expensive to create (about 45 ms to load a model) and not safe to share
//! between threads while it recognises, so the pipeline keeps one per model and worker.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use tesseract::plumbing::tesseract_sys::TessOcrEngineMode_OEM_LSTM_ONLY;
use tesseract::plumbing::TessBaseApi;
use tesseract::PageSegMode;

use image::GrayImage;

use super::lines::{find_lines, line_image};
use super::straighten::straighten;

/// Where Debian's tesseract-ocr packages put their models.
pub const DEBIAN_TESSDATA: &str = "/usr/share/tesseract-ocr/5/tessdata";

/// The name of the handwriting model built into urnscan (`models/fra_hw.traineddata`,
/// trained by `scripts/train-model`; sources and licences in `models/NOTICE`).
pub const BUILTIN_MODEL: &str = "fra_hw";
static BUILTIN_DATA: &[u8] = include_bytes!("../../models/fra_hw.traineddata");

/// A Tesseract model, found: the built-in one, or a `<lang>.traineddata` in a folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OcrModel {
    Builtin,
    File { dir: PathBuf, lang: String },
}

#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("the Tesseract model '{lang}' is not in {dir} (no {lang}.traineddata there). On Debian or Ubuntu: sudo apt-get install tesseract-ocr-{lang}; or give the folder holding it with --tessdata, or the file itself")]
    ModelMissing { lang: String, dir: String },
    #[error("Tesseract could not load the model '{model}': the file may be damaged or from an incompatible Tesseract version")]
    InitFailed { model: String },
    #[error("Tesseract refused the image: {0}")]
    Image(String),
    #[error("Tesseract failed to recognise the zone: {0}")]
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
    /// Finds the model a user or a layout names: `fra_hw` (built in), a path to a
    /// `.traineddata` file, or a language name looked up in `tessdata` (else
    /// TESSDATA_PREFIX, else the system's folder). Checks the file is there, for a message
    /// better than Tesseract's.
    pub fn resolve(name: &str, tessdata: Option<&Path>) -> Result<OcrModel, OcrError> {
        let model = if name == BUILTIN_MODEL {
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
        }
    }
}

/// Time spent inside Tesseract (image in, text out) by all engines of this process, and how
/// many images it was given: the floor the benchmark compares a whole run with.
static OCR_NANOS: AtomicU64 = AtomicU64::new(0);
static OCR_CALLS: AtomicU64 = AtomicU64::new(0);

/// (seconds spent in Tesseract, images recognised) so far, all workers together.
pub fn ocr_totals() -> (f64, u64) {
    (
        OCR_NANOS.load(Ordering::Relaxed) as f64 / 1e9,
        OCR_CALLS.load(Ordering::Relaxed),
    )
}

/// What Tesseract read in one image.
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
    /// Why Tesseract read nothing, when it failed on this image.
    pub failure: Option<String>,
}

/// Lines taller than this (pixels, margins included) are scaled down to it before OCR.
/// The model's network sees lines 36 px high whatever it is given; a 300 dpi line of
/// handwriting is 100-150 px, and Tesseract's own preparation of those pixels cost a third
/// of its time. Measured on 200 generated slips and 200 slips of real handwriting (writers
/// never trained on): OCR time -31 % and -22 %, CER mean 0.0157 -> 0.0158 and 0.331 ->
/// 0.327, review recall unchanged; the committed test lines (tests/model.rs) 0.013 / 0.019.
/// At 64 px the slips read better still, but thin font strokes on the committed test lines
/// did not (median 0.04); at 48 and 40 px the flag of a badly read answer was lost.
pub const LINE_HEIGHT_PX: u32 = 80;

/// A line of writing at least this long (mm) is checked for `sparse_lines`.
const SPARSE_LINE_MIN_MM: f64 = 25.0;
/// Handwriting takes 2-4 mm per character; a reading with fewer than one character per this
/// many mm of the line's ink has lost words.
const SPARSE_LINE_MM_PER_CHAR: f64 = 10.0;

pub struct OcrEngine {
    api: TessBaseApi,
}

impl OcrEngine {
    pub fn new(model: &OcrModel) -> Result<OcrEngine, OcrError> {
        let fail = || OcrError::InitFailed {
            model: model.label(),
        };
        let mut api = TessBaseApi::create();
        match model {
            OcrModel::Builtin => {
                let lang = CString::new(BUILTIN_MODEL).map_err(|_| fail())?;
                api.init_1(BUILTIN_DATA, Some(&lang), TessOcrEngineMode_OEM_LSTM_ONLY)
                    .map_err(|_| fail())?;
            }
            OcrModel::File { dir, lang } => {
                let dir = CString::new(dir.to_string_lossy().as_bytes()).map_err(|_| fail())?;
                let lang = CString::new(lang.as_bytes()).map_err(|_| fail())?;
                api.init_2(Some(&dir), Some(&lang)).map_err(|_| fail())?;
            }
        }
        // Tesseract's diagnostics ("Image too small to scale!!") mean nothing to an agent and
        // would scroll the progress bar away; what matters reaches the CSV as confidence.
        let quiet = CString::new("debug_file").map_err(|_| fail())?;
        let devnull = CString::new("/dev/null").map_err(|_| fail())?;
        api.set_variable(&quiet, &devnull).map_err(|_| fail())?;
        Ok(OcrEngine { api })
    }

    /// Recognises one line of writing, as one raw line (no layout analysis): the way the
    /// handwriting model was trained.
    pub fn read_line(&mut self, img: &image::GrayImage, dpi: u32) -> Result<OcrText, OcrError> {
        self.api
            .set_page_seg_mode(PageSegMode::PsmRawLine.as_tess_page_seg_mode());
        let (img, dpi) = scaled_to_line_height(img, dpi);
        self.recognise(&img, dpi)
    }

    /// Recognises a block of text (Tesseract finds the lines itself).
    pub fn read_block(&mut self, img: &image::GrayImage, dpi: u32) -> Result<OcrText, OcrError> {
        self.api
            .set_page_seg_mode(PageSegMode::PsmSingleBlock.as_tess_page_seg_mode());
        self.recognise(img, dpi)
    }

    /// Recognises the text of a grey image scanned (or resampled) at `dpi`.
    fn recognise(&mut self, img: &image::GrayImage, dpi: u32) -> Result<OcrText, OcrError> {
        let started = std::time::Instant::now();
        let r = self.recognise_untimed(img, dpi);
        OCR_NANOS.fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        OCR_CALLS.fetch_add(1, Ordering::Relaxed);
        r
    }

    fn recognise_untimed(&mut self, img: &image::GrayImage, dpi: u32) -> Result<OcrText, OcrError> {
        let (w, h) = (img.width() as i32, img.height() as i32);
        self.api
            .set_image(img.as_raw(), w, h, 1, w)
            .map_err(|e| OcrError::Image(format!("{e:?}")))?;
        self.api.set_source_resolution(dpi as i32);
        self.api
            .recognize()
            .map_err(|e| OcrError::Recognise(e.to_string()))?;
        let text = self
            .api
            .get_utf8_text()
            .map_err(|e| OcrError::Recognise(e.to_string()))?
            .as_ref()
            .to_string_lossy()
            .into_owned();
        let word_confidences: Vec<i32> = self
            .api
            .all_word_confidences()
            .map(|c| c.as_slice().to_vec())
            .unwrap_or_default();
        Ok(OcrText {
            text,
            confidence: mean_confidence(&word_confidences),
            word_confidences,
            sparse_lines: 0,
            failure: None,
        })
    }
}

/// Which model reads which zone: `--ocr-model` for every zone when given, else the zone's
/// own `model` from the layout, else the built-in handwriting model. Resolved once, before
/// any page is read, so that a missing model stops the run with its name.
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
                let name = name.unwrap_or_else(|| BUILTIN_MODEL.to_string());
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
            .get(zone_model.unwrap_or(BUILTIN_MODEL))
            .unwrap_or(&OcrModel::Builtin)
    }

    /// Every model a run may use (to load each once before the first page).
    pub fn models(&self) -> Vec<&OcrModel> {
        match &self.forced {
            Some(m) => vec![m],
            None => self.by_name.values().collect(),
        }
    }
}

/// One worker's engines, one per model, each created the first time a zone needs it.
#[derive(Default)]
pub struct Engines {
    by_model: HashMap<OcrModel, OcrEngine>,
}

impl Engines {
    pub fn get(&mut self, model: &OcrModel) -> Result<&mut OcrEngine, OcrError> {
        if !self.by_model.contains_key(model) {
            let engine = OcrEngine::new(model)?;
            self.by_model.insert(model.clone(), engine);
        }
        self.by_model
            .get_mut(model)
            .ok_or_else(|| OcrError::InitFailed {
                model: model.label(),
            })
    }
}

/// One line of writing as the model is given it: found in the zone, cut with a white
/// margin, scaled to at most `LINE_HEIGHT_PX`, levelled and stood upright.
pub struct PreparedLine {
    pub image: GrayImage,
    /// The resolution of `image`.
    pub dpi: u32,
    /// The width of the writing on the zone, before any scaling.
    pub width_mm: f64,
}

/// The lines of a zone, top to bottom, ready to read. They are found in `layout` (the
/// cleaned zone) and their pixels taken from `pixels` (the same zone, cleaned or raw: the
/// switch that measures what cleaning buys); `baselines` are its guide lines' rows.
pub fn prepare_lines(
    layout: &GrayImage,
    pixels: &GrayImage,
    baselines: &[f64],
    dpi: u32,
) -> Vec<PreparedLine> {
    find_lines(layout, baselines, dpi as f64 / 25.4)
        .iter()
        .map(|line| {
            let crop = line_image(pixels, line);
            // Scaled first: straightening then handles a third of the pixels. Levelling can
            // leave a line a few rows taller: it is scaled again here rather than in
            // `read_line`, so that `PreparedLine` is exactly what the model is given.
            let (small, small_dpi) = scaled_to_line_height(&crop, dpi);
            let straight = straighten(&small);
            let (image, dpi) = scaled_to_line_height(&straight, small_dpi);
            PreparedLine {
                image: image.into_owned(),
                dpi,
                width_mm: (line.right - line.left) as f64 * 25.4 / dpi as f64,
            }
        })
        .collect()
}

/// Reads a zone line by line (`prepare_lines`, then `read_lines`).
pub fn read_zone(
    engine: &mut OcrEngine,
    layout: &GrayImage,
    pixels: &GrayImage,
    baselines: &[f64],
    dpi: u32,
) -> Result<OcrText, OcrError> {
    read_lines(engine, &prepare_lines(layout, pixels, baselines, dpi))
}

/// Reads prepared lines. Lines are joined with newlines; the confidence is the mean over
/// every word read.
pub fn read_lines(engine: &mut OcrEngine, lines: &[PreparedLine]) -> Result<OcrText, OcrError> {
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

/// `img` (scanned at `dpi`) no taller than `LINE_HEIGHT_PX`, and its resolution then.
pub fn scaled_to_line_height(img: &GrayImage, dpi: u32) -> (Cow<'_, GrayImage>, u32) {
    if img.height() <= LINE_HEIGHT_PX {
        return (Cow::Borrowed(img), dpi);
    }
    let k = LINE_HEIGHT_PX as f64 / img.height() as f64;
    let w = ((img.width() as f64 * k).round() as u32).max(1);
    let small = crate::geometry::resize_gray_triangle(img, w, LINE_HEIGHT_PX);
    (Cow::Owned(small), ((dpi as f64 * k).round() as u32).max(1))
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
    fn model_names_resolve_to_the_built_in_model_a_file_or_a_tessdata_name() {
        assert_eq!(
            OcrModel::resolve("fra_hw", None).unwrap(),
            OcrModel::Builtin
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
        assert_eq!(free.for_zone(None), &OcrModel::Builtin);
        assert_ne!(free.for_zone(Some("print")), &OcrModel::Builtin);
        assert_eq!(free.models().len(), 2);
        let forced = ModelChoice::new(Some("fra_hw"), zones, Some(dir.path())).unwrap();
        assert_eq!(forced.for_zone(Some("print")), &OcrModel::Builtin);
        assert_eq!(forced.models().len(), 1);
        assert!(ModelChoice::new(None, [Some("nope".to_string())], Some(dir.path())).is_err());
    }
}
