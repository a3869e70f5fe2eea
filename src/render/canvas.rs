//! A page being drawn: an RGB image plus the millimetre-to-pixel scale, with the few
//! anti-aliased primitives the forms and the handwriting need (filled rectangles with exact
//! area coverage, thick polylines, coverage masks blended in an ink colour).

use image::{Rgb, RgbImage};

use crate::campaign::RectMm;

/// A colour plus how it lays on paper.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ink {
    pub rgb: [u8; 3],
    /// Pencil graphite does not cover evenly: each pixel keeps a random share of its coverage
    /// between `grain` and 1 (1.0 = ballpoint or print, solid).
    pub grain: f32,
}

impl Ink {
    pub const PRINT: Ink = Ink {
        rgb: [0, 0, 0],
        grain: 1.0,
    };
    pub const GUIDE: Ink = Ink {
        rgb: [200, 200, 200],
        grain: 1.0,
    };
}

pub(crate) struct Canvas {
    pub img: RgbImage,
    /// Pixels per millimetre.
    pub ppm: f64,
}

/// Coverage values for a rectangular patch of the canvas, merged with `max` so that
/// overlapping pieces of one stroke (polyline joints, glyph overlaps) do not darken twice.
pub(crate) struct Mask {
    x0: i64,
    y0: i64,
    w: usize,
    h: usize,
    a: Vec<f32>,
}

impl Mask {
    pub fn new(x0: i64, y0: i64, x1: i64, y1: i64) -> Mask {
        let w = (x1 - x0).max(0) as usize;
        let h = (y1 - y0).max(0) as usize;
        Mask {
            x0,
            y0,
            w,
            h,
            a: vec![0.0; w * h],
        }
    }

    pub fn put(&mut self, x: i64, y: i64, cov: f32) {
        let (dx, dy) = (x - self.x0, y - self.y0);
        if dx < 0 || dy < 0 || dx as usize >= self.w || dy as usize >= self.h {
            return;
        }
        let i = dy as usize * self.w + dx as usize;
        if cov > self.a[i] {
            self.a[i] = cov.min(1.0);
        }
    }
}

impl Canvas {
    pub fn new(width_mm: f64, height_mm: f64, dpi: f64) -> Canvas {
        let ppm = dpi / 25.4;
        let w = (width_mm * ppm).round().max(1.0) as u32;
        let h = (height_mm * ppm).round().max(1.0) as u32;
        Canvas {
            img: RgbImage::from_pixel(w, h, Rgb([255, 255, 255])),
            ppm,
        }
    }

    pub fn px(&self, mm: f64) -> f64 {
        mm * self.ppm
    }

    fn blend(&mut self, x: i64, y: i64, rgb: [u8; 3], a: f32) {
        if a <= 0.0
            || x < 0
            || y < 0
            || x >= self.img.width() as i64
            || y >= self.img.height() as i64
        {
            return;
        }
        let a = a.min(1.0);
        let p = self.img.get_pixel_mut(x as u32, y as u32);
        for (v, &ink) in p.0.iter_mut().zip(rgb.iter()) {
            let bg = *v as f32;
            // Multiplicative: ink darkens what is below it, as on paper (ink over a grey
            // guide line stays at least as dark as the ink).
            let under = bg * ink as f32 / 255.0;
            *v = (bg + (under - bg) * a).round().clamp(0.0, 255.0) as u8;
        }
    }

    /// Blends a mask in `ink`; `rng` drives the pencil grain (unused for solid inks).
    pub fn apply(&mut self, mask: &Mask, ink: Ink, rng: &mut fastrand::Rng) {
        for dy in 0..mask.h {
            for dx in 0..mask.w {
                let mut a = mask.a[dy * mask.w + dx];
                if a <= 0.0 {
                    continue;
                }
                if ink.grain < 1.0 {
                    a *= ink.grain + (1.0 - ink.grain) * rng.f32();
                }
                self.blend(mask.x0 + dx as i64, mask.y0 + dy as i64, ink.rgb, a);
            }
        }
    }

    /// Fills a rectangle given in pixels, edges anti-aliased by exact area coverage (so a QR
    /// module or a registration mark lands where the layout says, to a fraction of a pixel).
    pub fn fill_px(&mut self, x0: f64, y0: f64, x1: f64, y1: f64, rgb: [u8; 3]) {
        let (w, h) = (self.img.width() as i64, self.img.height() as i64);
        let ix0 = (x0.floor() as i64).max(0);
        let iy0 = (y0.floor() as i64).max(0);
        let ix1 = (x1.ceil() as i64).min(w);
        let iy1 = (y1.ceil() as i64).min(h);
        for y in iy0..iy1 {
            let cy = (y1.min(y as f64 + 1.0) - y0.max(y as f64)).max(0.0);
            for x in ix0..ix1 {
                let cx = (x1.min(x as f64 + 1.0) - x0.max(x as f64)).max(0.0);
                self.blend(x, y, rgb, (cx * cy) as f32);
            }
        }
    }

    pub fn fill_mm(&mut self, r: RectMm, rgb: [u8; 3]) {
        let p = self.ppm;
        self.fill_px(r.x * p, r.y * p, (r.x + r.w) * p, (r.y + r.h) * p, rgb);
    }

