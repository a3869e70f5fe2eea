//! Identity from print: a slip whose QR code is torn off or blotted is still a slip of the
//! campaign when its registration marks and printed text say so.
//!
//! The three marks are searched anywhere on the page (filled squares whose positions fit a
//! form's layout up to a rotation and a scale), they register the form, and Tesseract's print
//! model reads the small printed zones the layout places: the title, the footer's serial, the
//! urn line and, on a one-question slip, the question's label. Each is compared with what the
//! campaign would print there. The identity is taken only when every one agrees with exactly
//! one value of the registries; otherwise the page stays `no_qr`, and what was read goes to
//! its `detail`. Nothing here guesses: a digit misread is a refusal, not a correction.

use image::GrayImage;

use super::register::{register_by_marks, Registration};
use crate::campaign::{Campaign, Form, Payload, PrintValues, QrQuestion};
use crate::eval::edit_distance;
use crate::geometry::Homography;
use crate::read::crop::crop;
use crate::recognize::tesseract::{Symbol, TesseractEngine};
use crate::recognize::{Engines, OcrError, OcrModel, Recognizer};
use crate::text::normalise;

/// A slip identified from its print.
pub struct PrintedIdentity<'c> {
    pub form: &'c Form,
    pub payload: Payload,
    pub reg: Registration,
    /// What was read, for the page's detail.
    pub read: String,
}

/// The resolution printed zones are cropped at for Tesseract: 6.5 pt text is then about
/// 20 px high, in the range its print model reads best.
const PRINT_DPI: f64 = 300.0;
/// The search for marks runs on the page shrunk to at most this many pixels on its longer
/// side: a 5 mm mark is still 20 px across on an A4 bed.
const SEARCH_SIDE_PX: u32 = 1200;
/// Darker than this (0–255) is printed black on the shrunk page.
const DARK: u8 = 110;
/// The furthest a mark may lie from where the other two and the layout put it, mm.
const MARK_FIT_MM: f64 = 1.2;
/// Differences (edit distance over the expected text's length) up to which a printed line
/// is taken for the expected one: Tesseract's print model misreads a character or two of a
/// 6.5 pt line on a grey scan, never a third of it.
const TEXT_MATCH: f64 = 0.25;
/// A question label is taken only when every other label differs by this much more.
const LABEL_MARGIN: f64 = 0.15;
/// An urn is taken only when every other urn's line differs by this much more (two urns
/// whose names differ by one word of four letters, in a 40-character line: 0.1).
const URN_MARGIN: f64 = 0.05;
/// A serial is taken only when any other run of digits in the footer makes it read this
/// much worse (a serial's worth of digits out of a 100-character footer: 0.06).
const SERIAL_MARGIN: f64 = 0.04;
/// A serial digit whose second-best reading reaches this confidence (0–100) is in doubt.
/// Clear print leaves the alternatives of a digit at 0; a 0 with a speck of dust at its
/// foot reads 9 with 0 at 41.
const DIGIT_DOUBT: f32 = 20.0;
/// The footer's second reading is made at this many times `PRINT_DPI`.
const SECOND_READING: f64 = 1.5;
/// How many placements of the marks are checked against the print, best fit first.
const PLACEMENTS_TRIED: usize = 3;

/// Identifies a page with no readable QR code from its marks and print, or says why not
/// (what was found and read). `model` (Tesseract's print model) is taken from this
/// worker's `engines` only when the marks of a form are found: a letter or a flyer costs no
/// model loading.
pub fn identify_from_print<'c>(
    campaign: &'c Campaign,
    img: &GrayImage,
    engines: &mut Engines,
    model: &OcrModel,
) -> Result<PrintedIdentity<'c>, String> {
    let squares = dark_squares(img);
    let placements = place_forms(campaign, &squares);
    if placements.is_empty() {
        return Err(format!(
            "no form's three registration marks found ({} filled square(s) on the page)",
            squares.len()
        ));
    }
    let Recognizer::Tesseract(engine) = engines
        .get(model)
        .map_err(|e| format!("the print model cannot read: {e}"))?
    else {
        return Err(format!("{} is not a Tesseract print model", model.label()));
    };
    let mut refusals = Vec::new();
    for (form, approx) in placements.into_iter().take(PLACEMENTS_TRIED) {
        let Some(reg) = register_by_marks(img, form, &approx) else {
            refusals.push(format!(
                "{}: marks not found again at full resolution",
                form.id
            ));
            continue;
        };
        match read_identity(campaign, form, img, &reg, engine) {
            Ok((payload, read)) => {
                return Ok(PrintedIdentity {
                    form,
                    payload,
                    reg,
                    read,
                })
            }
            Err(why) => refusals.push(why),
        }
    }
    Err(format!(
        "not identified from print: {}",
        refusals.join("; ")
    ))
}

