//! An output folder of `urnscan process` read back: its contributions and pages as typed
//! records, in whichever CSV dialect the run wrote them. The one reader that the commands
//! working on a finished run share (the report, the review sheet, the Decidim export and
//! the evaluation), so that they agree on what a folder is and what its columns mean.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::corrections::Corrections;
use super::csvfile::{write_atomic, Dialect};
use super::decisions::{self, NOT_ANSWERS_FILE};
use super::records::{
    ContributionRecord, PageRecord, REQUIRED_CONTRIBUTION_COLUMNS, REQUIRED_PAGE_COLUMNS,
};
use super::rows::PersonalData;
use super::table::Table;
use crate::error::UsageError;

pub const CONTRIBUTIONS_FILE: &str = "contributions.csv";
pub const PAGES_FILE: &str = "pages.csv";
pub const SUMMARY_FILE: &str = "summary.json";

/// An output folder of `urnscan process`.
#[derive(Debug, Clone)]
pub struct OutputFolder {
    pub dir: PathBuf,
    pub contributions: Vec<ContributionRecord>,
    /// The answers a person decided were not answers (not-answers.csv; none when absent).
    pub not_answers: Vec<ContributionRecord>,
    /// contributions.csv's header as the file has it (rewrites keep it).
    pub contributions_header: Vec<String>,
    pub pages: Vec<PageRecord>,
    /// pages.csv's dialect.
    pub pages_dialect: Dialect,
    /// The dialect contributions.csv was written in (`--excel` or not).
    pub dialect: Dialect,
    /// Whether the run masked personal data (from summary.json; masked when unknown).
    pub personal_data: PersonalData,
    /// Checkbox groups' titles as the form prints them (from summary.json; none when
    /// unknown).
    pub checkbox_titles: BTreeMap<String, String>,
}

impl OutputFolder {
    /// Reads `out`. A folder without contributions.csv and pages.csv, or with files that are
    /// not urnscan's, is a usage error (the agent named the wrong folder); a file that
    /// exists but cannot be read is an I/O error.
    pub fn open(out: &Path) -> anyhow::Result<OutputFolder> {
        if !out.is_dir() {
            return Err(UsageError(format!("{} is not a folder", out.display())).into());
        }
        let not_ours = |why: String| {
            UsageError(format!(
                "{} is not an output folder of urnscan process: {why} (give the --out folder of `urnscan process`)",
                out.display()
            ))
        };
        let read = |name: &str, required: &[&str]| -> anyhow::Result<Table> {
            let path = out.join(name);
            if !path.is_file() {
                return Err(not_ours(format!("it has no {name}")).into());
            }
            let bytes =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let table = Table::parse(&bytes).map_err(|e| not_ours(format!("{name}: {e:#}")))?;
            table
                .require(required)
                .map_err(|e| not_ours(format!("{name}: {e:#}")))?;
            Ok(table)
        };
        let contributions = read(CONTRIBUTIONS_FILE, REQUIRED_CONTRIBUTION_COLUMNS)?;
        let pages = read(PAGES_FILE, REQUIRED_PAGE_COLUMNS)?;
        let summary = std::fs::read(out.join(SUMMARY_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
        let field = |name: &str| summary.as_ref().map(|v| v[name].clone());
        let personal_data = field("personal_data")
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default();
        let checkbox_titles = field("checkbox_titles")
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default();
        let has_ocr_text = contributions.column("ocr_text").is_some();
        let records = |table: &Table, name: &str| {
            ContributionRecord::read_all(table)
                .map(|mut rs| {
                    // Folders from before `ocr_text`: what was read is the text.
                    if !has_ocr_text {
                        rs.iter_mut().for_each(|r| r.ocr_text = r.text.clone());
                    }
                    rs
                })
                .map_err(|e| not_ours(format!("{name}: {e}")))
        };
        let not_answers = if out.join(NOT_ANSWERS_FILE).is_file() {
            records(
                &read(NOT_ANSWERS_FILE, REQUIRED_CONTRIBUTION_COLUMNS)?,
                NOT_ANSWERS_FILE,
            )?
        } else {
            Vec::new()
        };
        Ok(OutputFolder {
            dir: out.to_path_buf(),
            contributions: records(&contributions, CONTRIBUTIONS_FILE)?,
            not_answers,
            contributions_header: contributions.header,
            pages: PageRecord::read_all(&pages)
                .map_err(|e| not_ours(format!("{PAGES_FILE}: {e}")))?,
            pages_dialect: pages.dialect,
            dialect: contributions.dialect,
            personal_data,
            checkbox_titles,
        })
    }

    /// What the OCR read for a contribution (`ocr_text`; `text` in folders written before
    /// that column existed).
    pub fn ocr_text<'r>(&self, c: &'r ContributionRecord) -> &'r str {
        if self.contributions_header.iter().any(|h| h == "ocr_text") {
            &c.ocr_text
        } else {
            &c.text
        }
    }

    /// The checkbox groups of the run's campaign: contributions.csv's group columns.
    pub fn groups(&self) -> Vec<String> {
        ContributionRecord::group_columns(&self.contributions_header)
    }

