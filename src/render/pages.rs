//! What each generated page is (a filled slip, a sheet, a blank slip, a stray letter or flyer,
//! a slip naming an unknown urn), how it is drawn, and its ground-truth rows.

use anyhow::{anyhow, Context};

use super::canvas::{Canvas, Ink};
use super::corpus::ANSWERS;
use super::fill::{tick, write_answer, InkKind, TickKind};
use super::form::{draw_form, draw_qr, print_line_px, qr_question, FormValues};
use super::paste::{paste_answer, RealLines};
use super::scan::{damage_qr, encode, scan, Format, QrDamage, ScanParams};
use super::text::{pt_to_mm, Fonts};
use crate::campaign::{Campaign, Form, QrQuestion, RectMm, ZoneQuestion};

pub(crate) const PAGE_COLUMNS: [&str; 15] = [
    "file",
    "page",
    "status",
    "reason",
    "form",
    "serial",
    "urn_id",
    "question_id",
    "qr_payload",
    "dpi",
    "tilt_deg",
    "ink",
    "font",
    "orientation",
    "scan",
];
/// truth-answers.csv's header for `campaign`: the fixed columns, then one column per
/// checkbox group of its layout.
pub(crate) fn answer_columns(campaign: &Campaign) -> Vec<String> {
    crate::eval::TRUTH_ANSWER_COLUMNS
        .iter()
        .map(|c| c.to_string())
        .chain(campaign.checkbox_group_ids())
        .collect()
}

/// The QR code of a flyer that is not a slip of any campaign.
const FOREIGN_PAYLOAD: &str = "https://www.nantes.fr/agenda";
/// An urn id printed on a slip but absent from the registry.
const UNKNOWN_URN: (&str, &str) = ("U99", "Salle polyvalente de la Bourderie");

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// A one-question slip; `blank` = returned with nothing written or ticked.
    Slip { question: String, blank: bool },
    /// The multi-question sheet; `filled[i]` says whether its i-th text zone is answered.
    Sheet { filled: Vec<bool> },
    /// A filled slip whose QR code names an urn the registry does not have.
    UnknownUrn { question: String },
    /// A typed letter slipped into the urn: no QR code at all.
    Letter,
    /// A flyer with somebody else's QR code.
    Flyer,
}

impl Kind {
    /// The generated file's name after its number: the form's id in the campaign's layout,
    /// or what the page is when it is not a form.
    pub fn file_stem<'c>(&self, campaign: &'c Campaign) -> anyhow::Result<&'c str> {
        let (slip, sheet) = forms(campaign)?;
        Ok(match self {
            Kind::Slip { .. } | Kind::UnknownUrn { .. } => &slip.id,
            Kind::Sheet { .. } => &sheet.id,
            Kind::Letter => "letter",
            Kind::Flyer => "flyer",
        })
    }
}

#[derive(Debug, Clone)]
pub(crate) struct PageSpec {
    pub kind: Kind,
    pub urn: String,
    pub serial: String,
    pub dpi: u32,
    pub format: Format,
    pub ink: InkKind,
    /// Index into the handwriting faces.
    pub font: usize,
    pub tick: TickKind,
    /// Force two ticks in the first checkbox group (a citizen's mistake).
    pub two_ticks: bool,
    pub scan: ScanParams,
    /// Seed of this page's own drawing randomness, so pages do not depend on each other.
    pub seed: u64,
}

/// Consecutive-ish serial numbers, as a printed run with some slips never returned.
struct Serials {
    next: u64,
    digits: usize,
}

impl Serials {
    fn take(&mut self, rng: &mut fastrand::Rng) -> String {
        let s = format!("{:0width$}", self.next, width = self.digits);
        self.next += rng.u64(1..=5);
        s
    }
}

/// The slip form (one question, named by the QR) and the sheet form (literal question field).
fn forms(campaign: &Campaign) -> anyhow::Result<(&Form, &Form)> {
    let slip = campaign
        .forms
        .iter()
        .find(|f| f.qr_question == QrQuestion::Registry)
        .ok_or_else(|| anyhow!("the campaign has no one-question form"))?;
    let sheet = campaign
        .forms
        .iter()
        .find(|f| matches!(f.qr_question, QrQuestion::Literal(_)))
        .ok_or_else(|| anyhow!("the campaign has no multi-question form"))?;
    Ok((slip, sheet))
}

