//! The QR payload template (`...?f={form}&q={question}&u={urn}&n={serial}`): parsing a
//! decoded payload back into its four fields, and rendering one for printing.
//!
//! Parsing is strict on purpose: a payload that does not match the template exactly is some
//! other QR code (a flyer, another campaign) and must be rejected, never guessed at.

use std::fmt;

/// Longest payload considered at all; real ones are under 100 bytes.
const MAX_PAYLOAD_LEN: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Form,
    Question,
    Urn,
    Serial,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Form => "form",
            Field::Question => "question",
            Field::Urn => "urn",
            Field::Serial => "serial",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    Field(Field),
}

#[derive(Debug, Clone)]
pub struct PayloadTemplate {
    parts: Vec<Part>,
    serial_digits: usize,
    source: String,
}

/// The four fields of a payload that matched the template (not yet checked against the
/// registries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    pub form: String,
    pub question: String,
    pub urn: String,
    pub serial: String,
}

/// Why a decoded QR payload is not one of this campaign's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    TooLong(usize),
    ControlCharacters,
    /// The text does not follow the template; `at` is the byte offset where it departs.
    Mismatch {
        at: usize,
    },
    BadSerial(String),
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayloadError::TooLong(n) => {
                write!(f, "payload of {n} bytes is far longer than a slip's")
            }
            PayloadError::ControlCharacters => write!(f, "payload contains control characters"),
            PayloadError::Mismatch { at } => {
                write!(
                    f,
                    "payload does not follow the campaign's template (differs at byte {at})"
                )
            }
            PayloadError::BadSerial(s) => {
                write!(f, "serial '{s}' is not the expected number of digits")
            }
        }
    }
}

fn value_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

