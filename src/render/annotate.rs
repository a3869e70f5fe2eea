//! Drawing an explanation (`crate::explain`) on its page, for `urnscan explain` and
//! `urnscan process --debug`: the page as scanned (not turned upright), in colour, scaled
//! down to fit `MAX_SIDE` with a legend panel on its right; on the page, what urnscan found
//! (QR code in blue, registration marks in cyan: hollow where predicted, filled where found;
//! answer boxes green when read or blank, orange when flagged, grey when not read; lines of
//! writing in magenta; tick boxes with their ink share), and in the panel the decision and
//! the findings, each beside a swatch of its colour.

use image::{GrayImage, Rgb, RgbImage};

use super::canvas::{Canvas, Ink, Mask};
use super::text::{Face, Fonts};
use crate::explain::{Explanation, Layer, Quad, Verdict, ZoneState};

/// The picture's longest side, pixels: page and panel together.
pub const MAX_SIDE: u32 = 2000;
/// Width of the legend panel, pixels.
pub const PANEL_WIDTH: u32 = 700;

pub const QR_BLUE: [u8; 3] = [20, 90, 235];
pub const MARK_CYAN: [u8; 3] = [0, 165, 195];
pub const OK_GREEN: [u8; 3] = [0, 165, 60];
pub const FLAG_ORANGE: [u8; 3] = [245, 125, 0];
pub const REJECT_RED: [u8; 3] = [215, 25, 30];
pub const LINE_MAGENTA: [u8; 3] = [225, 0, 200];
pub const NOT_READ_GREY: [u8; 3] = [125, 125, 125];
const TEXT: [u8; 3] = [25, 25, 25];
const QUIET: [u8; 3] = [90, 90, 90];

const MARGIN: f64 = 22.0;
const EM: f64 = 16.0;
const TITLE_EM: f64 = 20.0;
const LEADING: f64 = 1.35;
/// Where a finding's text starts, right of its swatch.
const INDENT: f64 = 24.0;

/// Draws explanations; holds the print faces (DejaVu, `fonts-dejavu-core`), loaded once.
pub struct Annotator {
    fonts: Fonts,
}

/// One line of the panel.
struct PanelLine {
    text: String,
    face_bold: bool,
    em: f64,
    rgb: [u8; 3],
    /// The swatch drawn left of the first line of a finding.
    swatch: Option<Layer>,
    indent: f64,
    /// Extra space above it, pixels.
    gap: f64,
}

impl Annotator {
    /// Loads the fonts: an error names the package to install.
    pub fn new() -> anyhow::Result<Annotator> {
        Ok(Annotator {
            fonts: Fonts::load_print()?,
        })
    }

    fn face(&self, bold: bool) -> &Face {
        if bold {
            &self.fonts.bold
        } else {
            &self.fonts.sans
        }
    }

    /// The picture of `ex`: never wider or taller than `MAX_SIDE`.
    pub fn draw(&self, ex: &Explanation) -> RgbImage {
        let (w, h) = ex
            .page
            .as_ref()
            .map(|p| (p.width(), p.height()))
            .unwrap_or((1000, 1400));
        let room_w = (MAX_SIDE - PANEL_WIDTH) as f64;
        let s = (room_w / w as f64).min(MAX_SIDE as f64 / h as f64).min(1.0);
        let pw = ((w as f64 * s).round() as u32).max(1);
        let ph = ((h as f64 * s).round() as u32).max(1);
        let panel = self.panel_lines(ex, w, h, s);
        let panel_h = panel.iter().map(|l| l.em * LEADING + l.gap).sum::<f64>() + 2.0 * MARGIN;
        let height = ph.max(panel_h.ceil() as u32).min(MAX_SIDE);
        let mut canvas = Canvas {
            img: RgbImage::from_pixel(pw + PANEL_WIDTH, height, Rgb([255, 255, 255])),
            ppm: 1.0,
        };
        match &ex.page {
            Some(page) => paste_page(&mut canvas.img, page, pw, ph),
            None => {
                for (_, _, p) in canvas
                    .img
                    .enumerate_pixels_mut()
                    .filter(|(x, _, _)| *x < pw)
                {
                    *p = Rgb([225, 225, 225]);
                }
            }
        }
        let mut rng = fastrand::Rng::with_seed(0);
        self.draw_overlays(&mut canvas, ex, s, pw, ph);
        self.draw_panel(&mut canvas, &panel, pw as f64, ex.verdict, &mut rng);
        canvas.img
    }

