//! `urnscan export decidim OUT`: the contributions as a proposals import file that
//! Decidim's admin importer reads ("Import proposals from a file", CSV): `;`-separated,
//! UTF-8 without BOM (Ruby's CSV would keep a BOM in the first column's name), localized
//! `title/<locale>` and `body/<locale>` columns, and `scope/id` / `category/id` mapped from
//! the urn and the question through a small TOML file, since those ids belong to the
//! Decidim instance and not to the campaign.
//!
//! Answers that still need review are held back unless asked for: an export publishes text.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use super::open_output;
use crate::config::UsageError;
use crate::output::csvfile::write_atomic;

/// Titles are the answer's first words, at most this many characters.
const TITLE_CHARS: usize = 80;

/// Decidim's ids for urns (scopes) and questions (categories). A section left out leaves
/// its column empty, as without a mapping; a section given must map every urn (question)
/// exported.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// urn id → Decidim scope id.
    pub scopes: Option<BTreeMap<String, u64>>,
    /// question id → Decidim category id.
    pub categories: Option<BTreeMap<String, u64>>,
}

impl Mapping {
    /// Reads a mapping file; a malformed one is a usage error naming the problem.
    pub fn load(path: &Path) -> anyhow::Result<Mapping> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        toml::from_str(&text).map_err(|e| {
            UsageError(format!("{} is not a Decidim mapping: {e}", path.display())).into()
        })
    }
}

/// How to export.
pub struct Options<'a> {
    pub mapping: Option<&'a Mapping>,
    pub locale: &'a str,
    /// Export answers that still need review too.
    pub include_unreviewed: bool,
}

/// What the export wrote and left out.
#[derive(Debug, Default, PartialEq)]
pub struct Exported {
    pub proposals: usize,
    /// Answers still needing review, not exported.
    pub held_back: usize,
    /// Answers with no text at all (a person must read the crop), not exported.
    pub empty: usize,
}

/// Writes the import file for the contributions of `out` to `file`.
pub fn export(out: &Path, file: &Path, opts: &Options) -> anyhow::Result<Exported> {
    let folder = open_output(out)?;
    let t = &folder.contributions;
    let mut report = Exported::default();
    let mut unmapped = BTreeSet::new();
    let mut rows = Vec::new();
    for r in &t.rows {
        let text = folder.cell(r, "text");
        if text.trim().is_empty() {
            report.empty += 1;
            continue;
        }
        if folder.cell(r, "needs_review") == "true" && !opts.include_unreviewed {
            report.held_back += 1;
            continue;
        }
        let urn = folder.cell(r, "urn_id");
        let question = folder.cell(r, "question_id");
        let id_of = |map: Option<&BTreeMap<String, u64>>, key: &str, what: &str| match map {
            None => Ok(String::new()),
            Some(m) => m
                .get(key)
                .map(u64::to_string)
                .ok_or_else(|| format!("{what} {key}")),
        };
        let scope = id_of(opts.mapping.and_then(|m| m.scopes.as_ref()), urn, "urn");
        let category = id_of(
            opts.mapping.and_then(|m| m.categories.as_ref()),
            question,
            "question",
        );
        let (scope, category) = match (scope, category) {
            (Ok(s), Ok(c)) => (s, c),
            (s, c) => {
                unmapped.extend(s.err());
                unmapped.extend(c.err());
                continue;
            }
        };
        let provenance = format!(
            "Contribution déposée dans l'urne {} ({}), question {} – {}.",
            urn,
            folder.cell(r, "urn_name"),
            question,
            folder.cell(r, "contribution_id"),
        );
        rows.push(vec![
            title(text),
            format!("{text}\n\n{provenance}"),
            scope,
            category,
        ]);
    }
    if !unmapped.is_empty() {
        return Err(UsageError(format!(
            "the mapping gives no Decidim id for {} (add them to its [scopes] or [categories])",
            unmapped.into_iter().collect::<Vec<_>>().join(", ")
        ))
        .into());
    }
    let mut bytes = Vec::new();
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(&mut bytes);
    let loc = opts.locale;
    w.write_record([
        format!("title/{loc}"),
        format!("body/{loc}"),
        "scope/id".into(),
        "category/id".into(),
    ])?;
    for row in &rows {
        w.write_record(row)?;
    }
    w.flush()?;
    drop(w);
    write_atomic(file, &bytes)?;
    report.proposals = rows.len();
    Ok(report)
}

/// A proposal's title: the answer's first words, cut at a word boundary with an ellipsis
/// when the answer is longer.
pub fn title(text: &str) -> String {
    if text.chars().count() <= TITLE_CHARS {
        return text.to_string();
    }
    let mut title = String::new();
    for word in text.split(' ') {
        if title.chars().count() + word.chars().count() + 2 > TITLE_CHARS {
            break;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(word);
    }
    if title.is_empty() {
        // One enormous word: cut it.
        title = text.chars().take(TITLE_CHARS - 1).collect();
    }
    let title = title.trim_end_matches([',', ';', ':', '.', ' ']);
    format!("{title}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_the_first_words() {
        assert_eq!(title("Plus de bancs"), "Plus de bancs");
        let long = "Il faudrait des lieux ouverts le soir pour les personnes seules, avec des \
                    bénévoles formés et un café offert, dans chaque quartier de la ville";
        let t = title(long);
        assert!(t.chars().count() <= TITLE_CHARS, "{t}");
        assert!(t.ends_with('…'));
        assert!(long.starts_with(t.trim_end_matches('…')));
        assert!(!t.trim_end_matches('…').ends_with([',', ' ']));
        let word = "a".repeat(200);
        assert_eq!(title(&word).chars().count(), TITLE_CHARS);
    }

    #[test]
    fn mapping_files_are_checked() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("m.toml");
        std::fs::write(&p, "[scopes]\nU07 = 12\n[categories]\nQ2 = 3\n").unwrap();
        let m = Mapping::load(&p).unwrap();
        assert_eq!(m.scopes.unwrap()["U07"], 12);
        std::fs::write(&p, "[scopes]\nU07 = 12\n").unwrap();
        assert!(Mapping::load(&p).unwrap().categories.is_none());
        std::fs::write(&p, "[scope]\nU07 = 12\n").unwrap();
        assert!(Mapping::load(&p).is_err());
    }
}
