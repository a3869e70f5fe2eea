//! `urnscan forms print`: blank forms for the print shop, drawn from the campaign layout.
//!
//! One form per page, the page the form's size in the layout (PDF points = mm × 72 / 25.4),
//! each QR code carrying the campaign payload for its form, question, urn and serial, the
//! serials consecutive. Pages are the forms drawn by `form::draw_form` at `--dpi` (600 by
//! default, print quality), halftoned to black and white (an 8 × 8 ordered dither keeps the
//! light grey guide lines light, as a laser printer would print them) and stored bilevel,
//! in Group 4 or Flate, whichever is smaller (Flate, on the campaign's forms: the guide
//! lines' periodic dots cost Group 4 a code each), so 100 forms stay a small file. The PDF
//! is written page by page to a temporary file beside `--out` and renamed into place: a
//! failed run never leaves half a PDF under the name, and memory does not grow with the
//! run.
//!
//! Everything the agent types is checked first (`plan`), and refused as a usage error
//! (exit code 2) naming the problem and what the campaign knows.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use rayon::prelude::*;

use super::canvas::Canvas;
use super::form::{draw_form, FormValues};
use super::pdf::{PdfImage, PdfPage, PdfWriter};
use super::text::Fonts;
use crate::campaign::{Campaign, Form, QrQuestion};
use crate::error::UsageError;
use crate::output::csvfile::write_atomic_shared_with;

/// The most forms one command prints: a print run larger than this is more likely a typo
/// in `--serials` than a wish (and would take hours); split it into several files.
pub const MAX_FORMS: u64 = 10_000;

/// Resolutions accepted for the page images: under 150 dpi the QR modules (about 0.7 mm)
/// get too few pixels; over 1200 dpi a page gains nothing on paper and costs memory (an A4
/// canvas is 420 MB of RGB at 1200 dpi) and nears Group 4's 65 535-pixel line limit.
pub const DPI_RANGE: std::ops::RangeInclusive<u32> = 150..=1200;

/// An inclusive range of serials with the campaign's number of digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialRange {
    pub first: u64,
    pub last: u64,
    pub digits: usize,
}

impl SerialRange {
    /// How many serials the range holds.
    pub fn len(&self) -> u64 {
        self.last - self.first + 1
    }

    /// Never true (a range holds at least its first serial); for clippy's `len` rule.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The serials, zero-padded to the campaign's width, in order.
    pub fn iter(&self) -> impl Iterator<Item = String> + '_ {
        (self.first..=self.last).map(move |n| format!("{n:0width$}", width = self.digits))
    }
}

impl std::fmt::Display for SerialRange {
    /// As `--serials` takes it: `000100..000199`, or `000100` for one serial.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.digits;
        if self.first == self.last {
            write!(f, "{:0d$}", self.first)
        } else {
            write!(f, "{:0d$}..{:0d$}", self.first, self.last)
        }
    }
}

/// Parses `FIRST..LAST` (inclusive) or a single serial; each serial must be exactly
/// `digits` decimal digits (as printed in the QR code), and FIRST must not exceed LAST.
pub fn parse_serials(text: &str, digits: usize) -> Result<SerialRange, String> {
    let example = format!(
        "e.g. {a:0digits$}..{b:0digits$}, or a single serial such as {a:0digits$}",
        a = 100,
        b = 199
    );
    let one = |s: &str, which: &str| -> Result<u64, String> {
        let s = s.trim();
        if s.len() != digits || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "--serials: the {which} serial '{s}' is not {digits} digits ({example})"
            ));
        }
        s.parse::<u64>()
            .map_err(|e| format!("--serials: the {which} serial '{s}': {e}"))
    };
    let (first, last) = match text.split_once("..") {
        Some((a, b)) => (one(a, "first")?, one(b, "last")?),
        None => {
            let n = one(text, "")?;
            (n, n)
        }
    };
    if first > last {
        return Err(format!(
            "--serials: the range '{}' is reversed (the first serial is after the last)",
            text.trim()
        ));
    }
    Ok(SerialRange {
        first,
        last,
        digits,
    })
}

