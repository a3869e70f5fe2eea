//! The review sheet: `urnscan review export OUT` lists the answers a person should check
//! (Excel-friendly CSV with an empty `corrected_text` column), and `urnscan review apply OUT
//! SHEET` carries what the person typed into contributions.csv and into the folder's
//! corrections.csv, so that later runs of `process` keep it. A sheet that does not match
//! the folder is refused whole, before anything is written.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{open_output, OutputFolder};
use crate::error::UsageError;
use crate::output::corrections::{Correction, Corrections};
use crate::output::csvfile::{write_atomic, write_csv, Dialect};
use crate::output::rows::apply_correction;
use crate::output::table::{unneutralise, Table};
use crate::text::normalise;

/// The sheet's columns. `text` is what the OCR read; the person fills `corrected_text`.
const SHEET_HEADER: &[&str] = &[
    "contribution_id",
    "urn_id",
    "urn_name",
    "question_id",
    "review_reasons",
    "confidence",
    "crop_file",
    "text",
    "corrected_text",
];
/// Problems listed before "and N more" in a refusal.
const SHOWN_PROBLEMS: usize = 12;

/// Where `review export` writes by default, inside the output folder (so that the crops'
/// relative paths work from the sheet's folder).
pub const DEFAULT_SHEET: &str = "review-sheet.csv";

/// Writes the review sheet of `out`: the answers that need review (every answer with
/// `all`), in contributions.csv's order. Returns the sheet's path and its number of rows.
pub fn export(
    out: &Path,
    sheet: Option<&Path>,
    all: bool,
    force: bool,
) -> anyhow::Result<(PathBuf, usize)> {
    let folder = open_output(out)?;
    let t = &folder.contributions;
    let corrections = Corrections::load(out)?;
    let path = sheet
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out.join(DEFAULT_SHEET));
    // A sheet an agent has filled but not applied yet is their work: never overwrite it.
    if !force {
        if let Ok(old) = Table::read(&path) {
            let pending = old
                .rows
                .iter()
                .filter(|r| {
                    let typed = unneutralise(old.get(r, "corrected_text").trim());
                    let id = unneutralise(old.get(r, "contribution_id").trim());
                    !typed.is_empty() && corrections.get(id) != Some(typed)
                })
                .count();
            if pending > 0 {
                return Err(UsageError(format!(
                    "{} holds {pending} correction(s) not applied yet: run urnscan review apply {} {} \
                     first (or export with --force to replace it, or --sheet to write elsewhere)",
                    path.display(),
                    out.display(),
                    path.display()
                ))
                .into());
            }
        }
    }
    let rows: Vec<Vec<String>> = t
        .rows
        .iter()
        .filter(|r| all || t.get(r, "needs_review") == "true")
        .map(|r| {
            let id = t.get(r, "contribution_id");
            let mut row: Vec<String> = SHEET_HEADER[..SHEET_HEADER.len() - 2]
                .iter()
                .map(|c| folder.cell(r, c).to_string())
                .collect();
            row.push(folder.ocr_text(r).to_string());
            row.push(corrections.get(id).unwrap_or_default().to_string());
            row
        })
        .collect();
    let header: Vec<String> = SHEET_HEADER.iter().map(|h| h.to_string()).collect();
    write_csv(&path, Dialect::Excel, &header, &rows)?;
    Ok((path, rows.len()))
}

/// What `review apply` did.
#[derive(Debug, Default, PartialEq)]
pub struct Applied {
    /// Answers whose correction was recorded (new or changed).
    pub corrected: usize,
    /// Sheet rows left empty (not reviewed yet).
    pub left_empty: usize,
    /// Corrections now in the folder, with earlier ones.
    pub total: usize,
}

