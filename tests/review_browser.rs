//! `urnscan review`, end to end: the real server on a real output folder, driven in a
//! headless Chromium through the DevTools protocol (tests/browser/review.mjs, with Node's
//! puppeteer-core against the machine's own Chromium), then the folder checked on disk; a
//! SIGKILL right after decisions; and the API's refusals (token, Host, content type, crop
//! paths) over plain HTTP/1.1 written by hand.
//!
//! The browser tests need `node`, a Chromium and tests/browser/node_modules (all three
//! installed by scripts/deps.sh test); without them they are skipped, or fail under CI
//! (common::cannot_run). The HTTP tests need nothing more than the binary.
//!
//! What a person reads afterwards, in Cargo's scratch folder for integration tests
//! (target/tmp/review-browser/): the two screenshots of the browser test and the timing of
//! 200 Enter presses (timing.json), also printed (`cargo test --test review_browser --
//! --nocapture`).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use urnscan::output::csvfile::{write_csv, Dialect};
use urnscan::output::table::Table;
use urnscan::text::normalise;

mod common;
use common::{bin, read, repo};

fn table(path: &Path) -> Table {
    Table::read(path).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()))
}

/// Where the screenshots and the timing are kept for a person to look at.
fn keep_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("review-browser");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The sample scans read once with Debian's print model (`--ocr-model fra`), shared by the
/// tests of this file, each working on its own copy. With the default handwriting model the
/// sample has a single answer to review; the print model reads handwriting poorly and flags
/// several, which the browser test needs (it decides three and expects a fourth).
fn sample_run() -> &'static Path {
    static RUN: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &RUN.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out");
        let o = bin()
            .arg("process")
            .arg(repo().join("sample-scans/scans"))
            .arg("--out")
            .arg(&out)
            .args(["--ocr-model", "fra", "--jobs", "2", "--quiet"])
            .output()
            .unwrap();
        // 1: the sample set holds rejected pages on purpose.
        assert_eq!(
            o.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        (d, out)
    })
    .1
}

/// A private copy of the sample run's folder.
fn copy_of_run() -> (tempfile::TempDir, PathBuf) {
    common::copy_folder(sample_run())
}

/// contributions.csv's rows by contribution id.
fn rows_by_id(out: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let t = table(&out.join("contributions.csv"));
    t.rows
        .iter()
        .map(|r| {
            let row: BTreeMap<String, String> = t
                .header
                .iter()
                .map(|h| (h.clone(), t.get(r, h).to_string()))
                .collect();
            (row["contribution_id"].clone(), row)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// HTTP/1.1 by hand: the tests must be able to send what a browser never would (a foreign
// Host, `..` in a path), and no HTTP client crate is needed for that.

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, self.text()))
    }
}

/// Sends one request to 127.0.0.1:`port` with `headers` (Host among them, when the test
/// wants one), `Connection: close` and Content-Length, and reads the whole answer.
fn send(port: u16, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    try_send(port, method, target, headers, body).unwrap_or_else(|e| panic!("{e}"))
}

