//! The end-of-run summary: counts for the agent (printed), for scripts (`--json`) and for
//! the record (summary.json in the output folder).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::records::ContributionRecord;
use super::rows::{FinalPage, Status};
use crate::outcome::IdentifiedBy;

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub page: String,
    pub reason: String,
    pub message: String,
    pub advice: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub campaign: String,
    /// Where the campaign layout came from (built in, or a folder).
    pub layout: String,
    pub batch: String,
    pub files: usize,
    pub pages_read: usize,
    /// Pages taken from the journal of an earlier, interrupted or identical run, not read
    /// again.
    pub resumed: usize,
    pub ok: usize,
    pub blank: usize,
    pub duplicate: usize,
    pub rejected: usize,
    pub rejected_by_reason: BTreeMap<String, usize>,
    /// Slips (ok or blank) whose QR code was unreadable, identified by their printed serial,
    /// urn and question instead.
    pub identified_from_print: usize,
    /// Whether Tesseract's print model was there to try that (`tesseract-ocr-fra`).
    pub print_identification: bool,
    pub contributions: usize,
    /// Answers a person decided were not answers (in not-answers.csv, not in `contributions`).
    pub not_answers: usize,
    pub needs_review: usize,
    /// Contributions whose text a person corrected (`urnscan review apply`).
    pub reviewed: usize,
    /// Whether phone numbers and e-mail addresses were masked (`mask`) or kept (`keep`):
    /// `review apply` treats corrected text the same way.
    pub personal_data: super::rows::PersonalData,
    /// urn id → question id → contributions.
    pub contributions_by_urn_question: BTreeMap<String, BTreeMap<String, usize>>,
    /// Each checkbox group's title as the campaign's form prints it, by group id: the
    /// report's words for those columns (`urnscan report` finds them here).
    pub checkbox_titles: BTreeMap<String, String>,
    pub problems: Vec<Problem>,
    pub duplicates: Vec<Problem>,
    pub jobs: usize,
    pub seconds: f64,
    pub pages_per_second: f64,
    /// Time spent inside Tesseract, summed over the workers, and the lines it read: divided
    /// by the workers, the floor no reader using Tesseract can go under.
    pub ocr_seconds: f64,
    pub ocr_lines: u64,
    /// Tesseract's internal line PNGs that urnscan's zlib override wrote uncompressed
    /// (src/read/tesseract_png.rs), about one per line Tesseract read; null where the
    /// override is not built (it is on Linux with glibc). 0 while `ocr_lines` is not means
    /// the dynamic linker did not bind libpng to the override: reading is right, but slower.
    pub png_zlib_override: Option<u64>,
    /// Seconds per stage of reading a page, summed over the workers (see `timing`).
    pub stage_seconds: BTreeMap<String, f64>,
    /// Broken invariants of the page accounting (a bug when not empty).
    pub accounting_errors: Vec<String>,
    /// Peak resident memory of the process, MiB (Linux only; 0 elsewhere).
    pub peak_rss_mib: f64,
    pub output: String,
    /// The output folder existed already and others may read it (mode, e.g. `0755`): urnscan
    /// keeps the folder's mode but says so once. None when only its owner can read it.
    pub output_readable_by_others: Option<String>,
    /// The pictures of `--debug`, when asked for.
    pub debug: Option<DebugPictures>,
}

/// What `process --debug DIR` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct DebugPictures {
    pub folder: String,
    /// One per page rejected or carrying a flagged answer.
    pub pictures: usize,
}

/// The process's peak resident set size in MiB, from /proc (VmHWM), or 0 when unknown.
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

impl Summary {
    /// Counts what happened to every page and the contributions written.
    pub fn new(pages: &[FinalPage], contributions: &[ContributionRecord]) -> Summary {
        let mut s = Summary {
            campaign: String::new(),
            layout: String::new(),
            batch: String::new(),
            files: 0,
            pages_read: 0,
            resumed: 0,
            ok: 0,
            blank: 0,
            duplicate: 0,
            rejected: 0,
            rejected_by_reason: BTreeMap::new(),
            identified_from_print: 0,
            print_identification: false,
            contributions: contributions.len(),
            not_answers: 0,
            needs_review: contributions.iter().filter(|c| c.needs_review).count(),
            reviewed: contributions.iter().filter(|c| c.reviewed).count(),
            personal_data: Default::default(),
            contributions_by_urn_question: BTreeMap::new(),
            checkbox_titles: BTreeMap::new(),
            problems: Vec::new(),
            duplicates: Vec::new(),
            jobs: 0,
            seconds: 0.0,
            pages_per_second: 0.0,
            ocr_seconds: 0.0,
            ocr_lines: 0,
            png_zlib_override: None,
            stage_seconds: BTreeMap::new(),
            peak_rss_mib: 0.0,
            accounting_errors: Vec::new(),
            output: String::new(),
            output_readable_by_others: None,
            debug: None,
        };
        for p in pages {
            // A file that yielded no page is accounted for as one rejected "page".
            s.pages_read += 1;
            if matches!(p.status, Status::Ok | Status::Blank)
                && p.slip()
                    .is_some_and(|sl| sl.identified_by == IdentifiedBy::Printed)
            {
                s.identified_from_print += 1;
            }
            match p.status {
                Status::Ok => s.ok += 1,
                Status::Blank => s.blank += 1,
                Status::Duplicate | Status::Conflict => {
                    s.duplicate += 1;
                    let first = p.first_seen.clone().unwrap_or_default();
                    let (message, advice) = if p.status == Status::Duplicate {
                        (
                            format!("same slip as {first}"),
                            "the slip was scanned twice: only the first scan counts",
                        )
                    } else {
                        (
                            format!("same serial as {first} but a different QR code"),
                            "two forms were printed with one number: check both slips; only the first is counted",
                        )
                    };
                    s.duplicates.push(Problem {
                        page: p.place(),
                        reason: "duplicate".into(),
                        message,
                        advice: advice.into(),
                    });
                }
                Status::Rejected => {
                    s.rejected += 1;
                    if let Some(r) = p.rejection() {
                        *s.rejected_by_reason
                            .entry(r.reason().code().to_string())
                            .or_default() += 1;
                        s.problems.push(Problem {
                            page: p.place(),
                            reason: r.reason().code().into(),
                            message: r.to_string(),
                            advice: r.advice().into(),
                        });
                    }
                }
            }
        }
        for c in contributions {
            *s.contributions_by_urn_question
                .entry(c.urn_id.clone())
                .or_default()
                .entry(c.question_id.clone())
                .or_default() += 1;
        }
        s
    }

