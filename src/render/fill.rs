//! Filling a form like a citizen: a handwritten answer laid on the guide lines with a
//! handwriting-like font (size and baseline wobbling a little per word), and ticks in the
//! checkboxes (cross, check mark, filled square, scribble), in ballpoint or pencil.

use unicode_normalization::UnicodeNormalization;

use super::canvas::{Canvas, Ink};
use super::text::{Face, Fonts};
use crate::campaign::{Form, RectMm, TextZone};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InkKind {
    Blue,
    Black,
    Pencil,
}

impl InkKind {
    pub const ALL: [InkKind; 3] = [InkKind::Blue, InkKind::Black, InkKind::Pencil];

    pub fn name(self) -> &'static str {
        match self {
            InkKind::Blue => "blue",
            InkKind::Black => "black",
            InkKind::Pencil => "pencil",
        }
    }

    /// The ink of one pen: the colour varies a little from pen to pen.
    pub fn ink(self, rng: &mut fastrand::Rng) -> Ink {
        let j = |rng: &mut fastrand::Rng, v: i32| (v + rng.i32(-8..=8)).clamp(0, 255) as u8;
        match self {
            InkKind::Blue => Ink {
                rgb: [j(rng, 25), j(rng, 45), j(rng, 140)],
                grain: 0.85,
            },
            InkKind::Black => Ink {
                rgb: [j(rng, 25), j(rng, 25), j(rng, 30)],
                grain: 0.9,
            },
            InkKind::Pencil => Ink {
                rgb: [j(rng, 105), j(rng, 105), j(rng, 110)],
                grain: 0.45,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TickKind {
    Cross,
    Check,
    Filled,
    Scribble,
}

impl TickKind {
    pub const ALL: [TickKind; 4] = [
        TickKind::Cross,
        TickKind::Check,
        TickKind::Filled,
        TickKind::Scribble,
    ];
}

/// Writes as much of `text` as fits into `zone`, one guide line after the other, and returns
/// exactly the words drawn, joined by single spaces (NFC).
pub(crate) fn write_answer(
    canvas: &mut Canvas,
    zone: &TextZone,
    text: &str,
    face: &Face,
    ink: Ink,
    rng: &mut fastrand::Rng,
) -> String {
    let r = zone.rect;
    // Baselines: the guide lines when printed, else an imaginary 10 mm ruling.
    let guides: Vec<f64> = match &zone.guides {
        Some(g) => g.ys().collect(),
        None => {
            let mut v = Vec::new();
            let mut y = r.y + 10.0;
            while y < r.y + r.h - 2.0 {
                v.push(y);
                y += 10.0;
            }
            v
        }
    };
    let x_height = 2.5 + rng.f64();
    let em_mm = (x_height / face.x_height).clamp(5.5, 8.5);
    let left = r.x + 3.0 + rng.f64() * 1.5;
    let right = r.x + r.w - zone.stroke - 1.5;
    let line_lift = 1.0 + rng.f64() * 0.5;

    let mut drawn: Vec<&str> = Vec::new();
    let mut line = 0usize;
    let mut x = left;
    // Some faces have a very narrow space; hands leave a clear gap between words, and the
    // reader's OCR needs it too.
    let space = (face.width(" ", canvas.px(em_mm)) / canvas.ppm).max(0.3 * em_mm);
    for word in text.split_whitespace() {
        let scale = 0.94 + rng.f64() * 0.12;
        let em = canvas.px(em_mm * scale);
        let w = face.width(word, em) / canvas.ppm;
        let gap = if x > left {
            space * (0.8 + rng.f64() * 0.5)
        } else {
            0.0
        };
        if x + gap + w > right {
            line += 1;
            x = left + rng.f64() * 1.0;
            if line >= guides.len() || x + w > right {
                break;
            }
        } else {
            x += gap;
        }
        if line >= guides.len() {
            break;
        }
        let base = guides[line] - line_lift + (rng.f64() - 0.5) * 0.8;
        let (px, pb) = (canvas.px(x), canvas.px(base));
        let mut mask = face.mask_for(word, px, pb, em);
        face.draw_into(&mut mask, word, px, pb, em);
        canvas.apply(&mask, ink, rng);
        drawn.push(word);
        x += w;
    }
    drawn.join(" ").nfc().collect()
}

/// Ticks the box `r` the way a hurried hand does (overshooting it by up to ~1 mm).
pub(crate) fn tick(
    canvas: &mut Canvas,
    r: RectMm,
    kind: TickKind,
    ink: Ink,
    rng: &mut fastrand::Rng,
) {
    let width = 0.45 + rng.f64() * 0.15;
    let mut j = |v: f64, amp: f64| v + (rng.f64() - 0.5) * 2.0 * amp;
    let (x0, y0, x1, y1) = (r.x, r.y, r.x + r.w, r.y + r.h);
    let strokes: Vec<Vec<(f64, f64)>> = match kind {
        TickKind::Cross => vec![
            vec![(j(x0, 0.8), j(y0, 0.8)), (j(x1, 0.8), j(y1, 0.8))],
            vec![(j(x1, 0.8), j(y0, 0.8)), (j(x0, 0.8), j(y1, 0.8))],
        ],
        TickKind::Check => vec![vec![
            (j(x0 + 0.5, 0.3), j(y0 + 2.0, 0.3)),
            (j(x0 + 1.6, 0.3), j(y1 - 0.4, 0.3)),
            (j(x1 + 0.4, 0.5), j(y0 - 0.6, 0.4)),
        ]],
        TickKind::Filled => {
            let mut pts = Vec::new();
            let mut y = y0 + 0.3;
            let mut left = true;
            while y < y1 - 0.2 {
                pts.push((
                    if left {
                        j(x0 + 0.2, 0.15)
                    } else {
                        j(x1 - 0.2, 0.15)
                    },
                    y,
                ));
                left = !left;
                y += 0.4;
            }
            vec![pts]
        }
        TickKind::Scribble => {
            let n = 6 + (j(3.0, 2.0) as usize);
            vec![(0..n)
                .map(|_| (j(x0 + 2.0, 2.3), j(y0 + 2.0, 2.3)))
                .collect()]
        }
    };
    for s in strokes {
        canvas.polyline_mm(&s, width, ink, rng);
    }
}

/// Fills a page that already shows `form` upright and edge to edge at `dpi` (a printed
/// form, rasterised) like a citizen: `answers[i]` handwritten into the form's i-th text zone
/// (an empty answer, or a zone past the end of `answers`, is left blank), a cross in every
/// checkbox whose choice code is in `ticks`, in blue ballpoint with the first handwriting
/// face (from `seed`) that draws every answer. Returns the filled page and, per text zone,
/// the words actually drawn (what fitted in the box). For the print → fill → read round
/// trip; the test-scan generator (`generate`) makes its own pages.
pub fn fill_form_image(
    form: &Form,
    page: image::RgbImage,
    dpi: f64,
    answers: &[&str],
    ticks: &[&str],
    seed: u64,
) -> anyhow::Result<(image::RgbImage, Vec<String>)> {
    let fonts = Fonts::load()?;
    let n = fonts.hands.len();
    let face = (0..n)
        .map(|i| &fonts.hands[(seed as usize + i) % n])
        .find(|f| answers.iter().all(|a| f.covers(a)))
        .ok_or_else(|| anyhow::anyhow!("no handwriting face draws every answer {answers:?}"))?;
    let mut rng = fastrand::Rng::with_seed(seed);
    let ink = InkKind::Blue.ink(&mut rng);
    let mut canvas = Canvas {
        img: page,
        ppm: dpi / 25.4,
    };
    let mut drawn = Vec::new();
    for (i, zone) in form.text_zones().enumerate() {
        let text = answers.get(i).copied().unwrap_or("");
        drawn.push(if text.is_empty() {
            String::new()
        } else {
            write_answer(&mut canvas, zone, text, face, ink, &mut rng)
        });
    }
    for group in form.checkbox_groups() {
        for choice in group
            .choices
            .iter()
            .filter(|c| ticks.contains(&c.code.as_str()))
        {
            tick(&mut canvas, choice.rect, TickKind::Cross, ink, &mut rng);
        }
    }
    Ok((canvas.img, drawn))
}
