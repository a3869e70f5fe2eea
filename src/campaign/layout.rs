//! campaign.toml: its serde shape, and the validation that turns it into typed forms and
//! zones. Every check names the field it rejects, so that `urnscan layout check` can tell a
//! campaign designer exactly what to fix.

use serde::Deserialize;

use super::payload::PayloadTemplate;
use super::registry::{Question, Urn};
use super::{Campaign, LayoutError};

const FILE: &str = "campaign.toml";

/// A rectangle on the page, in millimetres.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RectMm {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl RectMm {
    pub fn square(x: f64, y: f64, size: f64) -> RectMm {
        RectMm {
            x,
            y,
            w: size,
            h: size,
        }
    }
    pub fn centre(&self) -> (f64, f64) {
        (self.x + self.w / 2.0, self.y + self.h / 2.0)
    }
    /// The same rectangle grown (or shrunk, for a negative margin) on every side.
    pub fn grow(&self, margin: f64) -> RectMm {
        RectMm {
            x: self.x - margin,
            y: self.y - margin,
            w: self.w + 2.0 * margin,
            h: self.h + 2.0 * margin,
        }
    }
    fn inside(&self, width: f64, height: f64) -> bool {
        self.x >= 0.0
            && self.y >= 0.0
            && self.w > 0.0
            && self.h > 0.0
            && self.x + self.w <= width
            && self.y + self.h <= height
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
struct SquareRaw {
    x: f64,
    y: f64,
    size: f64,
}

/// Grey guide lines printed inside a text zone (y positions on the page, mm).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuideLines {
    pub first: f64,
    pub step: f64,
    pub last: f64,
    pub x0: f64,
    pub x1: f64,
}

