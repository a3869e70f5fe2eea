//! Expanding the command line's inputs into a sorted list of files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use walkdir::WalkDir;

/// A file to read, with the name it gets in the CSV files.
#[derive(Debug, Clone, PartialEq)]
pub struct InputFile {
    pub path: PathBuf,
    /// Relative to the input root; when several inputs were given, the input as written on
    /// the command line comes first, so that two folders' `001.jpg` stay apart.
    pub source_name: String,
    /// Set when the file (or the folder it stands for) could not even be listed: it still
    /// gets its row in pages.csv.
    pub unreadable: Option<String>,
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

/// The input as the agent wrote it, without "./" and trailing slashes.
fn display_root(input: &Path) -> String {
    let s = input.to_string_lossy();
    let s = s.trim_end_matches('/');
    let s = s.strip_prefix("./").unwrap_or(s);
    if s.is_empty() {
        ".".to_string()
    } else {
        s.to_string()
    }
}

/// Lists the files under `inputs` (files as given, folders recursively, sorted by name,
/// hidden files and folders skipped). The same file reached twice (overlapping inputs, a
/// link) is listed once. Order is stable: the same inputs always give the same list.
pub fn discover(inputs: &[PathBuf]) -> anyhow::Result<Vec<InputFile>> {
    let several = inputs.len() > 1;
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut out = Vec::new();
    let mut push = |path: PathBuf,
                    source_name: String,
                    unreadable: Option<String>,
                    out: &mut Vec<InputFile>| {
        let key = path.canonicalize().unwrap_or_else(|_| path.clone());
        if seen.insert(key) {
            out.push(InputFile {
                path,
                source_name,
                unreadable,
            });
        }
    };
    for input in inputs {
        let meta = std::fs::metadata(input)
            .with_context(|| format!("cannot read input '{}'", input.display()))?;
        let root = display_root(input);
        if meta.is_file() {
            let name = if several {
                root.clone()
            } else {
                input
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or(root.clone())
            };
            push(input.clone(), name, None, &mut out);
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
            let name_of = |p: &Path| {
                let rel = p
                    .strip_prefix(input)
                    .unwrap_or(p)
                    .to_string_lossy()
                    .into_owned();
                if several {
                    format!("{root}/{rel}")
                } else {
                    rel
                }
            };
            match entry {
                Ok(entry) if entry.file_type().is_file() => {
                    push(
                        entry.path().to_path_buf(),
                        name_of(entry.path()),
                        None,
                        &mut out,
                    );
                }
                Ok(_) => {}
                // An unreadable subfolder or a link loop: say so in pages.csv, go on.
                Err(e) => {
                    let path = e
                        .path()
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| input.clone());
                    let why = e
                        .io_error()
                        .map(|io| io.to_string())
                        .unwrap_or_else(|| e.to_string());
                    push(
                        path.clone(),
                        name_of(&path),
                        Some(format!("cannot be listed: {why}")),
                        &mut out,
                    );
                }
            }
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
        let names: Vec<String> = discover(&[d.to_path_buf()])
            .unwrap()
            .into_iter()
            .map(|f| f.source_name)
            .collect();
        assert_eq!(names, vec!["a.png", "b/1.jpg", "b/2.jpg", "c.tif"]);
    }

    #[test]
    fn several_inputs_keep_their_names_apart_and_overlaps_count_once() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in ["w07/scans/001.jpg", "w08/scans/001.jpg"] {
            std::fs::create_dir_all(d.join(f).parent().unwrap()).unwrap();
            std::fs::write(d.join(f), b"x").unwrap();
        }
        let inputs = [
            d.join("w07/scans"),
            d.join("w08/scans"),
            d.join("w07/scans/001.jpg"),
        ];
        let files = discover(&inputs).unwrap();
        assert_eq!(files.len(), 2, "{files:?}");
        assert!(files[0].source_name.ends_with("w07/scans/001.jpg"));
        assert!(files[1].source_name.ends_with("w08/scans/001.jpg"));
        assert!(discover(&[d.join("nope")]).is_err());
    }
}
