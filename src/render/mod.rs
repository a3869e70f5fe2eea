//! Realistic test scans, drawn from the campaign layout: blank forms as the printer makes
//! them (`draw_blank_form`), filled like citizens fill them and degraded like an office
//! scanner degrades them (`generate`), with ground-truth CSV files beside the images so the
//! reading pipeline can be scored end to end.
//!
//! Submodules: `canvas` (anti-aliased drawing primitives), `text` (fonts, glyph coverage,
//! rasterising), `form` (printing a form), `corpus` (what citizens write), `fill`
//! (handwriting and ticks), `paste` (real handwritten lines pasted in), `scan` (tilt, noise,
//! encodings), `pages` (what each generated page is), `print` (`urnscan forms print`: blank
//! forms as a print-ready PDF), `pdf` (writing PDFs of page images), `annotate` (what
//! urnscan found, drawn on a scanned page: `urnscan explain`).

pub mod annotate;
mod canvas;
mod corpus;
mod fill;
mod form;
mod lines;
mod pages;
mod paste;
pub mod pdf;
pub mod print;
mod scan;
mod text;

use std::path::PathBuf;

use anyhow::Context;
use rayon::prelude::*;

use crate::campaign::Campaign;

pub use fill::fill_form_image;
pub use form::draw_blank_form;
pub use lines::generate_lines;

#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Folder the truth files go to; the images go to its `scans/` subfolder, so that the
    /// scans can be processed as a folder without the truth files among them.
    pub out: PathBuf,
    /// Number of pages (ignored by `sample_mix`, which has its own fixed list).
    pub count: usize,
    pub seed: u64,
    /// The curated small sample set (about 16 pages covering every case).
    pub sample_mix: bool,
    /// All pages in one scanner-style PDF (`scans/scans.pdf`) instead of one file each.
    pub pdf: bool,
    /// Answers pasted from this folder of real handwritten lines (`<id>.png` + `.gt.txt`)
    /// instead of drawn with handwriting fonts.
    pub handwriting: Option<PathBuf>,
    /// Folds, stains, black-and-white scans and more blank slips on most pages.
    pub faults: bool,
    /// Every slip's and sheet's QR code torn off or blotted with ink.
    pub damaged_qr: bool,
}

#[derive(Debug, Clone)]
pub struct GenerateReport {
    pub pages: usize,
    /// The image files, in generation order.
    pub files: Vec<PathBuf>,
}

/// Pages drawn at the same time by `generate`.
const RENDERED_AT_ONCE: usize = 8;

/// Generates test scans into `opts.out/scans/` and their ground truth (`truth-pages.csv`,
/// `truth-answers.csv`) into `opts.out`. The same seed gives byte-identical files.
pub fn generate(campaign: &Campaign, opts: &GenerateOptions) -> anyhow::Result<GenerateReport> {
    let scans = opts.out.join("scans");
    std::fs::create_dir_all(&scans)
        .with_context(|| format!("creating the output folder {}", scans.display()))?;
    let fonts = text::Fonts::load()?;
    let real = opts
        .handwriting
        .as_deref()
        .map(paste::RealLines::load)
        .transpose()?;
    let mut rng = fastrand::Rng::with_seed(opts.seed);
    let specs = if opts.sample_mix {
        pages::sample_specs(campaign, &mut rng)?
    } else {
        pages::random_specs(campaign, opts.count, opts.faults, opts.damaged_qr, &mut rng)?
    };
    let pages_path = opts.out.join("truth-pages.csv");
    let answers_path = opts.out.join("truth-answers.csv");
    let mut pages_csv = csv::Writer::from_path(&pages_path)
        .with_context(|| format!("creating {}", pages_path.display()))?;
    let mut answers_csv = csv::Writer::from_path(&answers_path)
        .with_context(|| format!("creating {}", answers_path.display()))?;
    pages_csv.write_record(pages::PAGE_COLUMNS)?;
    answers_csv.write_record(pages::answer_columns(campaign))?;

    let mut files = Vec::new();
    let mut pdf_pages: Vec<pdf::PdfPage> = Vec::new();
    // Each page is drawn from its own spec and seed alone, so pages are drawn in parallel
    // and written in order: the same files as one by one, in half the time on two cores
    // (the 200-page test set of tests/faults.rs). A few at a time bounds the memory.
    let named: Vec<(String, &pages::PageSpec)> = specs
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let stem = spec.kind.file_stem(campaign)?;
            Ok((format!("{:04}-{stem}.{}", i + 1, spec.format.ext()), spec))
        })
        .collect::<anyhow::Result<_>>()?;
    for chunk in named.chunks(RENDERED_AT_ONCE) {
        let rendered: Vec<anyhow::Result<pages::Rendered>> = chunk
            .par_iter()
            .map(|(name, spec)| {
                pages::render(campaign, &fonts, real.as_ref(), spec)
                    .with_context(|| format!("rendering page {name}"))
            })
            .collect();
        for ((name, spec), rendered) in chunk.iter().zip(rendered) {
            let rendered = rendered?;
            let path = scans.join(name);
            let (file, page) = if opts.pdf {
                pdf_pages.push(pdf_page(&rendered.bytes, spec.dpi as f64)?);
                ("scans.pdf".to_string(), pdf_pages.len() as u32)
            } else {
                std::fs::write(&path, &rendered.bytes)
                    .with_context(|| format!("writing {}", path.display()))?;
                files.push(path);
                (name.clone(), 1)
            };
            pages_csv.write_record(rendered.page_row(&file, page))?;
            for row in rendered.answer_rows(&file, page) {
                answers_csv.write_record(row)?;
            }
        }
    }
    if opts.pdf {
        let path = scans.join("scans.pdf");
        std::fs::write(&path, pdf::write_pdf(&pdf_pages)?)
            .with_context(|| format!("writing {}", path.display()))?;
        files.push(path);
    }
    pages_csv
        .flush()
        .with_context(|| format!("writing {}", pages_path.display()))?;
    answers_csv
        .flush()
        .with_context(|| format!("writing {}", answers_path.display()))?;
    Ok(GenerateReport {
        pages: specs.len(),
        files,
    })
}