impl GuideLines {
    pub fn ys(&self) -> impl Iterator<Item = f64> + '_ {
        let n = ((self.last - self.first) / self.step).round().max(0.0) as usize;
        (0..=n).map(move |i| self.first + i as f64 * self.step)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelRaw {
    text: String,
    x: f64,
    y: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChoiceRaw {
    code: String,
    label: String,
    x: f64,
    y: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ZoneRaw {
    id: String,
    kind: String,
    question: Option<String>,
    #[serde(rename = "box")]
    rect: Option<RectMm>,
    stroke: Option<f64>,
    guides: Option<GuideLines>,
    model: Option<String>,
    label: Option<LabelRaw>,
    choices: Option<Vec<ChoiceRaw>>,
    box_size: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PrintRaw {
    text: String,
    #[serde(rename = "box")]
    rect: RectMm,
    size: f64,
    #[serde(default)]
    bold: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormRaw {
    id: String,
    width: f64,
    height: f64,
    qr_question: String,
    qr: SquareRaw,
    #[serde(default)]
    marks: Vec<SquareRaw>,
    #[serde(default, rename = "zone")]
    zones: Vec<ZoneRaw>,
    #[serde(default, rename = "print")]
    prints: Vec<PrintRaw>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CampaignHeaderRaw {
    id: String,
    title: String,
    channel: String,
    payload: String,
    serial_digits: usize,
    questions: String,
    urns: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LayoutRaw {
    campaign: CampaignHeaderRaw,
    #[serde(rename = "form")]
    forms: Vec<FormRaw>,
}

/// campaign.toml parsed but not yet checked against itself and the registries.
pub(super) struct ParsedLayout {
    raw: LayoutRaw,
    pub questions_file: String,
    pub urns_file: String,
}

pub(super) fn parse(text: &str) -> Result<ParsedLayout, LayoutError> {
    let raw: LayoutRaw = toml::from_str(text).map_err(|e| {
        let span = e
            .span()
            .map(|s| {
                let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                format!("line {line}")
            })
            .unwrap_or_else(|| "-".to_string());
        LayoutError::new(FILE, span, e.message().to_string())
    })?;
    Ok(ParsedLayout {
        questions_file: raw.campaign.questions.clone(),
        urns_file: raw.campaign.urns.clone(),
        raw,
    })
}

/// What the QR code's question field holds on a form.
#[derive(Debug, Clone, PartialEq)]
pub enum QrQuestion {
    /// A question id from the registry (one question per slip).
    Registry,
    /// This literal value (a sheet carrying several questions).
    Literal(String),
}

/// Which question a text zone answers.
#[derive(Debug, Clone, PartialEq)]
pub enum ZoneQuestion {
    FromQr,
    Fixed(String),
}

#[derive(Debug, Clone)]
pub struct TextZone {
    pub id: String,
    pub question: ZoneQuestion,
    pub rect: RectMm,
    /// Stroke width of the printed box, mm (the reader keeps clear of it).
    pub stroke: f64,
    pub guides: Option<GuideLines>,
    /// The model that reads this zone (`OcrModel::resolve` names); None: the default
    /// (`recognize::DEFAULT_MODEL`).
    pub model: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub code: String,
    pub label: String,
    pub rect: RectMm,
}

#[derive(Debug, Clone)]
pub struct CheckboxGroup {
    pub id: String,
    pub label: String,
    pub label_at: (f64, f64),
    pub stroke: f64,
    pub choices: Vec<Choice>,
}

#[derive(Debug, Clone)]
pub enum Zone {
    Text(TextZone),
    Checkbox(CheckboxGroup),
}

/// A line of printed text on the form (used to draw forms, never read back).
#[derive(Debug, Clone)]
pub struct PrintItem {
    pub text: String,
    pub rect: RectMm,
    pub size_pt: f64,
    pub bold: bool,
}

#[derive(Debug, Clone)]
pub struct Form {
    pub id: String,
    pub width: f64,
    pub height: f64,
    pub qr_question: QrQuestion,
    /// The QR symbol's outer edge (quiet zone excluded).
    pub qr: RectMm,
    pub marks: Vec<RectMm>,
    pub zones: Vec<Zone>,
    pub prints: Vec<PrintItem>,
}

impl Form {
    pub fn text_zones(&self) -> impl Iterator<Item = &TextZone> {
        self.zones.iter().filter_map(|z| match z {
            Zone::Text(t) => Some(t),
            Zone::Checkbox(_) => None,
        })
    }
    pub fn checkbox_groups(&self) -> impl Iterator<Item = &CheckboxGroup> {
        self.zones.iter().filter_map(|z| match z {
            Zone::Checkbox(g) => Some(g),
            Zone::Text(_) => None,
        })
    }
}

fn positive(field: &str, v: f64) -> Result<(), LayoutError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(LayoutError::new(
            FILE,
            field,
            format!("must be a positive number of mm, found {v}"),
        ))
    }
}

/// A value within bounds that keep the reader sane: a page is at most A0-sized, a zone is
/// large enough to crop and read, guide lines are not a grating.
fn within(field: &str, v: f64, lo: f64, hi: f64, unit: &str) -> Result<(), LayoutError> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(LayoutError::new(
            FILE,
            field,
            format!("must be between {lo} and {hi} {unit}, found {v}"),
        ))
    }
}

fn on_page(field: &str, r: &RectMm, form: &FormRaw) -> Result<(), LayoutError> {
    if r.inside(form.width, form.height) {
        Ok(())
    } else {
        Err(LayoutError::new(
            FILE,
            field,
            format!(
                "box x {}..{} y {}..{} does not lie on the {} × {} mm page",
                r.x,
                r.x + r.w,
                r.y,
                r.y + r.h,
                form.width,
                form.height
            ),
        ))
    }
}

fn id_ok(field: &str, id: &str) -> Result<(), LayoutError> {
    let ok = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(LayoutError::new(
            FILE,
            field,
            format!("'{id}' must be a non-empty id of letters, digits, '-' and '_'"),
        ))
    }
}

pub(super) fn validate(
    parsed: ParsedLayout,
    questions: Vec<Question>,
    urns: Vec<Urn>,
) -> Result<Campaign, LayoutError> {
    let raw = parsed.raw;
    let head = &raw.campaign;
    id_ok("campaign.id", &head.id)?;
    if !(1..=12).contains(&head.serial_digits) {
        return Err(LayoutError::new(
            FILE,
            "campaign.serial_digits",
            format!("must be between 1 and 12, found {}", head.serial_digits),
        ));
    }
    let payload = PayloadTemplate::parse(&head.payload, head.serial_digits)
        .map_err(|p| LayoutError::new(FILE, "campaign.payload", p))?;
    if raw.forms.is_empty() {
        return Err(LayoutError::new(
            FILE,
            "form",
            "the campaign has no [[form]]",
        ));
    }

    let mut forms = Vec::new();
    for (fi, f) in raw.forms.iter().enumerate() {
        let fp = format!("form[{fi}] '{}'", f.id);
        id_ok(&format!("{fp}.id"), &f.id)?;
        if raw.forms[..fi].iter().any(|o| o.id == f.id) {
            return Err(LayoutError::new(
                FILE,
                format!("{fp}.id"),
                "the same form id appears twice",
            ));
        }
        within(&format!("{fp}.width"), f.width, 50.0, 1200.0, "mm")?;
        within(&format!("{fp}.height"), f.height, 50.0, 1200.0, "mm")?;
        positive(&format!("{fp}.height"), f.height)?;
        let qr_question = match f.qr_question.as_str() {
            "registry" => QrQuestion::Registry,
            "" => {
                return Err(LayoutError::new(
                    FILE,
                    format!("{fp}.qr_question"),
                    "must be \"registry\" or a literal value",
                ))
            }
            lit => QrQuestion::Literal(lit.to_string()),
        };
        positive(&format!("{fp}.qr.size"), f.qr.size)?;
        let qr = RectMm::square(f.qr.x, f.qr.y, f.qr.size);
        on_page(&format!("{fp}.qr"), &qr, f)?;
        let mut marks = Vec::new();
        for (mi, m) in f.marks.iter().enumerate() {
            let r = RectMm::square(m.x, m.y, m.size);
            positive(&format!("{fp}.marks[{mi}].size"), m.size)?;
            on_page(&format!("{fp}.marks[{mi}]"), &r, f)?;
            marks.push(r);
        }

        let mut zones = Vec::new();
        for (zi, z) in f.zones.iter().enumerate() {
            let zp = format!("{fp}.zone[{zi}] '{}'", z.id);
            id_ok(&format!("{zp}.id"), &z.id)?;
            if f.zones[..zi].iter().any(|o| o.id == z.id) {
                return Err(LayoutError::new(
                    FILE,
                    format!("{zp}.id"),
                    "the same zone id appears twice in this form",
                ));
            }
            match z.kind.as_str() {
                "text" => zones.push(Zone::Text(text_zone(&zp, z, f, &qr_question, &questions)?)),
                "checkbox" => zones.push(Zone::Checkbox(checkbox_group(&zp, z, f)?)),
                other => {
                    return Err(LayoutError::new(
                        FILE,
                        format!("{zp}.kind"),
                        format!("'{other}' is not a zone kind (text, checkbox)"),
                    ))
                }
            }
        }
        if !zones.iter().any(|z| matches!(z, Zone::Text(_))) {
            return Err(LayoutError::new(
                FILE,
                format!("{fp}.zone"),
                "the form has no text zone to read",
            ));
        }
        let mut prints = Vec::new();
        for (pi, p) in f.prints.iter().enumerate() {
            on_page(&format!("{fp}.print[{pi}].box"), &p.rect, f)?;
            within(&format!("{fp}.print[{pi}].size"), p.size, 3.0, 72.0, "pt")?;
            prints.push(PrintItem {
                text: p.text.clone(),
                rect: p.rect,
                size_pt: p.size,
                bold: p.bold,
            });
        }
        forms.push(Form {
            id: f.id.clone(),
            width: f.width,
            height: f.height,
            qr_question,
            qr,
            marks,
            zones,
            prints,
        });
    }

    Ok(Campaign {
        id: head.id.clone(),
        title: head.title.clone(),
        channel: head.channel.clone(),
        payload,
        questions,
        urns,
        forms,
        origin: String::new(),
    })
}

fn text_zone(
    zp: &str,
    z: &ZoneRaw,
    f: &FormRaw,
    qr_question: &QrQuestion,
    questions: &[Question],
) -> Result<TextZone, LayoutError> {
    let rect = z
        .rect
        .ok_or_else(|| LayoutError::new(FILE, format!("{zp}.box"), "a text zone needs a box"))?;
    on_page(&format!("{zp}.box"), &rect, f)?;
    within(&format!("{zp}.box.w"), rect.w, 10.0, 1200.0, "mm")?;
    within(&format!("{zp}.box.h"), rect.h, 5.0, 1200.0, "mm")?;
    let q = z.question.as_deref().ok_or_else(|| {
        LayoutError::new(
            FILE,
            format!("{zp}.question"),
            "a text zone needs the question it answers (an id, or \"from_qr\")",
        )
    })?;
    let question = if q == "from_qr" {
        if *qr_question != QrQuestion::Registry {
            return Err(LayoutError::new(
                FILE,
                format!("{zp}.question"),
                "\"from_qr\" needs the form's qr_question = \"registry\"",
            ));
        }
        ZoneQuestion::FromQr
    } else {
        if !questions.iter().any(|qq| qq.id == q) {
            let known: Vec<&str> = questions.iter().map(|qq| qq.id.as_str()).collect();
            return Err(LayoutError::new(
                FILE,
                format!("{zp}.question"),
                format!(
                    "unknown question '{q}' (the registry has {})",
                    known.join(", ")
                ),
            ));
        }
        ZoneQuestion::Fixed(q.to_string())
    };
    if let Some(g) = &z.guides {
        within(&format!("{zp}.guides.step"), g.step, 3.0, 100.0, "mm")?;
        let inside = g.first >= rect.y
            && g.last <= rect.y + rect.h
            && g.first <= g.last
            && g.x0 >= rect.x
            && g.x1 <= rect.x + rect.w;
        if !inside {
            return Err(LayoutError::new(
                FILE,
                format!("{zp}.guides"),
                "guide lines must lie inside the zone's box",
            ));
        }
    }
    Ok(TextZone {
        id: z.id.clone(),
        question,
        rect,
        stroke: z.stroke.unwrap_or(0.4),
        guides: z.guides,
        model: z.model.clone(),
    })
}

fn checkbox_group(zp: &str, z: &ZoneRaw, f: &FormRaw) -> Result<CheckboxGroup, LayoutError> {
    let choices = z
        .choices
        .as_ref()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            LayoutError::new(
                FILE,
                format!("{zp}.choices"),
                "a checkbox group needs at least one choice",
            )
        })?;
    let size = z.box_size.unwrap_or(4.0);
    within(&format!("{zp}.box_size"), size, 3.0, 30.0, "mm")?;
    positive(&format!("{zp}.box_size"), size)?;
    let mut out = Vec::new();
    for (ci, c) in choices.iter().enumerate() {
        id_ok(&format!("{zp}.choices[{ci}].code"), &c.code)?;
        if choices[..ci].iter().any(|o| o.code == c.code) {
            return Err(LayoutError::new(
                FILE,
                format!("{zp}.choices[{ci}].code"),
                "the same code appears twice in the group",
            ));
        }
        let rect = RectMm::square(c.x, c.y, size);
        on_page(&format!("{zp}.choices[{ci}]"), &rect, f)?;
        out.push(Choice {
            code: c.code.clone(),
            label: c.label.clone(),
            rect,
        });
    }
    let (label, label_at) = match &z.label {
        Some(l) => (l.text.clone(), (l.x, l.y)),
        None => (String::new(), (0.0, 0.0)),
    };
    Ok(CheckboxGroup {
        id: z.id.clone(),
        label,
        label_at,
        stroke: z.stroke.unwrap_or(0.3),
        choices: out,
    })
}

