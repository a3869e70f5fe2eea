//! Reading a CSV that urnscan wrote (or that a spreadsheet saved back): either dialect, its
//! columns found by name, so that the commands working on an output folder after a run (the
//! report, the review sheet, the exports) do not depend on column positions or on whether
//! the run used `--excel`.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};

use super::csvfile::{Dialect, FORMULA_START};

/// A CSV file as a header and rows, every row as long as the header.
#[derive(Debug, Clone)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// The dialect it was written in: `Excel` for a BOM or `;` separators (then cells may
    /// carry the apostrophe `--excel` puts before formula-like text; `cell` removes it).
    pub dialect: Dialect,
    index: HashMap<String, usize>,
}

impl Table {
    /// Reads `path`, whichever dialect it is in: UTF-8 with or without a BOM, `,` or `;`
    /// (told from the header line, which holds no quoted cells), `\n` or CRLF.
    pub fn read(path: &Path) -> anyhow::Result<Table> {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        Table::parse(&bytes).with_context(|| format!("{} is not a CSV table", path.display()))
    }

    pub fn parse(bytes: &[u8]) -> anyhow::Result<Table> {
        // A sheet saved by Excel as "CSV (point-virgule)" is Windows-1252, not UTF-8: read
        // it as such rather than refuse every accent.
        let decoded;
        let bytes = if std::str::from_utf8(bytes).is_err() {
            decoded = encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned();
            decoded.as_bytes()
        } else {
            bytes
        };
        let bom = bytes.starts_with("\u{FEFF}".as_bytes());
        let bytes = bytes.strip_prefix("\u{FEFF}".as_bytes()).unwrap_or(bytes);
        let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
        let semicolons = first_line.iter().filter(|&&b| b == b';').count();
        let commas = first_line.iter().filter(|&&b| b == b',').count();
        let delimiter = if semicolons > commas { b';' } else { b',' };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(bytes);
        let header: Vec<String> = reader
            .headers()
            .context("no header row")?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        if header.iter().all(|h| h.is_empty()) {
            bail!("no header row");
        }
        let mut rows = Vec::new();
        for (n, record) in reader.records().enumerate() {
            let record = record.with_context(|| format!("row {} cannot be read", n + 2))?;
            let mut row: Vec<String> = record.iter().map(str::to_string).collect();
            // Spreadsheets drop trailing empty cells and add empty rows; neither is data.
            if row.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            row.resize(header.len(), String::new());
            rows.push(row);
        }
        let index = header
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), i))
            .collect();
        let dialect = if bom || delimiter == b';' {
            Dialect::Excel
        } else {
            Dialect::Plain
        };
        Ok(Table {
            header,
            rows,
            dialect,
            index,
        })
    }

    /// The position of a column, if the table has it.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The positions of columns the caller cannot do without, or an error naming the
    /// missing ones.
    pub fn require(&self, names: &[&str]) -> anyhow::Result<Vec<usize>> {
        let missing: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| self.column(n).is_none())
            .collect();
        if !missing.is_empty() {
            bail!("it has no column {}", missing.join(", "));
        }
        Ok(names.iter().filter_map(|n| self.column(n)).collect())
    }

    /// A row's cell in a named column, exactly as stored ("" when there is no such column).
    pub fn get<'r>(&self, row: &'r [String], name: &str) -> &'r str {
        self.column(name)
            .and_then(|i| row.get(i))
            .map(String::as_str)
            .unwrap_or("")
    }

    /// A row's cell as it was before it was written: `get`, without the apostrophe the
    /// Excel dialect adds before formula-like text.
    pub fn cell<'r>(&self, row: &'r [String], name: &str) -> &'r str {
        match self.dialect {
            Dialect::Excel => unneutralise(self.get(row, name)),
            Dialect::Plain => self.get(row, name),
        }
    }
}

/// Undoes the apostrophe `--excel` puts before a cell a spreadsheet would run as a formula,
/// for a cell that comes back from a spreadsheet or a text editor.
pub fn unneutralise(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) || rest.starts_with('\'') => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::csvfile::write_csv;

    #[test]
    fn reads_both_dialects_by_column_name() {
        let d = tempfile::tempdir().unwrap();
        let header = vec!["id".to_string(), "text".to_string()];
        let rows = vec![vec![
            "a".to_string(),
            "-2 ; l'été, \"oui\"\nnon".to_string(),
        ]];
        for dialect in [Dialect::Plain, Dialect::Excel] {
            let p = d.path().join("t.csv");
            write_csv(&p, dialect, &header, &rows).unwrap();
            let t = Table::read(&p).unwrap();
            assert_eq!(t.header, header);
            assert_eq!(t.dialect, dialect);
            assert_eq!(t.rows.len(), 1);
            assert_eq!(t.get(&t.rows[0], "id"), "a");
            assert_eq!(unneutralise(t.get(&t.rows[0], "text")), rows[0][1]);
            assert_eq!(t.cell(&t.rows[0], "text"), rows[0][1]);
            assert_eq!(t.get(&t.rows[0], "missing"), "");
        }
    }

    #[test]
    fn short_and_empty_rows_from_spreadsheets_are_tolerated() {
        let t = Table::parse(b"id;text;corrected_text\r\nx;y\r\n;;\r\n\r\n").unwrap();
        assert_eq!(t.rows, vec![vec!["x", "y", ""]]);
        assert!(t.require(&["id", "nope"]).is_err());
        assert_eq!(t.require(&["text", "id"]).unwrap(), vec![1, 0]);
        assert!(Table::parse(b"").is_err());
    }

    #[test]
    fn only_urnscan_apostrophes_are_removed() {
        assert_eq!(unneutralise("'=1+1"), "=1+1");
        assert_eq!(unneutralise("'tis"), "'tis");
        assert_eq!(unneutralise("l'été"), "l'été");
        for cell in ["=1", "'=1", "''=1", "-2", "'", "''", "'tis", "l'été", ""] {
            let written = crate::output::csvfile::neutralise_formula(cell);
            assert_eq!(unneutralise(&written), cell, "{cell:?} -> {written:?}");
        }
    }

    #[test]
    fn a_sheet_saved_as_windows_1252_is_read() {
        // "contribution_id;corrected_text\r\nx;été\r\n" in Windows-1252.
        let t = Table::parse(b"contribution_id;corrected_text\r\nx;\xe9t\xe9\r\n").unwrap();
        assert_eq!(t.rows, vec![vec!["x", "été"]]);
    }
}