/// The same, saying why no answer came back (a server killed meanwhile) instead of
/// panicking.
fn try_send(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Response, String> {
    let why = |e: &dyn std::fmt::Display| format!("{method} {target}: {e}");
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| why(&e))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| why(&e))?;
    let mut request = format!("{method} {target} HTTP/1.1\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!(
        "Connection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    ));
    stream.write_all(request.as_bytes()).map_err(|e| why(&e))?;
    // A server may answer (403, 415) before the body and close: then the write fails, and
    // the answer is still there to read.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    // A server that answers without reading the body may reset the connection after its
    // answer: what was read before the reset is the answer.
    if let Err(e) = stream.read_to_end(&mut raw) {
        if raw.is_empty() {
            return Err(why(&format!("no answer ({e})")));
        }
    }
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| {
            why(&format!(
                "no HTTP header in {:?}",
                String::from_utf8_lossy(&raw)
            ))
        })?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| why(&format!("status line {status_line:?}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut response = Response {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    };
    if response
        .header("Transfer-Encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        response.body = dechunk(&response.body);
    }
    Ok(response)
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let eol = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size = std::str::from_utf8(&raw[..eol]).unwrap();
        let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap();
        raw = &raw[eol + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

// ---------------------------------------------------------------------------------------
// The server.

/// `urnscan review OUT --no-browser` running; killed when dropped.
struct Server {
    child: Option<Child>,
    url: String,
    port: u16,
    token: String,
    stderr: PathBuf,
}

impl Server {
    /// Starts the server on `out` and reads the URL it prints first. Its stderr goes to a
    /// file beside `out` (said when a test fails); the rest of its stdout is drained.
    fn start(out: &Path) -> Server {
        // Beside the folder, not in it; one log per start (a test restarts the server).
        let stderr = out.with_extension(format!("review-{}.err", fastrand::u32(..)));
        let mut child = bin()
            .arg("review")
            .arg(out)
            .arg("--no-browser")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("urnscan review starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines {}
        });
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(Some(Ok(line))) => line,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "urnscan review printed no URL within 30 s ({other:?}); stderr:\n{}",
                    read(&stderr)
                );
            }
        };
        let rest = line
            .strip_prefix("http://127.0.0.1:")
            .unwrap_or_else(|| panic!("first line is not the URL: {line:?}"));
        let (port, query) = rest.split_once("/?token=").unwrap_or_else(|| {
            panic!("first line is not http://127.0.0.1:PORT/?token=TOKEN: {line:?}")
        });
        let port: u16 = port.parse().unwrap();
        assert!(port > 0 && !query.is_empty(), "{line:?}");
        let token = query.to_string();
        Server {
            child: Some(child),
            url: line,
            port,
            token,
            stderr,
        }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A request as the page's script would make it: the right Host, the token header, JSON.
    fn api(&self, method: &str, path: &str, body: Option<&Value>) -> Response {
        let host = self.host();
        let mut headers = vec![("Host", host.as_str()), ("X-Urnscan-Token", &self.token)];
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        send(self.port, method, path, &headers, &bytes)
    }

    fn answers(&self) -> Vec<Value> {
        let r = self.api("GET", "/api/answers", None);
        assert_eq!(r.status, 200, "GET /api/answers: {}", r.text());
        r.json().as_array().expect("a JSON array").clone()
    }

    fn answer(&self, id: &str) -> Value {
        let r = self.api("GET", &format!("/api/answers/{id}"), None);
        assert_eq!(r.status, 200, "GET /api/answers/{id}: {}", r.text());
        r.json()
    }

    /// PUTs a decision with the text in the field, as the page sends it whatever the key.
    fn decide(&self, id: &str, decision: &str, text: &str) -> Value {
        let body = json!({ "decision": decision, "text": text });
        let r = self.api("PUT", &format!("/api/answers/{id}"), Some(&body));
        assert_eq!(r.status, 200, "PUT {id} {body}: {}", r.text());
        // {"answer": the answer as it now stands, "overridden": the decision another page
        // took since this one looked, or null}.
        let r = r.json();
        assert_eq!(r["overridden"], Value::Null, "{r}");
        r.get("answer")
            .cloned()
            .unwrap_or_else(|| panic!("PUT {id}: no \"answer\" in {r}"))
    }

    /// Sends `signal` (TERM or INT, what Ctrl-C sends) and waits for the exit, at most 10 s.
    /// kill(1) rather than libc::kill: no unsafe code outside src/sys.rs.
    fn stop(mut self, signal: &str) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        let sent = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(sent.success());
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if started.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "urnscan review did not stop within 10 s of SIG{signal}; stderr:\n{}",
                    read(&self.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL (what Child::kill sends on Unix): no chance to finish anything.
    fn kill(mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

// ---------------------------------------------------------------------------------------
// The browser.

struct Browser {
    node: PathBuf,
    chromium: PathBuf,
}

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find_map(|dir| {
        names
            .iter()
            .map(|name| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Node, a Chromium and puppeteer-core, or why not (said through common::cannot_run).
fn browser() -> Option<Browser> {
    let Some(node) = on_path(&["node", "nodejs"]) else {
        common::cannot_run("node is not installed (scripts/deps.sh test installs nodejs and npm)");
        return None;
    };
    // puppeteer-core 24 runs on Node 18 (Debian 12's) and newer.
    let version = Command::new(&node)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 18 {
        common::cannot_run(&format!(
            "node {version:?} is too old for puppeteer-core (18 or newer)"
        ));
        return None;
    }
    let Some(chromium) = on_path(&["chromium", "chromium-browser", "google-chrome"]) else {
        common::cannot_run("chromium is not installed (apt-get install chromium)");
        return None;
    };
    if !repo()
        .join("tests/browser/node_modules/puppeteer-core/package.json")
        .is_file()
    {
        common::cannot_run(
            "tests/browser/node_modules is missing (scripts/deps.sh test runs npm ci --prefix tests/browser)",
        );
        return None;
    }
    Some(Browser { node, chromium })
}

impl Browser {
    /// Runs tests/browser/review.mjs on the server's URL and returns its JSON report.
    fn run(&self, server: &Server, mode: &str, extra: &[&str]) -> Value {
        let o = Command::new(&self.node)
            .arg(repo().join("tests/browser/review.mjs"))
            .arg("--url")
            .arg(&server.url)
            .arg("--chromium")
            .arg(&self.chromium)
            .args(["--mode", mode])
            .args(extra)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "review.mjs --mode {mode} failed ({}):\n{}\nserver's stderr:\n{}",
            o.status,
            String::from_utf8_lossy(&o.stderr),
            read(&server.stderr)
        );
        let report: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
            panic!(
                "review.mjs printed no JSON ({e}):\n{}",
                String::from_utf8_lossy(&o.stdout)
            )
        });
        // Nothing went wrong in the page: no script error, no console error (a CSP
        // violation is one), no failed request.
        for kind in ["console", "page", "http"] {
            assert_eq!(
                report["problems"][kind],
                json!([]),
                "the page's {kind} problems"
            );
        }
        report
    }
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// Whether `#position` reads "N / TOTAL" (what follows, the answer's id, is the page's).
fn at_position(position: &Value, n: usize, total: usize) -> bool {
    let p = s(position);
    let head = format!("{n} / {total}");
    p.strip_prefix(&head)
        .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_digit()))
}

#[test]
fn review_in_headless_chromium_corrects_confirms_and_sets_aside() {
    let Some(browser) = browser() else { return };
    let (_d, out) = copy_of_run();
    let before = rows_by_id(&out);
    let server = Server::start(&out);
    let answers = server.answers();
    assert_eq!(answers.len(), before.len(), "every contribution is served");
    let flagged: Vec<&Value> = answers
        .iter()
        .filter(|a| a["needs_review"] == json!(true))
        .collect();
    assert!(
        flagged.len() >= 4,
        "the sample read with --ocr-model fra flags at least 4 answers: {}",
        flagged.len()
    );
    let by_id: BTreeMap<&str, &Value> = answers
        .iter()
        .map(|a| (s(&a["contribution_id"]), a))
        .collect();

    let shots = tempfile::tempdir().unwrap();
    let report = browser.run(
        &server,
        "flow",
        &["--screenshots", shots.path().to_str().unwrap()],
    );
    let steps = report["steps"].as_array().unwrap();
    let total = flagged.len();
    let ids: Vec<&str> = steps.iter().map(|st| s(&st["id"])).collect();
    for (i, st) in steps.iter().enumerate() {
        let id = ids[i];
        let answer = by_id
            .get(id)
            .unwrap_or_else(|| panic!("the page shows {id}, which the API does not list"));
        assert_eq!(
            answer["needs_review"],
            json!(true),
            "{id}: the default list is the flagged answers"
        );
        assert!(
            at_position(&st["position"], i + 1, total),
            "#position: {st}"
        );
        assert_eq!(
            st["progress"],
            json!({ "decided": i, "total": total }),
            "{st}"
        );
        assert_eq!(
            st["text"], answer["text"],
            "{id}: the field holds the text read"
        );
        assert_eq!(st["decision"], json!(""), "{st}");
        // Keyboard first: the field has the focus as soon as an answer is shown.
        assert_eq!(st["focus_before"], json!("text"), "{id}: focus in #text");
        assert!(
            st["crop"]["complete"] == json!(true) && st["crop"]["natural_width"].as_u64() > Some(0),
            "{id}: crop drawn: {}",
            st["crop"]
        );
        for field in ["question", "urn", "reasons"] {
            assert!(!s(&st[field]).is_empty(), "{id}: #{field} is empty");
        }
    }
    assert_eq!(ids.len(), 3);
    assert!(
        ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2],
        "{ids:?}"
    );
    let typed = s(&report["correction"]);
    // What is stored is the typed text as urnscan normalises every text (quotes, spaces,
    // NFC), as `review apply` does.
    let normalised = normalise(typed);
    let correction = normalised.as_str();
    assert_eq!(
        steps[0]["shift_enter"],
        json!({ "stayed": true, "newline_added": true }),
        "Shift+Enter adds a line and stays"
    );
    assert_eq!(steps[0]["typed"], json!(typed));
    assert_ne!(s(&steps[0]["text"]), correction);

    // Before and after the reload: the fourth answer, three decided.
    let fourth = &report["fourth"];
    let reloaded = &report["reloaded"];
    assert_eq!(
        fourth["progress"],
        json!({ "decided": 3, "total": total }),
        "{fourth}"
    );
    let id4 = s(&reloaded["id"]);
    assert_eq!(
        reloaded["id"], fourth["id"],
        "the reload opens on the first undecided answer"
    );
    assert!(!ids.contains(&id4));
    assert!(at_position(&reloaded["position"], 4, total), "{reloaded}");
    assert_eq!(
        reloaded["progress"],
        json!({ "decided": 3, "total": total }),
        "{reloaded}"
    );
    assert_eq!(reloaded["decision"], json!(""), "{reloaded}");
    assert_eq!(reloaded["text"], by_id[id4]["text"], "{reloaded}");

    // The API agrees.
    let a = server.answer(ids[0]);
    assert_eq!(
        (&a["decision"], &a["text"]),
        (&json!("corrected"), &json!(correction))
    );
    assert_eq!(
        a["ocr_text"], by_id[ids[0]]["ocr_text"],
        "the OCR's reading is kept"
    );
    assert_eq!(server.answer(ids[1])["decision"], json!("confirmed"));
    assert_eq!(server.answer(ids[2])["decision"], json!("not_an_answer"));
    assert_eq!(server.answer(id4)["decision"], Value::Null);

    // Ctrl-C stops it; its exit status is checked last, once the files have been.
    let status = server.stop("INT");

    // On disk: corrections.csv, three decisions in order.
    let corrections = read(&out.join("corrections.csv"));
    assert_eq!(
        corrections.lines().next(),
        Some("contribution_id,ocr_text,corrected_text,decision"),
        "corrections.csv's header"
    );
    let t = table(&out.join("corrections.csv"));
    let got: Vec<(&str, &str, &str)> = t
        .rows
        .iter()
        .map(|r| {
            (
                t.get(r, "contribution_id"),
                t.get(r, "ocr_text"),
                t.get(r, "decision"),
            )
        })
        .collect();
    let ocr = |id: &str| before[id]["ocr_text"].as_str();
    assert_eq!(
        got,
        vec![
            (ids[0], ocr(ids[0]), "corrected"),
            (ids[1], ocr(ids[1]), "confirmed"),
            (ids[2], ocr(ids[2]), "not_an_answer"),
        ]
    );
    assert_eq!(t.get(&t.rows[0], "corrected_text"), correction);
    assert_eq!(t.get(&t.rows[1], "corrected_text"), before[ids[1]]["text"]);

    // contributions.csv: the corrected and confirmed texts, reviewed; the third one gone.
    let after = rows_by_id(&out);
    assert_eq!(after.len(), before.len() - 1);
    assert!(
        !after.contains_key(ids[2]),
        "not an answer: out of contributions.csv"
    );
    for (id, text) in [
        (ids[0], correction),
        (ids[1], before[ids[1]]["text"].as_str()),
    ] {
        let row = &after[id];
        assert_eq!(row["text"], text, "{id}");
        assert_eq!(row["ocr_text"], before[id]["ocr_text"], "{id}");
        assert_eq!(row["reviewed"], "true", "{id}");
        assert_eq!(row["needs_review"], "false", "{id}");
    }
    for (id, row) in &after {
        if id != ids[0] && id != ids[1] {
            assert_eq!(row, &before[id], "{id} untouched");
        }
    }
    // The one set aside is still accounted for: in not-answers.csv and pages.csv's detail.
    assert!(
        read(&out.join("not-answers.csv")).contains(ids[2]),
        "not-answers.csv names {}",
        ids[2]
    );
    let pages = table(&out.join("pages.csv"));
    let page = pages
        .rows
        .iter()
        .find(|r| pages.get(r, "source_file") == before[ids[2]]["source_file"])
        .expect("the page of the answer set aside");
    assert!(
        pages.get(page, "detail").contains(ids[2]),
        "pages.csv's detail: {:?}",
        pages.get(page, "detail")
    );
    // And the counts follow: summary.json agrees with contributions.csv.
    let summary: Value = serde_json::from_str(&read(&out.join("summary.json"))).unwrap();
    assert_eq!(
        summary["contributions"],
        json!(after.len()),
        "summary.json's contributions"
    );
    let needs_review = after
        .values()
        .filter(|r| r["needs_review"] == "true")
        .count();
    assert_eq!(
        summary["needs_review"],
        json!(needs_review),
        "summary.json's needs_review"
    );

    // The screenshots, kept for a person to look at.
    let keep = keep_dir();
    let mut kept = Vec::new();
    for shot in report["screenshots"].as_array().unwrap() {
        let shot = Path::new(s(shot));
        let image = image::open(shot).unwrap().to_luma8();
        assert_eq!(image.dimensions(), (1280, 900), "{}", shot.display());
        let dark = image.pixels().filter(|p| p.0[0] < 100).count();
        assert!(
            dark > 500,
            "{} is drawn ({dark} dark pixels)",
            shot.display()
        );
        let to = keep.join(shot.file_name().unwrap());
        std::fs::copy(shot, &to).unwrap();
        kept.push(to);
    }
    assert_eq!(kept.len(), 2);
    assert_eq!(status.code(), Some(0), "exit status after SIGINT: {status}");
    println!(
        "review in {}: {total} flagged; decided {ids:?} in {} / {} / {} ms (page's measure); screenshots {kept:?}",
        report["chromium"], steps[0]["ms"], steps[1]["ms"], steps[2]["ms"]
    );
}

#[test]
fn decisions_survive_a_sigkill_right_after_they_are_saved() {
    let (_d, out) = copy_of_run();
    let before = rows_by_id(&out);
    let server = Server::start(&out);
    let flagged: Vec<String> = server
        .answers()
        .iter()
        .filter(|a| a["needs_review"] == json!(true) && a["decision"].is_null())
        .map(|a| s(&a["contribution_id"]).to_string())
        .collect();
    assert!(flagged.len() >= 4, "{flagged:?}");

    // One decision, then SIGKILL at once: the 200 means it is on disk.
    let typed = "Écrit juste avant le kill, « sans perte »";
    let normalised = normalise(typed);
    let text = normalised.as_str();
    let a = server.decide(&flagged[0], "corrected", typed);
    assert_eq!(
        (&a["decision"], &a["text"]),
        (&json!("corrected"), &json!(text))
    );
    server.kill();
    let t = table(&out.join("corrections.csv"));
    let last = t.rows.last().expect("a row in corrections.csv");
    assert_eq!(
        (
            t.get(last, "contribution_id"),
            t.get(last, "corrected_text"),
            t.get(last, "decision")
        ),
        (flagged[0].as_str(), text, "corrected")
    );
    // contributions.csv is whole: written atomically, never half.
    assert_eq!(rows_by_id(&out).len(), before.len());

    // Restarted: the decision is there, and contributions.csv catches up.
    let server = Server::start(&out);
    let a = server.answer(&flagged[0]);
    assert_eq!(
        (&a["decision"], &a["text"]),
        (&json!("corrected"), &json!(text))
    );
    let caught_up = |out: &Path| {
        let started = Instant::now();
        loop {
            let rows = rows_by_id(out);
            let row = &rows[&flagged[0]];
            if row["text"] == text && row["reviewed"] == "true" {
                return true;
            }
            if started.elapsed() > Duration::from_secs(2) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    assert!(
        caught_up(&out),
        "contributions.csv has the corrected text within 2 s of the restart"
    );

    // Three decisions in a row, as fast as a script sends them, then SIGKILL again.
    server.decide(&flagged[1], "confirmed", &before[&flagged[1]]["text"]);
    server.decide(&flagged[2], "illegible", &before[&flagged[2]]["text"]);
    server.decide(&flagged[3], "not_an_answer", &before[&flagged[3]]["text"]);
    server.kill();
    let server = Server::start(&out);
    let got: Vec<Value> = flagged[..4]
        .iter()
        .map(|id| server.answer(id)["decision"].clone())
        .collect();
    assert_eq!(
        got,
        vec![
            json!("corrected"),
            json!("confirmed"),
            json!("illegible"),
            json!("not_an_answer")
        ]
    );
    let illegible = server.answer(&flagged[2]);
    assert_eq!(
        illegible["needs_review"],
        json!(true),
        "illegible stays flagged"
    );
    assert!(
        illegible["review_reasons"]
            .as_array()
            .unwrap()
            .contains(&json!("illegible")),
        "{illegible}"
    );

    // A burst of decisions, one answer after another, with SIGKILL landing in the middle
    // of it: every decision answered 200 stands after the restart (the one in flight may
    // or may not), and the files are whole.
    let rest: Vec<String> = server
        .answers()
        .iter()
        .map(|a| s(&a["contribution_id"]).to_string())
        .filter(|id| !flagged[..4].contains(id))
        .collect();
    let (port, token) = (server.port, server.token.clone());
    let (tx, rx) = mpsc::channel();
    let burst = {
        let rest = rest.clone();
        std::thread::spawn(move || {
            let host = format!("127.0.0.1:{port}");
            for (i, id) in rest.iter().enumerate() {
                let body =
                    json!({ "decision": "corrected", "text": format!("relu en rafale {i}") });
                let r = try_send(
                    port,
                    "PUT",
                    &format!("/api/answers/{id}"),
                    &[
                        ("Host", &host),
                        ("X-Urnscan-Token", &token),
                        ("Content-Type", "application/json"),
                    ],
                    body.to_string().as_bytes(),
                );
                match r {
                    Ok(r) if r.status == 200 => tx.send(i).unwrap(),
                    _ => return,
                }
            }
        })
    };
    // Killed once three are saved, while the next ones are on their way.
    let acknowledged: Vec<usize> = rx.iter().take(3).collect();
    server.kill();
    burst.join().unwrap();
    let acknowledged = acknowledged.len() + rx.try_iter().count();
    assert!(acknowledged < rest.len(), "the kill landed after the burst");
    println!(
        "burst: SIGKILL after {acknowledged} of {} decisions answered 200",
        rest.len()
    );
    let server = Server::start(&out);
    for (i, id) in rest.iter().enumerate().take(acknowledged) {
        let a = server.answer(id);
        assert_eq!(
            (&a["decision"], &a["text"]),
            (&json!("corrected"), &json!(format!("relu en rafale {i}"))),
            "decision {i} of the burst, answered 200 before the kill"
        );
    }
    let rows = rows_by_id(&out);
    assert_eq!(rows.len(), before.len() - 1, "contributions.csv whole");
    assert_eq!(rows[&rest[0]]["text"], "relu en rafale 0");

    // Undo through the API: the answer is undecided again.
    let undone = server.decide(&flagged[0], "undecided", text);
    assert_eq!(undone["decision"], Value::Null, "{undone}");
    assert_eq!(server.answer(&flagged[0])["decision"], Value::Null);
    let status = server.stop("TERM");

    let after = rows_by_id(&out);
    assert!(
        !after.contains_key(&flagged[3]),
        "not an answer: out of contributions.csv"
    );
    let row = &after[&flagged[2]];
    assert_eq!(row["needs_review"], "true");
    assert!(
        row["review_reasons"].split('|').any(|r| r == "illegible"),
        "{row:?}"
    );
    let row = &after[&flagged[1]];
    assert_eq!(
        (row["reviewed"].as_str(), row["needs_review"].as_str()),
        ("true", "false")
    );
    assert_eq!(
        status.code(),
        Some(0),
        "exit status after SIGTERM: {status}"
    );
}

#[test]
fn api_refuses_no_token_foreign_hosts_form_posts_and_paths_out_of_crops() {
    let (_d, out) = copy_of_run();
    let server = Server::start(&out);
    let (port, token) = (server.port, server.token.clone());
    let host = server.host();
    let answers = server.answers();
    let id = s(&answers[0]["contribution_id"]).to_string();
    let crop_url = s(&answers[0]["crop_url"]).to_string();
    let json_body = json!({ "decision": "corrected", "text": "pirate" }).to_string();
    let mut results: Vec<(String, u16)> = Vec::new();
    let mut check = |what: &str, r: Response, ok: &dyn Fn(u16) -> bool| {
        assert!(ok(r.status), "{what}: got {} {}", r.status, r.text());
        results.push((what.to_string(), r.status));
        r
    };
    let forbidden = |st: u16| st == 403;
    let refused = |st: u16| (400..500).contains(&st);

    // The token.
    check(
        "GET /api/answers without a token",
        send(port, "GET", "/api/answers", &[("Host", &host)], b""),
        &forbidden,
    );
    check(
        "GET /api/answers with a wrong token",
        send(
            port,
            "GET",
            "/api/answers",
            &[("Host", &host), ("X-Urnscan-Token", "0123456789abcdef")],
            b"",
        ),
        &forbidden,
    );
    check(
        "GET / without a token",
        send(port, "GET", "/", &[("Host", &host)], b""),
        &forbidden,
    );
    check(
        "GET /?token=wrong",
        send(port, "GET", "/?token=wrong", &[("Host", &host)], b""),
        &forbidden,
    );
    check(
        "GET a crop without a token",
        send(port, "GET", &crop_url, &[("Host", &host)], b""),
        &forbidden,
    );
    check(
        "PUT without a token",
        send(
            port,
            "PUT",
            &format!("/api/answers/{id}"),
            &[("Host", &host), ("Content-Type", "application/json")],
            json_body.as_bytes(),
        ),
        &forbidden,
    );

    // The page itself, with the token: a cookie for the page's requests, and a strict CSP.
    let page = check(
        "GET /?token=TOKEN",
        send(
            port,
            "GET",
            &format!("/?token={token}"),
            &[("Host", &host)],
            b"",
        ),
        &|st| st == 200,
    );
    assert!(
        page.header("Set-Cookie").is_some(),
        "the page sets its cookie"
    );
    let csp = page
        .header("Content-Security-Policy")
        .expect("a Content-Security-Policy")
        .to_string();
    let script_src = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .or_else(|| {
            csp.split(';')
                .map(str::trim)
                .find(|d| d.starts_with("default-src"))
        })
        .unwrap_or_else(|| panic!("no script-src nor default-src in {csp:?}"));
    for loose in [
        "'unsafe-inline'",
        "'unsafe-eval'",
        "*",
        "http:",
        "https:",
        "data:",
    ] {
        assert!(
            !script_src.split_whitespace().any(|w| w == loose),
            "CSP allows {loose} scripts: {csp:?}"
        );
    }

    // DNS rebinding: a page of another site resolved to 127.0.0.1 sends its own Host.
    for foreign in [
        format!("evil.example:{port}"),
        "evil.example".to_string(),
        format!("127.0.0.1.nip.io:{port}"),
        format!("localhost.evil:{port}"),
    ] {
        check(
            &format!("GET /api/answers with Host {foreign}"),
            send(
                port,
                "GET",
                "/api/answers",
                &[("Host", &foreign), ("X-Urnscan-Token", &token)],
                b"",
            ),
            &forbidden,
        );
    }
    check(
        "GET /api/answers without Host",
        send(
            port,
            "GET",
            "/api/answers",
            &[("X-Urnscan-Token", &token)],
            b"",
        ),
        &refused,
    );

    // Cross-site form posts: only JSON changes anything.
    let put = format!("/api/answers/{id}");
    let cookie_free = [("Host", host.as_str()), ("X-Urnscan-Token", token.as_str())];
    for (ct, body) in [
        ("application/x-www-form-urlencoded", "decision=corrected&text=pirate".to_string()),
        ("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"decision\"\r\n\r\ncorrected\r\n--x--\r\n".to_string()),
        ("text/plain", json_body.clone()),
    ] {
        let mut headers = cookie_free.to_vec();
        headers.push(("Content-Type", ct));
        check(&format!("PUT as {ct}"), send(port, "PUT", &put, &headers, body.as_bytes()), &|st| st == 415 || st == 403);
    }
    check(
        "PUT without Content-Type",
        send(port, "PUT", &put, &cookie_free, json_body.as_bytes()),
        &refused,
    );
    check(
        "PUT an unknown decision",
        server.api("PUT", &put, Some(&json!({ "decision": "maybe" }))),
        &refused,
    );
    check(
        "GET an unknown answer",
        server.api("GET", "/api/answers/assises-2022-999999-Q9", None),
        &|st| st == 404,
    );
    check(
        "PUT an unknown answer",
        server.api(
            "PUT",
            "/api/answers/assises-2022-999999-Q9",
            Some(&json!({ "decision": "confirmed" })),
        ),
        &|st| st == 404,
    );
    assert_eq!(
        server.answer(&id)["decision"],
        Value::Null,
        "nothing refused was decided"
    );
    assert!(
        !out.join("corrections.csv").exists()
            || table(&out.join("corrections.csv")).rows.is_empty(),
        "nothing refused was written"
    );

    // Crops: from OUT/crops only.
    let crop = check(
        "GET a crop with the token",
        server.api("GET", &crop_url, None),
        &|st| st == 200,
    );
    assert!(crop.body.starts_with(&[0xff, 0xd8]), "a JPEG");
    for target in [
        "/crops/../contributions.csv",
        "/crops/%2e%2e/contributions.csv",
        "/crops/%2E%2E/contributions.csv",
        "/crops/..%2fcontributions.csv",
        "/crops/%2e%2e%2fcontributions.csv",
        "/crops/..%5ccontributions.csv",
        "/crops/../../../../../../etc/passwd",
        "/crops//etc/passwd",
        "/crops/%2fetc%2fpasswd",
        "/crops/",
        "/crops/missing.jpg",
    ] {
        let r = check(
            &format!("GET {target}"),
            server.api("GET", target, None),
            &|st| st != 200,
        );
        let body = r.text();
        assert!(
            !body.contains("contribution_id") && !body.contains("root:"),
            "{target} leaked: {body}"
        );
    }
    drop(server);

    println!("security checks ({} requests):", results.len());
    for (what, status) in &results {
        println!("  {status}  {what}");
    }
}

/// An output folder of `n` flagged answers, as `urnscan process` writes it
/// (contributions.csv, pages.csv, summary.json, crops/), made from the sample run's rows and
/// crops, each answer with its own crop file.
fn flagged_folder(out: &Path, n: usize) {
    let sample = sample_run();
    let t = table(&sample.join("contributions.csv"));
    std::fs::create_dir_all(out.join("crops")).unwrap();
    let col = |name: &str| t.column(name).unwrap_or_else(|| panic!("no {name} column"));
    let mut rows = Vec::new();
    let mut pages = Vec::new();
    let mut by_urn_question: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let p = table(&sample.join("pages.csv"));
    for i in 0..n {
        let mut row = t.rows[i % t.rows.len()].clone();
        let serial = format!("{}", 900_000 + i);
        let question = row[col("question_id")].clone();
        let id = format!("assises-2022-{serial}-{question}");
        let crop = format!("crops/{serial}-answer-synth.jpg");
        std::fs::copy(sample.join(&row[col("crop_file")]), out.join(&crop)).unwrap();
        let source = format!("synth-{i:03}.jpg");
        row[col("contribution_id")] = id.clone();
        row[col("serial")] = serial.clone();
        row[col("needs_review")] = "true".into();
        row[col("review_reasons")] = "low_confidence".into();
        row[col("reviewed")] = "false".into();
        row[col("source_file")] = source.clone();
        row[col("page")] = "1".into();
        row[col("crop_file")] = crop;
        *by_urn_question
            .entry(row[col("urn_id")].clone())
            .or_default()
            .entry(question)
            .or_default() += 1;
        let mut page = vec![String::new(); p.header.len()];
        for (name, value) in [
            ("source_file", source.as_str()),
            ("page", "1"),
            ("status", "ok"),
            ("detail", "1 answer(s), tilt 0.0°"),
            ("serial", &serial),
            ("orientation", "0"),
            ("contribution_ids", &id),
        ] {
            page[p.column(name).unwrap()] = value.to_string();
        }
        pages.push(page);
        rows.push(row);
    }
    write_csv(
        &out.join("contributions.csv"),
        Dialect::Plain,
        &t.header,
        &rows,
    )
    .unwrap();
    write_csv(&out.join("pages.csv"), Dialect::Plain, &p.header, &pages).unwrap();
    let mut summary: Value = serde_json::from_str(&read(&sample.join("summary.json"))).unwrap();
    for key in ["files", "pages_read", "ok", "contributions", "needs_review"] {
        summary[key] = json!(n);
    }
    for key in ["blank", "duplicate", "rejected", "reviewed", "resumed"] {
        summary[key] = json!(0);
    }
    summary["rejected_by_reason"] = json!({});
    summary["problems"] = json!([]);
    summary["duplicates"] = json!([]);
    summary["contributions_by_urn_question"] = json!(by_urn_question);
    std::fs::write(
        out.join("summary.json"),
        serde_json::to_vec_pretty(&summary).unwrap(),
    )
    .unwrap();
}

#[test]
fn two_hundred_enter_presses_in_headless_chromium_are_timed() {
    let Some(browser) = browser() else { return };
    const N: usize = 200;
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    flagged_folder(&out, N);
    let server = Server::start(&out);
    assert_eq!(server.answers().len(), N);
    let report = browser.run(&server, "timing", &[]);
    let status = server.stop("TERM");

    // The figures first, kept and printed whatever follows.
    let timing = json!({
        "answers": N,
        "chromium": report["chromium"],
        "from": "keydown of Enter in #text to the next answer shown with #saved[data-state=saved] (the page's performance.now)",
        "median_ms": report["median_ms"],
        "p95_ms": report["p95_ms"],
        "max_ms": report["max_ms"],
        "min_ms": report["min_ms"],
        "last_save_ms": report["last_save_ms"],
        "wall_s": report["wall_s"],
    });
    let path = keep_dir().join("timing.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&timing).unwrap()).unwrap();
    println!(
        "Enter → next answer saved, {N} flagged answers: median {} ms, p95 {} ms, max {} ms \
         (last answer's save {} ms; {} s in all); {}",
        report["median_ms"],
        report["p95_ms"],
        report["max_ms"],
        report["last_save_ms"],
        report["wall_s"],
        path.display()
    );
    // Measured, not asserted: only that the figures are figures, and not absurd.
    for key in ["median_ms", "p95_ms", "max_ms", "last_save_ms"] {
        let ms = report[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key}: {report}"));
        assert!(ms > 0.0 && ms < 15_000.0, "{key} = {ms}");
    }
    assert_eq!(report["presses"], json!(N), "{report}");
    assert_eq!(report["answers_shown"], json!(N), "{report}");
    assert_eq!(
        report["focus_lost"],
        json!(0),
        "the field keeps the focus: {report}"
    );
    assert_eq!(
        report["end"]["progress"],
        json!({ "decided": N, "total": N }),
        "{report}"
    );

    let t = table(&out.join("corrections.csv"));
    assert_eq!(t.rows.len(), N);
    assert!(t.rows.iter().all(|r| t.get(r, "decision") == "confirmed"));
    let decided: std::collections::BTreeSet<&str> =
        t.rows.iter().map(|r| t.get(r, "contribution_id")).collect();
    assert_eq!(decided.len(), N, "each answer once");
    let after = rows_by_id(&out);
    assert_eq!(after.len(), N);
    assert!(after
        .values()
        .all(|r| r["reviewed"] == "true" && r["needs_review"] == "false"));
    assert_eq!(
        status.code(),
        Some(0),
        "exit status after SIGTERM: {status}"
    );
}

/// Two agents, each running `urnscan review` on one folder, decide the same answer: both
/// decisions are kept in the log, the last one stands in contributions.csv, and the second
/// agent's page is told that it replaced a decision taken since it looked.
#[test]
fn two_servers_on_one_folder_keep_both_decisions_and_the_last_wins() {
    let (_d, out) = copy_of_run();
    let a = Server::start(&out);
    let b = Server::start(&out);
    assert_ne!(a.port, b.port);
    let id = s(&a.answers()[0]["contribution_id"]).to_string();
    // Both pages looked before either decided (decision_seq 0).
    let put = |server: &Server, body: Value| {
        let r = server.api("PUT", &format!("/api/answers/{id}"), Some(&body));
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    };
    let first = put(
        &a,
        json!({ "decision": "corrected", "text": "Plus de bancs", "seen": 0 }),
    );
    assert_eq!(first["overridden"], Value::Null, "{first}");
    let second = put(&b, json!({ "decision": "illegible", "seen": 0 }));
    assert_eq!(
        second["overridden"]["decision"],
        json!("corrected"),
        "the second page is told what it replaced: {second}"
    );
    assert_eq!(second["overridden"]["text"], json!("Plus de bancs"));
    // Each server reads the folder afresh: both see the standing decision.
    assert_eq!(a.answer(&id)["decision"], json!("illegible"));
    assert_eq!(b.answer(&id)["decision"], json!("illegible"));
    let log = read(&out.join("corrections.csv"));
    assert_eq!(
        log.lines().count(),
        3,
        "a header and both decisions:\n{log}"
    );
    let rows = rows_by_id(&out);
    assert!(rows[&id]["review_reasons"].contains("illegible"));
    assert_eq!(rows[&id]["needs_review"], "true");
    a.kill();
    b.kill();
}
