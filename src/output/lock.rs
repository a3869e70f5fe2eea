//! One run per output folder: `urnscan process` holds a lock file in the folder it writes,
//! so that a second run into the same folder is refused at once (naming the run that holds
//! it) instead of reading every page again and writing the same files.
//!
//! The lock file is created atomically with its content (written beside it, then hard-linked
//! under its name, which fails when the name exists), so another run never sees it half
//! written. It is removed when the guard is dropped (normal end, error, panic unwinding) and
//! by the handler of SIGINT, SIGTERM and SIGHUP (Ctrl-C, `kill`, a closed terminal). A lock
//! left by a run that died anyway (SIGKILL, a power cut) names a process that no longer
//! exists on this host: the next run takes it over and says so.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::UsageError;

/// The lock file's name inside the output folder.
pub const FILE: &str = "urnscan.lock";

/// Who holds a lock, as written in the lock file (`key=value` lines, for people too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    /// Start of the run, UTC, e.g. `2026-11-30 17:20:05 UTC`.
    pub started: String,
    /// The process's start in clock ticks after boot (Linux), so that a pid reused by
    /// another process after a crash is not taken for the run.
    pub proc_start: Option<u64>,
}

impl Holder {
    fn current() -> Holder {
        let pid = std::process::id();
        Holder {
            pid,
            host: hostname(),
            started: utc_now(),
            proc_start: process_start(pid),
        }
    }

    fn to_text(&self) -> String {
        let mut s = format!(
            "pid={}\nhost={}\nstarted={}\n",
            self.pid, self.host, self.started
        );
        if let Some(t) = self.proc_start {
            s.push_str(&format!("proc_start={t}\n"));
        }
        s
    }

    fn parse(text: &str) -> Option<Holder> {
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
                .map(str::trim)
        };
        Some(Holder {
            pid: field("pid")?.parse().ok()?,
            host: field("host").unwrap_or("").to_string(),
            started: field("started").unwrap_or("").to_string(),
            proc_start: field("proc_start").and_then(|t| t.parse().ok()),
        })
    }

    fn describe(&self) -> String {
        format!(
            "pid {} on host {}, started {}",
            self.pid,
            if self.host.is_empty() {
                "?"
            } else {
                &self.host
            },
            if self.started.is_empty() {
                "?"
            } else {
                &self.started
            }
        )
    }

    /// Whether the process that wrote the lock still runs. Only answerable on this host: a
    /// lock written elsewhere (a shared network folder) counts as alive.
    fn alive(&self) -> bool {
        if self.host != hostname() {
            return true;
        }
        if !pid_exists(self.pid) {
            return false;
        }
        match (self.proc_start, process_start(self.pid)) {
            (Some(recorded), Some(now)) => recorded == now,
            _ => true,
        }
    }
}

/// The held lock of an output folder; dropping it removes the lock file.
#[derive(Debug)]
pub struct OutputLock {
    path: PathBuf,
    /// A stale lock taken over, for the run to say so.
    pub took_over: Option<Holder>,
}

