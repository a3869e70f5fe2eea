//! What the integration tests share.

// Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]

/// Says that a test cannot run here because `what` is missing (a tool, or root), then lets
/// the caller return. Locally that is a skip, said on stderr; under CI it is a failure, since
/// CI installs everything (scripts/deps.sh) and a test that silently did nothing there would
/// pass without testing. CI is recognised by the `CI` variable that CI services set (any
/// value but empty, `0` or `false`).
#[track_caller]
pub fn cannot_run(what: &str) {
    let ci = std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"));
    if ci {
        panic!("cannot run: {what}; CI is set, and CI must have everything the tests need");
    }
    eprintln!("SKIPPED: {what} (with CI set, this fails)");
}

pub fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_urnscan"))
}

/// Runs urnscan with `args`, then `paths`, and returns what it did.
pub fn urnscan(args: &[&str], paths: &[&std::path::Path]) -> std::process::Output {
    bin()
        .args(args)
        .args(paths)
        .output()
        .expect("the urnscan binary runs")
}

/// The repository's root.
pub fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A text file whole, or a panic naming it.
pub fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A private copy of an output folder (`cp -a`, modes kept), in a temporary folder.
pub fn copy_folder(src: &std::path::Path) -> (tempfile::TempDir, std::path::PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(src)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    (d, out)
}