fn random_scan(rng: &mut fastrand::Rng) -> ScanParams {
    let tilt_range = if rng.f64() < 0.7 { 3.0 } else { 10.0 };
    let r = 0.97 + rng.f64() * 0.03;
    ScanParams {
        tilt_deg: ((rng.f64() * 2.0 - 1.0) * tilt_range * 100.0).round() / 100.0,
        quarter_turns: 0,
        bed_mm: None,
        bed_at: (0.5, 0.5),
        shift_mm: ((rng.f64() - 0.5) * 8.0, (rng.f64() - 0.5) * 8.0),
        tint: [r, r - rng.f64() * 0.01, r - rng.f64() * 0.04],
        fill: rng.u8(235..=252),
        noise_sigma: 2.0 + rng.f64() * 6.0,
        blur: rng.f64() < 0.2,
        gray: rng.f64() < 0.3,
        white_clip: rng.f64() < 0.6,
        streaks: 0,
        dust: 0,
        folds: 0,
        stains: 0,
        bilevel: false,
        qr_damage: None,
    }
}

fn random_spec(
    campaign: &Campaign,
    kind: Kind,
    serials: &mut Serials,
    rng: &mut fastrand::Rng,
) -> PageSpec {
    let urn = campaign.urns[rng.usize(..campaign.urns.len())].id.clone();
    let format = match rng.u32(0..100) {
        0..=84 => Format::Jpeg(rng.u8(70..=90)),
        85..=92 => Format::Png,
        _ => Format::Tiff,
    };
    let mut scan = random_scan(rng);
    // Lossless scans are archival grayscale ones (and colour noise would make them huge).
    if !matches!(format, Format::Jpeg(_)) {
        scan.gray = true;
    }
    PageSpec {
        kind,
        urn,
        serial: serials.take(rng),
        dpi: [200, 300, 400][rng.usize(..3)],
        format,
        ink: InkKind::ALL[rng.usize(..3)],
        font: rng.usize(..super::text::HAND_FONTS.len()),
        tick: TickKind::ALL[rng.usize(..4)],
        two_ticks: false,
        scan,
        seed: rng.u64(..),
    }
}

fn random_question(campaign: &Campaign, rng: &mut fastrand::Rng) -> String {
    campaign.questions[rng.usize(..campaign.questions.len())]
        .id
        .clone()
}

fn serials(campaign: &Campaign, rng: &mut fastrand::Rng) -> Serials {
    let digits = campaign.payload.serial_digits();
    Serials {
        next: rng.u64(100..2000),
        digits,
    }
}

/// `count` pages at random, with the four special pages among them when `count >= 10`.
pub(crate) fn random_specs(
    campaign: &Campaign,
    count: usize,
    faults: bool,
    damaged_qr: bool,
    rng: &mut fastrand::Rng,
) -> anyhow::Result<Vec<PageSpec>> {
    let (_, sheet) = forms(campaign)?;
    let n_zones = sheet.text_zones().count();
    let mut serials = serials(campaign, rng);
    let mut specials: Vec<Kind> = Vec::new();
    if count >= 10 {
        specials = vec![
            Kind::Slip {
                question: random_question(campaign, rng),
                blank: true,
            },
            Kind::Letter,
            Kind::Flyer,
            Kind::UnknownUrn {
                question: random_question(campaign, rng),
            },
        ];
    }
    let mut positions: Vec<usize> = Vec::new();
    while positions.len() < specials.len() {
        let p = rng.usize(..count);
        if !positions.contains(&p) {
            positions.push(p);
        }
    }
    let mut specs = Vec::with_capacity(count);
    for i in 0..count {
        let kind = match positions.iter().position(|&p| p == i) {
            Some(k) => specials[k].clone(),
            None if rng.f64() < 0.25 => {
                let answered = rng.usize(1..=n_zones);
                let mut filled = vec![false; n_zones];
                while filled.iter().filter(|f| **f).count() < answered {
                    filled[rng.usize(..n_zones)] = true;
                }
                Kind::Sheet { filled }
            }
            None => Kind::Slip {
                question: random_question(campaign, rng),
                blank: false,
            },
        };
        let mut spec = random_spec(campaign, kind, &mut serials, rng);
        spec.two_ticks = rng.f64() < 0.08;
        // Scanner reality beyond tilt: one page in five through sideways or upside down, and
        // one slip in four lying anywhere on an A4 bed, its lid sometimes dark.
        if rng.f64() < 0.2 {
            spec.scan.quarter_turns = rng.u8(1..=3);
        }
        if matches!(spec.kind, Kind::Slip { .. }) && rng.f64() < 0.25 {
            spec.scan.bed_mm = Some((210.0, 297.0));
            spec.scan.bed_at = (rng.f64(), rng.f64());
            if rng.f64() < 0.3 {
                spec.scan.fill = rng.u8(25..=60);
            }
        }
        // A dirty scanner: a streak down one page in seven, dust on one in four.
        if rng.f64() < 0.15 {
            spec.scan.streaks = rng.u8(1..=2);
        }
        if rng.f64() < 0.25 {
            spec.scan.dust = rng.u32(100..=600);
        }
        if faults {
            add_paper_faults(&mut spec, rng);
        }
        if damaged_qr
            && matches!(
                spec.kind,
                Kind::Slip { .. } | Kind::Sheet { .. } | Kind::UnknownUrn { .. }
            )
        {
            spec.scan.qr_damage = Some(if rng.f64() < 0.5 {
                QrDamage::Torn
            } else {
                QrDamage::Blotted
            });
        }
        specs.push(spec);
    }
    Ok(specs)
}

