//! Registration: the map from form millimetres to image pixels.
//!
//! The QR code's four corners give a first affine map (its corners are known to 0.2° and
//! a fraction of a millimetre). That map predicts where the printed registration marks are;
//! each one found near its prediction adds a far-away point, and with two or more of them
//! the map becomes projective, which also absorbs a scanner's slight perspective or a
//! page that is not quite flat.

use crate::campaign::{Form, RectMm};
use crate::geometry::{Homography, Model, PointPair};

#[derive(Debug, Clone)]
pub struct Registration {
    /// Form millimetres → image pixels.
    pub map: Homography,
    /// Rotation of the form in the image, clockwise, rounded to a quarter turn.
    pub orientation: u16,
    /// What remains of the rotation after the quarter turn, degrees.
    pub tilt_deg: f64,
    pub marks_found: usize,
    /// Image pixels per form millimetre (mean scale).
    pub px_per_mm: f64,
}

/// A mark found further than this from where the QR code predicts it is something else.
const MARK_TOLERANCE_MM: f64 = 3.0;

pub fn register(
    img: &image::GrayImage,
    form: &Form,
    qr_corners: &[(f64, f64); 4],
) -> Option<Registration> {
    let mut pairs = qr_pairs(form, qr_corners);
    let first = Homography::fit(&pairs, Model::Affine)?;
    let mut marks_found = 0;
    for mark in &form.marks {
        if let Some(px) = find_mark(img, &first, mark) {
            pairs.push((mark.centre(), px));
            marks_found += 1;
        }
    }
    // Perspective needs the whole page pinned: with only some marks, an 8-parameter fit
    // bends the page to fit the QR corners' pixel noise (simulated: 0.6 mm median error at
    // the answer box with two marks, against 0.1 mm for an affine fit on the same points).
    let map = if marks_found >= 3 && marks_found == form.marks.len() {
        Homography::fit(&pairs, Model::Projective)?
    } else {
        Homography::fit(&pairs, Model::Affine)?
    };
    Some(Registration::from_map(map, form, marks_found))
}

/// The QR symbol's corners on the form (mm) paired with where they were found (px): the
/// first map, the one that predicts where the marks are.
pub(crate) fn qr_pairs(form: &Form, qr_corners: &[(f64, f64); 4]) -> Vec<PointPair> {
    let q = &form.qr;
    [
        (q.x, q.y),
        (q.x + q.w, q.y),
        (q.x, q.y + q.h),
        (q.x + q.w, q.y + q.h),
    ]
    .into_iter()
    .zip(qr_corners.iter().copied())
    .collect()
}

/// Registration by the printed marks alone, for a page whose QR code is unreadable: each
/// mark is looked for near where `first` (a rough map, from the marks found on a shrunk
/// page) puts it, and all of them must be found.
pub fn register_by_marks(
    img: &image::GrayImage,
    form: &Form,
    first: &Homography,
) -> Option<Registration> {
    let pairs: Vec<PointPair> = form
        .marks
        .iter()
        .map(|mark| find_mark(img, first, mark).map(|px| (mark.centre(), px)))
        .collect::<Option<_>>()?;
    if pairs.len() < 3 {
        return None;
    }
    let model = if pairs.len() >= 4 {
        Model::Projective
    } else {
        Model::Affine
    };
    let map = Homography::fit(&pairs, model)?;
    Some(Registration::from_map(map, form, pairs.len()))
}

impl Registration {
    fn from_map(map: Homography, form: &Form, marks_found: usize) -> Registration {
        let (cx, cy) = (form.width / 2.0, form.height / 2.0);
        let (dx, dy) = map.x_axis_at(cx, cy);
        let angle = dy.atan2(dx).to_degrees().rem_euclid(360.0);
        let quarter = ((angle / 90.0).round() as i64).rem_euclid(4) as u16;
        let mut tilt = angle - quarter as f64 * 90.0;
        if tilt > 180.0 {
            tilt -= 360.0;
        }
        Registration {
            map,
            orientation: quarter * 90,
            tilt_deg: tilt,
            marks_found,
            px_per_mm: (dx * dx + dy * dy).sqrt(),
        }
    }
}

