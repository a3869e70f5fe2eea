//! Cleaning a zone crop and measuring its ink.
//!
//! Scans differ in paper tone, contrast and noise; handwriting differs from a black felt pen
//! to a faint pencil whose strokes scan at 140–210 on a 255 paper, as light as the printed
//! guide lines. So the cleaning works relative to each zone: paper brought to white, the
//! guide lines removed as lines (by their own measured grey, row by row), then the contrast
//! stretched from the zone's own ink to its paper, so that pencil reaches OCR as dark as a
//! pen does. The box's stroke caught by a slightly-off registration is removed last.

use image::GrayImage;

/// Below this, on the cleaned scale (paper 255, the zone's ink core near 0), a pixel is ink.
pub const INK_LEVEL: u8 = 128;
/// Pixels at least this light (paper-normalised) are paper plus scanner noise (σ up to ~8).
const PAPER_FLOOR: u8 = 232;
/// The zone's ink core must be at least this dark for the contrast to be stretched: lighter
/// "ink" is noise or shadow, and stretching it would manufacture writing.
const MIN_INK_CORE: u8 = 215;
/// An ink core darker than this is a pen's, dark enough for OCR as it is: measured on
/// real handwriting (../shared/handwriting/zones), stretching it raised the median CER
/// from 0.66 to 0.75; only lighter (pencil) ink is stretched.
const PEN_INK_CORE: u8 = 100;
/// Within a guide line's row, pixels up to this much darker than the row's own median
/// grey belong to the line (JPEG and noise spread it); darker ones are writing crossing it.
const GUIDE_SPREAD: u8 = 40;

/// Blocks over which the paper's own shade is measured (pixels of a zone read at 300 dpi),
/// and how many blocks around a pixel decide its paper: 4 × 7 px, about 2.4 mm, wider than
/// any pen or pencil stroke and narrower than any stain.
const PAPER_BLOCK: usize = 4;
const PAPER_REACH: usize = 3;

/// Divides out the paper's own shade, measured around each pixel as the lightest grey
/// within about 2.4 mm: a stain, a fold's shadow, a dark edge of the page become paper,
/// while strokes, which are thinner, keep their contrast to the paper beside them.
fn flatten_paper(img: &mut GrayImage) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let b = PAPER_BLOCK;
    let (bw, bh) = (w.div_ceil(b), h.div_ceil(b));
    if bw < 2 || bh < 2 {
        return;
    }
    let raw: &mut [u8] = img;
    let mut blocks = vec![0u8; bw * bh];
    for (y, row) in raw.chunks_exact(w).enumerate() {
        let out = &mut blocks[(y / b) * bw..(y / b + 1) * bw];
        for (o, chunk) in out.iter_mut().zip(row.chunks(b)) {
            *o = chunk.iter().fold(*o, |m, &v| m.max(v));
        }
    }
    // The lightest block within PAPER_REACH blocks, rows then columns.
    let rows = max_within(&blocks, bw, bh, PAPER_REACH, 1);
    let paper = max_within(&rows, bw, bh, PAPER_REACH, bw);
    // Between block centres, the paper's grey is interpolated: no block edges. Where a
    // pixel falls between blocks depends on its column alone, or its row alone.
    let between = |i: usize, n: usize| {
        let f = ((i as f64 + 0.5) / b as f64 - 0.5).clamp(0.0, (n - 1) as f64);
        let i0 = f as usize;
        (i0, (i0 + 1).min(n - 1), f - i0 as f64)
    };
    let columns: Vec<(usize, usize, f64)> = (0..w).map(|x| between(x, bw)).collect();
    for (y, row) in raw.chunks_exact_mut(w).enumerate() {
        let (y0, y1, ty) = between(y, bh);
        let (top, bottom) = (
            &paper[y0 * bw..(y0 + 1) * bw],
            &paper[y1 * bw..(y1 + 1) * bw],
        );
        for (v, &(x0, x1, tx)) in row.iter_mut().zip(&columns) {
            let p = (top[x0] as f64 * (1.0 - tx) + top[x1] as f64 * tx) * (1.0 - ty)
                + (bottom[x0] as f64 * (1.0 - tx) + bottom[x1] as f64 * tx) * ty;
            // Dark surroundings (the lid, a heavy scribble) are not paper: left alone.
            if p >= 120.0 {
                *v = (*v as f64 * 255.0 / p).round().min(255.0) as u8;
            }
        }
    }
}

/// For each cell of a `w` × `h` grid, the largest value within `reach` cells along one
/// axis: `step` 1 along the rows, `step` w along the columns.
fn max_within(grid: &[u8], w: usize, h: usize, reach: usize, step: usize) -> Vec<u8> {
    let len = if step == 1 { w } else { h };
    (0..w * h)
        .map(|i| {
            let at = if step == 1 { i % w } else { i / w };
            let first = i - at * step;
            (at.saturating_sub(reach)..(at + reach + 1).min(len))
                .map(|k| grid[first + k * step])
                .max()
                .unwrap_or(255)
        })
        .collect()
}

/// A component at least this large (pixels at 300 dpi: 3 mm²)...
const BLOT_MIN_PX: usize = 420;
/// ...whose darkest pixels are no darker than this (on the paper-flattened scale) is the
/// rim of a stain or a shadow: a pen's core is under 100, a pencil's under 180.
const BLOT_CORE: u8 = 190;

/// Whitens large components too light to be writing: what is left of a stain once its
/// inside is flattened to paper (its rim), of a fold's shadow, of a dark page edge.
fn remove_light_blots(img: &mut GrayImage) {
    let runs = dark_runs(img, PAPER_FLOOR);
    let w = img.width() as usize;
    let raw: &mut [u8] = img;
    let mut greys: std::collections::HashMap<usize, Vec<u8>> = std::collections::HashMap::new();
    for (r, size, root) in &runs {
        if *size >= BLOT_MIN_PX {
            greys
                .entry(*root)
                .or_default()
                .extend_from_slice(&raw[r.y * w + r.start..r.y * w + r.end]);
        }
    }
    let light: std::collections::HashSet<usize> = greys
        .into_iter()
        .filter(|(_, g)| percentile(g, 5) >= BLOT_CORE)
        .map(|(root, _)| root)
        .collect();
    for (r, _, root) in runs {
        if light.contains(&root) {
            raw[r.y * w + r.start..r.y * w + r.end].fill(255);
        }
    }
}

/// Rescales grey levels so that the zone's paper reads 255. The paper level is a high
/// percentile of the zone: even a crowded answer covers less than a third of its box.
pub fn normalise_paper(img: &mut GrayImage) {
    let paper = percentile(img.as_raw(), 70);
    // A zone that is mostly dark is not paper: leave it as it is.
    if paper < 120 {
        return;
    }
    let lut: [u8; 256] =
        std::array::from_fn(|v| ((v as f64 * 255.0 / paper as f64).round()).min(255.0) as u8);
    apply_lut(img, &lut);
}

/// Maps every pixel through `lut` (an array, so that indexing by a byte needs no check).
fn apply_lut(img: &mut GrayImage, lut: &[u8; 256]) {
    for p in img.iter_mut() {
        *p = lut[*p as usize];
    }
}

