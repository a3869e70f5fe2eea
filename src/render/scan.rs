//! Degrading an upright page like an office scanner: a small tilt and shift on the scanner
//! bed, paper tint, sensor noise, sometimes a slight blur or a grayscale scan, and the file
//! encodings met in practice (JPEG of varying quality, PNG, TIFF).

use std::io::Cursor;

use anyhow::{anyhow, Context};
use image::codecs::jpeg::{JpegEncoder, PixelDensity};
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{GrayImage, ImageEncoder, Luma, Rgb, RgbImage};

use crate::geometry::{resample, Homography};

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Format {
    Jpeg(u8),
    Png,
    Tiff,
}

impl Format {
    pub fn ext(self) -> &'static str {
        match self {
            Format::Jpeg(_) => "jpg",
            Format::Png => "png",
            Format::Tiff => "tif",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ScanParams {
    pub tilt_deg: f64,
    /// Quarter turns clockwise: the slip went through upside down or sideways.
    pub quarter_turns: u8,
    /// A scanner bed larger than the page (mm), the page lying on it at `bed_at` (fractions
    /// of the free room, 0 = left/top, 1 = right/bottom). None: a canvas just around the page.
    pub bed_mm: Option<(f64, f64)>,
    pub bed_at: (f64, f64),
    pub shift_mm: (f64, f64),
    /// Per-channel multiplier of the paper (slightly yellow or grey paper).
    pub tint: [f64; 3],
    /// Grey level of the scanner lid around the page.
    pub fill: u8,
    pub noise_sigma: f64,
    pub blur: bool,
    pub gray: bool,
    /// Auto-levels: most office scanners push the paper to pure white, which clips the paper
    /// noise away (and keeps the files small); false keeps the tinted, noisy paper.
    pub white_clip: bool,
    /// Vertical streaks along the feed direction (dirt on the scanner's glass strip).
    pub streaks: u8,
    /// Specks of dust.
    pub dust: u32,
    /// Folds across the paper: a crease with its shadow (the slip came out of an urn).
    pub folds: u8,
    /// Coffee or water stains: a tinted blot with a darker rim.
    pub stains: u8,
    /// A black-and-white scan of a page printed halftoned: the printer's dither turns grey
    /// into dots, the scanner's threshold turns everything into black or white.
    pub bilevel: bool,
    /// The QR code lost to a tear or an ink blot (`generate --damaged-qr`).
    pub qr_damage: Option<QrDamage>,
}

/// What happened to a slip's QR code before it was scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QrDamage {
    /// The corner holding the code torn off: the scanner's lid shows through.
    Torn,
    /// Ink spilt over the code.
    Blotted,
}

impl QrDamage {
    pub fn name(self) -> &'static str {
        match self {
            QrDamage::Torn => "torn_qr",
            QrDamage::Blotted => "blotted_qr",
        }
    }
}

