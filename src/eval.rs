//! Measuring urnscan against ground truth: character error rate, and a comparison of a
//! run's CSV files with the truth files the generator writes (`truth-pages.csv`,
//! `truth-answers.csv`). Used by `urnscan evaluate`, the integration tests and benchmarks.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::Serialize;

use crate::outcome::IdentifiedBy;
use crate::output::folder::OutputFolder;
use crate::output::records::{ContributionRecord, PageRecord, PageStatus};
use crate::text::normalise;

/// truth-answers.csv's columns before the checkbox groups: the generator writes them, then
/// one column per checkbox group of the campaign. `form_groups` names the groups the
/// answer's form has (`|`-separated): only those are scored.
pub const TRUTH_ANSWER_COLUMNS: &[&str] = &[
    "file",
    "page",
    "contribution_id",
    "question_id",
    "zone",
    "text",
    "form_groups",
];

/// Levenshtein distance between two strings, in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Character error rate of `read` against `truth`, both normalised the same way first
/// (so that line breaks and quote styles are not counted as errors).
pub fn cer(read: &str, truth: &str) -> f64 {
    let (r, t) = (normalise(read), normalise(truth));
    let n = t.chars().count();
    if n == 0 {
        return if r.is_empty() { 0.0 } else { 1.0 };
    }
    edit_distance(&r, &t) as f64 / n as f64
}

pub fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let m = s.len() / 2;
    if s.len() % 2 == 1 {
        s[m]
    } else {
        (s[m - 1] + s[m]) / 2.0
    }
}

pub fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

type Table = Vec<HashMap<String, String>>;

/// A cell by column name; a missing column reads as empty (a CSV in another dialect, an
/// older truth file), so that a comparison reports mismatches instead of crashing.
fn get<'a>(row: &'a HashMap<String, String>, col: &str) -> &'a str {
    row.get(col).map(String::as_str).unwrap_or("")
}

/// A truth file as its header and its rows by column name.
fn read_table(path: &Path) -> anyhow::Result<(Vec<String>, Table)> {
    let t = crate::output::table::Table::read(path)?;
    let rows = t
        .rows
        .iter()
        .map(|r| {
            t.header
                .iter()
                .map(|h| (h.clone(), t.cell(r, h).to_string()))
                .collect()
        })
        .collect();
    Ok((t.header, rows))
}

/// A page's key, `file#page`, in the truth and in the run.
fn truth_key(t: &HashMap<String, String>) -> String {
    format!("{}#{}", get(t, "file"), get(t, "page"))
}

fn run_key(p: &PageRecord) -> String {
    format!(
        "{}#{}",
        p.source_file,
        p.page.map(|n| n.to_string()).unwrap_or_default()
    )
}

/// The checkbox groups each form has, by form id: from the truth's `form_groups`, or, in
/// truth files written before that column, the groups ticked on some answer of the form.
fn form_groups(
    header: &[String],
    answers: &Table,
    form_of: &HashMap<String, String>,
) -> HashMap<String, HashSet<String>> {
    let mut groups: HashMap<String, HashSet<String>> = HashMap::new();
    let explicit = header.iter().any(|h| h == "form_groups");
    let columns: Vec<&String> = header
        .iter()
        .filter(|h| !TRUTH_ANSWER_COLUMNS.contains(&h.as_str()))
        .collect();
    for t in answers {
        let form = form_of.get(&truth_key(t)).cloned().unwrap_or_default();
        let entry = groups.entry(form).or_default();
        if explicit {
            entry.extend(
                get(t, "form_groups")
                    .split('|')
                    .filter(|g| !g.is_empty())
                    .map(str::to_string),
            );
        } else {
            entry.extend(
                columns
                    .iter()
                    .filter(|g| !get(t, g).is_empty())
                    .map(|g| g.to_string()),
            );
        }
    }
    groups
}

/// How a run compares with the generator's truth.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub pages: usize,
    /// Pages of pages.csv whose status and reason match the truth.
    pub pages_status_right: usize,
    /// Truth pages missing from pages.csv, or present more than once.
    pub pages_not_once: Vec<String>,
    /// Slips (truth status ok or blank) identified with the right serial.
    pub slips: usize,
    pub slips_identified: usize,
    /// Pages taken for a slip (ok, blank or duplicate) under an identity the truth does not
    /// give them: a wrong serial, urn, question or form, or a page that is no slip at all.
    pub wrong_identities: usize,
    /// Slips identified from their print (pages.csv `identified_by` = `printed`).
    pub identified_from_print: usize,
    /// Slips whose truth gives their orientation, and those pages.csv got right.
    pub orientations: usize,
    pub orientations_right: usize,
    pub expected_contributions: usize,
    pub found_contributions: usize,
    /// Contribution ids present in the run but not in the truth (should never happen).
    pub unexpected_contributions: Vec<String>,
    pub cer: Vec<f64>,
    pub cer_median: f64,
    pub cer_mean: f64,
    pub checkbox_groups: usize,
    pub checkbox_groups_right: usize,
    /// Each expected contribution's CER, with its id, for finding the worst.
    pub per_answer: Vec<(String, f64)>,
    /// Pages read right (status, identity and orientation) / pages, per scanning case:
    /// file format, status, orientation, ink, resolution and how the page lay on the
    /// scanner (truth `scan` column).
    pub by_case: BTreeMap<String, (usize, usize)>,
    /// How well `needs_review` singles out the badly read answers.
    pub routing: Routing,
    /// Each found answer's CER with what the run said of it, for tuning the routing.
    pub answers: Vec<AnswerEval>,
}

