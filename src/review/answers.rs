//! The answers of an output folder as the review page sees them, and a person's decision
//! on one of them written into the folder.
//!
//! Everything is read from the folder's files at each request rather than kept in memory:
//! two pages, or two agents each running `urnscan review` on one folder, then see each
//! other's decisions, and a server killed at any moment leaves nothing behind but files.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::outcome::ReviewReason;
use crate::output::corrections::{Correction, Corrections, Decision};
use crate::output::folder::OutputFolder;
use crate::output::lock::OutputLock;
use crate::text::normalise;

/// One answer as `GET /api/answers` gives it.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerView {
    pub contribution_id: String,
    pub question_id: String,
    pub question_label: String,
    pub urn_id: String,
    pub urn_name: String,
    /// The text as it stands (a person's when decided, the reading otherwise).
    pub text: String,
    /// What the recognizer read.
    pub ocr_text: String,
    pub confidence: Option<f32>,
    /// Whether the answer still needs a person (false once confirmed or corrected).
    pub needs_review: bool,
    /// Whether the reading was flagged for review (whatever was decided since): the
    /// answers the review page lists by default.
    pub flagged: bool,
    pub reviewed: bool,
    pub review_reasons: Vec<&'static str>,
    pub review_labels: Vec<&'static str>,
    /// Ticked boxes by checkbox group (the form's printed title of the group).
    pub ticks: BTreeMap<String, Vec<String>>,
    pub crop_url: String,
    /// The standing decision (`confirmed`, `corrected`, `not_an_answer`, `illegible`).
    pub decision: Option<&'static str>,
    /// The log row of that decision (0 when none): a page that saw another number knows
    /// someone else decided since.
    pub decision_seq: usize,
}

/// A decision as `PUT /api/answers/{id}` takes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub decision: Decision,
    /// The text kept (confirmed or corrected); the text shown when absent.
    #[serde(default)]
    pub text: Option<String>,
    /// The `decision_seq` the page saw, to be told when another page decided since.
    #[serde(default)]
    pub seen: Option<usize>,
}

/// What `PUT` answers: the answer as it now stands, and the decision it replaced when that
/// one was taken elsewhere after the page looked.
#[derive(Debug, Clone, Serialize)]
pub struct Decided {
    pub answer: AnswerView,
    pub overridden: Option<Overridden>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Overridden {
    pub decision: Option<&'static str>,
    pub text: String,
}

/// Why a decision was not written.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("no answer '{0}' in this folder")]
    Unknown(String),
    #[error("{0}")]
    Invalid(String),
    #[error("urnscan process is writing into this folder ({0}): decide again when it ends")]
    Busy(String),
}

/// Every answer of the folder (those set aside as not answers included), in page order,
/// with its standing decision.
pub fn list(out: &Path) -> anyhow::Result<Vec<AnswerView>> {
    let folder = OutputFolder::open(out)?;
    let corrections = Corrections::load(out)?;
    Ok(folder
        .all_answers()
        .into_iter()
        .map(|c| view(&folder, &corrections, c))
        .collect())
}

/// One answer, if the folder has it.
pub fn get(out: &Path, id: &str) -> anyhow::Result<Option<AnswerView>> {
    Ok(list(out)?.into_iter().find(|a| a.contribution_id == id))
}

