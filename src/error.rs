//! Errors and exit codes, in one place: the error that means "the agent asked for something
//! wrong" (a usage or layout problem) as opposed to a failure of the disk, the exit code each
//! outcome of a command gets, the text `--help` shows about them, and the plain-words advice
//! printed under an error the agent can do something about.
//!
//! Every module below the command line returns `anyhow::Result`; only the binary turns an
//! error into an exit code (`ExitCode::of_error`), so that scripts can tell a typo from a
//! full disk.

/// A usage or layout problem (exit code 2), as opposed to an I/O failure.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The exit codes of `urnscan`, documented in `--help` (`EXIT_CODES_HELP`) and the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Every page was read (blank and duplicate pages are fine), or the command did its work.
    Success = 0,
    /// The run completed, but some pages were rejected (see pages.csv).
    RejectedPages = 1,
    /// Usage error, or the campaign layout is invalid.
    Usage = 2,
    /// Input/output failure (missing input, output folder not writable, disk full).
    Io = 3,
    /// The page accounting does not balance: a bug in urnscan.
    Internal = 4,
}

impl ExitCode {
    /// The exit code of a command that failed with `err`: a usage error, else an I/O
    /// failure (the only other way a command stops early).
    pub fn of_error(err: &anyhow::Error) -> Self {
        if err.downcast_ref::<UsageError>().is_some() {
            ExitCode::Usage
        } else {
            ExitCode::Io
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}

/// The exit codes as `urnscan --help` and `urnscan process --help` list them.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  every page was read (blank and duplicate pages are fine)
  1  the run completed, but some pages were rejected (see pages.csv)
  2  usage error, the campaign layout is invalid, or another run is writing the output folder
  3  input/output failure (missing input, output folder not writable, disk full)
  4  internal error: the page accounting does not balance (a bug: please report it)";

/// What an agent can do about a failure of the output disk, in plain words.
pub fn advice(err: &anyhow::Error) -> Option<&'static str> {
    let io = err
        .chain()
        .find_map(|cause| cause.downcast_ref::<std::io::Error>())?;
    match io.raw_os_error() {
        Some(libc::ENOSPC) | Some(libc::EDQUOT) => Some(
            "the disk is full: free some space, then run the same command again (the pages already read are kept in the output folder's journal and are not read again)",
        ),
        Some(libc::EROFS) | Some(libc::EACCES) | Some(libc::EPERM) => Some(
            "urnscan may not write there: give an output folder you can write to (--out), or ask for the rights on this one",
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_lists_every_exit_code_once_in_order() {
        let all = [
            ExitCode::Success,
            ExitCode::RejectedPages,
            ExitCode::Usage,
            ExitCode::Io,
            ExitCode::Internal,
        ];
        let listed: Vec<u8> = EXIT_CODES_HELP
            .lines()
            .skip(1)
            .filter_map(|l| l.split_whitespace().next()?.parse().ok())
            .collect();
        assert_eq!(listed, all.map(|c| c as u8));
    }

    #[test]
    fn usage_errors_exit_2_even_under_context_and_others_3() {
        use anyhow::Context;
        let usage: anyhow::Result<()> = Err(UsageError("bad".into()).into());
        let usage = usage.context("while checking").unwrap_err();
        assert_eq!(ExitCode::of_error(&usage), ExitCode::Usage);
        let io = anyhow::Error::new(std::io::Error::from_raw_os_error(libc::ENOSPC));
        assert_eq!(ExitCode::of_error(&io), ExitCode::Io);
        assert!(advice(&io).is_some_and(|a| a.starts_with("the disk is full")));
        assert_eq!(advice(&anyhow::anyhow!("no I/O error")), None);
    }
}
