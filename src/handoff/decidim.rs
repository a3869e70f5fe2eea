//! `urnscan export decidim OUT`: the contributions as a proposals import file that
//! Decidim's admin importer reads ("Import proposals from a file", CSV): `;`-separated,
//! UTF-8 without BOM (Ruby's CSV would keep a BOM in the first column's name), localized
//! `title/<locale>` and `body/<locale>` columns (the importer requires those of the
//! organization's default locale), and the ids that classify a proposal, mapped from the urn
//! and the question through a small TOML file, since those ids belong to the Decidim
//! instance and not to the campaign.
//!
//! Which ids depends on Decidim's version, so the file carries the columns of both, each
//! ignored by the versions that do not read it (the importer reads its columns by name):
//! - `scope/id`: every version.
//! - `taxonomies/ids` (comma-separated): Decidim 0.30 and later, whose importer
//!   (`decidim-proposals/lib/decidim/proposals/import/proposal_creator.rb`) reads it and
//!   `scope/id` and no longer reads `category/id`: taxonomies replaced categories there.
//! - `category/id`: Decidim before 0.30.
//!
//! Answers that still need review are held back unless asked for: an export publishes text.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use crate::error::UsageError;
use crate::outcome::ReviewReason;
use crate::output::csvfile::write_atomic;
use crate::output::folder::OutputFolder;

/// Titles are the answer's first words, at most this many characters.
const TITLE_CHARS: usize = 80;

/// Decidim's ids for urns and questions. A section left out leaves its column (its part of
/// `taxonomies/ids`) empty, as without a mapping; a section given must map every urn
/// (question) exported.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// urn id → Decidim scope id (`scope/id`).
    pub scopes: Option<BTreeMap<String, u64>>,
    /// question id → Decidim category id (`category/id`, read before Decidim 0.30).
    pub categories: Option<BTreeMap<String, u64>>,
    /// Taxonomy ids (`taxonomies/ids`, read from Decidim 0.30 on).
    pub taxonomies: Option<Taxonomies>,
}

/// `[taxonomies.questions]` and `[taxonomies.urns]`: a proposal gets the taxonomies of its
/// question and of its urn (a neighbourhood, once scopes became taxonomies), together.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Taxonomies {
    /// question id → taxonomy ids.
    pub questions: Option<BTreeMap<String, Ids>>,
    /// urn id → taxonomy ids.
    pub urns: Option<BTreeMap<String, Ids>>,
}

/// One taxonomy id (`Q2 = 31`) or several (`Q2 = [31, 32]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(
    untagged,
    expecting = "a taxonomy id or a list of them, such as 31 or [31, 32]"
)]
pub enum Ids {
    One(u64),
    Many(Vec<u64>),
}

impl Ids {
    fn as_slice(&self) -> &[u64] {
        match self {
            Ids::One(id) => std::slice::from_ref(id),
            Ids::Many(ids) => ids,
        }
    }
}

/// `key`'s entry in a section of the mapping; None when the section is left out, and a note
/// in `missing` when the section is given without it.
fn lookup<'m, T>(
    section: Option<&'m BTreeMap<String, T>>,
    (what, key): (&str, &str),
    name: &str,
    missing: &mut Vec<String>,
) -> Option<&'m T> {
    let found = section?.get(key);
    if found.is_none() {
        missing.push(format!("{what} {key} in [{name}]"));
    }
    found
}

/// The Decidim columns of one proposal, as written.
#[derive(Debug, Default, PartialEq)]
struct Classification {
    scope: String,
    category: String,
    /// Comma-separated, as the importer splits it.
    taxonomies: String,
}

impl Mapping {
    /// The ids of a proposal from `urn` answering `question`, or what the mapping lacks
    /// for it ("urn U07 in [scopes]").
    fn classify(&self, urn: &str, question: &str) -> Result<Classification, Vec<String>> {
        let mut missing = Vec::new();
        let taxonomies = self.taxonomies.as_ref();
        let scope = lookup(self.scopes.as_ref(), ("urn", urn), "scopes", &mut missing);
        let category = lookup(
            self.categories.as_ref(),
            ("question", question),
            "categories",
            &mut missing,
        );
        let by_question = lookup(
            taxonomies.and_then(|t| t.questions.as_ref()),
            ("question", question),
            "taxonomies.questions",
            &mut missing,
        );
        let by_urn = lookup(
            taxonomies.and_then(|t| t.urns.as_ref()),
            ("urn", urn),
            "taxonomies.urns",
            &mut missing,
        );
        if !missing.is_empty() {
            return Err(missing);
        }
        // The question's taxonomies first, then the urn's, each id once.
        let mut ids: Vec<u64> = Vec::new();
        for id in by_question
            .into_iter()
            .chain(by_urn)
            .flat_map(Ids::as_slice)
        {
            if !ids.contains(id) {
                ids.push(*id);
            }
        }
        Ok(Classification {
            scope: scope.map(u64::to_string).unwrap_or_default(),
            category: category.map(u64::to_string).unwrap_or_default(),
            taxonomies: ids.iter().map(u64::to_string).collect::<Vec<_>>().join(","),
        })
    }
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
    /// Answers a person decided were illegible: never exported, even with
    /// `include_unreviewed` (answers decided not to be answers are not in the folder's
    /// contributions at all).
    pub illegible: usize,
}

