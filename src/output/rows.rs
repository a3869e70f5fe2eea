//! From the pages read to the records of pages.csv and contributions.csv
//! (`records::PageRecord`, `records::ContributionRecord`). Duplicates are decided here, in
//! input order, so that the first page carrying a serial is the contribution whatever the
//! number of workers.

use std::collections::HashMap;

use super::ledger::Ledger;
use super::records::{ContributionRecord, PageRecord, PageStatus};
use crate::campaign::Campaign;
use crate::outcome::{
    Answer, IdentifiedBy, Outcome, PageResult, Rejection, ReviewReason, Slip, Ticks,
};
use crate::privacy;

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
    /// The status pages.csv shows.
    pub fn page_status(self) -> PageStatus {
        match self {
            Status::Ok => PageStatus::Ok,
            Status::Blank => PageStatus::Blank,
            Status::Duplicate | Status::Conflict => PageStatus::Duplicate,
            Status::Rejected => PageStatus::Rejected,
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
    /// A slip identified from print whose serial another page or run already has: its
    /// identity is not taken, and the page is rejected for its unreadable QR code.
    pub set_aside: Option<Rejection>,
}

impl FinalPage<'_> {
    /// The slip read on the page, unless its identity was set aside.
    pub fn slip(&self) -> Option<&Slip> {
        match &self.result.outcome {
            Outcome::Slip(s) if self.set_aside.is_none() => Some(s),
            _ => None,
        }
    }
    pub fn rejection(&self) -> Option<&Rejection> {
        match &self.result.outcome {
            Outcome::Rejected(r) => Some(r),
            Outcome::Slip(_) => self.set_aside.as_ref(),
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
///
/// Slips identified by their QR code claim their serials first: a serial read from print
/// is taken only when no QR code and no earlier run holds it, since a misread printed
/// digit must never make a real slip a duplicate (nor two slips one).
pub fn finalise<'r>(results: &'r [PageResult], ledger: &Ledger) -> Vec<FinalPage<'r>> {
    let mut first: HashMap<&str, &PageResult> = HashMap::new();
    let mut pages: Vec<Option<FinalPage>> = results.iter().map(|_| None).collect();
    for pass in [IdentifiedBy::Qr, IdentifiedBy::Printed] {
        for (r, slot) in results.iter().zip(pages.iter_mut()) {
            let page = |status, first_seen| FinalPage {
                result: r,
                status,
                first_seen,
                set_aside: None,
            };
            match &r.outcome {
                Outcome::Rejected(_) if pass == IdentifiedBy::Qr => {
                    *slot = Some(page(Status::Rejected, None))
                }
                Outcome::Slip(s) if s.identified_by == pass => {
                    let earlier = first.get(s.serial.as_str()).map(|e| {
                        let same = matches!(&e.outcome, Outcome::Slip(o) if o.payload == s.payload);
                        (place(e), same)
                    });
                    let earlier = earlier.or_else(|| {
                        ledger
                            .earlier(
                                &s.serial,
                                &r.source_file,
                                r.page.unwrap_or(0),
                                &r.fingerprint,
                            )
                            .map(|e| {
                                (
                                    format!(
                                        "{} page {} (an earlier run, batch {})",
                                        e.source_file, e.page, e.batch
                                    ),
                                    e.payload == s.payload,
                                )
                            })
                    });
                    *slot = Some(match (earlier, pass) {
                        (Some((at, _)), IdentifiedBy::Printed) => FinalPage {
                            set_aside: Some(Rejection::NoQr {
                                tried: format!(
                                    "the QR code is unreadable and the serial {} read from print is already {at}'s: the slip is not identified by it",
                                    s.serial
                                ),
                            }),
                            ..page(Status::Rejected, None)
                        },
                        (Some((at, true)), _) => page(Status::Duplicate, Some(at)),
                        (Some((at, false)), _) => page(Status::Conflict, Some(at)),
                        (None, _) => {
                            first.insert(&s.serial, r);
                            let status = if s.answers.is_empty() {
                                Status::Blank
                            } else {
                                Status::Ok
                            };
                            page(status, None)
                        }
                    });
                }
                _ => {}
            }
        }
    }
    pages.into_iter().flatten().collect()
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

/// The pages.csv record of a page.
pub fn page_record(campaign: &Campaign, p: &FinalPage) -> PageRecord {
    let r = p.result;
    let mut record = PageRecord {
        source_file: r.source_file.clone(),
        page: r.page,
        status: p.status.page_status(),
        ..PageRecord::default()
    };
    if let Some(rej) = p.rejection() {
        let (payload, serial) = rej.qr();
        record.reason = Some(rej.reason());
        record.detail = printable(&rej.to_string(), 500);
        record.qr_payload = payload.map(|p| printable(p, 300)).unwrap_or_default();
        record.serial = serial.unwrap_or_default().to_string();
    } else if let Some(s) = p.slip() {
        record.detail = match (p.status, &p.first_seen) {
            (Status::Duplicate, Some(first)) => format!("same serial {} as {first}", s.serial),
            (Status::Conflict, Some(first)) => format!(
                "serial {} was already read on {first} with a different QR code: a printing error; check both slips",
                s.serial
            ),
            (Status::Blank, _) => "nothing written in the answer zones".to_string(),
            _ => format!("{} answer(s), tilt {:.1}°", s.answers.len(), s.tilt_deg),
        };
        if s.identified_by == IdentifiedBy::Printed {
            record.detail.push_str(
                "; QR code unreadable: identified by its printed serial, urn and question",
            );
        }
        if p.status == Status::Ok {
            record.contribution_ids = s
                .answers
                .iter()
                .map(|a| contribution_id(campaign, &s.serial, &a.question_id))
                .collect();
        }
        // Only what a QR code held: a slip identified from print has no payload read.
        if s.identified_by == IdentifiedBy::Qr {
            record.qr_payload = printable(&s.payload, 300);
        }
        record.serial = s.serial.clone();
        record.orientation = Some(s.orientation);
        record.identified_by = Some(s.identified_by);
        record.form = s.form.clone();
        record.urn_id = s.urn.clone();
        record.question_id = s.question.clone();
    }
    record
}

/// Why a person must read answer `a` of slip `s`, as contributions.csv's `review_reasons`
/// says: the reader's own reasons, then several ticks in one of the slip's checkbox groups,
/// then a phone number or an e-mail address in the text. `urnscan explain` shows these.
pub fn review_reasons(s: &Slip, a: &Answer) -> Vec<ReviewReason> {
    reasons_with(s, a, privacy::scan(&a.text).any())
}

/// `review_reasons`, with personal data already looked for.
fn reasons_with(s: &Slip, a: &Answer, personal_data: bool) -> Vec<ReviewReason> {
    let mut reasons = a.review_reasons.clone();
    if s.ticks.iter().any(|t| t.codes.len() > 1) {
        reasons.push(ReviewReason::MultipleTicks);
    }
    if personal_data {
        reasons.push(ReviewReason::PersonalData);
    }
    reasons
}

/// contributions.csv's header for `campaign`: the contract's columns with one column per
/// checkbox group of its layout.
pub fn contributions_header(campaign: &Campaign) -> Vec<String> {
    ContributionRecord::header(&campaign.checkbox_group_ids())
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
    pub(crate) fn apply(self, text: &str, masked: String) -> String {
        match self {
            PersonalData::Mask => masked,
            PersonalData::Keep => text.to_string(),
        }
    }
}

/// The contributions of one page (none unless its status is ok), with a checkbox group
/// entry for every group of the campaign, in layout order.
pub fn contribution_records(
    campaign: &Campaign,
    batch: &str,
    personal: PersonalData,
    p: &FinalPage,
) -> Vec<ContributionRecord> {
    let Some(s) = p.slip().filter(|_| p.status == Status::Ok) else {
        return Vec::new();
    };
    let urn = campaign.urn(&s.urn);
    let ticks: Vec<Ticks> = campaign
        .checkbox_group_ids()
        .into_iter()
        .map(|group| Ticks {
            codes: s
                .ticks
                .iter()
                .find(|t| t.group == group)
                .map(|t| t.codes.clone())
                .unwrap_or_default(),
            group,
        })
        .collect();
    s.answers
        .iter()
        .map(|a| {
            let found = privacy::scan(&a.text);
            let reasons = reasons_with(s, a, found.any());
            let text = personal.apply(&a.text, found.masked);
            ContributionRecord {
                contribution_id: contribution_id(campaign, &s.serial, &a.question_id),
                campaign: campaign.id.clone(),
                form: s.form.clone(),
                serial: s.serial.clone(),
                question_id: a.question_id.clone(),
                question_label: campaign
                    .question(&a.question_id)
                    .map(|q| q.label.clone())
                    .unwrap_or_default(),
                urn_id: s.urn.clone(),
                urn_name: urn.map(|u| u.name.clone()).unwrap_or_default(),
                quartier: urn.map(|u| u.quartier.clone()).unwrap_or_default(),
                channel: campaign.channel.clone(),
                batch: batch.to_string(),
                ocr_text: text.clone(),
                text,
                confidence: Some(a.confidence),
                needs_review: !reasons.is_empty(),
                review_reasons: reasons,
                ticks: ticks.clone(),
                source_file: p.result.source_file.clone(),
                page: p.result.page,
                crop_file: a.crop_file.clone(),
                reviewed: false,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Answer, RejectionReason};

    /// The cells a page's record writes to pages.csv.
    fn page_row(c: &Campaign, p: &FinalPage) -> Vec<String> {
        page_record(c, p).cells()
    }

    /// The cells a page's records write to contributions.csv.
    fn contribution_rows(
        c: &Campaign,
        batch: &str,
        personal: PersonalData,
        p: &FinalPage,
    ) -> Vec<Vec<String>> {
        let header = contributions_header(c);
        contribution_records(c, batch, personal, p)
            .iter()
            .map(|r| r.cells(&header))
            .collect()
    }

    fn slip(serial: &str, answers: usize) -> Outcome {
        Outcome::Slip(Box::new(Slip {
            payload: format!("https://assises-solidarites.fr/c?f=slip-a5&q=Q2&u=U07&n={serial}"),
            identified_by: IdentifiedBy::Qr,
            form: "slip-a5".into(),
            serial: serial.into(),
            urn: "U07".into(),
            question: "Q2".into(),
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
        assert!(contribution_rows(&c, "W07", PersonalData::Mask, &f[2]).is_empty());
    }

    fn printed(serial: &str) -> Outcome {
        let mut s = slip(serial, 1);
        if let Outcome::Slip(s) = &mut s {
            s.identified_by = IdentifiedBy::Printed;
        }
        s
    }

    #[test]
    fn a_serial_read_from_print_never_takes_one_a_qr_code_holds() {
        // The printed page comes first in input order, but the QR code's page keeps the
        // serial: the printed one is set aside as no_qr, never a duplicate of it.
        let results = vec![
            page("a.jpg", printed("000001")),
            page("b.jpg", slip("000001", 1)),
            page("c.jpg", printed("000002")),
        ];
        let f = finalise(&results, &Ledger::default());
        assert_eq!(
            f.iter().map(|p| p.status).collect::<Vec<_>>(),
            vec![Status::Rejected, Status::Ok, Status::Ok]
        );
        let c = Campaign::builtin().unwrap();
        let rejected = page_record(&c, &f[0]);
        assert_eq!(rejected.reason, Some(RejectionReason::NoQr));
        assert!(rejected
            .detail
            .contains("000001 read from print is already b.jpg page 1"));
        assert!(rejected.contribution_ids.is_empty() && rejected.identified_by.is_none());
        assert!(contribution_rows(&c, "W07", PersonalData::Mask, &f[0]).is_empty());
        let taken = page_record(&c, &f[2]);
        assert_eq!(taken.identified_by, Some(IdentifiedBy::Printed));
        assert_eq!(taken.qr_payload, "", "no QR payload was read");
        assert_eq!(
            (taken.urn_id.as_str(), taken.question_id.as_str()),
            ("U07", "Q2")
        );
        // And a serial an earlier run holds is not taken from print either.
        let mut ledger = Ledger::default();
        ledger.record(crate::output::ledger::Entry {
            serial: "000002".into(),
            payload: String::new(),
            source_file: "old.jpg".into(),
            page: 1,
            fingerprint: "x".into(),
            batch: "W06".into(),
        });
        let f = finalise(&results[2..], &ledger);
        assert_eq!(f[0].status, Status::Rejected);
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
        let rows = contribution_rows(&c, "2022-W07", PersonalData::Mask, &f[0]);
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
        let masked = &contribution_rows(&c, "W07", PersonalData::Mask, &f[0])[0];
        assert_eq!(
            masked[col("text")],
            "Rappelez-moi au [téléphone] ou [courriel]"
        );
        assert_eq!(masked[col("review_reasons")], "personal_data");
        assert_eq!(masked[col("needs_review")], "true");
        let kept = &contribution_rows(&c, "W07", PersonalData::Keep, &f[0])[0];
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