/// What the agent asked to print, as given: `plan` checks it against the campaign.
#[derive(Debug, Clone)]
pub struct PrintRequest {
    /// The form, as the layout names it.
    pub form: String,
    /// An urn id from the campaign's urns.csv.
    pub urn: String,
    /// A question id, for a form whose QR code names its question.
    pub question: Option<String>,
    /// `FIRST..LAST` or a single serial (see `parse_serials`).
    pub serials: String,
    /// The PDF to write.
    pub out: PathBuf,
    /// Resolution of the page images.
    pub dpi: u32,
}

/// A checked print request: what will be printed and where.
#[derive(Debug, Clone)]
pub struct PrintJob {
    pub form: Form,
    pub urn_id: String,
    pub urn_name: String,
    /// What the QR code's question field holds (a question id, or the form's literal).
    pub qr_question: String,
    pub serials: SerialRange,
    pub dpi: u32,
    pub out: PathBuf,
}

fn known(ids: impl Iterator<Item = String>) -> String {
    ids.collect::<Vec<_>>().join(", ")
}

/// Checks the request against the campaign; every refusal names the problem and,
/// for an unknown id, lists the known ones.
pub fn plan(campaign: &Campaign, args: &PrintRequest) -> Result<PrintJob, UsageError> {
    let form = campaign.form(&args.form).ok_or_else(|| {
        UsageError(format!(
            "unknown form '{}': the campaign '{}' has {}",
            args.form,
            campaign.id,
            known(campaign.forms.iter().map(|f| f.id.clone()))
        ))
    })?;
    let urn = campaign.urn(&args.urn).ok_or_else(|| {
        UsageError(format!(
            "unknown urn '{}': urns.csv of '{}' has {}",
            args.urn,
            campaign.id,
            known(campaign.urns.iter().map(|u| u.id.clone()))
        ))
    })?;
    let known_questions = || known(campaign.questions.iter().map(|q| q.id.clone()));
    let qr_question = match (&form.qr_question, &args.question) {
        (QrQuestion::Registry, None) => {
            return Err(UsageError(format!(
                "form '{}' carries one question, named in its QR code: give --question ({})",
                form.id,
                known_questions()
            )))
        }
        (QrQuestion::Registry, Some(q)) => match campaign.question(q) {
            Some(q) => q.id.clone(),
            None => {
                return Err(UsageError(format!(
                    "unknown question '{q}': questions.csv of '{}' has {}",
                    campaign.id,
                    known_questions()
                )))
            }
        },
        (QrQuestion::Literal(l), None) => l.clone(),
        (QrQuestion::Literal(l), Some(q)) if q == l => l.clone(),
        (QrQuestion::Literal(l), Some(q)) => {
            return Err(UsageError(format!(
                "form '{}' prints its questions in fixed zones (its QR code always says '{l}'): leave out --question (got '{q}')",
                form.id
            )))
        }
    };
    let serials =
        parse_serials(&args.serials, campaign.payload.serial_digits()).map_err(UsageError)?;
    if serials.len() > MAX_FORMS {
        return Err(UsageError(format!(
            "--serials {} is {} forms, more than the {MAX_FORMS} one command prints: split the run into several files",
            args.serials.trim(),
            serials.len()
        )));
    }
    if !DPI_RANGE.contains(&args.dpi) {
        return Err(UsageError(format!(
            "--dpi {} is outside {}..={} (600 is print quality)",
            args.dpi,
            DPI_RANGE.start(),
            DPI_RANGE.end()
        )));
    }
    check_out(&args.out)?;
    Ok(PrintJob {
        form: form.clone(),
        urn_id: urn.id.clone(),
        urn_name: urn.name.clone(),
        qr_question,
        serials,
        dpi: args.dpi,
        out: args.out.clone(),
    })
}

