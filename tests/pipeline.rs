//! End to end: the real binary, the real Tesseract, on the committed sample scans and on a
//! freshly generated set of scanned-looking slips with known truth.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use urnscan::eval::{compare, Report};

mod common;
use common::{bin, read, repo};

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("the urnscan binary runs");
    if !matches!(out.status.code(), Some(0) | Some(1)) {
        panic!(
            "urnscan failed ({:?})\nstdout:\n{}\nstderr:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

/// `urnscan process INPUT --out OUT`, to which a test adds its options.
fn process_cmd(input: &Path, out: &Path) -> Command {
    let mut c = bin();
    c.arg("process").arg(input).arg("--out").arg(out);
    c
}

/// `urnscan process SCANS --out OUT --quiet`, which must complete (exit 0 or 1).
fn process_quietly(scans: &Path, out: &Path) -> Output {
    run(process_cmd(scans, out).arg("--quiet"))
}

/// A generated set, its run with --jobs 2 and its run with --jobs 1: made once for the
/// whole test binary (OCR of 40 pages is the slow part of the suite).
struct Generated {
    _dir: tempfile::TempDir,
    scans: PathBuf,
    out2: PathBuf,
    out1: PathBuf,
    report: Report,
}

const GENERATED_PAGES: usize = 40;

fn generated() -> &'static Generated {
    static SET: OnceLock<Generated> = OnceLock::new();
    SET.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let truth = dir.path().join("set");
        let pages = GENERATED_PAGES.to_string();
        run(bin()
            .args(["generate", "--count", &pages, "--seed", "7", "--out"])
            .arg(&truth));
        let scans = truth.join("scans");
        let out2 = dir.path().join("out2");
        let out1 = dir.path().join("out1");
        for (out, jobs) in [(&out2, "2"), (&out1, "1")] {
            run(process_cmd(&scans, out).args(["--jobs", jobs, "--quiet"]));
        }
        let report = compare(&out2, &truth).unwrap();
        Generated {
            _dir: dir,
            scans,
            out2,
            out1,
            report,
        }
    })
}

fn print_report(name: &str, r: &Report) {
    eprintln!(
        "{name}: pages {}/{} once, status right {}/{}, identified {}/{}, contributions {}/{}, CER median {:.3} mean {:.3}, checkboxes {}/{}",
        r.pages - r.pages_not_once.len(),
        r.pages,
        r.pages_status_right,
        r.pages,
        r.slips_identified,
        r.slips,
        r.found_contributions,
        r.expected_contributions,
        r.cer_median,
        r.cer_mean,
        r.checkbox_groups_right,
        r.checkbox_groups
    );
    let mut worst = r.per_answer.clone();
    worst.sort_by(|a, b| b.1.total_cmp(&a.1));
    eprintln!("  worst answers: {:?}", &worst[..worst.len().min(5)]);
}

/// What every run must satisfy, on any set with truth.
fn assert_trustworthy(name: &str, r: &Report, max_median_cer: f64) {
    print_report(name, r);
    assert!(
        r.pages_not_once.is_empty(),
        "{name}: pages not in pages.csv exactly once: {:?}",
        r.pages_not_once
    );
    assert_eq!(
        r.pages_status_right, r.pages,
        "{name}: every page's status and reason"
    );
    assert_eq!(
        r.orientations_right, r.orientations,
        "{name}: every slip's orientation"
    );
    assert_eq!(
        r.slips_identified, r.slips,
        "{name}: every slip identified: form, question, urn and serial exact"
    );
    assert_eq!(
        r.found_contributions, r.expected_contributions,
        "{name}: every written answer is a contribution"
    );
    assert!(
        r.unexpected_contributions.is_empty(),
        "{name}: contributions from blank or foreign pages: {:?}",
        r.unexpected_contributions
    );
    assert!(
        r.cer_median <= max_median_cer,
        "{name}: median CER {:.3} above {max_median_cer}",
        r.cer_median
    );
    assert!(
        r.checkbox_groups_right * 100 >= r.checkbox_groups * 95,
        "{name}: checkbox groups right {}/{}",
        r.checkbox_groups_right,
        r.checkbox_groups
    );
}

#[test]
fn generated_set_is_read_right() {
    let g = generated();
    assert!(g.report.pages >= 30);
    assert_trustworthy("generated", &g.report, 0.05);
}

