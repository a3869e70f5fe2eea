//! The rows of contributions.csv and pages.csv as types: `ContributionRecord` and
//! `PageRecord`. Each file's columns (name, order, how a field becomes a cell and a cell
//! becomes a field) are one table here, used both to write the files (`process`, `review
//! apply`) and to read them back (`folder::OutputFolder`), so that no other module names a
//! column or knows its position.
//!
//! contributions.csv has one column per checkbox group of the campaign, between
//! `review_reasons` and `source_file`, named by the group's id in the layout: the header is
//! made from the campaign when writing, and read back from the file (a column this module
//! does not know is a checkbox group's).

use std::path::Path;

use super::corrections::{Correction, Decision};
use super::csvfile::{write_csv, Dialect};
use super::rows::PersonalData;
use super::table::Table;
use crate::outcome::{IdentifiedBy, RejectionReason, ReviewReason, Ticks};
use crate::privacy;

/// One row of contributions.csv: one non-blank answer zone of an identified slip.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContributionRecord {
    /// `<campaign>-<serial>-<question_id>`, stable across runs.
    pub contribution_id: String,
    pub campaign: String,
    pub form: String,
    pub serial: String,
    pub question_id: String,
    pub question_label: String,
    pub urn_id: String,
    pub urn_name: String,
    pub quartier: String,
    pub channel: String,
    pub batch: String,
    /// The answer as written to the file: normalised, masked unless kept, or a person's
    /// correction.
    pub text: String,
    /// The recognizer's mean word confidence, 0–100 (written rounded to a whole number);
    /// None for an empty cell.
    pub confidence: Option<f32>,
    pub needs_review: bool,
    pub review_reasons: Vec<ReviewReason>,
    /// The ticked codes of each checkbox group, one entry per group column, in column
    /// order (empty codes when nothing is ticked).
    pub ticks: Vec<Ticks>,
    pub source_file: String,
    /// Page number from 1 (None for an empty cell).
    pub page: Option<u32>,
    /// The zone's crop, relative to the output folder.
    pub crop_file: String,
    /// A person corrected `text` (`urnscan review apply`).
    pub reviewed: bool,
    /// What the OCR read (masked like `text`), which a correction does not erase.
    pub ocr_text: String,
}

/// The status of a page in pages.csv.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum PageStatus {
    #[default]
    Ok,
    Blank,
    Duplicate,
    Rejected,
}

impl PageStatus {
    pub const ALL: [PageStatus; 4] = [
        PageStatus::Ok,
        PageStatus::Blank,
        PageStatus::Duplicate,
        PageStatus::Rejected,
    ];

    /// The code written in pages.csv.
    pub fn code(self) -> &'static str {
        match self {
            PageStatus::Ok => "ok",
            PageStatus::Blank => "blank",
            PageStatus::Duplicate => "duplicate",
            PageStatus::Rejected => "rejected",
        }
    }

    /// The agent's words for it, in French (the review report's language).
    pub fn label(self) -> &'static str {
        match self {
            PageStatus::Ok => "lue",
            PageStatus::Blank => "vide",
            PageStatus::Duplicate => "doublon",
            PageStatus::Rejected => "rejetée",
        }
    }

    pub fn from_code(code: &str) -> Option<PageStatus> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// One row of pages.csv: a page, or a file that yielded no page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageRecord {
    /// The input file, relative to the input root.
    pub source_file: String,
    /// Page number from 1; None for a file that yielded no page.
    pub page: Option<u32>,
    pub status: PageStatus,
    /// Why the page was rejected (None unless its status is rejected).
    pub reason: Option<RejectionReason>,
    /// What happened, in words (for a duplicate: the page it repeats).
    pub detail: String,
    pub qr_payload: String,
    pub serial: String,
    /// The slip's rotation in the scan, clockwise (None when no slip was read).
    pub orientation: Option<u16>,
    /// The contributions the page gave (status ok only).
    pub contribution_ids: Vec<String>,
    /// How the slip was identified (None when no slip was read).
    pub identified_by: Option<IdentifiedBy>,
    /// The slip's identity, whether read from its QR code or its print (empty when no slip
    /// was identified): blank slips and duplicates count per urn too.
    pub form: String,
    pub urn_id: String,
    pub question_id: String,
}