    fn panel_lines(&self, ex: &Explanation, w: u32, h: u32, s: f64) -> Vec<PanelLine> {
        let width = PANEL_WIDTH as f64 - 2.0 * MARGIN;
        let mut out = Vec::new();
        let mut push = |text: &str, bold: bool, em: f64, rgb, swatch, indent: f64, gap| {
            let face = self.face(bold);
            for (i, line) in wrap(face, text, em, width - indent).into_iter().enumerate() {
                out.push(PanelLine {
                    text: line,
                    face_bold: bold,
                    em,
                    rgb,
                    swatch: if i == 0 { swatch } else { None },
                    indent,
                    gap: if i == 0 { gap } else { 0.0 },
                });
            }
        };
        push(&ex.title, true, TITLE_EM, TEXT, None, 0.0, 0.0);
        let colour = verdict_colour(ex.verdict);
        push(&ex.decision, true, TITLE_EM, colour, None, 0.0, 6.0);
        if let Some(advice) = &ex.advice {
            push(&format!("→ {advice}"), false, EM, TEXT, None, 0.0, 2.0);
        }
        for (i, f) in ex.findings.iter().enumerate() {
            let gap = if i == 0 { 14.0 } else { 3.0 };
            push(&f.text, false, EM, TEXT, Some(f.layer), INDENT, gap);
        }
        let key = [
            (
                Layer::Qr,
                "QR code (where searched, when none was found: the page's edge)",
            ),
            (
                Layer::Marks,
                "registration marks: hollow predicted, filled found",
            ),
            (
                Layer::Zone(ZoneState::Read),
                "answer read, or blank; tick boxes",
            ),
            (Layer::Zone(ZoneState::Flagged), "answer flagged for review"),
            (Layer::Zone(ZoneState::NotRead), "not read"),
            (Layer::Lines, "lines of writing, as read one by one"),
        ];
        for (i, (layer, text)) in key.into_iter().enumerate() {
            let gap = if i == 0 { 14.0 } else { 0.0 };
            push(text, false, EM * 0.85, QUIET, Some(layer), INDENT, gap);
        }
        let page = match &ex.page {
            Some(_) => format!(
                "the page as scanned (not turned upright), {w} × {h} px, shown at {:.0} %",
                s * 100.0
            ),
            None => "the page could not be decoded: nothing to show".to_string(),
        };
        push(&page, false, EM * 0.85, QUIET, None, 0.0, 8.0);
        // Lines past the picture's height are cut, with a word saying so.
        let room = MAX_SIDE as f64 - 2.0 * MARGIN;
        let mut used = 0.0;
        let mut keep = out.len();
        for (i, l) in out.iter().enumerate() {
            used += l.em * LEADING + l.gap;
            if used > room - 2.0 * EM * LEADING {
                keep = i;
                break;
            }
        }
        if keep < out.len() {
            let more = out.len() - keep;
            out.truncate(keep);
            out.push(PanelLine {
                text: format!("… {more} more line(s): see `urnscan explain` on this page"),
                face_bold: false,
                em: EM,
                rgb: QUIET,
                swatch: None,
                indent: 0.0,
                gap: 4.0,
            });
        }
        out
    }

    fn draw_panel(
        &self,
        canvas: &mut Canvas,
        lines: &[PanelLine],
        x0: f64,
        verdict: Verdict,
        rng: &mut fastrand::Rng,
    ) {
        // A bar in the decision's colour along the panel's top edge and a rule at its left.
        canvas.fill_px(
            x0,
            0.0,
            x0 + PANEL_WIDTH as f64,
            8.0,
            verdict_colour(verdict),
        );
        canvas.fill_px(x0, 0.0, x0 + 2.0, canvas.img.height() as f64, QUIET);
        let mut y = MARGIN;
        for l in lines {
            y += l.gap + l.em * LEADING;
            let x = x0 + MARGIN + l.indent;
            if let Some(layer) = l.swatch {
                let (sx, sy, size) = (x0 + MARGIN, y - l.em * 0.85, l.em * 0.8);
                swatch(canvas, layer, sx, sy, size);
            }
            let ink = Ink {
                rgb: l.rgb,
                grain: 1.0,
            };
            self.face(l.face_bold)
                .draw_line(canvas, &l.text, x, y, l.em, ink, rng);
        }
    }

