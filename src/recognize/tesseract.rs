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

/// One character of a block read with [`TesseractEngine::read_block_symbols`], with how
/// much the network hesitated over it.
#[derive(Debug, Clone, PartialEq)]
pub struct Symbol {
    pub text: String,
    /// The first character of a word (Tesseract's words: what spaces separate).
    pub starts_word: bool,
    /// The best other reading of this character and its confidence, 0–100 (0 when the
    /// network saw no alternative).
    pub runner_up: Option<(String, f32)>,
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

    /// Recognises a block of text character by character, with each character's runner-up:
    /// for printed digits that nothing else on the page confirms (a serial), where a speck
    /// of dust can turn a 0 into a 9 that the word's confidence does not betray.
    pub fn read_block_symbols(
        &mut self,
        img: &image::GrayImage,
        dpi: u32,
    ) -> Result<Vec<Symbol>, OcrError> {
        self.api
            .set_page_seg_mode(PageSegMode::PsmSingleBlock.as_tess_page_seg_mode());
        // The alternatives only reach the hOCR output: per character, with their confidences.
        self.set("hocr_char_boxes", "1")?;
        self.set("lstm_choice_mode", "2")?;
        let read = super::timed(|| {
            self.run(img, dpi)?;
            self.api
                .get_hocr_text(0)
                .map(|t| t.as_ref().to_string_lossy().into_owned())
                .map_err(|e| OcrError::Recognise(e.to_string()))
        });
        self.set("lstm_choice_mode", "0")?;
        self.set("hocr_char_boxes", "0")?;
        Ok(symbols_in_hocr(&read?))
    }

    fn set(&mut self, name: &str, value: &str) -> Result<(), OcrError> {
        let fail = || OcrError::Recognise(format!("could not set {name}"));
        let (name, value) = (
            CString::new(name).map_err(|_| fail())?,
            CString::new(value).map_err(|_| fail())?,
        );
        self.api.set_variable(&name, &value).map_err(|_| fail())
    }

    /// Gives Tesseract a grey image scanned (or resampled) at `dpi` and recognises it.
    fn run(&mut self, img: &image::GrayImage, dpi: u32) -> Result<(), OcrError> {
        let (w, h) = (img.width() as i32, img.height() as i32);
        self.api
            .set_image(img.as_raw(), w, h, 1, w)
            .map_err(|e| OcrError::Image(format!("{e:?}")))?;
        self.api.set_source_resolution(dpi as i32);
        self.api
            .recognize()
            .map_err(|e| OcrError::Recognise(e.to_string()))
    }

    /// Recognises the text of a grey image scanned (or resampled) at `dpi`.
    fn recognise(&mut self, img: &image::GrayImage, dpi: u32) -> Result<OcrText, OcrError> {
        self.run(img, dpi)?;
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

/// The characters of Tesseract's hOCR output written with `hocr_char_boxes` and
/// `lstm_choice_mode=2`: each character is a span `ocrx_cinfo` with `x_conf`, followed by
/// its alternatives, spans `ocrx_cinfo` with `x_confs` (the chosen character among them).
fn symbols_in_hocr(hocr: &str) -> Vec<Symbol> {
    let attribute = |tag: &str, name: &str| -> Option<String> {
        let start = tag.find(&format!("{name}='"))? + name.len() + 2;
        let len = tag[start..].find('\'')?;
        Some(tag[start..start + len].to_string())
    };
    let mut symbols: Vec<Symbol> = Vec::new();
    let mut word_starts = false;
    for piece in hocr.split("<span").skip(1) {
        let Some(end) = piece.find('>') else { continue };
        let (tag, rest) = (&piece[..end], &piece[end + 1..]);
        let text = unescape(&rest[..rest.find('<').unwrap_or(rest.len())]);
        let class = attribute(tag, "class").unwrap_or_default();
        let title = attribute(tag, "title").unwrap_or_default();
        if class == "ocrx_word" {
            word_starts = true;
        } else if class == "ocrx_cinfo" && title.contains("x_conf ") {
            symbols.push(Symbol {
                text,
                starts_word: std::mem::take(&mut word_starts),
                runner_up: None,
            });
        } else if class == "ocrx_cinfo" && title.contains("x_confs") {
            let confidence = title
                .rsplit(' ')
                .next()
                .and_then(|c| c.parse::<f32>().ok())
                .unwrap_or(0.0);
            if let Some(last) = symbols.last_mut() {
                let better = last.runner_up.as_ref().is_none_or(|(_, c)| confidence > *c);
                if text != last.text && confidence > 0.0 && better {
                    last.runner_up = Some((text, confidence));
                }
            }
        }
    }
    symbols
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hocr_symbols_keep_words_and_runner_ups() {
        // As Tesseract 5 writes it for "N° 091161" with a speck under the second 0.
        let hocr = "<span class='ocrx_word' id='word_1_1' title='bbox 1 1 9 9; x_wconf 92'>\
            <span class='ocrx_cinfo' title='x_bboxes 1 1 5 9; x_conf 99.1'>N</span>\
            <span class='ocr_lstm_choices' id='c1'>\
            <span class='ocrx_cinfo' id='choice_1' title='x_confs 95.0'>N</span>\
            <span class='ocrx_cinfo' id='choice_2' title='x_confs 0'>M</span></span>\
            <span class='ocrx_cinfo' title='x_bboxes 5 1 9 9; x_conf 99.0'>&amp;</span></span>\
            <span class='ocrx_word' id='word_1_2' title='bbox 44 69 111 88; x_wconf 92'>\
            <span class='ocrx_cinfo' title='x_bboxes 44 71 55 86; x_conf 99.5'>0</span>\
            <span class='ocrx_cinfo' title='x_bboxes 56 71 66 88; x_conf 98.8'>9</span>\
            <span class='ocr_lstm_choices' id='c2'>\
            <span class='ocrx_cinfo' id='choice_7' title='x_confs 91.79'>9</span>\
            <span class='ocrx_cinfo' id='choice_8' title='x_confs 41.13'>0</span>\
            <span class='ocrx_cinfo' id='choice_9' title='x_confs 30.07'>P</span></span></span>";
        let symbols = symbols_in_hocr(hocr);
        let text: Vec<&str> = symbols.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(text, ["N", "&", "0", "9"]);
        let starts: Vec<bool> = symbols.iter().map(|s| s.starts_word).collect();
        assert_eq!(starts, [true, false, true, false]);
        assert_eq!(
            symbols[0].runner_up, None,
            "an alternative at 0 is no alternative"
        );
        assert_eq!(symbols[3].runner_up, Some(("0".to_string(), 41.13)));
    }
}