/// One column of a CSV file: its name, how a record's field becomes the cell, and how a
/// cell read back sets the field (or says what is wrong with it).
pub struct Column<R: 'static> {
    pub name: &'static str,
    write: fn(&R) -> String,
    read: fn(&mut R, &str) -> Result<(), String>,
}

/// A column holding a String field as it is.
macro_rules! text_column {
    ($name:literal, $field:ident) => {
        Column {
            name: $name,
            write: |r| r.$field.clone(),
            read: |r, cell| {
                r.$field = cell.to_string();
                Ok(())
            },
        }
    };
}

/// contributions.csv's columns before the checkbox groups, in order.
const CONTRIBUTION_HEAD: &[Column<ContributionRecord>] = &[
    text_column!("contribution_id", contribution_id),
    text_column!("campaign", campaign),
    text_column!("form", form),
    text_column!("serial", serial),
    text_column!("question_id", question_id),
    text_column!("question_label", question_label),
    text_column!("urn_id", urn_id),
    text_column!("urn_name", urn_name),
    text_column!("quartier", quartier),
    text_column!("channel", channel),
    text_column!("batch", batch),
    text_column!("text", text),
    Column {
        name: "confidence",
        write: |r| r.confidence.map(|c| format!("{c:.0}")).unwrap_or_default(),
        read: |r, cell| {
            r.confidence = optional(cell, "a confidence from 0 to 100")?;
            Ok(())
        },
    },
    Column {
        name: "needs_review",
        write: |r| r.needs_review.to_string(),
        read: |r, cell| {
            r.needs_review = boolean(cell)?;
            Ok(())
        },
    },
    Column {
        name: "review_reasons",
        write: |r| join(r.review_reasons.iter().map(|c| c.code())),
        read: |r, cell| {
            r.review_reasons = codes(cell)
                .map(|c| {
                    ReviewReason::from_code(c)
                        .ok_or_else(|| format!("'{c}' is not a review reason"))
                })
                .collect::<Result<_, _>>()?;
            Ok(())
        },
    },
];

/// contributions.csv's columns after the checkbox groups, in order: the contract's, then
/// whether a person corrected the text and what the OCR read.
const CONTRIBUTION_TAIL: &[Column<ContributionRecord>] = &[
    text_column!("source_file", source_file),
    Column {
        name: "page",
        write: |r| r.page.map(|p| p.to_string()).unwrap_or_default(),
        read: |r, cell| {
            r.page = optional(cell, "a page number")?;
            Ok(())
        },
    },
    text_column!("crop_file", crop_file),
    Column {
        name: "reviewed",
        write: |r| r.reviewed.to_string(),
        read: |r, cell| {
            r.reviewed = boolean(cell)?;
            Ok(())
        },
    },
    text_column!("ocr_text", ocr_text),
];

/// pages.csv's columns, in order.
const PAGE_COLUMNS: &[Column<PageRecord>] = &[
    text_column!("source_file", source_file),
    Column {
        name: "page",
        write: |r| r.page.map(|p| p.to_string()).unwrap_or_default(),
        read: |r, cell| {
            r.page = optional(cell, "a page number")?;
            Ok(())
        },
    },
    Column {
        name: "status",
        write: |r| r.status.code().to_string(),
        read: |r, cell| {
            r.status = PageStatus::from_code(cell.trim())
                .ok_or_else(|| format!("'{cell}' is not a page status"))?;
            Ok(())
        },
    },
    Column {
        name: "reason",
        write: |r| r.reason.map(|c| c.code()).unwrap_or_default().to_string(),
        read: |r, cell| {
            let cell = cell.trim();
            r.reason = if cell.is_empty() {
                None
            } else {
                Some(
                    RejectionReason::from_code(cell)
                        .ok_or_else(|| format!("'{cell}' is not a rejection reason"))?,
                )
            };
            Ok(())
        },
    },
    text_column!("detail", detail),
    text_column!("qr_payload", qr_payload),
    text_column!("serial", serial),
    Column {
        name: "orientation",
        write: |r| r.orientation.map(|o| o.to_string()).unwrap_or_default(),
        read: |r, cell| {
            r.orientation = optional(cell, "an orientation in degrees")?;
            Ok(())
        },
    },
    Column {
        name: "contribution_ids",
        write: |r| r.contribution_ids.join("|"),
        read: |r, cell| {
            r.contribution_ids = codes(cell).map(str::to_string).collect();
            Ok(())
        },
    },
    Column {
        name: "identified_by",
        write: |r| {
            r.identified_by
                .map(|i| i.code())
                .unwrap_or_default()
                .to_string()
        },
        read: |r, cell| {
            let cell = cell.trim();
            r.identified_by = if cell.is_empty() {
                None
            } else {
                Some(
                    IdentifiedBy::from_code(cell)
                        .ok_or_else(|| format!("'{cell}' is not qr or printed"))?,
                )
            };
            Ok(())
        },
    },
    text_column!("form", form),
    text_column!("urn_id", urn_id),
    text_column!("question_id", question_id),
];