    fn draw_overlays(&self, canvas: &mut Canvas, ex: &Explanation, s: f64, pw: u32, ph: u32) {
        let sc = |q: &Quad| -> Quad { q.map(|(x, y)| (x * s, y * s)) };
        if ex.qr_searched_in_vain {
            // Searched everywhere: the page's edge, dashed.
            let (w, h) = (pw as f64 - 4.0, ph as f64 - 4.0);
            dashed(
                canvas,
                &[(4.0, 4.0), (w, 4.0), (w, h), (4.0, h)],
                6.0,
                QR_BLUE,
            );
            let text = "no QR code found on the whole page";
            self.label(canvas, text, 16.0, 16.0 + EM * 1.4, EM * 1.4, QR_BLUE);
        }
        if let Some(q) = &ex.qr {
            let q = sc(q);
            fill_quad(canvas, &q, QR_BLUE, 0.3);
            outline(canvas, &q, 4.0, QR_BLUE);
        }
        for m in &ex.marks {
            let (px, py) = (m.predicted.0 * s, m.predicted.1 * s);
            circle(
                canvas,
                (px, py),
                (m.radius * s * 2.0).max(9.0),
                3.0,
                MARK_CYAN,
            );
            if let Some((fx, fy)) = m.found {
                let (fx, fy) = (fx * s, fy * s);
                disc(canvas, (fx, fy), (m.radius * s * 0.6).max(3.0), MARK_CYAN);
                stroke(canvas, &[(px, py), (fx, fy)], 2.0, MARK_CYAN);
            }
        }
        for z in &ex.text_zones {
            let colour = zone_colour(z.state);
            let q = sc(&z.outline);
            match z.state {
                ZoneState::NotRead => dashed(canvas, &q, 4.0, colour),
                ZoneState::Blank => outline(canvas, &q, 3.0, colour),
                ZoneState::Read | ZoneState::Flagged => outline(canvas, &q, 5.0, colour),
            }
            if let Some(band) = &z.outside {
                dashed(canvas, &sc(band), 3.0, FLAG_ORANGE);
            }
            for l in &z.lines {
                outline(canvas, &sc(l), 2.0, LINE_MAGENTA);
            }
            let em = EM * 1.2;
            let (x, y) = label_place(&q, self.face(true).width(&z.label, em), pw as f64);
            self.label(canvas, &z.label, x, y, em, colour);
        }
        for c in &ex.choices {
            let q = sc(&c.outline);
            let colour = match (c.score, c.flagged) {
                (None, _) => NOT_READ_GREY,
                (Some(_), true) => FLAG_ORANGE,
                (Some(_), false) => OK_GREEN,
            };
            if c.ticked {
                fill_quad(canvas, &q, colour, 0.35);
            }
            outline(canvas, &q, if c.ticked { 4.0 } else { 2.0 }, colour);
            if let Some(score) = c.score {
                // Above the box: its printed label is on its right.
                let (x, y) = (
                    q.iter().map(|p| p.0).fold(f64::MAX, f64::min),
                    q.iter().map(|p| p.1).fold(f64::MAX, f64::min),
                );
                let text = format!("{:.0}%", score * 100.0);
                self.label(canvas, &text, x, y - 5.0, EM * 0.85, colour);
            }
        }
    }

    /// Text on the page, over a lightened patch so that it reads on any scan.
    fn label(&self, canvas: &mut Canvas, text: &str, x: f64, baseline: f64, em: f64, rgb: [u8; 3]) {
        let face = self.face(true);
        let width = face.width(text, em);
        let (x0, y0) = ((x - 3.0).max(0.0), (baseline - em * 1.05).max(0.0));
        let (x1, y1) = (x + width + 3.0, baseline + em * 0.35);
        let (iw, ih) = (canvas.img.width() as f64, canvas.img.height() as f64);
        for y in y0 as u32..(y1.min(ih)) as u32 {
            for x in x0 as u32..(x1.min(iw)) as u32 {
                let p = canvas.img.get_pixel_mut(x, y);
                for v in p.0.iter_mut() {
                    *v = 255 - (255 - *v) / 6;
                }
            }
        }
        let mut mask = face.mask_for(text, x, baseline, em);
        face.draw_into(&mut mask, text, x, baseline, em);
        canvas.cover(&mask, rgb, 1.0);
    }
}

