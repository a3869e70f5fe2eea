//! Splitting a cleaned answer zone into lines of writing, so that each is read the way the
//! handwriting model was trained: one raw line at a time (Tesseract's page-segmentation
//! mode 13). Tesseract's own layout analysis, given a whole handwritten zone, merges lines,
//! drops short ones and reads one line in six as nothing.
//!
//! The slip says where writing sits: citizens write on the grey guide lines printed every
//! 10 mm. But people also write across them, in large letters, or on a zone with no guides
//! (and `urnscan ocr` reads arbitrary crops). So the lines come from the ink itself: rows of
//! writing separated by empty rows are lines; a run of rows taller than one line (descenders
//! touching the next line's capitals) is cut at its emptiest row near where the guides say a
//! line ends, or near every line pitch when there are no guides.

use image::GrayImage;

use super::ink::writing_mask;

/// One line of writing: rows `top..bottom`, columns `left..right` of the zone image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineBox {
    pub top: u32,
    pub bottom: u32,
    pub left: u32,
    pub right: u32,
}

impl LineBox {
    pub fn height(&self) -> u32 {
        self.bottom - self.top
    }
}

/// Where the lines of `img` (a cleaned zone, ink dark on white) are. `baselines` are the
/// guide lines' rows in the image, if the form has any; `px_per_mm` its resolution. Lines
/// come out top to bottom; an empty zone has none.
pub fn find_lines(img: &GrayImage, baselines: &[f64], px_per_mm: f64) -> Vec<LineBox> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w == 0 || h == 0 {
        return Vec::new();
    }
    let mask = writing_mask(img, LINE_INK_LEVEL);
    let profile: Vec<usize> = mask
        .chunks_exact(w)
        .map(|row| row.iter().filter(|&&m| m).count())
        .collect();
    let pitch = line_pitch(baselines)
        .or_else(|| measured_pitch(&profile, px_per_mm))
        .unwrap_or(DEFAULT_PITCH_MM * px_per_mm);

    // Runs of rows with writing; a gap thinner than an i's dot to its stem stays inside.
    let max_gap = (MAX_GAP_IN_LINE_MM * px_per_mm).round() as usize;
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut y = 0;
    while y < h {
        if profile[y] == 0 {
            y += 1;
            continue;
        }
        let start = y;
        let mut end = y + 1;
        let mut gap = 0;
        y += 1;
        while y < h && gap <= max_gap {
            if profile[y] > 0 {
                end = y + 1;
                gap = 0;
            } else {
                gap += 1;
            }
            y += 1;
        }
        match runs.last_mut() {
            Some(last) if start.saturating_sub(last.1) <= max_gap => last.1 = end,
            _ => runs.push((start, end)),
        }
        y = end;
    }

    let runs = merge_slivers(runs, pitch);
    let mut bands = Vec::new();
    for (top, bottom) in runs {
        split_run(&profile, top, bottom, baselines, pitch, &mut bands);
    }
    let min_ink = (MIN_LINE_INK_MM2 * px_per_mm * px_per_mm) as usize;
    bands
        .into_iter()
        .filter_map(|(top, bottom)| {
            let ink: usize = profile[top..bottom].iter().sum();
            if ink < min_ink {
                return None;
            }
            let band = &mask[top * w..bottom * w];
            let (mut left, mut right) = (w, 0);
            for row in band.chunks_exact(w) {
                if let Some(x) = row.iter().position(|&m| m) {
                    left = left.min(x);
                }
                if let Some(x) = row.iter().rposition(|&m| m) {
                    right = right.max(x + 1);
                }
            }
            if left >= right || ((bottom - top) as f64) < MIN_LINE_HEIGHT_MM * px_per_mm {
                return None;
            }
            Some(LineBox {
                top: top as u32,
                bottom: bottom as u32,
                left: left as u32,
                right: right as u32,
            })
        })
        .collect()
}

