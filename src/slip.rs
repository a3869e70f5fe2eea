//! One page through the pipeline: decode → locate the QR code → identify the slip against
//! the campaign → register → read every zone. Returns the page's typed outcome; nothing in
//! here can abort a batch except a failure of the output folder or of the OCR engine.

use std::path::Path;

use crate::campaign::{Campaign, Form, QrQuestion, RectMm, TextZone, Zone, ZoneQuestion};
use crate::geometry::downscale2;
use crate::input::{decode_page, PageSource};
use crate::locate::{find_qr, identify_from_print, register, QrFound, Registration};
use crate::outcome::{Answer, IdentifiedBy, Outcome, Rejection, ReviewReason, Slip, Ticks};
use crate::read::checkbox::{score_group, ticked};
use crate::read::crop::{crop, px_per_mm, READ_DPI};
use crate::read::ink::{
    clean_band, clean_zone_counting_ink, faint_ink_pixels, ink_pixels, repair_streaks_undoably,
};
use crate::read::prepare::prepare_lines;
use crate::recognize::htr::known_word_share;
use crate::recognize::{
    read_lines, write_model_inputs, Engines, LineWriteError, ModelChoice, OcrError, OcrModel,
    OcrText, Recognizer,
};
use crate::text::normalise;
use crate::timing::{time, Stage};

/// Less ink than this in an answer zone (mm², after cleaning) is a blank answer. A short
/// handwritten word ("non") leaves 10–20 mm² of ink; a stray dot or dust leaves under 0.5.
pub const BLANK_INK_MM2: f64 = 3.0;
/// Faint ink (`faint_ink_pixels`, mm²) that makes a zone with less than BLANK_INK_MM2 of
/// ink an answer after all (flagged `faint_writing`). On 600 generated slips, blank zones
/// measured at most 1.41 mm² and faint real handwriting 2.93 to 12.1 mm².
pub const FAINT_BLANK_INK_MM2: f64 = 2.0;
/// Answers whose mean word confidence is under this are flagged for review (Tesseract's
/// models). Chosen on slips carrying real handwriting (`scripts/eval-routing`): the
/// handwriting model is sure of itself also when wrong, and a lower threshold lets badly
/// read answers through unflagged. Recall and precision: docs/performance.md, "Review
/// routing".
pub const LOW_CONFIDENCE: f32 = 75.0;
/// urnscan's own network (`htr`, the default) is surer of itself, and its readings are
/// judged on two signals: an answer is flagged when its confidence (as the CSV writes it, a
/// whole number) plus `HTR_KNOWN_WORDS_WEIGHT` times the share of its words that the French
/// word list knows (`known_word_share`, 0 without such words) is under this. Confidence
/// alone does not carry from one group of writers to another; garbage is rarely made of
/// words. Both were chosen on 380 slips filled by the `val` writers: the score, as before,
/// the smallest that catches every answer read with CER > 0.25 there; the weight, the
/// smallest whole one with which that flags at most half of their answers. Measured on the
/// unseen `dev` writers in docs/handwriting-model.md.
pub const HTR_REVIEW_SCORE: f32 = 90.5;
/// What a reading wholly made of words of the list adds to its confidence (see above).
pub const HTR_KNOWN_WORDS_WEIGHT: f32 = 4.0;

/// Whether an answer that `htr` read with `confidence`, `known` being the share of its
/// words the word list knows, goes to a person. Without the list (or without a word of four
/// letters) the confidence alone decides, which flags more, never fewer.
fn htr_doubtful(confidence: f32, known: Option<f32>) -> bool {
    confidence.round() + HTR_KNOWN_WORDS_WEIGHT * known.unwrap_or(0.0) < HTR_REVIEW_SCORE
}

/// A reading with fewer characters than (ink mm² / this) has missed much of what is written:
/// a typical handwritten character leaves 2–4 mm² of ink, so this allows five times less.
const INK_MM2_PER_CHAR_MISSING: f64 = 15.0;
/// The band outside an answer box searched for writing that overflowed it, mm.
pub(crate) const OUTSIDE_BAND_MM: (f64, f64) = (0.8, 3.0);
/// Widest scanner streak repaired, in pixels: 1 mm at 600 dpi.
const MAX_STREAK_PX: usize = 24;
/// How far inside the printed box the answer crop starts, beyond the stroke, mm.
const BOX_INSET_MM: f64 = 0.8;
/// Half-height of the band around a guide line cleaned of its grey print, mm.
pub(crate) const GUIDE_HALF_BAND_MM: f64 = 0.6;

