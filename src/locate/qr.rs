//! Finding and decoding the slip's QR code with rxing, wherever it lies and however the
//! page is turned.
//!
//! rxing's finder-pattern search is sensitive to scale: on generated scans the same page
//! decoded at one scale and not at the next, in no fixed order. So the search is a cascade,
//! cheapest first: half size (the code's 0.65 mm modules are still 3 px at 200 dpi once
//! halved, and the decode is five times cheaper than at full size), quarter size, half size
//! trying harder, full size, full size trying harder. A clean page stops at the first step;
//! only pages without a code pay for all of them. Corners are scaled back to full-resolution
//! pixels.
//!
//! An image too small to be a scanned page (a photograph of a code, a cut-out) goes on, when
//! the full size fails, to half size and to one and a half times its size, trying harder: on
//! ZXing's real photographs (../shared/qr-photos, `scripts/eval-qr`) that reads 95 of 97
//! exactly in every orientation, the level of zxing-cpp (docs/performance.md, "QR codes").

use std::collections::HashSet;

use rxing::common::HybridBinarizer;
use rxing::qrcode::cpp_port::QrReader;
use rxing::{BarcodeFormat, BinaryBitmap, DecodeHints, Luma8Source, Reader};

use crate::geometry::{downscale2, resize_gray_triangle};

/// A decoded QR code: its text and the outer corners of its module grid in image pixels,
/// in the symbol's own orientation: top-left, top-right, bottom-left, bottom-right.
#[derive(Debug, Clone, PartialEq)]
pub struct QrFound {
    pub text: String,
    pub corners: [(f64, f64); 4],
}

/// Below this size a page is searched at full resolution only.
const HALVE_ABOVE: u32 = 1000;

fn decode(img: &image::GrayImage, scale: f64, harder: bool) -> Option<QrFound> {
    let source = Luma8Source::new_with_slice(img.as_raw(), img.width(), img.height()).ok()?;
    let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
    let hints = DecodeHints {
        PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE])),
        TryHarder: Some(harder),
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
        let quarter = downscale2(&half);
        for (im, scale, harder, name) in [
            (&half, 2.0, false, "1/2"),
            (&quarter, 4.0, false, "1/4"),
            (&half, 2.0, true, "1/2 trying harder"),
        ] {
            if let Some(found) = decode(im, scale, harder) {
                return Ok(found);
            }
            tried.push(name);
        }
    }
    for (harder, name) in [(false, "full size"), (true, "full size trying harder")] {
        if let Some(found) = decode(img, 1.0, harder) {
            return Ok(found);
        }
        tried.push(name);
    }
    if img.width().min(img.height()) <= HALVE_ABOVE {
        // A small image is a photograph or a cut-out of a code rather than a scanned page:
        // its modules may be blurred over many pixels (halving sharpens them) or only a few
        // pixels wide (enlarging gives the finder-pattern search room). Cheap next to a page,
        // and tried only when the full-size search failed.
        let half = downscale2(img);
        if let Some(found) = decode(&half, 2.0, true) {
            return Ok(found);
        }
        tried.push("1/2 trying harder");
        let (w, h) = (img.width() * 3 / 2, img.height() * 3 / 2);
        let larger = resize_gray_triangle(img, w, h);
        if let Some(found) = decode(&larger, 2.0 / 3.0, true) {
            return Ok(found);
        }
        tried.push("3/2 size trying harder");
    }
    Err(format!("searched the whole page at {}", tried.join(", ")))
}
