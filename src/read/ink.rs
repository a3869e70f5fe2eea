//! Cleaning a zone crop and measuring its ink.
//!
//! Scans differ in paper tone, contrast and noise; handwriting differs from a black felt pen
//! to a faint pencil. Everything here works relative to the zone's own paper level, so that
//! one threshold serves every scan. The printed parts of the form inside a zone (grey guide
//! lines, the box's stroke caught by a slightly-off registration) are removed before ink is
//! counted and before OCR, so that neither mistakes them for writing.

use image::GrayImage;

/// Below this (on the paper-normalised scale, paper = 255) a pixel is ink. Blue ballpoint
/// and black pen sit near 40–90, a soft pencil near 110–150, the printed guide lines near
/// 200 and scanner noise within ±20 of the paper.
pub const INK_LEVEL: u8 = 165;
/// Inside a guide line's band, only clearly darker strokes are ink: the grey line itself
/// (#c8c8c8 printed, 170–215 once scanned) must go.
const GUIDE_INK_LEVEL: u8 = 150;

/// Rescales grey levels so that the zone's paper reads 255. The paper level is a high
/// percentile of the zone: even a crowded answer covers less than a third of its box.
pub fn normalise_paper(img: &mut GrayImage) {
    let mut hist = [0usize; 256];
    for p in img.as_raw() {
        hist[*p as usize] += 1;
    }
    let total = img.as_raw().len();
    let mut acc = 0;
    let mut paper = 255usize;
    for (v, n) in hist.iter().enumerate() {
        acc += n;
        if acc * 100 >= total * 70 {
            paper = v;
            break;
        }
    }
    // A zone that is mostly dark is not paper: leave it as it is.
    if paper < 120 {
        return;
    }
    let lut: Vec<u8> = (0..256)
        .map(|v| ((v as f64 * 255.0 / paper as f64).round()).min(255.0) as u8)
        .collect();
    for p in img.iter_mut() {
        *p = lut[*p as usize];
    }
}

/// Whitens the printed guide lines (rows `guide_rows`, each ± `half_band` px) where they are
/// lighter than ink, and everything paler than ink elsewhere (paper noise, JPEG ringing).
pub fn remove_print(img: &mut GrayImage, guide_rows: &[f64], half_band: f64) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let raw: &mut [u8] = img;
    let mut in_band = vec![false; h];
    for &gy in guide_rows {
        let y0 = (gy - half_band).floor().max(0.0) as usize;
        let y1 = ((gy + half_band).ceil() as usize).min(h);
        for b in in_band.iter_mut().take(y1).skip(y0) {
            *b = true;
        }
    }
    for (y, row) in raw.chunks_exact_mut(w).enumerate() {
        let level = if in_band[y] {
            GUIDE_INK_LEVEL
        } else {
            INK_LEVEL
        };
        for p in row.iter_mut() {
            if *p >= level {
                *p = 255;
            }
        }
    }
    clear_border_lines(img);
}

/// Removes what is left of the printed box near the crop's edges: a row or column, within
/// the outer 4 % of the crop, that is mostly ink is a printed stroke, not writing.
fn clear_border_lines(img: &mut GrayImage) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let margin_y = (h / 25).max(2);
    let margin_x = (w / 25).max(2);
    let raw: &mut [u8] = img;
    for y in (0..margin_y).chain(h.saturating_sub(margin_y)..h) {
        let row = &mut raw[y * w..(y + 1) * w];
        if row.iter().filter(|p| **p < INK_LEVEL).count() * 2 > w {
            row.fill(255);
        }
    }
    for x in (0..margin_x).chain(w.saturating_sub(margin_x)..w) {
        let dark = (0..h).filter(|y| raw[y * w + x] < INK_LEVEL).count();
        if dark * 2 > h {
            for y in 0..h {
                raw[y * w + x] = 255;
            }
        }
    }
}

/// The cleaning every zone gets before its ink is measured and it is OCRed: paper brought
/// to white, guide lines and box remnants removed, paler-than-ink pixels whitened.
pub fn clean_zone(raw: &GrayImage, guide_rows: &[f64], half_band: f64) -> GrayImage {
    let mut clean = raw.clone();
    normalise_paper(&mut clean);
    remove_print(&mut clean, guide_rows, half_band);
    clean
}

/// Ink pixels in the cleaned crop. Isolated specks (a pixel with no dark neighbour) are
/// scanner dust, not writing, and are not counted.
pub fn ink_pixels(img: &GrayImage) -> usize {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let raw = img.as_raw();
    let mut n = 0;
    for y in 1..h.saturating_sub(1) {
        for x in 1..w.saturating_sub(1) {
            let i = y * w + x;
            if raw[i] < INK_LEVEL {
                let neighbours = [i - 1, i + 1, i - w, i + w]
                    .iter()
                    .filter(|&&j| raw[j] < INK_LEVEL)
                    .count();
                if neighbours > 0 {
                    n += 1;
                }
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_brings_paper_to_white() {
        let mut img = GrayImage::from_fn(100, 100, |x, _| {
            image::Luma([if x < 10 { 40 } else { 220 }])
        });
        normalise_paper(&mut img);
        assert_eq!(img.get_pixel(50, 50).0[0], 255);
        assert!(img.get_pixel(5, 5).0[0] < 50);
    }

    #[test]
    fn guide_lines_go_but_ink_across_them_stays() {
        let mut img = GrayImage::from_pixel(200, 100, image::Luma([255]));
        for x in 0..200 {
            img.put_pixel(x, 50, image::Luma([200]));
            img.put_pixel(x, 51, image::Luma([190]));
        }
        // A pencil stroke crossing the line.
        for y in 30..70 {
            img.put_pixel(100, y, image::Luma([130]));
            img.put_pixel(101, y, image::Luma([130]));
        }
        remove_print(&mut img, &[50.5], 3.0);
        assert_eq!(img.get_pixel(20, 50).0[0], 255);
        assert_eq!(img.get_pixel(100, 50).0[0], 130);
        assert_eq!(ink_pixels(&img), 80);
    }

    #[test]
    fn box_stroke_at_the_edge_is_removed_and_specks_do_not_count() {
        let mut img = GrayImage::from_pixel(300, 200, image::Luma([255]));
        for x in 0..300 {
            img.put_pixel(x, 1, image::Luma([30]));
        }
        for y in 0..200 {
            img.put_pixel(298, y, image::Luma([30]));
        }
        img.put_pixel(150, 100, image::Luma([0]));
        remove_print(&mut img, &[], 0.0);
        assert_eq!(ink_pixels(&img), 0);
    }
}
