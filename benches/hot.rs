//! The hot functions of reading a page, one by one, on a generated 300 dpi slip
//! (`cargo bench`; `scripts/bench-vs-script` measures whole runs). Each stage's input is
//! made by the stages before it, as in the pipeline: decode → streaks → QR → register →
//! crop → clean → lines → OCR of one line.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use urnscan::campaign::{Campaign, Zone};
use urnscan::input::{decode_page, sniff, PageSource};
use urnscan::locate::{find_qr, register};
use urnscan::read::crop::{crop, px_per_mm, READ_DPI};
use urnscan::read::ink::{clean_zone_counting_ink, repair_streaks};
use urnscan::read::lines::{find_lines, line_image};
use urnscan::read::prepare::scaled_to_line_height;
use urnscan::read::straighten::straighten;
use urnscan::recognize::{OcrModel, Recognizer};
use urnscan::render::{generate, GenerateOptions};
use urnscan::slip::identify;

/// One generated slip (the first slip of seed 2022's set), as a file.
fn a_slip(dir: &std::path::Path) -> PathBuf {
    let campaign = Campaign::builtin().expect("built-in campaign");
    let report = generate(
        &campaign,
        &GenerateOptions {
            out: dir.to_path_buf(),
            count: 4,
            seed: 2022,
            sample_mix: false,
            pdf: false,
            handwriting: None,
            faults: false,
            damaged_qr: false,
        },
    )
    .expect("generate");
    report
        .files
        .into_iter()
        .find(|f| f.to_string_lossy().contains("slip-a5"))
        .expect("a slip among the first pages")
}

fn stages(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = a_slip(dir.path());
    let campaign = Campaign::builtin().expect("built-in campaign");
    let source = PageSource {
        page: 1,
        format: sniff(&path).expect("a scan"),
    };
    let mut g = c.benchmark_group("page");
    g.sample_size(10);

    g.bench_function("decode", |b| b.iter(|| decode_page(&path, &source)));
    let page = decode_page(&path, &source).expect("decodes");
    g.bench_function("repair_streaks", |b| {
        b.iter_batched(
            || page.clone(),
            |mut p| repair_streaks(&mut p, 24),
            criterion::BatchSize::LargeInput,
        )
    });
    g.bench_function("find_qr", |b| b.iter(|| find_qr(&page)));
    let qr = find_qr(&page).expect("a QR code");
    let (form, _) = identify(&campaign, &qr.text).expect("a slip of the campaign");
    g.bench_function("register", |b| {
        b.iter(|| register(&page, form, &qr.corners))
    });
    let reg = register(&page, form, &qr.corners).expect("registered");
    let zone = form
        .zones
        .iter()
        .find_map(|z| match z {
            Zone::Text(t) => Some(t.clone()),
            Zone::Checkbox(_) => None,
        })
        .expect("a text zone");
    g.bench_function("crop_answer_zone", |b| {
        b.iter(|| crop(&page, &reg.map, &zone.rect, READ_DPI))
    });
    let raw = crop(&page, &reg.map, &zone.rect, READ_DPI);
    let k = px_per_mm(READ_DPI);
    let guides: Vec<f64> = zone
        .guides
        .iter()
        .flat_map(|gl| gl.ys().map(|y| (y - zone.rect.y) * k).collect::<Vec<_>>())
        .collect();
    g.bench_function("clean_zone", |b| {
        b.iter(|| clean_zone_counting_ink(&raw, &guides, 0.6 * k))
    });
    let (clean, _) = clean_zone_counting_ink(&raw, &guides, 0.6 * k);
    g.bench_function("find_lines", |b| b.iter(|| find_lines(&clean, &guides, k)));
    let lines = find_lines(&clean, &guides, k);
    let line = line_image(&raw, &lines[0]);
    let (small, _) = scaled_to_line_height(&line, READ_DPI as u32);
    g.bench_function("straighten_line", |b| b.iter(|| straighten(&small)));
    let mut engine = Recognizer::new(&OcrModel::Builtin).expect("the built-in model loads");
    g.bench_function("ocr_one_line", |b| {
        b.iter(|| engine.read_line(&line, READ_DPI as u32))
    });
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