    /// Outline of `r`, the stroke centred on the rectangle's edges (as a print layout does).
    pub fn stroke_mm(&mut self, r: RectMm, stroke: f64, rgb: [u8; 3]) {
        let s = stroke / 2.0;
        let (x0, y0, x1, y1) = (r.x, r.y, r.x + r.w, r.y + r.h);
        let sides = [
            (x0 - s, y0 - s, x1 + s, y0 + s),
            (x0 - s, y1 - s, x1 + s, y1 + s),
            (x0 - s, y0 + s, x0 + s, y1 - s),
            (x1 - s, y0 + s, x1 + s, y1 - s),
        ];
        for (a, b, c, d) in sides {
            self.fill_mm(
                RectMm {
                    x: a,
                    y: b,
                    w: c - a,
                    h: d - b,
                },
                rgb,
            );
        }
    }

    /// Lays `rgb` over what is there, at each pixel of `mask` with its coverage times
    /// `opacity`: plain "over" compositing, for marks drawn on a scan (`annotate`), which
    /// must keep their colour over black print where ink (`apply`) would vanish.
    pub fn cover(&mut self, mask: &Mask, rgb: [u8; 3], opacity: f32) {
        for dy in 0..mask.h {
            for dx in 0..mask.w {
                let a = (mask.a[dy * mask.w + dx] * opacity).min(1.0);
                let (x, y) = (mask.x0 + dx as i64, mask.y0 + dy as i64);
                if a <= 0.0
                    || x < 0
                    || y < 0
                    || x >= self.img.width() as i64
                    || y >= self.img.height() as i64
                {
                    continue;
                }
                let p = self.img.get_pixel_mut(x as u32, y as u32);
                for (v, &c) in p.0.iter_mut().zip(rgb.iter()) {
                    *v = (*v as f32 + (c as f32 - *v as f32) * a).round() as u8;
                }
            }
        }
    }

    /// A thick polyline (points in mm) with round joints, as a pen draws it.
    pub fn polyline_mm(
        &mut self,
        pts: &[(f64, f64)],
        width_mm: f64,
        ink: Ink,
        rng: &mut fastrand::Rng,
    ) {
        if let Some(mask) = self.polyline_mask(pts, width_mm) {
            self.apply(&mask, ink, rng);
        }
    }

    /// The coverage of a thick polyline (points in mm) with round joints; None for no point.
    pub fn polyline_mask(&self, pts: &[(f64, f64)], width_mm: f64) -> Option<Mask> {
        if pts.is_empty() {
            return None;
        }
        let p: Vec<(f64, f64)> = pts
            .iter()
            .map(|&(x, y)| (x * self.ppm, y * self.ppm))
            .collect();
        let hw = (width_mm * self.ppm / 2.0).max(0.5);
        let pad = hw + 2.0;
        let minx = p.iter().map(|q| q.0).fold(f64::INFINITY, f64::min) - pad;
        let miny = p.iter().map(|q| q.1).fold(f64::INFINITY, f64::min) - pad;
        let maxx = p.iter().map(|q| q.0).fold(f64::NEG_INFINITY, f64::max) + pad;
        let maxy = p.iter().map(|q| q.1).fold(f64::NEG_INFINITY, f64::max) + pad;
        let mut mask = Mask::new(
            minx.floor() as i64,
            miny.floor() as i64,
            maxx.ceil() as i64,
            maxy.ceil() as i64,
        );
        let segs: Vec<((f64, f64), (f64, f64))> = if p.len() == 1 {
            vec![(p[0], p[0])]
        } else {
            p.windows(2).map(|w| (w[0], w[1])).collect()
        };
        for (a, b) in segs {
            let sx0 = (a.0.min(b.0) - pad).floor() as i64;
            let sy0 = (a.1.min(b.1) - pad).floor() as i64;
            let sx1 = (a.0.max(b.0) + pad).ceil() as i64;
            let sy1 = (a.1.max(b.1) + pad).ceil() as i64;
            for y in sy0..sy1 {
                for x in sx0..sx1 {
                    let d = dist_to_segment((x as f64 + 0.5, y as f64 + 0.5), a, b);
                    let cov = (hw + 0.5 - d).clamp(0.0, 1.0);
                    if cov > 0.0 {
                        mask.put(x, y, cov as f32);
                    }
                }
            }
        }
        Some(mask)
    }
}

fn dist_to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (vx, vy) = (b.0 - a.0, b.1 - a.1);
    let len2 = vx * vx + vy * vy;
    let t = if len2 > 0.0 {
        (((p.0 - a.0) * vx + (p.1 - a.1) * vy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (a.0 + t * vx, a.1 + t * vy);
    ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_distance() {
        assert!((dist_to_segment((0.0, 1.0), (-1.0, 0.0), (1.0, 0.0)) - 1.0).abs() < 1e-9);
        assert!((dist_to_segment((3.0, 0.0), (-1.0, 0.0), (1.0, 0.0)) - 2.0).abs() < 1e-9);
    }

    #[test]
    fn filled_rect_has_exact_area() {
        let mut c = Canvas::new(10.0, 10.0, 254.0);
        c.fill_px(10.25, 10.0, 20.75, 12.0, [0, 0, 0]);
        let ink: f64 = c.img.pixels().map(|p| (255 - p.0[0]) as f64 / 255.0).sum();
        assert!((ink - 21.0).abs() < 0.1, "{ink}");
    }
}
