//! The decisions people made on answers (`urnscan review`, `urnscan review apply`), kept in
//! the output folder as `corrections.csv` so that every later run of `process` on that
//! folder applies them again: a human reading always wins over the recognizer's.
//!
//! The file is a log: one row per decision, appended and flushed to disk before anyone is
//! told it is saved, the last row of a contribution winning. Appending (never rewriting)
//! is what lets a kill at any moment lose nothing, and two review pages or two agents on
//! one folder add their decisions side by side. Files written before decisions existed
//! have no `decision` column: each of their rows is a correction.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::Context;

use super::table::Table;

pub const FILE: &str = "corrections.csv";
const HEADER: &[&str] = &["contribution_id", "ocr_text", "corrected_text", "decision"];
const REQUIRED: &[&str] = &["contribution_id", "ocr_text", "corrected_text"];

/// What a person decided about an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The text read is right (as shown, or as `corrected_text`).
    Confirmed,
    /// The person typed the text (`corrected_text`).
    Corrected,
    /// A stain, a fold, a scribble: no contribution. It leaves contributions.csv.
    NotAnAnswer,
    /// Writing, but nobody can read it: stays, flagged `illegible`, never exported.
    Illegible,
    /// An earlier decision taken back (undo): the answer is as the recognizer read it.
    Undecided,
}

impl Decision {
    pub fn code(self) -> &'static str {
        match self {
            Decision::Confirmed => "confirmed",
            Decision::Corrected => "corrected",
            Decision::NotAnAnswer => "not_an_answer",
            Decision::Illegible => "illegible",
            Decision::Undecided => "undecided",
        }
    }

    pub fn from_code(code: &str) -> Option<Decision> {
        [
            Decision::Confirmed,
            Decision::Corrected,
            Decision::NotAnAnswer,
            Decision::Illegible,
            Decision::Undecided,
        ]
        .into_iter()
        .find(|d| d.code() == code)
    }

    /// Whether the decision keeps a text a person vouched for.
    pub fn keeps_text(self) -> bool {
        matches!(self, Decision::Confirmed | Decision::Corrected)
    }
}

/// One decision: what the recognizer read, what the person kept, and what they decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    pub ocr_text: String,
    pub corrected_text: String,
    pub decision: Decision,
    /// Its row in the log (from 1): tells a page whether a decision changed since it looked.
    pub seq: usize,
}

impl Correction {
    /// A correction typed by a person (the review sheet's).
    pub fn corrected(ocr_text: &str, corrected_text: &str) -> Correction {
        Correction {
            ocr_text: ocr_text.to_string(),
            corrected_text: corrected_text.to_string(),
            decision: Decision::Corrected,
            seq: 0,
        }
    }
}

/// The standing decision of each contribution (undone ones left out), by id.
#[derive(Debug, Clone, Default)]
pub struct Corrections {
    by_id: BTreeMap<String, Correction>,
    /// Rows in the log, undone decisions included.
    rows: usize,
}

impl Corrections {
    /// The decisions of an output folder (none when it has no corrections.csv).
    pub fn load(out: &Path) -> anyhow::Result<Corrections> {
        let path = out.join(FILE);
        if !path.exists() {
            return Ok(Corrections::default());
        }
        let t = Table::read(&path)?;
        t.require(REQUIRED)
            .with_context(|| format!("{} is damaged", path.display()))?;
        let has_decision = t.column("decision").is_some();
        let mut c = Corrections::default();
        for (n, r) in t.rows.iter().enumerate() {
            let decision = if has_decision {
                let code = t.get(r, "decision").trim();
                Decision::from_code(code).with_context(|| {
                    format!(
                        "{} row {}: unknown decision '{code}'",
                        path.display(),
                        n + 2
                    )
                })?
            } else {
                Decision::Corrected
            };
            c.rows += 1;
            let id = t.get(r, "contribution_id").to_string();
            if decision == Decision::Undecided {
                c.by_id.remove(&id);
                continue;
            }
            c.by_id.insert(
                id,
                Correction {
                    ocr_text: t.get(r, "ocr_text").to_string(),
                    corrected_text: t.get(r, "corrected_text").to_string(),
                    decision,
                    seq: n + 1,
                },
            );
        }
        Ok(c)
    }