/// A generated page as a PDF page, as a scanner stores it: JPEG bytes unchanged, lossless
/// scans as Flate-compressed grey.
fn pdf_page(bytes: &[u8], dpi: f64) -> anyhow::Result<pdf::PdfPage> {
    use image::ImageDecoder;
    let image = if bytes.starts_with(&[0xFF, 0xD8]) {
        let dec = image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(bytes))?;
        let (width, height) = dec.dimensions();
        let components = dec.color_type().channel_count();
        pdf::PdfImage::Jpeg {
            bytes: bytes.to_vec(),
            width,
            height,
            components,
        }
    } else {
        pdf::PdfImage::Gray(image::load_from_memory(bytes)?.into_luma8())
    };
    Ok(pdf::PdfPage {
        image,
        dpi,
        rotate: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rxing::common::HybridBinarizer;
    use rxing::qrcode::cpp_port::QrReader;
    use rxing::{BarcodeFormat, BinaryBitmap, DecodeHints, Luma8Source, Reader};
    use std::collections::HashSet;

    fn decode_qr(img: &image::RgbImage) -> String {
        let gray = image::DynamicImage::ImageRgb8(img.clone()).into_luma8();
        let src = Luma8Source::new_with_slice(gray.as_raw(), gray.width(), gray.height()).unwrap();
        let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(src));
        let hints = DecodeHints::default()
            .with(rxing::DecodeHintValue::PossibleFormats(HashSet::from([
                BarcodeFormat::QR_CODE,
            ])))
            .with(rxing::DecodeHintValue::TryHarder(true));
        QrReader
            .decode_with_hints(&mut bitmap, &hints)
            .unwrap()
            .getText()
            .to_string()
    }

    #[test]
    fn blank_forms_qr_decodes_to_the_payload() {
        let c = Campaign::builtin().unwrap();
        for (form, q) in [("slip-a5", "Q2"), ("sheet-a4", "ALL")] {
            let f = c.form(form).unwrap();
            let img = draw_blank_form(&c, f, "U07", q, "000123", 150.0).unwrap();
            assert_eq!(
                decode_qr(&img),
                c.payload_for(form, q, "U07", "000123"),
                "{form}"
            );
        }
    }

    #[test]
    fn blank_form_has_the_layout_size_and_marks() {
        let c = Campaign::builtin().unwrap();
        let f = c.form("slip-a5").unwrap();
        let img = draw_blank_form(&c, f, "U01", "Q1", "000001", 100.0).unwrap();
        let ppm = 100.0 / 25.4;
        assert_eq!(img.width(), (f.width * ppm).round() as u32);
        for m in &f.marks {
            let (x, y) = m.centre();
            let p = img.get_pixel((x * ppm) as u32, (y * ppm) as u32);
            assert_eq!(p.0, [0, 0, 0]);
        }
    }

    #[test]
    fn every_corpus_answer_renders_with_some_handwriting_font() {
        let fonts = text::Fonts::load().unwrap();
        for t in corpus::ANSWERS {
            assert!(
                fonts.hands.iter().any(|f| f.covers(t)),
                "no handwriting font draws every character of {t:?}"
            );
            assert!(t.chars().count() >= 20 && t.chars().count() <= 250, "{t:?}");
        }
    }

    #[test]
    fn same_seed_gives_identical_files() {
        let c = Campaign::builtin().unwrap();
        let run = |dir: &std::path::Path| {
            let opts = GenerateOptions {
                out: dir.to_path_buf(),
                count: 2,
                seed: 7,
                sample_mix: false,
                pdf: false,
                handwriting: None,
                faults: false,
                damaged_qr: false,
            };
            let r = generate(&c, &opts).unwrap();
            assert_eq!(r.pages, 2);
            let mut names: Vec<_> = ["truth-pages.csv", "truth-answers.csv"]
                .iter()
                .map(std::path::PathBuf::from)
                .chain(
                    r.files
                        .iter()
                        .map(|f| f.strip_prefix(dir).unwrap().to_path_buf()),
                )
                .collect();
            names.sort();
            names
                .into_iter()
                .map(|n| (n.clone(), std::fs::read(dir.join(n)).unwrap()))
                .collect::<Vec<_>>()
        };
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (fa, fb) = (run(a.path()), run(b.path()));
        assert_eq!(fa.len(), 4, "two images and two truth files");
        assert!(fa == fb, "same seed, different bytes");
    }
}
