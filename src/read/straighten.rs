//! Straightening a line of writing before it is read: levelled (a line that rises or falls
//! across the box) and stood upright (handwriting that leans), then cut to its ink.
//!
//! A recognizer sees a line squeezed to a few dozen pixels high (Tesseract 36, urnscan's
//! network 40). A line that climbs across the page is squeezed with all its climb, leaving
//! the letters a fraction of those pixels; a leaning hand puts each letter across more of
//! the network's time steps. Both models read writers they never saw better on straightened
//! lines (docs/handwriting-model.md).
//!
//! Both corrections are shears, found the classic way: try each angle in a small range and
//! keep the one whose ink projection is most peaked (rows of ink for the level, columns for
//! the lean). The ranges are narrow on purpose: beyond ±15° of lean the estimate picks up
//! the rising joins of cursive rather than the strokes, and reading got worse
//! (docs/handwriting-model.md).

use image::GrayImage;

/// Steepest rise or fall of a line that is levelled, in degrees.
const MAX_SKEW_DEG: f64 = 10.0;
const SKEW_STEP_DEG: f64 = 0.5;
/// The skew is first sought every 2°, then every 0.5° around the best: 17 angles instead of
/// 41, at the same dev-split CER.
const SKEW_COARSE_STEP_DEG: f64 = 2.0;
/// Strongest lean of writing that is stood upright, in degrees.
const MAX_SLANT_DEG: f64 = 15.0;
const SLANT_STEP_DEG: f64 = 2.5;
/// Below this contrast between paper and the darkest strokes the image holds no writing to
/// measure, and is left as it is.
const MIN_CONTRAST: u8 = 40;
const TIE_PENALTY_PER_STEP: f64 = 0.0005;

/// The line levelled, upright and cut to the rows of its ink with a margin of a sixteenth of
/// its height (at least 2 px). An image without writing comes back unchanged.
pub fn straighten(img: &GrayImage) -> GrayImage {
    let Some(level) = ink_level(img) else {
        return img.clone();
    };
    let ink = ink_pixels(img, level);
    let skew = best_shear(
        &ink,
        Axis::Rows,
        MAX_SKEW_DEG,
        SKEW_COARSE_STEP_DEG,
        SKEW_STEP_DEG,
    );
    let levelled = if skew == 0.0 {
        img.clone()
    } else {
        shear_vertically(img, skew)
    };
    let ink = if skew == 0.0 {
        ink
    } else {
        ink_pixels(&levelled, level)
    };
    let slant = best_shear(
        &ink,
        Axis::Columns,
        MAX_SLANT_DEG,
        SLANT_STEP_DEG,
        SLANT_STEP_DEG,
    );
    let upright = if slant == 0.0 {
        levelled
    } else {
        shear_horizontally(&levelled, slant)
    };
    cut_to_ink(&upright, level)
}

/// The grey level that separates strokes from paper: halfway between the paper (the 80th
/// percentile: most of a line image is paper) and the darkest strokes (the 1st).
fn ink_level(img: &GrayImage) -> Option<u8> {
    let mut hist = [0usize; 256];
    for &p in img.as_raw() {
        hist[p as usize] += 1;
    }
    let n = img.as_raw().len();
    if n == 0 {
        return None;
    }
    let percentile = |q: usize| {
        let want = n * q / 100;
        let mut seen = 0;
        for (v, &c) in hist.iter().enumerate() {
            seen += c;
            if seen > want {
                return v as u8;
            }
        }
        255
    };
    let (dark, paper) = (percentile(1), percentile(80));
    (paper.saturating_sub(dark) >= MIN_CONTRAST).then(|| dark + (paper - dark) / 2)
}

fn ink_pixels(img: &GrayImage, level: u8) -> Vec<(u32, u32)> {
    let w = img.width() as usize;
    let mut ink = Vec::new();
    if w == 0 {
        return ink;
    }
    for (y, row) in img.as_raw().chunks_exact(w).enumerate() {
        for (x, &p) in row.iter().enumerate() {
            if p < level {
                ink.push((x as u32, y as u32));
            }
        }
    }
    ink
}

/// Which way a shear moves the ink: rows along the columns (levelling a line) or columns
/// along the rows (standing writing upright).
#[derive(Clone, Copy)]
enum Axis {
    Rows,
    Columns,
}

