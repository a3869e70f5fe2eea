//! Scoring checkbox groups by ink: a box is ticked when enough of its inside is dark.
//!
//! Only the inside of the printed square is measured, 1 mm clear of its stroke, so that a
//! registration error of up to half a millimetre never counts the printed stroke as a tick.
//! A cross, a check mark, a filled square or a scribble all darken a large share of that
//! inside; an empty box stays at the noise floor (under 1 %).

use crate::campaign::{CheckboxGroup, RectMm};
use crate::geometry::Homography;

use super::crop::{crop, READ_DPI};
use super::ink::normalise_paper;

/// Darker than this (paper-normalised) is ink inside a box: the inside of a box is clean
/// paper (noise stays above ~225), and a pencil tick scans at 140–210.
const BOX_INK_LEVEL: u8 = 215;
/// Share of a box's inside that must be ink for the box to count as ticked.
pub const TICK_RATIO: f64 = 0.08;
/// How far inside the printed square the measured area starts, mm.
const INSET_MM: f64 = 1.0;

/// The ink ratio of each choice's box, in the group's order.
pub fn score_group(img: &image::GrayImage, map: &Homography, group: &CheckboxGroup) -> Vec<f64> {
    group
        .choices
        .iter()
        .map(|choice| {
            // Normalise against a patch with some paper around the box.
            let outer: RectMm = choice.rect.grow(2.0);
            let mut patch = crop(img, map, &outer, READ_DPI);
            normalise_paper(&mut patch);
            let k = READ_DPI / 25.4;
            let inset = (2.0 + INSET_MM) * k;
            let (w, h) = (patch.width() as f64, patch.height() as f64);
            let (x0, y0) = (inset.round() as u32, inset.round() as u32);
            let (x1, y1) = ((w - inset).round() as u32, (h - inset).round() as u32);
            let mut ink = 0usize;
            let mut total = 0usize;
            for y in y0..y1.max(y0) {
                for x in x0..x1.max(x0) {
                    total += 1;
                    if patch.get_pixel(x, y).0[0] < BOX_INK_LEVEL {
                        ink += 1;
                    }
                }
            }
            if total == 0 {
                0.0
            } else {
                ink as f64 / total as f64
            }
        })
        .collect()
}

/// The codes of the ticked choices.
pub fn ticked(group: &CheckboxGroup, scores: &[f64]) -> Vec<String> {
    group
        .choices
        .iter()
        .zip(scores)
        .filter(|(_, s)| **s >= TICK_RATIO)
        .map(|(c, _)| c.code.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::{Campaign, Zone};

    #[test]
    fn a_cross_is_ticked_an_empty_box_is_not() {
        let c = Campaign::builtin().unwrap();
        let form = c.form("slip-a5").unwrap();
        let Some(Zone::Checkbox(group)) =
            form.zones.iter().find(|z| matches!(z, Zone::Checkbox(_)))
        else {
            panic!("slip-a5 has a checkbox group")
        };
        let ppmm = 200.0 / 25.4;
        let map = Homography::similarity(ppmm, 0.0, 0.0, 0.0);
        // Print every box; draw a cross in the second one.
        let img =
            image::GrayImage::from_fn((148.0 * ppmm) as u32, (210.0 * ppmm) as u32, |x, y| {
                let (mx, my) = ((x as f64 + 0.5) / ppmm, (y as f64 + 0.5) / ppmm);
                for (i, ch) in group.choices.iter().enumerate() {
                    let r = ch.rect;
                    let inside = mx >= r.x && mx <= r.x + r.w && my >= r.y && my <= r.y + r.h;
                    let on_stroke = inside
                        && (mx - r.x < 0.3
                            || r.x + r.w - mx < 0.3
                            || my - r.y < 0.3
                            || r.y + r.h - my < 0.3);
                    let (u, v) = (mx - r.x, my - r.y);
                    let on_cross =
                        i == 1 && inside && ((u - v).abs() < 0.35 || (u + v - r.w).abs() < 0.35);
                    if on_stroke || on_cross {
                        return image::Luma([25]);
                    }
                }
                image::Luma([235])
            });
        let scores = score_group(&img, &map, group);
        assert!(scores[0] < 0.01, "{scores:?}");
        assert!(scores[1] > 0.2, "{scores:?}");
        assert_eq!(ticked(group, &scores), vec![group.choices[1].code.clone()]);
    }
}