#[test]
fn sample_scans_are_read_right() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let samples = repo().join("sample-scans");
    let o = run(process_cmd(&samples.join("scans"), &out).arg("--quiet"));
    let summary = String::from_utf8_lossy(&o.stdout);
    assert!(summary.contains("rejected"), "{summary}");
    let r = compare(&out, &samples).unwrap();
    assert_trustworthy("sample-scans", &r, 0.05);
}

#[test]
fn jobs_do_not_change_the_results() {
    let g = generated();
    for f in ["pages.csv", "contributions.csv"] {
        assert_eq!(
            read(&g.out1.join(f)),
            read(&g.out2.join(f)),
            "{f} differs between --jobs 1 and --jobs 2"
        );
    }
}

#[test]
fn every_contribution_has_its_crop_and_ids_join() {
    let g = generated();
    let mut rdr = csv::Reader::from_path(g.out2.join("contributions.csv")).unwrap();
    let header = rdr.headers().unwrap().clone();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let mut n = 0;
    for rec in rdr.records() {
        let rec = rec.unwrap();
        n += 1;
        let crop = g.out2.join(&rec[col("crop_file")]);
        assert!(crop.is_file(), "missing crop {}", crop.display());
        let id = &rec[col("contribution_id")];
        assert_eq!(
            id,
            format!(
                "assises-2022-{}-{}",
                &rec[col("serial")],
                &rec[col("question_id")]
            )
        );
        let conf: f64 = rec[col("confidence")].parse().unwrap();
        assert!((0.0..=100.0).contains(&conf));
        assert!(["true", "false"].contains(&&rec[col("needs_review")]));
    }
    assert!(n > 0);
    let pages = read(&g.out2.join("pages.csv"));
    assert_eq!(
        pages.lines().next().unwrap(),
        "source_file,page,status,reason,detail,qr_payload,serial,orientation,contribution_ids,identified_by,form,urn_id,question_id"
    );
    assert!(g.scans.is_dir());
}

#[test]
fn junk_files_get_a_row_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let scans = dir.path().join("scans");
    std::fs::create_dir_all(&scans).unwrap();
    let sample = std::fs::read_dir(repo().join("sample-scans/scans"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .min()
        .unwrap();
    let bytes = std::fs::read(&sample).unwrap();
    std::fs::write(scans.join("a-good.jpg"), &bytes).unwrap();
    std::fs::write(scans.join("b-truncated.jpg"), &bytes[..bytes.len() / 3]).unwrap();
    std::fs::write(scans.join("c-empty.png"), b"").unwrap();
    std::fs::write(scans.join("d-notes.txt"), "liste des urnes\n").unwrap();
    std::fs::write(
        scans.join("e-photo.heic"),
        b"\0\0\0\x18ftypheic\0\0\0\0mif1heic",
    )
    .unwrap();
    std::fs::write(scans.join(".DS_Store"), b"\0\0\0\x01Bud1").unwrap();
    let out = dir.path().join("out");
    let o = process_cmd(&scans, &out).arg("--quiet").output().unwrap();
    assert_eq!(o.status.code(), Some(1), "rejected pages give exit code 1");
    let pages = read(&out.join("pages.csv"));
    let rows: Vec<&str> = pages.lines().skip(1).collect();
    assert_eq!(rows.len(), 5, "{pages}");
    assert!(rows[0].starts_with("a-good.jpg,1,"), "{pages}");
    assert!(!rows[0].contains(",rejected,"), "{pages}");
    assert!(
        rows[1].starts_with("b-truncated.jpg,") && rows[1].contains(",rejected,"),
        "{pages}"
    );
    assert!(
        rows[2].starts_with("c-empty.png,,rejected,unreadable_file,"),
        "{pages}"
    );
    assert!(
        rows[3].starts_with("d-notes.txt,,rejected,unsupported_file,"),
        "{pages}"
    );
    assert!(
        rows[4].starts_with("e-photo.heic,,rejected,unsupported_file,"),
        "{pages}"
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("d-notes.txt: not a supported scan: a text file"),
        "{stdout}"
    );
}

#[test]
fn json_summary_balances() {
    let g = generated();
    let v: serde_json::Value = serde_json::from_str(&read(&g.out2.join("summary.json"))).unwrap();
    let n = |k: &str| v[k].as_u64().unwrap();
    assert_eq!(n("pages_read"), GENERATED_PAGES as u64);
    assert_eq!(
        n("pages_read"),
        n("ok") + n("blank") + n("duplicate") + n("rejected")
    );
    assert!(n("blank") >= 1 && n("rejected") >= 3);
}

/// Tesseract's internal PNG of every line goes through the binary's own `deflateInit2_`
/// (src/sys.rs, src/read/tesseract_png.rs), which summary.json counts: were libpng bound
/// to zlib directly (the export lost, a linker change), reading would stay right but the
/// compression time would silently come back. Built on Linux with glibc only: null
/// elsewhere.
#[test]
fn tesseracts_line_pngs_go_through_the_zlib_override() {
    // Answers are read by the network by default: Tesseract is asked for by name here.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run(process_cmd(&repo().join("sample-scans/scans"), &out).args([
        "--ocr-model",
        "fra_hw",
        "--quiet",
    ]));
    let v: serde_json::Value = serde_json::from_str(&read(&out.join("summary.json"))).unwrap();
    let served = &v["png_zlib_override"];
    if !cfg!(all(target_os = "linux", target_env = "gnu")) {
        assert!(served.is_null(), "{served}");
        return;
    }
    let lines = v["ocr_lines"].as_u64().unwrap();
    let served = served.as_u64().expect("a count on Linux with glibc");
    assert!(lines > 0, "the sample set was read with Tesseract");
    // Tesseract 5.3 makes one PNG of every line it is given (31 of 31 on the sample
    // scans, 100 of 100 on a generated set).
    assert!(
        served >= lines,
        "Tesseract read {lines} lines, {served} through the override"
    );
}