/// Tears off the page's corner beyond the QR code's first finder pattern, or spills ink over
/// the code (`qr`: the symbol's rectangle, mm). Neither reaches the printed text beside and
/// below the code, which is what a reader can still identify the slip by.
pub(crate) fn damage_qr(
    page: &mut RgbImage,
    ppm: f64,
    qr: crate::campaign::RectMm,
    damage: QrDamage,
    lid: u8,
    rng: &mut fastrand::Rng,
) {
    match damage {
        QrDamage::Torn => {
            // A ragged tear along x + y = reach (mm), from the page's top and left edges.
            let reach = qr.x + qr.y + (qr.w + qr.h) * (0.3 + rng.f64() * 0.25);
            let waves: Vec<(f64, f64, f64)> = (0..3)
                .map(|k| {
                    (
                        0.2 + rng.f64() * 0.4,
                        (0.15 + rng.f64() * 0.35) * (k + 1) as f64,
                        rng.f64() * std::f64::consts::TAU,
                    )
                })
                .collect();
            let limit = ((reach + 2.0) * ppm).ceil() as u32;
            for y in 0..limit.min(page.height()) {
                for x in 0..limit.min(page.width()) {
                    let (mx, my) = (x as f64 / ppm, y as f64 / ppm);
                    let along = mx - my;
                    let ragged: f64 = waves
                        .iter()
                        .map(|(a, f, p)| a * (f * along + p).sin())
                        .sum();
                    if mx + my < reach + ragged {
                        page.put_pixel(x, y, Rgb([lid, lid, lid]));
                    }
                }
            }
        }
        QrDamage::Blotted => {
            let colour: [f64; 3] = if rng.f64() < 0.5 {
                [28.0, 36.0, 92.0]
            } else {
                [26.0, 26.0, 30.0]
            };
            let (cx, cy) = (qr.x + qr.w / 2.0, qr.y + qr.h / 2.0);
            let discs: Vec<(f64, f64, f64)> = (0..rng.usize(3..=6))
                .map(|_| {
                    (
                        cx + (rng.f64() - 0.5) * qr.w * 0.4,
                        cy + (rng.f64() - 0.5) * qr.h * 0.4,
                        qr.w.min(qr.h) * (0.17 + rng.f64() * 0.2),
                    )
                })
                .collect();
            // Clipped to the code and its quiet zone: the blot covers the code, not the text.
            let bound = qr.grow(1.5);
            let (x0, y0) = ((bound.x * ppm) as u32, (bound.y * ppm) as u32);
            let (x1, y1) = (
                (((bound.x + bound.w) * ppm) as u32).min(page.width()),
                (((bound.y + bound.h) * ppm) as u32).min(page.height()),
            );
            for y in y0..y1 {
                for x in x0..x1 {
                    let (mx, my) = ((x as f64 + 0.5) / ppm, (y as f64 + 0.5) / ppm);
                    if discs
                        .iter()
                        .any(|(dx, dy, r)| (mx - dx).powi(2) + (my - dy).powi(2) < r * r)
                    {
                        let px = page.get_pixel_mut(x, y);
                        for (v, c) in px.0.iter_mut().zip(colour) {
                            *v = (*v as f64 * 0.12 + c * 0.88).round() as u8;
                        }
                    }
                }
            }
        }
    }
}

pub(crate) enum Scanned {
    Rgb(RgbImage),
    Gray(GrayImage),
}

