//! Why a page was set aside or flagged, shown rather than guessed (`urnscan explain`,
//! `urnscan process --debug`): where urnscan looked for the QR code and what it held, where
//! it predicted and found the registration marks, the zones, the lines of writing and the
//! ink it measured in each, the ticks, and the page's decision in words. `render::annotate`
//! draws an `Explanation` on the page.
//!
//! The decision is never made here: it is the `Outcome` that `slip::read_page` returned for
//! the page (`explain_file` calls it; `process --debug` takes the run's own), so that the
//! picture can never disagree with pages.csv. Only the geometry and the measurements are
//! made again, with the pipeline's own functions (decode, `slip::locate`, the zone crop,
//! cleaning and line finding, checkbox scores); where a measurement made again disagrees
//! with the outcome, a finding says so.
//!
//! The legend is a list of `Finding`s, each tied to what it describes on the page (its
//! colour): another step of the pipeline (an identity read from the print when the QR code
//! is damaged, say) adds its own line there.

use std::path::{Path, PathBuf};

use anyhow::Context;
use image::GrayImage;

use crate::campaign::{Campaign, Form, RectMm, TextZone};
use crate::error::UsageError;
use crate::geometry::{Homography, Model};
use crate::input::{page_count, sniff, PageSource};
use crate::locate::{find_mark, identify_from_print, qr_pairs, register, Registration};
use crate::outcome::{IdentifiedBy, Outcome, Rejection, ReviewReason, Slip};
use crate::read::checkbox::{score_group, ticked, TICK_RATIO};
use crate::read::crop::{px_per_mm, READ_DPI};
use crate::read::ink::faint_ink_pixels;
use crate::read::lines::find_lines;
use crate::recognize::{Engines, ModelChoice, OcrModel};
use crate::slip::{
    decode_for_reading, find_page_qr, ink_outside_box, locate, measure_text_zone, read_page,
    zone_inside, Located, MeasuredZone, PageContext, BLANK_INK_MM2, FAINT_BLANK_INK_MM2,
    OUTSIDE_BAND_MM,
};

/// Four corners in image pixels, in drawing order: the form rectangle's top left, top right,
/// bottom right, bottom left (turned as the slip lies on the scan).
pub type Quad = [(f64, f64); 4];

/// What happened to the page, in one word: the colour of the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Read, nothing flagged.
    Ok,
    /// Read, with at least one answer a person must look at.
    Flagged,
    /// A slip with nothing written in its answer zones.
    Blank,
    /// Set aside: not a slip of the campaign, or not readable.
    Rejected,
}

/// What a text zone came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneState {
    Read,
    Flagged,
    Blank,
    /// The page was rejected before its zones were read: the box only shows where it lies.
    NotRead,
}

/// What a line of the legend describes on the page: its colour key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Qr,
    Marks,
    Zone(ZoneState),
    Lines,
    Checkboxes,
    /// The page as a whole, or a remark.
    Page,
    /// Something that should not happen: a measurement made again disagrees with the
    /// reading's decision.
    Warning,
}

/// One line of the legend.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub layer: Layer,
    pub text: String,
}

impl Finding {
    pub fn new(layer: Layer, text: impl Into<String>) -> Finding {
        Finding {
            layer,
            text: text.into(),
        }
    }
}

