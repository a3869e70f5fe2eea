//! The journal of finished pages (`journal.jsonl` in the output folder): one JSON line per
//! page read, written and flushed to disk (fdatasync) as soon as the page is done. A run that
//! dies (a crash, a power cut, SIGKILL, a full disk) loses at most the pages being read at
//! that moment: the next run into the same folder takes every journaled page as read,
//! reads the rest, and writes the CSVs whole, with no row missing or repeated.
//!
//! A page is known by its file (name relative to the input), page number and the file's
//! content fingerprint: a file replaced by another scan under the same name is read again.
//! The first line names the batch and campaign the folder belongs to, so that a run of
//! another batch does not silently replace it (`--force` does).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::csvfile::write_atomic;
use crate::outcome::PageResult;

pub const FILE: &str = "journal.jsonl";
pub const VERSION: u32 = 1;

/// The journal's first line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub urnscan_journal: u32,
    pub campaign: String,
    pub batch: String,
}

/// Which page a result is for.
pub type PageKey = (String, Option<u32>, String);

pub fn key_of(r: &PageResult) -> PageKey {
    (r.source_file.clone(), r.page, r.fingerprint.clone())
}

/// What an earlier run into the folder left.
#[derive(Debug, Default)]
pub struct Previous {
    pub header: Option<Header>,
    pub results: HashMap<PageKey, PageResult>,
    /// Lines that could not be read back (the line being written when a run died): their
    /// pages are simply read again.
    pub damaged_lines: usize,
}

/// Reads the journal of `out`, if any.
pub fn load(out: &Path) -> anyhow::Result<Previous> {
    let path = out.join(FILE);
    let text = match std::fs::read(&path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Previous::default()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut lines = text.lines();
    let header: Option<Header> = lines.next().and_then(|l| serde_json::from_str(l).ok());
    let Some(header) = header.filter(|h| h.urnscan_journal == VERSION) else {
        anyhow::bail!(
            "{} is not a journal this urnscan can read: move it away or use --force to start the folder afresh",
            path.display()
        );
    };
    let mut previous = Previous {
        header: Some(header),
        ..Previous::default()
    };
    for line in lines {
        match serde_json::from_str::<PageResult>(line) {
            Ok(r) => {
                previous.results.insert(key_of(&r), r);
            }
            Err(_) => previous.damaged_lines += 1,
        }
    }
    Ok(previous)
}

/// The journal being written by this run.
pub struct Journal {
    path: PathBuf,
    file: Mutex<std::fs::File>,
}

impl Journal {
    /// Opens the journal of `out` for appending. `fresh` (or no journal yet) starts a new one
    /// holding only `header`.
    pub fn open(out: &Path, header: &Header, fresh: bool) -> anyhow::Result<Journal> {
        let path = out.join(FILE);
        if fresh || !path.exists() {
            let mut first = serde_json::to_string(header).context("cannot encode the journal")?;
            first.push('\n');
            write_atomic(&path, first.as_bytes())?;
        }
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .with_context(|| format!("cannot open the journal {}", path.display()))?;
        Ok(Journal {
            path,
            file: Mutex::new(file),
        })
    }

    /// Records a finished page, durably: when this returns, the page survives a crash.
    pub fn record(&self, r: &PageResult) -> anyhow::Result<()> {
        let mut line = serde_json::to_string(r).context("cannot encode a journal line")?;
        line.push('\n');
        let mut file = self
            .file
            .lock()
            .map_err(|_| anyhow::anyhow!("the journal is unusable after a failed write"))?;
        file.write_all(line.as_bytes())
            .and_then(|_| file.sync_data())
            .with_context(|| {
                format!(
                    "cannot write the journal {} (is the disk full?)",
                    self.path.display()
                )
            })
    }

    /// Rewrites the journal with exactly `results` (this run's pages, in input order), so
    /// that it does not keep pages of files no longer given.
    pub fn compact(&self, header: &Header, results: &[PageResult]) -> anyhow::Result<()> {
        let mut text = serde_json::to_string(header).context("cannot encode the journal")?;
        text.push('\n');
        for r in results {
            text.push_str(&serde_json::to_string(r).context("cannot encode a journal line")?);
            text.push('\n');
        }
        let _guard = self.file.lock();
        write_atomic(&self.path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Outcome, Rejection};

    fn result(name: &str, page: u32) -> PageResult {
        PageResult {
            source_file: name.into(),
            page: Some(page),
            fingerprint: "abc".into(),
            outcome: Outcome::Rejected(Rejection::NoQr {
                tried: "everything".into(),
            }),
        }
    }

    fn header() -> Header {
        Header {
            urnscan_journal: VERSION,
            campaign: "c".into(),
            batch: "b".into(),
        }
    }

    #[test]
    fn pages_recorded_are_read_back_and_a_torn_last_line_is_ignored() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(d.path(), &header(), false).unwrap();
        j.record(&result("a.png", 1)).unwrap();
        j.record(&result("b.pdf", 2)).unwrap();
        drop(j);
        // A run killed in the middle of a line.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(d.path().join(FILE))
            .unwrap();
        f.write_all(b"{\"source_file\":\"c.png\",\"pa").unwrap();
        let p = load(d.path()).unwrap();
        assert_eq!(p.header, Some(header()));
        assert_eq!(p.results.len(), 2);
        assert_eq!(p.damaged_lines, 1);
        let b = &p.results[&key_of(&result("b.pdf", 2))];
        assert_eq!(b, &result("b.pdf", 2));
    }

    #[test]
    fn a_fresh_journal_forgets_the_old_one_and_compact_keeps_only_what_is_given() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(d.path(), &header(), false).unwrap();
        j.record(&result("a.png", 1)).unwrap();
        drop(j);
        let j = Journal::open(d.path(), &header(), true).unwrap();
        assert!(load(d.path()).unwrap().results.is_empty());
        j.record(&result("x.png", 1)).unwrap();
        j.record(&result("y.png", 1)).unwrap();
        j.compact(&header(), &[result("y.png", 1)]).unwrap();
        let p = load(d.path()).unwrap();
        assert_eq!(p.results.len(), 1);
        assert!(p.results.contains_key(&key_of(&result("y.png", 1))));
    }

    #[test]
    fn an_unknown_file_is_refused_not_overwritten() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join(FILE), "hello\n").unwrap();
        assert!(load(d.path()).is_err());
    }
}
