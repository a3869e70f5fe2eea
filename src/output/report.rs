//! The review report: `report.html` in the output folder, one static page for the agent who
//! checks a batch. It is written at the end of every `process` run and again by `urnscan
//! report OUT`, always from the CSV files of the folder (so both give the same page, and a
//! folder from an `--excel` run or an older run works too).
//!
//! What it shows: a summary of the pages (read, blank, duplicate, rejected by reason), the
//! pages set aside with their reason and detail, bar charts of contributions per urn and per
//! question, and every contribution, those needing review first, each with its crop beside
//! the text, its confidence, its ids and its ticks.
//!
//! Constraints, and why:
//! - It opens offline, from a USB stick or a mail attachment with its `crops/` folder: no
//!   CDN, no font, no stylesheet or script file; the only resources are the crops, named
//!   relatively. A Content-Security-Policy forbids anything else, so that even a crop path
//!   edited by hand cannot make the page fetch from the network.
//! - Everything taken from the data is HTML-escaped: the answers are citizens' free text,
//!   and file names come from whatever the scanner or the agent named them.
//! - It reads without JavaScript: the script only adds the filters (hidden until it runs)
//!   and notes crops that failed to load, in the page and in attributes of `<html>` that
//!   the tests read back through a headless browser.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::path::Path;

use super::csvfile::write_atomic;
use super::folder::OutputFolder;
use super::records::{ContributionRecord, PageRecord, PageStatus};
use crate::outcome::{RejectionReason, ReviewReason};

/// The report's file name in the output folder.
pub const REPORT_FILE: &str = "report.html";

/// What the report is made of: the two CSV files of an output folder.
#[derive(Debug, Clone, Default)]
pub struct ReportData {
    pub contributions: Vec<ContributionRecord>,
    pub pages: Vec<PageRecord>,
    /// Checkbox groups' titles as the campaign's form prints them, by group id.
    pub checkbox_titles: std::collections::BTreeMap<String, String>,
}

/// What was written, for the command's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub contributions: usize,
    pub needs_review: usize,
}

/// Reads the output folder `out` and writes `out/report.html` atomically.
pub fn write(out: &Path) -> anyhow::Result<Written> {
    let data = load(out)?;
    let html = render(&data);
    write_atomic(&out.join(REPORT_FILE), html.as_bytes())?;
    Ok(Written {
        contributions: data.contributions.len(),
        needs_review: data.contributions.iter().filter(|c| c.needs_review).count(),
    })
}

/// Reads contributions.csv and pages.csv of `out` (see `OutputFolder::open` for what is
/// refused).
pub fn load(out: &Path) -> anyhow::Result<ReportData> {
    let folder = OutputFolder::open(out)?;
    Ok(ReportData {
        contributions: folder.contributions,
        pages: folder.pages,
        checkbox_titles: folder.checkbox_titles,
    })
}

/// Text escaped for HTML element content and quoted attribute values alike.
struct Esc<'a>(&'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..i])?;
            f.write_str(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)
    }
}

/// The `src` of a crop: a relative path inside the output folder, percent-encoded so that
/// no file name can turn into a scheme (`http:`), a query, a fragment or an attribute
/// break. None for a path that would point outside the folder (absolute, `..`, `//host`,
/// backslashes): a hand-edited CSV must not make the page load something else.
fn crop_src(crop_file: &str) -> Option<String> {
    if crop_file.is_empty()
        || crop_file.starts_with('/')
        || crop_file.contains('\\')
        || crop_file
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return None;
    }
    let mut src = String::with_capacity(crop_file.len());
    for b in crop_file.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            src.push(char::from(b));
        } else {
            let _ = write!(src, "%{b:02X}");
        }
    }
    Some(src)
}

/// The agent's words for a page rejection reason code (the code itself when unknown).
fn rejection_label(code: &str) -> &str {
    match RejectionReason::from_code(code) {
        Some(r) => r.label(),
        None => code,
    }
}