/// A band thinner than this is a rule of lined paper, an underline or a dash, not a line
/// of writing (a lowercase letter alone stands about 2 mm): read as a line, a rule of the
/// lined paper in `../shared/handwriting/zones` came back as a hundred characters of
/// garbage. A zone whose only ink is such a band is then flagged `no_text`.
const MIN_LINE_HEIGHT_MM: f64 = 1.2;

/// Where lines are, the faint edges of strokes count too: a fine ballpoint scanned at low
/// resolution leaves strokes that are grey, not black (on real lines of
/// ../shared/handwriting most stroke pixels lie between 128 and 224 after cleaning).
const LINE_INK_LEVEL: u8 = 190;
/// A run of writing shorter than this many pitches is a sliver, not a line (lowercase
/// letters alone stand about 0.3 pitch tall, so a real line is taller).
const SLIVER_PITCHES: f64 = 0.3;
/// Line pitch when the guides do not say: the slips' 10 mm, about a school exercise book's.
const DEFAULT_PITCH_MM: f64 = 10.0;
/// Empty rows inside one line of writing: an accent or the dot of an i over its letter.
const MAX_GAP_IN_LINE_MM: f64 = 0.8;
/// Less writing than this in a band is a stray mark (a full stop, a tick that strayed), not
/// a line worth reading: a single handwritten letter has 2–4 mm².
const MIN_LINE_INK_MM2: f64 = 1.0;
/// A run of rows is one line up to this many pitches tall: capitals and descenders make a
/// line up to about 1.3 pitches.
const MAX_LINE_PITCHES: f64 = 1.45;

fn line_pitch(baselines: &[f64]) -> Option<f64> {
    let mut steps: Vec<f64> = baselines
        .windows(2)
        .map(|p| p[1] - p[0])
        .filter(|d| *d > 0.0)
        .collect();
    if steps.is_empty() {
        return None;
    }
    steps.sort_by(f64::total_cmp);
    Some(steps[steps.len() / 2])
}

/// The spacing of lines of writing, from the rows' ink alone: the shift (between 6 and
/// 20 mm) at which the ink profile best matches itself. None for a zone too short to say.
fn measured_pitch(profile: &[usize], px_per_mm: f64) -> Option<f64> {
    let (lo, hi) = ((6.0 * px_per_mm) as usize, (20.0 * px_per_mm) as usize);
    let n = profile.len();
    if n < 3 * lo {
        return None;
    }
    let mean = profile.iter().sum::<usize>() as f64 / n as f64;
    let centred: Vec<f64> = profile.iter().map(|&v| v as f64 - mean).collect();
    let energy: f64 = centred.iter().map(|v| v * v).sum();
    if energy == 0.0 {
        return None;
    }
    let score = |lag: usize| {
        let s: f64 = centred[..n - lag]
            .iter()
            .zip(&centred[lag..])
            .map(|(a, b)| a * b)
            .sum();
        s / (n - lag) as f64
    };
    let scores: Vec<f64> = (lo..=hi.min(n / 2)).map(score).collect();
    let top = scores.iter().copied().fold(f64::MIN, f64::max);
    // A profile repeating every p also matches itself at 2p and 3p: the pitch is the first
    // peak nearly as good as the best one. No clear correlation: no answer.
    if top <= 0.05 * energy / n as f64 {
        return None;
    }
    let peak = (1..scores.len().saturating_sub(1)).find(|&i| {
        scores[i] >= 0.8 * top && scores[i] >= scores[i - 1] && scores[i] >= scores[i + 1]
    })?;
    Some((lo + peak) as f64)
}