fn percentile(values: &[u8], pct: usize) -> u8 {
    // Four histograms filled in turn: paper is one grey over and over, and a single
    // histogram would wait on the same counter for every pixel.
    let mut hists = [[0u32; 256]; 4];
    let mut quads = values.chunks_exact(4);
    for q in &mut quads {
        hists[0][q[0] as usize] += 1;
        hists[1][q[1] as usize] += 1;
        hists[2][q[2] as usize] += 1;
        hists[3][q[3] as usize] += 1;
    }
    for &p in quads.remainder() {
        hists[0][p as usize] += 1;
    }
    let hist: [usize; 256] =
        std::array::from_fn(|v| hists.iter().map(|h| h[v] as usize).sum::<usize>());
    let mut acc = 0;
    for (v, n) in hist.iter().enumerate() {
        acc += n;
        if acc * 100 >= values.len() * pct {
            return v as u8;
        }
    }
    255
}

/// Whitens the printed guide lines in the bands around `guide_rows` (± `half_band` px).
/// A line is rarely one pixel row: a registration off by a tenth of a degree makes it step
/// from row to row across the zone. So the line's grey is measured for the whole band (for
/// each column, its darkest pixel in the band; the line's grey is the median of those, since
/// writing crosses only a minority of columns), and every band pixel near that grey or
/// lighter goes white, while darker strokes crossing the line stay.
fn remove_guides(img: &mut GrayImage, guide_rows: &[f64], half_band: f64) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w == 0 || h == 0 {
        return;
    }
    let raw: &mut [u8] = img;
    for &gy in guide_rows {
        let y0 = (gy - half_band).floor().max(0.0) as usize;
        let y1 = ((gy + half_band).ceil().max(0.0) as usize).min(h);
        if y0 >= y1 {
            continue;
        }
        let column_min: Vec<u8> = (0..w)
            .map(|x| (y0..y1).map(|y| raw[y * w + x]).min().unwrap_or(255))
            .collect();
        let line = percentile(&column_min, 50);
        if line >= PAPER_FLOOR {
            continue;
        }
        let cut = line.saturating_sub(GUIDE_SPREAD);
        for p in &mut raw[y0 * w..y1 * w] {
            if *p > cut {
                *p = 255;
            }
        }
    }
}

/// Share of a zone's width (or height) that a straight line must darken to be taken for a
/// fold, a crease or a scanner streak rather than writing: a line of handwriting leaves
/// paper between its letters and its words all along any one row.
const LINE_COVERAGE: f64 = 0.7;
/// The same for lines across the writing (up and down a zone of several lines of writing):
/// such a line meets a line of writing only where a letter happens to stand on it, and
/// paper between the lines of writing, so a faint streak or fold, darker than paper only
/// in places, is found from this share of the zone's height.
const ACROSS_LINE_COVERAGE: f64 = 0.4;
/// Zones shorter than this (pixels at 300 dpi, 25 mm: about three lines of writing) keep
/// `LINE_COVERAGE` across too: on one line of writing, a tall letter is much of the height.
const ACROSS_MIN_LENGTH: usize = 295;
/// Steepest line looked for, as a shift over the zone's length (about ±3°: a fold askew
/// on a slip that the registration has already turned upright).
const LINE_MAX_SLOPE: f64 = 0.05;
/// Lines are looked for on the zone shrunk by this factor (each pixel the darkest of its
/// block), then followed at full resolution.
const LINE_SEARCH_SCALE: usize = 4;
/// How far on each side of a line its shadow may reach, in pixels of the zone (read at
/// 300 dpi: 4 mm).
const LINE_REACH: i64 = 48;

/// Whitens the straight lines that cross the whole zone (folds, creases and their shadows,
/// scanner streaks, a guide line the registration missed): at each distance from the line,
/// pixels near the line's grey there or lighter go white, darker strokes crossing it stay.
fn remove_straight_lines(img: &mut GrayImage) {
    remove_lines_along_rows(img, LINE_COVERAGE);
    let across = if img.height() as usize >= ACROSS_MIN_LENGTH {
        ACROSS_LINE_COVERAGE
    } else {
        LINE_COVERAGE
    };
    let mut t = transpose(img);
    remove_lines_along_rows(&mut t, across);
    *img = transpose(&t);
}

fn transpose(img: &GrayImage) -> GrayImage {
    let (w, h) = (img.width(), img.height());
    let raw = img.as_raw();
    GrayImage::from_fn(h, w, |x, y| {
        image::Luma([raw[x as usize * w as usize + y as usize]])
    })
}

/// Length of the pieces a line is followed in, pixels: a fold is not quite straight (the
/// paper bends, the registration leaves a pixel here and there), and a line followed
/// piece by piece stays on it.
const LINE_PIECE: usize = 200;

/// A straight line over the columns `x0..x1`: its row at `x0` and at `x1 - 1`.
#[derive(Debug, Clone, Copy)]
struct Line {
    x0: usize,
    x1: usize,
    left: i64,
    right: i64,
}

impl Line {
    fn row(&self, x: usize) -> i64 {
        let span = (self.x1 as i64 - 1 - self.x0 as i64).max(1);
        self.left + (self.right - self.left) * (x as i64 - self.x0 as i64) / span
    }

    /// `row(x) - left` for each column of the line, in order: what the line's slope alone
    /// decides, computed once for every line of that slope.
    fn offsets(&self) -> Vec<i64> {
        (self.x0..self.x1)
            .map(|x| self.row(x) - self.left)
            .collect()
    }

    /// The same line over the columns `x0..x1` (inside its own).
    fn piece(&self, x0: usize, x1: usize) -> Line {
        Line {
            x0,
            x1,
            left: self.row(x0),
            right: self.row(x1 - 1),
        }
    }
}

/// `remove_straight_lines` for lines running along the rows.
fn remove_lines_along_rows(img: &mut GrayImage, coverage: f64) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let s = LINE_SEARCH_SCALE;
    if w < 50 || h < 3 * s {
        return;
    }
    // The darkest pixel of each block keeps a crease one pixel thin.
    let (sw, sh) = (w / s, h / s);
    let raw: &mut [u8] = img;
    let mut small = vec![255u8; sw * sh];
    for (i, v) in small.iter_mut().enumerate() {
        let (bx, by) = (i % sw, i / sw);
        for y in by * s..by * s + s {
            for x in bx * s..bx * s + s {
                *v = (*v).min(raw[y * w + x]);
            }
        }
    }
    let need = (sw as f64 * coverage) as usize;
    let max_shift = (sh.min(sw) as f64).min(sw as f64 * LINE_MAX_SLOPE).round() as i64;
    let mut found: Vec<(usize, Line)> = Vec::new();
    for shift in -max_shift..=max_shift {
        let offsets = Line {
            x0: 0,
            x1: sw,
            left: 0,
            right: shift,
        }
        .offsets();
        for y in 0..sh as i64 {
            let coarse = Line {
                x0: 0,
                x1: sw,
                left: y,
                right: y + shift,
            };
            let dark = offsets
                .iter()
                .enumerate()
                .filter(|&(x, off)| {
                    let yy = y + off;
                    (0..sh as i64).contains(&yy) && small[yy as usize * sw + x] < PAPER_FLOOR
                })
                .count();
            if dark >= need {
                let s = s as i64;
                found.push((
                    dark,
                    Line {
                        x0: 0,
                        x1: w,
                        left: coarse.left * s + s / 2,
                        right: coarse.right * s + s / 2,
                    },
                ));
            }
        }
    }
    // The most complete lines first; each whitened line takes its neighbours' darkness.
    found.sort_by_key(|(dark, _)| std::cmp::Reverse(*dark));
    let full_need = (w as f64 * coverage) as usize;
    for (_, coarse) in found {
        let line = follow_line(raw, w, h, coarse, LINE_SEARCH_SCALE as i64 + 2);
        let on_line = (0..w)
            .filter(|&x| {
                let y = line.row(x);
                (0..h as i64).contains(&y) && raw[y as usize * w + x] < PAPER_FLOOR
            })
            .count();
        if on_line < full_need {
            continue;
        }
        let pieces = w.div_ceil(LINE_PIECE);
        for p in 0..pieces {
            let (x0, x1) = (p * w / pieces, (p + 1) * w / pieces);
            let piece = follow_line(raw, w, h, line.piece(x0, x1), 3);
            whiten_line(raw, w, h, piece);
        }
    }
}

