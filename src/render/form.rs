//! Printing a blank form from the campaign layout: QR code, registration marks, answer boxes
//! with their guide lines, checkbox groups and the printed texts. Everything comes from the
//! `Form`; nothing here knows what the Nantes slips look like.

use anyhow::{anyhow, bail, Context};
use image::RgbImage;
use rxing::qrcode::common::ErrorCorrectionLevel;
use rxing::qrcode::encoder::qrcode_encoder;

use super::canvas::{Canvas, Ink};
use super::text::{pt_to_mm, Fonts};
use crate::campaign::{Campaign, Form, QrQuestion, RectMm, Zone};

/// The values printed on one copy of a form.
pub(crate) type FormValues<'a> = crate::campaign::PrintValues<'a>;

/// Draws a blank copy of `form` at `dpi`, with its QR code carrying the campaign payload.
pub fn draw_blank_form(
    campaign: &Campaign,
    form: &Form,
    urn_id: &str,
    question_id: &str,
    serial: &str,
    dpi: f64,
) -> anyhow::Result<RgbImage> {
    let fonts = Fonts::load()?;
    let urn = campaign
        .urn(urn_id)
        .ok_or_else(|| anyhow!("urn '{urn_id}' is not in the campaign's urn registry"))?;
    let vals = FormValues {
        urn_id,
        urn_name: &urn.name,
        question_id: &qr_question(form, question_id),
        serial,
    };
    let mut canvas = Canvas::new(form.width, form.height, dpi);
    draw_form(&mut canvas, campaign, form, &vals, &fonts)?;
    Ok(canvas.img)
}

/// The QR question field of `form` when the citizen's question is `question_id`.
pub(crate) fn qr_question(form: &Form, question_id: &str) -> String {
    match &form.qr_question {
        QrQuestion::Registry => question_id.to_string(),
        QrQuestion::Literal(l) => l.clone(),
    }
}

/// Prints `form` on `canvas`; returns the QR payload it carries.
pub(crate) fn draw_form(
    canvas: &mut Canvas,
    campaign: &Campaign,
    form: &Form,
    vals: &FormValues,
    fonts: &Fonts,
) -> anyhow::Result<String> {
    let payload = campaign.payload_for(&form.id, vals.question_id, vals.urn_id, vals.serial);
    draw_qr(canvas, &payload, form.qr)?;
    for m in &form.marks {
        canvas.fill_mm(*m, [0, 0, 0]);
    }
    let mut rng = fastrand::Rng::with_seed(0);
    for zone in &form.zones {
        match zone {
            Zone::Text(t) => {
                canvas.stroke_mm(t.rect, t.stroke, [0, 0, 0]);
                if let Some(g) = &t.guides {
                    for y in g.ys() {
                        canvas.fill_mm(
                            RectMm {
                                x: g.x0,
                                y: y - 0.1,
                                w: g.x1 - g.x0,
                                h: 0.2,
                            },
                            Ink::GUIDE.rgb,
                        );
                    }
                }
            }
            Zone::Checkbox(g) => {
                let em = canvas.px(pt_to_mm(8.5));
                let (lx, ly) = g.label_at;
                // The layout's label y sits at the top of the boxes; the reference rendering
                // puts the baseline level with the box labels, ~2.8 mm lower.
                print_line(canvas, fonts, false, &g.label, lx, ly + 2.8, em, &mut rng)?;
                for ch in &g.choices {
                    canvas.stroke_mm(ch.rect, g.stroke, [0, 0, 0]);
                    let (_, cy) = ch.rect.centre();
                    let base = cy + 0.35 * pt_to_mm(8.5);
                    print_line(
                        canvas,
                        fonts,
                        false,
                        &ch.label,
                        ch.rect.x + ch.rect.w + 1.5,
                        base,
                        em,
                        &mut rng,
                    )?;
                }
            }
        }
    }
    for item in &form.prints {
        let text = campaign
            .print_text(&item.text, vals)
            .map_err(|e| anyhow!(e))?;
        let face = if item.bold { &fonts.bold } else { &fonts.sans };
        let em = canvas.px(pt_to_mm(item.size_pt));
        let lines = face.wrap(&text, em, canvas.px(item.rect.w));
        let mut base = canvas.px(item.rect.y) + face.ascent(em);
        for line in lines {
            print_line_px(
                canvas,
                fonts,
                item.bold,
                &line,
                canvas.px(item.rect.x),
                base,
                em,
                &mut rng,
            )?;
            base += em * 1.45;
        }
    }
    Ok(payload)
}

