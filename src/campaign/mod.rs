//! The campaign as data: the forms (geometry of every printed element and zone), the QR
//! payload template and the registries of questions and urns. Nothing about a particular
//! city is compiled into the pipeline; it all comes from a `forms-layout/<campaign>/` folder.
//! The default campaign is embedded in the binary so that an agent needs no files beside it.

mod layout;
mod payload;
mod registry;

use std::path::{Path, PathBuf};

pub use layout::{
    CheckboxGroup, Choice, Form, GuideLines, PrintItem, QrQuestion, RectMm, TextZone, Zone,
    ZoneQuestion,
};
pub use payload::{Payload, PayloadError, PayloadTemplate};
pub use registry::{Question, Urn};

/// The layout folder of the built-in campaign, embedded at compile time.
const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "campaign.toml",
        include_str!("../../forms-layout/assises-2022/campaign.toml"),
    ),
    (
        "questions.csv",
        include_str!("../../forms-layout/assises-2022/questions.csv"),
    ),
    (
        "urns.csv",
        include_str!("../../forms-layout/assises-2022/urns.csv"),
    ),
];

/// A campaign that passed validation: every reference resolves, every zone lies on its page.
#[derive(Debug, Clone)]
pub struct Campaign {
    pub id: String,
    pub title: String,
    pub channel: String,
    pub payload: PayloadTemplate,
    pub questions: Vec<Question>,
    pub urns: Vec<Urn>,
    pub forms: Vec<Form>,
    /// Where it was loaded from, for messages (`built-in` for the embedded one).
    pub origin: String,
}

/// A problem in a layout folder, naming the file, the field and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {field}: {problem}")]
pub struct LayoutError {
    pub file: String,
    pub field: String,
    pub problem: String,
}

impl LayoutError {
    pub(crate) fn new(file: &str, field: impl Into<String>, problem: impl Into<String>) -> Self {
        LayoutError {
            file: file.to_string(),
            field: field.into(),
            problem: problem.into(),
        }
    }
}

