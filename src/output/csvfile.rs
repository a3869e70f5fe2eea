//! Writing a CSV file: the plain RFC 4180 dialect for databases and scripts, or the Excel
//! variant a French spreadsheet opens correctly. Files are written beside their final name
//! and renamed into place, so a crash never leaves a half-written CSV behind.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// UTF-8, comma, `\n`, header row.
    Plain,
    /// UTF-8 with BOM, semicolon, CRLF, and cells a spreadsheet would run as formulas
    /// neutralised with a leading apostrophe.
    Excel,
}

/// What a spreadsheet takes as the start of a formula.
pub const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell that a spreadsheet would evaluate (`=1+1`, `+33…`, `-2`, `@SUM`) gets a leading
/// apostrophe, which spreadsheets show as text and do not display. A cell that already
/// starts with an apostrophe before such a character gets one too, so that reading back
/// (`table::unneutralise`, which removes one) gives every cell exactly as it was.
pub fn neutralise_formula(cell: &str) -> std::borrow::Cow<'_, str> {
    let quoted_formula = cell
        .strip_prefix('\'')
        .is_some_and(|rest| rest.starts_with(FORMULA_START) || rest.starts_with('\''));
    if cell.starts_with(FORMULA_START) || quoted_formula {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Writes `header` and `rows` to `path` atomically in `dialect`.
pub fn write_csv(
    path: &Path,
    dialect: Dialect,
    header: &[String],
    rows: &[Vec<String>],
) -> anyhow::Result<()> {
    let mut bytes = Vec::new();
    let mut builder = csv::WriterBuilder::new();
    if dialect == Dialect::Excel {
        bytes.extend_from_slice("\u{FEFF}".as_bytes());
        builder.delimiter(b';').terminator(csv::Terminator::CRLF);
    }
    let mut w = builder.from_writer(&mut bytes);
    w.write_record(header)?;
    for row in rows {
        match dialect {
            Dialect::Plain => w.write_record(row)?,
            Dialect::Excel => {
                w.write_record(row.iter().map(|c| neutralise_formula(c).into_owned()))?
            }
        }
    }
    w.flush()?;
    drop(w);
    write_atomic(path, &bytes)
}

/// Writes bytes to `path` atomically: to a temporary file beside it, synced to disk, then
/// renamed over it, so that a crash or a full disk never leaves half a file under the name.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomic_with(path, &mut |f: &mut dyn Write| {
        f.write_all(bytes)?;
        Ok(())
    })
}

/// Like `write_atomic`, for a file written piece by piece (a PDF page after page): `write`
/// gets the temporary file (buffered); on any error the temporary file is removed and the
/// file under `path`, if any, is left as it was. The file is readable by its owner only
/// (0600): what urnscan writes into an output folder holds citizens' words.
pub fn write_atomic_with(
    path: &Path,
    write: &mut dyn FnMut(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    write_atomic_mode(path, true, write)
}

/// `write_atomic_with` for a file with nothing personal in it (a blank form to print), left
/// to the umask like any file a command writes.
pub fn write_atomic_shared_with(
    path: &Path,
    write: &mut dyn FnMut(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    write_atomic_mode(path, false, write)
}

/// Creates (or truncates) a file that only its owner may read and write (0600 on Unix).
pub fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn write_atomic_mode(
    path: &Path,
    private: bool,
    write: &mut dyn FnMut(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    // A temporary file left by a crash may have another mode: start afresh.
    let _ = std::fs::remove_file(&tmp);
    let created = if private {
        create_private(&tmp)
    } else {
        std::fs::File::create(&tmp)
    };
    let written = created.map_err(anyhow::Error::from).and_then(|f| {
        let mut buf = std::io::BufWriter::new(f);
        write(&mut buf)?;
        let f = buf.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        Ok(())
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot move {} into place", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_dialect_has_bom_semicolons_crlf_and_no_live_formulas() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.csv");
        let header = vec!["a".to_string(), "b".to_string()];
        let rows = vec![vec![
            "=HYPERLINK(\"http://x\")".to_string(),
            "l'été; oui".to_string(),
        ]];
        write_csv(&p, Dialect::Excel, &header, &rows).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            text,
            "\u{FEFF}a;b\r\n\"'=HYPERLINK(\"\"http://x\"\")\";\"l'été; oui\"\r\n"
        );
        write_csv(&p, Dialect::Plain, &header, &rows).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(text, "a,b\n\"=HYPERLINK(\"\"http://x\"\")\",l'été; oui\n");
        assert_eq!(
            std::fs::read_dir(d.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }
}
