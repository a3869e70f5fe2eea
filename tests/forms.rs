//! `urnscan forms print`, end to end: forms printed by the real binary, rasterised as a
//! print shop's RIP would (poppler's pdftoppm at 300 dpi when installed, else urnscan's own
//! PDF reader), filled in handwriting, read back by `urnscan process`: every slip must come
//! back with the ids it was printed with. Also: each printed page's QR code decodes to
//! exactly the SPEC's payload, and bad requests exit 2 naming the problem.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use urnscan::campaign::Campaign;

mod common;
use common::bin;

fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("the urnscan binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `urnscan forms print` with these options, into `out`.
fn print(out: &Path, opts: &[&str]) -> Output {
    run_ok(
        bin()
            .args(["forms", "print"])
            .args(opts)
            .arg("--out")
            .arg(out),
    )
}

/// One printed form: what it was printed with.
#[derive(Debug, Clone)]
struct Printed {
    form: &'static str,
    urn: &'static str,
    /// The QR code's question field (Q1..Q3, or ALL on the sheet).
    qr_question: &'static str,
    serial: String,
}

impl Printed {
    /// The payload as the SPEC writes it (not as the code renders it).
    fn spec_payload(&self) -> String {
        format!(
            "https://assises-solidarites.fr/c?f={}&q={}&u={}&n={}",
            self.form, self.qr_question, self.urn, self.serial
        )
    }
}

/// Page images of `pdf`, in page order, and which rasteriser made them.
fn rasterise(pdf: &Path, dir: &Path, pages: usize) -> (Vec<image::GrayImage>, f64, &'static str) {
    let have_pdftoppm = Command::new("pdftoppm")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    if have_pdftoppm {
        let prefix = dir.join("page");
        let out = Command::new("pdftoppm")
            .args(["-r", "300", "-gray", "-png"])
            .arg(pdf)
            .arg(&prefix)
            .output()
            .expect("pdftoppm runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "png"))
            .collect();
        files.sort();
        assert_eq!(files.len(), pages, "{files:?}");
        let images = files
            .iter()
            .map(|f| image::open(f).unwrap().into_luma8())
            .collect();
        (images, 300.0, "pdftoppm -r 300")
    } else {
        eprintln!("pdftoppm not found (apt-get install poppler-utils): using urnscan's PDF reader");
        let images = (1..=pages as u32).map(|p| stored_page(pdf, p)).collect();
        (images, 600.0, "urnscan's PDF reader (600 dpi)")
    }
}

/// One `forms print` call and the serials it prints.
struct PrintRun {
    form: &'static str,
    urn: &'static str,
    question: Option<&'static str>,
    serials: &'static str,
    each: &'static [&'static str],
}

/// A contribution's ids: contribution_id, serial, urn_id, question_id, form.
type Ids = (String, String, String, String, String);

/// Page `page` of `pdf` as urnscan's PDF reader extracts it (the embedded image, 600 dpi).
fn stored_page(pdf: &Path, page: u32) -> image::GrayImage {
    let format = urnscan::input::sniff(pdf).unwrap();
    urnscan::input::decode_page(pdf, &urnscan::input::PageSource { page, format }).unwrap()
}

#[test]
fn printed_forms_filled_in_come_back_with_their_ids() {
    let campaign = Campaign::builtin().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let scans = dir.path().join("scans");
    std::fs::create_dir(&scans).unwrap();

    // Three print runs: a range of slips, a single slip of another urn and question, and a
    // range of sheets (whose QR code says ALL, with no --question).
    let runs = [
        PrintRun {
            form: "slip-a5",
            urn: "U07",
            question: Some("Q2"),
            serials: "000100..000102",
            each: &["000100", "000101", "000102"],
        },
        PrintRun {
            form: "slip-a5",
            urn: "U01",
            question: Some("Q1"),
            serials: "000103",
            each: &["000103"],
        },
        PrintRun {
            form: "sheet-a4",
            urn: "U05",
            question: None,
            serials: "000200..000201",
            each: &["000200", "000201"],
        },
    ];
    let answers = [
        "Un café solidaire dans chaque quartier.",
        "Plus de bénévoles le samedi.",
        "Des jardins partagés au pied des immeubles.",
    ];
    let mut printed: Vec<Printed> = Vec::new();
    let mut expected_contributions: BTreeSet<Ids> = BTreeSet::new();
    let mut expected_blank: Vec<String> = Vec::new();
    let mut page_no = 0;
    for (run, r) in runs.iter().enumerate() {
        let PrintRun {
            form,
            urn,
            question,
            serials,
            each,
        } = r;
        let pdf = dir.path().join(format!("run{run}.pdf"));
        let mut opts = vec!["--form", form, "--urn", urn, "--serials", serials];
        if let Some(q) = question {
            opts.extend(["--question", q]);
        }
        let said = print(&pdf, &opts);
        let said = String::from_utf8_lossy(&said.stdout);
        assert!(said.contains(&format!("{} form(s)", each.len())), "{said}");

        // The PDF: one page per serial, each the form's size in points.
        let layout = campaign.form(form).unwrap();
        let text = String::from_utf8_lossy(&std::fs::read(&pdf).unwrap()).into_owned();
        let media = format!(
            "/MediaBox [0 0 {:.2} {:.2}]",
            layout.width * 72.0 / 25.4,
            layout.height * 72.0 / 25.4
        );
        assert_eq!(text.matches(&media).count(), each.len(), "{media}");

        let raster_dir = dir.path().join(format!("raster{run}"));
        std::fs::create_dir(&raster_dir).unwrap();
        let (pages, dpi, how) = rasterise(&pdf, &raster_dir, each.len());
        eprintln!("run {run}: {} page(s) rasterised with {how}", pages.len());
        for (i, (page, serial)) in pages.into_iter().zip(each.iter()).enumerate() {
            let p = Printed {
                form,
                urn,
                qr_question: question.unwrap_or("ALL"),
                serial: serial.to_string(),
            };
            // The QR code, as printed and rasterised, says exactly the SPEC payload.
            let qr = urnscan::locate::find_qr(&page).unwrap_or_else(|e| panic!("{p:?}: {e}"));
            assert_eq!(qr.text, p.spec_payload());
            // And the page image stored in the PDF says it too (urnscan's own PDF reader).
            let stored = stored_page(&pdf, i as u32 + 1);
            assert_eq!(stored.width(), (layout.width * 600.0 / 25.4).round() as u32);
            assert_eq!(
                urnscan::locate::find_qr(&stored).unwrap().text,
                p.spec_payload()
            );

            // Fill it in: the last slip of the first run stays blank; the first sheet gets
            // answers 1 and 3, the second all three.
            page_no += 1;
            let blank = run == 0 && i == 2;
            let zone_answers: Vec<&str> = match (*form, blank) {
                (_, true) => vec![],
                ("slip-a5", _) => vec![answers[page_no % 3]],
                _ if i == 0 => vec![answers[0], "", answers[2]],
                _ => answers.to_vec(),
            };
            let ticks: &[&str] = if *form == "slip-a5" && !blank {
                &["habitant", "65_plus"]
            } else {
                &[]
            };
            let rgb = image::DynamicImage::ImageLuma8(page).into_rgb8();
            let (filled, drawn) = urnscan::render::fill_form_image(
                layout,
                rgb,
                dpi,
                &zone_answers,
                ticks,
                page_no as u64,
            )
            .unwrap();
            let file = format!("{page_no:02}-{form}-{serial}.png");
            filled.save(scans.join(&file)).unwrap();
            if blank {
                expected_blank.push(file.clone());
            }
            for (zone, text) in layout.text_zones().zip(&drawn) {
                if text.is_empty() {
                    continue;
                }
                let qid = match &zone.question {
                    urnscan::campaign::ZoneQuestion::FromQr => p.qr_question.to_string(),
                    urnscan::campaign::ZoneQuestion::Fixed(q) => q.clone(),
                };
                expected_contributions.insert((
                    format!("assises-2022-{serial}-{qid}"),
                    serial.to_string(),
                    urn.to_string(),
                    qid,
                    form.to_string(),
                ));
            }
            printed.push(p);
        }
    }
    assert_eq!(printed.len(), 6);
    assert_eq!(expected_contributions.len(), 3 + 2 + 3);

    let out = dir.path().join("out");
    run_ok(
        bin()
            .arg("process")
            .arg(&scans)
            .arg("--out")
            .arg(&out)
            .args(["--quiet", "--jobs", "2"]),
    );

    // pages.csv: every page identified as printed, upright.
    let mut pages = csv::Reader::from_path(out.join("pages.csv")).unwrap();
    let header = pages.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = pages.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), printed.len());
    for (row, p) in rows.iter().zip(&printed) {
        let file = &row[col("source_file")];
        let status = if expected_blank.iter().any(|b| b == file) {
            "blank"
        } else {
            "ok"
        };
        assert_eq!(&row[col("status")], status, "{file}: {row:?}");
        assert_eq!(&row[col("serial")], p.serial, "{file}");
        assert_eq!(&row[col("qr_payload")], p.spec_payload(), "{file}");
        assert_eq!(&row[col("orientation")], "0", "{file}");
    }

    // contributions.csv: exactly the answers written, with the printed ids.
    let mut contributions = csv::Reader::from_path(out.join("contributions.csv")).unwrap();
    let header = contributions.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = contributions.records().map(|r| r.unwrap()).collect();
    let got: BTreeSet<Ids> = rows
        .iter()
        .map(|r| {
            (
                r[col("contribution_id")].to_string(),
                r[col("serial")].to_string(),
                r[col("urn_id")].to_string(),
                r[col("question_id")].to_string(),
                r[col("form")].to_string(),
            )
        })
        .collect();
    assert_eq!(got, expected_contributions);
    assert_eq!(rows.len(), got.len(), "no contribution twice");
    for r in &rows {
        if &r[col("form")] == "slip-a5" {
            assert_eq!(
                (&r[col("profil")], &r[col("age")]),
                ("habitant", "65_plus"),
                "{r:?}"
            );
        }
    }
}

