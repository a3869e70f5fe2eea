//! What happened to one page: the typed outcomes that become rows of pages.csv and
//! contributions.csv. Rejections record what was tried, so that the agent's message and the
//! CSV `detail` can say why a page was set aside and what to do about it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a page (or a whole file) yields no slip, with what was found. `reason()` is its
/// pages.csv code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Rejection {
    /// No QR code could be decoded anywhere on the page.
    NoQr { tried: String },
    /// A QR code that is not one of this campaign's (a flyer, another campaign's form).
    ForeignQr { payload: String, why: String },
    /// The payload follows the template but names a form the campaign does not have.
    UnknownForm {
        form: String,
        payload: String,
        serial: String,
    },
    UnknownUrn {
        urn: String,
        payload: String,
        serial: String,
    },
    UnknownQuestion {
        question: String,
        form: String,
        payload: String,
        serial: String,
    },
    /// The file's bytes could not be decoded as the format they claim.
    UnreadableFile { error: String },
    /// Not a format urnscan reads (a text file, a photo in HEIC, a PDF for now...).
    UnsupportedFile { what: String },
}

impl Rejection {
    /// The QR payload and serial read on the page, when a code was decoded.
    pub fn qr(&self) -> (Option<&str>, Option<&str>) {
        match self {
            Rejection::ForeignQr { payload, .. } => (Some(payload), None),
            Rejection::UnknownForm {
                payload, serial, ..
            }
            | Rejection::UnknownUrn {
                payload, serial, ..
            }
            | Rejection::UnknownQuestion {
                payload, serial, ..
            } => (Some(payload), Some(serial)),
            _ => (None, None),
        }
    }

    pub fn reason(&self) -> RejectionReason {
        match self {
            Rejection::NoQr { .. } => RejectionReason::NoQr,
            Rejection::ForeignQr { .. } => RejectionReason::ForeignQr,
            Rejection::UnknownForm { .. } => RejectionReason::UnknownForm,
            Rejection::UnknownUrn { .. } => RejectionReason::UnknownUrn,
            Rejection::UnknownQuestion { .. } => RejectionReason::UnknownQuestion,
            Rejection::UnreadableFile { .. } => RejectionReason::UnreadableFile,
            Rejection::UnsupportedFile { .. } => RejectionReason::UnsupportedFile,
        }
    }

    /// What the agent can do about it, in plain words.
    pub fn advice(&self) -> &'static str {
        match self {
            Rejection::NoQr { .. } => "check that the page is a slip and that its QR code is not folded, cut or smudged; rescan it",
            Rejection::ForeignQr { .. } => "this is not a slip of the consultation: set it aside",
            Rejection::UnknownForm { .. } | Rejection::UnknownQuestion { .. } => {
                "the slip belongs to another campaign or layout: check --layout"
            }
            Rejection::UnknownUrn { .. } => "the urn is missing from urns.csv: add it to the campaign's registry, or set the slip aside",
            Rejection::UnreadableFile { .. } => "the file is damaged or incomplete: rescan or copy it again",
            Rejection::UnsupportedFile { .. } => "scan to PNG, JPEG or TIFF",
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::NoQr { tried } => write!(f, "no QR code found ({tried})"),
            Rejection::ForeignQr { payload, why } => {
                let shown: String = payload.chars().take(80).collect();
                let ell = if payload.chars().count() > 80 {
                    "…"
                } else {
                    ""
                };
                write!(
                    f,
                    "QR code is not a slip of this campaign: {why} ({shown:?}{ell})"
                )
            }
            Rejection::UnknownForm { form, .. } => write!(f, "unknown form '{form}'"),
            Rejection::UnknownUrn { urn, .. } => write!(f, "unknown urn '{urn}'"),
            Rejection::UnknownQuestion { question, form, .. } => {
                write!(f, "unknown question '{question}' for form '{form}'")
            }
            Rejection::UnreadableFile { error } => write!(f, "cannot decode the file: {error}"),
            Rejection::UnsupportedFile { what } => write!(f, "not a supported scan: {what}"),
        }
    }
}

