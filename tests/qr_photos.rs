//! urnscan's QR search on real photographs and scans of QR codes: ../shared/qr-photos (97 of
//! ZXing's blackbox images, each `N.png` with its exact payload in `N.txt`). Read as
//! `urnscan process` reads a page (streak repair, then the search); at least 94 must give
//! their payload exactly, as zxing-cpp does. The folder is shared data beside the repository:
//! without it the test says it did not run, and fails under CI, which has it.
//! `scripts/eval-qr` prints the full table (every orientation, time per image).

use std::path::{Path, PathBuf};

use urnscan::slip::find_page_qr;

const REQUIRED_EXACT: usize = 94;

/// One way of turning an image.
type Turn = fn(&image::GrayImage) -> image::GrayImage;

mod common;

fn photos() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/qr-photos");
    if dir.is_dir() {
        return Some(dir);
    }
    common::cannot_run(&format!(
        "{} not found (the shared QR photographs): the QR search was not measured",
        dir.display()
    ));
    None
}

/// Every (name, image, payload) of the folder.
fn cases(dir: &Path) -> Vec<(String, image::GrayImage, String)> {
    let mut all = Vec::new();
    let mut subs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    subs.sort();
    for sub in subs {
        let mut pngs: Vec<PathBuf> = std::fs::read_dir(&sub)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "png"))
            .collect();
        pngs.sort();
        for png in pngs {
            // Bytes, not lines: some payloads end in CR LF.
            let payload =
                String::from_utf8(std::fs::read(png.with_extension("txt")).unwrap()).unwrap();
            let img = image::open(&png).unwrap().to_luma8();
            all.push((png.display().to_string(), img, payload));
        }
    }
    all
}

fn exact(cases: &[(String, image::GrayImage, String)], turn: Turn) -> (usize, Vec<String>) {
    let mut n = 0;
    let mut missed = Vec::new();
    for (name, img, payload) in cases {
        let mut page = turn(img);
        match find_page_qr(&mut page) {
            Ok(found) if found.text == *payload => n += 1,
            Ok(found) => missed.push(format!("{name}: read {:?}", found.text)),
            Err(_) => missed.push(format!("{name}: not decoded")),
        }
    }
    (n, missed)
}

#[test]
fn real_photographs_of_qr_codes_are_read_exactly_in_every_orientation() {
    let Some(dir) = photos() else { return };
    let cases = cases(&dir);
    assert_eq!(cases.len(), 97, "the folder should hold 97 images");
    let turns: [(&str, Turn); 4] = [
        ("original", |i| i.clone()),
        ("90°", image::imageops::rotate90),
        ("180°", image::imageops::rotate180),
        ("270°", image::imageops::rotate270),
    ];
    for (name, turn) in turns {
        let (n, missed) = exact(&cases, turn);
        assert!(
            n >= REQUIRED_EXACT,
            "{name}: {n} of {} read exactly, {REQUIRED_EXACT} needed; missed:\n{}",
            cases.len(),
            missed.join("\n")
        );
    }
}