/// The shear factor (tangent of an angle within ±`max_deg`) under which the ink piles into
/// the fewest rows or columns (the largest sum of squared counts). Angles are tried every
/// `coarse_deg`, then every `fine_deg` around the best of those. Near-ties go to the
/// smaller angle, and images with no ink keep 0: nothing is moved without a reason.
fn best_shear(ink: &[(u32, u32)], axis: Axis, max_deg: f64, coarse_deg: f64, fine_deg: f64) -> f64 {
    if ink.is_empty() {
        return 0.0;
    }
    let extremes = extremes(ink, axis);
    let mut bins: Vec<u32> = Vec::new();
    let mut best = (0.0, f64::MIN);
    let mut try_angle = |deg: f64, best: &mut (f64, f64)| {
        let t = deg.to_radians().tan();
        // A steeper angle must win by more than a hair: 0.05 % a fine step.
        let score = peakedness(ink, &extremes, axis, t, &mut bins)
            * (1.0 - TIE_PENALTY_PER_STEP * deg.abs() / fine_deg);
        if score > best.1 {
            *best = (deg, score);
        }
    };
    let coarse = (max_deg / coarse_deg).round() as i32;
    for k in std::iter::once(0).chain((1..=coarse).flat_map(|k| [-k, k])) {
        try_angle(k as f64 * coarse_deg, &mut best);
    }
    let centre = best.0;
    let fine = ((coarse_deg / fine_deg).round() as i32 - 1).max(0);
    for k in (1..=fine).flat_map(|k| [-k, k]) {
        let deg = centre + k as f64 * fine_deg;
        if deg.abs() <= max_deg + 1e-9 {
            try_angle(deg, &mut best);
        }
    }
    best.0.to_radians().tan()
}

/// The sum of squared ink counts per row (`Axis::Rows`: row y - t·x) or per column
/// (`Axis::Columns`: column x - t·y) of the sheared ink. The bins start at the lowest
/// sheared position, found from each column's (or row's) extreme ink pixels alone, so that
/// only one pass goes over every ink pixel.
fn peakedness(
    ink: &[(u32, u32)],
    extremes: &[(u32, u32, u32)],
    axis: Axis,
    t: f64,
    bins: &mut Vec<u32>,
) -> f64 {
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for &(b, a_min, a_max) in extremes {
        lo = lo.min(a_min as f64 - t * b as f64);
        hi = hi.max(a_max as f64 - t * b as f64);
    }
    bins.clear();
    bins.resize((hi - lo) as usize + 2, 0);
    for &(x, y) in ink {
        let (a, b) = match axis {
            Axis::Rows => (y, x),
            Axis::Columns => (x, y),
        };
        bins[(a as f64 - t * b as f64 - lo + 0.5) as usize] += 1;
    }
    bins.iter().map(|&c| c as f64 * c as f64).sum()
}

/// For each column (`Axis::Rows`) or row (`Axis::Columns`) holding ink: its index and its
/// first and last ink pixel along the other axis.
fn extremes(ink: &[(u32, u32)], axis: Axis) -> Vec<(u32, u32, u32)> {
    let key = |&(x, y): &(u32, u32)| match axis {
        Axis::Rows => (y, x),
        Axis::Columns => (x, y),
    };
    let len = ink.iter().map(|p| key(p).1 + 1).max().unwrap_or(0) as usize;
    let mut by = vec![(u32::MAX, 0u32); len];
    for p in ink {
        let (a, b) = key(p);
        let e = &mut by[b as usize];
        e.0 = e.0.min(a);
        e.1 = e.1.max(a);
    }
    by.into_iter()
        .enumerate()
        .filter(|(_, e)| e.0 != u32::MAX)
        .map(|(b, (lo, hi))| (b as u32, lo, hi))
        .collect()
}

/// Each column moved up or down by `t` times its distance from the centre (white where
/// nothing moves in), the image taller by what the shear needs.
fn shear_vertically(img: &GrayImage, t: f64) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let cx = w as f64 / 2.0;
    let extra = (t.abs() * cx).ceil() as usize + 1;
    let nh = h + 2 * extra;
    let src = img.as_raw();
    // Each column's shift, as whole rows and a fraction: the output is then written row by
    // row, in memory order.
    let shifts: Vec<(i64, f64)> = (0..w)
        .map(|x| split(t * (x as f64 - cx) - extra as f64))
        .collect();
    let mut out = GrayImage::from_pixel(w as u32, nh as u32, image::Luma([255]));
    for (ny, row) in out.as_mut().chunks_exact_mut(w.max(1)).enumerate() {
        for (x, (px, &(whole, f))) in row.iter_mut().zip(&shifts).enumerate() {
            let y = ny as i64 + whole;
            let at = |y: i64| or_white(y, h, |y| src[y * w + x]);
            *px = blend(at(y), at(y + 1), f);
        }
    }
    out
}

/// Each row moved left or right by `s` times its distance from the middle row.
fn shear_horizontally(img: &GrayImage, s: f64) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let cy = h as f64 / 2.0;
    let extra = (s.abs() * cy).ceil() as usize + 1;
    let nw = w + 2 * extra;
    let src = img.as_raw();
    let mut out = GrayImage::from_pixel(nw as u32, h as u32, image::Luma([255]));
    for (y, row) in out.as_mut().chunks_exact_mut(nw).enumerate() {
        let (whole, f) = split(s * (y as f64 - cy) - extra as f64);
        let from = &src[y * w..(y + 1) * w];
        let at = |x: i64| or_white(x, w, |x| from[x]);
        for (nx, px) in row.iter_mut().enumerate() {
            let x = nx as i64 + whole;
            *px = blend(at(x), at(x + 1), f);
        }
    }
    out
}