/// Places `page` (drawn at `ppm` pixels per mm) on the scanner bed and degrades it.
pub(crate) fn scan(
    mut page: RgbImage,
    ppm: f64,
    p: &ScanParams,
    rng: &mut fastrand::Rng,
) -> anyhow::Result<Scanned> {
    if p.bilevel {
        let dots = super::print::halftone(&page);
        for (px, d) in page.pixels_mut().zip(dots.pixels()) {
            px.0 = [d.0[0]; 3];
        }
    }
    for px in page.pixels_mut() {
        for c in 0..3 {
            px.0[c] = (px.0[c] as f64 * p.tint[c]).round().clamp(0.0, 255.0) as u8;
        }
    }
    // On the paper, so that they turn and move with it.
    for _ in 0..p.stains {
        stain(&mut page, ppm, rng);
    }
    for _ in 0..p.folds {
        fold(&mut page, ppm, rng);
    }
    let (pw, ph) = (page.width() as f64, page.height() as f64);
    let th = (p.tilt_deg + 90.0 * p.quarter_turns as f64).to_radians();
    let (s, c) = th.sin_cos();
    // The canvas grows with the tilt and the shift so that no corner of the page (nor its
    // registration marks) leaves the image.
    let margin = ppm * (3.0 + p.shift_mm.0.abs().max(p.shift_mm.1.abs()));
    let (rw, rh) = (pw * c.abs() + ph * s.abs(), pw * s.abs() + ph * c.abs());
    let (mut ow, mut oh) = ((rw + 2.0 * margin).ceil(), (rh + 2.0 * margin).ceil());
    let (pcx, pcy) = (pw / 2.0, ph / 2.0);
    let (mut ocx, mut ocy) = (ow / 2.0 + p.shift_mm.0 * ppm, oh / 2.0 + p.shift_mm.1 * ppm);
    if let Some((bw, bh)) = p.bed_mm {
        // The page lies somewhere on a larger bed (an A5 slip on an A4 scanner), when it fits.
        let (bw, bh) = ((bw * ppm).ceil(), (bh * ppm).ceil());
        if bw >= rw + 2.0 * ppm && bh >= rh + 2.0 * ppm {
            ow = bw;
            oh = bh;
            ocx = ppm + rw / 2.0 + p.bed_at.0.clamp(0.0, 1.0) * (bw - rw - 2.0 * ppm);
            ocy = ppm + rh / 2.0 + p.bed_at.1.clamp(0.0, 1.0) * (bh - rh - 2.0 * ppm);
        }
    }
    let fwd = Homography::similarity(
        1.0,
        th,
        ocx - (c * pcx - s * pcy),
        ocy - (s * pcx + c * pcy),
    );
    let inv = fwd
        .inverse()
        .ok_or_else(|| anyhow!("scanner placement is not invertible"))?;
    let fill = Rgb([p.fill, p.fill, p.fill.saturating_sub(2)]);
    let placed = resample(&page, ow as u32, oh as u32, fill, |x, y| inv.apply(x, y));
    drop(page);

    let sigma = p.noise_sigma;
    let paper = 255.0 * p.tint.iter().cloned().fold(1.0, f64::min);
    let gain = if p.white_clip {
        (255.0 / (paper - 1.2 * sigma).max(128.0)) as f32
    } else {
        1.0
    };
    // Sum of four uniforms: close enough to Gaussian for sensor noise, and cheap.
    let noise = move |rng: &mut fastrand::Rng| {
        ((rng.f64() + rng.f64() + rng.f64() + rng.f64() - 2.0) * 3f64.sqrt() * sigma) as f32
    };
    if p.gray {
        let mut g = GrayImage::from_fn(placed.width(), placed.height(), |x, y| {
            let q = placed.get_pixel(x, y).0;
            Luma([crate::input::luma(&q)])
        });
        if p.blur {
            blur121(
                g.as_mut(),
                placed.width() as usize,
                placed.height() as usize,
                1,
            );
        }
        for v in g.iter_mut() {
            *v = ((*v as f32 + noise(rng)) * gain).round().clamp(0.0, 255.0) as u8;
        }
        let (w, h) = (g.width() as usize, g.height() as usize);
        dirty(g.as_mut(), w, h, 1, p, ppm, rng);
        if p.bilevel {
            // The scanner's black-and-white mode: a fixed threshold.
            for v in g.iter_mut() {
                *v = if *v < 128 { 0 } else { 255 };
            }
        }
        Ok(Scanned::Gray(g))
    } else {
        let mut img = placed;
        let (w, h) = (img.width() as usize, img.height() as usize);
        if p.blur {
            blur121(img.as_mut(), w, h, 3);
        }
        for px in img.pixels_mut() {
            // Mostly luminance noise, a little per channel (sensor colour noise).
            let n = noise(rng);
            for c in 0..3 {
                let v = (px.0[c] as f32 + n + noise(rng) * 0.15) * gain;
                px.0[c] = v.round().clamp(0.0, 255.0) as u8;
            }
        }
        dirty(img.as_mut(), w, h, 3, p, ppm, rng);
        Ok(Scanned::Rgb(img))
    }
}