/// What the print of `form`, registered by `reg`, says: the payload it stands for, and the
/// words for the detail. Fails at the first zone that disagrees.
fn read_identity(
    campaign: &Campaign,
    form: &Form,
    img: &GrayImage,
    reg: &Registration,
    engine: &mut TesseractEngine,
) -> Result<(Payload, String), String> {
    // The print item holding `placeholder`: its template, and its zone cut at `dpi`.
    let zone_at = |placeholder: &str, dpi: f64| {
        form.prints
            .iter()
            .find(|p| p.text.contains(placeholder))
            .map(|item| {
                (
                    item.text.as_str(),
                    crop(img, &reg.map, &item.rect.grow(1.0), dpi),
                )
            })
    };
    let failed = |e: OcrError| format!("print model failed: {e}");
    let read_at = |engine: &mut TesseractEngine,
                   placeholder: &str,
                   dpi: f64|
     -> Result<Option<(&str, String)>, String> {
        let Some((template, zone)) = zone_at(placeholder, dpi) else {
            return Ok(None);
        };
        let read = engine.read_block(&zone, dpi as u32).map_err(failed)?;
        Ok(Some((template, normalise(&read.text))))
    };
    let empty = PrintValues {
        urn_id: "",
        urn_name: "",
        question_id: "",
        serial: "",
    };

    // The title says the page is one of the campaign's forms at all.
    if let Some((template, title)) = read_at(engine, "{title}", PRINT_DPI)? {
        let want = campaign.print_text(template, &empty)?;
        if difference(&title, &want) > TEXT_MATCH {
            return Err(format!("{}: title read as {title:?}", form.id));
        }
    }

    // The serial: the run of the campaign's serial digits that makes the footer read as
    // printed, clearly better than any other run (a phone number's digits read together).
    // Nothing else on the page confirms a serial's digits, so the footer is read twice, at
    // two resolutions, and both readings must give the same serial, each digit without a
    // close second reading: a speck of dust that turns a 0 into a 9 leaves the network
    // hesitating between the two.
    let mut serial = None;
    for dpi in [PRINT_DPI, PRINT_DPI * SECOND_READING] {
        let (template, zone) = zone_at("{serial}", dpi)
            .ok_or_else(|| format!("{}: the layout prints no serial", form.id))?;
        let symbols = engine
            .read_block_symbols(&zone, dpi as u32)
            .map_err(failed)?;
        let footer = normalise(&words_of(&symbols));
        let found = serial_in(campaign, template, &footer)?.ok_or_else(|| {
            format!(
                "{}: no single {}-digit serial in the footer read as {footer:?}",
                form.id,
                campaign.payload.serial_digits()
            )
        })?;
        if let Some(doubt) = doubtful_digit(&symbols, &found) {
            return Err(format!(
                "{}: the footer's serial read as {found}, {doubt}",
                form.id
            ));
        }
        match &serial {
            Some(first) if *first != found => {
                return Err(format!(
                    "{}: the footer read as serial {first} once, then as {found}",
                    form.id
                ))
            }
            _ => serial = Some(found),
        }
    }
    let serial = serial.unwrap_or_default();

    // The urn: the registry's line closest to what was read, by a margin, and its id
    // printed as a word of that line.
    let (template, urn_line) = read_at(engine, "{urn_id}", PRINT_DPI)?
        .ok_or_else(|| format!("{}: the layout prints no urn", form.id))?;
    let mut scored = Vec::new();
    for u in &campaign.urns {
        let want = campaign.print_text(
            template,
            &PrintValues {
                urn_id: &u.id,
                urn_name: &u.name,
                serial: &serial,
                ..empty
            },
        )?;
        scored.push((difference(&urn_line, &want), u));
    }
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    // How close the line's closest word is to an id, digits misread as letters forgiven.
    let id_distance = |id: &str| {
        urn_line
            .split(|c: char| !c.is_alphanumeric())
            .map(|word| id_edits(word, id))
            .min()
            .unwrap_or(usize::MAX)
    };
    let urn = match scored.as_slice() {
        [(best, u), rest @ ..]
            if *best <= TEXT_MATCH
                && rest.first().is_none_or(|(next, _)| next - best >= URN_MARGIN)
                && id_distance(&u.id) <= 1
                && rest.iter().all(|(_, o)| id_distance(&o.id) > id_distance(&u.id)) =>
        {
            *u
        }
        _ => {
            return Err(format!(
                "{}: serial {serial}, but the urn line read as {urn_line:?} matches no single urn of the registry",
                form.id
            ))
        }
    };

    // The question: a registry question whose label is printed, or the form's literal.
    let question = match &form.qr_question {
        QrQuestion::Literal(l) => l.clone(),
        QrQuestion::Registry => {
            let (template, label) = read_at(engine, "{question_label}", PRINT_DPI)?
                .ok_or_else(|| format!("{}: the layout prints no question label", form.id))?;
            let mut scored: Vec<(f64, &str)> = Vec::new();
            for q in &campaign.questions {
                let want = campaign.print_text(
                    template,
                    &PrintValues {
                        question_id: &q.id,
                        ..empty
                    },
                )?;
                scored.push((difference(&label, &want), &q.id));
            }
            scored.sort_by(|a, b| a.0.total_cmp(&b.0));
            match scored.as_slice() {
                [(best, id), rest @ ..]
                    if *best <= TEXT_MATCH
                        && rest.first().is_none_or(|(next, _)| next - best >= LABEL_MARGIN) =>
                {
                    id.to_string()
                }
                _ => {
                    return Err(format!(
                        "{}: serial {serial}, urn {}, but the question label read as {label:?} matches no single question",
                        form.id, urn.id
                    ))
                }
            }
        }
    };
    let read = format!(
        "printed serial {serial}, urn {} ({}), question {question}",
        urn.id, urn.name
    );
    Ok((
        Payload {
            form: form.id.clone(),
            question,
            urn: urn.id.clone(),
            serial,
        },
        read,
    ))
}