/// A registration mark: where the QR code's map put it, and where it was found near there.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkView {
    pub predicted: (f64, f64),
    pub found: Option<(f64, f64)>,
    /// Half the mark's side, pixels.
    pub radius: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TextZoneView {
    pub id: String,
    /// The printed box.
    pub outline: Quad,
    pub state: ZoneState,
    /// The lines of writing found in it (what the recognizer was given, one by one).
    pub lines: Vec<Quad>,
    /// The band searched for writing past the box, when there was some.
    pub outside: Option<Quad>,
    /// A short label drawn beside the box ("answer: flagged low_confidence").
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceView {
    pub outline: Quad,
    /// The share of the box's inside that is ink (None: not measured, page rejected).
    pub score: Option<f64>,
    pub ticked: bool,
    /// One of several boxes ticked in its group (the slip's answers are flagged
    /// `multiple_ticks`).
    pub flagged: bool,
}

/// Everything found on one page, ready to draw.
pub struct Explanation {
    /// "0008-letter.jpg page 1".
    pub title: String,
    /// The page as reading saw it (grey, as scanned: not turned upright; halftone dots and
    /// scanner streaks repaired as reading repairs them). None when it cannot be decoded.
    pub page: Option<GrayImage>,
    pub verdict: Verdict,
    /// The decision as `process` made it: "rejected: no_qr — no QR code found (…)",
    /// "ok: 1 answer, flagged low_confidence (confidence 62)", "blank: …".
    pub decision: String,
    /// What the agent can do about a rejected page.
    pub advice: Option<String>,
    /// The QR code's corners (top left, top right, bottom right, bottom left of the symbol).
    pub qr: Option<Quad>,
    /// Whether the whole page was searched for a QR code in vain.
    pub qr_searched_in_vain: bool,
    pub marks: Vec<MarkView>,
    pub text_zones: Vec<TextZoneView>,
    pub choices: Vec<ChoiceView>,
    /// The legend, in order: what was found, each line with its colour.
    pub findings: Vec<Finding>,
}

impl Explanation {
    /// The explanation as plain text (what `urnscan explain` prints).
    pub fn to_text(&self) -> String {
        let mut t = format!("{}\n{}\n", self.title, self.decision);
        if let Some(a) = &self.advice {
            t.push_str(&format!("  → {a}\n"));
        }
        for f in &self.findings {
            t.push_str(&format!("  - {}\n", f.text));
        }
        t
    }
}

/// The decision of `outcome` in words, as `process` made it.
pub fn decision(outcome: &Outcome) -> (Verdict, String, Option<String>) {
    match outcome {
        Outcome::Rejected(r) => (
            Verdict::Rejected,
            format!("rejected: {} — {r}", r.reason().code()),
            Some(r.advice().to_string()),
        ),
        Outcome::Slip(s) if s.answers.is_empty() => (
            Verdict::Blank,
            "blank: nothing written in the answer zones".to_string(),
            None,
        ),
        Outcome::Slip(s) => {
            let n = s.answers.len();
            let mut words = format!("ok: {n} answer{}", if n == 1 { "" } else { "s" });
            let mut flagged = false;
            for a in &s.answers {
                let reasons = crate::output::rows::review_reasons(s, a);
                if reasons.is_empty() {
                    continue;
                }
                flagged = true;
                let zone = if n == 1 {
                    String::new()
                } else {
                    format!(" {}", a.zone)
                };
                words.push_str(&format!(
                    ",{zone} flagged {} (confidence {:.0})",
                    codes(&reasons),
                    a.confidence
                ));
            }
            if !flagged {
                words.push_str(", none flagged");
            }
            let verdict = if flagged {
                Verdict::Flagged
            } else {
                Verdict::Ok
            };
            (verdict, words, None)
        }
    }
}

fn codes(reasons: &[ReviewReason]) -> String {
    reasons
        .iter()
        .map(|r| r.code())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a page's outcome puts it before a person: rejected, or carrying an answer that
/// contributions.csv flags `needs_review`.
pub fn set_aside_or_flagged(outcome: &Outcome) -> bool {
    !matches!(decision(outcome).0, Verdict::Ok | Verdict::Blank)
}

/// Explains page `src` of `path` (named `title` in the legend), whose reading gave
/// `outcome`: decodes it again and finds again where everything lies.
pub fn explain_page(
    campaign: &Campaign,
    print_model: Option<&OcrModel>,
    path: &Path,
    title: &str,
    src: &PageSource,
    outcome: &Outcome,
) -> Explanation {
    let (verdict, decision, advice) = decision(outcome);
    let mut ex = Explanation {
        title: title.to_string(),
        page: None,
        verdict,
        decision,
        advice,
        qr: None,
        qr_searched_in_vain: false,
        marks: Vec::new(),
        text_zones: Vec::new(),
        choices: Vec::new(),
        findings: Vec::new(),
    };
    let (mut img, bilevel_as_scanned) = match decode_for_reading(path, src) {
        Ok(page) => (page.img, page.bilevel_as_scanned),
        Err(rejection) => {
            ex.findings.push(Finding::new(
                Layer::Page,
                "nothing to show: the page cannot be decoded",
            ));
            if let Outcome::Slip(_) = outcome {
                ex.findings.push(disagreement(&rejection.to_string()));
            }
            return ex;
        }
    };
    let as_decoded = img.clone();
    match locate(campaign, &mut img) {
        Ok(located) => explain_slip(&img, &located, outcome, &mut ex),
        Err(Rejection::NoQr { tried }) => {
            ex.qr_searched_in_vain = true;
            ex.findings.push(Finding::new(
                Layer::Qr,
                format!("QR code: none found; {tried}"),
            ));
            match outcome {
                Outcome::Slip(s) if s.identified_by == IdentifiedBy::Printed => {
                    ex.findings.push(Finding::new(
                        Layer::Qr,
                        format!(
                            "identified from print (registered by its three marks): {}, serial {}, urn {}, question {}",
                            s.form, s.serial, s.urn, s.question
                        ),
                    ));
                    // Registered again as `read_page` did, to show the zones it read.
                    let print = bilevel_as_scanned.as_ref().unwrap_or(&img);
                    let again = print_model.map(|model| {
                        identify_from_print(campaign, print, &mut Engines::default(), model)
                    });
                    match again {
                        Some(Ok(p)) => explain_registered(&img, p.form, &p.reg, outcome, &mut ex),
                        Some(Err(why)) => ex.findings.push(disagreement(&why)),
                        None => ex
                            .findings
                            .push(disagreement("Tesseract's print model is not installed now")),
                    }
                }
                Outcome::Slip(_) => ex.findings.push(disagreement("no QR code is found now")),
                Outcome::Rejected(_) => {}
            }
        }
        Err(rejection) => {
            // A code was decoded but is not one of the campaign's slips: show where it is,
            // and where the zones would be when its form is known.
            img = as_decoded;
            explain_rejected_code(campaign, &mut img, &rejection, &mut ex);
            if let Outcome::Slip(_) = outcome {
                ex.findings
                    .push(disagreement(&format!("the page is now {rejection}")));
            }
        }
    }
    ex.page = Some(img);
    ex
}

/// A finding that says the picture and the decision disagree: a bug, since both come from
/// the same functions on the same page.
fn disagreement(what: &str) -> Finding {
    Finding::new(
        Layer::Warning,
        format!("warning: the reading decided otherwise, but {what}: this is a bug, please report it with the file"),
    )
}

fn quad(map: &Homography, r: &RectMm) -> Quad {
    [
        map.apply(r.x, r.y),
        map.apply(r.x + r.w, r.y),
        map.apply(r.x + r.w, r.y + r.h),
        map.apply(r.x, r.y + r.h),
    ]
}

/// The QR code's corners in drawing order (`QrFound` gives the symbol's top left, top
/// right, bottom left, bottom right).
fn qr_quad(corners: &[(f64, f64); 4]) -> Quad {
    [corners[0], corners[1], corners[3], corners[2]]
}

fn shown_payload(text: &str) -> String {
    crate::output::rows::printable(text, 100)
}

/// The page was identified and registered: everything `read_page` looked at.
fn explain_slip(img: &GrayImage, located: &Located, outcome: &Outcome, ex: &mut Explanation) {
    let Located {
        qr,
        form,
        payload,
        reg,
    } = located;
    ex.qr = Some(qr_quad(&qr.corners));
    ex.findings.push(Finding::new(
        Layer::Qr,
        format!(
            "QR code: \"{}\": form {}, serial {}, urn {}, question {}",
            shown_payload(&qr.text),
            form.id,
            payload.serial,
            payload.urn,
            payload.question
        ),
    ));
    explain_marks(img, form, &qr.corners, reg, ex);
    explain_registered(img, form, reg, outcome, ex);
}

/// The zones and boxes of a page registered as `form` by `reg`, as `read_page` read them.
fn explain_registered(
    img: &GrayImage,
    form: &Form,
    reg: &Registration,
    outcome: &Outcome,
    ex: &mut Explanation,
) {
    let slip = match outcome {
        Outcome::Slip(s) => Some(s.as_ref()),
        Outcome::Rejected(r) => {
            ex.findings.push(disagreement(&format!(
                "the page is now identified (the reading said: {r})"
            )));
            None
        }
    };
    for zone in form.text_zones() {
        let view = explain_text_zone(img, reg, form, zone, slip, ex);
        ex.text_zones.push(view);
    }
    for group in form.checkbox_groups() {
        let scores = score_group(img, &reg.map, group);
        let codes = ticked(group, &scores);
        let several = codes.len() > 1;
        let mut parts = Vec::new();
        for (choice, score) in group.choices.iter().zip(&scores) {
            let is_ticked = codes.contains(&choice.code);
            ex.choices.push(ChoiceView {
                outline: quad(&reg.map, &choice.rect),
                score: Some(*score),
                ticked: is_ticked,
                flagged: several && is_ticked,
            });
            parts.push(format!(
                "{} {:.0} %{}",
                choice.code,
                score * 100.0,
                if is_ticked { " ticked" } else { "" }
            ));
        }
        ex.findings.push(Finding::new(
            if several {
                Layer::Zone(ZoneState::Flagged)
            } else {
                Layer::Checkboxes
            },
            format!(
                "boxes {}: {} (ticked from {:.0} % ink){}",
                group.id,
                parts.join(", "),
                TICK_RATIO * 100.0,
                if several {
                    ": several ticked, so the slip's answers are flagged multiple_ticks"
                } else {
                    ""
                }
            ),
        ));
        if let Some(s) = slip {
            let read = s
                .ticks
                .iter()
                .find(|t| t.group == group.id)
                .map(|t| t.codes.clone())
                .unwrap_or_default();
            if read != codes {
                ex.findings.push(disagreement(&format!(
                    "the boxes of {} now score as ticked {:?} (read: {:?})",
                    group.id, codes, read
                )));
            }
        }
    }
}

/// The marks: where the QR code's own map predicts each, and where it was found near there
/// (exactly `register`'s search), then the map they give.
fn explain_marks(
    img: &GrayImage,
    form: &Form,
    corners: &[(f64, f64); 4],
    reg: &Registration,
    ex: &mut Explanation,
) {
    let mut offsets = Vec::new();
    if let Some(first) = Homography::fit(&qr_pairs(form, corners), Model::Affine) {
        for mark in &form.marks {
            let (mx, my) = mark.centre();
            let predicted = first.apply(mx, my);
            let found = find_mark(img, &first, mark);
            let (dx, dy) = first.x_axis_at(mx, my);
            let ppmm = (dx * dx + dy * dy).sqrt();
            offsets.push(match found {
                Some(f) => format!(
                    "{:.1} mm",
                    ((f.0 - predicted.0).powi(2) + (f.1 - predicted.1).powi(2)).sqrt() / ppmm
                ),
                None => "not found".to_string(),
            });
            ex.marks.push(MarkView {
                predicted,
                found,
                radius: mark.w.max(mark.h) / 2.0 * ppmm,
            });
        }
    }
    // What `register` made of them, read from the map itself: an affine map has no
    // perspective terms.
    let kind = if reg.map.m[6] != 0.0 || reg.map.m[7] != 0.0 {
        "projective (QR code and marks)"
    } else {
        "affine (QR code and the marks found)"
    };
    let text = if form.marks.is_empty() {
        format!("registration marks: none on form {}; map {kind}", form.id)
    } else {
        format!(
            "registration marks: {} of {} found (hollow: predicted from the QR code; filled: found; off by {}); map {kind}",
            reg.marks_found,
            form.marks.len(),
            offsets.join(", "),
        )
    };
    ex.findings.push(Finding::new(Layer::Marks, text));
    ex.findings.push(Finding::new(
        Layer::Page,
        format!(
            "slip turned {}°, tilted {:.1}°, scanned at {:.0} dpi",
            reg.orientation,
            reg.tilt_deg,
            reg.px_per_mm * 25.4
        ),
    ));
}

/// A text zone measured as `read_page` measures it (crop, clean, ink, lines), with what the
/// reading made of it.
fn explain_text_zone(
    img: &GrayImage,
    reg: &Registration,
    form: &Form,
    zone: &TextZone,
    slip: Option<&Slip>,
    ex: &mut Explanation,
) -> TextZoneView {
    let MeasuredZone {
        raw: _,
        clean,
        guide_rows,
        ink_mm2,
    } = measure_text_zone(img, reg, zone);
    let inner = zone_inside(zone);
    let k = px_per_mm(READ_DPI);
    let faint_mm2 = faint_ink_pixels(&clean) as f64 / (k * k);
    let blank = ink_mm2 < BLANK_INK_MM2 && faint_mm2 < FAINT_BLANK_INK_MM2;
    let answer = slip.and_then(|s| s.answers.iter().find(|a| a.zone == zone.id).map(|a| (s, a)));
    let outline = quad(&reg.map, &zone.rect);
    let ink_words = if ink_mm2 < BLANK_INK_MM2 {
        format!(
            "ink {ink_mm2:.1} mm² (blank under {BLANK_INK_MM2:.1}), faint ink {faint_mm2:.1} mm² (an answer from {FAINT_BLANK_INK_MM2:.1})"
        )
    } else {
        format!("ink {ink_mm2:.1} mm² (blank under {BLANK_INK_MM2:.1})")
    };
    // A zone with nothing read in it: its outline and what was measured.
    let unread = |ex: &mut Explanation, state: ZoneState, word: &str| {
        ex.findings.push(Finding::new(
            Layer::Zone(state),
            format!("zone {}: {word}; {ink_words}", zone.id),
        ));
        TextZoneView {
            id: zone.id.clone(),
            outline,
            state,
            lines: Vec::new(),
            outside: None,
            label: format!("{}: {word}", zone.id),
        }
    };
    let Some(slip) = slip else {
        return unread(ex, ZoneState::NotRead, "not read");
    };
    if blank == answer.is_some() {
        ex.findings.push(disagreement(&format!(
            "zone {} now measures as {}",
            zone.id,
            if blank { "blank" } else { "written" }
        )));
    }
    let Some((_, a)) = answer else {
        return unread(ex, ZoneState::Blank, "blank");
    };
    // The lines `prepare_lines` hands the recognizer, found in the cleaned zone.
    let lines: Vec<Quad> = find_lines(&clean, &guide_rows, k)
        .iter()
        .map(|l| {
            let r = RectMm {
                x: inner.x + l.left as f64 / k,
                y: inner.y + l.top as f64 / k,
                w: (l.right - l.left) as f64 / k,
                h: l.height() as f64 / k,
            };
            quad(&reg.map, &r)
        })
        .collect();
    let outside_mm2 = ink_outside_box(img, reg, form, zone);
    let reasons = crate::output::rows::review_reasons(slip, a);
    let state = if reasons.is_empty() {
        ZoneState::Read
    } else {
        ZoneState::Flagged
    };
    let verdict = if reasons.is_empty() {
        "ok".to_string()
    } else {
        format!("flagged {}", codes(&reasons))
    };
    let text: String = {
        let masked = crate::privacy::scan(&a.text).masked;
        let short: String = masked.chars().take(90).collect();
        if masked.chars().count() > 90 {
            format!("{short}…")
        } else {
            short
        }
    };
    ex.findings.push(Finding::new(
        Layer::Zone(state),
        format!(
            "zone {}: {verdict}; {ink_words}; read \"{text}\" (confidence {:.0})",
            zone.id, a.confidence
        ),
    ));
    ex.findings.push(Finding::new(
        Layer::Lines,
        format!(
            "zone {}: {} line{} of writing found; ink past the box {outside_mm2:.1} mm² (flagged from {BLANK_INK_MM2:.1})",
            zone.id,
            lines.len(),
            if lines.len() == 1 { "" } else { "s" }
        ),
    ));
    let outside = (outside_mm2 >= BLANK_INK_MM2).then(|| {
        let band = zone.rect.grow(zone.stroke / 2.0 + OUTSIDE_BAND_MM.1);
        quad(&reg.map, &band)
    });
    TextZoneView {
        id: zone.id.clone(),
        outline,
        state,
        lines,
        outside,
        label: format!("{}: {verdict}", zone.id),
    }
}

/// A page whose QR code was decoded but which is not a slip of the campaign: the code, and
/// when its payload names a form of the campaign, where that form's zones lie (not read).
fn explain_rejected_code(
    campaign: &Campaign,
    img: &mut GrayImage,
    rejection: &Rejection,
    ex: &mut Explanation,
) {
    let qr = match find_page_qr(img) {
        Ok(qr) => qr,
        Err(tried) => {
            ex.findings.push(Finding::new(
                Layer::Qr,
                format!("QR code: not found again ({tried})"),
            ));
            return;
        }
    };
    ex.qr = Some(qr_quad(&qr.corners));
    ex.findings.push(Finding::new(
        Layer::Qr,
        format!("QR code: \"{}\"", shown_payload(&qr.text)),
    ));
    let form = campaign
        .payload
        .parse_payload(&qr.text)
        .ok()
        .and_then(|p| campaign.form(&p.form));
    let Some(form) = form else {
        return;
    };
    let Some(reg) = register(img, form, &qr.corners) else {
        return;
    };
    explain_marks(img, form, &qr.corners, &reg, ex);
    for zone in form.text_zones() {
        ex.text_zones.push(TextZoneView {
            id: zone.id.clone(),
            outline: quad(&reg.map, &zone.rect),
            state: ZoneState::NotRead,
            lines: Vec::new(),
            outside: None,
            label: format!("{}: not read", zone.id),
        });
    }
    for group in form.checkbox_groups() {
        for choice in &group.choices {
            ex.choices.push(ChoiceView {
                outline: quad(&reg.map, &choice.rect),
                score: None,
                ticked: false,
                flagged: false,
            });
        }
    }
    ex.findings.push(Finding::new(
        Layer::Zone(ZoneState::NotRead),
        format!(
            "zones of form {}: where they lie; not read, the page being {}",
            form.id,
            rejection.reason().code()
        ),
    ));
}

/// Reads page `page` (from 1) of `path` exactly as `process` does (`slip::read_page`, with
/// `models`), then explains it. A file that is missing, not a scan, or has no such page is a
/// usage error.
pub fn explain_file(
    campaign: &Campaign,
    models: &ModelChoice,
    print_model: Option<&crate::recognize::OcrModel>,
    path: &Path,
    page: u32,
) -> anyhow::Result<Explanation> {
    if !path.is_file() {
        return Err(UsageError(format!("'{}' is not a file", path.display())).into());
    }
    let format = sniff(path).map_err(|r| match r {
        Rejection::UnsupportedFile { .. } => {
            anyhow::Error::new(UsageError(format!("{}: {r}", path.display())))
        }
        other => anyhow::anyhow!("{}: {other}", path.display()),
    })?;
    let pages = match page_count(path, format) {
        Ok(n) => n,
        // Pages before a break in a multi-page file can still be read.
        Err((n, _)) if n >= page => n,
        Err((_, error)) => anyhow::bail!("{}: {error}", path.display()),
    };
    if page == 0 || page > pages {
        return Err(UsageError(format!(
            "{} has {pages} page(s): there is no page {page}",
            path.display()
        ))
        .into());
    }
    let src = PageSource { page, format };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    // `read_page` writes each answer's crop: into a private folder removed at the end.
    let scratch = Scratch::new()?;
    let ctx = PageContext {
        campaign,
        out_dir: &scratch.0,
        clean_for_ocr: false,
        lines_out: None,
        models,
        print_model,
    };
    let mut engines = Engines::default();
    let outcome = read_page(&ctx, path, &name, &src, &mut engines)
        .with_context(|| format!("stopped while reading {} page {page}", path.display()))?;
    // Before the process ends, or Tesseract reports its caches as leaks.
    drop(engines);
    Ok(explain_page(
        campaign,
        print_model,
        path,
        &format!("{name} page {page}"),
        &src,
        &outcome,
    ))
}

/// A private temporary folder (with its `crops/`), removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> anyhow::Result<Scratch> {
        let dir = std::env::temp_dir().join(format!(
            "urnscan-explain-{}-{:08x}",
            std::process::id(),
            fastrand::u32(..)
        ));
        crate::output::private::create_private_dir_all(&dir.join("crops"))
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The file name of a page's picture in a `--debug` folder: the source file's name
/// relative to the input (folders joined by `_`, extension dropped) and the page, with
/// anything but letters, digits, `.`, `-` and `_` replaced.
pub fn picture_name(source_name: &str, page: u32) -> String {
    let stem = match source_name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.contains('/') => stem,
        _ => source_name,
    };
    let safe: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.');
    format!("{safe}-p{page}.png")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Answer;

    fn slip(answers: Vec<Answer>) -> Outcome {
        Outcome::Slip(Box::new(Slip {
            payload: String::new(),
            identified_by: IdentifiedBy::Qr,
            form: "slip-a5".into(),
            serial: "000001".into(),
            urn: "U01".into(),
            question: "Q1".into(),
            orientation: 0,
            tilt_deg: 0.0,
            answers,
            ticks: Vec::new(),
        }))
    }

    fn answer(zone: &str, reasons: Vec<ReviewReason>, confidence: f32) -> Answer {
        Answer {
            zone: zone.into(),
            question_id: "Q1".into(),
            text: "des jardins".into(),
            confidence,
            review_reasons: reasons,
            crop_file: String::new(),
        }
    }

    #[test]
    fn decisions_are_worded_as_process_decides() {
        let (v, d, a) = decision(&Outcome::Rejected(Rejection::NoQr {
            tried: "searched the whole page at 1/2".into(),
        }));
        assert_eq!(v, Verdict::Rejected);
        assert_eq!(
            d,
            "rejected: no_qr — no QR code found (searched the whole page at 1/2)"
        );
        assert!(a.is_some_and(|a| a.contains("rescan")));
        let (v, d, _) = decision(&slip(vec![answer(
            "answer",
            vec![ReviewReason::LowConfidence],
            62.4,
        )]));
        assert_eq!(v, Verdict::Flagged);
        assert_eq!(d, "ok: 1 answer, flagged low_confidence (confidence 62)");
        let (v, d, _) = decision(&slip(vec![
            answer("answer1", vec![], 90.0),
            answer("answer2", vec![], 91.0),
        ]));
        assert_eq!(
            (v, d.as_str()),
            (Verdict::Ok, "ok: 2 answers, none flagged")
        );
        let (v, _, _) = decision(&slip(vec![]));
        assert_eq!(v, Verdict::Blank);
        // A phone number is flagged by contributions.csv, not by the reader: so here too.
        let mut phone = answer("answer", vec![], 95.0);
        phone.text = "appelez-moi au 06 12 34 56 78".into();
        let (v, d, _) = decision(&slip(vec![phone]));
        assert_eq!(v, Verdict::Flagged, "{d}");
        assert!(d.contains("personal_data"), "{d}");
    }

    #[test]
    fn picture_names_are_safe_and_keep_folders_apart() {
        assert_eq!(picture_name("0008-letter.jpg", 1), "0008-letter-p1.png");
        assert_eq!(picture_name("a/b/scan 1.tif", 3), "a_b_scan_1-p3.png");
        assert_eq!(picture_name("../x.pdf", 2), "_x-p2.png");
        assert_eq!(picture_name("noext", 1), "noext-p1.png");
        assert_eq!(picture_name("dir.d/noext", 1), "dir.d_noext-p1.png");
        assert_eq!(picture_name("été\n.jpg", 1), "_t__-p1.png");
    }
}
