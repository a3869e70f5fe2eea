//! People's decisions (`corrections`) put into the records: the same code for a run of
//! `process` writing its rows and for `urnscan review` or `review apply` editing a finished
//! folder, so that both give the same files.
//!
//! An answer decided `not_an_answer` leaves contributions.csv for `not-answers.csv` (same
//! columns), its id leaves its page's `contribution_ids` in pages.csv and the page's
//! `detail` names it: every answer read is still in exactly one place, with a reason.

use std::collections::{BTreeMap, HashMap};

use super::corrections::{Corrections, Decision};
use super::records::{ContributionRecord, PageRecord};
use super::rows::PersonalData;

/// The file the answers decided `not_an_answer` go to, in contributions.csv's columns.
pub const NOT_ANSWERS_FILE: &str = "not-answers.csv";

/// What a page's detail says after its own words, before the ids set aside.
const SET_ASIDE_NOTE: &str = "; not an answer (decided in review): ";

/// Applies each record's standing decision and separates the contributions that stay from
/// those decided `not_an_answer`, both in the order given.
pub fn split(
    records: Vec<ContributionRecord>,
    corrections: &Corrections,
    personal: PersonalData,
) -> (Vec<ContributionRecord>, Vec<ContributionRecord>) {
    let mut kept = Vec::with_capacity(records.len());
    let mut set_aside = Vec::new();
    for mut r in records {
        let decision = corrections.decision(&r.contribution_id);
        r.apply_decision(decision, personal);
        if decision.map(|d| d.decision) == Some(Decision::NotAnAnswer) {
            set_aside.push(r);
        } else {
            kept.push(r);
        }
    }
    (kept, set_aside)
}

/// Makes pages.csv agree with a split: every answer of a page (`all`: kept and set aside)
/// is in its `contribution_ids` unless set aside, and its `detail` names those set aside.
/// Idempotent: a page annotated before is annotated anew.
pub fn annotate_pages(
    pages: &mut [PageRecord],
    all: &[&ContributionRecord],
    set_aside: &[ContributionRecord],
) {
    let mut by_page: HashMap<(&str, Option<u32>), Vec<&str>> = HashMap::new();
    for c in all {
        by_page
            .entry((c.source_file.as_str(), c.page))
            .or_default()
            .push(c.contribution_id.as_str());
    }
    let aside: std::collections::HashSet<&str> = set_aside
        .iter()
        .map(|c| c.contribution_id.as_str())
        .collect();
    for p in pages {
        if let Some(i) = p.detail.find(SET_ASIDE_NOTE) {
            p.detail.truncate(i);
        }
        let Some(ids) = by_page.get(&(p.source_file.as_str(), p.page)) else {
            continue;
        };
        // The page's own order first (the run's), then any id it had lost to a decision.
        let mut all_ids: Vec<String> = p.contribution_ids.clone();
        for id in ids {
            if !all_ids.iter().any(|x| x == id) {
                all_ids.push(id.to_string());
            }
        }
        let (gone, stay): (Vec<String>, Vec<String>) = all_ids
            .into_iter()
            .partition(|id| aside.contains(id.as_str()));
        p.contribution_ids = stay;
        if !gone.is_empty() {
            p.detail = format!("{}{SET_ASIDE_NOTE}{}", p.detail, gone.join(", "));
        }
    }
}

/// Contributions by urn and question (summary.json's table).
pub fn by_urn_question(
    contributions: &[ContributionRecord],
) -> BTreeMap<String, BTreeMap<String, usize>> {
    let mut t: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for c in contributions {
        *t.entry(c.urn_id.clone())
            .or_default()
            .entry(c.question_id.clone())
            .or_default() += 1;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::ReviewReason;
    use crate::output::corrections::Correction;

    fn record(id: &str, page: u32) -> ContributionRecord {
        ContributionRecord {
            contribution_id: id.into(),
            text: "tache".into(),
            ocr_text: "tache".into(),
            source_file: "a.pdf".into(),
            page: Some(page),
            needs_review: true,
            review_reasons: vec![ReviewReason::LowConfidence],
            ..ContributionRecord::default()
        }
    }

    fn decide(c: &mut Corrections, dir: &std::path::Path, id: &str, d: Decision, text: &str) {
        Corrections::append(
            dir,
            &[(
                id.into(),
                Correction {
                    ocr_text: "tache".into(),
                    corrected_text: text.into(),
                    decision: d,
                    seq: 0,
                },
            )],
        )
        .unwrap();
        *c = Corrections::load(dir).unwrap();
    }

    #[test]
    fn decisions_move_answers_and_pages_name_what_left() {
        let d = tempfile::tempdir().unwrap();
        let mut c = Corrections::default();
        decide(
            &mut c,
            d.path(),
            "c-1-Q1",
            Decision::Corrected,
            "Plus de bancs",
        );
        decide(&mut c, d.path(), "c-1-Q2", Decision::NotAnAnswer, "");
        decide(&mut c, d.path(), "c-2-Q1", Decision::Illegible, "");
        let all = vec![
            record("c-1-Q1", 1),
            record("c-1-Q2", 1),
            record("c-2-Q1", 2),
        ];
        let (kept, aside) = split(all.clone(), &c, PersonalData::Keep);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].text, "Plus de bancs");
        assert!(kept[0].reviewed && !kept[0].needs_review);
        assert!(kept[1].needs_review && kept[1].reviewed);
        assert!(kept[1].review_reasons.contains(&ReviewReason::Illegible));
        assert_eq!(aside[0].contribution_id, "c-1-Q2");

        let mut pages = vec![
            PageRecord {
                source_file: "a.pdf".into(),
                page: Some(1),
                detail: "2 answer(s), tilt 0.1°".into(),
                contribution_ids: vec!["c-1-Q1".into(), "c-1-Q2".into()],
                ..PageRecord::default()
            },
            PageRecord {
                source_file: "a.pdf".into(),
                page: Some(2),
                detail: "1 answer(s), tilt 0.0°".into(),
                contribution_ids: vec!["c-2-Q1".into()],
                ..PageRecord::default()
            },
        ];
        let refs: Vec<&ContributionRecord> = kept.iter().chain(&aside).collect();
        annotate_pages(&mut pages, &refs, &aside);
        annotate_pages(&mut pages, &refs, &aside);
        assert_eq!(pages[0].contribution_ids, ["c-1-Q1"]);
        assert_eq!(
            pages[0].detail,
            "2 answer(s), tilt 0.1°; not an answer (decided in review): c-1-Q2"
        );
        assert_eq!(pages[1].contribution_ids, ["c-2-Q1"]);

        // Undone: everything as the recognizer read it again, the page whole again.
        decide(&mut c, d.path(), "c-1-Q2", Decision::Undecided, "");
        decide(&mut c, d.path(), "c-1-Q1", Decision::Undecided, "");
        let (kept, aside) = split(
            kept.into_iter().chain(aside).collect(),
            &c,
            PersonalData::Keep,
        );
        assert!(aside.is_empty());
        assert_eq!(kept[0].text, "tache");
        assert!(kept[0].needs_review && !kept[0].reviewed);
        let refs: Vec<&ContributionRecord> = kept.iter().collect();
        annotate_pages(&mut pages, &refs, &aside);
        assert_eq!(pages[0].contribution_ids, ["c-1-Q1", "c-1-Q2"]);
        assert_eq!(pages[0].detail, "2 answer(s), tilt 0.1°");
    }
}