/// Answers read worse than this CER must be flagged for review (the recall's target set).
pub const BAD_CER: f64 = 0.25;
/// A flagged answer read worse than this CER deserved its flag (the precision's measure).
pub const WRONG_CER: f64 = 0.10;

/// Recall and precision of the review flag over the answers found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Routing {
    pub answers: usize,
    /// Answers with CER > BAD_CER, and how many of them are flagged.
    pub bad: usize,
    pub bad_flagged: usize,
    /// Flagged answers, and how many of them have CER > WRONG_CER.
    pub flagged: usize,
    pub flagged_wrong: usize,
    /// bad_flagged / bad (1 when nothing is bad).
    pub recall: f64,
    /// flagged_wrong / flagged (1 when nothing is flagged).
    pub precision: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AnswerEval {
    pub contribution_id: String,
    pub cer: f64,
    pub confidence: f64,
    pub needs_review: bool,
    pub review_reasons: String,
    pub chars_read: usize,
    pub chars_truth: usize,
}

/// Recall and precision of the review flag over `answers`.
pub fn routing(answers: &[AnswerEval]) -> Routing {
    let mut r = Routing {
        answers: answers.len(),
        ..Routing::default()
    };
    for a in answers {
        if a.cer > BAD_CER {
            r.bad += 1;
            r.bad_flagged += a.needs_review as usize;
        }
        if a.needs_review {
            r.flagged += 1;
            r.flagged_wrong += (a.cer > WRONG_CER) as usize;
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    r.recall = ratio(r.bad_flagged, r.bad);
    r.precision = ratio(r.flagged_wrong, r.flagged);
    r
}

/// The scanning cases a truth page belongs to.
fn cases_of(t: &HashMap<String, String>) -> Vec<String> {
    let mut c = vec!["all pages".to_string()];
    let file = get(t, "file").to_lowercase();
    let format = file.rsplit('.').next().unwrap_or("");
    c.push(format!("format {format}"));
    c.push(format!("truth {}", get(t, "status")));
    if !get(t, "dpi").is_empty() {
        c.push(format!("{} dpi", get(t, "dpi")));
    }
    if !get(t, "ink").is_empty() {
        c.push(format!("ink {}", get(t, "ink")));
    }
    match get(t, "orientation") {
        "" | "0" => {}
        o => c.push(format!("turned {o}°")),
    }
    for tag in get(t, "scan").split('|').filter(|s| !s.is_empty()) {
        c.push(format!("scanner {tag}"));
    }
    c
}

/// Compares the run in `out_dir` with the truth files in `truth_dir`.
pub fn compare(out_dir: &Path, truth_dir: &Path) -> anyhow::Result<Report> {
    let (_, tp) = read_table(&truth_dir.join("truth-pages.csv"))?;
    let (answer_header, ta) = read_table(&truth_dir.join("truth-answers.csv"))?;
    let run = OutputFolder::open(out_dir)?;
    let mut run_pages: HashMap<String, Vec<&PageRecord>> = HashMap::new();
    for r in &run.pages {
        run_pages.entry(run_key(r)).or_default().push(r);
    }
    let mut rep = Report {
        pages: tp.len(),
        pages_status_right: 0,
        pages_not_once: Vec::new(),
        slips: 0,
        slips_identified: 0,
        wrong_identities: 0,
        identified_from_print: 0,
        orientations: 0,
        orientations_right: 0,
        expected_contributions: ta.len(),
        found_contributions: 0,
        unexpected_contributions: Vec::new(),
        cer: Vec::new(),
        cer_median: f64::NAN,
        cer_mean: f64::NAN,
        checkbox_groups: 0,
        checkbox_groups_right: 0,
        per_answer: Vec::new(),
        by_case: BTreeMap::new(),
        routing: Routing::default(),
        answers: Vec::new(),
    };
    for t in &tp {
        let k = truth_key(t);
        let Some(found) = run_pages.get(&k).filter(|v| v.len() == 1) else {
            rep.pages_not_once.push(k);
            continue;
        };
        let r = found[0];
        let status_right = r.status.code() == get(t, "status")
            && r.reason.map(|c| c.code()).unwrap_or_default() == get(t, "reason");
        if status_right {
            rep.pages_status_right += 1;
        }
        let mut right = status_right;
        if r.identified_by == Some(IdentifiedBy::Printed) {
            rep.identified_from_print += 1;
        }
        let taken_for_slip = matches!(
            r.status,
            PageStatus::Ok | PageStatus::Blank | PageStatus::Duplicate
        );
        let same_identity = r.form == get(t, "form")
            && r.urn_id == get(t, "urn_id")
            && r.question_id == get(t, "question_id")
            && r.serial == get(t, "serial");
        if taken_for_slip && !same_identity {
            rep.wrong_identities += 1;
        }
        if get(t, "status") == "ok" || get(t, "status") == "blank" {
            rep.slips += 1;
            // Form, question, urn and serial must all be exact; a slip identified by its QR
            // code must also report the payload it held.
            let identified = (r.qr_payload == get(t, "qr_payload")
                || r.identified_by == Some(IdentifiedBy::Printed))
                && r.form == get(t, "form")
                && r.urn_id == get(t, "urn_id")
                && r.question_id == get(t, "question_id")
                && r.serial == get(t, "serial")
                && matches!(r.status, PageStatus::Ok | PageStatus::Blank);
            if identified {
                rep.slips_identified += 1;
            }
            right &= identified;
            if t.contains_key("orientation") {
                rep.orientations += 1;
                let orientation = r.orientation.map(|o| o.to_string()).unwrap_or_default();
                if orientation == get(t, "orientation") {
                    rep.orientations_right += 1;
                } else {
                    right = false;
                }
            }
        }
        for case in cases_of(t) {
            let e = rep.by_case.entry(case).or_insert((0, 0));
            e.0 += right as usize;
            e.1 += 1;
        }
    }
    let form_of: HashMap<String, String> = tp
        .iter()
        .map(|t| (truth_key(t), get(t, "form").to_string()))
        .collect();
    let groups_of_form = form_groups(&answer_header, &ta, &form_of);
    let run_groups = run.groups();
    let by_id: HashMap<&str, &ContributionRecord> = run
        .contributions
        .iter()
        .map(|r| (r.contribution_id.as_str(), r))
        .collect();
    for t in &ta {
        let id = get(t, "contribution_id");
        let read = by_id.get(id);
        if read.is_some() {
            rep.found_contributions += 1;
        }
        let text = read.map(|r| r.text.as_str()).unwrap_or("");
        let c = cer(text, get(t, "text"));
        rep.cer.push(c);
        rep.per_answer.push((id.to_string(), c));
        if let Some(r) = read {
            rep.answers.push(AnswerEval {
                contribution_id: id.to_string(),
                cer: c,
                confidence: r.confidence.map(f64::from).unwrap_or(0.0),
                needs_review: r.needs_review,
                review_reasons: r
                    .review_reasons
                    .iter()
                    .map(|c| c.code())
                    .collect::<Vec<_>>()
                    .join("|"),
                chars_read: text.chars().count(),
                chars_truth: get(t, "text").chars().count(),
            });
            let form = form_of.get(&truth_key(t)).cloned().unwrap_or_default();
            for g in &run_groups {
                let has_boxes = groups_of_form.get(&form).is_some_and(|gs| gs.contains(g));
                if t.contains_key(g) && has_boxes {
                    rep.checkbox_groups += 1;
                    if t[g] == r.ticked(g).join("|") {
                        rep.checkbox_groups_right += 1;
                    }
                }
            }
        }
    }
    let expected: HashSet<&str> = ta.iter().map(|t| get(t, "contribution_id")).collect();
    rep.unexpected_contributions = run
        .contributions
        .iter()
        .map(|r| r.contribution_id.clone())
        .filter(|id| !expected.contains(id.as_str()))
        .collect();
    rep.cer_median = median(&rep.cer);
    rep.cer_mean = mean(&rep.cer);
    rep.routing = routing(&rep.answers);
    Ok(rep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_characters_not_bytes() {
        assert_eq!(edit_distance("été", "ete"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn cer_ignores_layout_differences() {
        assert_eq!(cer("Plus de\nliens", "Plus de liens"), 0.0);
        assert_eq!(cer("l’été", "l'été"), 0.0);
        assert!((cer("abcd", "abce") - 0.25).abs() < 1e-9);
        assert_eq!(cer("x", ""), 1.0);
    }

    #[test]
    fn median_of_even_and_odd() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
