//! The output folder holds personal data (the journal's unmasked text, the crops of
//! handwriting, the CSV files): urnscan creates it, and its `crops/`, readable by their owner
//! only (0700). A folder that exists already keeps its mode, since its owner chose it; the
//! run reports when others can read it.

use std::path::Path;

use anyhow::Context;

/// Creates `out` and `out/crops` (owner only, for the parts created now) and returns the mode
/// of `out`, as `0755`, when it existed already and others (group or world) can read it.
pub fn prepare(out: &Path) -> anyhow::Result<Option<String>> {
    let existed = out.is_dir();
    let readable = if existed {
        readable_by_others(out)
    } else {
        None
    };
    create_private_dir_all(&out.join("crops"))
        .with_context(|| format!("cannot create the output folder {}", out.display()))?;
    Ok(readable)
}

/// `create_dir_all`, with every folder it creates readable by its owner only.
pub fn create_private_dir_all(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// The folder's mode (e.g. `0755`) when group or others may read it.
#[cfg(unix)]
pub fn readable_by_others(dir: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir).ok()?.permissions().mode() & 0o7777;
    (mode & 0o044 != 0).then(|| format!("{mode:04o}"))
}

#[cfg(not(unix))]
pub fn readable_by_others(_dir: &Path) -> Option<String> {
    None
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_folder_is_private_and_an_open_one_is_reported_and_kept() {
        let d = tempfile::tempdir().unwrap();
        let new = d.path().join("a/out");
        assert_eq!(prepare(&new).unwrap(), None);
        assert_eq!(mode(&new), 0o700);
        assert_eq!(mode(&new.join("crops")), 0o700);

        let open = d.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(prepare(&open).unwrap().as_deref(), Some("0755"));
        assert_eq!(mode(&open), 0o755);
        assert_eq!(mode(&open.join("crops")), 0o700);
    }
}
