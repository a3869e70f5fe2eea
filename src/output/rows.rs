//! The rows of pages.csv and contributions.csv, with exactly the columns of the design
//! brief, in its order. Duplicates are decided here, in input order, so that the first
//! page carrying a serial is the contribution whatever the number of workers.

use std::collections::HashMap;

use super::corrections::Corrections;
use super::ledger::Ledger;
use crate::campaign::Campaign;
use crate::outcome::{Outcome, PageResult, Rejection, Slip};
use crate::privacy;

pub const PAGES_HEADER: &[&str] = &[
    "source_file",
    "page",
    "status",
    "reason",
    "detail",
    "qr_payload",
    "serial",
    "orientation",
    "contribution_ids",
];

const CONTRIBUTIONS_HEAD: &[&str] = &[
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
];
/// Checkbox groups with their own named column in the contract; any other group of a
/// campaign gets a column at the end, after `ocr_text`.
const CONTRACT_GROUPS: &[&str] = &["profil", "age"];
/// After the contract's columns: whether a person corrected the text (`urnscan review
/// apply`), and what the OCR read (masked like `text`), which a correction does not erase.
const CONTRIBUTIONS_TAIL: &[&str] = &["source_file", "page", "crop_file", "reviewed", "ocr_text"];

/// The final status of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Blank,
    Duplicate,
    /// Same serial as an earlier page but a different payload (urn, question or form): two
    /// forms printed with one number. Reported as a duplicate, with its own detail, because
    /// its contribution id would collide with the first one's.
    Conflict,
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Blank => "blank",
            Status::Duplicate | Status::Conflict => "duplicate",
            Status::Rejected => "rejected",
        }
    }
}

/// One page after duplicates are decided.
#[derive(Debug, Clone)]
pub struct FinalPage<'a> {
    pub result: &'a PageResult,
    pub status: Status,
    /// For a duplicate: the page it repeats.
    pub first_seen: Option<String>,
}

impl FinalPage<'_> {
    pub fn slip(&self) -> Option<&Slip> {
        match &self.result.outcome {
            Outcome::Slip(s) => Some(s),
            Outcome::Rejected(_) => None,
        }
    }
    pub fn rejection(&self) -> Option<&Rejection> {
        match &self.result.outcome {
            Outcome::Rejected(r) => Some(r),
            Outcome::Slip(_) => None,
        }
    }
    /// `file.jpg page 2`, for messages.
    pub fn place(&self) -> String {
        place(self.result)
    }
}

fn place(r: &PageResult) -> String {
    match r.page {
        Some(p) => format!("{} page {p}", r.source_file),
        None => r.source_file.clone(),
    }
}

/// Decides each page's status. A serial seen on an earlier page (in input order) makes the
/// page a duplicate of that one (a conflict when the rest of the payload differs); two
/// different serials never are. A serial in the output folder's `ledger` from another page
/// (an earlier run) makes the page a duplicate of that reading too.
pub fn finalise<'r>(results: &'r [PageResult], ledger: &Ledger) -> Vec<FinalPage<'r>> {
    let mut first: HashMap<&str, &PageResult> = HashMap::new();
    results
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Rejected(_) => FinalPage {
                result: r,
                status: Status::Rejected,
                first_seen: None,
            },
            Outcome::Slip(s) => {
                if let Some(earlier) = first.get(s.serial.as_str()) {
                    let same_payload =
                        matches!(&earlier.outcome, Outcome::Slip(e) if e.payload == s.payload);
                    FinalPage {
                        result: r,
                        status: if same_payload {
                            Status::Duplicate
                        } else {
                            Status::Conflict
                        },
                        first_seen: Some(place(earlier)),
                    }
                } else if let Some(e) = ledger.earlier(
                    &s.serial,
                    &r.source_file,
                    r.page.unwrap_or(0),
                    &r.fingerprint,
                ) {
                    FinalPage {
                        result: r,
                        status: if e.payload == s.payload {
                            Status::Duplicate
                        } else {
                            Status::Conflict
                        },
                        first_seen: Some(format!(
                            "{} page {} (an earlier run, batch {})",
                            e.source_file, e.page, e.batch
                        )),
                    }
                } else {
                    first.insert(&s.serial, r);
                    FinalPage {
                        result: r,
                        status: if s.answers.is_empty() {
                            Status::Blank
                        } else {
                            Status::Ok
                        },
                        first_seen: None,
                    }
                }
            }
        })
        .collect()
}