/// Writes the import file for the contributions of `out` to `file`.
pub fn export(out: &Path, file: &Path, opts: &Options) -> anyhow::Result<Exported> {
    let folder = OutputFolder::open(out)?;
    let mut report = Exported::default();
    let mut unmapped = BTreeSet::new();
    let mut rows = Vec::new();
    for c in &folder.contributions {
        let text = c.text.as_str();
        if c.review_reasons.contains(&ReviewReason::Illegible) {
            report.illegible += 1;
            continue;
        }
        if text.trim().is_empty() {
            report.empty += 1;
            continue;
        }
        if c.needs_review && !opts.include_unreviewed {
            report.held_back += 1;
            continue;
        }
        let urn = c.urn_id.as_str();
        let question = c.question_id.as_str();
        let ids = match opts.mapping.map(|m| m.classify(urn, question)) {
            None => Classification::default(),
            Some(Ok(ids)) => ids,
            Some(Err(missing)) => {
                unmapped.extend(missing);
                continue;
            }
        };
        let provenance = format!(
            "Contribution déposée dans l'urne {} ({}), question {} – {}.",
            urn, c.urn_name, question, c.contribution_id,
        );
        rows.push(vec![
            title(text),
            format!("{text}\n\n{provenance}"),
            ids.scope,
            ids.category,
            ids.taxonomies,
        ]);
    }
    if !unmapped.is_empty() {
        return Err(UsageError(format!(
            "the mapping gives no Decidim id for {} (a section given must name every urn or question exported)",
            unmapped.into_iter().collect::<Vec<_>>().join(", ")
        ))
        .into());
    }
    let mut bytes = Vec::new();
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(&mut bytes);
    w.write_record(header(opts.locale))?;
    for row in &rows {
        w.write_record(row)?;
    }
    w.flush()?;
    drop(w);
    write_atomic(file, &bytes)?;
    report.proposals = rows.len();
    Ok(report)
}

/// The import file's columns: the title and body in `locale` (the importer requires those
/// of the organization's default locale), then the ids (see the module comment for which
/// Decidim versions read which), `taxonomies/ids` last so that the columns older versions
/// read keep their places.
pub fn header(locale: &str) -> [String; 5] {
    [
        format!("title/{locale}"),
        format!("body/{locale}"),
        "scope/id".into(),
        "category/id".into(),
        "taxonomies/ids".into(),
    ]
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
        std::fs::write(
            &p,
            "[taxonomies.questions]\nQ1 = [31, 32]\nQ2 = 33\n[taxonomies.urns]\nU07 = 40\n",
        )
        .unwrap();
        let t = Mapping::load(&p).unwrap().taxonomies.unwrap();
        assert_eq!(t.questions.unwrap()["Q1"], Ids::Many(vec![31, 32]));
        assert_eq!(t.urns.unwrap()["U07"], Ids::One(40));
        std::fs::write(&p, "[taxonomies.questions]\nQ1 = \"31\"\n").unwrap();
        let err = Mapping::load(&p).unwrap_err().to_string();
        assert!(err.contains("a taxonomy id or a list of them"), "{err}");
        std::fs::write(&p, "[taxonomies.question]\nQ1 = 31\n").unwrap();
        assert!(Mapping::load(&p).is_err());
    }

    fn mapping(toml: &str) -> Mapping {
        toml::from_str(toml).unwrap()
    }

    #[test]
    fn a_proposal_gets_the_ids_of_every_decidim_version() {
        let m = mapping(
            "[scopes]\nU07 = 12\n[categories]\nQ2 = 3\n\
             [taxonomies.questions]\nQ2 = [31, 40]\n[taxonomies.urns]\nU07 = [40, 7]\n",
        );
        assert_eq!(
            m.classify("U07", "Q2"),
            Ok(Classification {
                scope: "12".into(),
                category: "3".into(),
                // The question's, then the urn's, 40 once: Decidim splits at commas.
                taxonomies: "31,40,7".into(),
            })
        );
        // Sections left out leave their columns empty.
        assert_eq!(
            mapping("[scopes]\nU07 = 12\n").classify("U07", "Q2"),
            Ok(Classification {
                scope: "12".into(),
                ..Classification::default()
            })
        );
        assert_eq!(
            mapping("[taxonomies.questions]\nQ2 = []\n").classify("U07", "Q2"),
            Ok(Classification::default())
        );
        // A section given must name every urn (question) exported.
        assert_eq!(
            m.classify("U01", "Q9"),
            Err(vec![
                "urn U01 in [scopes]".to_string(),
                "question Q9 in [categories]".to_string(),
                "question Q9 in [taxonomies.questions]".to_string(),
                "urn U01 in [taxonomies.urns]".to_string(),
            ])
        );
    }

    #[test]
    fn the_header_has_what_every_importer_needs() {
        assert_eq!(
            header("pt-BR"),
            [
                "title/pt-BR",
                "body/pt-BR",
                "scope/id",
                "category/id",
                "taxonomies/ids"
            ]
        );
    }
}