/// A checkbox group's title in the report: the form's own (`titles`), else its column
/// name, capitalised.
fn group_title(group: &str, titles: &std::collections::BTreeMap<String, String>) -> String {
    if let Some(title) = titles.get(group) {
        return title.clone();
    }
    let mut chars = group.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Counts of the summary, from pages.csv and contributions.csv.
#[derive(Debug, Default, PartialEq)]
struct Counts {
    pages: usize,
    ok: usize,
    blank: usize,
    duplicate: usize,
    rejected: usize,
    rejected_by_reason: BTreeMap<String, usize>,
    contributions: usize,
    needs_review: usize,
}

fn counts(data: &ReportData) -> Counts {
    let mut c = Counts {
        pages: data.pages.len(),
        contributions: data.contributions.len(),
        needs_review: data.contributions.iter().filter(|c| c.needs_review).count(),
        ..Counts::default()
    };
    for p in &data.pages {
        match p.status {
            PageStatus::Ok => c.ok += 1,
            PageStatus::Blank => c.blank += 1,
            PageStatus::Duplicate => c.duplicate += 1,
            PageStatus::Rejected => {
                c.rejected += 1;
                let code = p.reason.map(RejectionReason::code).unwrap_or_default();
                *c.rejected_by_reason.entry(code.to_string()).or_default() += 1;
            }
        }
    }
    c
}

/// A bar of a chart: a label, the contributions and how many of them need review.
#[derive(Debug, PartialEq)]
struct Bar {
    key: String,
    label: String,
    total: usize,
    review: usize,
}

/// Bars per urn and per question, sorted by id.
fn bars(data: &ReportData) -> (Vec<Bar>, Vec<Bar>) {
    let mut urns: BTreeMap<&str, Bar> = BTreeMap::new();
    let mut questions: BTreeMap<&str, Bar> = BTreeMap::new();
    for c in &data.contributions {
        for (map, key, label) in [
            (&mut urns, &c.urn_id, &c.urn_name),
            (&mut questions, &c.question_id, &c.question_label),
        ] {
            let bar = map.entry(key).or_insert_with(|| Bar {
                key: key.clone(),
                label: label.clone(),
                total: 0,
                review: 0,
            });
            bar.total += 1;
            bar.review += usize::from(c.needs_review);
        }
    }
    (
        urns.into_values().collect(),
        questions.into_values().collect(),
    )
}

/// `s` cut to `max` characters, with an ellipsis when cut (SVG text does not wrap).
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A horizontal bar chart as inline SVG: one row per bar, the part needing review drawn in
/// another colour, the count after the bar, the full label in a tooltip.
fn bar_chart(h: &mut String, title: &str, bars: &[Bar]) {
    const ROW: usize = 24;
    const LABEL: usize = 280;
    const LENGTH: usize = 260;
    const WIDTH: usize = LABEL + LENGTH + 50;
    let _ = write!(
        h,
        "<figure class=\"chart\"><figcaption>{}</figcaption>",
        Esc(title)
    );
    if bars.is_empty() {
        h.push_str("<p>Aucune contribution.</p></figure>");
        return;
    }
    let max = bars.iter().map(|b| b.total).max().unwrap_or(1).max(1);
    let height = bars.len() * ROW + 4;
    let _ = write!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">",
        Esc(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = i * ROW + 2;
        let total = b.total * LENGTH / max;
        let review = b.review * LENGTH / max;
        let label = if b.label.is_empty() {
            b.key.clone()
        } else {
            format!("{} {}", b.key, b.label)
        };
        let _ = write!(
            h,
            "<g><title>{}: {} contribution(s), dont {} à relire</title>\
             <text x=\"0\" y=\"{}\">{}</text>\
             <rect x=\"{LABEL}\" y=\"{}\" width=\"{total}\" height=\"16\" fill=\"#4a78b5\"/>",
            Esc(&label),
            b.total,
            b.review,
            y + 13,
            Esc(&shorten(&label, 40)),
            y + 1,
        );
        if review > 0 {
            let _ = write!(
                h,
                "<rect x=\"{LABEL}\" y=\"{}\" width=\"{review}\" height=\"16\" fill=\"#d9822b\"/>",
                y + 1
            );
        }
        let _ = write!(
            h,
            "<text x=\"{}\" y=\"{}\">{}</text></g>",
            LABEL + total + 6,
            y + 13,
            b.total
        );
    }
    h.push_str("</svg></figure>");
}

/// The style sheet: plain, printable, readable on a small laptop screen.
const STYLE: &str = "\
body{font-family:system-ui,sans-serif;margin:0 auto;padding:1em 1.5em;max-width:75em;color:#1a1a1a;background:#fff;line-height:1.4}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.25em;margin:1.2em 0 .4em;border-bottom:1px solid #ccc}
[hidden]{display:none!important}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
td.n{text-align:right}
.charts{display:flex;flex-wrap:wrap;gap:1em 3em}.chart{margin:0}.chart figcaption{font-weight:bold;margin-bottom:.3em}
.legend span{display:inline-block;width:.9em;height:.9em;vertical-align:middle;margin:0 .3em 0 1em}
#filters{margin:.5em 0;padding:.5em;background:#f3f3f3}#filters label{margin-right:1.5em}
.contribution{display:flex;gap:1.2em;border:1px solid #ccc;border-left:6px solid #4a78b5;padding:.6em;margin:.6em 0;page-break-inside:avoid}
.contribution.review{border-left-color:#d9822b;background:#fffaf3}
.crop{flex:0 0 26em;max-width:45%}.crop img{width:100%;height:auto;border:1px solid #999;background:#eee}
.info{flex:1;min-width:0}.text{font-size:1.1em;margin:0 0 .5em;padding:.3em .6em;border-left:3px solid #ccc;white-space:pre-wrap;overflow-wrap:anywhere}
.badge{display:inline-block;background:#d9822b;color:#fff;border-radius:.3em;padding:0 .4em;margin:0 .3em .3em 0;font-size:.9em}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1em .8em;margin:0}dt{font-weight:bold}dd{margin:0;overflow-wrap:anywhere}
.missing{color:#a00;font-weight:bold}
";

/// Runs first: records script errors and failed loads in `data-errors` on `<html>`, for a
/// headless browser to read back, and says in the page when crops cannot be found (the
/// report was moved without its `crops/` folder). Error events of images do not bubble:
/// the listener catches them on their way down.
const SCRIPT_HEAD: &str = "\
(function(){var errors=[],missing=0;function note(t){errors.push(t);document.documentElement.setAttribute('data-errors',errors.join(' | '));}
window.addEventListener('error',function(e){var t=e.target;if(t&&t.tagName==='IMG'){missing++;note('cannot load '+t.getAttribute('src'));
var w=document.getElementById('missing-crops');if(w){w.textContent=missing+' image(s) de réponse introuvable(s) : gardez report.html à côté du dossier crops/ de ce dossier de résultats.';w.hidden=false;}}
else{note('script error: '+(e.message||(t&&t.tagName)));}},true);})();
";

/// Runs at the end of the page: shows and applies the filters; once the page has loaded,
/// records how many crops loaded (`data-images` on `<html>`, and each image's
/// `data-natural-width` and `data-rect`, its place on the page) for the tests.
const SCRIPT_BODY: &str = "\
(function(){var form=document.getElementById('filters');var items=document.querySelectorAll('.contribution');
function apply(){var u=form.elements.urn.value,q=form.elements.question.value,r=form.elements.reason.value,shown=0;
for(var i=0;i<items.length;i++){var d=items[i].dataset,reasons=d.reasons?d.reasons.split(' '):[];
var ok=(!u||d.urn===u)&&(!q||d.question===q)&&(!r||(r==='*'?d.review==='true':r==='-'?d.review!=='true':reasons.indexOf(r)>=0));
items[i].hidden=!ok;if(ok)shown++;}
var groups=document.querySelectorAll('.group');for(var g=0;g<groups.length;g++){groups[g].hidden=!groups[g].querySelector('.contribution:not([hidden])');}
document.getElementById('shown').textContent=shown+' contribution(s) affichée(s) sur '+items.length+'.';}
if(form){form.hidden=false;form.addEventListener('change',apply);apply();}
window.addEventListener('load',function(){var imgs=document.images,loaded=0;
for(var i=0;i<imgs.length;i++){var im=imgs[i],r=im.getBoundingClientRect();im.setAttribute('data-natural-width',im.naturalWidth);
im.setAttribute('data-rect',[Math.round(r.left+window.scrollX),Math.round(r.top+window.scrollY),Math.round(r.width),Math.round(r.height)].join(' '));
if(im.complete&&im.naturalWidth>0)loaded++;}
var root=document.documentElement;root.setAttribute('data-images',loaded+'/'+imgs.length);root.setAttribute('data-selfcheck','done');});})();
";

/// Only the page's own style and its two scripts (named by their SHA-256, so that no other
/// script runs even if some text slipped past the escaping), and images from the report's
/// own folder: nothing is fetched from anywhere else, whatever the data says.
fn csp() -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let hash = |script: &str| {
        let digest = sha2::Sha256::digest(format!("\n{script}").as_bytes());
        format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    };
    format!(
        "default-src 'none'; img-src 'self' file:; style-src 'unsafe-inline'; script-src {} {}; base-uri 'none'; form-action 'none'",
        hash(SCRIPT_HEAD),
        hash(SCRIPT_BODY)
    )
}

/// The whole page.
pub fn render(data: &ReportData) -> String {
    let mut h = String::with_capacity(16 * 1024 + data.contributions.len() * 1500);
    let first = data.contributions.first();
    let campaign = first.map(|c| c.campaign.as_str()).unwrap_or("");
    let batch = first.map(|c| c.batch.as_str()).unwrap_or("");
    let mut title = "Rapport de relecture urnscan".to_string();
    if !batch.is_empty() {
        let _ = write!(title, " — lot {batch}");
    }
    if !campaign.is_empty() {
        let _ = write!(title, " ({campaign})");
    }
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"urnscan\">\n<title>{}</title>\n\
         <style>\n{STYLE}</style>\n<script>\n{SCRIPT_HEAD}</script>\n</head>\n<body>\n<h1>{}</h1>\n\
         <p id=\"missing-crops\" class=\"missing\" hidden></p>\n",
        Esc(&csp()),
        Esc(&title),
        Esc(&title)
    );
    summary(&mut h, data);
    set_aside(&mut h, data);
    contributions(&mut h, data);
    let _ = write!(h, "<script>\n{SCRIPT_BODY}</script>\n</body>\n</html>\n");
    h
}

fn summary(h: &mut String, data: &ReportData) {
    let c = counts(data);
    h.push_str("<h2 id=\"summary\">Résumé</h2>\n<table class=\"summary\">\n");
    let mut line = |label: &str, n: usize, note: String| {
        let _ = writeln!(
            h,
            "<tr><th>{}</th><td class=\"n\">{n}</td><td>{}</td></tr>",
            Esc(label),
            Esc(&note)
        );
    };
    line(
        "Pages lues",
        c.pages,
        "une ligne de pages.csv chacune".into(),
    );
    line(
        "Pages lues avec succès",
        c.ok,
        format!(
            "{} contribution(s), dont {} à relire",
            c.contributions, c.needs_review
        ),
    );
    line("Contributions", c.contributions, String::new());
    line("À relire", c.needs_review, String::new());
    line("Pages vides", c.blank, "rien d'écrit".into());
    line(
        "Doublons",
        c.duplicate,
        "seul le premier passage compte".into(),
    );
    let reasons: Vec<String> = c
        .rejected_by_reason
        .iter()
        .map(|(r, n)| format!("{} ({r}) : {n}", rejection_label(r)))
        .collect();
    line("Pages rejetées", c.rejected, reasons.join(", "));
    h.push_str("</table>\n");

    let (urns, questions) = bars(data);
    h.push_str(
        "<h2 id=\"charts\">Contributions par urne et par question</h2>\n\
         <p class=\"legend\"><span style=\"background:#4a78b5\"></span>contributions\
         <span style=\"background:#d9822b\"></span>dont à relire</p>\n<div class=\"charts\">\n",
    );
    bar_chart(h, "Par urne", &urns);
    h.push('\n');
    bar_chart(h, "Par question", &questions);
    h.push_str("\n</div>\n");
}

/// Rejected and duplicate pages, with what pages.csv says about them: the agent has to
/// find each one in the pile.
fn set_aside(h: &mut String, data: &ReportData) {
    let pages: Vec<&PageRecord> = data
        .pages
        .iter()
        .filter(|p| !matches!(p.status, PageStatus::Ok | PageStatus::Blank))
        .collect();
    let _ = writeln!(
        h,
        "<h2 id=\"set-aside\">Pages mises de côté ({})</h2>",
        pages.len()
    );
    if pages.is_empty() {
        h.push_str("<p>Aucune : toutes les pages ont été lues.</p>\n");
        return;
    }
    h.push_str(
        "<table class=\"pages\">\n<tr><th>Fichier</th><th>Page</th><th>Statut</th><th>Raison</th><th>Détail</th></tr>\n",
    );
    for p in pages {
        let reason = p
            .reason
            .map(|r| format!("{} ({})", r.label(), r.code()))
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            Esc(&p.source_file),
            Esc(&p.page.map(|n| n.to_string()).unwrap_or_default()),
            Esc(p.status.label()),
            Esc(&reason),
            Esc(&p.detail)
        );
    }
    h.push_str("</table>\n");
}