/// Replaces characters a CSV consumer could trip on (controls, bidi overrides) and bounds
/// the length: for text that came from a QR code, not from a reading.
pub fn printable(s: &str, max_chars: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .take(max_chars)
        .collect();
    if s.chars().count() > max_chars {
        out.push('…');
    }
    out
}

pub fn contribution_id(campaign: &Campaign, serial: &str, question: &str) -> String {
    format!("{}-{serial}-{question}", campaign.id)
}

pub fn pages_header() -> Vec<String> {
    PAGES_HEADER.iter().map(|s| s.to_string()).collect()
}

pub fn page_row(campaign: &Campaign, p: &FinalPage) -> Vec<String> {
    let r = p.result;
    let page = r.page.map(|n| n.to_string()).unwrap_or_default();
    let mut row = vec![r.source_file.clone(), page, p.status.as_str().to_string()];
    match &r.outcome {
        Outcome::Rejected(rej) => {
            let (payload, serial) = rej.qr();
            row.extend([
                rej.reason().to_string(),
                printable(&rej.to_string(), 500),
                payload.map(|p| printable(p, 300)).unwrap_or_default(),
                serial.unwrap_or_default().to_string(),
                String::new(),
                String::new(),
            ]);
        }
        Outcome::Slip(s) => {
            let detail = match (p.status, &p.first_seen) {
                (Status::Duplicate, Some(first)) => format!("same serial {} as {first}", s.serial),
                (Status::Conflict, Some(first)) => format!(
                    "serial {} was already read on {first} with a different QR code: a printing error; check both slips",
                    s.serial
                ),
                (Status::Blank, _) => "nothing written in the answer zones".to_string(),
                _ => format!("{} answer(s), tilt {:.1}°", s.answers.len(), s.tilt_deg),
            };
            let ids = if p.status == Status::Ok {
                s.answers
                    .iter()
                    .map(|a| contribution_id(campaign, &s.serial, &a.question_id))
                    .collect::<Vec<_>>()
                    .join("|")
            } else {
                String::new()
            };
            row.extend([
                String::new(),
                detail,
                printable(&s.payload, 300),
                s.serial.clone(),
                s.orientation.to_string(),
                ids,
            ]);
        }
    }
    row
}

pub fn contributions_header(campaign: &Campaign) -> Vec<String> {
    let extra = extra_groups(campaign);
    CONTRIBUTIONS_HEAD
        .iter()
        .chain(CONTRACT_GROUPS)
        .chain(CONTRIBUTIONS_TAIL)
        .map(|s| s.to_string())
        .chain(extra)
        .collect()
}

fn extra_groups(campaign: &Campaign) -> Vec<String> {
    campaign
        .checkbox_group_ids()
        .into_iter()
        .filter(|g| !CONTRACT_GROUPS.contains(&g.as_str()))
        .collect()
}

/// What to do with phone numbers and e-mail addresses found in answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PersonalData {
    /// Replace them by `[téléphone]` / `[courriel]` (the default).
    #[default]
    Mask,
    /// Keep them as read (`--keep-personal-data`).
    Keep,
}

impl PersonalData {
    /// The text as written to contributions.csv: `masked` (privacy::scan's) or as read.
    fn apply(self, text: &str, masked: String) -> String {
        match self {
            PersonalData::Mask => masked,
            PersonalData::Keep => text.to_string(),
        }
    }
}

/// Puts a person's correction into a contributions.csv row (`col` finds a column by name):
/// the corrected text (normalised and masked like the OCR's), `reviewed` true, and no more
/// `needs_review`. `ocr_text` and `review_reasons` stay as the machine had them: they say
/// what was read and why a person looked. Used both when a run writes its rows and when
/// `review apply` edits an existing file, so that the two give the same bytes.
pub fn apply_correction(
    row: &mut [String],
    col: impl Fn(&str) -> Option<usize>,
    corrected: &str,
    personal: PersonalData,
) {
    let corrected = crate::text::normalise(corrected);
    let text = personal.apply(&corrected, privacy::scan(&corrected).masked);
    for (name, value) in [
        ("text", text),
        ("needs_review", "false".to_string()),
        ("reviewed", "true".to_string()),
    ] {
        if let Some(cell) = col(name).and_then(|i| row.get_mut(i)) {
            *cell = value;
        }
    }
}