/// What slips suffer in an urn and an office scanner, on most pages (`generate --faults`):
/// folds, stains, black-and-white scans of halftoned forms, and blank slips to show
/// whether any of it is taken for writing. Pencil is not scanned black-and-white: a
/// threshold leaves nothing of it for any reader.
fn add_paper_faults(spec: &mut PageSpec, rng: &mut fastrand::Rng) {
    if let Kind::Slip { blank, .. } = &mut spec.kind {
        if rng.f64() < 0.3 {
            *blank = true;
        }
    }
    if rng.f64() < 0.5 {
        spec.scan.folds = rng.u8(1..=2);
    }
    if rng.f64() < 0.35 {
        spec.scan.stains = rng.u8(1..=2);
    }
    if rng.f64() < 0.3 && spec.ink != InkKind::Pencil {
        spec.scan.bilevel = true;
        spec.scan.gray = true;
        spec.format = if rng.f64() < 0.5 {
            Format::Png
        } else {
            Format::Tiff
        };
    }
}

/// The committed sample set: a fixed list of pages covering every case the reader meets.
pub(crate) fn sample_specs(
    campaign: &Campaign,
    rng: &mut fastrand::Rng,
) -> anyhow::Result<Vec<PageSpec>> {
    let (_, sheet) = forms(campaign)?;
    let n_zones = sheet.text_zones().count();
    let q = |i: usize| campaign.questions[i % campaign.questions.len()].id.clone();
    let slip = |i: usize| Kind::Slip {
        question: q(i),
        blank: false,
    };
    let some = |idx: &[usize]| Kind::Sheet {
        filled: (0..n_zones).map(|z| idx.contains(&z)).collect(),
    };
    use Format::{Jpeg, Png, Tiff};
    use InkKind::{Black, Blue, Pencil};
    use TickKind::{Check, Cross, Filled, Scribble};
    // (kind, dpi, format, ink, tick, tilt, noise, blur, gray, two ticks)
    type Row = (
        Kind,
        u32,
        Format,
        InkKind,
        TickKind,
        f64,
        f64,
        bool,
        bool,
        bool,
    );
    let rows: Vec<Row> = vec![
        (
            slip(0),
            300,
            Jpeg(85),
            Blue,
            Cross,
            1.2,
            2.0,
            false,
            false,
            false,
        ),
        (
            slip(1),
            200,
            Jpeg(80),
            Black,
            Check,
            -2.5,
            2.5,
            false,
            false,
            false,
        ),
        (
            slip(2),
            300,
            Jpeg(90),
            Pencil,
            Filled,
            0.4,
            2.0,
            false,
            false,
            false,
        ),
        (
            some(&[0, 1, 2]),
            200,
            Jpeg(75),
            Blue,
            Cross,
            -1.0,
            2.0,
            false,
            false,
            false,
        ),
        (
            some(&[0, 2]),
            300,
            Jpeg(85),
            Black,
            Cross,
            3.0,
            2.0,
            false,
            true,
            false,
        ),
        (
            slip(0),
            400,
            Jpeg(80),
            Blue,
            Scribble,
            -6.0,
            2.0,
            false,
            false,
            true,
        ),
        (
            Kind::Slip {
                question: q(1),
                blank: true,
            },
            300,
            Jpeg(85),
            Blue,
            Cross,
            0.8,
            3.0,
            false,
            false,
            false,
        ),
        (
            Kind::Letter,
            200,
            Jpeg(80),
            Blue,
            Cross,
            1.5,
            2.0,
            false,
            true,
            false,
        ),
        (
            Kind::Flyer,
            300,
            Jpeg(85),
            Black,
            Cross,
            -2.0,
            2.0,
            false,
            false,
            false,
        ),
        (
            Kind::UnknownUrn { question: q(2) },
            300,
            Jpeg(80),
            Black,
            Cross,
            -0.7,
            3.0,
            false,
            false,
            false,
        ),
        (
            slip(1),
            200,
            Png,
            Pencil,
            Check,
            2.0,
            2.0,
            false,
            true,
            false,
        ),
        (
            slip(0),
            200,
            Tiff,
            Black,
            Filled,
            -1.0,
            2.0,
            false,
            true,
            false,
        ),
        (
            slip(2),
            400,
            Jpeg(70),
            Blue,
            Check,
            10.0,
            2.0,
            false,
            true,
            false,
        ),
        (
            slip(0),
            300,
            Jpeg(80),
            Black,
            Cross,
            -10.0,
            2.5,
            true,
            true,
            false,
        ),
        (
            some(&[1]),
            300,
            Jpeg(80),
            Pencil,
            Scribble,
            0.3,
            2.0,
            false,
            false,
            false,
        ),
        (
            slip(1),
            300,
            Jpeg(80),
            Blue,
            Scribble,
            -3.5,
            6.0,
            false,
            true,
            false,
        ),
    ];
    let mut serials = serials(campaign, rng);
    let n_fonts = super::text::HAND_FONTS.len();
    let mut specs = Vec::new();
    for (i, (kind, dpi, format, ink, tick, tilt, noise, blur, gray, two)) in
        rows.into_iter().enumerate()
    {
        let mut spec = random_spec(campaign, kind, &mut serials, rng);
        spec.dpi = dpi;
        spec.format = format;
        spec.ink = ink;
        spec.tick = tick;
        spec.font = i % n_fonts;
        spec.two_ticks = two;
        spec.scan.tilt_deg = tilt;
        // Sample pages stay light (the committed set must stay a few MB): noise costs JPEG bytes.
        spec.scan.noise_sigma = noise;
        spec.scan.blur = blur;
        spec.scan.gray = gray;
        // Only the noisiest sample page keeps its grey, noisy paper: the rest are clipped to
        // white as most scanners do, which keeps the committed set small.
        spec.scan.white_clip = noise < 5.0;
        specs.push(spec);
    }
    Ok(specs)
}