/// The output must be a file name whose folder exists (a typo in a folder name should not
/// create folders); an existing file is replaced, an existing folder refused.
fn check_out(out: &Path) -> Result<(), UsageError> {
    if out.is_dir() {
        return Err(UsageError(format!(
            "--out '{}' is a folder: give a file name, e.g. {}",
            out.display(),
            out.join("forms.pdf").display()
        )));
    }
    if out.file_name().is_none() {
        return Err(UsageError(format!(
            "--out '{}' does not name a file",
            out.display()
        )));
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(UsageError(format!(
            "--out '{}': the folder '{}' does not exist",
            out.display(),
            parent.display()
        )));
    }
    Ok(())
}

/// What a print run made.
#[derive(Debug, Clone)]
pub struct PrintReport {
    pub pages: u64,
    pub bytes: u64,
    pub elapsed: Duration,
}

impl PrintReport {
    /// The file's size for people: kB under a megabyte, else MB.
    pub fn size(&self) -> String {
        if self.bytes < 1_000_000 {
            format!("{:.1} kB", self.bytes as f64 / 1e3)
        } else {
            format!("{:.1} MB", self.bytes as f64 / 1e6)
        }
    }
}

/// Pages drawn at once: enough to keep every core busy, few enough that the full-size RGB
/// canvases (about 100 MB for A4 at 600 dpi) in flight stay bounded.
fn chunk_size() -> usize {
    rayon::current_num_threads().max(1) * 2
}

/// Draws every form of `job` and writes the PDF atomically to `job.out`.
pub fn print(campaign: &Campaign, job: &PrintJob) -> anyhow::Result<PrintReport> {
    let start = Instant::now();
    let fonts = Fonts::load_print()?;
    let serials: Vec<String> = job.serials.iter().collect();
    let pages = serials.len();
    let size_pt = (mm_to_pt(job.form.width), mm_to_pt(job.form.height));
    write_atomic_shared_with(&job.out, &mut |file: &mut dyn Write| {
        let mut pdf = PdfWriter::new(file, pages)?;
        for chunk in serials.chunks(chunk_size()) {
            let drawn: Vec<anyhow::Result<PdfPage>> = chunk
                .par_iter()
                .map(|serial| print_page(campaign, job, &fonts, serial))
                .collect();
            for page in drawn {
                pdf.add_page_sized(&page?, Some(size_pt))?;
            }
        }
        pdf.finish()?;
        Ok(())
    })?;
    let bytes = std::fs::metadata(&job.out)
        .with_context(|| format!("cannot read back {}", job.out.display()))?
        .len();
    Ok(PrintReport {
        pages: pages as u64,
        bytes,
        elapsed: start.elapsed(),
    })
}

/// PDF points (1/72 inch) from millimetres.
pub fn mm_to_pt(mm: f64) -> f64 {
    mm * 72.0 / 25.4
}

/// One printed form: drawn at the job's resolution, halftoned, stored bilevel.
fn print_page(
    campaign: &Campaign,
    job: &PrintJob,
    fonts: &Fonts,
    serial: &str,
) -> anyhow::Result<PdfPage> {
    let dpi = job.dpi as f64;
    let mut canvas = Canvas::new(job.form.width, job.form.height, dpi);
    let vals = FormValues {
        urn_id: &job.urn_id,
        urn_name: &job.urn_name,
        question_id: &job.qr_question,
        serial,
    };
    draw_form(&mut canvas, campaign, &job.form, &vals, fonts)
        .with_context(|| format!("drawing form {} serial {serial}", job.form.id))?;
    let bilevel = halftone(&canvas.img);
    drop(canvas);
    Ok(PdfPage {
        image: PdfImage::smallest_bilevel(&bilevel)?,
        dpi,
        rotate: 0,
    })
}

/// 8 × 8 Bayer matrix: the order in which the pixels of a cell turn black as grey darkens.
const BAYER8: [[u8; 8]; 8] = [
    [0, 32, 8, 40, 2, 34, 10, 42],
    [48, 16, 56, 24, 50, 18, 58, 26],
    [12, 44, 4, 36, 14, 46, 6, 38],
    [60, 28, 52, 20, 62, 30, 54, 22],
    [3, 35, 11, 43, 1, 33, 9, 41],
    [51, 19, 59, 27, 49, 17, 57, 25],
    [15, 47, 7, 39, 13, 45, 5, 37],
    [63, 31, 55, 23, 61, 29, 53, 21],
];