    /// Every answer of the run, whether it stands in contributions.csv or was set aside as
    /// not an answer, in the run's page order.
    pub fn all_answers(&self) -> Vec<&ContributionRecord> {
        let order: std::collections::HashMap<(&str, Option<u32>), usize> = self
            .pages
            .iter()
            .enumerate()
            .map(|(i, p)| ((p.source_file.as_str(), p.page), i))
            .collect();
        let mut all: Vec<&ContributionRecord> =
            self.contributions.iter().chain(&self.not_answers).collect();
        // Stable: within a page, the run's order of questions.
        all.sort_by_key(|c| {
            order
                .get(&(c.source_file.as_str(), c.page))
                .copied()
                .unwrap_or(usize::MAX)
        });
        all
    }

    /// Puts the folder's standing decisions (`corrections`) into its files: contributions.csv
    /// and not-answers.csv from every answer, pages.csv's ids and details, summary.json's
    /// counts. Each file is replaced atomically.
    pub fn write_decisions(&self, corrections: &Corrections) -> anyhow::Result<()> {
        let all = self.all_answers();
        let (kept, set_aside) = decisions::split(
            all.iter().map(|c| (*c).clone()).collect(),
            corrections,
            self.personal_data,
        );
        let mut pages = self.pages.clone();
        decisions::annotate_pages(&mut pages, &all, &set_aside);
        let not_answers = self.dir.join(NOT_ANSWERS_FILE);
        if set_aside.is_empty() {
            if not_answers.exists() {
                std::fs::remove_file(&not_answers)
                    .with_context(|| format!("cannot remove {}", not_answers.display()))?;
            }
        } else {
            ContributionRecord::write_all(
                &not_answers,
                self.dialect,
                &self.contributions_header,
                &set_aside,
            )?;
        }
        if pages != self.pages {
            PageRecord::write_all(&self.dir.join(PAGES_FILE), self.pages_dialect, &pages)?;
        }
        self.rewrite_contributions(&kept, set_aside.len())
    }

    /// Writes contributions.csv again with `records`, in the file's own header and dialect,
    /// and the counts of summary.json.
    fn rewrite_contributions(
        &self,
        records: &[ContributionRecord],
        not_answers: usize,
    ) -> anyhow::Result<()> {
        ContributionRecord::write_all(
            &self.dir.join(CONTRIBUTIONS_FILE),
            self.dialect,
            &self.contributions_header,
            records,
        )?;
        // The summary's counts follow the file (the agent's next look at summary.json).
        let path = self.dir.join(SUMMARY_FILE);
        if let Ok(bytes) = std::fs::read(&path) {
            if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                v["contributions"] = records.len().into();
                v["not_answers"] = not_answers.into();
                v["needs_review"] = records.iter().filter(|r| r.needs_review).count().into();
                v["reviewed"] = records.iter().filter(|r| r.reviewed).count().into();
                v["contributions_by_urn_question"] =
                    serde_json::to_value(decisions::by_urn_question(records))
                        .context("cannot encode the summary")?;
                let json = serde_json::to_vec_pretty(&v).context("cannot encode the summary")?;
                write_atomic(&path, &json)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::csvfile::write_csv;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_an_excel_folder_by_column_name_and_refuses_other_folders() {
        let d = tempfile::tempdir().unwrap();
        let refused = |dir: &Path| {
            OutputFolder::open(dir)
                .unwrap_err()
                .downcast_ref::<UsageError>()
                .is_some()
        };
        assert!(refused(d.path()));
        assert!(refused(&d.path().join("missing")));
        // Columns in another order, one more at the end, an --excel run.
        let header = strings(&[
            "crop_file",
            "contribution_id",
            "text",
            "needs_review",
            "urn_id",
            "question_id",
            "review_reasons",
            "reviewed",
            "couleur",
        ]);
        let row = strings(&[
            "crops/x.jpg",
            "c-1-Q1",
            "-2 degrés = froid",
            "true",
            "U01",
            "Q1",
            "low_confidence|personal_data",
            "false",
            "bleu|vert",
        ]);
        write_csv(
            &d.path().join("contributions.csv"),
            Dialect::Excel,
            &header,
            &[row],
        )
        .unwrap();
        // Still no pages.csv: not an output folder.
        assert!(refused(d.path()));
        std::fs::write(
            d.path().join("pages.csv"),
            "source_file;page;status;reason\r\na.jpg;1;rejected;no_qr\r\n",
        )
        .unwrap();
        let f = OutputFolder::open(d.path()).unwrap();
        let c = &f.contributions[0];
        assert_eq!(c.text, "-2 degrés = froid");
        assert_eq!(c.crop_file, "crops/x.jpg");
        assert!(c.needs_review && !c.reviewed);
        assert_eq!(
            c.review_reasons
                .iter()
                .map(|r| r.code())
                .collect::<Vec<_>>(),
            ["low_confidence", "personal_data"]
        );
        assert_eq!(f.groups(), ["couleur"]);
        assert_eq!(c.ticked("couleur"), ["bleu", "vert"]);
        assert_eq!(f.ocr_text(c), "-2 degrés = froid", "no ocr_text column");
        assert_eq!(f.pages[0].reason.map(|r| r.code()), Some("no_qr"));
        // Rewritten as it was: same header, same dialect, same bytes.
        let before = std::fs::read(d.path().join("contributions.csv")).unwrap();
        f.write_decisions(&Corrections::default()).unwrap();
        assert_eq!(
            std::fs::read(d.path().join("contributions.csv")).unwrap(),
            before
        );
        // A pages.csv without urnscan's columns is refused too.
        std::fs::write(d.path().join("pages.csv"), "a,b\n1,2\n").unwrap();
        assert!(refused(d.path()));
    }
}
