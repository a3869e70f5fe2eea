//! `urnscan explain` and `urnscan process --debug`: the real binary on the committed sample
//! scans draws what it found on a good slip and on a page without QR code, in the colours
//! its legend names, and `--debug` draws exactly the pages set aside or flagged.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use image::RgbImage;
use urnscan::render::annotate::{
    FLAG_ORANGE, LINE_MAGENTA, MAX_SIDE, OK_GREEN, PANEL_WIDTH, QR_BLUE, REJECT_RED,
};

mod common;
use common::bin;

fn scan(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("sample-scans/scans")
        .join(name)
}

/// The fonts the legend is written with (Debian's fonts-dejavu-core).
fn fonts_present() -> bool {
    let ok = Path::new("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").exists();
    if !ok {
        common::cannot_run("the DejaVu fonts (apt-get install fonts-dejavu-core)");
    }
    ok
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn explain(file: &Path, png: &Path) -> (String, RgbImage) {
    let out = bin()
        .arg("explain")
        .arg(file)
        .arg("--out")
        .arg(png)
        .output()
        .expect("the urnscan binary runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let img = image::open(png)
        .unwrap_or_else(|e| panic!("{}: {e}", png.display()))
        .into_rgb8();
    assert!(
        img.width() <= MAX_SIDE && img.height() <= MAX_SIDE,
        "{}x{}",
        img.width(),
        img.height()
    );
    assert!(img.width() > PANEL_WIDTH + 500, "{}", img.width());
    (String::from_utf8_lossy(&out.stdout).into_owned(), img)
}

/// The bounding box (x0, y0, x1, y1) and count of the pixels of exactly `rgb` within
/// columns `xs` (the overlays' strokes are drawn opaque, so their cores have it exactly).
fn pixels_of(
    img: &RgbImage,
    rgb: [u8; 3],
    xs: std::ops::Range<u32>,
) -> (u32, u32, u32, u32, usize) {
    let mut b = (u32::MAX, u32::MAX, 0, 0, 0);
    for (x, y, p) in img.enumerate_pixels() {
        if xs.contains(&x) && p.0 == rgb {
            b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y), b.4 + 1);
        }
    }
    b
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn explain_draws_a_good_slip_and_a_page_without_qr_code() {
    if !fonts_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();

    // A good slip: upright, its QR code at the top left of the form.
    let (words, img) = explain(&scan("0001-slip-a5.jpg"), &dir.path().join("good.png"));
    assert!(words.contains("\nok: 1 answer, none flagged\n"), "{words}");
    assert!(
        words.contains("registration marks: 3 of 3 found"),
        "{words}"
    );
    assert!(words.contains("line"), "{words}");
    assert!(!words.contains("warning"), "{words}");
    let page_w = img.width() - PANEL_WIDTH;
    let (x0, y0, x1, y1, n) = pixels_of(&img, QR_BLUE, 0..page_w);
    assert!(n > 500, "the QR code's outline: {n} blue pixels");
    assert!(
        x1 < page_w / 2 && y1 < img.height() / 3,
        "blue only around the QR code, at the top left: ({x0},{y0})-({x1},{y1}) on {page_w}x{}",
        img.height()
    );
    let (_, y0, _, y1, n) = pixels_of(&img, LINE_MAGENTA, 0..page_w);
    assert!(n > 200, "lines of writing: {n} magenta pixels");
    assert!(
        y0 > img.height() / 5 && y1 < img.height() / 2,
        "lines in the answer box: rows {y0}..{y1}"
    );
    let (_, _, _, _, n) = pixels_of(&img, OK_GREEN, 0..page_w);
    assert!(n > 1000, "the answer box, read: {n} green pixels");
    assert_eq!(
        pixels_of(&img, FLAG_ORANGE, 0..page_w).4,
        0,
        "nothing flagged"
    );
    // The legend: the decision's colour along its top, and text.
    let panel = page_w..img.width();
    let (_, y0, _, _, n) = pixels_of(&img, OK_GREEN, panel.clone());
    assert!(
        y0 < 10 && n > 2000,
        "a green bar on the legend: {n} from row {y0}"
    );
    let dark = img
        .enumerate_pixels()
        .filter(|(x, _, p)| panel.contains(x) && p.0.iter().all(|&v| v < 100))
        .count();
    assert!(dark > 2000, "the legend's text: {dark} dark pixels");

    // A typed letter: no QR code anywhere, so the whole page's edge is drawn as searched.
    let (words, img) = explain(&scan("0008-letter.jpg"), &dir.path().join("no-qr.png"));
    assert!(
        words.contains("\nrejected: no_qr — no QR code found (searched the whole page"),
        "{words}"
    );
    assert!(words.contains("→ check that the page is a slip"), "{words}");
    let page_w = img.width() - PANEL_WIDTH;
    let (x0, y0, x1, y1, n) = pixels_of(&img, QR_BLUE, 0..page_w);
    assert!(n > 2000, "the searched page's edge: {n} blue pixels");
    assert!(
        x0 < 10 && y0 < 10 && x1 > page_w - 10 && y1 > img.height() - 40,
        "blue along the page's edge: ({x0},{y0})-({x1},{y1})"
    );
    assert_eq!(pixels_of(&img, OK_GREEN, 0..page_w).4, 0, "no zone found");
    let (_, y0, _, _, n) = pixels_of(&img, REJECT_RED, page_w..img.width());
    assert!(
        y0 < 10 && n > 2000,
        "the decision in red: {n} from row {y0}"
    );
}

#[test]
fn explain_refuses_what_it_cannot_explain_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("x.png");
    let run = |args: &[&std::ffi::OsStr]| -> (Option<i32>, String) {
        let out = bin().arg("explain").args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let missing = dir.path().join("nope.jpg");
    let (code, err) = run(&[missing.as_os_str(), "--out".as_ref(), png.as_os_str()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("does not exist"), "{err}");
    let slip = scan("0001-slip-a5.jpg");
    let (code, err) = run(&[
        slip.as_os_str(),
        "--page".as_ref(),
        "2".as_ref(),
        "--out".as_ref(),
        png.as_os_str(),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("has 1 page(s): there is no page 2"), "{err}");
    let jpg = dir.path().join("x.jpg");
    let (code, err) = run(&[slip.as_os_str(), "--out".as_ref(), jpg.as_os_str()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("PNG"), "{err}");
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "not a scan\n").unwrap();
    let (code, err) = run(&[notes.as_os_str(), "--out".as_ref(), png.as_os_str()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not a supported scan: a text file"), "{err}");
    assert!(!png.exists(), "nothing written");
}

#[test]
fn process_debug_draws_each_page_set_aside_or_flagged_once() {
    if !fonts_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (out, debug) = (dir.path().join("out"), dir.path().join("debug"));
    let run = bin()
        .arg("process")
        .arg(scan(""))
        .arg("--out")
        .arg(&out)
        .arg("--debug")
        .arg(&debug)
        .arg("--quiet")
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(1),
        "3 pages rejected: {}",
        text(&run)
    );
    let summary = String::from_utf8_lossy(&run.stdout);
    assert!(
        summary.contains(&format!("{}/: 4 picture(s)", debug.display())),
        "{summary}"
    );

    // Expected: every page pages.csv rejects, and every page with an answer flagged in
    // contributions.csv.
    let mut expected = BTreeSet::new();
    let mut pages = csv::Reader::from_path(out.join("pages.csv")).unwrap();
    for row in pages.deserialize::<std::collections::HashMap<String, String>>() {
        let row = row.unwrap();
        if row["status"] == "rejected" {
            expected.insert((row["source_file"].clone(), row["page"].clone()));
        }
    }
    let mut answers = csv::Reader::from_path(out.join("contributions.csv")).unwrap();
    for row in answers.deserialize::<std::collections::HashMap<String, String>>() {
        let row = row.unwrap();
        if row["needs_review"] == "true" {
            expected.insert((row["source_file"].clone(), row["page"].clone()));
        }
    }
    let expected: BTreeSet<String> = expected
        .into_iter()
        .map(|(file, page)| {
            let stem = file.rsplit_once('.').map_or(file.as_str(), |(s, _)| s);
            format!("{stem}-p{page}.png")
        })
        .collect();
    let written: BTreeSet<String> = std::fs::read_dir(&debug)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written, expected);
    assert_eq!(
        written.iter().map(String::as_str).collect::<Vec<_>>(),
        [
            "0006-slip-a5-p1.png",
            "0008-letter-p1.png",
            "0009-flyer-p1.png",
            "0010-slip-a5-p1.png"
        ],
        "the sample's 3 rejected pages and its slip with two boxes ticked"
    );
    for name in &written {
        let img = image::open(debug.join(name)).unwrap().into_rgb8();
        assert!(
            img.width() <= MAX_SIDE && img.height() <= MAX_SIDE,
            "{name}"
        );
        #[cfg(unix)]
        assert_eq!(mode(&debug.join(name)), 0o600, "{name}");
    }
    #[cfg(unix)]
    assert_eq!(mode(&debug), 0o700);
    // The flagged slip: its ticks that flag it in orange, the page's decision in orange.
    let img = image::open(debug.join("0006-slip-a5-p1.png"))
        .unwrap()
        .into_rgb8();
    let page_w = img.width() - PANEL_WIDTH;
    assert!(pixels_of(&img, FLAG_ORANGE, 0..page_w).4 > 1000);
    assert!(pixels_of(&img, FLAG_ORANGE, page_w..img.width()).4 > 2000);

    // A --debug folder inside the scans would be read as scans by the next run.
    let inside = scan("debug");
    let run = bin()
        .arg("process")
        .arg(scan(""))
        .arg("--out")
        .arg(dir.path().join("out2"))
        .arg("--debug")
        .arg(&inside)
        .arg("--quiet")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    assert!(!inside.exists());
}
