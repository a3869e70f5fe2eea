//! Black-and-white scans. An office scanner in black-and-white mode, or a printer's own
//! bilevel PDF, turns a light grey guide line into a sparse pattern of black dots (a
//! halftone: `forms print` uses an 8 × 8 ordered dither, about one pixel in five). Those dots
//! are as black as ink, so every later step would take them for writing: the guide lines
//! cannot be told from strokes crossing them by their grey, and a blank answer zone reads
//! as a line of noise. Writing, even a fine pen's, is made of solid strokes: at least two
//! pixels across at any scanning resolution urnscan reads. So on a bilevel page, black that
//! holds no 2 × 2 block of black (isolated dots, one-pixel hairlines) is paper.

use image::GrayImage;

/// Share of pixels that may be neither black nor white in a page still taken as bilevel
/// (a decoder's rounding, a few grey pixels from a stamp).
const GREY_ALLOWED: f64 = 0.001;

/// Whether the page holds only black and white.
pub fn is_bilevel(img: &GrayImage) -> bool {
    let raw = img.as_raw();
    if raw.is_empty() {
        return false;
    }
    let grey = raw.iter().filter(|&&p| p != 0 && p != 255).count();
    (grey as f64) <= GREY_ALLOWED * raw.len() as f64
}

/// Whitens the black pixels that belong to no 2 × 2 block of black (a morphological
/// opening): halftone dots and hairlines go, strokes stay whole. Returns how many pixels
/// went white.
pub fn remove_halftone_dots(img: &mut GrayImage) -> usize {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < 2 || h < 2 {
        return 0;
    }
    let raw: &mut [u8] = img;
    let black = |p: u8| p < 128;
    // block[y * w + x]: the 2 × 2 block whose top-left pixel is (x, y) is all black.
    let mut block = vec![false; w * h];
    for y in 0..h - 1 {
        let (row, next) = (&raw[y * w..(y + 1) * w], &raw[(y + 1) * w..(y + 2) * w]);
        for x in 0..w - 1 {
            block[y * w + x] =
                black(row[x]) && black(row[x + 1]) && black(next[x]) && black(next[x + 1]);
        }
    }
    let mut whitened = 0;
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            if !black(raw[i]) {
                continue;
            }
            // Part of a block whose top-left is here, left, above, or above-left.
            let kept = block[i]
                || (x > 0 && block[i - 1])
                || (y > 0 && block[i - w])
                || (x > 0 && y > 0 && block[i - w - 1]);
            if !kept {
                raw[i] = 255;
                whitened += 1;
            }
        }
    }
    whitened
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_and_hairlines_go_strokes_stay() {
        let mut img = GrayImage::from_pixel(40, 20, image::Luma([255]));
        // A halftone: one pixel in five, none touching.
        for y in (0..20).step_by(2) {
            for x in ((y / 2 % 3)..40).step_by(3) {
                img.put_pixel(x as u32, y as u32, image::Luma([0]));
            }
        }
        // A one-pixel hairline and a stroke three pixels thick.
        for x in 0..40 {
            img.put_pixel(x, 5, image::Luma([0]));
        }
        for y in 10..20 {
            for x in 20..23 {
                img.put_pixel(x, y, image::Luma([0]));
            }
        }
        assert!(is_bilevel(&img));
        remove_halftone_dots(&mut img);
        let black: Vec<(u32, u32)> = img
            .enumerate_pixels()
            .filter(|(_, _, p)| p.0[0] == 0)
            .map(|(x, y, _)| (x, y))
            .collect();
        assert_eq!(black.len(), 30, "only the stroke is left");
        assert!(black.iter().all(|&(x, y)| (20..23).contains(&x) && y >= 10));

        let mut grey = GrayImage::from_pixel(10, 10, image::Luma([200]));
        grey.put_pixel(0, 0, image::Luma([0]));
        assert!(!is_bilevel(&grey));
    }
}