/// The line near `coarse` (its ends moved by up to `reach` rows) that is darkest on
/// average: the crease itself rather than its shadow.
fn follow_line(raw: &[u8], w: usize, h: usize, coarse: Line, reach: i64) -> Line {
    let mut best = (u64::MAX, coarse);
    // The candidates take 2 × reach + 1 slopes between them: their offsets once each.
    let slope = coarse.right - coarse.left;
    let by_slope: Vec<Vec<i64>> = (-2 * reach..=2 * reach)
        .map(|d| {
            Line {
                left: 0,
                right: slope + d,
                ..coarse
            }
            .offsets()
        })
        .collect();
    for dl in -reach..=reach {
        for dr in -reach..=reach {
            let line = Line {
                left: coarse.left + dl,
                right: coarse.right + dr,
                ..coarse
            };
            let offsets = &by_slope[(dr - dl + 2 * reach) as usize];
            let sum: u64 = (line.x0..line.x1)
                .zip(offsets)
                .map(|(x, off)| {
                    let y = line.left + off;
                    if (0..h as i64).contains(&y) {
                        raw[y as usize * w + x] as u64
                    } else {
                        255
                    }
                })
                .sum();
            if sum < best.0 {
                best = (sum, line);
            }
        }
    }
    best.1
}

/// Whitens a line and the band around it that is darker than paper (its shadow), each
/// distance from the line by its own grey, and a pixel beyond the band on each side (the
/// line's soft edge).
fn whiten_line(raw: &mut [u8], w: usize, h: usize, line: Line) {
    let n = line.x1 - line.x0;
    let greys_at = |raw: &[u8], d: i64| -> Vec<u8> {
        (line.x0..line.x1)
            .filter_map(|x| {
                let y = line.row(x) + d;
                (0..h as i64).contains(&y).then(|| raw[y as usize * w + x])
            })
            .collect()
    };
    let mut band = Vec::new();
    for dir in [1i64, -1] {
        let mut d: i64 = if dir == 1 { 0 } else { -1 };
        let mut last_cut = None;
        while d.abs() <= LINE_REACH {
            let greys = greys_at(raw, d);
            if greys.len() < n / 2 {
                break;
            }
            let grey = percentile(&greys, 50);
            if grey >= PAPER_FLOOR {
                if let Some(cut) = last_cut {
                    band.push((d, cut));
                }
                break;
            }
            let cut = grey.saturating_sub(GUIDE_SPREAD);
            band.push((d, cut));
            last_cut = Some(cut);
            d += dir;
        }
    }
    for (d, cut) in band {
        for x in line.x0..line.x1 {
            let y = line.row(x) + d;
            if (0..h as i64).contains(&y) {
                let p = &mut raw[y as usize * w + x];
                if *p > cut {
                    *p = 255;
                }
            }
        }
    }
}

/// Stretches the zone's contrast from its ink core (the darkest 5 % of its non-paper
/// pixels) to the paper floor, whitening paper noise. Returns the ink core found.
fn stretch_to_ink(img: &mut GrayImage) -> u8 {
    // The ink's grey is measured on strokes, not on dust: specks are small and often darker
    // than faint writing, and taken into account they made faint writing look like pen ink
    // that needs no stretch, and then a blank answer.
    let strokes: Vec<(Run, usize)> = writing_strokes(img, PAPER_FLOOR).collect();
    let runs: Vec<Run> = strokes.iter().map(|&(run, _)| run).collect();
    let w = img.width() as usize;
    let dark = run_pixels(img, &runs);
    if dark.is_empty() {
        img.iter_mut().for_each(|p| *p = 255);
        return 255;
    }
    let core = percentile(&dark, 5);
    // Only noise, or ink already dark (a pen): no stretch of the whole zone, which would
    // only thicken the strokes and close the loops of letters; paper noise goes.
    let zone_lut = if (PEN_INK_CORE..=MIN_INK_CORE).contains(&core) {
        stretch_lut(core)
    } else {
        std::array::from_fn(|v| {
            if v >= PAPER_FLOOR as usize {
                255
            } else {
                v as u8
            }
        })
    };
    // A line written in pencil among lines in pen (or in a darker pencil) stays, after the
    // zone's stretch, too light to be found as a line: the faint strokes get a stretch of
    // their own, band of rows by band of rows. Those strokes only: dust beside them stays
    // as light as it was, or it would join the line's box, and the pen's strokes keep the
    // zone's stretch even where the two lines' rows overlap.
    let faint = if core <= MIN_INK_CORE {
        faint_strokes(img, &strokes, &zone_lut)
    } else {
        Vec::new()
    };
    let band_pixels: Vec<(usize, u8)> = faint_bands(&faint, &run_pixels(img, &faint), &zone_lut)
        .into_iter()
        .flat_map(|(band, band_core)| {
            let lut = stretch_lut(band_core);
            let raw = img.as_raw();
            faint[band].iter().flat_map(move |r| {
                (r.y * w + r.start..r.y * w + r.end).map(move |i| (i, lut[raw[i] as usize]))
            })
        })
        .collect();
    apply_lut(img, &zone_lut);
    let raw: &mut [u8] = img;
    for (i, v) in band_pixels {
        raw[i] = v;
    }
    core
}

/// Whether a stroke whose ink core is `core` is a faint pencil's: no darker than
/// `MIN_INK_CORE`, and still lighter than `FAINT_BAND_CORE` through the zone's stretch.
fn stays_faint(core: u8, zone_lut: &[u8; 256]) -> bool {
    core <= MIN_INK_CORE && zone_lut[core as usize] >= FAINT_BAND_CORE
}