/// Why a page could not be finished, for the whole run (not the page) to stop.
#[derive(Debug, thiserror::Error)]
pub enum Fatal {
    #[error(transparent)]
    Ocr(#[from] OcrError),
    #[error("cannot write the crop {path}")]
    Crop {
        path: String,
        #[source]
        error: std::io::Error,
    },
    #[error(transparent)]
    Line(#[from] LineWriteError),
}

/// What a worker needs to read a page.
pub struct PageContext<'a> {
    pub campaign: &'a Campaign,
    pub out_dir: &'a Path,
    /// OCR the raw crop's lines (the default) or the cleaned zone's: the switch that measures
    /// what cleaning buys. Line finding and blank detection always use the cleaned zone.
    /// With the handwriting model, raw reads real handwriting better (dev split median CER
    /// 0.241 against 0.254) and ties on generated slips: the model learned from raw lines.
    pub clean_for_ocr: bool,
    /// Where every answer line goes as the recognizer is given it (`process --lines-out`).
    pub lines_out: Option<&'a Path>,
    /// Which Tesseract model reads which zone.
    pub models: &'a ModelChoice,
    /// Tesseract's print model, which reads the printed serial, urn and question of a page
    /// whose QR code is unreadable; None: such pages stay `no_qr`.
    pub print_model: Option<&'a OcrModel>,
}

/// Reads one page of `path`. `engines` are this worker's OCR engines.
pub fn read_page(
    ctx: &PageContext,
    path: &Path,
    source_name: &str,
    src: &PageSource,
    engines: &mut Engines,
) -> Result<Outcome, Fatal> {
    let DecodedPage {
        mut img,
        bilevel_as_scanned,
    } = match decode_for_reading(path, src) {
        Ok(page) => page,
        Err(rej) => return Ok(Outcome::Rejected(rej)),
    };
    let (form, payload, reg, qr_text, identified_by) = match locate(ctx.campaign, &mut img) {
        Ok(l) => (l.form, l.payload, l.reg, l.qr.text, IdentifiedBy::Qr),
        Err(Rejection::NoQr { tried }) => {
            let Some(model) = ctx.print_model else {
                return Ok(Outcome::Rejected(Rejection::NoQr { tried }));
            };
            match time(Stage::Register, || {
                let print = bilevel_as_scanned.as_ref().unwrap_or(&img);
                identify_from_print(ctx.campaign, print, engines, model)
            }) {
                Ok(p) => {
                    let text = ctx.campaign.payload_for(
                        &p.payload.form,
                        &p.payload.question,
                        &p.payload.urn,
                        &p.payload.serial,
                    );
                    (p.form, p.payload, p.reg, text, IdentifiedBy::Printed)
                }
                Err(why) => {
                    return Ok(Outcome::Rejected(Rejection::NoQr {
                        tried: format!("{tried}; {why}"),
                    }))
                }
            }
        }
        Err(rej) => return Ok(Outcome::Rejected(rej)),
    };
    let page_key = page_key(source_name, src.page);
    let mut answers = Vec::new();
    for zone in form.text_zones() {
        let question_id = match &zone.question {
            ZoneQuestion::FromQr => payload.question.clone(),
            ZoneQuestion::Fixed(q) => q.clone(),
        };
        // The crop's name also names the answer's lines (`--lines-out`).
        let stem = format!("{}-{}-{}", payload.serial, zone.id, page_key);
        let crop_name = format!("crops/{stem}.jpg");
        let model = ctx.models.for_zone(zone.model.as_deref());
        let lines_out = ctx.lines_out.map(|dir| LinesOut {
            dir,
            stem: &stem,
            model,
        });
        if let Some(mut answer) = read_text_zone(
            &img,
            &reg,
            form,
            zone,
            engines.get(model)?,
            ctx.clean_for_ocr,
            &ctx.out_dir.join(&crop_name),
            lines_out.as_ref(),
        )? {
            answer.question_id = question_id;
            answer.crop_file = crop_name;
            if identified_by == IdentifiedBy::Printed {
                answer
                    .review_reasons
                    .push(ReviewReason::IdentifiedFromPrint);
            }
            answers.push(answer);
        }
    }
    let ticks = form
        .checkbox_groups()
        .map(|g| Ticks {
            group: g.id.clone(),
            codes: time(Stage::Checkboxes, || {
                ticked(g, &score_group(&img, &reg.map, g))
            }),
        })
        .collect();
    Ok(Outcome::Slip(Box::new(Slip {
        payload: qr_text,
        identified_by,
        form: form.id.clone(),
        serial: payload.serial,
        urn: payload.urn,
        question: payload.question,
        orientation: reg.orientation,
        tilt_deg: reg.tilt_deg,
        answers,
        ticks,
    })))
}

/// One page decoded to grey.
pub struct DecodedPage {
    /// The page as everything after reads it.
    pub img: image::GrayImage,
    /// A black-and-white scan as scanned, before its halftone dots were cleared: that
    /// clearing also breaks small print, whose strokes are one pixel thin at 200 dpi, so
    /// the print that identifies a slip without its QR code is read here.
    pub bilevel_as_scanned: Option<image::GrayImage>,
}

/// Decodes one page to grey, as everything after reads it.
pub fn decode_for_reading(path: &Path, src: &PageSource) -> Result<DecodedPage, Rejection> {
    let mut img = time(Stage::Decode, || decode_page(path, src))?;
    // A black-and-white scan's halftone dots are as black as ink: paper before anything
    // looks for writing.
    let mut bilevel_as_scanned = None;
    if crate::read::bilevel::is_bilevel(&img) {
        bilevel_as_scanned = Some(img.clone());
        time(Stage::Decode, || {
            crate::read::bilevel::remove_halftone_dots(&mut img)
        });
    }
    Ok(DecodedPage {
        img,
        bilevel_as_scanned,
    })
}

/// A page found to be a slip of the campaign, and where its form lies on the image.
pub struct Located<'c> {
    pub qr: QrFound,
    pub form: &'c Form,
    pub payload: crate::campaign::Payload,
    pub reg: Registration,
}

