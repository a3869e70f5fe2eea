//! Fonts and text: loading the Debian font files (print face and handwriting faces),
//! checking that a face has a glyph for every character of a text, measuring, wrapping and
//! rasterising text onto a canvas with ab_glyph.

use std::path::Path;

use ab_glyph::{point, Font, FontVec, GlyphId, PxScale, ScaleFont};
use anyhow::{anyhow, Context};

use super::canvas::{Canvas, Ink, Mask};

/// The print face of the forms (DejaVu Sans covers every French accent and · – … ’ « »).
const SANS: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const SANS_BOLD: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";

/// Handwriting-like faces: (name recorded in the truth, file, Debian package that ships it).
pub(crate) const HAND_FONTS: &[(&str, &str, &str)] = &[
    (
        "comic-neue",
        "/usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf",
        "fonts-comic-neue",
    ),
    (
        "klee-one",
        "/usr/share/fonts/truetype/klee/KleeOne-Regular.ttf",
        "fonts-klee",
    ),
    (
        "steve-hand",
        "/usr/share/fonts/truetype/sjfonts/SteveHand.ttf",
        "fonts-sjfonts",
    ),
    (
        "dancing-script",
        "/usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf",
        "fonts-dancingscript",
    ),
    (
        "kaushan-script",
        "/usr/share/fonts/opentype/kaushanscript/KaushanScript-Regular.otf",
        "fonts-kaushanscript",
    ),
];

/// Print faces for training lines only (`generate --lines --print`): none of them is the
/// forms' DejaVu, which the evaluation of print keeps for itself.
const TRAINING_PRINT_FONTS: &[(&str, &str, &str)] = &[
    (
        "liberation-sans",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        "fonts-liberation2",
    ),
    (
        "liberation-serif",
        "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
        "fonts-liberation2",
    ),
    (
        "liberation-mono",
        "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf",
        "fonts-liberation2",
    ),
    (
        "liberation-sans-bold",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
        "fonts-liberation2",
    ),
    (
        "free-serif",
        "/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
        "fonts-freefont-ttf",
    ),
    (
        "free-sans",
        "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
        "fonts-freefont-ttf",
    ),
    (
        "nimbus-roman",
        "/usr/share/fonts/opentype/urw-base35/NimbusRoman-Regular.otf",
        "fonts-urw-base35",
    ),
    (
        "nimbus-sans-narrow",
        "/usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Regular.otf",
        "fonts-urw-base35",
    ),
    (
        "c059",
        "/usr/share/fonts/opentype/urw-base35/C059-Roman.otf",
        "fonts-urw-base35",
    ),
    (
        "p052-italic",
        "/usr/share/fonts/opentype/urw-base35/P052-Italic.otf",
        "fonts-urw-base35",
    ),
    (
        "urw-gothic",
        "/usr/share/fonts/opentype/urw-base35/URWGothic-Book.otf",
        "fonts-urw-base35",
    ),
    (
        "urw-bookman",
        "/usr/share/fonts/opentype/urw-base35/URWBookman-Light.otf",
        "fonts-urw-base35",
    ),
    (
        "nimbus-mono",
        "/usr/share/fonts/opentype/urw-base35/NimbusMonoPS-Regular.otf",
        "fonts-urw-base35",
    ),
];

pub(crate) struct Face {
    pub name: &'static str,
    font: FontVec,
    /// x-height as a fraction of the em, so handwriting can be sized by its x-height (faces
    /// differ a lot at the same em size).
    pub x_height: f64,
}

pub(crate) struct Fonts {
    pub sans: Face,
    pub bold: Face,
    pub hands: Vec<Face>,
}

fn load_face(name: &'static str, path: &str, package: &str) -> anyhow::Result<Face> {
    if !Path::new(path).exists() {
        return Err(anyhow!(
            "font file {path} is missing: install the Debian package {package} (apt-get install {package})"
        ));
    }
    let data = std::fs::read(path).with_context(|| format!("reading font {path}"))?;
    let font = FontVec::try_from_vec(data)
        .map_err(|e| anyhow!("font {path} (package {package}) cannot be parsed: {e}"))?;
    let upem = font.units_per_em().unwrap_or(1000.0) as f64;
    let x_height = font
        .outline(font.glyph_id('x'))
        .map(|o| (o.bounds.max.y - o.bounds.min.y).abs() as f64 / upem)
        .filter(|h| *h > 0.1)
        .unwrap_or(0.5);
    Ok(Face {
        name,
        font,
        x_height,
    })
}