/// Cuts rows `top..bottom` into lines when they are too tall for one. With guide lines, a
/// cut goes at the emptiest row a little under each guide (descenders hang below it, the
/// next line's capitals stop above the next one). Without, each cut goes at the emptiest
/// row between 0.55 and 1.45 pitches under the previous one, so that cuts follow lines
/// whose spacing drifts down the page.
fn split_run(
    profile: &[usize],
    top: usize,
    bottom: usize,
    baselines: &[f64],
    pitch: f64,
    out: &mut Vec<(usize, usize)>,
) {
    if ((bottom - top) as f64) <= MAX_LINE_PITCHES * pitch {
        out.push((top, bottom));
        return;
    }
    // Guided cuts look in a narrow window, where the thinnest row is the place; free cuts
    // look across a whole line, where a smoothed profile finds the gap rather than a
    // lucky thin row inside a word.
    let rows = if baselines.is_empty() {
        smoothed(&profile[top..bottom], (0.08 * pitch) as usize)
    } else {
        profile[top..bottom].to_vec()
    };
    // The emptiest row of lo..=hi (relative to `top`), the nearest to `aim` among equals.
    let emptiest =
        |lo: usize, hi: usize, aim: usize| (lo..=hi).min_by_key(|&y| (rows[y], y.abs_diff(aim)));
    let len = bottom - top;
    let margin = (0.4 * pitch) as usize;
    let mut start = 0;
    if baselines.is_empty() {
        while (len - start) as f64 > MAX_LINE_PITCHES * pitch {
            let lo = start + (0.55 * pitch) as usize;
            let hi = (start + (1.45 * pitch) as usize).min(len - margin);
            if lo >= hi {
                break;
            }
            let Some(cut) = emptiest(lo, hi, start + pitch as usize) else {
                break;
            };
            out.push((top + start, top + cut));
            start = cut;
        }
    } else {
        let window = (0.25 * pitch) as usize;
        for b in baselines {
            let aim = (b + 0.3 * pitch).round() as usize;
            let Some(aim) = aim.checked_sub(top) else {
                continue;
            };
            if aim < start + margin || aim + margin > len {
                continue;
            }
            let (lo, hi) = (
                aim.saturating_sub(window).max(start + 1),
                (aim + window).min(len - 1),
            );
            if let Some(cut) = emptiest(lo, hi, aim) {
                out.push((top + start, top + cut));
                start = cut;
            }
        }
    }
    out.push((top + start, bottom));
}

/// Joins a run too short to be a line of writing (a row of accents or i-dots, the tail of
/// a descender, a crossing stroke) to its nearer neighbour, when the two still fit in one
/// line: read alone it would come out as stray characters.
fn merge_slivers(mut runs: Vec<(usize, usize)>, pitch: f64) -> Vec<(usize, usize)> {
    let sliver = (SLIVER_PITCHES * pitch) as usize;
    let fits = |a: (usize, usize), b: (usize, usize)| {
        ((b.1.max(a.1) - a.0.min(b.0)) as f64) <= MAX_LINE_PITCHES * pitch
    };
    let mut i = 0;
    while i < runs.len() {
        let r = runs[i];
        if r.1 - r.0 >= sliver {
            i += 1;
            continue;
        }
        let above = (i > 0).then(|| (r.0 - runs[i - 1].1, i - 1));
        let below = (i + 1 < runs.len()).then(|| (runs[i + 1].0 - r.1, i + 1));
        let mut candidates: Vec<(usize, usize)> = above.into_iter().chain(below).collect();
        candidates.sort();
        match candidates.into_iter().find(|&(_, j)| fits(runs[j], r)) {
            Some((_, j)) => {
                let (lo, hi) = (runs[j].0.min(r.0), runs[j].1.max(r.1));
                runs[j] = (lo, hi);
                runs.remove(i);
                // The merged run may itself be short: look at it again.
                i = i.min(j);
            }
            None => i += 1,
        }
    }
    runs
}

/// A moving average over 2r + 1 rows, scaled to stay in integers.
fn smoothed(profile: &[usize], r: usize) -> Vec<usize> {
    (0..profile.len())
        .map(|y| {
            let (lo, hi) = (y.saturating_sub(r), (y + r + 1).min(profile.len()));
            profile[lo..hi].iter().sum::<usize>() * 16 / (hi - lo)
        })
        .collect()
}

