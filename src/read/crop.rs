//! Cutting a zone out of the scan as an upright image at a chosen resolution, through the
//! registration map: tilt, rotation and scan resolution disappear here.

use crate::campaign::RectMm;
use crate::geometry::{resample_gray_projective, Homography};

/// Resolution zones are read at. Tesseract reads best with text 20–40 px high; handwriting
/// on these slips is 2.5–4 mm high, which 300 dpi turns into 30–47 px.
pub const READ_DPI: f64 = 300.0;

pub fn px_per_mm(dpi: f64) -> f64 {
    dpi / 25.4
}

/// The part of the page under `rect` (mm), upright, at `dpi`.
pub fn crop(img: &image::GrayImage, map: &Homography, rect: &RectMm, dpi: f64) -> image::GrayImage {
    let k = px_per_mm(dpi);
    let w = (rect.w * k).round().max(1.0) as u32;
    let h = (rect.h * k).round().max(1.0) as u32;
    // The map from crop pixels to scan pixels: the page map after crop pixels → mm.
    let m = &map.m;
    let s = [1.0 / k, 0.0, rect.x, 0.0, 1.0 / k, rect.y, 0.0, 0.0, 1.0];
    let mut g = [0.0; 9];
    for r in 0..3 {
        for c in 0..3 {
            g[r * 3 + c] = (0..3).map(|i| m[r * 3 + i] * s[i * 3 + c]).sum();
        }
    }
    resample_gray_projective(img, w, h, &g)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::resample;

    #[test]
    fn fast_crop_matches_the_general_resampler() {
        // A textured page and a tilted, perspective map: the crop must equal (±2 grey levels,
        // fixed-point rounding) what the general f64 resampler gives for the same map.
        let page = image::GrayImage::from_fn(900, 700, |x, y| {
            image::Luma([((x * 7 + y * 13) % 251) as u8 ^ ((x / 9 + y / 5) % 2 * 90) as u8])
        });
        let map = Homography {
            m: [11.6, 0.4, 20.0, -0.3, 11.9, 15.0, 0.00004, -0.00002, 1.0],
        };
        let rect = RectMm {
            x: 3.0,
            y: 4.0,
            w: 60.0,
            h: 40.0,
        };
        let fast = crop(&page, &map, &rect, 300.0);
        let k = px_per_mm(300.0);
        let slow = resample(
            &page,
            fast.width(),
            fast.height(),
            image::Luma([255]),
            |x, y| map.apply(rect.x + x / k, rect.y + y / k),
        );
        let worst = fast
            .pixels()
            .zip(slow.pixels())
            .map(|(a, b)| (a.0[0] as i32 - b.0[0] as i32).abs())
            .max()
            .unwrap();
        assert!(worst <= 2, "largest difference {worst}");
    }
}