/// The filters (hidden until the script shows them) and the contributions, those needing
/// review first, each group in the order of contributions.csv (the order of the scans).
fn contributions(h: &mut String, data: &ReportData) {
    let _ = writeln!(
        h,
        "<h2 id=\"contributions\">Contributions ({})</h2>",
        data.contributions.len()
    );
    if data.contributions.is_empty() {
        h.push_str("<p>Aucune contribution.</p>\n");
        return;
    }
    let (urns, questions) = bars(data);
    let mut reasons: Vec<ReviewReason> = data
        .contributions
        .iter()
        .flat_map(|c| c.review_reasons.iter().copied())
        .collect();
    reasons.sort_unstable_by_key(|r| r.code());
    reasons.dedup();
    h.push_str("<form id=\"filters\" hidden>\n<label>Urne <select name=\"urn\"><option value=\"\">toutes</option>");
    for b in &urns {
        let _ = write!(
            h,
            "<option value=\"{}\">{} {}</option>",
            Esc(&b.key),
            Esc(&b.key),
            Esc(&b.label)
        );
    }
    h.push_str("</select></label>\n<label>Question <select name=\"question\"><option value=\"\">toutes</option>");
    for b in &questions {
        let _ = write!(
            h,
            "<option value=\"{}\">{} {}</option>",
            Esc(&b.key),
            Esc(&b.key),
            Esc(&shorten(&b.label, 60))
        );
    }
    h.push_str(
        "</select></label>\n<label>Relecture <select name=\"reason\"><option value=\"\">toutes</option>\
         <option value=\"*\">à relire (toute raison)</option><option value=\"-\">sans signalement</option>",
    );
    for r in reasons {
        let _ = write!(
            h,
            "<option value=\"{}\">{} ({})</option>",
            Esc(r.code()),
            Esc(r.label()),
            Esc(r.code())
        );
    }
    h.push_str("</select></label>\n<span id=\"shown\"></span>\n</form>\n");

    let (review, rest): (Vec<&ContributionRecord>, Vec<&ContributionRecord>) =
        data.contributions.iter().partition(|c| c.needs_review);
    let mut shown = 0;
    for (title, group) in [
        ("À relire", review),
        ("Sans signalement de relecture", rest),
    ] {
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(
            h,
            "<section class=\"group\">\n<h3>{} ({})</h3>",
            Esc(title),
            group.len()
        );
        for c in group {
            card(h, c, shown < EAGER_CROPS, &data.checkbox_titles);
            shown += 1;
        }
        h.push_str("</section>\n");
    }
}