impl Fonts {
    pub fn load() -> anyhow::Result<Fonts> {
        let sans = load_face("dejavu-sans", SANS, "fonts-dejavu-core")?;
        let bold = load_face("dejavu-sans-bold", SANS_BOLD, "fonts-dejavu-core")?;
        let hands = HAND_FONTS
            .iter()
            .map(|(n, p, pkg)| load_face(n, p, pkg))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Fonts { sans, bold, hands })
    }

    /// The print faces that training lines are typeset in (`TRAINING_PRINT_FONTS`).
    pub fn load_training_print() -> anyhow::Result<Vec<Face>> {
        TRAINING_PRINT_FONTS
            .iter()
            .map(|(n, p, pkg)| load_face(n, p, pkg))
            .collect()
    }

    /// The print faces only (no handwriting): what printing blank forms needs, so that an
    /// agent's machine needs DejaVu and nothing more.
    pub fn load_print() -> anyhow::Result<Fonts> {
        let sans = load_face("dejavu-sans", SANS, "fonts-dejavu-core")?;
        let bold = load_face("dejavu-sans-bold", SANS_BOLD, "fonts-dejavu-core")?;
        Ok(Fonts {
            sans,
            bold,
            hands: Vec::new(),
        })
    }
}

impl Face {
    /// Whether every non-space character of `text` has a real glyph (not .notdef) in this face.
    pub fn covers(&self, text: &str) -> bool {
        text.chars()
            .filter(|c| !c.is_whitespace())
            .all(|c| self.font.glyph_id(c).0 != 0)
    }

    /// ab_glyph scales fonts by ascent-to-descent height; layouts speak in em sizes.
    fn scale(&self, em_px: f64) -> PxScale {
        let upem = self.font.units_per_em().unwrap_or(1000.0);
        PxScale::from(em_px as f32 * self.font.height_unscaled() / upem)
    }

    fn ids(&self, text: &str) -> Vec<GlyphId> {
        text.chars().map(|c| self.font.glyph_id(c)).collect()
    }

    /// Advance width of `text` in pixels at this em size, kerning included.
    pub fn width(&self, text: &str, em_px: f64) -> f64 {
        let sf = self.font.as_scaled(self.scale(em_px));
        let mut w = 0.0f32;
        let mut prev: Option<GlyphId> = None;
        for id in self.ids(text) {
            if let Some(p) = prev {
                w += sf.kern(p, id);
            }
            w += sf.h_advance(id);
            prev = Some(id);
        }
        w as f64
    }

    pub fn ascent(&self, em_px: f64) -> f64 {
        self.font.as_scaled(self.scale(em_px)).ascent() as f64
    }

    /// Rasterises `text` with its baseline starting at (x, baseline) px into `mask`.
    pub fn draw_into(&self, mask: &mut Mask, text: &str, x: f64, baseline: f64, em_px: f64) {
        let scale = self.scale(em_px);
        let sf = self.font.as_scaled(scale);
        let mut pen = x as f32;
        let mut prev: Option<GlyphId> = None;
        for id in self.ids(text) {
            if let Some(p) = prev {
                pen += sf.kern(p, id);
            }
            let g = id.with_scale_and_position(scale, point(pen, baseline as f32));
            if let Some(og) = self.font.outline_glyph(g) {
                let b = og.px_bounds();
                og.draw(|gx, gy, c| {
                    mask.put(b.min.x as i64 + gx as i64, b.min.y as i64 + gy as i64, c);
                });
            }
            pen += sf.h_advance(id);
            prev = Some(id);
        }
    }

    /// A mask big enough for `text` drawn at (x, baseline) px.
    pub fn mask_for(&self, text: &str, x: f64, baseline: f64, em_px: f64) -> Mask {
        let w = self.width(text, em_px);
        let pad = em_px * 0.6 + 4.0;
        Mask::new(
            (x - pad).floor() as i64,
            (baseline - em_px * 1.3 - 4.0).floor() as i64,
            (x + w + pad).ceil() as i64,
            (baseline + em_px * 0.6 + 4.0).ceil() as i64,
        )
    }

    /// Draws one line of text in `ink` (print ink: solid, so the rng is not consumed).
    #[allow(clippy::too_many_arguments)]
    pub fn draw_line(
        &self,
        canvas: &mut Canvas,
        text: &str,
        x: f64,
        baseline: f64,
        em_px: f64,
        ink: Ink,
        rng: &mut fastrand::Rng,
    ) {
        let mut mask = self.mask_for(text, x, baseline, em_px);
        self.draw_into(&mut mask, text, x, baseline, em_px);
        canvas.apply(&mask, ink, rng);
    }

    /// Greedy word wrap of `text` into lines no wider than `max_px`.
    pub fn wrap(&self, text: &str, em_px: f64, max_px: f64) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        let mut cur = String::new();
        for word in text.split_whitespace() {
            let candidate = if cur.is_empty() {
                word.to_string()
            } else {
                format!("{cur} {word}")
            };
            if !cur.is_empty() && self.width(&candidate, em_px) > max_px {
                lines.push(std::mem::take(&mut cur));
                cur = word.to_string();
            } else {
                cur = candidate;
            }
        }
        if !cur.is_empty() {
            lines.push(cur);
        }
        lines
    }
}

/// Points to millimetres.
pub(crate) fn pt_to_mm(pt: f64) -> f64 {
    pt * 25.4 / 72.0
}