/// Repairs scanner streaks on a decoded page (left repaired for what reads it next), then
/// finds its QR code. On failure, says which searches were tried.
///
/// A QR code photographed large has columns dark over most of the image's height, which the
/// repair takes for streaks and smooths away (21 of the 97 photographs of
/// ../shared/qr-photos were lost so). So when the search fails on a page where columns were
/// repaired, the repair is undone and the search runs again on the page as scanned; when that
/// finds the code, the page stays unrepaired, since its "streaks" were the code. A clean slip
/// (no streak, code found at once) costs what it did.
pub fn find_page_qr(img: &mut image::GrayImage) -> Result<QrFound, String> {
    // Before anything reads the page: a streak can cut a QR code or cross every answer.
    let repair = time(Stage::Streaks, || {
        repair_streaks_undoably(img, MAX_STREAK_PX)
    });
    match time(Stage::Qr, || find_qr(img)) {
        Ok(found) => Ok(found),
        Err(tried) if repair.columns() > 0 => {
            let mut as_scanned = img.clone();
            repair.undo(&mut as_scanned);
            match time(Stage::Qr, || find_qr(&as_scanned)) {
                Ok(found) => {
                    *img = as_scanned;
                    Ok(found)
                }
                Err(_) => Err(format!(
                    "{tried}; again without repairing {} column(s) taken for scanner streaks",
                    repair.columns()
                )),
            }
        }
        Err(tried) => Err(tried),
    }
}

/// Repairs scanner streaks on a decoded page, then finds its QR code, checks the payload
/// against the campaign and registers the form: everything before the zones are read.
pub fn locate<'c>(
    campaign: &'c Campaign,
    img: &mut image::GrayImage,
) -> Result<Located<'c>, Rejection> {
    let qr = find_page_qr(img).map_err(|tried| Rejection::NoQr { tried })?;
    let (form, payload) = identify(campaign, &qr.text)?;
    let reg = time(Stage::Register, || register(img, form, &qr.corners)).ok_or_else(|| {
        Rejection::NoQr {
            tried: "a QR code was decoded but its corners are degenerate".into(),
        }
    })?;
    Ok(Located {
        qr,
        form,
        payload,
        reg,
    })
}