/// The edits between a word read and an id of the registry, once the letters the print
/// model takes for digits are read as those digits (`UOS` for `U05`). An urn is taken when
/// its line is the closest and its id is within one edit of a word, closer than any other
/// urn's id: two pieces of evidence that agree.
fn id_edits(read: &str, id: &str) -> usize {
    let digits: String = read
        .chars()
        .enumerate()
        // The id's first character is kept: `U` is a letter, not a digit misread.
        .map(|(i, c)| if i == 0 { c } else { as_digit(c) })
        .collect();
    edit_distance(&digits, id)
}

/// The digit the print model takes a letter for (`O` for `0`, `S` for `5`); other
/// characters stay themselves.
fn as_digit(c: char) -> char {
    match c {
        'O' | 'o' | 'D' | 'Q' => '0',
        'I' | 'l' | 'i' => '1',
        'Z' | 'z' => '2',
        'S' | 's' => '5',
        'G' | 'b' => '6',
        'B' => '8',
        'g' | 'q' => '9',
        c => c,
    }
}

/// The serial in a footer read as `footer`: the run of the campaign's serial digits that
/// makes it read as `template` prints it, when no other run comes close (a phone number's
/// digits read together); None when there is no such run.
fn serial_in(campaign: &Campaign, template: &str, footer: &str) -> Result<Option<String>, String> {
    let digits = campaign.payload.serial_digits();
    let mut runs = Vec::new();
    for run in footer
        .split(|c: char| !c.is_ascii_digit())
        .filter(|r| r.len() == digits)
    {
        let want = campaign.print_text(
            template,
            &PrintValues {
                urn_id: "",
                urn_name: "",
                question_id: "",
                serial: run,
            },
        )?;
        runs.push((difference(footer, &want), run.to_string()));
    }
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(match runs.as_slice() {
        [(best, run), rest @ ..]
            if *best <= TEXT_MATCH
                && rest
                    .first()
                    .is_none_or(|(next, _)| next - best >= SERIAL_MARGIN) =>
        {
            Some(run.clone())
        }
        _ => None,
    })
}

