//! The output folder, with the real binary: one run at a time writes it (a lock file naming
//! the run, released on every exit, taken over from a dead run), and what urnscan writes
//! there is its owner's alone (folder 0700, files 0600; an open folder is kept but reported).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::bin;

fn sample_scans() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-scans/scans")
}

fn process(out: &Path, extra: &[&str]) -> Output {
    bin()
        .arg("process")
        .arg(sample_scans())
        .arg("--out")
        .arg(out)
        .args(["--jobs", "1"])
        .args(extra)
        .output()
        .expect("the urnscan binary runs")
}

fn completed(o: &Output) {
    assert!(
        matches!(o.status.code(), Some(0) | Some(1)),
        "urnscan failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The host name as urnscan reads it for its lock file.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

fn write_lock(out: &Path, pid: u32) {
    std::fs::create_dir_all(out).unwrap();
    std::fs::write(
        out.join("urnscan.lock"),
        format!(
            "pid={pid}\nhost={}\nstarted=2026-11-30 09:15:00 UTC\n",
            hostname()
        ),
    )
    .unwrap();
}

#[test]
fn a_second_run_into_a_folder_being_written_is_refused_at_once_naming_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // This test process is alive: the folder is held by it.
    let me = std::process::id();
    write_lock(&out, me);
    let start = std::time::Instant::now();
    let o = process(&out, &["--quiet"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("pid {me}")), "{err}");
    assert!(err.contains(&hostname()), "{err}");
    assert!(err.contains("started 2026-11-30 09:15:00 UTC"), "{err}");
    assert!(
        start.elapsed().as_secs() < 20,
        "refused only after {:?}",
        start.elapsed()
    );
    // Nothing read, nothing written, and the other run's lock left alone.
    assert!(!out.join("pages.csv").exists());
    assert!(!out.join("journal.jsonl").exists());
    assert!(out.join("urnscan.lock").exists());
}

#[test]
fn a_lock_left_by_a_dead_run_is_taken_over_and_said_and_a_run_releases_its_lock() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut gone = Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    write_lock(&out, dead);
    let o = process(&out, &["--quiet"]);
    completed(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("pid {dead}")) && err.contains("no longer running"),
        "{err}"
    );
    assert!(out.join("pages.csv").exists());
    assert!(!out.join("urnscan.lock").exists(), "lock not released");

    // A run that ends in an error (another batch without --force) releases it too.
    let o = process(&out, &["--quiet", "--batch", "another"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        !out.join("urnscan.lock").exists(),
        "lock kept after an error"
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_releases_the_lock() {
    use std::os::unix::process::ExitStatusExt;
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let lock = out.join("urnscan.lock");
    let mut child = bin()
        .arg("process")
        .arg(sample_scans())
        .arg("--out")
        .arg(&out)
        .args(["--jobs", "1", "--quiet"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !lock.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before its lock was seen");
        }
        assert!(Instant::now() < deadline, "no lock file appeared");
        std::thread::sleep(Duration::from_millis(2));
    }
    // What Ctrl-C sends.
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    if status.signal() != Some(libc::SIGINT) {
        // The run finished between the lock appearing and the signal: nothing to check.
        assert!(status.success() || status.code() == Some(1), "{status}");
    }
    assert!(!lock.exists(), "lock left after Ctrl-C ({status})");
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Every file under `dir`, recursively.
#[cfg(unix)]
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            all.extend(files(&p));
        } else {
            all.push(p);
        }
    }
    all
}

#[cfg(unix)]
#[test]
fn the_output_folder_and_every_file_in_it_are_the_owners_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("week/out");
    let o = process(&out, &[]);
    completed(&o);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(!text.contains("others can read"), "{text}");
    assert_eq!(mode(&out), 0o700);
    assert_eq!(mode(&out.join("crops")), 0o700);
    // The review sheet, the corrections and the Decidim export are written there too.
    let sheet = out.join("review-sheet.csv");
    let o = bin()
        .args(["review", "export"])
        .arg(&out)
        .arg("--all")
        .output()
        .unwrap();
    completed(&o);
    std::fs::copy(&sheet, dir.path().join("sheet.csv")).unwrap();
    let o = bin()
        .args(["review", "apply"])
        .arg(&out)
        .arg(dir.path().join("sheet.csv"))
        .output()
        .unwrap();
    completed(&o);
    let all = files(&out);
    for name in [
        "journal.jsonl",
        "contributions.csv",
        "pages.csv",
        "summary.json",
        "report.html",
        "review-sheet.csv",
    ] {
        assert!(all.contains(&out.join(name)), "{name} not written");
    }
    assert!(all.iter().any(|p| p.starts_with(out.join("crops"))));
    for f in &all {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert!(summary["output_readable_by_others"].is_null());
}

#[cfg(unix)]
#[test]
fn an_existing_folder_others_can_read_keeps_its_mode_and_the_summary_says_so_once() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("shared");
    std::fs::create_dir(&out).unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o755)).unwrap();
    let o = process(&out, &[]);
    completed(&o);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        text.matches("others can read this folder (mode 0755)")
            .count(),
        1,
        "{text}"
    );
    assert_eq!(mode(&out), 0o755);
    for f in files(&out) {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["output_readable_by_others"], "0755");
}
