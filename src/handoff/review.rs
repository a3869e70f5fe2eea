//! The review sheet: `urnscan review export OUT` lists the answers a person should check
//! (Excel-friendly CSV with an empty `corrected_text` column), and `urnscan review apply OUT
//! SHEET` carries what the person typed into contributions.csv and into the folder's
//! corrections.csv, so that later runs of `process` keep it. A sheet that does not match
//! the folder is refused whole, before anything is written.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::UsageError;
use crate::output::corrections::{Correction, Corrections};
use crate::output::csvfile::{write_csv, Dialect};
use crate::output::folder::{OutputFolder, CONTRIBUTIONS_FILE};
use crate::output::records::ContributionRecord;
use crate::output::table::{unneutralise, Table};
use crate::text::normalise;

/// The sheet's columns taken from contributions.csv, before the campaign's checkbox groups.
const SHEET_HEAD: &[&str] = &[
    "contribution_id",
    "urn_id",
    "urn_name",
    "question_id",
    "review_reasons",
    "confidence",
];
/// Then, after the groups: the crop, what the OCR read (`text`), and what the person types.
const SHEET_TAIL: &[&str] = &["crop_file", "text", "corrected_text"];
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
    let folder = OutputFolder::open(out)?;
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
    let groups = folder.groups();
    let rows: Vec<Vec<String>> = folder
        .contributions
        .iter()
        .filter(|c| all || c.needs_review)
        .map(|c| {
            let mut row: Vec<String> = SHEET_HEAD
                .iter()
                .map(|col| c.cell(col))
                .chain(groups.iter().map(|g| c.ticked(g).join("|")))
                .collect();
            row.push(c.crop_file.clone());
            row.push(folder.ocr_text(c).to_string());
            row.push(
                corrections
                    .get(&c.contribution_id)
                    .unwrap_or_default()
                    .to_string(),
            );
            row
        })
        .collect();
    let header: Vec<String> = SHEET_HEAD
        .iter()
        .map(|h| h.to_string())
        .chain(groups.iter().cloned())
        .chain(SHEET_TAIL.iter().map(|h| h.to_string()))
        .collect();
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
    let folder = OutputFolder::open(out)?;
    let s = Table::read(sheet)?;
    s.require(&["contribution_id", "corrected_text"])
        .map_err(|e| UsageError(format!("{} is not a review sheet: {e:#}", sheet.display())))?;
    let by_id: HashMap<&str, &ContributionRecord> = folder
        .contributions
        .iter()
        .map(|c| (c.contribution_id.as_str(), c))
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
        let Some(c) = by_id.get(id.as_str()) else {
            problems.push(format!(
                "line {line}: no contribution '{id}' in {} (a sheet from another folder?)",
                out.join(CONTRIBUTIONS_FILE).display()
            ));
            continue;
        };
        for (col, ours) in [
            ("urn_id", c.urn_id.as_str()),
            ("question_id", c.question_id.as_str()),
        ] {
            let theirs = unneutralise(s.get(r, col).trim());
            if s.column(col).is_some() && theirs != ours {
                problems.push(format!(
                    "line {line}: {id} has {col} '{ours}' in the folder, not '{theirs}'"
                ));
            }
        }
        let ocr = folder.ocr_text(c);
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
        accepted.push((id, Correction::corrected(ocr, &corrected)));
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

    let before = Corrections::load(out)?;
    let changed: Vec<(String, Correction)> = accepted
        .into_iter()
        .filter(|(id, c)| before.get(id) != Some(c.corrected_text.as_str()))
        .collect();
    applied.corrected = changed.len();
    Corrections::append(out, &changed)?;
    let corrections = Corrections::load(out)?;
    applied.total = corrections.len();
    folder.write_decisions(&corrections)?;
    Ok(applied)
}