/// Merges the `corrected_text` of a filled sheet into `out`. Refuses the whole sheet (a
/// usage error naming each row) when a row names a contribution the folder does not have,
/// when its urn or question disagree with that contribution, when its `text` is not what
/// the folder's OCR read (the sheet was made from another run), or when two rows correct
/// one contribution differently.
pub fn apply(out: &Path, sheet: &Path) -> anyhow::Result<Applied> {
    let folder = open_output(out)?;
    let t = &folder.contributions;
    let s = Table::read(sheet)?;
    s.require(&["contribution_id", "corrected_text"])
        .map_err(|e| UsageError(format!("{} is not a review sheet: {e:#}", sheet.display())))?;
    let by_id: HashMap<&str, &[String]> = t
        .rows
        .iter()
        .map(|r| (folder.cell(r, "contribution_id"), r.as_slice()))
        .collect();

    let mut problems = Vec::new();
    let mut accepted: Vec<(String, Correction)> = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut applied = Applied::default();
    for (n, r) in s.rows.iter().enumerate() {
        let line = n + 2;
        let id = unneutralise(s.get(r, "contribution_id").trim()).to_string();
        let corrected = unneutralise(s.get(r, "corrected_text").trim()).to_string();
        if corrected.is_empty() {
            applied.left_empty += 1;
            continue;
        }
        let Some(row) = by_id.get(id.as_str()) else {
            problems.push(format!(
                "line {line}: no contribution '{id}' in {} (a sheet from another folder?)",
                out.join("contributions.csv").display()
            ));
            continue;
        };
        for col in ["urn_id", "question_id"] {
            let theirs = unneutralise(s.get(r, col).trim());
            let ours = folder.cell(row, col);
            if s.column(col).is_some() && theirs != ours {
                problems.push(format!(
                    "line {line}: {id} has {col} '{ours}' in the folder, not '{theirs}'"
                ));
            }
        }
        let ocr = folder.ocr_text(row);
        if s.column("text").is_some() && normalise(unneutralise(s.get(r, "text"))) != ocr {
            problems.push(format!(
                "line {line}: {id} was read as \"{ocr}\" in the folder, the sheet says \"{}\": \
                 the answer was read again since the sheet was made (export a new one)",
                s.get(r, "text")
            ));
            continue;
        }
        if let Some(earlier) = seen.get(&id) {
            if *earlier != corrected {
                problems.push(format!("line {line}: {id} is corrected twice, differently"));
            }
            continue;
        }
        seen.insert(id.clone(), corrected.clone());
        accepted.push((
            id,
            Correction {
                ocr_text: ocr.to_string(),
                corrected_text: corrected,
            },
        ));
    }
    if !problems.is_empty() {
        let more = problems.len().saturating_sub(SHOWN_PROBLEMS);
        let mut msg = format!(
            "{} was not applied (nothing changed): {} problem(s):\n  {}",
            sheet.display(),
            problems.len(),
            problems[..problems.len().min(SHOWN_PROBLEMS)].join("\n  ")
        );
        if more > 0 {
            msg.push_str(&format!("\n  and {more} more"));
        }
        return Err(UsageError(msg).into());
    }

    let mut corrections = Corrections::load(out)?;
    for (id, c) in accepted {
        if corrections.get(&id) != Some(c.corrected_text.as_str()) {
            applied.corrected += 1;
        }
        corrections.insert(id, c);
    }
    applied.total = corrections.len();
    corrections.save(out)?;
    folder.rewrite_with(&corrections)?;
    Ok(applied)
}

impl OutputFolder {
    /// Rewrites contributions.csv with `corrections` applied, in the dialect the run wrote,
    /// and the review counts of summary.json.
    fn rewrite_with(&self, corrections: &Corrections) -> anyhow::Result<()> {
        let t = &self.contributions;
        let mut rows = t.rows.clone();
        if self.dialect == Dialect::Excel {
            for cell in rows.iter_mut().flatten() {
                *cell = unneutralise(cell).to_string();
            }
        }
        let id = t.column("contribution_id");
        for row in &mut rows {
            let Some(corrected) = id.and_then(|i| row.get(i)).and_then(|i| corrections.get(i))
            else {
                continue;
            };
            let corrected = corrected.to_string();
            apply_correction(row, |c| t.column(c), &corrected, self.personal_data);
        }
        write_csv(
            &self.dir.join("contributions.csv"),
            self.dialect,
            &t.header,
            &rows,
        )?;
        // The summary's counts follow the file (the agent's next look at summary.json).
        let path = self.dir.join("summary.json");
        if let Ok(bytes) = std::fs::read(&path) {
            if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                let count = |col: &str| {
                    let i = t.column(col);
                    rows.iter()
                        .filter(|r| i.and_then(|i| r.get(i)).is_some_and(|c| c == "true"))
                        .count()
                };
                v["needs_review"] = count("needs_review").into();
                v["reviewed"] = count("reviewed").into();
                let json = serde_json::to_vec_pretty(&v).context("cannot encode the summary")?;
                write_atomic(&path, &json)?;
            }
        }
        Ok(())
    }
}