/// The runs (in row order) of the strokes, 8-connected components of `strokes` (runs with
/// their component's number), whose own ink core `stays_faint`.
fn faint_strokes(img: &GrayImage, strokes: &[(Run, usize)], zone_lut: &[u8; 256]) -> Vec<Run> {
    let (raw, w) = (img.as_raw(), img.width() as usize);
    let count = strokes.iter().map(|&(_, s)| s + 1).max().unwrap_or(0);
    let mut greys: Vec<Vec<u8>> = vec![Vec::new(); count];
    for (r, s) in strokes {
        greys[*s].extend_from_slice(&raw[r.y * w + r.start..r.y * w + r.end]);
    }
    let faint: Vec<bool> = greys
        .iter()
        .map(|g| !g.is_empty() && stays_faint(percentile(g, 5), zone_lut))
        .collect();
    strokes
        .iter()
        .filter(|&&(_, s)| faint[s])
        .map(|&(r, _)| r)
        .collect()
}

/// The grey of each pixel of `runs`.
fn run_pixels(img: &GrayImage, runs: &[Run]) -> Vec<u8> {
    let (raw, w) = (img.as_raw(), img.width() as usize);
    let mut pixels = Vec::new();
    for r in runs {
        pixels.extend_from_slice(&raw[r.y * w + r.start..r.y * w + r.end]);
    }
    pixels
}

/// The contrast stretch that takes `core` to black and the paper floor to white.
fn stretch_lut(core: u8) -> [u8; 256] {
    let span = PAPER_FLOOR.saturating_sub(core).max(1) as f64;
    std::array::from_fn(|v| {
        if v <= core as usize {
            0
        } else {
            ((v as f64 - core as f64) * 255.0 / span).round().min(255.0) as u8
        }
    })
}

/// Rows of writing apart from the others by more than this many empty rows are a band of
/// their own (at 300 dpi, 0.5 mm: the gap between two lines of writing, not the one
/// between a letter and its accent).
const BAND_GAP_ROWS: usize = 6;
/// A band with fewer writing pixels than this (about 1 mm² at 300 dpi, a letter's ink) is
/// a stray mark or an accent cut from its line, not a line of writing to stretch.
const MIN_FAINT_BAND_PIXELS: usize = 150;

/// A band whose ink core, after the zone's own stretch, is darker than this is found as a
/// line without help (lines are found where the cleaned zone is darker than 190):
/// stretched, its halo and the dust beside it grew into its line's box and it read worse
/// (on slips of unseen writers, a light pen line at 140 went from CER 0.21 to 0.31).
/// Lighter bands are lost without it.
const FAINT_BAND_CORE: u8 = 160;

/// The bands of rows of writing (`runs`, in row order; `pixels`, their greys end to end, as
/// `run_pixels` gives them) whose own ink core is a faint pencil's (no darker than
/// `MIN_INK_CORE`) and stays lighter than `FAINT_BAND_CORE` through the zone's stretch
/// `zone_lut`: each as its range of `runs`, with that core.
fn faint_bands(
    runs: &[Run],
    pixels: &[u8],
    zone_lut: &[u8; 256],
) -> Vec<(std::ops::Range<usize>, u8)> {
    let mut bands = Vec::new();
    let (mut start, mut from, mut to) = (0, 0, 0);
    for i in 0..runs.len() {
        to += runs[i].end - runs[i].start;
        let last = i + 1 == runs.len() || runs[i + 1].y > runs[i].y + BAND_GAP_ROWS;
        if !last {
            continue;
        }
        if to - from >= MIN_FAINT_BAND_PIXELS {
            let core = percentile(&pixels[from..to], 5);
            if stays_faint(core, zone_lut) {
                bands.push((start..i + 1, core));
            }
        }
        (start, from) = (i + 1, to);
    }
    bands
}

/// Removes what is left of the printed box near the crop's edges: a row or column, within
/// the outer 4 % of the crop, that is mostly ink is a printed stroke, not writing.
fn clear_border_lines(img: &mut GrayImage) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < 8 || h < 8 {
        return;
    }
    let margin_y = (h / 25).max(2);
    let margin_x = (w / 25).max(2);
    let raw: &mut [u8] = img;
    for y in (0..margin_y).chain(h.saturating_sub(margin_y)..h) {
        let row = &mut raw[y * w..(y + 1) * w];
        if row.iter().filter(|p| **p < INK_LEVEL).count() * 2 > w {
            row.fill(255);
        }
    }
    for x in (0..margin_x).chain(w.saturating_sub(margin_x)..w) {
        let dark = (0..h).filter(|y| raw[y * w + x] < INK_LEVEL).count();
        if dark * 2 > h {
            for y in 0..h {
                raw[y * w + x] = 255;
            }
        }
    }
}

/// The cleaning every zone gets before its ink is measured and its lines are found (the OCR
/// reads the raw crop's pixels of those lines, see `PageContext::clean_for_ocr`): paper brought
/// to white, guide lines removed (rows `guide_rows` ± `half_band` px), contrast stretched
/// to the zone's own ink, box remnants removed. Specks of dust stay in the image (removing
/// them also took the dots and accents of real handwriting: median CER 0.690 against 0.663
/// on ../shared/handwriting/zones); they only never count as writing (`ink_pixels`).
pub fn clean_zone(raw: &GrayImage, guide_rows: &[f64], half_band: f64) -> GrayImage {
    clean_zone_counting_ink(raw, guide_rows, half_band).0
}

/// The cleaning of a thin band around a box (writing past it): paper to white and the
/// contrast stretched, but no border-line removal, which on a band a few millimetres high
/// would take any stroke crossing it for a printed line.
pub fn clean_band(raw: &GrayImage) -> GrayImage {
    let mut clean = raw.clone();
    normalise_paper(&mut clean);
    stretch_to_ink(&mut clean);
    clean
}

/// `clean_zone`, also returning `ink_pixels` of the result.
pub fn clean_zone_counting_ink(
    raw: &GrayImage,
    guide_rows: &[f64],
    half_band: f64,
) -> (GrayImage, usize) {
    let mut clean = raw.clone();
    flatten_paper(&mut clean);
    normalise_paper(&mut clean);
    remove_guides(&mut clean, guide_rows, half_band);
    remove_straight_lines(&mut clean);
    remove_light_blots(&mut clean);
    stretch_to_ink(&mut clean);
    clear_border_lines(&mut clean);
    let ink = ink_pixels(&clean);
    (clean, ink)
}

/// Repairs vertical streaks that a dirty scanner glass draws down the whole page: a run of
/// at most `max_width` columns whose pixels are dark over more than 60 % of the page's
/// height (no printed column of a form is) is replaced by interpolating the columns on its
/// two sides. Runs at the image's edge or wider than that (a dark lid beside the paper) are
/// left alone. Returns how many columns were repaired.
pub fn repair_streaks(img: &mut GrayImage, max_width: usize) -> usize {
    repair_streaks_undoably(img, max_width).columns()
}

/// The columns `repair_streaks_undoably` replaced, with their pixels as they were: what
/// took the dark columns of a photographed QR code for streaks can be undone.
#[derive(Debug, Default)]
pub struct StreakRepair {
    /// (first column, end column exclusive, the original pixels row by row).
    runs: Vec<(usize, usize, Vec<u8>)>,
}

impl StreakRepair {
    /// How many columns were repaired.
    pub fn columns(&self) -> usize {
        self.runs.iter().map(|(start, end, _)| end - start).sum()
    }