/// Runs `forms print` expecting exit code 2 and a message containing `says`.
fn refused(opts: &[&str], out: &Path, says: &str) {
    let o = bin()
        .args(["forms", "print"])
        .args(opts)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{opts:?}: {err}");
    assert!(err.contains(says), "{opts:?}: expected '{says}' in: {err}");
}

#[test]
fn bad_print_requests_exit_2_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("forms.pdf");
    let slip = |urn: &'static str, q: &'static str, serials: &'static str| {
        vec![
            "--form",
            "slip-a5",
            "--urn",
            urn,
            "--question",
            q,
            "--serials",
            serials,
        ]
    };
    refused(
        &["--form", "slip-a4", "--urn", "U07", "--serials", "000001"],
        &pdf,
        "unknown form 'slip-a4': the campaign 'assises-2022' has slip-a5, sheet-a4",
    );
    refused(&slip("U99", "Q2", "000001"), &pdf, "unknown urn 'U99'");
    refused(
        &slip("U07", "Q7", "000001"),
        &pdf,
        "unknown question 'Q7': questions.csv of 'assises-2022' has Q1, Q2, Q3",
    );
    refused(&slip("U07", "Q2", "000199..000100"), &pdf, "is reversed");
    refused(&slip("U07", "Q2", "12..15"), &pdf, "'12' is not 6 digits");
    refused(
        &slip("U07", "Q2", "000000..099999"),
        &pdf,
        "100000 forms, more than the 10000",
    );
    refused(&slip("U07", "Q2", "000001"), dir.path(), "is a folder");
    refused(
        &[
            "--form",
            "sheet-a4",
            "--urn",
            "U07",
            "--question",
            "Q1",
            "--serials",
            "000001",
        ],
        &pdf,
        "leave out --question",
    );
    assert!(!pdf.exists(), "nothing written on a refusal");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// Blank forms read straight from `forms print`'s own PDF: black-and-white pages whose grey
