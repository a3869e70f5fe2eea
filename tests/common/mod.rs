//! What the integration tests share.

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