/// Pixel `i` of a run of `len` read by `get`, white outside it (where a shear moves
/// nothing in).
fn or_white(i: i64, len: usize, get: impl Fn(usize) -> u8) -> f64 {
    if i < 0 || i >= len as i64 {
        255.0
    } else {
        get(i as usize) as f64
    }
}

/// A shift as whole pixels (rounded down) and the fraction left.
fn split(shift: f64) -> (i64, f64) {
    let whole = shift.floor();
    (whole as i64, shift - whole)
}

/// Linear interpolation a fraction `f` of the way from `a` to `b`, rounded.
fn blend(a: f64, b: f64, f: f64) -> u8 {
    (a * (1.0 - f) + b * f + 0.5) as u8
}

/// The rows that hold ink, with a margin of a sixteenth of their height. The columns keep
/// their white margins: cut to the ink at the sides as well, the lines of `lines/` read
/// worse (docs/handwriting-model.md).
fn cut_to_ink(img: &GrayImage, level: u8) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut rows = img
        .as_raw()
        .chunks_exact(w.max(1))
        .enumerate()
        .filter(|(_, row)| row.iter().any(|&p| p < level))
        .map(|(y, _)| y);
    let Some(top) = rows.next() else {
        return img.clone();
    };
    let bottom = rows.next_back().unwrap_or(top) + 1;
    let pad = ((bottom - top) / 16).max(2);
    let (top, bottom) = (top.saturating_sub(pad), (bottom + pad).min(h));
    image::imageops::crop_imm(img, 0, top as u32, w as u32, (bottom - top) as u32).to_image()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;
    use proptest::prelude::*;

    /// Vertical strokes 40 px tall every 12 px along a baseline, leaning by `slant` (the
    /// top `slant * 40` px right of the foot) and climbing by `skew` px per px.
    fn strokes(slant: f64, skew: f64) -> GrayImage {
        let mut img = GrayImage::from_pixel(400, 160, Luma([235]));
        for k in 0..25 {
            let foot_x = 40.0 + 12.0 * k as f64;
            let foot_y = 110.0 - skew * (foot_x - 200.0);
            for d in 0..40 {
                let (x, y) = (foot_x + slant * d as f64, foot_y - d as f64);
                for dx in 0..3 {
                    img.put_pixel(x as u32 + dx, y as u32, Luma([30]));
                }
            }
        }
        img
    }

    /// Columns holding ink in more than half of the rows that hold any.
    fn upright_columns(img: &GrayImage) -> usize {
        let level = ink_level(img).unwrap();
        let ink = ink_pixels(img, level);
        let mut cols = vec![0u32; img.width() as usize];
        for &(x, _) in &ink {
            cols[x as usize] += 1;
        }
        let rows = ink.iter().map(|p| p.1).max().unwrap() - ink.iter().map(|p| p.1).min().unwrap();
        cols.iter().filter(|&&c| c > rows / 2).count()
    }

    #[test]
    fn leaning_strokes_are_stood_upright() {
        let leaning = strokes(0.2, 0.0);
        assert_eq!(upright_columns(&leaning), 0);
        assert!(upright_columns(&straighten(&leaning)) >= 25);
    }

    #[test]
    fn a_climbing_line_is_levelled() {
        let climbing = strokes(0.0, 0.1);
        let out = straighten(&climbing);
        // Levelled, the 40 px strokes fit in barely more than 40 rows (plus the margin).
        assert!(out.height() < 52, "{}", out.height());
        assert!(climbing.height() > 52);
    }

    #[test]
    fn upright_level_writing_is_only_cut_to_its_ink() {
        let img = strokes(0.0, 0.0);
        let out = straighten(&img);
        assert_eq!(upright_columns(&out), upright_columns(&img));
        assert!(out.height() <= 40 + 2 * 3 + 1);
    }

    #[test]
    fn an_image_without_writing_is_unchanged() {
        let blank = GrayImage::from_pixel(50, 20, Luma([240]));
        assert_eq!(straighten(&blank), blank);
        let empty = GrayImage::new(0, 0);
        assert_eq!(straighten(&empty), empty);
    }

    proptest! {
        #[test]
        fn never_panics_and_keeps_something(w in 1u32..120, h in 1u32..60, seed in any::<u64>()) {
            let mut state = seed | 1;
            let img = GrayImage::from_fn(w, h, |_, _| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                Luma([if state % 7 == 0 { (state % 100) as u8 } else { 230 }])
            });
            let out = straighten(&img);
            prop_assert!(out.width() >= 1 && out.height() >= 1);
        }
    }
}