/// The text of symbols read by [`TesseractEngine::read_block_symbols`], words apart.
fn words_of(symbols: &[Symbol]) -> String {
    let mut text = String::new();
    for s in symbols {
        if s.starts_word && !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&s.text);
    }
    text
}

/// Why `serial`, as read in `symbols`, is in doubt: a digit whose runner-up came close, or
/// no run of digit symbols reading it at all. None when every digit was read clearly.
fn doubtful_digit(symbols: &[Symbol], serial: &str) -> Option<String> {
    let is_digit = |s: &Symbol| s.text.len() == 1 && s.text.as_bytes()[0].is_ascii_digit();
    // Runs of digits within one word, as `serial_in` found the serial in the text.
    let Some(run) = symbols
        .chunk_by(|a, b| is_digit(a) && is_digit(b) && !b.starts_word)
        .filter(|run| run.iter().all(is_digit))
        .find(|run| run.iter().map(|s| s.text.as_str()).collect::<String>() == serial)
    else {
        return Some("but not as one run of digits".to_string());
    };
    // A runner-up that stands for the same digit (`O` for `0`) is no doubt about the serial.
    let same_digit =
        |s: &Symbol, other: &str| other.chars().map(as_digit).eq(s.text.chars().map(as_digit));
    run.iter().find_map(|s| match &s.runner_up {
        Some((other, confidence)) if *confidence >= DIGIT_DOUBT && !same_digit(s, other) => {
            Some(format!(
                "its {} almost read as {other} (confidence {confidence:.0})",
                s.text
            ))
        }
        _ => None,
    })
}

