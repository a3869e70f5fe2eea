//! Personal data in what citizens write: French phone numbers and e-mail addresses are
//! found in an answer's text and, unless the agent asks to keep them, replaced by
//! `[téléphone]` and `[courriel]` in contributions.csv. Either way the answer is flagged
//! `personal_data` for review, since a person wrote something that identifies them (a
//! name or a postal address is not detected: the review is where those are caught).
//!
//! Detection errs towards masking: a 10-digit number that looks like a phone number is
//! masked even if it was, say, an account number. Dates, postcodes, sums and serials are
//! not phone numbers and stay.

use std::sync::LazyLock;

use regex::Regex;

pub const PHONE_MASK: &str = "[téléphone]";
pub const EMAIL_MASK: &str = "[courriel]";

/// 0X XX XX XX XX (spaces, dots, dashes or nothing between pairs), or +33 / 0033 followed by
/// the nine digits without the leading 0 (with an optional "(0)"); not inside a longer run
/// of digits.
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?:^|[^\d+])
        (
          (?: (?:\+|00)\s?33\s?(?:\(0\)\s?)? | 0 )
          [1-9]
          (?:[\s.\-]?\d{2}){4}
        )
        (?:$|[^\d])",
    )
    .expect("the phone pattern is valid")
});

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+\-]+\s?@\s?[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
        .expect("the e-mail pattern is valid")
});

/// What was found in one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The text with phone numbers and addresses replaced by their masks.
    pub masked: String,
    pub phones: usize,
    pub emails: usize,
}

impl Found {
    pub fn any(&self) -> bool {
        self.phones + self.emails > 0
    }
}

/// Finds phone numbers and e-mail addresses in `text` and masks them.
pub fn scan(text: &str) -> Found {
    let emails = EMAIL.find_iter(text).count();
    let without_emails = EMAIL.replace_all(text, EMAIL_MASK).into_owned();
    let mut phones = 0;
    let mut masked = String::with_capacity(without_emails.len());
    let mut last = 0;
    for caps in PHONE.captures_iter(&without_emails) {
        if let Some(m) = caps.get(1) {
            masked.push_str(&without_emails[last..m.start()]);
            masked.push_str(PHONE_MASK);
            last = m.end();
            phones += 1;
        }
    }
    masked.push_str(&without_emails[last..]);
    Found {
        masked,
        phones,
        emails,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_phone_numbers_are_masked_in_every_usual_spelling() {
        for (text, expected) in [
            (
                "appelez-moi au 06 12 34 56 78 svp",
                "appelez-moi au [téléphone] svp",
            ),
            ("tel 06.12.34.56.78", "tel [téléphone]"),
            ("0612345678", "[téléphone]"),
            ("02-40-41-90-00.", "[téléphone]."),
            ("+33 6 12 34 56 78", "[téléphone]"),
            (
                "+33 (0)6 12 34 56 78 ou 0033612345678",
                "[téléphone] ou [téléphone]",
            ),
        ] {
            let f = scan(text);
            assert_eq!(f.masked, expected, "{text}");
            assert!(f.phones > 0);
        }
    }

    #[test]
    fn e_mail_addresses_are_masked() {
        let f = scan("écrivez à jean.dupont@exemple.fr ou marie @ mail.com merci");
        assert_eq!(f.masked, "écrivez à [courriel] ou [courriel] merci");
        assert_eq!(f.emails, 2);
    }

    #[test]
    fn dates_postcodes_sums_and_serials_are_not_personal_data() {
        for text in [
            "le 12/05/2022 à 14 h 30",
            "44000 Nantes",
            "75 000 euros par an",
            "plus de 1 200 personnes",
            "ticket 000123",
            "123456789012",
            "en 2019 et 2020",
        ] {
            let f = scan(text);
            assert!(!f.any(), "{text} -> {}", f.masked);
            assert_eq!(f.masked, text);
        }
    }
}
