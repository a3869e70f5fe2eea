//! The one place urnscan talks to Tesseract (libtesseract's C API through the `tesseract`
//! crate's plumbing). Everything else sees `OcrEngine::read`: a grey image in, text and
//! confidences out.
//!
//! An engine is expensive to create (about 45 ms to load the French model) and not safe to
//! share between threads while it recognises, so the pipeline keeps one per worker thread.

use std::ffi::CString;
use std::path::{Path, PathBuf};

use tesseract::plumbing::TessBaseApi;
use tesseract::PageSegMode;

/// Where Debian's tesseract-ocr packages put their models.
pub const DEBIAN_TESSDATA: &str = "/usr/share/tesseract-ocr/5/tessdata";

#[derive(Debug, Clone)]
pub struct OcrSettings {
    /// The tessdata folder (the folder holding `<lang>.traineddata`).
    pub tessdata: PathBuf,
    pub language: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("the Tesseract model '{lang}' is not in {dir} (no {lang}.traineddata there). On Debian or Ubuntu: sudo apt-get install tesseract-ocr-{lang}; or give the folder holding it with --tessdata")]
    ModelMissing { lang: String, dir: String },
    #[error("Tesseract could not load the model '{lang}' from {dir}: the file may be damaged or from an incompatible Tesseract version")]
    InitFailed { lang: String, dir: String },
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

impl OcrSettings {
    /// The tessdata folder: the one given, else TESSDATA_PREFIX, else the system's.
    pub fn resolve(tessdata: Option<&Path>, language: &str) -> OcrSettings {
        let dir = tessdata
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("TESSDATA_PREFIX").map(PathBuf::from))
            .unwrap_or_else(|| find_system_tessdata(language));
        OcrSettings {
            tessdata: dir,
            language: language.to_string(),
        }
    }

    /// Checks the model is where it should be, for a message better than Tesseract's.
    pub fn check(&self) -> Result<(), OcrError> {
        let model = self.tessdata.join(format!("{}.traineddata", self.language));
        if model.is_file() {
            Ok(())
        } else {
            Err(OcrError::ModelMissing {
                lang: self.language.clone(),
                dir: self.tessdata.display().to_string(),
            })
        }
    }
}

/// What Tesseract read in one image.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrText {
    pub text: String,
    /// Mean word confidence, 0–100; 0 when no word was read.
    pub confidence: f32,
    pub word_confidences: Vec<i32>,
    /// Why Tesseract read nothing, when it failed on this image.
    pub failure: Option<String>,
}

pub struct OcrEngine {
    api: TessBaseApi,
}

impl OcrEngine {
    pub fn new(settings: &OcrSettings) -> Result<OcrEngine, OcrError> {
        settings.check()?;
        let fail = || OcrError::InitFailed {
            lang: settings.language.clone(),
            dir: settings.tessdata.display().to_string(),
        };
        let dir =
            CString::new(settings.tessdata.to_string_lossy().as_bytes()).map_err(|_| fail())?;
        let lang = CString::new(settings.language.as_bytes()).map_err(|_| fail())?;
        let mut api = TessBaseApi::create();
        api.init_2(Some(&dir), Some(&lang)).map_err(|_| fail())?;
        // Tesseract's diagnostics ("Image too small to scale!!") mean nothing to an agent and
        // would scroll the progress bar away; what matters reaches the CSV as confidence.
        let quiet = CString::new("debug_file").map_err(|_| fail())?;
        let devnull = CString::new("/dev/null").map_err(|_| fail())?;
        api.set_variable(&quiet, &devnull).map_err(|_| fail())?;
        // One uniform block of text: an answer box holds lines of writing and nothing else.
        api.set_page_seg_mode(PageSegMode::PsmSingleBlock.as_tess_page_seg_mode());
        Ok(OcrEngine { api })
    }

    /// Recognises the text of a grey image scanned (or resampled) at `dpi`.
    pub fn read(&mut self, img: &image::GrayImage, dpi: u32) -> Result<OcrText, OcrError> {
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
        let confidence = if word_confidences.is_empty() {
            0.0
        } else {
            word_confidences.iter().sum::<i32>() as f32 / word_confidences.len() as f32
        };
        Ok(OcrText {
            text,
            confidence,
            word_confidences,
            failure: None,
        })
    }
}
