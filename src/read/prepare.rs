//! Line preparation: the lines of writing of a zone, each found (`lines`), cut with a white
//! margin, scaled, levelled and stood upright (`straighten`): what every recognizer is
//! given. Reading and `urnscan ocr --lines-out` (which writes the training lines) share this
//! one step, so that a model is trained on exactly what it reads.

use std::borrow::Cow;

use image::GrayImage;

use super::lines::{find_lines, line_image};
use super::straighten::straighten;

/// Lines taller than this (pixels, margins included) are scaled down to it. Tesseract's
/// network sees lines 36 px high whatever it is given and urnscan's own network 40: a
/// 300 dpi line of handwriting is 100-150 px, and scaling it first saves straightening and
/// Tesseract's own preparation most of the pixels. Lower, thin font strokes fade and the
/// flag of a badly read answer is lost (docs/performance.md).
pub const LINE_HEIGHT_PX: u32 = 80;

/// One line of writing as the recognizers are given it: found in the zone, cut with a white
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
            // leave a line a few rows taller: it is scaled again here, so that
            // `PreparedLine` is exactly what the recognizer is given.
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