    /// Every page is in exactly one of the four states.
    pub fn balanced(&self) -> bool {
        self.accounting_errors.is_empty()
            && self.pages_read == self.ok + self.blank + self.duplicate + self.rejected
    }

    /// The plain-words report for the agent.
    pub fn to_text(&self, question_ids: &[String]) -> String {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "urnscan: {} page(s) from {} file(s) in {:.1} s ({:.2} pages/s, {} worker(s), peak memory {:.0} MiB)",
            self.pages_read, self.files, self.seconds, self.pages_per_second, self.jobs, self.peak_rss_mib
        );
        if self.resumed > 0 {
            let _ = writeln!(
                t,
                "  ({} of them already read by an earlier run into this folder, taken from its journal)",
                self.resumed
            );
        }
        let _ = writeln!(
            t,
            "  read        {:>5}   ({} contribution(s), {} to review{})",
            self.ok,
            self.contributions,
            self.needs_review,
            if self.reviewed > 0 {
                format!(", {} corrected by a person", self.reviewed)
            } else {
                String::new()
            }
        );
        if self.identified_from_print > 0 {
            let _ = writeln!(
                t,
                "              ({} slip(s) with an unreadable QR code identified by their printed serial, urn and question: check them in review)",
                self.identified_from_print
            );
        }
        let _ = writeln!(t, "  blank       {:>5}", self.blank);
        let _ = writeln!(t, "  duplicate   {:>5}", self.duplicate);
        let reasons: Vec<String> = self
            .rejected_by_reason
            .iter()
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        let _ = writeln!(
            t,
            "  rejected    {:>5}{}",
            self.rejected,
            if reasons.is_empty() {
                String::new()
            } else {
                format!("   ({})", reasons.join(", "))
            }
        );
        if !self.print_identification && self.rejected_by_reason.contains_key("no_qr") {
            let _ = writeln!(
                t,
                "  (pages without a readable QR code were not identified from their print: Tesseract's print model '{}' is missing; on Debian: sudo apt-get install tesseract-ocr-{})",
                crate::recognize::PRINT_MODEL,
                crate::recognize::PRINT_MODEL
            );
        }
        if !self.contributions_by_urn_question.is_empty() {
            let _ = writeln!(t, "\nContributions by urn and question:");
            let _ = write!(t, "  {:<6}", "urn");
            for q in question_ids {
                let _ = write!(t, "{q:>6}");
            }
            let _ = writeln!(t, "{:>7}", "total");
            for (urn, by_q) in &self.contributions_by_urn_question {
                let _ = write!(t, "  {urn:<6}");
                for q in question_ids {
                    let _ = write!(t, "{:>6}", by_q.get(q).copied().unwrap_or(0));
                }
                let _ = writeln!(t, "{:>7}", by_q.values().sum::<usize>());
            }
        }
        if !self.problems.is_empty() || !self.duplicates.is_empty() {
            let _ = writeln!(t, "\nPages set aside:");
            for p in self.problems.iter().chain(&self.duplicates) {
                let _ = writeln!(t, "  {}: {}\n      → {}", p.page, p.message, p.advice);
            }
        }
        let _ = writeln!(
            t,
            "\nResults in {}: contributions.csv, pages.csv (one row per page), crops/, summary.json,\n  report.html (the review report: open it in a browser)",
            self.output
        );
        if let Some(d) = &self.debug {
            let _ = writeln!(
                t,
                "  and {}/: {} picture(s), one per page set aside or flagged (what urnscan found, drawn on the page)",
                d.folder, d.pictures
            );
        }
        if let Some(mode) = &self.output_readable_by_others {
            let _ = writeln!(
                t,
                "  warning: others can read this folder (mode {mode}), and it holds citizens' words and handwriting: `chmod 700 {}` keeps them to you",
                self.output
            );
        }
        t
    }
}
