//! Finding and decoding the slip's QR code with rxing, wherever it lies and however the
//! page is turned.
//!
//! The search runs on a half-size copy first: the code's modules are 0.65 mm, still 3 px at
//! 200 dpi once halved, and the decode is five times cheaper. Full resolution is the
//! fallback. The corners are scaled back to full-resolution pixels either way.

use std::collections::HashSet;

use rxing::common::HybridBinarizer;
use rxing::qrcode::cpp_port::QrReader;
use rxing::{BarcodeFormat, BinaryBitmap, DecodeHints, Luma8Source, Reader};

use crate::geometry::downscale2;

/// A decoded QR code: its text and the outer corners of its module grid in image pixels,
/// in the symbol's own orientation: top-left, top-right, bottom-left, bottom-right.
#[derive(Debug, Clone, PartialEq)]
pub struct QrFound {
    pub text: String,
    pub corners: [(f64, f64); 4],
}

/// Below this size a page is searched at full resolution only.
const HALVE_ABOVE: u32 = 1000;

fn decode(img: &image::GrayImage, scale: f64) -> Option<QrFound> {
    let source = Luma8Source::new_with_slice(img.as_raw(), img.width(), img.height()).ok()?;
    let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
    let hints = DecodeHints {
        PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE])),
        ..Default::default()
    };
    let result = QrReader.decode_with_hints(&mut bitmap, &hints).ok()?;
    let pts = result.getPoints();
    if pts.len() < 4 {
        return None;
    }
    let c = |i: usize| (pts[i].x as f64 * scale, pts[i].y as f64 * scale);
    Some(QrFound {
        text: result.getText().to_string(),
        corners: [c(0), c(1), c(2), c(3)],
    })
}

/// Finds the page's QR code. On failure, says which searches were tried.
pub fn find_qr(img: &image::GrayImage) -> Result<QrFound, String> {
    let mut tried = Vec::new();
    if img.width().min(img.height()) > HALVE_ABOVE {
        let half = downscale2(img);
        if let Some(found) = decode(&half, 2.0) {
            return Ok(found);
        }
        tried.push("half resolution");
    }
    if let Some(found) = decode(img, 1.0) {
        return Ok(found);
    }
    tried.push("full resolution");
    Err(format!(
        "searched the whole page at {}",
        tried.join(" and ")
    ))
}