    /// Puts the repaired columns of `img` back as they were.
    pub fn undo(&self, img: &mut GrayImage) {
        let w = img.width() as usize;
        let raw: &mut [u8] = img;
        for (start, end, original) in &self.runs {
            let width = end - start;
            for (row, was) in raw.chunks_exact_mut(w).zip(original.chunks_exact(width)) {
                row[*start..*end].copy_from_slice(was);
            }
        }
    }
}

/// `repair_streaks`, keeping what it replaced so that it can be undone. A page without
/// streaks costs the same: nothing is kept.
pub fn repair_streaks_undoably(img: &mut GrayImage, max_width: usize) -> StreakRepair {
    let mut repair = StreakRepair::default();
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < 8 || h < 8 {
        return repair;
    }
    // The paper's level from every fourth row: a percentile needs no more, and this runs on
    // every whole page.
    let mut sample = Vec::with_capacity(w * h.div_ceil(4));
    for row in img.as_raw().chunks_exact(w).step_by(4) {
        sample.extend_from_slice(row);
    }
    let paper = percentile(&sample, 70);
    if paper < 120 {
        return repair;
    }
    let dark_below = paper.saturating_sub(50);
    let raw: &mut [u8] = img;
    // Counted row by row (walking the image column by column would miss the cache on every
    // pixel of a 30-megapixel page), without a branch, into byte counters that are emptied
    // into the totals every 255 rows: the compiler vectorises that 32 pixels at a time.
    let mut counts = vec![0u32; w];
    let mut block = vec![0u8; w];
    for rows in raw.chunks(255 * w) {
        for row in rows.chunks_exact(w) {
            for (n, p) in block.iter_mut().zip(row) {
                *n += u8::from(*p < dark_below);
            }
        }
        for (total, n) in counts.iter_mut().zip(block.iter_mut()) {
            *total += u32::from(*n);
            *n = 0;
        }
    }
    let dark_col: Vec<bool> = counts.iter().map(|&n| n as usize * 10 > h * 6).collect();
    let mut x = 1;
    while x < w - 1 {
        if !dark_col[x] {
            x += 1;
            continue;
        }
        let start = x;
        while x < w && dark_col[x] {
            x += 1;
        }
        let end = x; // exclusive
        if start == 0 || end >= w || end - start > max_width {
            continue;
        }
        let (left, right) = (start - 1, end);
        let span = (right - left) as f64;
        let mut original = Vec::with_capacity((end - start) * h);
        for row in raw.chunks_exact(w) {
            original.extend_from_slice(&row[start..end]);
        }
        repair.runs.push((start, end, original));
        for y in 0..h {
            let (a, b) = (raw[y * w + left] as f64, raw[y * w + right] as f64);
            for c in start..end {
                let t = (c - left) as f64 / span;
                raw[y * w + c] = (a + (b - a) * t).round() as u8;
            }
        }
    }
    repair
}

/// Components smaller than this (pixels at 300 dpi, about 0.2 mm²) are not counted as
/// writing when deciding whether a zone is blank: dust on a dirty scanner leaves specks of up
/// to 3 scan pixels (0.4 mm at 200 dpi), which stay in the OCR image but must never make an
/// empty answer count as a contribution. A handwritten letter is hundreds of pixels.
const MIN_INK_COMPONENT: usize = 28;

/// Which pixels of a cleaned crop are writing: darker than `level`, in components large
/// enough not to be dust (the size rule of `ink_pixels`).
pub fn writing_mask(img: &GrayImage, level: u8) -> Vec<bool> {
    let mut mask = vec![false; img.as_raw().len()];
    let w = img.width() as usize;
    for r in writing_runs(img, level) {
        mask[r.y * w + r.start..r.y * w + r.end].fill(true);
    }
    mask
}

/// Ink pixels in a cleaned crop, counting only components large enough to be writing.
pub fn ink_pixels(img: &GrayImage) -> usize {
    ink_pixels_below(img, INK_LEVEL)
}

/// Below this on the cleaned scale, a pixel may be faint writing that the stretch missed.
pub const FAINT_LEVEL: u8 = 200;

/// Ink counted at `FAINT_LEVEL`: a second look at a zone that `ink_pixels` finds blank.
/// The stretch takes the zone's ink core from its darkest pixels; dark dust specks can make
/// a zone of faint, small writing look like pen ink, which is then not stretched and stays
/// lighter than `INK_LEVEL` (seen on real handwriting pasted into slips).
pub fn faint_ink_pixels(img: &GrayImage) -> usize {
    ink_pixels_below(img, FAINT_LEVEL)
}

/// Components at least `FLAT_RATIO` times as wide as they are tall, with no more ink than
/// `FLAT_MAX_THICKNESS` pixels per column on average (at 300 dpi, 0.5 mm), do not count as
/// writing when deciding whether a zone is blank: they are what is left of a fold or a crease
/// that crosses the zone at a slant or only in part (too short or too bent for
/// `remove_straight_lines`), and of guide lines. A handwritten word has letters' upright
/// strokes in it, so more ink per column; a lone dash or underline is not an answer.
const FLAT_RATIO: usize = 3;
const FLAT_MAX_THICKNESS: usize = 6;
/// Nor do components that span less than this (pixels at 300 dpi, 1 mm) both ways: dust at
/// 200 dpi, blown up to the reading resolution and seen at `FAINT_LEVEL`, makes specks of
/// 30–60 pixels, while a letter spans 2 mm or more.
const MIN_WRITING_SPAN: usize = 12;

/// Nor do arcs of an ellipse far larger than a letter: the rim of a cup's or a drop's stain,
/// which can be as dark as pencil. The arc is fitted with a circle (Kåsa's least squares
/// on x² + y² + Dx + Ey + F = 0) of radius between these (pixels at 300 dpi, 5 and 22 mm),
/// its pixels within `RING_MAX_SPREAD` of the radius on average (a stain is an ellipse,
/// not a circle), around at least `RING_MIN_TURN` of it. Writing lies on no such circle: a
/// word's pixels scatter far from any, and a slightly bent stroke lies on a huge one but
/// turns through a few degrees only.
const RING_MIN_RADIUS: f64 = 59.0;
const RING_MAX_RADIUS: f64 = 260.0;
const RING_MAX_SPREAD: f64 = 0.1;
const RING_MIN_TURN: f64 = std::f64::consts::FRAC_PI_2;