#[allow(clippy::too_many_arguments)]
fn print_line(
    canvas: &mut Canvas,
    fonts: &Fonts,
    bold: bool,
    text: &str,
    x_mm: f64,
    baseline_mm: f64,
    em_px: f64,
    rng: &mut fastrand::Rng,
) -> anyhow::Result<()> {
    let (x, b) = (canvas.px(x_mm), canvas.px(baseline_mm));
    print_line_px(canvas, fonts, bold, text, x, b, em_px, rng)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn print_line_px(
    canvas: &mut Canvas,
    fonts: &Fonts,
    bold: bool,
    text: &str,
    x: f64,
    baseline: f64,
    em_px: f64,
    rng: &mut fastrand::Rng,
) -> anyhow::Result<()> {
    let face = if bold { &fonts.bold } else { &fonts.sans };
    if !face.covers(text) {
        bail!("the print font {} lacks a glyph of '{text}'", face.name);
    }
    face.draw_line(canvas, text, x, baseline, em_px, Ink::PRINT, rng);
    Ok(())
}

/// Draws the QR symbol of `payload` so that the dark modules' outer edge spans `rect`
/// exactly (the quiet zone is the white paper around it).
pub(crate) fn draw_qr(canvas: &mut Canvas, payload: &str, rect: RectMm) -> anyhow::Result<()> {
    let code = qrcode_encoder::encode(payload, ErrorCorrectionLevel::M)
        .map_err(|e| anyhow!("{e:?}"))
        .with_context(|| format!("encoding the QR payload '{payload}'"))?;
    let m = code
        .getMatrix()
        .as_ref()
        .ok_or_else(|| anyhow!("the QR encoder returned no matrix for '{payload}'"))?;
    let n = m.getWidth() as i64;
    let module = canvas.px(rect.w) / n as f64;
    let (ox, oy) = (canvas.px(rect.x), canvas.px(rect.y));
    // Coverage by 4×4 supersampling of the module grid: filling modules one by one would
    // leave faint seams where two dark modules share a pixel.
    let dark = |px: f64, py: f64| -> bool {
        let (mx, my) = (
            ((px - ox) / module).floor() as i64,
            ((py - oy) / module).floor() as i64,
        );
        mx >= 0 && my >= 0 && mx < n && my < n && m.get(mx as u32, my as u32) == 1
    };
    let size = module * n as f64;
    let mut mask = super::canvas::Mask::new(
        ox.floor() as i64,
        oy.floor() as i64,
        (ox + size).ceil() as i64,
        (oy + size).ceil() as i64,
    );
    for y in oy.floor() as i64..(oy + size).ceil() as i64 {
        for x in ox.floor() as i64..(ox + size).ceil() as i64 {
            let mut hits = 0;
            for sy in 0..4 {
                for sx in 0..4 {
                    if dark(
                        x as f64 + (sx as f64 + 0.5) / 4.0,
                        y as f64 + (sy as f64 + 0.5) / 4.0,
                    ) {
                        hits += 1;
                    }
                }
            }
            mask.put(x, y, hits as f32 / 16.0);
        }
    }
    canvas.apply(&mask, Ink::PRINT, &mut fastrand::Rng::with_seed(0));
    Ok(())
}