/// Declares a code enum: each variant with its CSV code and the agent's words for it (the
/// report is in French), side by side, so that a code and its label cannot drift apart.
macro_rules! coded {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal, $label:literal;)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &[$name] = &[$($name::$variant),*];

            /// The code written in the CSV files.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)*
                }
            }

            /// The agent's words for it, in French (the review report's language).
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)*
                }
            }

            /// The value a CSV code stands for.
            pub fn from_code(code: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

coded! {
    /// Why a page was rejected (pages.csv `reason`).
    RejectionReason {
        NoQr = "no_qr", "pas de code QR lisible";
        ForeignQr = "foreign_qr", "code QR étranger à la campagne";
        UnknownForm = "unknown_form", "formulaire inconnu";
        UnknownUrn = "unknown_urn", "urne inconnue";
        UnknownQuestion = "unknown_question", "question inconnue";
        UnreadableFile = "unreadable_file", "fichier illisible";
        UnsupportedFile = "unsupported_file", "fichier non pris en charge";
    }
}

coded! {
    /// Why an answer should be checked by a person (contributions.csv `review_reasons`).
    ReviewReason {
        /// The recognizer failed on the zone.
        OcrFailed = "ocr_failed", "échec de la lecture";
        /// Ink in the zone but nothing read.
        NoText = "no_text", "encre mais rien lu";
        /// Mean word confidence under the threshold.
        LowConfidence = "low_confidence", "confiance faible";
        /// Far fewer characters than the ink suggests.
        LittleText = "little_text", "peu de texte lu pour l'encre";
        /// Writing past the box.
        TextOutsideBox = "text_outside_box", "écriture hors du cadre";
        /// Writing so faint that it first looked like a blank answer.
        FaintWriting = "faint_writing", "écriture très pâle";
        /// More than one box ticked in a checkbox group of the slip.
        MultipleTicks = "multiple_ticks", "plusieurs cases cochées";
        /// A phone number or an e-mail address in the answer (masked unless kept).
        PersonalData = "personal_data", "données personnelles";
        /// A person decided in review that nobody can read it: kept, never exported.
        Illegible = "illegible", "illisible (décision d'un agent)";
        /// The slip's QR code could not be read: its serial, urn and question were read
        /// from its printed text (a person checks them against the crop).
        IdentifiedFromPrint = "identified_from_print", "identifié par le texte imprimé";
    }
}

coded! {
    /// How a slip was identified (pages.csv `identified_by`).
    IdentifiedBy {
        /// Its QR code was decoded.
        Qr = "qr", "code QR";
        /// Its QR code was unreadable; its printed serial, urn line and question label
        /// agreed with the campaign's registries.
        Printed = "printed", "texte imprimé";
    }
}

impl Default for IdentifiedBy {
    /// Pages recorded before identity from print existed were identified by their QR code.
    fn default() -> Self {
        IdentifiedBy::Qr
    }
}

/// One non-blank text zone of an identified slip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub zone: String,
    pub question_id: String,
    pub text: String,
    /// Tesseract's mean word confidence, 0–100 (0 when it read nothing).
    pub confidence: f32,
    pub review_reasons: Vec<ReviewReason>,
    pub crop_file: String,
}

/// The ticked choices of one checkbox group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticks {
    pub group: String,
    pub codes: Vec<String>,
}

/// A page identified as a slip of the campaign and read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slip {
    /// The QR payload; for a slip identified from print, the payload its printed values
    /// stand for (pages.csv leaves `qr_payload` empty then: no code was read).
    pub payload: String,
    #[serde(default)]
    pub identified_by: IdentifiedBy,
    pub form: String,
    pub serial: String,
    pub urn: String,
    /// The question field of its identity: a registry id, or the form's literal (`ALL`).
    #[serde(default)]
    pub question: String,
    /// Rotation of the slip in the scan, clockwise: 0, 90, 180 or 270.
    pub orientation: u16,
    pub tilt_deg: f64,
    pub answers: Vec<Answer>,
    pub ticks: Vec<Ticks>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    Slip(Box<Slip>),
    Rejected(Rejection),
}

/// One row of pages.csv before duplicates are decided: a page, or a file that gave none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageResult {
    pub source_file: String,
    /// Page number from 1; None for a file that yielded no page at all.
    pub page: Option<u32>,
    /// The source file's content fingerprint (tells a rescan from a rerun).
    pub fingerprint: String,
    pub outcome: Outcome,
}