/// Checks a decoded payload against the campaign: template, form, question, urn.
pub fn identify<'c>(
    campaign: &'c Campaign,
    text: &str,
) -> Result<(&'c Form, crate::campaign::Payload), Rejection> {
    let payload = campaign
        .payload
        .parse_payload(text)
        .map_err(|e| Rejection::ForeignQr {
            payload: text.to_string(),
            why: e.to_string(),
        })?;
    let form = campaign
        .form(&payload.form)
        .ok_or_else(|| Rejection::UnknownForm {
            form: payload.form.clone(),
            payload: text.to_string(),
            serial: payload.serial.clone(),
        })?;
    let question_ok = match &form.qr_question {
        QrQuestion::Registry => campaign.question(&payload.question).is_some(),
        QrQuestion::Literal(l) => payload.question == *l,
    };
    if !question_ok {
        return Err(Rejection::UnknownQuestion {
            question: payload.question.clone(),
            form: form.id.clone(),
            payload: text.to_string(),
            serial: payload.serial.clone(),
        });
    }
    if campaign.urn(&payload.urn).is_none() {
        return Err(Rejection::UnknownUrn {
            urn: payload.urn.clone(),
            payload: text.to_string(),
            serial: payload.serial.clone(),
        });
    }
    Ok((form, payload))
}

/// A short stable key for a page, so that crop names never collide (two scans of the same
/// serial, two files with the same name in different folders).
fn page_key(source_name: &str, page: u32) -> String {
    // FNV-1a: stable across runs and platforms, unlike the standard library's hasher.
    let mut h: u32 = 0x811c9dc5;
    for b in source_name.bytes().chain(page.to_le_bytes()) {
        h ^= b as u32;
        h = h.wrapping_mul(0x01000193);
    }
    format!("{h:08x}")
}

/// The inside of a text zone's box, upright, at the reading resolution (`READ_DPI`): what
/// the zone's OCR starts from.
pub fn answer_zone_crop(
    img: &image::GrayImage,
    reg: &Registration,
    zone: &TextZone,
) -> image::GrayImage {
    crop(img, &reg.map, &zone_inside(zone), READ_DPI)
}

/// The part of a text zone read: inside its printed box and clear of the box's stroke.
pub(crate) fn zone_inside(zone: &TextZone) -> RectMm {
    zone.rect.grow(-(zone.stroke + BOX_INSET_MM))
}

/// A text zone cropped, cleaned and measured: what decides whether it is blank.
pub(crate) struct MeasuredZone {
    /// The inside of the box as scanned, upright, at `READ_DPI`.
    pub raw: image::GrayImage,
    /// The same with guide lines, folds, stains and the paper's shade taken out.
    pub clean: image::GrayImage,
    /// The guide lines' rows in the crop, pixels.
    pub guide_rows: Vec<f64>,
    /// Ink left after cleaning, mm².
    pub ink_mm2: f64,
}

/// Crops, cleans and measures one text zone (`read_page` and `urnscan explain` alike).
pub(crate) fn measure_text_zone(
    img: &image::GrayImage,
    reg: &Registration,
    zone: &TextZone,
) -> MeasuredZone {
    let inner = zone_inside(zone);
    let raw = time(Stage::Crop, || answer_zone_crop(img, reg, zone));
    let k = px_per_mm(READ_DPI);
    let guide_rows: Vec<f64> = zone
        .guides
        .iter()
        .flat_map(|g| g.ys().map(|y| (y - inner.y) * k).collect::<Vec<_>>())
        .collect();
    let (clean, ink_px) = time(Stage::Clean, || {
        clean_zone_counting_ink(&raw, &guide_rows, GUIDE_HALF_BAND_MM * k)
    });
    MeasuredZone {
        raw,
        clean,
        guide_rows,
        ink_mm2: ink_px as f64 / (k * k),
    }
}

/// Where a zone's lines go as the recognizer is given them (`process --lines-out`).
struct LinesOut<'a> {
    dir: &'a Path,
    /// The answer's crop name without its extension.
    stem: &'a str,
    model: &'a OcrModel,
}

