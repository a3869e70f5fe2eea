//! How well urnscan's QR search reads real photographs and scans of QR codes, the folder
//! `../shared/qr-photos` (ZXing's blackbox images, each `N.png` with its exact payload in
//! `N.txt`), in the original orientation and turned by 90, 180 and 270 degrees:
//!
//!   cargo run --release --example qr_photos -- [DIR] [--failures]
//!
//! Each image goes through what `urnscan process` does before the payload is parsed
//! (`urnscan::slip::find_page_qr`: the scanner-streak repair, then the QR search). Prints one
//! line per orientation: images, decoded, exact (payload equal to `N.txt` byte for byte),
//! milliseconds per image (decoding the PNG and turning it are not counted). `--failures` lists the images not read exactly. `scripts/eval-qr` runs it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use urnscan::slip::find_page_qr;

/// One image and the payload it must give.
struct Case {
    name: String,
    image: image::GrayImage,
    payload: String,
}

fn load(dir: &Path) -> anyhow::Result<Vec<Case>> {
    let mut cases = Vec::new();
    let mut subdirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    subdirs.sort();
    for sub in subdirs {
        let mut pngs: Vec<PathBuf> = std::fs::read_dir(&sub)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "png"))
            .collect();
        pngs.sort_by_key(|p| {
            p.file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<u32>().ok())
                .unwrap_or(u32::MAX)
        });
        for png in pngs {
            let txt = png.with_extension("txt");
            // Bytes, not lines: some payloads end in CR LF and must be compared as they are.
            let payload = String::from_utf8(std::fs::read(&txt)?)
                .with_context(|| format!("{} is not UTF-8", txt.display()))?;
            let image = image::open(&png)
                .with_context(|| format!("decoding {}", png.display()))?
                .to_luma8();
            let name = png.strip_prefix(dir).unwrap_or(&png).display().to_string();
            cases.push(Case {
                name,
                image,
                payload,
            });
        }
    }
    Ok(cases)
}

fn turn(img: &image::GrayImage, degrees: u32) -> image::GrayImage {
    match degrees {
        90 => image::imageops::rotate90(img),
        180 => image::imageops::rotate180(img),
        270 => image::imageops::rotate270(img),
        _ => img.clone(),
    }
}

fn main() -> anyhow::Result<()> {
    let mut dir = PathBuf::from("../shared/qr-photos");
    let mut failures = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--failures" => failures = true,
            "-h" | "--help" => {
                println!("usage: qr_photos [DIR] [--failures]");
                return Ok(());
            }
            _ => dir = PathBuf::from(arg),
        }
    }
    let cases = load(&dir)?;
    println!(
        "{:>8} {:>7} {:>8} {:>6} {:>9}",
        "rotation", "images", "decoded", "exact", "ms/image"
    );
    for degrees in [0, 90, 180, 270] {
        let turned: Vec<image::GrayImage> = cases.iter().map(|c| turn(&c.image, degrees)).collect();
        let (mut decoded, mut exact) = (0, 0);
        let mut missed = Vec::new();
        let start = Instant::now();
        for (case, img) in cases.iter().zip(turned) {
            let mut img = img;
            match find_page_qr(&mut img) {
                Ok(found) => {
                    decoded += 1;
                    if found.text == case.payload {
                        exact += 1;
                    } else {
                        missed.push(format!("{} wrong payload {:?}", case.name, found.text));
                    }
                }
                Err(_) => missed.push(format!("{} not decoded", case.name)),
            }
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0 / cases.len().max(1) as f64;
        println!(
            "{:>8} {:>7} {:>8} {:>6} {:>9.1}",
            degrees,
            cases.len(),
            decoded,
            exact,
            ms
        );
        if failures {
            for m in missed {
                println!("    {m}");
            }
        }
    }
    Ok(())
}