/// The dark pixels of `img` that could be writing, for the blank decision: components of
/// `MIN_INK_COMPONENT` pixels or more, neither specks nor flat lines nor rings' arcs.
fn ink_pixels_below(img: &GrayImage, level: u8) -> usize {
    let runs = dark_runs(img, level);
    // Each component's bounding box (min x, max x end, min y, max y), by its number (the
    // index of its first run).
    let mut boxes: Vec<Option<(usize, usize, usize, usize)>> = vec![None; runs.len()];
    for &(r, size, id) in &runs {
        if size >= MIN_INK_COMPONENT {
            let b = boxes[id].get_or_insert((r.start, r.end, r.y, r.y));
            *b = (b.0.min(r.start), b.1.max(r.end), b.2.min(r.y), b.3.max(r.y));
        }
    }
    let writing = |&(_, size, id): &(Run, usize, usize)| {
        let Some((x0, x1, y0, y1)) = boxes[id] else {
            return false;
        };
        let (w, h) = (x1 - x0, y1 - y0 + 1);
        let flat = w >= FLAT_RATIO * h && size <= FLAT_MAX_THICKNESS * w;
        let speck = w.max(h) < MIN_WRITING_SPAN;
        !flat && !speck
    };
    // Only components as large as a ring's arc can be are fitted.
    let min_arc = (RING_MIN_RADIUS * RING_MIN_TURN) as usize;
    let mut arcs: Vec<Vec<(f64, f64)>> = vec![Vec::new(); runs.len()];
    for &(r, size, id) in &runs {
        let Some((x0, x1, y0, y1)) = boxes[id] else {
            continue;
        };
        if size >= MIN_INK_COMPONENT && (x1 - x0).max(y1 - y0 + 1) >= min_arc {
            arcs[id].extend((r.start..r.end).map(|x| (x as f64, r.y as f64)));
        }
    }
    let ring: Vec<bool> = arcs.iter().map(|p| !p.is_empty() && ring_arc(p)).collect();
    runs.iter()
        .filter(|r| writing(r) && !ring[r.2])
        .map(|(r, _, _)| r.end - r.start)
        .sum()
}

/// Whether `pixels` lie on an arc of a ring (the constants above).
fn ring_arc(pixels: &[(f64, f64)]) -> bool {
    let n = pixels.len() as f64;
    // Around the pixels' mean, to keep the sums small.
    let (mx, my) = pixels
        .iter()
        .fold((0.0, 0.0), |(a, b), &(x, y)| (a + x / n, b + y / n));
    let mut s = [0.0f64; 8]; // xx, xy, x, yy, y, xz, yz, z
    for &(x, y) in pixels {
        let (x, y) = (x - mx, y - my);
        let z = x * x + y * y;
        for (acc, v) in s
            .iter_mut()
            .zip([x * x, x * y, x, y * y, y, x * z, y * z, z])
        {
            *acc += v;
        }
    }
    let [xx, xy, x1, yy, y1, xz, yz, z] = s;
    let mut m = [xx, xy, x1, xy, yy, y1, x1, y1, n];
    let Some(def) = crate::geometry::solve(&mut m, &mut [-xz, -yz, -z], 3) else {
        return false;
    };
    let (d, e, f) = (def[0], def[1], def[2]);
    let (cx, cy) = (-d / 2.0, -e / 2.0);
    let r2 = cx * cx + cy * cy - f;
    if !(RING_MIN_RADIUS * RING_MIN_RADIUS..=RING_MAX_RADIUS * RING_MAX_RADIUS).contains(&r2) {
        return false;
    }
    let r = r2.sqrt();
    let (mut spread, mut angles) = (0.0, Vec::with_capacity(pixels.len()));
    for &(x, y) in pixels {
        let (dx, dy) = (x - mx - cx, y - my - cy);
        spread += (dx.hypot(dy) - r).abs() / n;
        angles.push(dy.atan2(dx));
    }
    if spread > RING_MAX_SPREAD * r {
        return false;
    }
    // How far round the circle the pixels go: all of it but the widest gap between them.
    angles.sort_by(f64::total_cmp);
    let tau = std::f64::consts::TAU;
    let wrap = angles
        .first()
        .zip(angles.last())
        .map_or(tau, |(a, b)| a + tau - b);
    let widest = angles.windows(2).map(|p| p[1] - p[0]).fold(wrap, f64::max);
    tau - widest >= RING_MIN_TURN
}

/// A run of dark pixels in one row: columns `start..end` of row `y`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    y: usize,
    start: usize,
    end: usize,
}

/// The runs of pixels darker than `level` that belong to 8-connected components of at least
/// `MIN_INK_COMPONENT` pixels: writing, not dust.
fn writing_runs(img: &GrayImage, level: u8) -> impl Iterator<Item = Run> {
    writing_strokes(img, level).map(|(run, _)| run)
}

/// `writing_runs`, each with the number of the stroke (8-connected component) it belongs to.
fn writing_strokes(img: &GrayImage, level: u8) -> impl Iterator<Item = (Run, usize)> {
    dark_runs(img, level)
        .into_iter()
        .filter(|&(_, size, _)| size >= MIN_INK_COMPONENT)
        .map(|(run, _, stroke)| (run, stroke))
}

