//! Cutting a zone out of the scan as an upright image at a chosen resolution, through the
//! registration map: tilt, rotation and scan resolution disappear here.

use crate::campaign::RectMm;
use crate::geometry::{resample, Homography};

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
    resample(img, w, h, image::Luma([255]), |x, y| {
        map.apply(rect.x + x / k, rect.y + y / k)
    })
}