/// guide lines are halftone dots, as a black-and-white office scan of a laser print shows
/// them. Nothing is written on them, so every page is blank and no contribution comes out
/// (the dots once read as a line of noise on every page).
#[test]
fn blank_bilevel_forms_give_no_contribution() {
    let d = tempfile::tempdir().unwrap();
    let scans = d.path().join("scans");
    std::fs::create_dir_all(&scans).unwrap();
    print(
        &scans.join("slips.pdf"),
        &[
            "--form",
            "slip-a5",
            "--urn",
            "U07",
            "--question",
            "Q1",
            "--serials",
            "000100..000103",
        ],
    );
    print(
        &scans.join("sheets.pdf"),
        &[
            "--form",
            "sheet-a4",
            "--urn",
            "U03",
            "--serials",
            "000200..000202",
        ],
    );
    let out = d.path().join("out");
    let o = bin()
        .arg("process")
        .arg(&scans)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let pages = std::fs::read_to_string(out.join("pages.csv")).unwrap();
    let statuses: Vec<&str> = pages
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap_or(""))
        .collect();
    assert_eq!(statuses, ["blank"; 7], "{pages}");
    let contributions = std::fs::read_to_string(out.join("contributions.csv")).unwrap();
    assert_eq!(contributions.lines().count(), 1, "{contributions}");
}
