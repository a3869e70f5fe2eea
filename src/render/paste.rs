//! Answers in real handwriting: lines of a folder of scanned handwritten lines (`<id>.png` +
//! `<id>.gt.txt`, e.g. ../shared/handwriting/lines) pasted onto a slip's guide lines, so
//! that the reader and its review routing can be measured on real writing inside real
//! slips (`urnscan generate --handwriting DIR`). The truth is the lines' transcriptions.

use std::path::Path;

use anyhow::{anyhow, Context};
use image::{imageops, RgbImage};

use super::canvas::Canvas;
use crate::campaign::TextZone;

/// Line images are taken to be scanned at this resolution (the shared sets are ~300 dpi).
const LINE_DPI: f64 = 300.0;

/// Scanned handwritten lines with their transcriptions, in file name order.
pub struct RealLines {
    lines: Vec<(RgbImage, String)>,
}

impl RealLines {
    pub fn load(dir: &Path) -> anyhow::Result<RealLines> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read the handwriting folder {}", dir.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "png" || e == "jpg"))
            .collect();
        names.sort();
        let mut lines = Vec::new();
        for p in names {
            let Ok(gt) = std::fs::read_to_string(p.with_extension("gt.txt")) else {
                continue;
            };
            let gt = gt.trim().to_string();
            if gt.is_empty() {
                continue;
            }
            let img = image::open(&p)
                .with_context(|| format!("cannot read {}", p.display()))?
                .into_rgb8();
            lines.push((img, gt));
        }
        if lines.is_empty() {
            return Err(anyhow!(
                "{} holds no <id>.png with its <id>.gt.txt",
                dir.display()
            ));
        }
        Ok(RealLines { lines })
    }
}

/// Pastes one to three random lines on the zone's guide lines (darkening, as ink does);
/// returns the text they say, joined by spaces.
pub fn paste_answer(
    canvas: &mut Canvas,
    zone: &TextZone,
    real: &RealLines,
    rng: &mut fastrand::Rng,
) -> String {
    let r = zone.rect;
    let guides: Vec<f64> = match &zone.guides {
        Some(g) => g.ys().collect(),
        None => (1..)
            .map(|i| r.y + 10.0 * i as f64)
            .take_while(|y| *y < r.y + r.h - 2.0)
            .collect(),
    };
    let n = rng.usize(1..=3).min(guides.len());
    let left = r.x + 2.0 + rng.f64() * 2.0;
    let avail_mm = r.x + r.w - zone.stroke - 1.0 - left;
    let mut said = Vec::new();
    for &guide in guides.iter().take(n) {
        let (img, text) = &real.lines[rng.usize(..real.lines.len())];
        // The line's box (ascenders to descenders) about 8-10 mm tall, narrower if it would
        // not fit the box: people write smaller rather than past the edge.
        let h_mm = img.height() as f64 / LINE_DPI * 25.4;
        let w_mm = img.width() as f64 / LINE_DPI * 25.4;
        let target_h = 7.5 + rng.f64() * 2.5;
        let k = (target_h / h_mm).min(avail_mm / w_mm);
        let (w, h) = (
            (w_mm * k * canvas.ppm).round().max(1.0) as u32,
            (h_mm * k * canvas.ppm).round().max(1.0) as u32,
        );
        let scaled = imageops::resize(img, w, h, imageops::FilterType::Triangle);
        // The writing sits on the guide: its lower quarter (descenders) hangs below it.
        let x0 = canvas.px(left).round() as i64;
        let y0 = (canvas.px(guide) - h as f64 * 0.78).round() as i64;
        for (x, y, p) in scaled.enumerate_pixels() {
            let (cx, cy) = (x0 + x as i64, y0 + y as i64);
            if cx < 0
                || cy < 0
                || cx >= canvas.img.width() as i64
                || cy >= canvas.img.height() as i64
            {
                continue;
            }
            let c = canvas.img.get_pixel_mut(cx as u32, cy as u32);
            for i in 0..3 {
                c.0[i] = c.0[i].min(p.0[i]);
            }
        }
        said.push(text.as_str());
    }
    said.join(" ")
}
