//! The corrections people made to answers (`urnscan review apply`), kept in the output
//! folder as `corrections.csv` so that every later run of `process` on that folder writes
//! them into contributions.csv again: a human reading always wins over the OCR's.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;

use super::csvfile::{write_csv, Dialect};
use super::table::Table;

pub const FILE: &str = "corrections.csv";
const HEADER: &[&str] = &["contribution_id", "ocr_text", "corrected_text"];

/// One correction: the text a person read in the crop, and the OCR text they corrected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    pub ocr_text: String,
    pub corrected_text: String,
}

/// Corrections by contribution id.
#[derive(Debug, Clone, Default)]
pub struct Corrections(BTreeMap<String, Correction>);

impl Corrections {
    /// The corrections of an output folder (none when it has no corrections.csv).
    pub fn load(out: &Path) -> anyhow::Result<Corrections> {
        let path = out.join(FILE);
        if !path.exists() {
            return Ok(Corrections::default());
        }
        let t = Table::read(&path)?;
        t.require(HEADER)
            .with_context(|| format!("{} is damaged", path.display()))?;
        Ok(Corrections(
            t.rows
                .iter()
                .map(|r| {
                    (
                        t.get(r, "contribution_id").to_string(),
                        Correction {
                            ocr_text: t.get(r, "ocr_text").to_string(),
                            corrected_text: t.get(r, "corrected_text").to_string(),
                        },
                    )
                })
                .collect(),
        ))
    }

    pub fn save(&self, out: &Path) -> anyhow::Result<()> {
        let header: Vec<String> = HEADER.iter().map(|h| h.to_string()).collect();
        let rows: Vec<Vec<String>> = self
            .0
            .iter()
            .map(|(id, c)| vec![id.clone(), c.ocr_text.clone(), c.corrected_text.clone()])
            .collect();
        write_csv(&out.join(FILE), Dialect::Plain, &header, &rows)
    }

    /// The corrected text of a contribution, if a person corrected it.
    pub fn get(&self, id: &str) -> Option<&str> {
        self.0.get(id).map(|c| c.corrected_text.as_str())
    }

    /// Adds or replaces the correction of a contribution.
    pub fn insert(&mut self, id: String, c: Correction) {
        self.0.insert(id, c);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrections_survive_a_save_and_load() {
        let d = tempfile::tempdir().unwrap();
        assert!(Corrections::load(d.path()).unwrap().is_empty());
        let mut c = Corrections::default();
        c.insert(
            "assises-2022-000001-Q1".into(),
            Correction {
                ocr_text: "Plus de bonc".into(),
                corrected_text: "Plus de bancs, \"vraiment\"\net d'ombre".into(),
            },
        );
        c.save(d.path()).unwrap();
        let back = Corrections::load(d.path()).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(
            back.get("assises-2022-000001-Q1"),
            Some("Plus de bancs, \"vraiment\"\net d'ombre")
        );
        assert_eq!(back.get("assises-2022-000002-Q1"), None);
    }
}