/// The columns a reader of contributions.csv cannot do without: a file without them is
/// not urnscan's.
pub const REQUIRED_CONTRIBUTION_COLUMNS: &[&str] = &[
    "contribution_id",
    "question_id",
    "urn_id",
    "text",
    "needs_review",
    "crop_file",
];
/// The same for pages.csv.
pub const REQUIRED_PAGE_COLUMNS: &[&str] = &["source_file", "page", "status", "reason"];

/// `a|b|` → `a`, `b` (trimmed, empty pieces dropped).
fn codes(cell: &str) -> impl Iterator<Item = &str> {
    cell.split('|').map(str::trim).filter(|s| !s.is_empty())
}

fn join<'a>(codes: impl Iterator<Item = &'a str>) -> String {
    codes.collect::<Vec<_>>().join("|")
}

/// `true` or `false` (an empty cell is false).
fn boolean(cell: &str) -> Result<bool, String> {
    match cell.trim() {
        "true" => Ok(true),
        "false" | "" => Ok(false),
        other => Err(format!("'{other}' is not true or false")),
    }
}

/// A number, or None for an empty cell.
fn optional<T: std::str::FromStr>(cell: &str, what: &str) -> Result<Option<T>, String> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(None);
    }
    cell.parse()
        .map(Some)
        .map_err(|_| format!("'{cell}' is not {what}"))
}

/// What a header's column is, for a record.
enum Slot<R: 'static> {
    Field(&'static Column<R>),
    /// A column the table does not name: in contributions.csv, a checkbox group's.
    Other(String),
}