impl Campaign {
    /// The campaign compiled into the binary (forms-layout/assises-2022).
    pub fn builtin() -> Result<Campaign, LayoutError> {
        Self::from_sources("built-in assises-2022", &|name: &str| {
            BUILTIN_FILES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, text)| text.to_string())
                .ok_or_else(|| LayoutError::new(name, "-", "no such file in the built-in layout"))
        })
    }

    /// Loads and validates the layout folder `dir` (campaign.toml plus its registries).
    pub fn load(dir: &Path) -> Result<Campaign, LayoutError> {
        let dir: PathBuf = dir.to_path_buf();
        Self::from_sources(&dir.display().to_string(), &|name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|e| {
                LayoutError::new(
                    &path.display().to_string(),
                    "-",
                    format!("cannot read: {e}"),
                )
            })
        })
    }

    fn from_sources(
        origin: &str,
        read: &dyn Fn(&str) -> Result<String, LayoutError>,
    ) -> Result<Campaign, LayoutError> {
        let toml_text = read("campaign.toml")?;
        let raw = layout::parse(&toml_text)?;
        let questions =
            registry::parse_questions(&raw.questions_file, &read(&raw.questions_file)?)?;
        let urns = registry::parse_urns(&raw.urns_file, &read(&raw.urns_file)?)?;
        let mut campaign = layout::validate(raw, questions, urns)?;
        campaign.origin = origin.to_string();
        Ok(campaign)
    }

    pub fn form(&self, id: &str) -> Option<&Form> {
        self.forms.iter().find(|f| f.id == id)
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    pub fn urn(&self, id: &str) -> Option<&Urn> {
        self.urns.iter().find(|u| u.id == id)
    }

    /// The ids of every checkbox group of every form, in layout order, without repeats:
    /// they become columns of contributions.csv.
    pub fn checkbox_group_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for form in &self.forms {
            for zone in &form.zones {
                if let Zone::Checkbox(g) = zone {
                    if !ids.contains(&g.id) {
                        ids.push(g.id.clone());
                    }
                }
            }
        }
        ids
    }

    /// Each checkbox group's title as its form prints it ("Âge :" gives "Âge"), by group
    /// id: the report's words for the group's column.
    pub fn checkbox_group_titles(&self) -> std::collections::BTreeMap<String, String> {
        let mut titles = std::collections::BTreeMap::new();
        for form in &self.forms {
            for zone in &form.zones {
                if let Zone::Checkbox(g) = zone {
                    let title = g.label.trim().trim_end_matches(':').trim_end();
                    if !title.is_empty() {
                        titles
                            .entry(g.id.clone())
                            .or_insert_with(|| title.to_string());
                    }
                }
            }
        }
        titles
    }

    /// A form's printed text (`PrintItem::text`) with its placeholders filled: `{title}`,
    /// `{question_label}` (the question `question_id` names), `{question_label:Qn}`,
    /// `{urn_id}`, `{urn_name}`, `{serial}`. The printer draws it; the print reader compares
    /// what it reads with it.
    pub fn print_text(&self, template: &str, values: &PrintValues) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let end = rest[start..]
                .find('}')
                .map(|e| start + e)
                .ok_or_else(|| format!("unclosed placeholder in print text '{template}'"))?;
            let key = &rest[start + 1..end];
            let label = |qid: &str| {
                self.question(qid).map(|q| q.label.clone()).ok_or_else(|| {
                    format!("print text '{template}' names unknown question '{qid}'")
                })
            };
            let value = match key {
                "title" => self.title.clone(),
                "urn_id" => values.urn_id.to_string(),
                "urn_name" => values.urn_name.to_string(),
                "serial" => values.serial.to_string(),
                "question_label" => label(values.question_id)?,
                k => match k.strip_prefix("question_label:") {
                    Some(qid) => label(qid)?,
                    None => {
                        return Err(format!(
                            "unknown placeholder {{{k}}} in print text '{template}'"
                        ))
                    }
                },
            };
            out.push_str(&value);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// The payload a form with these values carries (what the printer encodes).
    pub fn payload_for(&self, form: &str, question: &str, urn: &str, serial: &str) -> String {
        self.payload.render(form, question, urn, serial)
    }
}

/// The values printed on one copy of a form.
#[derive(Debug, Clone, Copy)]
pub struct PrintValues<'a> {
    pub urn_id: &'a str,
    /// Printed beside the urn id; free text so that a slip naming an unregistered urn can be
    /// printed too (the reader must reject it).
    pub urn_name: &'a str,
    /// What the QR code's question field holds (a registry id, or the form's literal).
    pub question_id: &'a str,
    pub serial: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_campaign_is_valid() {
        let c = Campaign::builtin().unwrap();
        assert_eq!(c.id, "assises-2022");
        assert_eq!(c.forms.len(), 2);
        assert_eq!(c.questions.len(), 3);
        assert_eq!(c.urns.len(), 13);
        assert_eq!(c.checkbox_group_ids(), vec!["profil", "age"]);
        assert_eq!(
            c.checkbox_group_titles().into_iter().collect::<Vec<_>>(),
            vec![
                ("age".to_string(), "Âge".to_string()),
                ("profil".to_string(), "Vous êtes".to_string())
            ]
        );
        let slip = c.form("slip-a5").unwrap();
        assert_eq!(slip.text_zones().count(), 1);
        let sheet = c.form("sheet-a4").unwrap();
        assert_eq!(sheet.text_zones().count(), 3);
        assert_eq!(sheet.marks.len(), 3);
    }

    #[test]
    fn loads_the_same_campaign_from_the_repository_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("forms-layout/assises-2022");
        let c = Campaign::load(&dir).unwrap();
        assert_eq!(c.forms.len(), 2);
    }
}