/// A page drawn, scanned and encoded, with what the truth files say about it.
pub(crate) struct Rendered {
    pub bytes: Vec<u8>,
    status: &'static str,
    reason: &'static str,
    form: String,
    serial: String,
    urn: String,
    question: String,
    payload: String,
    dpi: u32,
    tilt: f64,
    /// Clockwise rotation of the form in the scan, as pages.csv reports it.
    orientation: u16,
    ink: String,
    font: String,
    /// How the page lay on the scanner: `|`-separated among `bed` (anywhere on an A4 bed),
    /// `dark_lid`, `streaks`, `dust`, `fold`, `stain`, `bilevel`; empty for a plain feed.
    scan: String,
    answers: Vec<AnswerTruth>,
}

struct AnswerTruth {
    contribution_id: String,
    question: String,
    zone: String,
    text: String,
    /// The checkbox groups of the answer's form, `|`-separated.
    form_groups: String,
    /// The ticked codes of every checkbox group of the campaign, in layout order.
    ticks: Vec<String>,
}

impl Rendered {
    pub fn page_row(&self, file: &str, page: u32) -> Vec<String> {
        vec![
            file.to_string(),
            page.to_string(),
            self.status.to_string(),
            self.reason.to_string(),
            self.form.clone(),
            self.serial.clone(),
            self.urn.clone(),
            self.question.clone(),
            self.payload.clone(),
            self.dpi.to_string(),
            format!("{:.2}", self.tilt),
            self.ink.clone(),
            self.font.clone(),
            self.orientation.to_string(),
            self.scan.clone(),
        ]
    }

