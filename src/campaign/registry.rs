//! The campaign's registries: questions.csv (id, label) and urns.csv (id, name, quartier).

use serde::Deserialize;

use super::LayoutError;

#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    #[serde(rename = "question_id")]
    pub id: String,
    #[serde(rename = "question_label")]
    pub label: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Urn {
    #[serde(rename = "urn_id")]
    pub id: String,
    #[serde(rename = "urn_name")]
    pub name: String,
    pub quartier: String,
}

fn read_rows<T: for<'de> Deserialize<'de>>(
    file: &str,
    text: &str,
    id_of: fn(&T) -> &str,
) -> Result<Vec<T>, LayoutError> {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let mut rows: Vec<T> = Vec::new();
    for (i, rec) in rdr.deserialize::<T>().enumerate() {
        // Line 1 is the header.
        let line = i + 2;
        let row = rec.map_err(|e| LayoutError::new(file, format!("line {line}"), e.to_string()))?;
        let id = id_of(&row);
        if id.is_empty()
            || id.contains(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        {
            return Err(LayoutError::new(
                file,
                format!("line {line}"),
                format!("'{id}' is not a valid id"),
            ));
        }
        if rows.iter().any(|r| id_of(r) == id) {
            return Err(LayoutError::new(
                file,
                format!("line {line}"),
                format!("id '{id}' appears twice"),
            ));
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(LayoutError::new(file, "-", "the registry has no rows"));
    }
    Ok(rows)
}

pub(super) fn parse_questions(file: &str, text: &str) -> Result<Vec<Question>, LayoutError> {
    read_rows(file, text, |q: &Question| &q.id)
}

pub(super) fn parse_urns(file: &str, text: &str) -> Result<Vec<Urn>, LayoutError> {
    read_rows(file, text, |u: &Urn| &u.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_urn_is_named_with_its_line() {
        let e = parse_urns("urns.csv", "urn_id,urn_name,quartier\nU01,a,b\nU01,c,d\n").unwrap_err();
        assert_eq!(e.to_string(), "urns.csv: line 3: id 'U01' appears twice");
    }

    #[test]
    fn missing_column_is_named() {
        let e = parse_questions("questions.csv", "id,label\nQ1,x\n").unwrap_err();
        assert!(e.to_string().starts_with("questions.csv: line 2:"), "{e}");
    }
}