/// Crops loaded with the page; those after them load as the agent scrolls down, so that a
/// week of a thousand answers opens as fast as a few.
const EAGER_CROPS: usize = 50;

/// One contribution: the crop on the left, what was read and where it comes from on the
/// right.
fn card(
    h: &mut String,
    c: &ContributionRecord,
    eager: bool,
    titles: &std::collections::BTreeMap<String, String>,
) {
    let _ = write!(
        h,
        "<article class=\"contribution{}\" id=\"c-{}\" data-urn=\"{}\" data-question=\"{}\" data-review=\"{}\" data-reasons=\"{}\">\n<div class=\"crop\">",
        if c.needs_review { " review" } else { "" },
        Esc(&c.contribution_id),
        Esc(&c.urn_id),
        Esc(&c.question_id),
        c.needs_review,
        Esc(&c
            .review_reasons
            .iter()
            .map(|r| r.code())
            .collect::<Vec<_>>()
            .join(" "))
    );
    match crop_src(&c.crop_file) {
        Some(src) => {
            let _ = write!(
                h,
                "<img src=\"{}\" alt=\"image de la réponse {}\"{}>",
                Esc(&src),
                Esc(&c.contribution_id),
                if eager { "" } else { " loading=\"lazy\"" }
            );
        }
        None => {
            let _ = write!(
                h,
                "<p class=\"missing\">pas d'image ({})</p>",
                Esc(if c.crop_file.is_empty() {
                    "crop_file vide"
                } else {
                    "chemin hors du dossier de résultats"
                })
            );
        }
    }
    h.push_str("</div>\n<div class=\"info\">\n");
    if !c.review_reasons.is_empty() || c.needs_review {
        h.push_str("<p>");
        for r in &c.review_reasons {
            let _ = write!(
                h,
                "<span class=\"badge\" title=\"{}\">{}</span>",
                Esc(r.code()),
                Esc(r.label())
            );
        }
        if c.review_reasons.is_empty() {
            h.push_str("<span class=\"badge\">à relire</span>");
        }
        h.push_str("</p>\n");
    }
    if c.text.is_empty() {
        h.push_str("<p class=\"text\"><em>(rien lu)</em></p>\n");
    } else {
        let _ = writeln!(h, "<p class=\"text\">{}</p>", Esc(&c.text));
    }
    if c.reviewed {
        let _ = writeln!(
            h,
            "<p class=\"reviewed\">corrigé par une personne ; l'OCR avait lu : « {} »</p>",
            Esc(&c.ocr_text)
        );
    }
    let confidence = c
        .confidence
        .map_or_else(|| "—".to_string(), |v| format!("{v:.0} / 100"));
    let urn = join_nonempty(&[&c.urn_id, &c.urn_name], " ")
        + &if c.quartier.is_empty() {
            String::new()
        } else {
            format!(" ({})", c.quartier)
        };
    let scan = match c.page {
        None => c.source_file.clone(),
        Some(page) => format!("{}, page {page}", c.source_file),
    };
    let mut lines = vec![
        ("Confiance".to_string(), confidence, false),
        ("Contribution".to_string(), c.contribution_id.clone(), true),
        ("N° de série".to_string(), c.serial.clone(), true),
        ("Urne".to_string(), urn, false),
        (
            "Question".to_string(),
            join_nonempty(&[&c.question_id, &c.question_label], " "),
            false,
        ),
    ];
    // One line per checkbox group of the campaign, as contributions.csv has them.
    for t in &c.ticks {
        let ticked = if t.codes.is_empty() {
            "aucune case cochée".to_string()
        } else {
            t.codes.join(", ")
        };
        lines.push((group_title(&t.group, titles), ticked, false));
    }
    lines.push(("Scan".to_string(), scan, false));
    h.push_str("<dl>\n");
    for (label, value, code) in lines {
        let label = Esc(&label);
        let value = Esc(&value);
        let _ = if code {
            writeln!(h, "<dt>{label}</dt><dd><code>{value}</code></dd>")
        } else {
            writeln!(h, "<dt>{label}</dt><dd>{value}</dd>")
        };
    }
    h.push_str("</dl>\n</div>\n</article>\n");
}