/// A fold across the paper, near a half or a third of its height or the half of its width,
/// slightly askew: a crease 0.1–0.3 mm wide, darker than the paper or not, with a shadow of
/// 1–3 mm on one side fading into the paper.
fn fold(page: &mut RgbImage, ppm: f64, rng: &mut fastrand::Rng) {
    let (w, h) = (page.width() as f64, page.height() as f64);
    let across = rng.f64() < 0.7;
    let (length, span) = if across { (w, h) } else { (h, w) };
    let at = [0.5, 1.0 / 3.0, 2.0 / 3.0][rng.usize(..3)] * span + (rng.f64() - 0.5) * 10.0 * ppm;
    let slope = ((rng.f64() - 0.5) * 4.0).to_radians().tan();
    let crease = (0.1 + rng.f64() * 0.2) * ppm;
    let crease_factor = if rng.f64() < 0.6 {
        0.55 + rng.f64() * 0.3
    } else {
        1.0
    };
    let shadow = (1.0 + rng.f64() * 2.0) * ppm;
    let shadow_factor = 0.82 + rng.f64() * 0.12;
    let side = if rng.f64() < 0.5 { 1.0 } else { -1.0 };
    for (x, y, px) in page.enumerate_pixels_mut() {
        let (along, off) = if across {
            (x as f64, y as f64)
        } else {
            (y as f64, x as f64)
        };
        let d = (off - (at + slope * (along - length / 2.0))) * side;
        let f = if d.abs() <= crease / 2.0 {
            crease_factor
        } else if d > 0.0 && d < shadow {
            shadow_factor + (1.0 - shadow_factor) * d / shadow
        } else {
            continue;
        };
        for c in 0..3 {
            px.0[c] = (px.0[c] as f64 * f).round() as u8;
        }
    }
}

/// A stain where answers are written (the middle of the page): an ellipse 8–36 mm across,
/// tinted brown or grey, its rim darker, as a cup or a drop leaves it.
fn stain(page: &mut RgbImage, ppm: f64, rng: &mut fastrand::Rng) {
    let (w, h) = (page.width() as f64, page.height() as f64);
    let (cx, cy) = (w * (0.2 + rng.f64() * 0.6), h * (0.3 + rng.f64() * 0.6));
    let rx = (4.0 + rng.f64() * 14.0) * ppm;
    let ry = rx * (0.7 + rng.f64() * 0.3);
    let rim = (0.4 + rng.f64() * 0.8) * ppm;
    let strength = 0.3 + rng.f64() * 0.7;
    let tint: [f64; 3] = if rng.f64() < 0.7 {
        [0.95, 0.88, 0.76]
    } else {
        [0.9, 0.9, 0.9]
    };
    let (x0, x1) = (
        (cx - rx).max(0.0) as u32,
        ((cx + rx).ceil() as u32).min(page.width()),
    );
    let (y0, y1) = (
        (cy - ry).max(0.0) as u32,
        ((cy + ry).ceil() as u32).min(page.height()),
    );
    for y in y0..y1 {
        for x in x0..x1 {
            let (dx, dy) = ((x as f64 - cx) / rx, (y as f64 - cy) / ry);
            let r = (dx * dx + dy * dy).sqrt();
            if r > 1.0 {
                continue;
            }
            let on_rim = (1.0 - r) * rx.min(ry) < rim;
            let px = page.get_pixel_mut(x, y);
            for (v, t) in px.0.iter_mut().zip(tint) {
                let mut f = 1.0 - (1.0 - t) * strength;
                if on_rim {
                    f *= f;
                }
                *v = (*v as f64 * f).round() as u8;
            }
        }
    }
}

/// Streaks and dust, as a scanner with a dirty glass strip and a dusty bed adds them.
fn dirty(
    buf: &mut [u8],
    w: usize,
    h: usize,
    nc: usize,
    p: &ScanParams,
    ppm: f64,
    rng: &mut fastrand::Rng,
) {
    if w < 8 || h < 8 {
        return;
    }
    for _ in 0..p.streaks {
        // 0.15–0.4 mm wide, mid-grey to dark, the whole height of the scan.
        let width = ((0.15 + rng.f64() * 0.25) * ppm).round().max(1.0) as usize;
        let x0 = rng.usize(..w - width);
        let level = rng.u8(60..=150);
        for y in 0..h {
            for x in x0..x0 + width {
                for c in 0..nc {
                    let v = &mut buf[(y * w + x) * nc + c];
                    *v = (*v).min(level);
                }
            }
        }
    }
    for _ in 0..p.dust {
        let size = rng.usize(1..=3);
        let (x0, y0) = (rng.usize(..w - size), rng.usize(..h - size));
        let level = rng.u8(0..=90);
        for y in y0..y0 + size {
            for x in x0..x0 + size {
                for c in 0..nc {
                    buf[(y * w + x) * nc + c] = level;
                }
            }
        }
    }
}