    pub fn answer_rows(&self, file: &str, page: u32) -> Vec<Vec<String>> {
        self.answers
            .iter()
            .map(|a| {
                [
                    file.to_string(),
                    page.to_string(),
                    a.contribution_id.clone(),
                    a.question.clone(),
                    a.zone.clone(),
                    a.text.clone(),
                    a.form_groups.clone(),
                ]
                .into_iter()
                .chain(a.ticks.iter().cloned())
                .collect()
            })
            .collect()
    }
}

/// Corpus answers the face can draw completely (never a text with a missing glyph).
fn pick_text<'a>(
    face: &super::text::Face,
    used: &[&str],
    rng: &mut fastrand::Rng,
) -> anyhow::Result<&'a str> {
    let ok: Vec<&'a str> = ANSWERS
        .iter()
        .copied()
        .filter(|t| face.covers(t) && !used.contains(t))
        .collect();
    if ok.is_empty() {
        return Err(anyhow!("the font {} covers no corpus answer", face.name));
    }
    Ok(ok[rng.usize(..ok.len())])
}

fn scan_conditions(p: &super::scan::ScanParams) -> String {
    let mut c = Vec::new();
    if p.bed_mm.is_some() {
        c.push("bed");
        if p.fill < 128 {
            c.push("dark_lid");
        }
    }
    if p.streaks > 0 {
        c.push("streaks");
    }
    if p.dust > 0 {
        c.push("dust");
    }
    if p.folds > 0 {
        c.push("fold");
    }
    if p.stains > 0 {
        c.push("stain");
    }
    if p.bilevel {
        c.push("bilevel");
    }
    if let Some(d) = p.qr_damage {
        c.push(d.name());
    }
    c.join("|")
}

