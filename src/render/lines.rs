//! Single lines of font handwriting with their transcription (`<n>.png` + `<n>.gt.txt`, the
//! layout Tesseract's training tools and `urnscan ocr` read): the fixtures that check the
//! built-in model, and the synthetic part of its training set (`scripts/train-model
//! --synthetic`). Each line varies like the slips do: face, size, ink (blue, black,
//! pencil), word spacing and baseline wobble, slant, the slips' grey guide line under half
//! of them, and scanner noise.
//!
//! With `print`, the lines also teach urnscan's own network to read what is not cursive:
//! a third are typeset in print faces (never the forms' DejaVu, on which `scripts/eval-model`
//! measures print, so that figure stays one of reading and not of fitting), and a sixth of
//! all lines are in block capitals, as people write when they want to be read.

use std::path::Path;

use anyhow::Context;
use image::GrayImage;
use unicode_normalization::UnicodeNormalization;

use super::canvas::{Canvas, Ink};
use super::corpus::ANSWERS;
use super::fill::InkKind;
use super::text::Fonts;

const DPI: f64 = 300.0;

/// How a line is drawn: by hand (jittered words, slant) or typeset.
#[derive(Clone, Copy, PartialEq)]
enum Style {
    Hand,
    Print,
}

/// Writes `count` lines into `out`; the same seed gives the same files. `print` adds
/// typeset lines and block capitals (see the module's doc).
pub fn generate_lines(out: &Path, count: usize, seed: u64, print: bool) -> anyhow::Result<usize> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let fonts = Fonts::load()?;
    let print_faces = if print {
        Fonts::load_training_print()?
    } else {
        Vec::new()
    };
    let mut rng = fastrand::Rng::with_seed(seed);
    let words: Vec<Vec<&str>> = ANSWERS
        .iter()
        .map(|a| a.split_whitespace().collect())
        .collect();
    let mut written = 0;
    while written < count {
        let (face, style) = if print && rng.usize(..3) == 0 {
            (&print_faces[rng.usize(..print_faces.len())], Style::Print)
        } else {
            (&fonts.hands[rng.usize(..fonts.hands.len())], Style::Hand)
        };
        let answer = &words[rng.usize(..words.len())];
        let n = rng.usize(2..=8).min(answer.len());
        let start = rng.usize(..=answer.len() - n);
        let mut text = answer[start..start + n].join(" ");
        if print && rng.usize(..6) == 0 {
            text = text.to_uppercase();
        }
        if !face.covers(&text) {
            continue;
        }
        let ink = if style == Style::Print && rng.usize(..4) != 0 {
            Ink::PRINT
        } else {
            InkKind::ALL[rng.usize(..InkKind::ALL.len())].ink(&mut rng)
        };
        let img = draw_line(&text, face, ink, style, &mut rng);
        let stem = out.join(format!("line{written:05}"));
        img.save(stem.with_extension("png"))
            .with_context(|| format!("writing {}.png", stem.display()))?;
        let truth: String = text.nfc().collect();
        std::fs::write(stem.with_extension("gt.txt"), format!("{truth}\n"))
            .with_context(|| format!("writing {}.gt.txt", stem.display()))?;
        written += 1;
    }
    Ok(written)
}

fn draw_line(
    text: &str,
    face: &super::text::Face,
    ink: Ink,
    style: Style,
    rng: &mut fastrand::Rng,
) -> GrayImage {
    let em_mm = match style {
        Style::Hand => ((2.3 + rng.f64() * 1.4) / face.x_height).clamp(5.0, 9.0),
        // 9 to 16 pt: letters, forms, notices.
        Style::Print => (9.0 + rng.f64() * 7.0) * 25.4 / 72.0,
    };
    let hand = style == Style::Hand;
    let probe = Canvas::new(1.0, 1.0, DPI);
    let width_mm = face.width(text, probe.px(em_mm)) / probe.ppm * 1.3 + 8.0;
    let height_mm = em_mm * 1.9;
    let mut canvas = Canvas::new(width_mm, height_mm, DPI);
    let baseline = em_mm * 1.25;
    if rng.bool() {
        canvas.fill_mm(
            crate::campaign::RectMm {
                x: 1.0,
                y: baseline + 0.6 * rng.f64(),
                w: width_mm - 2.0,
                h: 0.25,
            },
            Ink::GUIDE.rgb,
        );
    }
    let space = (face.width(" ", canvas.px(em_mm)) / canvas.ppm).max(0.3 * em_mm);
    let mut x = 3.0 + rng.f64() * 2.0;
    for word in text.split_whitespace() {
        let (em, base) = if hand {
            (
                canvas.px(em_mm * (0.94 + rng.f64() * 0.12)),
                baseline + (rng.f64() - 0.5) * 0.8,
            )
        } else {
            (canvas.px(em_mm), baseline)
        };
        let (px, pb) = (canvas.px(x), canvas.px(base));
        let mut mask = face.mask_for(word, px, pb, em);
        face.draw_into(&mut mask, word, px, pb, em);
        canvas.apply(&mask, ink, rng);
        let gap = if hand { 0.8 + rng.f64() * 0.5 } else { 1.0 };
        x += face.width(word, em) / canvas.ppm + space * gap;
    }
    let baseline_px = canvas.px(baseline);
    // The width was a generous guess: keep what was written, a margin, and room for slant.
    let used = (canvas.px(x + 2.0) as u32 + 40).min(canvas.img.width());
    let height = canvas.img.height();
    let gray = image::DynamicImage::ImageRgb8(canvas.img)
        .crop_imm(0, 0, used, height)
        .into_luma8();
    // Print stands almost upright: only the page's skew on the scanner.
    let slant = if hand {
        (rng.f64() - 0.3) * 0.35
    } else {
        (rng.f64() - 0.5) * 0.03
    };
    let slanted = shear(&gray, slant, baseline_px);
    add_noise(slanted, rng)
}

/// Slants the writing: each row moves sideways in proportion to its height above the
/// baseline (`t` = tan of the slant, positive leans right).
fn shear(img: &GrayImage, t: f64, baseline: f64) -> GrayImage {
    let (w, h) = img.dimensions();
    let mut out = GrayImage::from_pixel(w, h, image::Luma([255]));
    for y in 0..h {
        let shift = (baseline - y as f64) * t;
        for x in 0..w {
            let sx = x as f64 - shift;
            let x0 = sx.floor();
            let f = sx - x0;
            let get = |xi: f64| {
                if xi < 0.0 || xi >= w as f64 {
                    255.0
                } else {
                    img.get_pixel(xi as u32, y)[0] as f64
                }
            };
            let v = get(x0) * (1.0 - f) + get(x0 + 1.0) * f;
            out.put_pixel(x, y, image::Luma([v.round() as u8]));
        }
    }
    out
}

/// Scanner noise: a slightly grey, uneven paper and sensor grain.
fn add_noise(mut img: GrayImage, rng: &mut fastrand::Rng) -> GrayImage {
    let paper = 235.0 + rng.f64() * 20.0;
    let grain = 4.0 + rng.f64() * 10.0;
    for p in img.pixels_mut() {
        let v = p[0] as f64 * paper / 255.0 + (rng.f64() - 0.5) * 2.0 * grain;
        p[0] = v.round().clamp(0.0, 255.0) as u8;
    }
    img
}
