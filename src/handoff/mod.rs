//! Handing a run's results on, after `process`: the review sheet and its corrections
//! (`review`) and the export to Decidim's proposal importer (`decidim`). Both work on an
//! output folder as `process` left it, read back by column name in either CSV dialect.

pub mod decidim;
pub mod review;

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::error::UsageError;
use crate::output::csvfile::Dialect;
use crate::output::rows::PersonalData;
use crate::output::table::Table;

/// An output folder of `urnscan process`, as the hand-off commands need it.
pub struct OutputFolder {
    pub dir: PathBuf,
    pub contributions: Table,
    /// The dialect contributions.csv was written in (`--excel` or not).
    pub dialect: Dialect,
    /// Whether the run masked personal data (from summary.json; masked when unknown).
    pub personal_data: PersonalData,
}

/// Opens `out`, or says (as a usage error) why it is not an output folder of urnscan.
pub fn open_output(out: &Path) -> anyhow::Result<OutputFolder> {
    let path = out.join("contributions.csv");
    if !path.is_file() || !out.join("pages.csv").is_file() {
        return Err(UsageError(format!(
            "{} is not an output folder of urnscan process (it has no contributions.csv and pages.csv)",
            out.display()
        ))
        .into());
    }
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let contributions = Table::parse(&bytes)
        .map_err(|e| UsageError(format!("{} cannot be read: {e:#}", path.display())))?;
    contributions
        .require(&["contribution_id", "text", "needs_review"])
        .map_err(|e| UsageError(format!("{} is not urnscan's: {e:#}", path.display())))?;
    let dialect = contributions.dialect;
    let personal_data = std::fs::read(out.join("summary.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| serde_json::from_value(v["personal_data"].clone()).ok())
        .unwrap_or_default();
    Ok(OutputFolder {
        dir: out.to_path_buf(),
        contributions,
        dialect,
        personal_data,
    })
}

impl OutputFolder {
    /// A row's cell, with the apostrophe `--excel` adds before formula-like cells removed.
    pub fn cell<'r>(&self, row: &'r [String], column: &str) -> &'r str {
        self.contributions.cell(row, column)
    }

    /// What the OCR read for a row (`ocr_text`; `text` in folders written before that
    /// column existed).
    pub fn ocr_text<'r>(&self, row: &'r [String]) -> &'r str {
        if self.contributions.column("ocr_text").is_some() {
            self.cell(row, "ocr_text")
        } else {
            self.cell(row, "text")
        }
    }
}