/// The contributions of one page (none unless its status is ok).
pub fn contribution_rows(
    campaign: &Campaign,
    batch: &str,
    personal: PersonalData,
    corrections: &Corrections,
    p: &FinalPage,
) -> Vec<Vec<String>> {
    let Some(s) = p.slip().filter(|_| p.status == Status::Ok) else {
        return Vec::new();
    };
    let urn = campaign.urn(&s.urn);
    let ticks_of = |group: &str| {
        s.ticks
            .iter()
            .find(|t| t.group == group)
            .map(|t| t.codes.join("|"))
            .unwrap_or_default()
    };
    let multiple_ticks = s.ticks.iter().any(|t| t.codes.len() > 1);
    let header = contributions_header(campaign);
    s.answers
        .iter()
        .map(|a| {
            let mut reasons: Vec<&str> = a.review_reasons.iter().map(|r| r.as_str()).collect();
            if multiple_ticks {
                reasons.push("multiple_ticks");
            }
            let found = privacy::scan(&a.text);
            if found.any() {
                reasons.push("personal_data");
            }
            let text = personal.apply(&a.text, found.masked);
            let ocr_text = text.clone();
            let id = contribution_id(campaign, &s.serial, &a.question_id);
            let mut row = vec![
                id.clone(),
                campaign.id.clone(),
                s.form.clone(),
                s.serial.clone(),
                a.question_id.clone(),
                campaign
                    .question(&a.question_id)
                    .map(|q| q.label.clone())
                    .unwrap_or_default(),
                s.urn.clone(),
                urn.map(|u| u.name.clone()).unwrap_or_default(),
                urn.map(|u| u.quartier.clone()).unwrap_or_default(),
                campaign.channel.clone(),
                batch.to_string(),
                text,
                format!("{:.0}", a.confidence),
                (!reasons.is_empty()).to_string(),
                reasons.join("|"),
            ];
            row.extend(CONTRACT_GROUPS.iter().map(|g| ticks_of(g)));
            row.extend([
                p.result.source_file.clone(),
                p.result.page.map(|n| n.to_string()).unwrap_or_default(),
                a.crop_file.clone(),
                "false".to_string(),
                ocr_text,
            ]);
            row.extend(extra_groups(campaign).iter().map(|g| ticks_of(g)));
            if let Some(corrected) = corrections.get(&id) {
                apply_correction(
                    &mut row,
                    |name| header.iter().position(|h| h == name),
                    corrected,
                    personal,
                );
            }
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Answer, Ticks};

    fn slip(serial: &str, answers: usize) -> Outcome {
        Outcome::Slip(Box::new(Slip {
            payload: format!("https://assises-solidarites.fr/c?f=slip-a5&q=Q2&u=U07&n={serial}"),
            form: "slip-a5".into(),
            serial: serial.into(),
            urn: "U07".into(),
            orientation: 0,
            tilt_deg: 1.0,
            answers: (0..answers)
                .map(|_| Answer {
                    zone: "answer".into(),
                    question_id: "Q2".into(),
                    text: "Plus de bancs".into(),
                    confidence: 81.4,
                    review_reasons: vec![],
                    crop_file: "crops/x.jpg".into(),
                })
                .collect(),
            ticks: vec![Ticks {
                group: "profil".into(),
                codes: vec!["habitant".into(), "autre".into()],
            }],
        }))
    }

    fn page(name: &str, outcome: Outcome) -> PageResult {
        PageResult {
            source_file: name.into(),
            page: Some(1),
            fingerprint: String::new(),
            outcome,
        }
    }

    #[test]
    fn first_page_of_a_serial_wins_and_the_second_names_it() {
        let results = vec![
            page("a.jpg", slip("000001", 1)),
            page("b.jpg", slip("000002", 0)),
            page("c.jpg", slip("000001", 1)),
        ];
        let f = finalise(&results, &Ledger::default());
        assert_eq!(
            f.iter().map(|p| p.status).collect::<Vec<_>>(),
            vec![Status::Ok, Status::Blank, Status::Duplicate]
        );
        let c = Campaign::builtin().unwrap();
        let row = page_row(&c, &f[2]);
        assert_eq!(row[2], "duplicate");
        assert_eq!(row[4], "same serial 000001 as a.jpg page 1");
        assert!(contribution_rows(
            &c,
            "W07",
            PersonalData::Mask,
            &Corrections::default(),
            &f[2]
        )
        .is_empty());
    }

    #[test]
    fn same_serial_with_another_payload_is_a_reported_conflict() {
        let mut other = slip("000001", 1);
        if let Outcome::Slip(s) = &mut other {
            s.payload = s.payload.replace("u=U07", "u=U03");
        }
        let results = vec![page("a.jpg", slip("000001", 1)), page("d.jpg", other)];
        let f = finalise(&results, &Ledger::default());
        assert_eq!(f[1].status, Status::Conflict);
        let c = Campaign::builtin().unwrap();
        let row = page_row(&c, &f[1]);
        assert_eq!(row[2], "duplicate");
        assert!(
            row[4].contains("different QR code: a printing error"),
            "{}",
            row[4]
        );
    }

    #[test]
    fn contribution_row_follows_the_contract() {
        let c = Campaign::builtin().unwrap();
        let results = vec![page("a.jpg", slip("000123", 1))];
        let f = finalise(&results, &Ledger::default());
        let rows = contribution_rows(
            &c,
            "2022-W07",
            PersonalData::Mask,
            &Corrections::default(),
            &f[0],
        );
        let header = contributions_header(&c);
        assert_eq!(header.len(), 22);
        assert_eq!(rows[0].len(), header.len());
        let get = |col: &str| rows[0][header.iter().position(|h| h == col).unwrap()].clone();
        assert_eq!(get("contribution_id"), "assises-2022-000123-Q2");
        assert_eq!(get("urn_name"), "Mairie annexe du Breil");
        assert_eq!(get("quartier"), "Breil – Barberie");
        assert_eq!(get("channel"), "urne");
        assert_eq!(get("confidence"), "81");
        assert_eq!(get("needs_review"), "true");
        assert_eq!(get("review_reasons"), "multiple_ticks");
        assert_eq!(get("profil"), "habitant|autre");
        assert_eq!(get("age"), "");
        assert_eq!(page_row(&c, &f[0])[8], "assises-2022-000123-Q2");
    }

    #[test]
    fn phone_numbers_and_addresses_are_masked_unless_kept_and_always_flagged() {
        let c = Campaign::builtin().unwrap();
        let mut o = slip("000124", 1);
        if let Outcome::Slip(s) = &mut o {
            s.answers[0].text = "Rappelez-moi au 06 12 34 56 78 ou a@b.fr".into();
            s.ticks.clear();
        }
        let results = vec![page("a.jpg", o)];
        let f = finalise(&results, &Ledger::default());
        let header = contributions_header(&c);
        let col = |n: &str| header.iter().position(|h| h == n).unwrap();
        let masked = &contribution_rows(
            &c,
            "W07",
            PersonalData::Mask,
            &Corrections::default(),
            &f[0],
        )[0];
        assert_eq!(
            masked[col("text")],
            "Rappelez-moi au [téléphone] ou [courriel]"
        );
        assert_eq!(masked[col("review_reasons")], "personal_data");
        assert_eq!(masked[col("needs_review")], "true");
        let kept = &contribution_rows(
            &c,
            "W07",
            PersonalData::Keep,
            &Corrections::default(),
            &f[0],
        )[0];
        assert_eq!(
            kept[col("text")],
            "Rappelez-moi au 06 12 34 56 78 ou a@b.fr"
        );
        assert_eq!(kept[col("review_reasons")], "personal_data");
    }

    #[test]
    fn payloads_are_made_printable() {
        assert_eq!(printable("a\u{0000}b\u{202E}c", 10), "a\u{FFFD}b\u{FFFD}c");
        assert_eq!(printable("abcdef", 3), "abc…");
    }
}