fn slots<R>(columns: &[&'static [Column<R>]], header: &[String]) -> Vec<Slot<R>> {
    header
        .iter()
        .map(|name| {
            columns
                .iter()
                .flat_map(|c| c.iter())
                .find(|c| c.name == name)
                .map_or_else(|| Slot::Other(name.clone()), Slot::Field)
        })
        .collect()
}

impl ContributionRecord {
    /// contributions.csv's header for a campaign whose checkbox groups are `groups` (in
    /// layout order).
    pub fn header(groups: &[String]) -> Vec<String> {
        CONTRIBUTION_HEAD
            .iter()
            .map(|c| c.name.to_string())
            .chain(groups.iter().cloned())
            .chain(CONTRIBUTION_TAIL.iter().map(|c| c.name.to_string()))
            .collect()
    }

    /// The record's cells under `header` (the header it was read with, or `header(..)`).
    pub fn cells(&self, header: &[String]) -> Vec<String> {
        slots(&[CONTRIBUTION_HEAD, CONTRIBUTION_TAIL], header)
            .iter()
            .map(|slot| match slot {
                Slot::Field(c) => (c.write)(self),
                Slot::Other(g) => self.ticked(g).join("|"),
            })
            .collect()
    }

    /// The record's cell in the column named `column` (a group's codes for a column the
    /// table does not name).
    pub fn cell(&self, column: &str) -> String {
        self.cells(&[column.to_string()]).remove(0)
    }

    /// The codes ticked in checkbox group `group` (none for a group it does not have).
    pub fn ticked(&self, group: &str) -> &[String] {
        self.ticks
            .iter()
            .find(|t| t.group == group)
            .map(|t| t.codes.as_slice())
            .unwrap_or_default()
    }

    /// The checkbox group columns of a contributions.csv header: those that are not one of
    /// the fixed columns.
    pub fn group_columns(header: &[String]) -> Vec<String> {
        slots(&[CONTRIBUTION_HEAD, CONTRIBUTION_TAIL], header)
            .into_iter()
            .filter_map(|s| match s {
                Slot::Other(g) => Some(g),
                Slot::Field(_) => None,
            })
            .collect()
    }

    /// Every row of a contributions.csv table, or what is wrong with the first bad cell
    /// (with its row number, the header being row 1).
    pub fn read_all(table: &Table) -> Result<Vec<ContributionRecord>, String> {
        let slots = slots(&[CONTRIBUTION_HEAD, CONTRIBUTION_TAIL], &table.header);
        table
            .rows
            .iter()
            .enumerate()
            .map(|(n, row)| {
                let mut r = ContributionRecord::default();
                for (slot, name) in slots.iter().zip(&table.header) {
                    let cell = table.cell(row, name);
                    match slot {
                        Slot::Field(c) => (c.read)(&mut r, cell)
                            .map_err(|e| format!("row {}, column {name}: {e}", n + 2))?,
                        Slot::Other(g) => r.ticks.push(Ticks {
                            group: g.clone(),
                            codes: codes(cell).map(str::to_string).collect(),
                        }),
                    }
                }
                Ok(r)
            })
            .collect()
    }

    /// Writes `records` under `header` to `path` atomically in `dialect`.
    pub fn write_all(
        path: &Path,
        dialect: Dialect,
        header: &[String],
        records: &[ContributionRecord],
    ) -> anyhow::Result<()> {
        let rows: Vec<Vec<String>> = records.iter().map(|r| r.cells(header)).collect();
        write_csv(path, dialect, header, &rows)
    }

    /// Puts a person's correction into the record: the corrected text (normalised and
    /// masked like the OCR's), `reviewed` true, and no more `needs_review`. `ocr_text` and
    /// `review_reasons` stay as the machine had them: they say what was read and why a
    /// person looked. Used both when a run writes its rows and when `review apply` edits an
    /// existing file, so that the two give the same bytes.
    pub fn apply_correction(&mut self, corrected: &str, personal: PersonalData) {
        let corrected = crate::text::normalise(corrected);
        self.text = personal.apply(&corrected, privacy::scan(&corrected).masked);
        self.needs_review = false;
        self.reviewed = true;
    }

    /// Puts a person's standing decision into the record, whatever decision it held
    /// before (the review page may change its mind): first back to what the recognizer
    /// read, then the decision. `not_an_answer` is not this record's to apply: the caller
    /// moves the record out of contributions.csv (`decisions::split`).
    pub fn apply_decision(&mut self, decision: Option<&Correction>, personal: PersonalData) {
        self.text = self.ocr_text.clone();
        self.reviewed = false;
        self.review_reasons
            .retain(|r| *r != ReviewReason::Illegible);
        self.needs_review = !self.review_reasons.is_empty();
        let Some(d) = decision else { return };
        match d.decision {
            Decision::Confirmed | Decision::Corrected => {
                self.apply_correction(&d.corrected_text, personal)
            }
            Decision::Illegible => {
                self.reviewed = true;
                self.review_reasons.push(ReviewReason::Illegible);
                self.needs_review = true;
            }
            Decision::NotAnAnswer => self.reviewed = true,
            Decision::Undecided => {}
        }
    }
}

impl PageRecord {
    pub fn header() -> Vec<String> {
        PAGE_COLUMNS.iter().map(|c| c.name.to_string()).collect()
    }

    pub fn cells(&self) -> Vec<String> {
        PAGE_COLUMNS.iter().map(|c| (c.write)(self)).collect()
    }

    /// Every row of a pages.csv table, or what is wrong with the first bad cell.
    pub fn read_all(table: &Table) -> Result<Vec<PageRecord>, String> {
        let slots = slots(&[PAGE_COLUMNS], &table.header);
        table
            .rows
            .iter()
            .enumerate()
            .map(|(n, row)| {
                let mut r = PageRecord::default();
                for (slot, name) in slots.iter().zip(&table.header) {
                    if let Slot::Field(c) = slot {
                        (c.read)(&mut r, table.cell(row, name))
                            .map_err(|e| format!("row {}, column {name}: {e}", n + 2))?;
                    }
                }
                Ok(r)
            })
            .collect()
    }

    /// Writes `records` to `path` atomically in `dialect`.
    pub fn write_all(path: &Path, dialect: Dialect, records: &[PageRecord]) -> anyhow::Result<()> {
        let rows: Vec<Vec<String>> = records.iter().map(PageRecord::cells).collect();
        write_csv(path, dialect, &PageRecord::header(), &rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> ContributionRecord {
        ContributionRecord {
            contribution_id: "c-000001-Q1".into(),
            campaign: "c".into(),
            text: "=1+1, l'été".into(),
            confidence: Some(81.4),
            needs_review: true,
            review_reasons: vec![ReviewReason::LowConfidence, ReviewReason::MultipleTicks],
            ticks: vec![
                Ticks {
                    group: "quartier_vie".into(),
                    codes: vec!["nord".into(), "sud".into()],
                },
                Ticks {
                    group: "age".into(),
                    codes: vec![],
                },
            ],
            page: Some(2),
            crop_file: "crops/x.jpg".into(),
            ..ContributionRecord::default()
        }
    }

    #[test]
    fn the_header_puts_the_campaigns_groups_between_the_contracts_columns() {
        let header = ContributionRecord::header(&["quartier_vie".into(), "age".into()]);
        let names: Vec<&str> = header.iter().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "contribution_id",
                "campaign",
                "form",
                "serial",
                "question_id",
                "question_label",
                "urn_id",
                "urn_name",
                "quartier",
                "channel",
                "batch",
                "text",
                "confidence",
                "needs_review",
                "review_reasons",
                "quartier_vie",
                "age",
                "source_file",
                "page",
                "crop_file",
                "reviewed",
                "ocr_text"
            ]
        );
        assert_eq!(
            ContributionRecord::group_columns(&header),
            ["quartier_vie", "age"]
        );
        let cells = record().cells(&header);
        assert_eq!(cells[12], "81");
        assert_eq!(cells[13], "true");
        assert_eq!(cells[14], "low_confidence|multiple_ticks");
        assert_eq!(cells[15], "nord|sud");
        assert_eq!(cells[16], "");
        assert_eq!(cells[18], "2");
    }

    #[test]
    fn records_survive_a_write_and_read_in_both_dialects() {
        let d = tempfile::tempdir().unwrap();
        let header = ContributionRecord::header(&["quartier_vie".into(), "age".into()]);
        let mut r = record();
        r.confidence = Some(81.0);
        let page = PageRecord {
            source_file: "a.pdf".into(),
            page: None,
            status: PageStatus::Rejected,
            reason: Some(RejectionReason::UnreadableFile),
            detail: "-broken".into(),
            contribution_ids: vec![],
            ..PageRecord::default()
        };
        for dialect in [Dialect::Plain, Dialect::Excel] {
            let p = d.path().join("c.csv");
            ContributionRecord::write_all(&p, dialect, &header, std::slice::from_ref(&r)).unwrap();
            let t = Table::read(&p).unwrap();
            assert_eq!(t.header, header);
            assert_eq!(ContributionRecord::read_all(&t).unwrap(), vec![r.clone()]);
            let p = d.path().join("p.csv");
            PageRecord::write_all(&p, dialect, std::slice::from_ref(&page)).unwrap();
            let t = Table::read(&p).unwrap();
            assert_eq!(PageRecord::read_all(&t).unwrap(), vec![page.clone()]);
        }
    }

    #[test]
    fn a_bad_cell_is_named_with_its_line_and_column() {
        let t = Table::parse(b"contribution_id,needs_review\nx,true\ny,maybe\n").unwrap();
        assert_eq!(
            ContributionRecord::read_all(&t).unwrap_err(),
            "row 3, column needs_review: 'maybe' is not true or false"
        );
        let t = Table::parse(b"source_file,status,reason\na,rejected,no_idea\n").unwrap();
        assert_eq!(
            PageRecord::read_all(&t).unwrap_err(),
            "row 2, column reason: 'no_idea' is not a rejection reason"
        );
    }

    #[test]
    fn codes_and_labels_go_together() {
        for r in ReviewReason::ALL {
            assert_eq!(ReviewReason::from_code(r.code()), Some(*r));
            assert!(!r.label().is_empty());
        }
        for r in RejectionReason::ALL {
            assert_eq!(RejectionReason::from_code(r.code()), Some(*r));
        }
        assert_eq!(ReviewReason::MultipleTicks.code(), "multiple_ticks");
        assert_eq!(ReviewReason::PersonalData.label(), "données personnelles");
        assert_eq!(
            PageStatus::from_code("duplicate"),
            Some(PageStatus::Duplicate)
        );
    }
}
