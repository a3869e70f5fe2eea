//! Tesseract behind the recognizer interface (libtesseract's C API through the `tesseract`
//! crate's plumbing): the built-in handwriting model `fra_hw` (a fine-tune of Tesseract's
//! French model, `scripts/train-model`) or any `.traineddata`, such as Debian's print
//! models.
//!
//! An engine is expensive to create (about 45 ms to load a model) and not safe to share
//! between threads while it recognises, so the pipeline keeps one per model and worker.

use std::ffi::CString;

use tesseract::plumbing::tesseract_sys::TessOcrEngineMode_OEM_LSTM_ONLY;
use tesseract::plumbing::TessBaseApi;
use tesseract::PageSegMode;

use super::{mean_confidence, OcrError, OcrModel, OcrText};
use crate::read::prepare::scaled_to_line_height;

/// The name of the Tesseract handwriting model built into urnscan
/// (`models/fra_hw.traineddata`; sources and licences in `models/NOTICE`).
pub const BUILTIN_MODEL: &str = "fra_hw";
static BUILTIN_DATA: &[u8] = include_bytes!("../../models/fra_hw.traineddata");

/// Where Debian's tesseract-ocr packages put their models.
pub const DEBIAN_TESSDATA: &str = "/usr/share/tesseract-ocr/5/tessdata";

pub struct TesseractEngine {
    api: TessBaseApi,
}

impl TesseractEngine {
    pub fn new(model: &OcrModel) -> Result<TesseractEngine, OcrError> {
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
            OcrModel::Htr { .. } => return Err(fail()),
        }
        // Tesseract's diagnostics ("Image too small to scale!!") mean nothing to an agent and
        // would scroll the progress bar away; what matters reaches the CSV as confidence.
        let quiet = CString::new("debug_file").map_err(|_| fail())?;
        let devnull = CString::new("/dev/null").map_err(|_| fail())?;
        api.set_variable(&quiet, &devnull).map_err(|_| fail())?;
        Ok(TesseractEngine { api })
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
        super::timed(|| self.recognise(img, dpi))
    }

    /// Recognises the text of a grey image scanned (or resampled) at `dpi`.
    fn recognise(&mut self, img: &image::GrayImage, dpi: u32) -> Result<OcrText, OcrError> {
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