/// Looks for a filled square near where `map` puts `mark`; returns its centre in pixels.
pub(crate) fn find_mark(
    img: &image::GrayImage,
    map: &Homography,
    mark: &RectMm,
) -> Option<(f64, f64)> {
    let (mx, my) = mark.centre();
    let (px, py) = map.apply(mx, my);
    let (dx, dy) = map.x_axis_at(mx, my);
    let ppmm = (dx * dx + dy * dy).sqrt();
    if !(ppmm.is_finite() && ppmm > 0.5) {
        return None;
    }
    let radius = (mark.w.max(mark.h) / 2.0 + MARK_TOLERANCE_MM + 1.0) * ppmm;
    if !(px.is_finite() && py.is_finite()) || px + radius < 0.0 || py + radius < 0.0 {
        return None;
    }
    let x0 = (px - radius).floor().max(0.0) as u32;
    let y0 = (py - radius).floor().max(0.0) as u32;
    let x1 = ((px + radius).ceil() as i64).clamp(0, img.width() as i64) as u32;
    let y1 = ((py + radius).ceil() as i64).clamp(0, img.height() as i64) as u32;
    if x1 <= x0.saturating_add(2) || y1 <= y0.saturating_add(2) {
        return None;
    }
    let (w, h) = ((x1 - x0) as usize, (y1 - y0) as usize);
    let mut window = Vec::with_capacity(w * h);
    for y in y0..y1 {
        for x in x0..x1 {
            window.push(img.get_pixel(x, y).0[0]);
        }
    }
    let mut sorted = window.clone();
    sorted.sort_unstable();
    let dark = sorted[sorted.len() / 50] as i32;
    let light = sorted[sorted.len() * 98 / 100] as i32;
    if light - dark < 60 {
        return None;
    }
    let threshold = ((dark + light) / 2) as u8;
    let expected_area = mark.w * mark.h * ppmm * ppmm;
    let mut seen = vec![false; w * h];
    let mut best: Option<((f64, f64), f64)> = None;
    let mut stack = Vec::new();
    for start in 0..w * h {
        if seen[start] || window[start] > threshold {
            continue;
        }
        // Flood-fill one dark component, tracking its area, centroid and bounding box.
        seen[start] = true;
        stack.push(start);
        let (mut n, mut sx, mut sy) = (0usize, 0f64, 0f64);
        let (mut bx0, mut by0, mut bx1, mut by1) = (usize::MAX, usize::MAX, 0, 0);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            n += 1;
            sx += x as f64;
            sy += y as f64;
            bx0 = bx0.min(x);
            by0 = by0.min(y);
            bx1 = bx1.max(x);
            by1 = by1.max(y);
            let mut visit = |j: usize| {
                if !seen[j] && window[j] <= threshold {
                    seen[j] = true;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < w {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - w);
            }
            if y + 1 < h {
                visit(i + w);
            }
        }
        let area = n as f64;
        if !(0.5 * expected_area..=1.6 * expected_area).contains(&area) {
            continue;
        }
        let (bw, bh) = ((bx1 - bx0 + 1) as f64, (by1 - by0 + 1) as f64);
        // A square tilted by up to 45° fills at least half of its bounding box.
        if bw.max(bh) / bw.min(bh) > 1.5 || area < 0.45 * bw * bh {
            continue;
        }
        let c = (x0 as f64 + sx / area + 0.5, y0 as f64 + sy / area + 0.5);
        let dist = ((c.0 - px).powi(2) + (c.1 - py).powi(2)).sqrt();
        if dist > MARK_TOLERANCE_MM * ppmm {
            continue;
        }
        if best.is_none_or(|(_, d)| dist < d) {
            best = Some((c, dist));
        }
    }
    best.map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::Campaign;

    /// Draws the QR corners' positions and the marks of a form through a known map, and
    /// checks that registration recovers the map and the orientation.
    fn synthetic(angle_deg: f64) -> (image::GrayImage, [(f64, f64); 4], Homography) {
        let c = Campaign::builtin().unwrap();
        let form = c.form("slip-a5").unwrap();
        let ppmm = 200.0 / 25.4;
        let turn = Homography::similarity(ppmm, angle_deg.to_radians(), 0.0, 0.0);
        let (cx, cy) = turn.apply(74.0, 105.0);
        let truth = Homography::similarity(ppmm, angle_deg.to_radians(), 1300.0 - cx, 1300.0 - cy);
        let inv = truth.inverse().unwrap();
        let img = image::GrayImage::from_fn(2600, 2600, |x, y| {
            let (mx, my) = inv.apply(x as f64 + 0.5, y as f64 + 0.5);
            let on_mark = form
                .marks
                .iter()
                .any(|m| mx >= m.x && mx <= m.x + m.w && my >= m.y && my <= m.y + m.h);
            image::Luma([if on_mark { 20 } else { 240 }])
        });
        let q = form.qr;
        let corners = [
            (q.x, q.y),
            (q.x + q.w, q.y),
            (q.x, q.y + q.h),
            (q.x + q.w, q.y + q.h),
        ]
        .map(|(x, y)| truth.apply(x, y));
        (img, corners, truth)
    }

    #[test]
    fn finds_marks_and_recovers_the_map_when_tilted() {
        for angle in [-10.0, 0.0, 4.0, 90.0, 180.0 + 7.0, 270.0] {
            let (img, corners, truth) = synthetic(angle);
            let c = Campaign::builtin().unwrap();
            let reg = register(&img, c.form("slip-a5").unwrap(), &corners).unwrap();
            assert_eq!(reg.marks_found, 3, "angle {angle}");
            let want = ((angle / 90.0).round() as i64).rem_euclid(4) as u16 * 90;
            assert_eq!(reg.orientation, want, "angle {angle}");
            assert!(
                (reg.tilt_deg - (angle - (angle / 90.0).round() * 90.0)).abs() < 0.3,
                "angle {angle}: tilt {}",
                reg.tilt_deg
            );
            // The far corner of the answer box lands within half a millimetre.
            let (a, b) = (reg.map.apply(138.0, 164.0), truth.apply(138.0, 164.0));
            let err_mm = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt() / reg.px_per_mm;
            assert!(err_mm < 0.5, "angle {angle}: {err_mm} mm");
        }
    }

    #[test]
    fn without_marks_the_qr_alone_still_registers() {
        let (_, corners, truth) = synthetic(3.0);
        let blank = image::GrayImage::from_pixel(2600, 2600, image::Luma([240]));
        let c = Campaign::builtin().unwrap();
        let reg = register(&blank, c.form("slip-a5").unwrap(), &corners).unwrap();
        assert_eq!(reg.marks_found, 0);
        let (a, b) = (reg.map.apply(74.0, 100.0), truth.apply(74.0, 100.0));
        assert!((a.0 - b.0).abs() < 1e-6 && (a.1 - b.1).abs() < 1e-6);
    }
}