/// Crops, cleans, measures and (when not blank) OCRs one text zone; writes its crop.
#[allow(clippy::too_many_arguments)]
fn read_text_zone(
    img: &image::GrayImage,
    reg: &Registration,
    form: &Form,
    zone: &TextZone,
    engine: &mut Recognizer,
    clean_for_ocr: bool,
    crop_path: &Path,
    lines_out: Option<&LinesOut>,
) -> Result<Option<Answer>, Fatal> {
    let MeasuredZone {
        raw,
        clean,
        guide_rows,
        ink_mm2,
    } = measure_text_zone(img, reg, zone);
    let k = px_per_mm(READ_DPI);
    let mut ink_mm2 = ink_mm2;
    let mut faint = false;
    if ink_mm2 < BLANK_INK_MM2 {
        // A blank answer is not a contribution: before dropping one, look again for faint
        // writing, which is then read and put before a person.
        let faint_mm2 = faint_ink_pixels(&clean) as f64 / (k * k);
        if faint_mm2 < FAINT_BLANK_INK_MM2 {
            return Ok(None);
        }
        (ink_mm2, faint) = (faint_mm2, true);
    }
    // An engine that fails on one zone fails that answer, not the batch: the answer is kept
    // (there is ink) with no text and a reason, and a person reads its crop.
    let ocr_input = if clean_for_ocr { &clean } else { &raw };
    let lines = time(Stage::Read, || {
        prepare_lines(&clean, ocr_input, &guide_rows, READ_DPI as u32)
    });
    // A line that cannot be written is a failure of the output folder, like a crop: it
    // stops the batch rather than pass for a reading that failed.
    if let Some(out) = lines_out {
        write_model_inputs(out.model, &lines, out.dir, out.stem)?;
    }
    let ocr = match time(Stage::Read, || read_lines(engine, &lines)) {
        Ok(ocr) => ocr,
        Err(e) => OcrText {
            text: String::new(),
            confidence: 0.0,
            word_confidences: Vec::new(),
            sparse_lines: 0,
            failure: Some(e.to_string()),
        },
    };
    let text = normalise(&ocr.text);
    let mut review_reasons = Vec::new();
    if ocr.failure.is_some() {
        review_reasons.push(ReviewReason::OcrFailed);
    } else if text.is_empty() {
        review_reasons.push(ReviewReason::NoText);
    } else {
        let low = match engine {
            Recognizer::Htr(_) => htr_doubtful(ocr.confidence, known_word_share(&text)),
            Recognizer::Tesseract(_) => ocr.confidence < LOW_CONFIDENCE,
        };
        if low {
            review_reasons.push(ReviewReason::LowConfidence);
        }
        // Handwriting leaves 2–4 mm² of ink per character; a reading with far fewer
        // characters than the ink suggests has missed lines or words.
        if (text.chars().count() as f64) < ink_mm2 / INK_MM2_PER_CHAR_MISSING
            || ocr.sparse_lines > 0
        {
            review_reasons.push(ReviewReason::LittleText);
        }
    }
    if faint {
        review_reasons.push(ReviewReason::FaintWriting);
    }
    if time(Stage::OutsideBox, || ink_outside_box(img, reg, form, zone)) >= BLANK_INK_MM2 {
        review_reasons.push(ReviewReason::TextOutsideBox);
    }
    // The review image: what the scan shows, upright, at half the reading resolution.
    time(Stage::CropWrite, || {
        write_jpeg(&downscale2(&raw), crop_path)
    })
    .map_err(|error| Fatal::Crop {
        path: crop_path.display().to_string(),
        error,
    })?;
    Ok(Some(Answer {
        zone: zone.id.clone(),
        question_id: String::new(),
        text,
        confidence: ocr.confidence,
        review_reasons,
        crop_file: String::new(),
    }))
}

/// Writes a review crop as a grey JPEG, quality 75 (jpeg-encoder, with AVX2 where the CPU
/// has it: the `image` crate's encoder took 0.8 of 18 CPU seconds on 200 pages).
fn write_jpeg(img: &image::GrayImage, path: &Path) -> std::io::Result<()> {
    let (Ok(w), Ok(h)) = (u16::try_from(img.width()), u16::try_from(img.height())) else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "{}x{} px is too large for a JPEG",
                img.width(),
                img.height()
            ),
        ));
    };
    // Owner only: a crop shows a citizen's handwriting.
    let file = crate::output::csvfile::create_private(path)?;
    let encoder = jpeg_encoder::Encoder::new(std::io::BufWriter::new(file), 75);
    encoder
        .encode(img.as_raw(), w, h, jpeg_encoder::ColorType::Luma)
        .map_err(jpeg_io_error)
}

fn jpeg_io_error(e: jpeg_encoder::EncodingError) -> std::io::Error {
    match e {
        jpeg_encoder::EncodingError::IoError(io) => io,
        other => std::io::Error::other(other.to_string()),
    }
}

