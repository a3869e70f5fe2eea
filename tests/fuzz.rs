//! "Never panics" properties of everything that reads what comes from outside urnscan: the
//! QR payload parser (with the campaign checks behind it), the campaign layout parser, and
//! the page decoders (PNG, JPEG, TIFF, PDF). Inputs are mutations of valid seeds (bytes
//! flipped, cut, duplicated, inserted), which reach far deeper than random bytes.
//!
//! In the test suite each property tries a few hundred inputs. `scripts/fuzz MINUTES` runs
//! each for that long (URNSCAN_FUZZ_SECONDS) and prints how many inputs it tried; a panic
//! fails the test with the smallest input proptest can shrink it to.

use std::path::Path;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use urnscan::campaign::Campaign;
use urnscan::input::{decode_page, page_count, sniff, PageSource};
use urnscan::slip::identify;

/// Runs `check` on inputs from `strategy`: `cases` of them, or for URNSCAN_FUZZ_SECONDS.
fn fuzz<S: Strategy>(name: &str, strategy: S, cases: u32, check: impl Fn(S::Value))
where
    S::Value: std::fmt::Debug,
{
    let budget = std::env::var("URNSCAN_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs);
    let batch = 64;
    let started = Instant::now();
    let mut tried: u64 = 0;
    loop {
        // A runner counts its cases once: each batch gets a fresh one, with its own seed
        // (deterministic, so that a failure can be replayed).
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&tried.to_le_bytes());
        let mut runner = TestRunner::new_with_rng(
            Config {
                cases: batch,
                failure_persistence: None,
                ..Config::default()
            },
            TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
        );
        if let Err(e) = runner.run(&strategy, |v| {
            check(v);
            Ok(())
        }) {
            panic!("{name}: {e}");
        }
        tried += batch as u64;
        match budget {
            Some(b) if started.elapsed() < b => continue,
            None if tried < cases as u64 => continue,
            _ => break,
        }
    }
    eprintln!(
        "fuzz {name}: {tried} inputs in {:.0} s, no panic",
        started.elapsed().as_secs_f64()
    );
}

/// A byte-level mutation: what to do, where (a fraction of the length) and with what.
#[derive(Debug, Clone)]
enum Edit {
    Flip(f64, u8),
    Cut(f64),
    Delete(f64, usize),
    Insert(f64, Vec<u8>),
    Duplicate(f64, usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        4 => (0.0..1.0f64, any::<u8>()).prop_map(|(p, b)| Edit::Flip(p, b)),
        1 => (0.0..1.0f64).prop_map(Edit::Cut),
        2 => (0.0..1.0f64, 1usize..64).prop_map(|(p, n)| Edit::Delete(p, n)),
        2 => (0.0..1.0f64, prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(p, b)| Edit::Insert(p, b)),
        1 => (0.0..1.0f64, 1usize..256).prop_map(|(p, n)| Edit::Duplicate(p, n)),
    ];
    prop::collection::vec(edit, 1..8)
}

fn mutate(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for e in edits {
        let at = |p: f64, len: usize| ((p * len as f64) as usize).min(len);
        match e {
            Edit::Flip(p, b) => {
                if !v.is_empty() {
                    let i = at(*p, v.len() - 1);
                    v[i] ^= b.max(&1);
                }
            }
            Edit::Cut(p) => v.truncate(at(*p, v.len())),
            Edit::Delete(p, n) => {
                let i = at(*p, v.len());
                let j = (i + n).min(v.len());
                v.drain(i..j);
            }
            Edit::Insert(p, b) => {
                let i = at(*p, v.len());
                v.splice(i..i, b.iter().copied());
            }
            Edit::Duplicate(p, n) => {
                let i = at(*p, v.len());
                let j = (i + n).min(v.len());
                let chunk = v[i..j].to_vec();
                v.splice(j..j, chunk);
            }
        }
    }
    v
}

#[test]
fn qr_payloads_never_panic() {
    let campaign = Campaign::builtin().unwrap();
    let good = campaign.payload_for("slip-a5", "Q2", "U07", "000123");
    let mutated = edits()
        .prop_map(move |e| String::from_utf8_lossy(&mutate(good.as_bytes(), &e)).into_owned());
    let strategy = prop_oneof![
        mutated,
        "\\PC{0,300}",
        // 2 kB of junk and control characters after a valid start.
        "https://assises-solidarites\\.fr/c\\?f=slip-a5&q=Q2&u=U07&n=[\\x00-\\x1f0-9\\u{202e}]{0,2000}",
    ];
    fuzz("qr payload", strategy, 2048, |text| {
        let _ = identify(&campaign, &text);
    });
}

#[test]
fn campaign_layouts_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("forms-layout/assises-2022");
    let files = ["campaign.toml", "questions.csv", "urns.csv"];
    let seeds: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(src.join(f)).unwrap())
        .collect();
    let strategy = (0..files.len(), edits());
    fuzz("campaign layout", strategy, 512, |(which, e)| {
        for (i, f) in files.iter().enumerate() {
            let bytes = if i == which {
                mutate(&seeds[i], &e)
            } else {
                seeds[i].clone()
            };
            std::fs::write(dir.path().join(f), bytes).unwrap();
        }
        let _ = Campaign::load(dir.path());
    });
}

/// Small valid scans in every format the decoders take.
fn decoder_seeds() -> Vec<Vec<u8>> {
    let mut img = image::GrayImage::from_pixel(120, 90, image::Luma([235]));
    for y in 20..60 {
        for x in 10..100 {
            if (x / 7 + y / 5) % 3 == 0 {
                img.put_pixel(x, y, image::Luma([30]));
            }
        }
    }
    let encode = |format| {
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    };
    let jpeg = encode(image::ImageFormat::Jpeg);
    let pdf = urnscan::render::pdf::write_pdf(&[
        urnscan::render::pdf::PdfPage {
            image: urnscan::render::pdf::PdfImage::Jpeg {
                bytes: jpeg.clone(),
                width: 120,
                height: 90,
                components: 1,
            },
            dpi: 300.0,
            rotate: 90,
        },
        urnscan::render::pdf::PdfPage {
            image: urnscan::render::pdf::PdfImage::Gray(img.clone()),
            dpi: 150.0,
            rotate: 0,
        },
    ])
    .unwrap();
    vec![
        encode(image::ImageFormat::Png),
        jpeg,
        encode(image::ImageFormat::Tiff),
        pdf,
    ]
}

#[test]
fn page_decoders_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = decoder_seeds();
    let n = seeds.len();
    let strategy = (0..n, edits());
    let path = dir.path().join("scan");
    fuzz("page decoders", strategy, 512, |(which, e)| {
        std::fs::write(&path, mutate(&seeds[which], &e)).unwrap();
        let Ok(format) = sniff(&path) else { return };
        let pages = match page_count(&path, format) {
            Ok(n) => n,
            Err((n, _)) => n,
        };
        for page in 1..=pages.clamp(1, 3) {
            let _ = decode_page(&path, &PageSource { page, format });
        }
    });
}
