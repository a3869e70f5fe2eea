//! Slips whose QR code is torn off or blotted with ink (`urnscan generate --damaged-qr`),
//! read by the real binary: each is identified from its print (marks, footer serial, urn
//! line, question label) with the identity it was printed with, never another; a page
//! whose print disagrees with the registries, or whose printed serial is already taken,
//! stays `no_qr` and says what was read.

use std::path::Path;
use std::process::Command;

use common::urnscan;

fn rows(path: &Path) -> Vec<csv::StringRecord> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records().map(|r| r.unwrap()).collect()
}

fn column(path: &Path, name: &str) -> usize {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    h.iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name} in {}", path.display()))
}

#[test]
fn torn_and_blotted_codes_are_identified_from_print_and_never_wrongly() {
    if Command::new("sh")
        .args([
            "-c",
            "ls /usr/share/tesseract-ocr/*/tessdata/fra.traineddata",
        ])
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        return common::cannot_run("Tesseract's print model fra (tesseract-ocr-fra)");
    }
    let d = tempfile::tempdir().unwrap();
    let set = d.path().join("set");
    let g = urnscan(
        &[
            "generate",
            "--damaged-qr",
            "--count",
            "14",
            "--seed",
            "31",
            "--out",
        ],
        &[&set],
    );
    assert!(g.status.success(), "{}", String::from_utf8_lossy(&g.stderr));
    let out = d.path().join("out");
    let p = urnscan(
        &["process", "--quiet", "--out"],
        &[&out, &set.join("scans")],
    );
    // Exit 1: the run completed with rejected pages (the letter, the flyer, the unknown urn).
    assert_eq!(
        p.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&p.stderr)
    );
    let e = urnscan(&["evaluate", "--json", "--truth"], &[&set, &out]);
    assert!(e.status.success(), "{}", String::from_utf8_lossy(&e.stderr));
    let report: serde_json::Value = serde_json::from_slice(&e.stdout).unwrap();
    let n = |k: &str| {
        report[k]
            .as_u64()
            .unwrap_or_else(|| panic!("no {k} in {report}"))
    };
    assert_eq!(n("wrong_identities"), 0, "{report}");
    assert_eq!(n("slips_identified"), n("slips"), "{report}");
    assert!(n("identified_from_print") >= n("slips") - 2, "{report}");
    assert_eq!(n("pages_status_right"), n("pages"), "{report}");

    // What pages.csv and contributions.csv say of them.
    let pages = out.join("pages.csv");
    let (by, payload, reason, detail, file) = (
        column(&pages, "identified_by"),
        column(&pages, "qr_payload"),
        column(&pages, "reason"),
        column(&pages, "detail"),
        column(&pages, "source_file"),
    );
    let page_rows = rows(&pages);
    let printed: Vec<&csv::StringRecord> =
        page_rows.iter().filter(|r| &r[by] == "printed").collect();
    assert!(!printed.is_empty());
    for r in &printed {
        assert_eq!(&r[payload], "", "no QR payload was read: {r:?}");
        assert!(
            r[detail].contains("identified by its printed serial"),
            "{r:?}"
        );
    }
    // The slip of an urn missing from the registry: its print names it, so it is refused.
    let unknown = page_rows
        .iter()
        .find(|r| r[detail].contains("matches no single urn"))
        .unwrap_or_else(|| panic!("the unknown urn's slip is not refused: {page_rows:?}"));
    assert_eq!(&unknown[reason], "no_qr");
    assert_eq!(&unknown[by], "");
    let contributions = out.join("contributions.csv");
    let (reasons, source) = (
        column(&contributions, "review_reasons"),
        column(&contributions, "source_file"),
    );
    let printed_files: Vec<&str> = printed.iter().map(|r| &r[file]).collect();
    for c in rows(&contributions) {
        let from_print = printed_files.contains(&&c[source]);
        assert_eq!(
            c[reasons].split('|').any(|r| r == "identified_from_print"),
            from_print,
            "{c:?}"
        );
    }

    // `explain` registers such a page by its marks again and shows the zones it read.
    let picture = d.path().join("explained.png");
    let e = urnscan(
        &["explain", "--out"],
        &[&picture, &set.join("scans").join(&printed[0][file])],
    );
    assert!(e.status.success(), "{}", String::from_utf8_lossy(&e.stderr));
    let said = String::from_utf8_lossy(&e.stdout);
    assert!(said.contains("identified from print"), "{said}");
    assert!(said.contains("zone answer"), "the zones are shown: {said}");
    assert!(!said.contains("warning:"), "{said}");
    assert!(picture.is_file());

    // A rescan of one of them under another name, in the next week's run sharing the
    // ledger: the serial its print gives is already the ledger's, so it is not taken.
    let again = d.path().join("again");
    std::fs::create_dir_all(&again).unwrap();
    let first = printed[0];
    std::fs::copy(
        set.join("scans").join(&first[file]),
        again.join(format!("rescan-{}", &first[file])),
    )
    .unwrap();
    let out2 = d.path().join("out2");
    let ledger = out.join("serials.csv");
    let p = urnscan(
        &["process", "--quiet", "--ledger"],
        &[&ledger, Path::new("--out"), &out2, &again],
    );
    assert_eq!(
        p.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&p.stderr)
    );
    let rescan = rows(&out2.join("pages.csv"))
        .into_iter()
        .find(|r| r[file].starts_with("rescan-"))
        .unwrap();
    assert_eq!(&rescan[reason], "no_qr", "{rescan:?}");
    assert!(
        rescan[detail].contains("read from print is already"),
        "{rescan:?}"
    );
}

mod common;