#[cfg(test)]
mod tests {
    use super::super::Campaign;

    fn builtin_toml() -> String {
        include_str!("../../forms-layout/assises-2022/campaign.toml").to_string()
    }

    fn check(toml_text: &str) -> String {
        let parsed = super::parse(toml_text);
        let parsed = match parsed {
            Ok(p) => p,
            Err(e) => return e.to_string(),
        };
        let c = Campaign::builtin().unwrap();
        match super::validate(parsed, c.questions.clone(), c.urns.clone()) {
            Ok(_) => "ok".to_string(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn builtin_layout_validates() {
        assert_eq!(check(&builtin_toml()), "ok");
    }

    #[test]
    fn zone_off_the_page_is_named() {
        let t = builtin_toml().replace(
            "box = { x = 10, y = 44, w = 128, h = 120 }",
            "box = { x = 10, y = 44, w = 148, h = 120 }",
        );
        let msg = check(&t);
        assert!(
            msg.contains("form[0] 'slip-a5'.zone[0] 'answer'.box"),
            "{msg}"
        );
        assert!(
            msg.contains("does not lie on the 148 × 210 mm page"),
            "{msg}"
        );
    }

    #[test]
    fn absurd_sizes_are_refused_before_any_page_is_read() {
        let t = builtin_toml().replace("first = 54, step = 10", "first = 54, step = 0.000001");
        assert!(
            check(&t).contains("guides.step: must be between 3 and 100 mm"),
            "{}",
            check(&t)
        );
        let t = builtin_toml().replace("width = 148", "width = 1e9");
        assert!(
            check(&t).contains("'slip-a5'.width: must be between"),
            "{}",
            check(&t)
        );
    }

    #[test]
    fn unknown_question_is_named() {
        let t = builtin_toml().replace("question = \"Q2\"", "question = \"Q9\"");
        let msg = check(&t);
        assert!(
            msg.contains("zone[1] 'answer2'.question: unknown question 'Q9'"),
            "{msg}"
        );
    }

    #[test]
    fn toml_syntax_error_gives_line() {
        let t = builtin_toml().replace("serial_digits = 6", "serial_digits = ");
        let msg = check(&t);
        assert!(msg.starts_with("campaign.toml: line 11:"), "{msg}");
    }

    #[test]
    fn unknown_field_is_refused() {
        let t =
            builtin_toml().replace("channel = \"urne\"", "channel = \"urne\"\ncolour = \"red\"");
        let msg = check(&t);
        assert!(msg.contains("unknown field `colour`"), "{msg}");
    }

    #[test]
    fn bad_payload_template_is_named() {
        let t = builtin_toml().replace("&n={serial}", "");
        let msg = check(&t);
        assert!(msg.contains("campaign.payload"), "{msg}");
    }
}