/// Ink (mm²) in a band just outside a text zone's box, leaving out everything printed
/// there (other zones, checkbox rows, printed text, marks, the QR code): writing that ran
/// past the box and that the crop did not see.
pub(crate) fn ink_outside_box(
    img: &image::GrayImage,
    reg: &Registration,
    form: &Form,
    zone: &TextZone,
) -> f64 {
    const DPI: f64 = 150.0;
    let k = px_per_mm(DPI);
    let (near, far) = (
        zone.stroke / 2.0 + OUTSIDE_BAND_MM.0,
        zone.stroke / 2.0 + OUTSIDE_BAND_MM.1,
    );
    let outer = zone.rect.grow(far);
    let inner = zone.rect.grow(near);
    let mut printed: Vec<RectMm> = form.prints.iter().map(|p| p.rect.grow(0.5)).collect();
    printed.push(form.qr.grow(1.0));
    printed.extend(form.marks.iter().map(|m| m.grow(1.0)));
    for other in &form.zones {
        match other {
            Zone::Text(t) if t.id != zone.id => printed.push(t.rect.grow(near)),
            Zone::Text(_) => {}
            Zone::Checkbox(g) => {
                // The whole row: boxes, their labels and the group's label.
                let top = g
                    .choices
                    .iter()
                    .map(|c| c.rect.y)
                    .fold(g.label_at.1 - 3.5, f64::min);
                let bottom = g
                    .choices
                    .iter()
                    .map(|c| c.rect.y + c.rect.h)
                    .fold(g.label_at.1 + 1.0, f64::max);
                printed.push(RectMm {
                    x: 0.0,
                    y: top - 0.5,
                    w: form.width,
                    h: bottom - top + 1.0,
                });
            }
        }
    }
    // Only the ring between `inner` and `outer` is looked at, as four strips: cropping and
    // cleaning the whole outer rectangle cost ten times the pixels (4.0 of 46 CPU seconds
    // on 200 pages).
    let strips = [
        RectMm {
            h: inner.y - outer.y,
            ..outer
        },
        RectMm {
            y: inner.y + inner.h,
            h: outer.y + outer.h - (inner.y + inner.h),
            ..outer
        },
        RectMm {
            y: inner.y,
            w: inner.x - outer.x,
            h: inner.h,
            ..outer
        },
        RectMm {
            x: inner.x + inner.w,
            y: inner.y,
            w: outer.x + outer.w - (inner.x + inner.w),
            h: inner.h,
        },
    ];
    let mut ink = 0;
    for strip in strips.iter().filter(|r| r.w > 0.0 && r.h > 0.0) {
        let band = crop(img, &reg.map, strip, DPI);
        let clean = clean_band(&band);
        let mut mask =
            image::GrayImage::from_pixel(clean.width(), clean.height(), image::Luma([255]));
        for (x, y, p) in mask.enumerate_pixels_mut() {
            let (mx, my) = (
                strip.x + (x as f64 + 0.5) / k,
                strip.y + (y as f64 + 0.5) / k,
            );
            let contains =
                |r: &RectMm| mx >= r.x && mx <= r.x + r.w && my >= r.y && my <= r.y + r.h;
            let off_page = mx < 0.0 || my < 0.0 || mx > form.width || my > form.height;
            if !off_page && !printed.iter().any(contains) {
                p.0[0] = clean.get_pixel(x, y).0[0];
            }
        }
        ink += ink_pixels(&mask);
    }
    ink as f64 / (k * k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_htr_reading_made_of_words_needs_less_confidence() {
        // Confident and made of words; as confident but not words; less sure but words.
        assert!(!htr_doubtful(90.0, Some(1.0)));
        assert!(htr_doubtful(90.0, Some(0.0)));
        assert!(htr_doubtful(90.0, None));
        assert!(!htr_doubtful(87.0, Some(1.0)));
        assert!(htr_doubtful(86.0, Some(1.0)));
        // The confidence counts as the CSV writes it, a whole number.
        assert!(!htr_doubtful(90.6, None));
        assert!(htr_doubtful(90.4, None));
    }

    /// A blank slip drawn at 300 dpi, with its exact registration (mm → px).
    fn blank_slip() -> (image::GrayImage, Registration, Campaign) {
        let c = Campaign::builtin().unwrap();
        let form = c.forms.iter().find(|f| f.id == "slip-a5").unwrap().clone();
        let img = crate::render::draw_blank_form(&c, &form, "U07", "Q2", "000123", 300.0).unwrap();
        let k = 300.0 / 25.4;
        let reg = Registration {
            map: crate::geometry::Homography {
                m: [k, 0.0, 0.0, 0.0, k, 0.0, 0.0, 0.0, 1.0],
            },
            orientation: 0,
            tilt_deg: 0.0,
            marks_found: 3,
            px_per_mm: k,
        };
        (image::DynamicImage::ImageRgb8(img).into_luma8(), reg, c)
    }

    fn ink(img: &mut image::GrayImage, x_mm: (f64, f64), y_mm: (f64, f64)) {
        let k = 300.0 / 25.4;
        for y in (y_mm.0 * k) as u32..(y_mm.1 * k) as u32 {
            for x in (x_mm.0 * k) as u32..(x_mm.1 * k) as u32 {
                img.put_pixel(x, y, image::Luma([30]));
            }
        }
    }

    #[test]
    fn writing_past_the_box_is_found_beside_it_and_across_a_corner() {
        let (page, reg, c) = blank_slip();
        let form = c.forms.iter().find(|f| f.id == "slip-a5").unwrap();
        let Some(Zone::Text(zone)) = form.zones.first() else {
            panic!("the slip's first zone is its answer");
        };
        // The box is x 10..138, y 44..164 mm; the band looked at is 0.8-3 mm past it.
        assert!(
            ink_outside_box(&page, &reg, form, zone) < 0.5,
            "a blank slip"
        );
        let mut beside = page.clone();
        ink(&mut beside, (139.2, 141.0), (80.0, 100.0));
        let found = ink_outside_box(&beside, &reg, form, zone);
        assert!((30.0..40.0).contains(&found), "beside the box: {found} mm²");
        let mut corner = page.clone();
        ink(&mut corner, (138.6, 141.0), (41.0, 43.4));
        let found = ink_outside_box(&corner, &reg, form, zone);
        assert!(
            found >= BLANK_INK_MM2,
            "across the top right corner: {found} mm²"
        );
        let mut inside = page;
        ink(&mut inside, (60.0, 100.0), (70.0, 74.0));
        assert!(
            ink_outside_box(&inside, &reg, form, zone) < 0.5,
            "writing inside the box is not outside it"
        );
    }

    #[test]
    fn identify_names_what_is_unknown() {
        let c = Campaign::builtin().unwrap();
        let p = |f: &str, q: &str, u: &str| c.payload_for(f, q, u, "000123");
        assert!(identify(&c, &p("slip-a5", "Q2", "U07")).is_ok());
        assert!(identify(&c, &p("sheet-a4", "ALL", "U01")).is_ok());
        assert_eq!(
            identify(&c, &p("slip-a6", "Q2", "U07"))
                .unwrap_err()
                .reason()
                .code(),
            "unknown_form"
        );
        assert_eq!(
            identify(&c, &p("slip-a5", "Q7", "U07"))
                .unwrap_err()
                .reason()
                .code(),
            "unknown_question"
        );
        assert_eq!(
            identify(&c, &p("sheet-a4", "Q1", "U07"))
                .unwrap_err()
                .reason()
                .code(),
            "unknown_question"
        );
        assert_eq!(
            identify(&c, &p("slip-a5", "Q1", "U99"))
                .unwrap_err()
                .reason()
                .code(),
            "unknown_urn"
        );
        assert_eq!(
            identify(&c, "https://www.nantes.fr/")
                .unwrap_err()
                .reason()
                .code(),
            "foreign_qr"
        );
    }

    #[test]
    fn page_keys_are_stable_and_distinct() {
        // FNV-1a (32 bits) of the name's bytes then the page number's four little-endian
        // bytes, computed apart from this code: the keys are part of the crop file names
        // that contributions.csv of every earlier run refers to, so they may never change.
        assert_eq!(page_key("a.jpg", 1), "7f6ac4c0");
        assert_eq!(page_key("a.jpg", 2), "6fef81f3");
        assert_eq!(page_key("x/a.jpg", 1), "a542c49f");
        assert_eq!(page_key("y/a.jpg", 1), "09d11e34");
        // The first sample slip's crop, crops/000859-answer-172ef4c0.jpg.
        assert_eq!(page_key("0001-slip-a5.jpg", 1), "172ef4c0");
    }
}
