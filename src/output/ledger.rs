//! The ledger of slips already counted into an output folder (`serials.csv`): every serial
//! identified there, with the page it was read from. A slip scanned again in a later run
//! into the same folder (put back in an urn, fed twice a week apart) is then a duplicate
//! naming its first reading, while re-reading the very same page (a rerun) is not.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::Context;

use super::csvfile::{write_csv, Dialect};

pub const FILE: &str = "serials.csv";
const HEADER: [&str; 6] = [
    "serial",
    "payload",
    "source_file",
    "page",
    "fingerprint",
    "batch",
];

/// Where a serial was first read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub serial: String,
    pub payload: String,
    pub source_file: String,
    pub page: u32,
    /// The source file's content fingerprint (see `fingerprint`).
    pub fingerprint: String,
    pub batch: String,
}

#[derive(Debug, Default)]
pub struct Ledger {
    entries: HashMap<String, Entry>,
}

impl Ledger {
    /// Loads the ledger file `path` (an empty ledger when there is none yet): an output
    /// folder's `serials.csv`, or a ledger several folders share (`process --ledger`).
    pub fn load(path: &Path) -> anyhow::Result<Ledger> {
        let path = path.to_path_buf();
        if !path.exists() {
            return Ok(Ledger::default());
        }
        let mut rdr = csv::Reader::from_path(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let mut entries = HashMap::new();
        for (i, rec) in rdr.records().enumerate() {
            let rec =
                rec.with_context(|| format!("{}: line {} is damaged", path.display(), i + 2))?;
            let cell = |k: usize| rec.get(k).unwrap_or("").to_string();
            let entry = Entry {
                serial: cell(0),
                payload: cell(1),
                source_file: cell(2),
                page: cell(3).parse().unwrap_or(0),
                fingerprint: cell(4),
                batch: cell(5),
            };
            entries.insert(entry.serial.clone(), entry);
        }
        Ok(Ledger { entries })
    }

    /// The earlier reading of `serial`, unless it was this very page of this very file.
    pub fn earlier(
        &self,
        serial: &str,
        source_file: &str,
        page: u32,
        fingerprint: &str,
    ) -> Option<&Entry> {
        self.entries.get(serial).filter(|e| {
            !(e.source_file == source_file && e.page == page && e.fingerprint == fingerprint)
        })
    }

    pub fn record(&mut self, entry: Entry) {
        self.entries.insert(entry.serial.clone(), entry);
    }

    /// Writes the ledger to `path`, with any entries another run recorded there since this
    /// one loaded it (a ledger shared by weekly folders may see two runs at once); this
    /// run's entries win.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let mut merged = Ledger::load(path).unwrap_or_default();
        for e in self.entries.values() {
            merged.entries.insert(e.serial.clone(), e.clone());
        }
        let mut rows: Vec<&Entry> = merged.entries.values().collect();
        rows.sort_by(|a, b| a.serial.cmp(&b.serial));
        let rows: Vec<Vec<String>> = rows
            .into_iter()
            .map(|e| {
                vec![
                    e.serial.clone(),
                    e.payload.clone(),
                    e.source_file.clone(),
                    e.page.to_string(),
                    e.fingerprint.clone(),
                    e.batch.clone(),
                ]
            })
            .collect();
        let header: Vec<String> = HEADER.iter().map(|s| s.to_string()).collect();
        write_csv(path, Dialect::Plain, &header, &rows)
    }
}

/// A cheap content fingerprint of a file: its size and FNV-1a over its first and last 64 KiB.
/// It tells a rescan (new bytes) from the same file read again, without reading a
/// 300-page PDF whole.
pub fn fingerprint(path: &Path) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= *b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    };
    let Ok(mut f) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    eat(&len.to_le_bytes());
    let mut buf = vec![0u8; 64 * 1024];
    let n = f.read(&mut buf).unwrap_or(0);
    eat(&buf[..n]);
    if len > 128 * 1024 && f.seek(SeekFrom::End(-(64 * 1024))).is_ok() {
        let n = f.read(&mut buf).unwrap_or(0);
        eat(&buf[..n]);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_page_is_not_its_own_duplicate_but_a_rescan_is() {
        let d = tempfile::tempdir().unwrap();
        let mut l = Ledger::default();
        l.record(Entry {
            serial: "000123".into(),
            payload: "p".into(),
            source_file: "a.jpg".into(),
            page: 1,
            fingerprint: "f1".into(),
            batch: "W07".into(),
        });
        l.save(&d.path().join(FILE)).unwrap();
        let l = Ledger::load(&d.path().join(FILE)).unwrap();
        assert!(l.earlier("000123", "a.jpg", 1, "f1").is_none());
        assert_eq!(l.earlier("000123", "b.jpg", 1, "f2").unwrap().batch, "W07");
        assert!(
            l.earlier("000123", "a.jpg", 1, "f2").is_some(),
            "same name, new scan"
        );
        assert!(l.earlier("000999", "b.jpg", 1, "f2").is_none());
    }

    #[test]
    fn fingerprints_tell_files_apart() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a"), vec![1u8; 300_000]).unwrap();
        let mut b = vec![1u8; 300_000];
        b[299_999] = 2;
        std::fs::write(d.path().join("b"), b).unwrap();
        assert_ne!(
            fingerprint(&d.path().join("a")),
            fingerprint(&d.path().join("b"))
        );
        assert_eq!(
            fingerprint(&d.path().join("a")),
            fingerprint(&d.path().join("a"))
        );
    }
}
