//! Expanding the command line's inputs into a sorted list of files.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use walkdir::WalkDir;

/// A file to read, with the name it gets in the CSV files.
#[derive(Debug, Clone, PartialEq)]
pub struct InputFile {
    pub path: PathBuf,
    /// Relative to the input root (with the root's own name in front when several inputs
    /// were given, so that two folders' `001.jpg` stay apart).
    pub source_name: String,
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

/// Lists the files under `inputs` (files as given, folders recursively, sorted by name,
/// hidden files and folders skipped), leaving out anything inside `exclude` (the output
/// folder). Order is stable: the same inputs always give the same list.
pub fn discover(inputs: &[PathBuf], exclude: Option<&Path>) -> anyhow::Result<Vec<InputFile>> {
    let exclude = exclude.and_then(|p| p.canonicalize().ok());
    let several = inputs.len() > 1;
    let mut out = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input)
            .with_context(|| format!("cannot read input '{}'", input.display()))?;
        let root_name = input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| input.display().to_string());
        if meta.is_file() {
            out.push(InputFile {
                path: input.clone(),
                source_name: root_name,
            });
            continue;
        }
        if !meta.is_dir() {
            bail!("input '{}' is neither a file nor a folder", input.display());
        }
        let walker = WalkDir::new(input)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
        for entry in walker {
            let entry = entry.with_context(|| format!("cannot list '{}'", input.display()))?;
            if !entry.file_type().is_file() {
                continue;
            }
            if let (Some(ex), Ok(canon)) = (&exclude, entry.path().canonicalize()) {
                if canon.starts_with(ex) {
                    continue;
                }
            }
            let rel = entry.path().strip_prefix(input).unwrap_or(entry.path());
            let rel = rel.to_string_lossy().into_owned();
            let source_name = if several {
                format!("{root_name}/{rel}")
            } else {
                rel
            };
            out.push(InputFile {
                path: entry.path().to_path_buf(),
                source_name,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_sorted_recursive_and_skip_hidden() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("b")).unwrap();
        std::fs::create_dir_all(d.join(".git")).unwrap();
        for f in [
            "b/2.jpg",
            "a.png",
            "b/1.jpg",
            ".hidden.png",
            ".git/x.png",
            "c.tif",
        ] {
            std::fs::write(d.join(f), b"x").unwrap();
        }
        let names: Vec<String> = discover(&[d.to_path_buf()], None)
            .unwrap()
            .into_iter()
            .map(|f| f.source_name)
            .collect();
        assert_eq!(names, vec!["a.png", "b/1.jpg", "b/2.jpg", "c.tif"]);
    }

    #[test]
    fn output_folder_inside_input_is_left_out_and_missing_input_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("out/crops")).unwrap();
        std::fs::write(d.join("out/crops/x.jpg"), b"x").unwrap();
        std::fs::write(d.join("s.jpg"), b"x").unwrap();
        let files = discover(&[d.to_path_buf()], Some(&d.join("out"))).unwrap();
        assert_eq!(files.len(), 1);
        assert!(discover(&[d.join("nope")], None).is_err());
    }
}