fn join_nonempty(parts: &[&str], sep: &str) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(sep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Ticks;

    fn contribution(id: &str, review: bool) -> ContributionRecord {
        ContributionRecord {
            contribution_id: id.into(),
            campaign: "c".into(),
            batch: "b".into(),
            serial: "000001".into(),
            question_id: "Q1".into(),
            question_label: "Question un".into(),
            urn_id: "U01".into(),
            urn_name: "Hôtel de Ville".into(),
            text: format!("texte {id}"),
            confidence: Some(90.0),
            needs_review: review,
            review_reasons: if review {
                vec![ReviewReason::LowConfidence]
            } else {
                vec![]
            },
            ticks: vec![Ticks {
                group: "quartier_vie".into(),
                codes: vec!["nord".into()],
            }],
            source_file: "a.jpg".into(),
            page: Some(1),
            crop_file: format!("crops/{id}.jpg"),
            ..ContributionRecord::default()
        }
    }

    #[test]
    fn escapes_every_special_character() {
        assert_eq!(
            Esc("<a href=\"x\">l'été & co</a>").to_string(),
            "&lt;a href=&quot;x&quot;&gt;l&#39;été &amp; co&lt;/a&gt;"
        );
        assert_eq!(Esc("plain").to_string(), "plain");
    }

    #[test]
    fn hostile_text_and_file_names_show_literally() {
        let mut c = contribution("x-000001-Q1", true);
        c.text = "<script>alert('x')</script> \"quoted\" & <b>bold</b>".into();
        c.source_file = "scan \"1\" <img src=x onerror=alert(1)>.jpg".into();
        c.crop_file = "crops/a\"><script>alert(2)</script>.jpg".into();
        c.urn_name = "</title><script>alert(3)</script>".into();
        c.ticks = vec![Ticks {
            group: "\"><script>alert(4)</script>".into(),
            codes: vec!["<script>alert(6)</script>".into()],
        }];
        let data = ReportData {
            contributions: vec![c],
            pages: vec![PageRecord {
                source_file: "<svg onload=alert(5)>.pdf".into(),
                page: Some(1),
                status: PageStatus::Rejected,
                reason: Some(RejectionReason::NoQr),
                detail: "a & b <i>".into(),
                ..PageRecord::default()
            }],
            ..Default::default()
        };
        let html = render(&data);
        // Only the page's own two scripts, and no tag made from the data.
        assert_eq!(html.matches("<script>").count(), 2, "{html}");
        assert!(!html.contains("<img src=x"));
        assert!(!html.contains("<svg onload"));
        assert!(!html.contains("<b>bold"));
        assert!(!html.contains("<i>"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;"));
        assert!(html.contains("scan &quot;1&quot; &lt;img src=x onerror=alert(1)&gt;.jpg, page 1"));
        assert!(html.contains("&lt;svg onload=alert(5)&gt;.pdf"));
        assert!(html.contains("a &amp; b &lt;i&gt;"));
        // The crop path is percent-encoded inside its attribute: no quote, no tag.
        assert!(html.contains("src=\"crops/a%22%3E%3Cscript%3Ealert%282%29%3C/script%3E.jpg\""));
        // Every quoted attribute stays closed: the number of quotes is even on every line.
        for line in html.lines() {
            assert_eq!(line.matches('"').count() % 2, 0, "{line}");
        }
    }

    #[test]
    fn only_the_pages_own_scripts_may_run() {
        use base64::Engine as _;
        use sha2::Digest as _;
        let html = render(&ReportData {
            contributions: vec![contribution("x-000001-Q1", true)],
            pages: Vec::new(),
            ..Default::default()
        });
        let policy = html
            .split("Content-Security-Policy\" content=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a policy")
            .replace("&#39;", "'");
        let scripts = policy
            .split("; ")
            .find(|d| d.starts_with("script-src "))
            .expect("a script-src");
        assert!(!scripts.contains("unsafe"), "{scripts}");
        // Each inline script, exactly as the browser sees it, is one the policy names.
        let bodies: Vec<&str> = html
            .split("<script>")
            .skip(1)
            .filter_map(|s| s.split("</script>").next())
            .collect();
        assert_eq!(bodies.len(), 2);
        for body in bodies {
            let digest = sha2::Sha256::digest(body.as_bytes());
            let want = base64::engine::general_purpose::STANDARD.encode(digest);
            assert!(scripts.contains(&format!("'sha256-{want}'")), "{scripts}");
        }
    }

    #[test]
    fn crop_paths_stay_inside_the_output_folder() {
        assert_eq!(
            crop_src("crops/000859-answer-172ef4c0.jpg").as_deref(),
            Some("crops/000859-answer-172ef4c0.jpg")
        );
        assert_eq!(
            crop_src("crops/é #1?.jpg").as_deref(),
            Some("crops/%C3%A9%20%231%3F.jpg")
        );
        assert_eq!(crop_src("http:x.jpg").as_deref(), Some("http%3Ax.jpg"));
        for bad in [
            "",
            "/etc/passwd",
            "//evil.example/x.jpg",
            "http://evil.example/x.jpg",
            "../x.jpg",
            "crops/../../x.jpg",
            "crops\\x.jpg",
        ] {
            assert_eq!(crop_src(bad), None, "{bad}");
        }
    }

    #[test]
    fn review_first_then_input_order() {
        let data = ReportData {
            contributions: vec![
                contribution("a", false),
                contribution("b", true),
                contribution("c", false),
                contribution("d", true),
            ],
            pages: vec![],
            ..Default::default()
        };
        let html = render(&data);
        let at = |id: &str| {
            html.find(&format!("id=\"c-{id}\""))
                .unwrap_or_else(|| panic!("{id} missing"))
        };
        assert!(at("b") < at("d") && at("d") < at("a") && at("a") < at("c"));
    }

    #[test]
    fn counts_and_bars_come_from_the_rows() {
        let mut c2 = contribution("b", true);
        c2.urn_id = "U02".into();
        c2.urn_name = "Mairie".into();
        let data = ReportData {
            contributions: vec![contribution("a", false), c2, contribution("c", true)],
            pages: ["ok", "ok", "blank", "duplicate", "rejected", "rejected"]
                .iter()
                .zip(["", "", "", "", "no_qr", "no_qr"])
                .map(|(s, r)| PageRecord {
                    status: PageStatus::from_code(s).unwrap(),
                    reason: RejectionReason::from_code(r),
                    ..PageRecord::default()
                })
                .collect(),
            ..Default::default()
        };
        let c = counts(&data);
        assert_eq!(
            (c.pages, c.ok, c.blank, c.duplicate, c.rejected),
            (6, 2, 1, 1, 2)
        );
        assert_eq!(c.rejected_by_reason.get("no_qr"), Some(&2));
        assert_eq!((c.contributions, c.needs_review), (3, 2));
        let (urns, questions) = bars(&data);
        let summary: Vec<(&str, usize, usize)> = urns
            .iter()
            .map(|b| (b.key.as_str(), b.total, b.review))
            .collect();
        assert_eq!(summary, vec![("U01", 2, 1), ("U02", 1, 1)]);
        assert_eq!(questions.len(), 1);
        assert_eq!(questions[0].total, 3);
        let mut svg = String::new();
        bar_chart(&mut svg, "t", &urns);
        assert!(svg.contains("width=\"260\"") && svg.contains("width=\"130\""));
    }

    #[test]
    fn every_checkbox_group_of_the_campaign_has_its_line() {
        let mut c = contribution("a", false);
        c.ticks.push(Ticks {
            group: "âge".into(),
            codes: vec![],
        });
        let html = render(&ReportData {
            contributions: vec![c],
            pages: vec![],
            ..Default::default()
        });
        assert!(
            html.contains("<dt>Quartier_vie</dt><dd>nord</dd>"),
            "{html}"
        );
        assert!(html.contains("<dt>Âge</dt><dd>aucune case cochée</dd>"));
    }

    #[test]
    fn a_group_is_titled_as_its_form_prints_it() {
        let mut c = contribution("a", false);
        c.ticks = vec![Ticks {
            group: "age".into(),
            codes: vec!["65_plus".into()],
        }];
        let titles = [("age".to_string(), "Âge".to_string())].into();
        let html = render(&ReportData {
            contributions: vec![c],
            checkbox_titles: titles,
            ..Default::default()
        });
        assert!(html.contains("<dt>Âge</dt><dd>65_plus</dd>"), "{html}");
    }

    #[test]
    fn crops_after_the_first_ones_load_lazily() {
        let data = ReportData {
            contributions: (0..EAGER_CROPS + 2)
                .map(|i| contribution(&format!("n{i}"), false))
                .collect(),
            pages: vec![],
            ..Default::default()
        };
        let html = render(&data);
        assert_eq!(html.matches("<img ").count(), EAGER_CROPS + 2);
        assert_eq!(html.matches(" loading=\"lazy\"").count(), 2);
        assert!(html.contains("src=\"crops/n0.jpg\" alt=\"image de la réponse n0\">"));
    }

    #[test]
    fn the_page_says_what_the_data_says() {
        let page = |file: &str, status: &str, reason: &str, detail: &str| PageRecord {
            source_file: file.into(),
            page: Some(1),
            status: PageStatus::from_code(status).unwrap(),
            reason: RejectionReason::from_code(reason),
            detail: detail.into(),
            ..PageRecord::default()
        };
        let data = ReportData {
            contributions: vec![
                contribution("a", false),
                contribution("b", true),
                contribution("c", false),
            ],
            pages: vec![
                page("a.jpg", "ok", "", ""),
                page("z.jpg", "rejected", "no_qr", "no QR code found"),
            ],
            ..Default::default()
        };
        let html = render(&data);
        assert!(html
            .starts_with("<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">"));
        let between = |from: &str, to: &str| {
            let start = html.find(from).unwrap();
            &html[start..start + html[start..].find(to).unwrap()]
        };
        assert_eq!(
            between("<h1>", "<h2 id=\"charts\">"),
            "<h1>Rapport de relecture urnscan — lot b (c)</h1>\n\
             <p id=\"missing-crops\" class=\"missing\" hidden></p>\n\
             <h2 id=\"summary\">Résumé</h2>\n\
             <table class=\"summary\">\n\
             <tr><th>Pages lues</th><td class=\"n\">2</td><td>une ligne de pages.csv chacune</td></tr>\n\
             <tr><th>Pages lues avec succès</th><td class=\"n\">1</td><td>3 contribution(s), dont 1 à relire</td></tr>\n\
             <tr><th>Contributions</th><td class=\"n\">3</td><td></td></tr>\n\
             <tr><th>À relire</th><td class=\"n\">1</td><td></td></tr>\n\
             <tr><th>Pages vides</th><td class=\"n\">0</td><td>rien d&#39;écrit</td></tr>\n\
             <tr><th>Doublons</th><td class=\"n\">0</td><td>seul le premier passage compte</td></tr>\n\
             <tr><th>Pages rejetées</th><td class=\"n\">1</td><td>pas de code QR lisible (no_qr) : 1</td></tr>\n\
             </table>\n"
        );
        assert_eq!(
            between("<h2 id=\"set-aside\">", "<h2 id=\"contributions\">"),
            "<h2 id=\"set-aside\">Pages mises de côté (1)</h2>\n\
             <table class=\"pages\">\n\
             <tr><th>Fichier</th><th>Page</th><th>Statut</th><th>Raison</th><th>Détail</th></tr>\n\
             <tr><td>z.jpg</td><td class=\"n\">1</td><td>rejetée</td><td>pas de code QR lisible (no_qr)</td><td>no QR code found</td></tr>\n\
             </table>\n"
        );
        // Those to review first, then the others, each group in the order of the CSV.
        let order: Vec<&str> = html
            .lines()
            .filter_map(|l| {
                l.strip_prefix("<h3>")
                    .or_else(|| l.strip_prefix("<article class=\"contribution"))
            })
            .map(|l| l.split(" data-urn").next().unwrap())
            .collect();
        assert_eq!(
            order,
            [
                "À relire (1)</h3>",
                " review\" id=\"c-b\"",
                "Sans signalement de relecture (2)</h3>",
                "\" id=\"c-a\"",
                "\" id=\"c-c\"",
            ]
        );
    }
}
