//! Where a run's time goes, stage by stage, summed over the workers: the measurement that
//! speed work starts from (summary.json `stage_seconds`, `scripts/bench-vs-script`). A few
//! relaxed atomic additions per page; nothing else.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The stages of reading a page, in pipeline order.
#[derive(Debug, Clone, Copy)]
pub enum Stage {
    /// Decoding the page's image (JPEG, PNG, TIFF, PDF) to grey.
    Decode,
    /// Repairing scanner streaks on the whole page.
    Streaks,
    /// Finding and decoding the QR code.
    Qr,
    /// Registration marks and the page → millimetre map.
    Register,
    /// Cropping an answer zone out of the page (resampling through the map).
    Crop,
    /// Cleaning a zone and measuring its ink.
    Clean,
    /// Finding the lines of writing and OCR (Tesseract itself is `ocr_seconds`).
    Read,
    /// Looking for writing past the box.
    OutsideBox,
    /// Writing the crop JPEG.
    CropWrite,
    /// Scoring checkboxes.
    Checkboxes,
}

const STAGES: [(Stage, &str); STAGE_COUNT] = [
    (Stage::Decode, "decode"),
    (Stage::Streaks, "streaks"),
    (Stage::Qr, "qr"),
    (Stage::Register, "register"),
    (Stage::Crop, "crop"),
    (Stage::Clean, "clean"),
    (Stage::Read, "lines_and_ocr"),
    (Stage::OutsideBox, "outside_box"),
    (Stage::CropWrite, "crop_write"),
    (Stage::Checkboxes, "checkboxes"),
];

const STAGE_COUNT: usize = Stage::Checkboxes as usize + 1;

static NANOS: [AtomicU64; STAGE_COUNT] = [const { AtomicU64::new(0) }; STAGE_COUNT];

/// Runs `f`, adding its time to `stage`.
pub fn time<R>(stage: Stage, f: impl FnOnce() -> R) -> R {
    let started = Instant::now();
    let r = f();
    NANOS[stage as usize].fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
    r
}

/// Seconds per stage so far, by name, in pipeline order.
pub fn totals() -> Vec<(&'static str, f64)> {
    STAGES
        .iter()
        .map(|(s, name)| {
            (
                *name,
                NANOS[*s as usize].load(Ordering::Relaxed) as f64 / 1e9,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_named_in_order_and_add_up() {
        assert!(STAGES
            .iter()
            .enumerate()
            .all(|(i, (s, _))| *s as usize == i));
        time(Stage::Qr, || {
            std::thread::sleep(std::time::Duration::from_millis(2))
        });
        let qr = totals().into_iter().find(|(n, _)| *n == "qr").unwrap().1;
        assert!(qr >= 0.002);
    }
}