/// How far what was read is from what is printed: the fewest edits that turn some stretch
/// of what was read into the printed text, over the printed text's length, ignoring case
/// and spacing (Tesseract splits and joins words of small print). What the crop caught
/// around the printed line (a stroke of handwriting above the box) costs nothing.
fn difference(read: &str, printed: &str) -> f64 {
    let squeeze = |s: &str| -> Vec<char> {
        normalise(s)
            .to_lowercase()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect()
    };
    let (r, p) = (squeeze(read), squeeze(printed));
    if p.is_empty() {
        return 0.0;
    }
    // Edit distance with a free start and a free end in `r`.
    let mut prev = vec![0usize; r.len() + 1];
    let mut cur = vec![0usize; r.len() + 1];
    for (i, pc) in p.iter().enumerate() {
        cur[0] = i + 1;
        for (j, rc) in r.iter().enumerate() {
            let sub = prev[j] + usize::from(pc != rc);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    let best = prev.iter().copied().min().unwrap_or(p.len());
    best as f64 / p.len() as f64
}

/// A filled dark square on the page: its centre and side, in pixels of the page.
#[derive(Debug, Clone, Copy)]
struct Square {
    x: f64,
    y: f64,
    side: f64,
}

/// Every filled, roughly square dark blob of the page, found on the page shrunk to
/// `SEARCH_SIDE_PX`: marks, filled checkboxes, blots of ink.
fn dark_squares(img: &GrayImage) -> Vec<Square> {
    let long = img.width().max(img.height()).max(1);
    let f = long.div_ceil(SEARCH_SIDE_PX).max(1);
    let (w, h) = ((img.width() / f) as usize, (img.height() / f) as usize);
    if w < 8 || h < 8 {
        return Vec::new();
    }
    let mut dark = vec![false; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut sum = 0u32;
            for dy in 0..f {
                for dx in 0..f {
                    sum += img.get_pixel(x as u32 * f + dx, y as u32 * f + dy).0[0] as u32;
                }
            }
            dark[y * w + x] = sum / (f * f) < DARK as u32;
        }
    }
    let max_area = w * h / 150;
    let mut seen = vec![false; w * h];
    let mut stack = Vec::new();
    let mut squares = Vec::new();
    for start in 0..w * h {
        if seen[start] || !dark[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let (mut n, mut sx, mut sy) = (0usize, 0f64, 0f64);
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            n += 1;
            sx += x as f64;
            sy += y as f64;
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
            let neighbours = [
                (x > 0).then(|| i - 1),
                (x + 1 < w).then(|| i + 1),
                (y > 0).then(|| i - w),
                (y + 1 < h).then(|| i + w),
            ];
            for j in neighbours.into_iter().flatten() {
                if !seen[j] && dark[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
        let side = (n as f64).sqrt();
        let (bw, bh) = ((x1 - x0 + 1) as f64, (y1 - y0 + 1) as f64);
        // A filled square turned by θ has a bounding box of side·(cos θ + sin θ): between
        // its side and 1.42 times it, and it fills at least half of that box.
        if side < 3.0
            || n > max_area
            || bw.min(bh) < 0.85 * side
            || bw.max(bh) > 1.5 * side
            || (n as f64) < 0.45 * bw * bh
        {
            continue;
        }
        let k = f as f64;
        squares.push(Square {
            x: (sx / n as f64 + 0.5) * k,
            y: (sy / n as f64 + 0.5) * k,
            side: side * k,
        });
    }
    squares
}

/// The placements of a form whose marks fall on three of `squares`, each as a first map
/// (form mm → page pixels, a rotation and a scale), best fit first.
fn place_forms<'c>(campaign: &'c Campaign, squares: &[Square]) -> Vec<(&'c Form, Homography)> {
    let mut found: Vec<(f64, &Form, Homography)> = Vec::new();
    for form in campaign.forms.iter().filter(|f| f.marks.len() >= 3) {
        let marks: Vec<((f64, f64), f64)> = form.marks[..3]
            .iter()
            .map(|m| (m.centre(), (m.w + m.h) / 2.0))
            .collect();
        // Two squares can be two marks only if they lie as many of their own sides apart
        // as the marks do (the size check below, made early): without this a page holding
        // hundreds of small squares (a QR code's modules) costs millions of fits.
        let apart = |p: &Square, q: &Square, m: usize, n: usize| {
            let ((mx, my), msize) = marks[m];
            let ((nx, ny), nsize) = marks[n];
            let want = ((mx - nx).powi(2) + (my - ny).powi(2)).sqrt() / ((msize + nsize) / 2.0);
            let got =
                ((p.x - q.x).powi(2) + (p.y - q.y).powi(2)).sqrt() / ((p.side + q.side) / 2.0);
            (0.65..=1.45).contains(&(want / got))
        };
        for (i, a) in squares.iter().enumerate() {
            for (j, b) in squares.iter().enumerate() {
                if j == i || !apart(a, b, 0, 1) {
                    continue;
                }
                for (k, c) in squares.iter().enumerate() {
                    if k == i || k == j || !apart(a, c, 0, 2) {
                        continue;
                    }
                    let px = [*a, *b, *c];
                    let Some((map, scale, misfit)) = fit_similarity(&marks, &px) else {
                        continue;
                    };
                    let sizes_agree = px
                        .iter()
                        .zip(&marks)
                        .all(|(sq, (_, size))| (0.7..=1.35).contains(&(sq.side / scale / size)));
                    if misfit <= MARK_FIT_MM && sizes_agree {
                        found.push((misfit, form, map));
                    }
                }
            }
        }
    }
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    found.into_iter().map(|(_, f, m)| (f, m)).collect()
}

/// The rotation, scale and shift (no mirror: a scanner does not turn paper over) taking the
/// marks' centres (mm) closest to the squares' centres (px): the map, its scale (px per mm)
/// and the worst mark's distance from its square, mm.
fn fit_similarity(
    marks: &[((f64, f64), f64)],
    squares: &[Square; 3],
) -> Option<(Homography, f64, f64)> {
    let n = marks.len() as f64;
    let (mx, my) = marks
        .iter()
        .fold((0.0, 0.0), |(x, y), ((a, b), _)| (x + a / n, y + b / n));
    let (px, py) = squares
        .iter()
        .fold((0.0, 0.0), |(x, y), s| (x + s.x / n, y + s.y / n));
    // As complex numbers: p = a·m + b, a = Σ (p − p̄)·conj(m − m̄) / Σ |m − m̄|².
    let (mut re, mut im, mut norm) = (0.0, 0.0, 0.0);
    for (((x, y), _), s) in marks.iter().zip(squares) {
        let (u, v) = (x - mx, y - my);
        let (p, q) = (s.x - px, s.y - py);
        re += p * u + q * v;
        im += q * u - p * v;
        norm += u * u + v * v;
    }
    if norm <= 0.0 {
        return None;
    }
    let (ar, ai) = (re / norm, im / norm);
    let scale = (ar * ar + ai * ai).sqrt();
    // 50 to 1200 dpi.
    if !(2.0..=48.0).contains(&scale) {
        return None;
    }
    let (bx, by) = (px - (ar * mx - ai * my), py - (ai * mx + ar * my));
    let map = Homography {
        m: [ar, -ai, bx, ai, ar, by, 0.0, 0.0, 1.0],
    };
    let misfit = marks
        .iter()
        .zip(squares)
        .map(|(((x, y), _), s)| {
            let (qx, qy) = map.apply(*x, *y);
            ((qx - s.x).powi(2) + (qy - s.y).powi(2)).sqrt() / scale
        })
        .fold(0.0, f64::max);
    Some((map, scale, misfit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_similarity_is_recovered_from_three_squares_and_a_mirror_is_not() {
        let c = Campaign::builtin().unwrap();
        let form = c.form("slip-a5").unwrap();
        let marks: Vec<((f64, f64), f64)> = form.marks.iter().map(|m| (m.centre(), m.w)).collect();
        let truth = Homography::similarity(7.9, 0.6_f64.to_radians() + 3.1, 1500.0, 1900.0);
        let place = |(x, y): (f64, f64)| {
            let (px, py) = truth.apply(x, y);
            Square {
                x: px,
                y: py,
                side: 5.0 * 7.9,
            }
        };
        let squares = [place(marks[0].0), place(marks[1].0), place(marks[2].0)];
        let (map, scale, misfit) = fit_similarity(&marks, &squares).unwrap();
        assert!((scale - 7.9).abs() < 1e-9 && misfit < 1e-9);
        let (a, b) = (map.apply(74.0, 100.0), truth.apply(74.0, 100.0));
        assert!((a.0 - b.0).abs() < 1e-6 && (a.1 - b.1).abs() < 1e-6);
        // The same squares seen in a mirror fit no placement of the marks.
        let mirrored = squares.map(|s| Square { x: -s.x, ..s });
        let (_, _, misfit) = fit_similarity(&marks, &mirrored).unwrap();
        assert!(misfit > 10.0, "mirror fits within {misfit} mm");
    }

    #[test]
    fn a_serial_digit_with_a_close_runner_up_is_in_doubt() {
        let read = |text: &str, doubt: Option<(usize, &str, f32)>| -> Vec<Symbol> {
            let chars: Vec<char> = text.chars().collect();
            chars
                .iter()
                .enumerate()
                .map(|(i, c)| Symbol {
                    text: c.to_string(),
                    starts_word: i == 0 || chars[i - 1] == ' ',
                    runner_up: doubt
                        .filter(|(at, _, _)| *at == i)
                        .map(|(_, other, confidence)| (other.to_string(), confidence)),
                })
                .filter(|s| s.text != " ")
                .collect()
        };
        assert_eq!(doubtful_digit(&read("N° 001161 —", None), "001161"), None);
        // A faint alternative is no doubt.
        assert_eq!(
            doubtful_digit(&read("N° 001161 —", Some((4, "9", 5.0))), "001161"),
            None
        );
        let doubt = doubtful_digit(&read("N° 091161 —", Some((4, "0", 41.0))), "091161");
        assert_eq!(
            doubt.as_deref(),
            Some("its 9 almost read as 0 (confidence 41)")
        );
        // Digits of another word do not make the serial.
        assert!(doubtful_digit(&read("N° 001 161", None), "001161").is_some());
    }

    #[test]
    fn difference_ignores_case_and_spacing_but_not_digits() {
        assert_eq!(difference("Urne U07 · Mairie", "urne u07· mairie"), 0.0);
        assert!(difference("N° 000124", "N° 000123") > 0.0);
    }
}
