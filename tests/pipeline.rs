//! End to end: the real binary, the real Tesseract, on the committed sample scans and on a
//! freshly generated set of scanned-looking slips with known truth.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use urnscan::eval::{compare, Report};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_urnscan"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

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

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
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
            run(bin()
                .arg("process")
                .arg(&scans)
                .arg("--out")
                .arg(out)
                .args(["--jobs", jobs, "--quiet"]));
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
    let o = run(bin()
        .arg("process")
        .arg(samples.join("scans"))
        .arg("--out")
        .arg(&out)
        .arg("--quiet"));
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
        "source_file,page,status,reason,detail,qr_payload,serial,orientation,contribution_ids"
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
    std::fs::write(scans.join("e-scan.pdf"), b"%PDF-1.4\n%junk").unwrap();
    std::fs::write(scans.join(".DS_Store"), b"\0\0\0\x01Bud1").unwrap();
    let out = dir.path().join("out");
    let o = bin()
        .arg("process")
        .arg(&scans)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .output()
        .unwrap();
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
        rows[4].starts_with("e-scan.pdf,,rejected,unsupported_file,"),
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
    let inside = bin()
        .arg("process")
        .arg(dir.path().join("scans"))
        .arg("--out")
        .arg(dir.path().join("scans/out"))
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
    run(bin()
        .arg("process")
        .arg(&scans)
        .arg("--out")
        .arg(&out)
        .arg("--quiet"));
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