/// Every run of pixels darker than `level`, with the size (pixels) of the 8-connected
/// component it belongs to and that component's number. Run-based labelling: each row's runs are joined, by union-find,
/// to the runs of the row above that touch them, diagonals included. Runs, not a
/// pixel-by-pixel flood fill: with three calls per answer zone, a flood fill costs 7 % of a
/// run's CPU time.
fn dark_runs(img: &GrayImage, level: u8) -> Vec<(Run, usize, usize)> {
    let w = img.width() as usize;
    if w == 0 {
        return Vec::new();
    }
    let mut runs: Vec<Run> = Vec::new();
    let mut parent: Vec<usize> = Vec::new();
    let mut above = 0..0;
    for (y, row) in img.as_raw().chunks_exact(w).enumerate() {
        let first = runs.len();
        let mut x = 0;
        while let Some(d) = row[x..].iter().position(|&p| p < level) {
            let start = x + d;
            let end = row[start..]
                .iter()
                .position(|&p| p >= level)
                .map_or(w, |n| start + n);
            parent.push(runs.len());
            runs.push(Run { y, start, end });
            x = end;
            if x >= w {
                break;
            }
        }
        // Runs of both rows are in column order: one pass joins each run to the runs above
        // that touch it (a.start <= b.end and b.start <= a.end, ends exclusive).
        let mut i = above.start;
        for j in first..runs.len() {
            while i < above.end && runs[i].end < runs[j].start {
                i += 1;
            }
            let mut k = i;
            while k < above.end && runs[k].start <= runs[j].end {
                union(&mut parent, k, j);
                k += 1;
            }
        }
        above = first..runs.len();
    }
    let mut size = vec![0usize; runs.len()];
    for (i, r) in runs.iter().enumerate() {
        size[find(&mut parent, i)] += r.end - r.start;
    }
    (0..runs.len())
        .map(|i| {
            let root = find(&mut parent, i);
            (runs[i], size[root], root)
        })
        .collect()
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        parent[ra.max(rb)] = ra.min(rb);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A pixel-by-pixel flood fill: the reference `dark_runs` must agree with.
    fn for_each_component(img: &GrayImage, level: u8, mut f: impl FnMut(&[usize])) {
        let (w, h) = (img.width() as usize, img.height() as usize);
        let raw = img.as_raw();
        let mut seen = vec![false; w * h];
        let mut stack = Vec::new();
        let mut component = Vec::new();
        for start in 0..w * h {
            if raw[start] >= level || seen[start] {
                continue;
            }
            seen[start] = true;
            stack.push(start);
            component.clear();
            while let Some(i) = stack.pop() {
                component.push(i);
                let (x, y) = ((i % w) as i64, (i / w) as i64);
                for (dx, dy) in [
                    (-1, -1),
                    (0, -1),
                    (1, -1),
                    (-1, 0),
                    (1, 0),
                    (-1, 1),
                    (0, 1),
                    (1, 1),
                ] {
                    let (nx, ny) = (x + dx, y + dy);
                    if nx < 0 || ny < 0 || nx >= w as i64 || ny >= h as i64 {
                        continue;
                    }
                    let j = ny as usize * w + nx as usize;
                    if !seen[j] && raw[j] < level {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
            f(&component);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Run-based labelling finds exactly the flood fill's writing pixels, at every level,
        /// on speckled images (many small and touching components, diagonals, edges).
        #[test]
        fn runs_find_the_same_writing_as_a_flood_fill(
            w in 1u32..60, h in 1u32..40, seed in any::<u64>(), level in 1u8..255,
        ) {
            let mut state = seed | 1;
            let img = GrayImage::from_fn(w, h, |_, _| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                image::Luma([(state % 256) as u8])
            });
            let mut flood = vec![false; (w * h) as usize];
            let mut counted = 0;
            for_each_component(&img, level, |c| {
                if c.len() >= MIN_INK_COMPONENT {
                    for &i in c {
                        flood[i] = true;
                    }
                    let xs = c.iter().map(|&i| i % w as usize);
                    let ys = c.iter().map(|&i| i / w as usize);
                    let bw = xs.clone().max().unwrap_or(0) - xs.min().unwrap_or(0) + 1;
                    let bh = ys.clone().max().unwrap_or(0) - ys.min().unwrap_or(0) + 1;
                    let flat = bw >= FLAT_RATIO * bh && c.len() <= FLAT_MAX_THICKNESS * bw;
                    if !flat && bw.max(bh) >= MIN_WRITING_SPAN {
                        counted += c.len();
                    }
                }
            });
            prop_assert_eq!(writing_mask(&img, level), flood.clone());
            prop_assert_eq!(ink_pixels_below(&img, level), counted);
        }
    }

    #[test]
    fn normalising_brings_paper_to_white() {
        let mut img = GrayImage::from_fn(100, 100, |x, _| {
            image::Luma([if x < 10 { 40 } else { 220 }])
        });
        normalise_paper(&mut img);
        assert_eq!(img.get_pixel(50, 50).0[0], 255);
        assert!(img.get_pixel(5, 5).0[0] < 50);
    }

    /// A white zone with the pixels for which `ink` holds painted grey `level`.
    fn painted(w: u32, h: u32, level: u8, ink: impl Fn(f64, f64) -> bool) -> GrayImage {
        GrayImage::from_fn(w, h, |x, y| {
            image::Luma([if ink(x as f64, y as f64) { level } else { 255 }])
        })
    }

    #[test]
    fn the_rim_of_a_stain_is_not_writing() {
        // Half of an elliptical rim 1 mm thick, 26 by 20 mm, as dark as pencil.
        let rim = painted(500, 300, 150, |x, y| {
            let (dx, dy) = ((x - 250.0) / 150.0, (y - 20.0) / 120.0);
            let r = dx.hypot(dy);
            y >= 20.0 && (0.93..=1.0).contains(&r)
        });
        assert_eq!(ink_pixels_below(&rim, FAINT_LEVEL), 0);
        // A round letter written large (a capital O 6 mm high) stays writing.
        let letter = painted(200, 200, 150, |x, y| {
            (30.0..36.0).contains(&(x - 100.0).hypot(y - 100.0))
        });
        assert!(ink_pixels_below(&letter, FAINT_LEVEL) > 500);
    }

    #[test]
    fn a_wavy_line_of_writing_lies_on_no_ring() {
        // Cursive-like loops: two strokes crossing up and down every 4 mm along 40 mm,
        // 0.5 mm thick.
        let word = painted(520, 120, 150, |x, y| {
            let wave = 25.0 * (x / 15.0).sin();
            (10.0..490.0).contains(&x)
                && ((y - 60.0 - wave).abs() < 3.0 || (y - 60.0 + wave).abs() < 3.0)
        });
        assert!(ink_pixels_below(&word, FAINT_LEVEL) > 2000);
        // A long stroke bent a little lies on a huge circle and turns by a few degrees.
        let stroke = painted(520, 200, 150, |x, y| {
            (10.0..490.0).contains(&x) && (y - 100.0 - (x - 250.0).powi(2) / 4000.0).abs() < 3.0
        });
        assert!(!ring_arc(
            &(0..520)
                .flat_map(|x| (0..200).map(move |y| (x as f64, y as f64)))
                .filter(|&(x, y)| stroke.get_pixel(x as u32, y as u32)[0] < 200)
                .collect::<Vec<_>>()
        ));
    }

    #[test]
    fn dark_dust_does_not_hide_faint_writing() {
        // Faint strokes (grey 170) and a few black specks of dust: the specks must not set
        // the ink's grey, or the strokes stay light and the answer looks blank.
        let mut img = GrayImage::from_pixel(400, 100, image::Luma([245]));
        for stroke in 0..8 {
            let x0 = 20 + stroke * 40;
            for y in 30..70 {
                for x in x0..x0 + 3 {
                    img.put_pixel(x, y, image::Luma([110]));
                }
            }
        }
        // 60 specks of 2 x 2 pixels: a fifth of the dark pixels, as on a dusty scanner glass.
        for i in 0..60 {
            let (x, y) = (6 + (i % 20) * 19, 8 + (i / 20) * 40);
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                img.put_pixel(x + dx, y + dy, image::Luma([10]));
            }
        }
        let (_, ink) = clean_zone_counting_ink(&img, &[], 0.0);
        assert!(ink >= 8 * 3 * 40 * 9 / 10, "strokes counted as ink: {ink}");
        // A blank zone with the same dust has no ink, faint or not.
        let mut blank = GrayImage::from_pixel(400, 100, image::Luma([245]));
        for (x, y) in [(5, 5), (390, 90), (200, 10)] {
            blank.put_pixel(x, y, image::Luma([10]));
        }
        let (clean, ink) = clean_zone_counting_ink(&blank, &[], 0.0);
        assert_eq!((ink, faint_ink_pixels(&clean)), (0, 0));
    }

    #[test]
    fn guide_lines_go_but_faint_pencil_across_them_stays_and_darkens() {
        let mut img = GrayImage::from_pixel(200, 100, image::Luma([250]));
        for x in 0..200 {
            img.put_pixel(x, 50, image::Luma([200]));
            img.put_pixel(x, 51, image::Luma([190]));
        }
        // A faint pencil stroke crossing the line, as light as 150.
        for y in 30..70 {
            img.put_pixel(100, y, image::Luma([150]));
            img.put_pixel(101, y, image::Luma([150]));
        }
        let clean = clean_zone(&img, &[50.5], 3.0);
        assert_eq!(clean.get_pixel(20, 50).0[0], 255, "the guide line is gone");
        assert_eq!(
            clean.get_pixel(100, 50).0[0],
            0,
            "the pencil crossing it is ink, stretched to black"
        );
        assert_eq!(clean.get_pixel(100, 35).0[0], 0);
        assert_eq!(ink_pixels(&clean), 80);
        // Dust beside it is not writing.
        let mut dusty = clean.clone();
        for x in [10, 30, 50] {
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1), (2, 0), (2, 1)] {
                dusty.put_pixel(x + dx, 10 + dy, image::Luma([0]));
            }
        }
        assert_eq!(ink_pixels(&dusty), 80);
    }

    #[test]
    fn a_faint_pencil_line_below_a_pen_line_is_stretched_on_its_own() {
        // Strokes of a pen line (grey 40) above, of a faint pencil line (grey 195, lighter
        // than lines are found at) below, and a light speck of dust in the pencil's rows.
        let mut img = GrayImage::from_pixel(400, 200, image::Luma([250]));
        for stroke in 0..8 {
            let x0 = 20 + stroke * 40;
            for x in x0..x0 + 3 {
                for y in 20..60 {
                    img.put_pixel(x, y, image::Luma([40]));
                }
                for y in 120..160 {
                    img.put_pixel(x, y, image::Luma([195]));
                }
            }
        }
        img.put_pixel(380, 140, image::Luma([195]));
        let clean = clean_zone(&img, &[], 0.0);
        let pen = clean.get_pixel(21, 40).0[0];
        assert!((35..50).contains(&pen), "pen ink is not stretched: {pen}");
        assert!(
            clean.get_pixel(21, 140).0[0] < INK_LEVEL,
            "pencil strokes become ink: {}",
            clean.get_pixel(21, 140).0[0]
        );
        assert!(
            clean.get_pixel(380, 140).0[0] > 190,
            "the speck stays light"
        );
        assert_eq!(ink_pixels(&clean), 2 * 8 * 3 * 40);
    }

    #[test]
    fn a_fainter_pencil_line_reaching_into_a_light_pen_lines_rows_is_stretched_on_its_own() {
        // A light pen line (grey 120: the zone gets stretched from it) and, below, a pencil
        // line at grey 210 whose ascenders reach up into the pen line's rows, so that no
        // band of empty rows parts the two. Through the zone's stretch the pencil would stay
        // at about 190, lighter than lines are found at.
        let mut img = GrayImage::from_pixel(400, 200, image::Luma([250]));
        for stroke in 0..8 {
            let x0 = 20 + stroke * 40;
            for x in x0..x0 + 3 {
                for y in 20..70 {
                    img.put_pixel(x, y, image::Luma([120]));
                }
                for y in 100..140 {
                    img.put_pixel(x + 15, y, image::Luma([210]));
                }
                for y in 60..100 {
                    img.put_pixel(x + 30, y, image::Luma([210]));
                }
            }
        }
        let clean = clean_zone(&img, &[], 0.0);
        assert!(clean.get_pixel(21, 40).0[0] < 10, "the pen is stretched");
        for (x, y) in [(36, 120), (51, 80)] {
            let pencil = clean.get_pixel(x, y).0[0];
            assert!(pencil < INK_LEVEL, "pencil strokes become ink: {pencil}");
        }
    }

    #[test]
    fn noise_alone_is_never_stretched_into_ink() {
        // Paper with σ≈8 noise and a few dust specks.
        let mut rng = 12345u32;
        let mut img = GrayImage::from_fn(400, 300, |_, _| {
            rng = rng.wrapping_mul(1664525).wrapping_add(1013904223);
            image::Luma([(235 + (rng >> 24) % 20) as u8])
        });
        img.put_pixel(10, 10, image::Luma([0]));
        img.put_pixel(200, 100, image::Luma([30]));
        let clean = clean_zone(&img, &[], 0.0);
        assert_eq!(ink_pixels(&clean), 0);
    }

    #[test]
    fn a_streak_down_the_page_is_repaired_but_not_the_lid_or_a_stroke() {
        let mut img = GrayImage::from_pixel(200, 300, image::Luma([240]));
        for y in 0..300 {
            for x in 100..103 {
                img.put_pixel(x, y, image::Luma([90]));
            }
            for x in 0..20 {
                img.put_pixel(x, y, image::Luma([40]));
            }
        }
        // A printed vertical stroke over a third of the height stays.
        for y in 0..100 {
            img.put_pixel(150, y, image::Luma([20]));
        }
        assert_eq!(repair_streaks(&mut img, 12), 3);
        assert_eq!(img.get_pixel(101, 150).0[0], 240);
        assert_eq!(img.get_pixel(5, 150).0[0], 40);
        assert_eq!(img.get_pixel(150, 50).0[0], 20);
    }

    #[test]
    fn a_streak_repair_is_undone_exactly() {
        let mut img = GrayImage::from_fn(60, 40, |x, y| {
            image::Luma([(200 + (x * 7 + y * 3) % 50) as u8])
        });
        for y in 0..40 {
            img.put_pixel(30, y, image::Luma([20]));
            img.put_pixel(31, y, image::Luma([25 + y as u8]));
        }
        let before = img.clone();
        let repair = repair_streaks_undoably(&mut img, 12);
        assert_eq!(repair.columns(), 2);
        assert_ne!(img, before);
        repair.undo(&mut img);
        assert_eq!(img, before);
    }

    #[test]
    fn box_stroke_at_the_edge_is_removed() {
        let mut img = GrayImage::from_pixel(300, 200, image::Luma([255]));
        for x in 0..300 {
            img.put_pixel(x, 1, image::Luma([30]));
        }
        for y in 0..200 {
            img.put_pixel(298, y, image::Luma([30]));
        }
        let clean = clean_zone(&img, &[], 0.0);
        assert_eq!(ink_pixels(&clean), 0);
    }

    #[test]
    fn a_fold_across_the_zone_goes_but_writing_across_it_stays() {
        // A zone at 300 dpi: a fold askew by 1.5°, its crease darker than paper and a
        // 2 mm shadow below it; a pen stroke crosses it, a word lies elsewhere.
        let (w, h) = (1200u32, 500u32);
        let mut img = GrayImage::from_pixel(w, h, image::Luma([245]));
        let slope = 1.5f64.to_radians().tan();
        for x in 0..w {
            let y0 = 200.0 + slope * x as f64;
            for y in 0..h {
                let d = y as f64 - y0;
                let f = if d.abs() <= 1.5 {
                    0.6
                } else if d > 0.0 && d < 24.0 {
                    0.85 + 0.15 * d / 24.0
                } else {
                    continue;
                };
                let p = img.get_pixel_mut(x, y);
                p.0[0] = (p.0[0] as f64 * f) as u8;
            }
        }
        for y in 150..280 {
            for x in 600..606 {
                img.put_pixel(x, y, image::Luma([40]));
            }
        }
        for y in 380..400 {
            for x in 100..300 {
                if (x / 7) % 2 == 0 {
                    img.put_pixel(x, y, image::Luma([110]));
                }
            }
        }
        let (clean, _) = clean_zone_counting_ink(&img, &[], 10.0);
        let ink = |x0: u32, x1: u32, y0: u32, y1: u32| {
            (y0..y1)
                .flat_map(|y| (x0..x1).map(move |x| (x, y)))
                .filter(|&(x, y)| clean.get_pixel(x, y).0[0] < INK_LEVEL)
                .count()
        };
        assert_eq!(
            ink(0, 550, 150, 260),
            0,
            "the fold is gone left of the stroke"
        );
        assert_eq!(ink(660, w, 150, 260), 0, "and right of it");
        assert!(ink(600, 606, 150, 280) > 600, "the pen stroke stays whole");
        assert!(ink(100, 300, 380, 400) > 1500, "the word stays");
    }
}