/// Writes a picture as PNG, atomically and readable by its owner only (0600): it shows a
/// citizen's handwriting.
pub fn save_png(img: &RgbImage, path: &std::path::Path) -> anyhow::Result<()> {
    crate::output::csvfile::write_atomic_with(path, &mut |w| {
        img.write_with_encoder(image::codecs::png::PngEncoder::new(w))?;
        Ok(())
    })
}

fn verdict_colour(v: Verdict) -> [u8; 3] {
    match v {
        Verdict::Ok | Verdict::Blank => OK_GREEN,
        Verdict::Flagged => FLAG_ORANGE,
        Verdict::Rejected => REJECT_RED,
    }
}

fn zone_colour(state: ZoneState) -> [u8; 3] {
    match state {
        ZoneState::Read | ZoneState::Blank => OK_GREEN,
        ZoneState::Flagged => FLAG_ORANGE,
        ZoneState::NotRead => NOT_READ_GREY,
    }
}

fn layer_colour(layer: Layer) -> [u8; 3] {
    match layer {
        Layer::Qr => QR_BLUE,
        Layer::Marks => MARK_CYAN,
        Layer::Zone(state) => zone_colour(state),
        Layer::Lines => LINE_MAGENTA,
        Layer::Checkboxes => OK_GREEN,
        Layer::Page => QUIET,
        Layer::Warning => REJECT_RED,
    }
}

/// The legend's mark for a layer: a square in its colour (marks: a ring and a dot).
fn swatch(canvas: &mut Canvas, layer: Layer, x: f64, y: f64, size: f64) {
    let rgb = layer_colour(layer);
    match layer {
        Layer::Marks => {
            let c = (x + size / 2.0, y + size / 2.0);
            circle(canvas, c, size / 2.0, 2.0, rgb);
            disc(canvas, c, size / 5.0, rgb);
        }
        Layer::Zone(ZoneState::Blank) | Layer::Lines => {
            let q = [(x, y), (x + size, y), (x + size, y + size), (x, y + size)];
            outline(canvas, &q, 2.5, rgb);
        }
        _ => canvas.fill_px(x, y, x + size, y + size, rgb),
    }
}

/// The page, scaled to `pw` × `ph`, into the left of the picture (grey to RGB).
fn paste_page(img: &mut RgbImage, page: &GrayImage, pw: u32, ph: u32) {
    let scaled;
    let page = if (pw, ph) == (page.width(), page.height()) {
        page
    } else {
        scaled = crate::geometry::resize_gray_triangle(page, pw, ph);
        &scaled
    };
    for (x, y, p) in page.enumerate_pixels() {
        if y < img.height() {
            img.put_pixel(x, y, Rgb([p.0[0]; 3]));
        }
    }
}

/// Where a zone's label goes: inside its box, near the form's bottom left corner of it
/// (the end of the box writing reaches last), kept on the page.
fn label_place(q: &Quad, width: f64, pw: f64) -> (f64, f64) {
    let centre = (
        q.iter().map(|p| p.0).sum::<f64>() / 4.0,
        q.iter().map(|p| p.1).sum::<f64>() / 4.0,
    );
    let (dx, dy) = (centre.0 - q[3].0, centre.1 - q[3].1);
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    let (x, y) = (q[3].0 + dx / len * 50.0, q[3].1 + dy / len * 50.0);
    (x.min(pw - width - 6.0).max(4.0), y.max(EM * 1.5))
}

/// A stroke along `pts`, `width` pixels wide, in `rgb` over the page.
fn stroke(canvas: &mut Canvas, pts: &[(f64, f64)], width: f64, rgb: [u8; 3]) {
    if let Some(mask) = canvas.polyline_mask(pts, width) {
        canvas.cover(&mask, rgb, 1.0);
    }
}

fn outline(canvas: &mut Canvas, q: &Quad, width: f64, rgb: [u8; 3]) {
    stroke(canvas, &[q[0], q[1], q[2], q[3], q[0]], width, rgb);
}

/// A closed outline drawn in dashes.
fn dashed(canvas: &mut Canvas, q: &Quad, width: f64, rgb: [u8; 3]) {
    const DASH: f64 = 18.0;
    const GAP: f64 = 10.0;
    for i in 0..4 {
        let (a, b) = (q[i], q[(i + 1) % 4]);
        let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        if len <= 0.0 {
            continue;
        }
        let mut t = 0.0;
        while t < len {
            let e = (t + DASH).min(len);
            let at = |d: f64| (a.0 + (b.0 - a.0) * d / len, a.1 + (b.1 - a.1) * d / len);
            stroke(canvas, &[at(t), at(e)], width, rgb);
            t = e + GAP;
        }
    }
}