/// Separable [1 2 1]/4 blur: the softness of a scanner slightly out of focus.
fn blur121(buf: &mut [u8], w: usize, h: usize, nc: usize) {
    let mut tmp = buf.to_vec();
    for y in 0..h {
        for x in 1..w.saturating_sub(1) {
            for c in 0..nc {
                let i = (y * w + x) * nc + c;
                tmp[i] =
                    ((buf[i - nc] as u16 + 2 * buf[i] as u16 + buf[i + nc] as u16 + 2) / 4) as u8;
            }
        }
    }
    let stride = w * nc;
    for y in 1..h.saturating_sub(1) {
        for i in y * stride..(y + 1) * stride {
            buf[i] = ((tmp[i - stride] as u16 + 2 * tmp[i] as u16 + tmp[i + stride] as u16 + 2) / 4)
                as u8;
        }
    }
}

/// Encodes a scanned page; JPEG files carry their resolution (JFIF density).
pub(crate) fn encode(img: &Scanned, format: Format, dpi: u32) -> anyhow::Result<Vec<u8>> {
    let mut buf = Cursor::new(Vec::new());
    let (raw, w, h, ct) = match img {
        Scanned::Rgb(i) => (
            i.as_raw(),
            i.width(),
            i.height(),
            image::ExtendedColorType::Rgb8,
        ),
        Scanned::Gray(i) => (
            i.as_raw(),
            i.width(),
            i.height(),
            image::ExtendedColorType::L8,
        ),
    };
    match format {
        Format::Jpeg(q) => {
            let mut enc = JpegEncoder::new_with_quality(&mut buf, q);
            enc.set_pixel_density(PixelDensity::dpi(dpi as u16));
            enc.write_image(raw, w, h, ct)
        }
        Format::Png => {
            PngEncoder::new_with_quality(&mut buf, CompressionType::Best, FilterType::Adaptive)
                .write_image(raw, w, h, ct)
        }
        Format::Tiff => {
            return encode_tiff(img, dpi)
                .with_context(|| format!("encoding a {w}×{h} page as TIFF"))
        }
    }
    .with_context(|| format!("encoding a {w}×{h} page as {format:?}"))?;
    Ok(buf.into_inner())
}

/// TIFF through the tiff crate directly: the image crate writes it uncompressed, and archival
/// scans are Deflate-compressed with their resolution recorded.
fn encode_tiff(img: &Scanned, dpi: u32) -> anyhow::Result<Vec<u8>> {
    use tiff::encoder::{colortype, Compression, DeflateLevel, Rational, TiffEncoder};
    use tiff::tags::{Predictor, ResolutionUnit};
    let mut buf = Cursor::new(Vec::new());
    let mut enc = TiffEncoder::new(&mut buf)?
        .with_compression(Compression::Deflate(DeflateLevel::Best))
        .with_predictor(Predictor::Horizontal);
    let res = Rational { n: dpi, d: 1 };
    match img {
        Scanned::Gray(i) => {
            let mut im = enc.new_image::<colortype::Gray8>(i.width(), i.height())?;
            im.resolution(ResolutionUnit::Inch, res);
            im.write_data(i.as_raw())?;
        }
        Scanned::Rgb(i) => {
            let mut im = enc.new_image::<colortype::RGB8>(i.width(), i.height())?;
            im.resolution(ResolutionUnit::Inch, res);
            im.write_data(i.as_raw())?;
        }
    }
    Ok(buf.into_inner())
}