/// The line's pixels with a white margin around the writing, as the training lines have.
pub fn line_image(img: &GrayImage, line: &LineBox) -> GrayImage {
    let pad = (line.height() / 8).max(4);
    let (w, h) = (line.right - line.left + 2 * pad, line.height() + 2 * pad);
    let mut out = GrayImage::from_pixel(w, h, image::Luma([255]));
    let (iw, ow) = (img.width() as usize, w as usize);
    let (left, right, pad) = (line.left as usize, line.right as usize, pad as usize);
    for (k, y) in (line.top as usize..line.bottom as usize).enumerate() {
        let from = &img.as_raw()[y * iw + left..y * iw + right];
        let to = (k + pad) * ow + pad;
        out.as_mut()[to..to + from.len()].copy_from_slice(from);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    /// A zone 300 px wide with "writing" (solid blocks standing for words) in the given
    /// row ranges.
    fn zone(h: u32, inked: &[(u32, u32)]) -> GrayImage {
        let mut img = GrayImage::from_pixel(300, h, Luma([255]));
        for &(top, bottom) in inked {
            for y in top..bottom {
                for x in 40..200 {
                    img.put_pixel(x, y, Luma([20]));
                }
            }
        }
        img
    }

    #[test]
    fn separate_lines_are_found_top_to_bottom() {
        // 10 px/mm: lines 4 mm tall, 10 mm apart.
        let img = zone(400, &[(60, 100), (160, 200), (260, 300)]);
        let lines = find_lines(&img, &[], 10.0);
        let rows: Vec<(u32, u32)> = lines.iter().map(|l| (l.top, l.bottom)).collect();
        assert_eq!(rows, vec![(60, 100), (160, 200), (260, 300)]);
        assert!(lines.iter().all(|l| l.left == 40 && l.right == 200));
    }

    #[test]
    fn an_empty_zone_has_no_lines() {
        assert!(find_lines(&zone(300, &[]), &[100.0, 200.0], 10.0).is_empty());
    }

    #[test]
    fn touching_lines_are_cut_under_the_guide() {
        // Writing from 20 to 290 without a break, with a thin waist just under each guide.
        let mut img = zone(300, &[(20, 290)]);
        for y in [112u32, 113, 212, 213] {
            for x in 60..200 {
                img.put_pixel(x, y, Luma([255]));
            }
        }
        let lines = find_lines(&img, &[100.0, 200.0], 10.0);
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!((110..=115).contains(&lines[0].bottom), "{lines:?}");
        assert!((210..=215).contains(&lines[1].bottom), "{lines:?}");
    }

    #[test]
    fn specks_are_not_lines() {
        let mut img = zone(200, &[(50, 90)]);
        for (x, y) in [(10, 150), (250, 160), (100, 170)] {
            img.put_pixel(x, y, Luma([0]));
        }
        assert_eq!(find_lines(&img, &[], 10.0).len(), 1);
    }

    #[test]
    fn a_ruled_line_is_not_a_line_of_writing() {
        // 10 px/mm: a 0.8 mm rule across the zone is no line; 1.5 mm of small writing is.
        let mut img = zone(120, &[]);
        for x in 0..300 {
            for y in 95..103 {
                img.put_pixel(x, y, Luma([40]));
            }
        }
        assert_eq!(find_lines(&img, &[], 10.0), vec![]);
        let small = zone(120, &[(50, 65)]);
        assert_eq!(find_lines(&small, &[], 10.0).len(), 1);
    }

    #[test]
    fn a_line_image_has_a_white_margin() {
        let img = zone(100, &[(30, 70)]);
        let lines = find_lines(&img, &[], 10.0);
        let crop = line_image(&img, &lines[0]);
        assert_eq!(crop.height(), 40 + 2 * 5);
        assert_eq!(crop.get_pixel(0, 0)[0], 255);
        assert_eq!(crop.get_pixel(5, 5)[0], 20);
    }
}