impl OutputLock {
    /// Takes the lock of `out` (an existing folder), or refuses with a usage error (exit
    /// code 2) naming the run that holds it. A lock of a dead process is taken over.
    pub fn acquire(out: &Path) -> anyhow::Result<OutputLock> {
        let path = out.join(FILE);
        let me = Holder::current();
        let mut took_over = None;
        // Twice at most: once, and once more after removing a stale lock.
        for _ in 0..2 {
            match create_with(&path, &me.to_text()) {
                Ok(()) => {
                    crate::sys::remove_on_fatal_signal(&path);
                    return Ok(OutputLock { path, took_over });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(anyhow::Error::from(e)
                        .context(format!("cannot create the lock file {}", path.display())))
                }
            }
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                // Released meanwhile: try again.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(_) => String::new(),
            };
            match Holder::parse(&text) {
                Some(h) if h.alive() => {
                    return Err(UsageError(format!(
                        "another urnscan run is writing into {} ({}; lock file {}): wait until it ends, or give another --out folder{}",
                        out.display(),
                        h.describe(),
                        path.display(),
                        if h.host != me.host {
                            ". It runs on another host, so urnscan cannot tell whether it is still running: if it is not, remove the lock file"
                        } else {
                            ""
                        }
                    ))
                    .into());
                }
                Some(h) => took_over = Some(h),
                None if just_written(&path) => {
                    return Err(UsageError(format!(
                        "another urnscan run is starting to write into {} (lock file {}): wait until it ends, or give another --out folder",
                        out.display(),
                        path.display()
                    ))
                    .into());
                }
                // Unreadable and old: no run of urnscan holds it.
                None => {
                    took_over = Some(Holder {
                        pid: 0,
                        host: String::new(),
                        started: String::new(),
                        proc_start: None,
                    })
                }
            }
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(anyhow::Error::from(e).context(format!(
                        "cannot remove the stale lock file {}",
                        path.display()
                    )))
                }
            }
        }
        Err(UsageError(format!(
            "another urnscan run took the lock of {} at the same moment ({}): wait until it ends, or give another --out folder",
            out.display(),
            path.display()
        ))
        .into())
    }

    /// The run writing into `out` right now, in words, if one is (a live holder of its
    /// lock): what must not change the folder's files under it.
    pub fn writer(out: &Path) -> Option<String> {
        let text = std::fs::read_to_string(out.join(FILE)).ok()?;
        match Holder::parse(&text) {
            Some(h) if h.alive() => Some(h.describe()),
            Some(_) => None,
            None => Some("a run that is starting".to_string()),
        }
    }

    /// One line for the person running urnscan when a stale lock was taken over.
    pub fn took_over_note(&self) -> Option<String> {
        self.took_over.as_ref().map(|h| {
            if h.pid == 0 {
                format!(
                    "urnscan: note: {} was not a lock urnscan wrote; replaced it",
                    self.path.display()
                )
            } else {
                format!(
                    "urnscan: note: the run that locked this folder ({}) is no longer running; took over its lock",
                    h.describe()
                )
            }
        })
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        crate::sys::forget_fatal_signal_path();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Creates `path` with `text` in one step: a temporary file beside it, hard-linked under
/// the name (failing with AlreadyExists if the name is taken), then removed. Where the
/// file system has no hard links (FAT or exFAT on a USB stick, some network shares), the
/// name is created exclusively and then written: another run may then see it empty for an
/// instant, which `acquire` takes for a run starting.
fn create_with(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_file_name(format!(".{FILE}.tmp-{}", std::process::id()));
    let written = (|| {
        let mut f = crate::output::csvfile::create_private(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    })();
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut f = options.open(path)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()
        }
        other => other,
    }
}

/// Whether the file was changed in the last few seconds.
fn just_written(path: &Path) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age.as_secs() < 5)
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

fn pid_exists(pid: u32) -> bool {
    crate::sys::process_exists(pid)
}

/// Field 22 of /proc/PID/stat (Linux): when the process started, in ticks after boot.
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Now, UTC, as `YYYY-MM-DD HH:MM:SS UTC`.
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Days to civil date (H. Hinnant's algorithm), for a time stamp without a date crate.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holder_round_trips_through_its_text() {
        let h = Holder::current();
        assert_eq!(Holder::parse(&h.to_text()), Some(h));
        assert_eq!(Holder::parse("garbage"), None);
    }

    #[test]
    fn a_second_lock_is_refused_naming_the_first_and_released_on_drop() {
        let d = tempfile::tempdir().unwrap();
        let first = OutputLock::acquire(d.path()).unwrap();
        assert!(first.took_over.is_none());
        let err = OutputLock::acquire(d.path()).unwrap_err();
        assert!(err.downcast_ref::<UsageError>().is_some());
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        drop(first);
        assert!(!d.path().join(FILE).exists());
        drop(OutputLock::acquire(d.path()).unwrap());
    }

    #[test]
    fn a_lock_of_a_dead_process_is_taken_over() {
        let d = tempfile::tempdir().unwrap();
        let dead = Holder {
            pid: 999_999_999,
            host: hostname(),
            started: "2020-01-01 00:00:00 UTC".into(),
            proc_start: None,
        };
        std::fs::write(d.path().join(FILE), dead.to_text()).unwrap();
        let lock = OutputLock::acquire(d.path()).unwrap();
        assert_eq!(lock.took_over, Some(dead));
        assert!(lock.took_over_note().unwrap().contains("no longer running"));
    }

    #[test]
    fn an_empty_lock_is_a_run_starting_until_it_is_old() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join(FILE);
        let f = std::fs::File::create(&path).unwrap();
        let err = OutputLock::acquire(d.path()).unwrap_err();
        assert!(err.to_string().contains("starting"), "{err}");
        let old = SystemTime::now() - std::time::Duration::from_secs(60);
        f.set_modified(old).unwrap();
        let lock = OutputLock::acquire(d.path()).unwrap();
        assert!(lock
            .took_over_note()
            .unwrap()
            .contains("not a lock urnscan wrote"));
    }

    #[test]
    fn utc_now_is_a_plausible_time_stamp() {
        let s = utc_now();
        assert_eq!(s.len(), "2026-11-30 17:20:05 UTC".len(), "{s}");
        assert!(s.starts_with("20"), "{s}");
    }
}