#[test]
fn usage_and_layout_errors_exit_2_with_a_clear_message() {
    let o = bin()
        .args(["process", "/nonexistent/scans", "--out", "/tmp/x"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("input '/nonexistent/scans' does not exist")
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("scans")).unwrap();
    let inside = process_cmd(&dir.path().join("scans"), &dir.path().join("scans/out"))
        .output()
        .unwrap();
    assert_eq!(inside.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&inside.stderr).contains("is inside the input folder"));

    let layout = repo().join("forms-layout/assises-2022");
    for f in ["campaign.toml", "questions.csv", "urns.csv"] {
        std::fs::copy(layout.join(f), dir.path().join(f)).unwrap();
    }
    let ok = bin()
        .args(["layout", "check"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
    let toml =
        read(&dir.path().join("campaign.toml")).replace("y = 44, w = 128", "y = 44, w = 200");
    std::fs::write(dir.path().join("campaign.toml"), toml).unwrap();
    let bad = bin()
        .args(["layout", "check"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&bad.stderr);
    assert!(
        msg.contains("campaign.toml: form[0] 'slip-a5'.zone[0] 'answer'.box"),
        "{msg}"
    );

    // A zone naming a model that is not installed.
    let toml = read(&dir.path().join("campaign.toml"))
        .replace("y = 44, w = 200", "y = 44, w = 128")
        .replace("model = \"htr\"", "model = \"klingon\"");
    std::fs::write(dir.path().join("campaign.toml"), toml).unwrap();
    let no_model = bin()
        .args(["layout", "check"])
        .arg(dir.path())
        .env("TESSDATA_PREFIX", dir.path())
        .output()
        .unwrap();
    assert_eq!(no_model.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&no_model.stderr);
    assert!(msg.contains("'klingon'"), "{msg}");
}

#[test]
fn every_page_of_a_multi_page_tiff_is_read() {
    use tiff::encoder::{colortype, TiffEncoder};
    let dir = tempfile::tempdir().unwrap();
    let scans = dir.path().join("scans");
    std::fs::create_dir_all(&scans).unwrap();
    let truth = read(&repo().join("sample-scans/truth-pages.csv"));
    // Three sample slips stacked in one file, as a sheet-feeding scanner writes them.
    let picks = ["0001-slip-a5.jpg", "0007-slip-a5.jpg", "0014-slip-a5.jpg"];
    let file = std::fs::File::create(scans.join("stack.tif")).unwrap();
    let mut enc = TiffEncoder::new(file).unwrap();
    for p in picks {
        let img = image::open(repo().join("sample-scans/scans").join(p))
            .unwrap()
            .into_luma8();
        enc.write_image::<colortype::Gray8>(img.width(), img.height(), img.as_raw())
            .unwrap();
    }
    drop(enc);
    let out = dir.path().join("out");
    process_quietly(&scans, &out);
    let pages = read(&out.join("pages.csv"));
    let rows: Vec<Vec<String>> = csv::Reader::from_reader(pages.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    assert_eq!(rows.len(), 3, "{pages}");
    for (i, (row, pick)) in rows.iter().zip(picks).enumerate() {
        assert_eq!(row[0], "stack.tif");
        assert_eq!(row[1], (i + 1).to_string());
        let want = truth.lines().find(|l| l.starts_with(pick)).unwrap();
        let serial = want.split(',').nth(5).unwrap();
        let status = want.split(',').nth(2).unwrap();
        assert_eq!(row[6], serial, "{pages}");
        assert_eq!(row[2], status, "{pages}");
    }
}

/// The serial and status the sample truth gives a sample scan.
fn sample_truth(file: &str) -> (String, String) {
    let truth = read(&repo().join("sample-scans/truth-pages.csv"));
    let line = truth.lines().find(|l| l.starts_with(file)).unwrap();
    let cells: Vec<&str> = line.split(',').collect();
    (cells[5].to_string(), cells[2].to_string())
}

/// Asserts that a pages.csv row read the sample scan `file` as its truth says (serial and
/// status).
fn assert_read_as(row: &[String], file: &str) {
    let (serial, status) = sample_truth(file);
    assert_eq!(
        (row[6].as_str(), row[2].as_str()),
        (serial.as_str(), status.as_str()),
        "{row:?}"
    );
}

fn pages_rows(out: &Path) -> Vec<Vec<String>> {
    let pages = read(&out.join("pages.csv"));
    csv::Reader::from_reader(pages.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

#[test]
fn scanner_pdfs_are_read_page_by_page_with_their_rotation() {
    use urnscan::render::pdf::{write_pdf, PdfImage, PdfPage};
    let dir = tempfile::tempdir().unwrap();
    let scans = dir.path().join("scans");
    std::fs::create_dir_all(&scans).unwrap();
    let sample = |f: &str| repo().join("sample-scans/scans").join(f);
    let jpeg = |f: &str| {
        let bytes = std::fs::read(sample(f)).unwrap();
        let img = image::load_from_memory(&bytes).unwrap();
        let components = if img.color().channel_count() == 1 {
            1
        } else {
            3
        };
        PdfImage::Jpeg {
            bytes,
            width: img.width(),
            height: img.height(),
            components,
        }
    };
    // Page 3: the scan stored a quarter turn anticlockwise, with /Rotate 90 to show it upright.
    let sideways = image::imageops::rotate270(
        &image::open(sample("0013-slip-a5.jpg"))
            .unwrap()
            .into_luma8(),
    );
    let pages = vec![
        PdfPage {
            image: jpeg("0001-slip-a5.jpg"),
            dpi: 300.0,
            rotate: 0,
        },
        PdfPage {
            image: PdfImage::Gray(
                image::open(sample("0002-slip-a5.jpg"))
                    .unwrap()
                    .into_luma8(),
            ),
            dpi: 200.0,
            rotate: 0,
        },
        PdfPage {
            image: PdfImage::Gray(sideways),
            dpi: 400.0,
            rotate: 90,
        },
        // A scanner that declares 96 dpi for a 300 dpi scan: extraction does not care.
        PdfPage {
            image: jpeg("0007-slip-a5.jpg"),
            dpi: 96.0,
            rotate: 0,
        },
    ];
    std::fs::write(scans.join("week.pdf"), write_pdf(&pages).unwrap()).unwrap();
    let out = dir.path().join("out");
    process_quietly(&scans, &out);
    let rows = pages_rows(&out);
    assert_eq!(rows.len(), 4, "{rows:?}");
    for (i, f) in [
        "0001-slip-a5.jpg",
        "0002-slip-a5.jpg",
        "0013-slip-a5.jpg",
        "0007-slip-a5.jpg",
    ]
    .iter()
    .enumerate()
    {
        assert_eq!(rows[i][0], "week.pdf");
        assert_eq!(rows[i][1], (i + 1).to_string());
        assert_read_as(&rows[i], f);
    }
    assert_eq!(
        rows[2][7], "0",
        "/Rotate 90 turned the sideways scan upright"
    );
}

/// A fax-coded TIFF of a sample slip made by ImageMagick (as a fax-mode scanner would;
/// `compress` is "Group4" or "Fax" for Group 3), or None with a message when ImageMagick is
/// missing (scripts/deps.sh installs it).
fn fax_tiff(dir: &Path, sample: &str, compress: &str) -> Option<PathBuf> {
    let convert = ["/usr/bin/convert", "/usr/bin/magick"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(convert) = convert else {
        common::cannot_run("ImageMagick is not installed (scripts/deps.sh installs it): no fax-coded scan to test with");
        return None;
    };
    let tif = dir.join(format!("{compress}.tif"));
    let status = Command::new(convert)
        .arg(repo().join("sample-scans/scans").join(sample))
        .args([
            "-threshold",
            "60%",
            "-monochrome",
            "-compress",
            compress,
            "-define",
            "tiff:rows-per-strip=100000",
        ])
        .arg(&tif)
        .status()
        .unwrap();
    assert!(status.success());
    Some(tif)
}

#[test]
fn group4_scans_are_read_as_tiff_and_inside_a_pdf() {
    use tiff::decoder::Decoder;
    use tiff::tags::Tag;
    use urnscan::render::pdf::{write_pdf, PdfImage, PdfPage};
    let dir = tempfile::tempdir().unwrap();
    let Some(tif) = fax_tiff(dir.path(), "0012-slip-a5.tif", "Group4") else {
        return;
    };
    let scans = dir.path().join("scans");
    std::fs::create_dir_all(&scans).unwrap();
    std::fs::copy(&tif, scans.join("a-fax.tif")).unwrap();
    // The same Group 4 data, moved into a PDF page unchanged (CCITTFaxDecode).
    let bytes = std::fs::read(&tif).unwrap();
    let mut dec = Decoder::new(std::io::Cursor::new(&bytes)).unwrap();
    let (width, height) = dec.dimensions().unwrap();
    let offset = dec.get_tag_u64(Tag::StripOffsets).unwrap() as usize;
    let len = dec.get_tag_u64(Tag::StripByteCounts).unwrap() as usize;
    let black_is_1 = dec.get_tag_u32(Tag::PhotometricInterpretation).unwrap() == 1;
    let data = bytes[offset..offset + len].to_vec();
    let page = PdfPage {
        image: PdfImage::Group4 {
            data,
            width,
            height,
            black_is_1,
        },
        dpi: 200.0,
        rotate: 0,
    };
    std::fs::write(scans.join("b-fax.pdf"), write_pdf(&[page]).unwrap()).unwrap();

    let out = dir.path().join("out");
    process_quietly(&scans, &out);
    let rows = pages_rows(&out);
    let (serial, _) = sample_truth("0012-slip-a5.tif");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_read_as(&rows[0], "0012-slip-a5.tif");
    // The same slip again, from the PDF: read just as well, and recognised as a rescan.
    assert_eq!(
        (rows[1][6].as_str(), rows[1][2].as_str()),
        (serial.as_str(), "duplicate"),
        "{rows:?}"
    );
    assert_eq!(
        rows[1][4],
        format!("same serial {serial} as a-fax.tif page 1")
    );
}

#[test]
fn a_pdf_without_images_or_damaged_gets_a_row() {
    use urnscan::render::pdf::write_pdf;
    let dir = tempfile::tempdir().unwrap();
    let scans = dir.path().join("scans");
    std::fs::create_dir_all(&scans).unwrap();
    let good = write_pdf(&[]).unwrap();
    std::fs::write(scans.join("a-empty.pdf"), &good).unwrap();
    std::fs::write(
        scans.join("b-cut.pdf"),
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = process_cmd(&scans, &out).arg("--quiet").output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let rows = pages_rows(&out);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows.iter()
            .all(|r| r[2] == "rejected" && r[3] == "unreadable_file"),
        "{rows:?}"
    );
}

/// Two weekly scan folders under `dir`: the first holds the sample's first slip as
/// `a.jpg`, the second the same slip scanned again (new bytes) as `again.png`.
fn two_weeks(dir: &Path, names: (&str, &str)) -> (PathBuf, PathBuf) {
    let slip = repo().join("sample-scans/scans/0001-slip-a5.jpg");
    let (week1, week2) = (dir.join(names.0), dir.join(names.1));
    std::fs::create_dir_all(&week1).unwrap();
    std::fs::create_dir_all(&week2).unwrap();
    std::fs::copy(&slip, week1.join("a.jpg")).unwrap();
    image::open(&slip)
        .unwrap()
        .into_luma8()
        .save(week2.join("again.png"))
        .unwrap();
    (week1, week2)
}

/// One output folder per week, one ledger for the consultation: a slip counted in week 1's
/// folder is a duplicate when scanned again into week 2's, which it would not be with each
/// folder's own ledger.
#[test]
fn weekly_folders_sharing_a_ledger_see_each_others_slips() {
    let dir = tempfile::tempdir().unwrap();
    let (week1, week2) = two_weeks(dir.path(), ("W07", "W08"));
    let ledger = dir.path().join("consultation-serials.csv");
    let (out1, out2, out3) = (
        dir.path().join("out/W07"),
        dir.path().join("out/W08"),
        dir.path().join("out/W08-alone"),
    );
    run(process_cmd(&week1, &out1)
        .arg("--quiet")
        .arg("--ledger")
        .arg(&ledger));
    run(process_cmd(&week2, &out2)
        .arg("--quiet")
        .arg("--ledger")
        .arg(&ledger));
    let (serial, _) = sample_truth("0001-slip-a5.jpg");
    let rows = pages_rows(&out2);
    assert_eq!(rows[0][2], "duplicate", "{rows:?}");
    assert_eq!(
        rows[0][4],
        format!("same serial {serial} as a.jpg page 1 (an earlier run, batch W07)")
    );
    assert!(!out1.join("serials.csv").exists() && !out2.join("serials.csv").exists());
    assert_eq!(read(&ledger).lines().count(), 2, "header and one serial");
    // Without the shared ledger, week 2's folder cannot know.
    run(process_cmd(&week2, &out3).arg("--quiet"));
    assert_eq!(pages_rows(&out3)[0][2], "ok");
    // A ledger in a folder that does not exist, or among the scans, is refused.
    for bad in [
        dir.path().join("nowhere/serials.csv"),
        week2.join("serials.csv"),
    ] {
        let o = process_cmd(&week2, &out3)
            .arg("--ledger")
            .arg(&bad)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{}", bad.display());
    }
}

#[test]
fn a_slip_scanned_again_in_a_later_run_is_a_duplicate_but_a_rerun_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let (week1, week2) = two_weeks(dir.path(), ("w1", "w2"));
    // Week 2 also holds a new slip.
    std::fs::copy(
        repo().join("sample-scans/scans/0002-slip-a5.jpg"),
        week2.join("new.jpg"),
    )
    .unwrap();
    let out = dir.path().join("out");
    let process = |input: &Path| run(process_cmd(input, &out).arg("--quiet"));

    process(&week1);
    process(&week1);
    let rows = pages_rows(&out);
    assert_eq!(
        rows[0][2], "ok",
        "rereading the same page is not a duplicate: {rows:?}"
    );

    // Another batch into the same folder replaces its results only with --force; the
    // ledger of serials stays, so the slip read in week 1 is a duplicate in week 2.
    run(process_cmd(&week2, &out).args(["--quiet", "--force"]));
    let rows = pages_rows(&out);
    let (serial, _) = sample_truth("0001-slip-a5.jpg");
    assert_eq!(rows[0][0], "again.png");
    assert_eq!(rows[0][2], "duplicate", "{rows:?}");
    assert_eq!(
        rows[0][4],
        format!("same serial {serial} as a.jpg page 1 (an earlier run, batch w1)")
    );
    assert_eq!(rows[1][2], "ok", "{rows:?}");
    assert!(
        read(&out.join("serials.csv")).lines().count() == 3,
        "header and two serials"
    );
}

#[test]
fn group3_fax_tiffs_are_read_though_the_tiff_crate_refuses_them() {
    let dir = tempfile::tempdir().unwrap();
    let Some(tif) = fax_tiff(dir.path(), "0002-slip-a5.jpg", "Fax") else {
        return;
    };
    let scans = dir.path().join("scans");
    std::fs::create_dir_all(&scans).unwrap();
    std::fs::copy(&tif, scans.join("fax3.tif")).unwrap();
    let out = dir.path().join("out");
    process_quietly(&scans, &out);
    let rows = pages_rows(&out);
    assert_eq!(rows.len(), 1);
    assert_read_as(&rows[0], "0002-slip-a5.jpg");
}

/// A run killed with SIGKILL in the middle of a batch, then run again: the journal keeps the
/// pages finished before the kill, the rerun reads only the others, and the CSVs are those
/// of a run never interrupted.
#[test]
fn a_run_killed_mid_batch_resumes_to_the_same_csvs() {
    use std::time::{Duration, Instant};
    let g = generated();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut child = process_cmd(&g.scans, &out)
        .args(["--jobs", "2", "--quiet"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let journal = out.join("journal.jsonl");
    let journaled = || {
        std::fs::read_to_string(&journal)
            .map(|t| t.lines().count().saturating_sub(1))
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    while journaled() < 10 {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before it could be killed");
        }
        assert!(Instant::now() < deadline, "no progress in the journal");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = journaled();
    assert!(before < GENERATED_PAGES, "killed too late to test anything");
    assert!(!out.join("contributions.csv").exists());

    let o = run(process_cmd(&g.scans, &out).args(["--jobs", "2", "--quiet", "--json"]));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let resumed = summary["resumed"].as_u64().unwrap() as usize;
    assert!(
        resumed >= before.saturating_sub(1) && resumed < GENERATED_PAGES,
        "resumed {resumed}, journaled before the kill {before}"
    );
    for csv in ["pages.csv", "contributions.csv"] {
        assert_eq!(
            read(&out.join(csv)),
            read(&g.out2.join(csv)),
            "{csv} differs from an uninterrupted run"
        );
    }
    // The journal now holds every page once.
    assert_eq!(journaled(), GENERATED_PAGES);
}

/// A folder holds one batch: rerunning it resumes, another batch is refused unless --force.
#[test]
fn another_batch_does_not_replace_results_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let scans = repo().join("sample-scans/scans");
    let out = dir.path().join("out");
    process_quietly(&scans, &out);
    let first = read(&out.join("contributions.csv"));
    let o = process_cmd(&scans, &out)
        .args(["--batch", "2022-W08", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("2022-W08") && err.contains("--force"), "{err}");
    assert_eq!(read(&out.join("contributions.csv")), first);
    run(process_cmd(&scans, &out).args(["--batch", "2022-W08", "--quiet", "--force"]));
    let replaced = read(&out.join("contributions.csv"));
    assert!(replaced.contains(",2022-W08,"), "batch label not replaced");
}

/// A small tmpfs mounted for one test (needs root); unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, options: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir)
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }
    fn remount(&self, options: &str) {
        let o = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.0)
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).output();
    }
}

/// A full disk and a read-only folder: the run stops with exit code 3 and words saying what
/// to do; once there is room, the same command finishes the batch with nothing lost.
#[test]
fn a_full_disk_or_a_read_only_folder_is_said_plainly_and_a_rerun_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let scans = repo().join("sample-scans/scans");
    let Some(full) = Tmpfs::mount(&dir.path().join("full"), "size=300k") else {
        common::cannot_run("mounting a tmpfs (needs root): full-disk and read-only cases not run");
        return;
    };
    let out = full.0.join("out");
    let o = process_cmd(&scans, &out).arg("--quiet").output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("disk is full"), "{err}");
    full.remount("size=64m");
    process_quietly(&scans, &out);
    let reference = dir.path().join("reference");
    process_quietly(&scans, &reference);
    for csv in ["pages.csv", "contributions.csv"] {
        assert_eq!(read(&out.join(csv)), read(&reference.join(csv)), "{csv}");
    }

    let ro = Tmpfs::mount(&dir.path().join("ro"), "ro").unwrap();
    let o = process_cmd(&scans, &ro.0.join("out"))
        .arg("--quiet")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("may not write there"), "{err}");
}

/// A PNG declaring 60000 × 60000 pixels (14 GB as grey) in a few hundred bytes.
fn giant_png() -> Vec<u8> {
    let mut png = Vec::new();
    let enc = image::codecs::png::PngEncoder::new(&mut png);
    let row = vec![255u8; 8];
    image::ImageEncoder::write_image(enc, &row, 8, 1, image::ExtendedColorType::L8).unwrap();
    // Rewrite IHDR's width and height, then its CRC.
    png[16..20].copy_from_slice(&60000u32.to_be_bytes());
    png[20..24].copy_from_slice(&60000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Hostile inputs: an image declaring 60000 × 60000 pixels is refused before anything is
/// allocated, and file names with spaces, quotes, a newline, a semicolon or bytes that are
/// not UTF-8 are read and named in pages.csv like any other.
#[test]
fn giant_images_and_strange_file_names_each_get_their_row() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let scans = dir.path().join("scans");
    std::fs::create_dir_all(&scans).unwrap();
    std::fs::write(scans.join("giant.png"), giant_png()).unwrap();
    let slip = std::fs::read(repo().join("sample-scans/scans/0001-slip-a5.jpg")).unwrap();
    let names: Vec<std::ffi::OsString> = vec![
        "with space.jpg".into(),
        "quote\"s and 'apostrophes'.jpg".into(),
        "new\nline.jpg".into(),
        "semi;colon,comma.jpg".into(),
        std::ffi::OsStr::from_bytes(b"latin1-\xe9t\xe9.jpg").to_owned(),
    ];
    for n in &names {
        std::fs::write(scans.join(n), &slip).unwrap();
    }
    // Zero-byte and truncated TIFF (the other formats are covered by the junk and PDF tests).
    let mut tiff = std::io::Cursor::new(Vec::new());
    image::load_from_memory(&slip)
        .unwrap()
        .write_to(&mut tiff, image::ImageFormat::Tiff)
        .unwrap();
    let tiff = tiff.into_inner();
    std::fs::write(scans.join("zz-cut.tif"), &tiff[..tiff.len() / 2]).unwrap();
    std::fs::write(scans.join("zz-empty.tif"), b"").unwrap();
    let out = dir.path().join("out");
    let o = process_cmd(&scans, &out)
        .args(["--quiet", "--json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        summary["peak_rss_mib"].as_f64().unwrap() < 400.0,
        "the giant image was allocated: {summary}"
    );
    let rows = pages_rows(&out);
    assert_eq!(rows.len(), 3 + names.len(), "{rows:?}");
    for tif in ["zz-cut.tif", "zz-empty.tif"] {
        let r = rows.iter().find(|r| r[0] == tif).unwrap();
        assert_eq!(
            (r[2].as_str(), r[3].as_str()),
            ("rejected", "unreadable_file")
        );
    }
    let giant = rows.iter().find(|r| r[0] == "giant.png").unwrap();
    assert_eq!(giant[2], "rejected");
    assert_eq!(giant[3], "unreadable_file");
    assert!(giant[4].contains("60000"), "{giant:?}");
    // The same slip five times: one read, four duplicates, each under its own name.
    let statuses: Vec<&str> = rows
        .iter()
        .filter(|r| r[0].ends_with(".jpg"))
        .map(|r| r[2].as_str())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == "ok").count(),
        1,
        "{rows:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == "duplicate").count(),
        4,
        "{rows:?}"
    );
    let listed: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    for expected in [
        "with space.jpg",
        "quote\"s and 'apostrophes'.jpg",
        "new\nline.jpg",
        "semi;colon,comma.jpg",
        "latin1-\u{FFFD}t\u{FFFD}.jpg",
    ] {
        assert!(listed.contains(&expected), "{expected:?} not in {listed:?}");
    }
}

#[test]
fn lines_out_writes_each_answers_lines_as_the_network_is_given_them() {
    let dir = tempfile::tempdir().unwrap();
    let (out, lines) = (dir.path().join("out"), dir.path().join("lines"));
    let scans = repo().join("sample-scans/scans");
    run(process_cmd(&scans, &out)
        .arg("--quiet")
        .arg("--lines-out")
        .arg(&lines));
    let mut rdr = csv::Reader::from_path(out.join("contributions.csv")).unwrap();
    let stems: Vec<String> = rdr
        .deserialize::<std::collections::HashMap<String, String>>()
        .map(|r| {
            let crop = PathBuf::from(&r.unwrap()["crop_file"]);
            crop.file_stem().unwrap().to_string_lossy().into_owned()
        })
        .collect();
    assert!(stems.len() >= 10, "{stems:?}");
    let mut names: Vec<String> = std::fs::read_dir(&lines)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // Every answer's lines, numbered from 0, and nothing that is not an answer's line.
    for stem in &stems {
        assert!(
            names.contains(&format!("{stem}.0.png")),
            "{stem}: {names:?}"
        );
    }
    for name in &names {
        let (stem, n) = name.trim_end_matches(".png").rsplit_once('.').unwrap();
        assert!(
            stems.iter().any(|s| s == stem),
            "{name} is no answer's line"
        );
        let n: usize = n.parse().unwrap();
        assert!(n == 0 || names.contains(&format!("{stem}.{}.png", n - 1)));
        // The network's input height (models/htr.json), as the training lines have it.
        let img = image::open(lines.join(name)).unwrap();
        assert_eq!(img.height(), 40, "{name}");
    }
    // Inside the scans, its lines would be read as scans by the next run.
    let o = bin()
        .args(["process"])
        .arg(&scans)
        .arg("--out")
        .arg(dir.path().join("out2"))
        .arg("--lines-out")
        .arg(scans.join("lines"))
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!scans.join("lines").exists());
}