pub(crate) fn render(
    campaign: &Campaign,
    fonts: &Fonts,
    real: Option<&RealLines>,
    spec: &PageSpec,
) -> anyhow::Result<Rendered> {
    let (slip, sheet) = forms(campaign)?;
    let mut rng = fastrand::Rng::with_seed(spec.seed);
    let face = fonts
        .hands
        .get(spec.font)
        .ok_or_else(|| anyhow!("no handwriting face number {}", spec.font))?;
    let ink = spec.ink.ink(&mut rng);
    let mut out = Rendered {
        bytes: Vec::new(),
        status: "ok",
        reason: "",
        form: String::new(),
        serial: String::new(),
        urn: String::new(),
        question: String::new(),
        payload: String::new(),
        dpi: spec.dpi,
        tilt: spec.scan.tilt_deg,
        orientation: spec.scan.quarter_turns as u16 * 90,
        scan: scan_conditions(&spec.scan),
        ink: spec.ink.name().to_string(),
        font: face.name.to_string(),
        answers: Vec::new(),
    };
    let canvas = match &spec.kind {
        Kind::Slip { question, blank } => {
            let filled = vec![!blank; slip.text_zones().count()];
            if *blank {
                out.status = "blank";
                out.ink.clear();
                out.font.clear();
            }
            fill_form(
                campaign, fonts, real, spec, slip, question, None, &filled, ink, &mut rng, &mut out,
            )?
        }
        Kind::Sheet { filled } => {
            let q = qr_question(sheet, "");
            fill_form(
                campaign, fonts, real, spec, sheet, &q, None, filled, ink, &mut rng, &mut out,
            )?
        }
        Kind::UnknownUrn { question } => {
            let filled = vec![true; slip.text_zones().count()];
            let c = fill_form(
                campaign,
                fonts,
                real,
                spec,
                slip,
                question,
                Some(UNKNOWN_URN),
                &filled,
                ink,
                &mut rng,
                &mut out,
            )?;
            out.status = "rejected";
            out.reason = "unknown_urn";
            if spec.scan.qr_damage.is_some() {
                // Its print names an urn the registry lacks: not identified from print either.
                out.reason = "no_qr";
                out.payload.clear();
            }
            // Not a contribution: the reader must reject the page, not read it.
            out.answers.clear();
            c
        }
        Kind::Letter => {
            out.status = "rejected";
            out.reason = "no_qr";
            draw_letter(fonts, spec, ink, &mut rng)?
        }
        Kind::Flyer => {
            out.status = "rejected";
            out.reason = "foreign_qr";
            out.payload = FOREIGN_PAYLOAD.to_string();
            out.ink.clear();
            out.font.clear();
            draw_flyer(fonts, spec, &mut rng)?
        }
    };
    let ppm = canvas.ppm;
    let mut img = canvas.img;
    if let Some(damage) = spec.scan.qr_damage {
        let form = match &spec.kind {
            Kind::Sheet { .. } => sheet,
            _ => slip,
        };
        damage_qr(&mut img, ppm, form.qr, damage, spec.scan.fill, &mut rng);
    }
    let scanned = scan(img, ppm, &spec.scan, &mut rng)?;
    out.bytes = encode(&scanned, spec.format, spec.dpi)?;
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn fill_form(
    campaign: &Campaign,
    fonts: &Fonts,
    real: Option<&RealLines>,
    spec: &PageSpec,
    form: &Form,
    question: &str,
    urn_override: Option<(&str, &str)>,
    filled: &[bool],
    ink: Ink,
    rng: &mut fastrand::Rng,
    out: &mut Rendered,
) -> anyhow::Result<Canvas> {
    let (urn_id, urn_name) = match urn_override {
        Some(u) => u,
        None => {
            let u = campaign
                .urn(&spec.urn)
                .ok_or_else(|| anyhow!("urn '{}' is not in the registry", spec.urn))?;
            (u.id.as_str(), u.name.as_str())
        }
    };
    let qr_q = qr_question(form, question);
    let vals = FormValues {
        urn_id,
        urn_name,
        question_id: &qr_q,
        serial: &spec.serial,
    };
    let mut canvas = Canvas::new(form.width, form.height, spec.dpi as f64);
    out.payload = draw_form(&mut canvas, campaign, form, &vals, fonts)?;
    out.form = form.id.clone();
    out.serial = spec.serial.clone();
    out.urn = urn_id.to_string();
    out.question = qr_q.clone();
    let face = &fonts.hands[spec.font];
    let blank = !filled.iter().any(|f| *f);

    // Ticks first: the truth rows of every answer on the page carry them.
    let mut ticked: Vec<(String, String)> = Vec::new();
    for (gi, g) in form.checkbox_groups().enumerate() {
        if blank || g.choices.is_empty() {
            ticked.push((g.id.clone(), String::new()));
            continue;
        }
        let roll = rng.f64();
        let mut n = if roll < 0.25 {
            0
        } else if roll < 0.92 {
            1
        } else {
            2
        };
        if spec.two_ticks && gi == 0 {
            n = 2;
        }
        let n = n.min(g.choices.len());
        let mut chosen: Vec<usize> = Vec::new();
        while chosen.len() < n {
            let c = rng.usize(..g.choices.len());
            if !chosen.contains(&c) {
                chosen.push(c);
            }
        }
        chosen.sort_unstable();
        for &c in &chosen {
            tick(&mut canvas, g.choices[c].rect, spec.tick, ink, rng);
        }
        let codes: Vec<&str> = chosen.iter().map(|&c| g.choices[c].code.as_str()).collect();
        ticked.push((g.id.clone(), codes.join("|")));
    }
    let ticks: Vec<String> = campaign
        .checkbox_group_ids()
        .iter()
        .map(|id| {
            ticked
                .iter()
                .find(|(g, _)| g == id)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        })
        .collect();
    let form_groups = form
        .checkbox_groups()
        .map(|g| g.id.as_str())
        .collect::<Vec<_>>()
        .join("|");

    let mut used: Vec<&str> = Vec::new();
    for (zi, zone) in form.text_zones().enumerate() {
        if !filled.get(zi).copied().unwrap_or(false) {
            continue;
        }
        let drawn = match real {
            Some(real) => paste_answer(&mut canvas, zone, real, rng),
            None => {
                let text = pick_text(face, &used, rng)?;
                used.push(text);
                write_answer(&mut canvas, zone, text, face, ink, rng)
            }
        };
        if drawn.is_empty() {
            continue;
        }
        let qid = match &zone.question {
            ZoneQuestion::FromQr => question.to_string(),
            ZoneQuestion::Fixed(q) => q.clone(),
        };
        out.answers.push(AnswerTruth {
            contribution_id: format!("{}-{}-{}", campaign.id, spec.serial, qid),
            question: qid,
            zone: zone.id.clone(),
            text: drawn,
            form_groups: form_groups.clone(),
            ticks: ticks.clone(),
        });
    }
    Ok(canvas)
}

/// Writes wrapped print paragraphs from `y_mm`; returns the y below them.
#[allow(clippy::too_many_arguments)]
fn paragraphs(
    canvas: &mut Canvas,
    fonts: &Fonts,
    paras: &[&str],
    x_mm: f64,
    w_mm: f64,
    mut y_mm: f64,
    size_pt: f64,
    bold: bool,
    rng: &mut fastrand::Rng,
) -> anyhow::Result<f64> {
    let face = if bold { &fonts.bold } else { &fonts.sans };
    let em = canvas.px(pt_to_mm(size_pt));
    for p in paras {
        for line in face.wrap(p, em, canvas.px(w_mm)) {
            y_mm += pt_to_mm(size_pt) * 1.4;
            let (x, b) = (canvas.px(x_mm), canvas.px(y_mm));
            print_line_px(canvas, fonts, bold, &line, x, b, em, rng)?;
        }
        y_mm += pt_to_mm(size_pt) * 0.8;
    }
    Ok(y_mm)
}

/// A typed letter to the mayor, signed by hand: paper in the urn without any QR code.
fn draw_letter(
    fonts: &Fonts,
    spec: &PageSpec,
    ink: Ink,
    rng: &mut fastrand::Rng,
) -> anyhow::Result<Canvas> {
    let mut c = Canvas::new(210.0, 297.0, spec.dpi as f64);
    let y = paragraphs(
        &mut c,
        fonts,
        &["Madame la Maire,"],
        25.0,
        160.0,
        40.0,
        11.0,
        false,
        rng,
    )?;
    let y = paragraphs(
        &mut c,
        fonts,
        &[
            "Je me permets de vous écrire à l’occasion des Assises des nouvelles solidarités, car le formulaire était trop petit pour tout ce que j’avais à dire.",
            "Depuis la fermeture du bureau de poste de notre quartier, les personnes âgées doivent prendre deux bus pour retirer leur pension. Beaucoup ne se déplacent plus et restent seules chez elles, parfois plusieurs jours sans voir personne.",
            "Ne pourrait-on pas imaginer une permanence mobile, une fois par semaine, avec un agent du CCAS et un bénévole ? Je suis prête à donner de mon temps.",
            "Je vous prie d’agréer, Madame la Maire, l’expression de mes salutations respectueuses.",
        ],
        25.0,
        160.0,
        y + 6.0,
        11.0,
        false,
        rng,
    )?;
    let face = &fonts.hands[spec.font];
    let sig = "M. Lefèvre";
    if face.covers(sig) {
        let em = c.px(7.0);
        let mut mask = face.mask_for(sig, c.px(120.0), c.px(y + 15.0), em);
        face.draw_into(&mut mask, sig, c.px(120.0), c.px(y + 15.0), em);
        c.apply(&mask, ink, rng);
    }
    Ok(c)
}

/// A neighbourhood flyer whose QR code leads to another website.
fn draw_flyer(fonts: &Fonts, spec: &PageSpec, rng: &mut fastrand::Rng) -> anyhow::Result<Canvas> {
    let mut c = Canvas::new(148.0, 210.0, spec.dpi as f64);
    c.fill_mm(
        RectMm {
            x: 0.0,
            y: 0.0,
            w: 148.0,
            h: 30.0,
        },
        [70, 70, 70],
    );
    let y = paragraphs(
        &mut c,
        fonts,
        &["Agenda des quartiers — printemps 2022"],
        12.0,
        124.0,
        38.0,
        16.0,
        true,
        rng,
    )?;
    paragraphs(
        &mut c,
        fonts,
        &[
            "Fête du jeu, repair café, bal guinguette : plus de 40 rendez-vous gratuits près de chez vous, du 2 avril au 29 mai.",
            "Inscriptions à l’accueil de votre mairie annexe ou en ligne.",
            "Scannez le code pour voir l’agenda complet →",
        ],
        12.0,
        124.0,
        y + 4.0,
        11.0,
        false,
        rng,
    )?;
    draw_qr(
        &mut c,
        FOREIGN_PAYLOAD,
        RectMm {
            x: 100.0,
            y: 150.0,
            w: 32.0,
            h: 32.0,
        },
    )
    .context("drawing the flyer's QR code")?;
    Ok(c)
}