fn circle(canvas: &mut Canvas, c: (f64, f64), r: f64, width: f64, rgb: [u8; 3]) {
    let pts: Vec<(f64, f64)> = (0..=48)
        .map(|i| {
            let a = i as f64 * std::f64::consts::TAU / 48.0;
            (c.0 + r * a.cos(), c.1 + r * a.sin())
        })
        .collect();
    stroke(canvas, &pts, width, rgb);
}

fn disc(canvas: &mut Canvas, c: (f64, f64), r: f64, rgb: [u8; 3]) {
    let (x0, y0) = (
        (c.0 - r - 2.0).floor() as i64,
        (c.1 - r - 2.0).floor() as i64,
    );
    let (x1, y1) = ((c.0 + r + 2.0).ceil() as i64, (c.1 + r + 2.0).ceil() as i64);
    let mut mask = Mask::new(x0, y0, x1, y1);
    for y in y0..y1 {
        for x in x0..x1 {
            let d = ((x as f64 + 0.5 - c.0).powi(2) + (y as f64 + 0.5 - c.1).powi(2)).sqrt();
            mask.put(x, y, (r + 0.5 - d).clamp(0.0, 1.0) as f32);
        }
    }
    canvas.cover(&mask, rgb, 1.0);
}

/// Tints the inside of a quadrilateral: `alpha` of the colour over what is there.
fn fill_quad(canvas: &mut Canvas, q: &Quad, rgb: [u8; 3], alpha: f32) {
    let x0 = q.iter().map(|p| p.0).fold(f64::MAX, f64::min).floor() as i64;
    let x1 = q.iter().map(|p| p.0).fold(f64::MIN, f64::max).ceil() as i64;
    let y0 = q.iter().map(|p| p.1).fold(f64::MAX, f64::min).floor() as i64;
    let y1 = q.iter().map(|p| p.1).fold(f64::MIN, f64::max).ceil() as i64;
    let mut mask = Mask::new(x0, y0, x1, y1);
    for y in y0..y1 {
        for x in x0..x1 {
            if inside(q, (x as f64 + 0.5, y as f64 + 0.5)) {
                mask.put(x, y, 1.0);
            }
        }
    }
    canvas.cover(&mask, rgb, alpha);
}

/// Whether `p` lies inside the (convex or not) quadrilateral `q` (even-odd rule).
fn inside(q: &Quad, p: (f64, f64)) -> bool {
    let mut odd = false;
    for i in 0..4 {
        let (a, b) = (q[i], q[(i + 1) % 4]);
        if (a.1 > p.1) != (b.1 > p.1) {
            let x = a.0 + (p.1 - a.1) * (b.0 - a.0) / (b.1 - a.1);
            if p.0 < x {
                odd = !odd;
            }
        }
    }
    odd
}

/// `Face::wrap`, with words too long for a line (a payload, a path) cut across lines.
fn wrap(face: &Face, text: &str, em: f64, max_px: f64) -> Vec<String> {
    let mut words = Vec::new();
    for word in text.split_whitespace() {
        let mut rest = word;
        while face.width(rest, em) > max_px && rest.chars().count() > 1 {
            // The longest head that fits (at least one character).
            let mut cut = rest.len();
            for (i, _) in rest.char_indices().rev() {
                if i > 0 && face.width(&rest[..i], em) <= max_px {
                    cut = i;
                    break;
                }
                cut = i;
            }
            let cut = if cut == 0 {
                rest.chars()
                    .next()
                    .map(char::len_utf8)
                    .unwrap_or(rest.len())
            } else {
                cut
            };
            words.push(rest[..cut].to_string());
            rest = &rest[cut..];
        }
        if !rest.is_empty() {
            words.push(rest.to_string());
        }
    }
    face.wrap(&words.join(" "), em, max_px)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_inside_a_tilted_quad() {
        let q = [(10.0, 0.0), (20.0, 10.0), (10.0, 20.0), (0.0, 10.0)];
        assert!(inside(&q, (10.0, 10.0)));
        assert!(!inside(&q, (1.0, 1.0)));
        assert!(!inside(&q, (19.0, 19.0)));
    }
}