impl PayloadTemplate {
    /// Parses a template such as `https://x/c?f={form}&q={question}&u={urn}&n={serial}`.
    /// Each of the four fields must appear exactly once, and two fields must be separated by
    /// literal text (otherwise a payload could not be split unambiguously).
    pub fn parse(template: &str, serial_digits: usize) -> Result<PayloadTemplate, String> {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_string()));
            }
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| format!("unclosed '{{' in '{template}'"))?
                + open;
            let name = &rest[open + 1..close];
            let field = match name {
                "form" => Field::Form,
                "question" => Field::Question,
                "urn" => Field::Urn,
                "serial" => Field::Serial,
                other => {
                    return Err(format!(
                        "unknown placeholder {{{other}}} (use {{form}}, {{question}}, {{urn}}, {{serial}})"
                    ))
                }
            };
            if matches!(parts.last(), Some(Part::Field(_))) {
                return Err(format!(
                    "placeholders {{...}}{{{name}}} need literal text between them"
                ));
            }
            parts.push(Part::Field(field));
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        for f in [Field::Form, Field::Question, Field::Urn, Field::Serial] {
            let n = parts.iter().filter(|p| **p == Part::Field(f)).count();
            if n != 1 {
                return Err(format!(
                    "placeholder {{{}}} must appear exactly once, found {n}",
                    f.name()
                ));
            }
        }
        Ok(PayloadTemplate {
            parts,
            serial_digits,
            source: template.to_string(),
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// How many digits a serial has.
    pub fn serial_digits(&self) -> usize {
        self.serial_digits
    }

    /// Splits a decoded payload into its fields, or says why it is not a payload of ours.
    pub fn parse_payload(&self, text: &str) -> Result<Payload, PayloadError> {
        if text.len() > MAX_PAYLOAD_LEN {
            return Err(PayloadError::TooLong(text.len()));
        }
        if text.chars().any(char::is_control) {
            return Err(PayloadError::ControlCharacters);
        }
        let mut values: [Option<String>; 4] = Default::default();
        let mut pos = 0;
        for (i, part) in self.parts.iter().enumerate() {
            match part {
                Part::Literal(lit) => {
                    if !text[pos..].starts_with(lit.as_str()) {
                        return Err(PayloadError::Mismatch { at: pos });
                    }
                    pos += lit.len();
                }
                Part::Field(f) => {
                    // A value runs over value characters up to the next literal (or the end).
                    let end = match self.parts.get(i + 1) {
                        Some(Part::Literal(next)) => text[pos..]
                            .find(next.as_str())
                            .map(|k| pos + k)
                            .ok_or(PayloadError::Mismatch { at: pos })?,
                        _ => text.len(),
                    };
                    let value = &text[pos..end];
                    if value.is_empty() || !value.chars().all(value_char) {
                        return Err(PayloadError::Mismatch { at: pos });
                    }
                    values[*f as usize] = Some(value.to_string());
                    pos = end;
                }
            }
        }
        if pos != text.len() {
            return Err(PayloadError::Mismatch { at: pos });
        }
        let [form, question, urn, serial] = values;
        let (Some(form), Some(question), Some(urn), Some(serial)) = (form, question, urn, serial)
        else {
            return Err(PayloadError::Mismatch { at: pos });
        };
        if serial.len() != self.serial_digits || !serial.chars().all(|c| c.is_ascii_digit()) {
            return Err(PayloadError::BadSerial(serial));
        }
        Ok(Payload {
            form,
            question,
            urn,
            serial,
        })
    }

    /// The payload text for these values.
    pub fn render(&self, form: &str, question: &str, urn: &str, serial: &str) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Literal(l) => out.push_str(l),
                Part::Field(Field::Form) => out.push_str(form),
                Part::Field(Field::Question) => out.push_str(question),
                Part::Field(Field::Urn) => out.push_str(urn),
                Part::Field(Field::Serial) => out.push_str(serial),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T: &str = "https://assises-solidarites.fr/c?f={form}&q={question}&u={urn}&n={serial}";

    fn t() -> PayloadTemplate {
        PayloadTemplate::parse(T, 6).unwrap()
    }

    #[test]
    fn parses_the_spec_example() {
        let p = t()
            .parse_payload("https://assises-solidarites.fr/c?f=slip-a5&q=Q2&u=U07&n=000123")
            .unwrap();
        assert_eq!(
            p,
            Payload {
                form: "slip-a5".into(),
                question: "Q2".into(),
                urn: "U07".into(),
                serial: "000123".into()
            }
        );
    }

    #[test]
    fn render_then_parse_round_trips() {
        let text = t().render("sheet-a4", "ALL", "U13", "004711");
        assert_eq!(t().parse_payload(&text).unwrap().serial, "004711");
    }

    #[test]
    fn rejects_what_is_not_ours() {
        let tpl = t();
        for bad in [
            "https://example.org/",
            "https://assises-solidarites.fr/c?f=slip-a5&q=Q2&u=U07",
            "https://assises-solidarites.fr/c?f=slip-a5&q=Q2&u=U07&n=000123&x=1",
            "http://assises-solidarites.fr/c?f=slip-a5&q=Q2&u=U07&n=000123",
            "https://assises-solidarites.fr/c?f=&q=Q2&u=U07&n=000123",
            "https://assises-solidarites.fr/c?f=slip a5&q=Q2&u=U07&n=000123",
            "",
        ] {
            assert!(
                matches!(tpl.parse_payload(bad), Err(PayloadError::Mismatch { .. })),
                "{bad}"
            );
        }
        assert_eq!(
            tpl.parse_payload("https://assises-solidarites.fr/c?f=slip-a5&q=Q2&u=U07&n=12345"),
            Err(PayloadError::BadSerial("12345".into()))
        );
        assert_eq!(
            tpl.parse_payload("https://assises-solidarites.fr/c?f=slip-a5&q=Q2&u=U07\n&n=000123"),
            Err(PayloadError::ControlCharacters)
        );
        assert_eq!(
            tpl.parse_payload(&"x".repeat(2048)),
            Err(PayloadError::TooLong(2048))
        );
    }

    #[test]
    fn template_errors_are_explained() {
        assert!(PayloadTemplate::parse("x{form}{urn}", 6)
            .unwrap_err()
            .contains("literal text"));
        assert!(PayloadTemplate::parse("x{form}&{colour}", 6)
            .unwrap_err()
            .contains("{colour}"));
        assert!(PayloadTemplate::parse("x{form}&{urn}&{serial}", 6)
            .unwrap_err()
            .contains("{question}"));
    }

    proptest! {
        #[test]
        fn never_panics_on_any_text(s in "\\PC{0,200}") {
            let _ = t().parse_payload(&s);
        }

        #[test]
        fn never_panics_near_the_template(
            form in "[a-z0-9&=?-]{0,12}", q in "[A-Z0-9&=]{0,5}", u in "[A-Z0-9&]{0,5}", n in "[0-9a&]{0,8}"
        ) {
            let text = format!("https://assises-solidarites.fr/c?f={form}&q={q}&u={u}&n={n}");
            if let Ok(p) = t().parse_payload(&text) {
                prop_assert_eq!(t().render(&p.form, &p.question, &p.urn, &p.serial), text);
            }
        }
    }
}