/// Black and white (0 / 255) from the drawn page by ordered dithering: black stays black,
/// paper stays white, the light grey guide lines become a sparse even dot pattern (about
/// one pixel in five) that reads as light grey on paper and in a scan, and anti-aliased
/// edges fall on one side or the other.
pub(crate) fn halftone(img: &image::RgbImage) -> image::GrayImage {
    let mut out = image::GrayImage::new(img.width(), img.height());
    for (x, y, p) in img.enumerate_pixels() {
        let luma = crate::input::luma(&p.0) as u32;
        // Thresholds 2, 6, …, 254: 0 is always black, 255 never.
        let threshold = BAYER8[(y % 8) as usize][(x % 8) as usize] as u32 * 4 + 2;
        let v = if luma < threshold { 0 } else { 255 };
        out.put_pixel(x, y, image::Luma([v]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(form: &str, urn: &str, question: Option<&str>, serials: &str) -> PrintRequest {
        PrintRequest {
            form: form.into(),
            urn: urn.into(),
            question: question.map(String::from),
            serials: serials.into(),
            out: std::env::temp_dir().join("urnscan-print-test.pdf"),
            dpi: 600,
        }
    }

    #[test]
    fn serial_ranges_are_inclusive_and_keep_their_width() {
        let r = parse_serials("000100..000199", 6).unwrap();
        assert_eq!((r.first, r.last, r.len()), (100, 199, 100));
        let all: Vec<String> = r.iter().collect();
        assert_eq!(all.first().map(String::as_str), Some("000100"));
        assert_eq!(all.last().map(String::as_str), Some("000199"));
        assert_eq!(r.to_string(), "000100..000199");
        let one = parse_serials("000007", 6).unwrap();
        assert_eq!(one.to_string(), "000007");
        assert_eq!(one.iter().collect::<Vec<_>>(), vec!["000007"]);
        assert_eq!(parse_serials(" 000001..000001 ", 6).unwrap().len(), 1);
        assert_eq!(parse_serials("999998..999999", 6).unwrap().len(), 2);
    }

    #[test]
    fn malformed_or_reversed_serials_are_refused_with_the_reason() {
        for (bad, says) in [
            ("100..199", "is not 6 digits"),
            ("000100..00199", "'00199' is not 6 digits"),
            ("0001000", "is not 6 digits"),
            ("000100-000199", "is not 6 digits"),
            ("000100...000199", "is not 6 digits"),
            ("..000199", "'' is not 6 digits"),
            ("000100..", "is not 6 digits"),
            ("", "is not 6 digits"),
            ("+00100", "is not 6 digits"),
            ("00010٣", "is not 6 digits"),
            ("000199..000100", "is reversed"),
        ] {
            let err = parse_serials(bad, 6).unwrap_err();
            assert!(err.contains(says), "{bad:?}: {err}");
        }
    }

    #[test]
    fn plan_checks_form_urn_question_count_and_output() {
        let c = Campaign::builtin().unwrap();
        let job = plan(&c, &args("slip-a5", "U07", Some("Q2"), "000100..000199")).unwrap();
        assert_eq!((job.qr_question.as_str(), job.serials.len()), ("Q2", 100));
        // The sheet's QR code always says ALL: no --question needed (ALL itself is harmless).
        let sheet = plan(&c, &args("sheet-a4", "U01", None, "000001")).unwrap();
        assert_eq!(sheet.qr_question, "ALL");
        assert!(plan(&c, &args("sheet-a4", "U01", Some("ALL"), "000001")).is_ok());

        let refused = |a: PrintRequest, says: &str| {
            let err = plan(&c, &a).unwrap_err().0;
            assert!(err.contains(says), "expected '{says}' in: {err}");
        };
        refused(
            args("slip-a6", "U07", Some("Q2"), "000001"),
            "unknown form 'slip-a6': the campaign 'assises-2022' has slip-a5, sheet-a4",
        );
        refused(
            args("slip-a5", "U99", Some("Q2"), "000001"),
            "unknown urn 'U99'",
        );
        refused(args("slip-a5", "U99", Some("Q2"), "000001"), "U01, U02");
        refused(
            args("slip-a5", "U07", Some("Q9"), "000001"),
            "unknown question 'Q9': questions.csv of 'assises-2022' has Q1, Q2, Q3",
        );
        refused(
            args("slip-a5", "U07", None, "000001"),
            "give --question (Q1, Q2, Q3)",
        );
        refused(
            args("sheet-a4", "U07", Some("Q2"), "000001"),
            "leave out --question",
        );
        refused(
            args("slip-a5", "U07", Some("Q2"), "000000..010000"),
            "10001 forms, more than the 10000",
        );
        assert!(plan(&c, &args("slip-a5", "U07", Some("Q2"), "000000..009999")).is_ok());
        refused(
            args("slip-a5", "U07", Some("Q2"), "2..1"),
            "is not 6 digits",
        );

        let dir = tempfile::tempdir().unwrap();
        let mut a = args("slip-a5", "U07", Some("Q2"), "000001");
        a.out = dir.path().to_path_buf();
        refused(a, "is a folder");
        let mut a = args("slip-a5", "U07", Some("Q2"), "000001");
        a.out = dir.path().join("no-such-folder/forms.pdf");
        refused(a, "does not exist");
        let mut a = args("slip-a5", "U07", Some("Q2"), "000001");
        a.dpi = 72;
        refused(a, "--dpi 72 is outside 150..=1200");
    }

    #[test]
    fn halftone_keeps_black_and_white_and_lightens_the_guide_grey() {
        let mut img = image::RgbImage::from_pixel(64, 24, image::Rgb([255, 255, 255]));
        for x in 0..64 {
            for y in 8..16 {
                img.put_pixel(x, y, image::Rgb([200, 200, 200]));
            }
            for y in 16..24 {
                img.put_pixel(x, y, image::Rgb([0, 0, 0]));
            }
        }
        let h = halftone(&img);
        let black = |y0: u32, y1: u32| {
            (y0..y1)
                .flat_map(|y| (0..64).map(move |x| (x, y)))
                .filter(|&(x, y)| h.get_pixel(x, y).0[0] == 0)
                .count() as f64
                / (64 * (y1 - y0)) as f64
        };
        assert_eq!(black(0, 8), 0.0, "paper stays white");
        assert_eq!(black(16, 24), 1.0, "print stays black");
        let grey = black(8, 16);
        assert!((0.18..0.26).contains(&grey), "guide grey → {grey:.3} black");
        assert!(h.pixels().all(|p| p.0[0] == 0 || p.0[0] == 255));
    }

    #[test]
    fn printed_pdf_has_one_page_per_serial_at_the_form_size() {
        let c = Campaign::builtin().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut a = args("slip-a5", "U07", Some("Q2"), "000100..000102");
        a.out = dir.path().join("forms.pdf");
        a.dpi = 150;
        let job = plan(&c, &a).unwrap();
        let report = print(&c, &job).unwrap();
        assert_eq!(report.pages, 3);
        let bytes = std::fs::read(&a.out).unwrap();
        assert_eq!(report.bytes, bytes.len() as u64);
        let text = String::from_utf8_lossy(&bytes);
        assert_eq!(text.matches("/Type /Page ").count(), 3);
        assert!(text.contains("/Count 3"));
        // A5 = 148 × 210 mm = 419.53 × 595.28 pt, whatever the image's rounded pixel size.
        assert_eq!(text.matches("/MediaBox [0 0 419.53 595.28]").count(), 3);
        assert!(
            text.contains("/BitsPerComponent 1 /Filter"),
            "bilevel pages"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }
}