    /// Appends decisions to `out`'s log and flushes them to disk: when this returns, a
    /// crash or a kill keeps them. A log from before decisions existed is first rewritten
    /// with the `decision` column (its rows become corrections).
    pub fn append(out: &Path, decisions: &[(String, Correction)]) -> anyhow::Result<()> {
        let path = out.join(FILE);
        let old_format = match Table::read(&path) {
            Ok(t) => t.column("decision").is_none(),
            Err(_) => false,
        };
        if old_format {
            let old = Corrections::load(out)?;
            let rows: Vec<Vec<String>> = old.by_id.iter().map(|(id, c)| row(id, c)).collect();
            super::csvfile::write_csv(
                &path,
                super::csvfile::Dialect::Plain,
                &HEADER.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
                &rows,
            )?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        let empty = file.metadata().map(|m| m.len() == 0).unwrap_or(true);
        // One buffer, one write: two writers appending at once never interleave a row.
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        if empty {
            w.write_record(HEADER)?;
        }
        for (id, c) in decisions {
            w.write_record(row(id, c))?;
        }
        let bytes = w.into_inner().context("cannot encode a decision")?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_data())
            .with_context(|| format!("cannot write to {}", path.display()))?;
        Ok(())
    }

    /// The standing decision of a contribution, if a person decided.
    pub fn decision(&self, id: &str) -> Option<&Correction> {
        self.by_id.get(id)
    }

    /// The text a person kept for a contribution (confirmed or corrected), if any.
    pub fn get(&self, id: &str) -> Option<&str> {
        self.by_id
            .get(id)
            .filter(|c| c.decision.keeps_text())
            .map(|c| c.corrected_text.as_str())
    }

    /// Standing decisions.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Rows in the log (the `seq` the next decision gets is this plus one).
    pub fn log_rows(&self) -> usize {
        self.rows
    }
}

fn row(id: &str, c: &Correction) -> Vec<String> {
    vec![
        id.to_string(),
        c.ocr_text.clone(),
        c.corrected_text.clone(),
        c.decision.code().to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decided(decision: Decision, text: &str) -> Correction {
        Correction {
            ocr_text: "Plus de bonc".into(),
            corrected_text: text.into(),
            decision,
            seq: 0,
        }
    }

    #[test]
    fn the_last_decision_of_a_contribution_wins_and_undo_takes_it_back() {
        let d = tempfile::tempdir().unwrap();
        assert!(Corrections::load(d.path()).unwrap().is_empty());
        let a = "assises-2022-000001-Q1".to_string();
        let b = "assises-2022-000002-Q1".to_string();
        Corrections::append(
            d.path(),
            &[(
                a.clone(),
                decided(
                    Decision::Corrected,
                    "Plus de bancs, \"vraiment\"\net d'ombre",
                ),
            )],
        )
        .unwrap();
        Corrections::append(d.path(), &[(b.clone(), decided(Decision::NotAnAnswer, ""))]).unwrap();
        let back = Corrections::load(d.path()).unwrap();
        assert_eq!(
            back.get(&a),
            Some("Plus de bancs, \"vraiment\"\net d'ombre")
        );
        assert_eq!(back.get(&b), None, "not an answer keeps no text");
        assert_eq!(back.decision(&b).unwrap().decision, Decision::NotAnAnswer);
        assert_eq!(back.decision(&b).unwrap().seq, 2);
        Corrections::append(d.path(), &[(b.clone(), decided(Decision::Undecided, ""))]).unwrap();
        Corrections::append(d.path(), &[(a.clone(), decided(Decision::Illegible, ""))]).unwrap();
        let back = Corrections::load(d.path()).unwrap();
        assert!(back.decision(&b).is_none());
        assert_eq!(back.decision(&a).unwrap().decision, Decision::Illegible);
        assert_eq!((back.len(), back.log_rows()), (1, 4));
        let text = std::fs::read_to_string(d.path().join(FILE)).unwrap();
        assert!(text.starts_with("contribution_id,ocr_text,corrected_text,decision\n"));
        assert_eq!(text.matches("contribution_id").count(), 1, "one header");
    }

    #[test]
    fn a_log_from_before_decisions_reads_as_corrections_and_gains_the_column() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join(FILE),
            "contribution_id,ocr_text,corrected_text\nc-1-Q1,bonc,bancs\n",
        )
        .unwrap();
        let old = Corrections::load(d.path()).unwrap();
        assert_eq!(
            old.decision("c-1-Q1").unwrap().decision,
            Decision::Corrected
        );
        Corrections::append(
            d.path(),
            &[("c-2-Q1".into(), decided(Decision::Confirmed, "Plus"))],
        )
        .unwrap();
        let back = Corrections::load(d.path()).unwrap();
        assert_eq!(back.get("c-1-Q1"), Some("bancs"));
        assert_eq!(back.get("c-2-Q1"), Some("Plus"));
    }
}