/// Writes a decision: appended to corrections.csv and flushed (from then on it survives
/// anything), then contributions.csv, not-answers.csv, pages.csv, summary.json and
/// report.html rewritten from the folder's standing decisions. The folder is locked meanwhile, so that
/// two servers on one folder write one after the other.
pub fn decide(
    out: &Path,
    id: &str,
    request: DecisionRequest,
) -> anyhow::Result<Result<Decided, Refusal>> {
    let _lock = lock_folder(out)?;
    if let Some(writer) = OutputLock::writer(out) {
        return Ok(Err(Refusal::Busy(writer)));
    }
    let folder = OutputFolder::open(out)?;
    let before = Corrections::load(out)?;
    let Some(record) = folder
        .all_answers()
        .into_iter()
        .find(|c| c.contribution_id == id)
    else {
        return Ok(Err(Refusal::Unknown(id.to_string())));
    };
    let standing = before.decision(id);
    let current_text = match standing {
        Some(d) if d.decision.keeps_text() => d.corrected_text.clone(),
        _ => record.ocr_text.clone(),
    };
    let text = normalise(request.text.as_deref().unwrap_or(&current_text));
    if text.chars().count() > 20_000 {
        return Ok(Err(Refusal::Invalid(
            "the text is longer than 20 000 characters".into(),
        )));
    }
    // The decision's name says what happened to the text, whatever the page called it.
    let decision = match request.decision {
        Decision::Confirmed | Decision::Corrected if text == record.ocr_text => Decision::Confirmed,
        Decision::Confirmed | Decision::Corrected => Decision::Corrected,
        d => d,
    };
    let overridden = match (request.seen, standing) {
        (Some(seen), Some(d)) if seen != d.seq => Some(Overridden {
            decision: Some(d.decision.code()),
            text: d.corrected_text.clone(),
        }),
        (Some(seen), None) if seen != 0 => Some(Overridden {
            decision: None,
            text: record.ocr_text.clone(),
        }),
        _ => None,
    };
    let correction = Correction {
        ocr_text: record.ocr_text.clone(),
        corrected_text: if decision.keeps_text() {
            text
        } else {
            String::new()
        },
        decision,
        seq: 0,
    };
    Corrections::append(out, &[(id.to_string(), correction)])?;
    let after = Corrections::load(out)?;
    folder.write_decisions(&after)?;
    // The report shows people's decisions too.
    crate::output::report::write(out)?;
    let answer = view(&folder, &after, record);
    Ok(Ok(Decided { answer, overridden }))
}

/// Puts the folder's files in line with its decisions log (a server killed between the
/// two leaves the log ahead), under the folder's lock.
pub fn reconcile(out: &Path) -> anyhow::Result<()> {
    let _lock = lock_folder(out)?;
    let folder = OutputFolder::open(out)?;
    folder.write_decisions(&Corrections::load(out)?)
}

/// An advisory lock on the output folder itself, held while a decision is written.
fn lock_folder(out: &Path) -> anyhow::Result<File> {
    let dir = File::open(out).with_context(|| format!("cannot open {}", out.display()))?;
    dir.lock()
        .with_context(|| format!("cannot lock {}", out.display()))?;
    Ok(dir)
}

fn view(
    folder: &OutputFolder,
    corrections: &Corrections,
    c: &crate::output::records::ContributionRecord,
) -> AnswerView {
    let decision = corrections.decision(&c.contribution_id);
    let mut r = c.clone();
    r.apply_decision(decision, folder.personal_data);
    let machine: Vec<ReviewReason> = r
        .review_reasons
        .iter()
        .copied()
        .filter(|x| *x != ReviewReason::Illegible)
        .collect();
    let ticks = folder
        .groups()
        .into_iter()
        .map(|g| {
            let title = folder.checkbox_titles.get(&g).cloned().unwrap_or(g.clone());
            (title, r.ticked(&g).to_vec())
        })
        .collect();
    AnswerView {
        crop_url: format!("/{}", r.crop_file),
        flagged: !machine.is_empty(),
        review_reasons: r.review_reasons.iter().map(|x| x.code()).collect(),
        review_labels: r.review_reasons.iter().map(|x| x.label()).collect(),
        decision: decision.map(|d| d.decision.code()),
        decision_seq: decision.map(|d| d.seq).unwrap_or(0),
        contribution_id: r.contribution_id,
        question_id: r.question_id,
        question_label: r.question_label,
        urn_id: r.urn_id,
        urn_name: r.urn_name,
        text: r.text,
        ocr_text: r.ocr_text,
        confidence: r.confidence,
        needs_review: r.needs_review,
        reviewed: r.reviewed,
        ticks,
    }
}
