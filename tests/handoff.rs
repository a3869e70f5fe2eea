//! After a run: the review sheet and its corrections, the Decidim export, and
//! contributions.csv loaded into the real PostgreSQL and SQLite from Debian's packages with
//! the schemas docs/handing-on.md gives (schema/). The sample scans are processed once for
//! the whole test binary; each test works on its own copy of that output folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use urnscan::output::table::Table;

mod common;
use common::{bin, repo};

fn output(cmd: &mut Command) -> Output {
    cmd.output().expect("the command runs")
}

fn ok(cmd: &mut Command) -> String {
    let out = output(cmd);
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{cmd:?} failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn process(out: &Path, extra: &[&str]) -> String {
    ok(bin()
        .arg("process")
        .arg(repo().join("sample-scans/scans"))
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra))
}

/// The sample scans processed once (plain CSV), kept for the test binary's lifetime.
fn sample_run() -> &'static Path {
    static RUN: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &RUN.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out");
        process(&out, &[]);
        (d, out)
    })
    .1
}

/// A private copy of the sample run's folder.
fn copy_of_run() -> (tempfile::TempDir, PathBuf) {
    common::copy_folder(sample_run())
}

fn table(path: &Path) -> Table {
    Table::read(path).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()))
}

/// Fills `corrected_text` of the sheet rows whose contribution id is a key of `fill`, and
/// writes the sheet back as a French spreadsheet would (BOM, ';', CRLF).
fn fill_sheet(sheet: &Path, fill: &[(&str, &str)]) {
    let mut t = table(sheet);
    let (id, corrected) = (
        t.column("contribution_id").unwrap(),
        t.column("corrected_text").unwrap(),
    );
    for row in &mut t.rows {
        if let Some((_, text)) = fill.iter().find(|(i, _)| *i == row[id]) {
            row[corrected] = text.to_string();
        }
    }
    urnscan::output::csvfile::write_csv(
        sheet,
        urnscan::output::csvfile::Dialect::Excel,
        &t.header,
        &t.rows,
    )
    .unwrap();
}

/// What an agent types: a double space, a curly apostrophe, a decomposed accent.
const TYPED: &str = "Plus de bancs  et d\u{2019}ombre, c'est ne\u{0301}cessaire";

#[test]
fn corrections_reach_contributions_and_survive_a_rerun() {
    let (_d, out) = copy_of_run();
    let before = table(&out.join("contributions.csv"));
    let flagged = before
        .rows
        .iter()
        .filter(|r| before.get(r, "needs_review") == "true")
        .count();
    assert!(flagged >= 1, "the sample set has an answer to review");

    let sheet = out.join("review-sheet.csv");
    let said = ok(bin().args(["review", "export"]).arg(&out).arg("--all"));
    assert!(said.contains("review-sheet.csv"), "{said}");
    let s = table(&sheet);
    assert_eq!(s.rows.len(), before.rows.len(), "--all lists every answer");
    assert!(std::fs::read(&sheet)
        .unwrap()
        .starts_with("\u{FEFF}".as_bytes()));
    let ids: Vec<String> = before
        .rows
        .iter()
        .map(|r| before.get(r, "contribution_id").to_string())
        .collect();
    let ocr_of = |id: &str| {
        let r = before
            .rows
            .iter()
            .find(|r| before.get(r, "contribution_id") == id)
            .unwrap();
        before.get(r, "text").to_string()
    };
    fill_sheet(
        &sheet,
        &[(&ids[0], TYPED), (&ids[1], "Appelez le 06 12 34 56 78")],
    );
    // A filled sheet not applied yet is never overwritten by a new export.
    let filled = std::fs::read(&sheet).unwrap();
    let o = output(bin().args(["review", "export"]).arg(&out));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not applied yet"));
    assert_eq!(std::fs::read(&sheet).unwrap(), filled);

    let said = ok(bin().args(["review", "apply"]).arg(&out).arg(&sheet));
    assert!(said.contains("2 correction(s) applied"), "{said}");

    let after_path = out.join("contributions.csv");
    let after = table(&after_path);
    let row = |id: &str| {
        after
            .rows
            .iter()
            .find(|r| after.get(r, "contribution_id") == id)
            .unwrap()
            .clone()
    };
    let first = row(&ids[0]);
    let expected = urnscan::text::normalise(TYPED);
    assert_ne!(expected, TYPED);
    assert_eq!(
        after.get(&first, "text"),
        expected,
        "normalised like OCR text"
    );
    assert_eq!(after.get(&first, "reviewed"), "true");
    assert_eq!(after.get(&first, "needs_review"), "false");
    assert_eq!(after.get(&first, "ocr_text"), ocr_of(&ids[0]));
    let second = row(&ids[1]);
    assert_eq!(
        after.get(&second, "text"),
        "Appelez le [téléphone]",
        "a correction is masked like the OCR's text"
    );
    for r in &after.rows[2..] {
        assert_eq!(after.get(r, "reviewed"), "false");
        assert_eq!(after.get(r, "text"), after.get(r, "ocr_text"));
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["reviewed"], 2);
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(
        report.matches("corrigé par une personne").count(),
        2,
        "the report shows the corrections"
    );

    // A rerun of the same command gives the same file, corrections included.
    let applied = std::fs::read(&after_path).unwrap();
    process(&out, &[]);
    assert_eq!(
        String::from_utf8(std::fs::read(&after_path).unwrap()).unwrap(),
        String::from_utf8(applied).unwrap(),
        "process keeps the corrections"
    );
    // The flagged answers that were not corrected are still the ones to review.
    let said = ok(bin().args(["review", "export"]).arg(&out));
    let left = table(&sheet).rows.len();
    assert!(said.contains(&format!("{left} answer(s)")), "{said}");
}

/// The same in the spreadsheet dialect, with corrections a spreadsheet would take for
/// formulas: the apostrophes --excel adds must come off and on again exactly.
#[test]
fn corrections_survive_a_rerun_in_the_excel_dialect() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    process(&out, &["--excel"]);
    let sheet = out.join("review-sheet.csv");
    ok(bin().args(["review", "export"]).arg(&out).arg("--all"));
    let s = table(&sheet);
    let ids: Vec<String> = s
        .rows
        .iter()
        .map(|r| s.get(r, "contribution_id").to_string())
        .collect();
    let typed = ["- plus de bancs", "'=1+1 ou pas", "''tis"];
    fill_sheet(
        &sheet,
        &[
            (&ids[0], typed[0]),
            (&ids[1], typed[1]),
            (&ids[2], typed[2]),
        ],
    );
    ok(bin().args(["review", "apply"]).arg(&out).arg(&sheet));
    let path = out.join("contributions.csv");
    let applied = std::fs::read(&path).unwrap();
    assert!(
        applied.starts_with("\u{FEFF}".as_bytes()),
        "still the Excel dialect"
    );
    let t = table(&path);
    for (id, want) in ids.iter().zip(typed) {
        let r = t
            .rows
            .iter()
            .find(|r| t.get(r, "contribution_id") == id)
            .unwrap();
        let cell = urnscan::output::table::unneutralise(t.get(r, "text"));
        assert_eq!(cell, urnscan::text::normalise(want));
    }
    process(&out, &["--excel"]);
    assert_eq!(
        String::from_utf8(std::fs::read(&path).unwrap()).unwrap(),
        String::from_utf8(applied).unwrap()
    );
}

#[test]
fn sheets_that_do_not_match_the_folder_are_refused_whole() {
    let (_d, out) = copy_of_run();
    let contributions = out.join("contributions.csv");
    let original = std::fs::read(&contributions).unwrap();
    let t = table(&contributions);
    let id = t.get(&t.rows[0], "contribution_id").to_string();
    let text = t.get(&t.rows[0], "text").to_string();
    let header = "contribution_id;question_id;text;corrected_text\n";
    let cases = [
        (
            format!("{header}assises-2022-999999-Q1;Q1;x;Bonjour\n{id};Q1;{text};Vrai\n"),
            "no contribution 'assises-2022-999999-Q1'",
        ),
        (
            format!("{header}{id};Q1;une autre lecture;Bonjour\n"),
            "was read as",
        ),
        (
            format!("{header}{id};Q3;{text};Bonjour\n"),
            "has question_id",
        ),
        (
            format!("{header}{id};Q1;{text};Un\n{id};Q1;{text};Deux\n"),
            "corrected twice",
        ),
        ("a;b\n1;2\n".to_string(), "is not a review sheet"),
    ];
    for (n, (sheet, expected)) in cases.iter().enumerate() {
        let path = out.join(format!("bad{n}.csv"));
        std::fs::write(&path, sheet).unwrap();
        let o = output(bin().args(["review", "apply"]).arg(&out).arg(&path));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "case {n}: {err}");
        assert!(err.contains(expected), "case {n}: {err}");
        assert_eq!(std::fs::read(&contributions).unwrap(), original, "case {n}");
        assert!(!out.join("corrections.csv").exists(), "case {n}");
    }
    let o = output(bin().args(["review", "export"]).arg(repo().join("src")));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not an output folder"));
}

/// The import file as Decidim's admin importer reads it (`Readers::CSV`: Ruby's
/// `CSV.read(file, col_sep: ";")`, the first row naming the columns): the header and the
/// rows, each row a map from column name to cell.
fn decidim_rows(file: &Path) -> (Vec<String>, Vec<std::collections::HashMap<String, String>>) {
    let mut r = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_path(file)
        .unwrap();
    let mut records = r.records().map(|r| r.unwrap());
    let header: Vec<String> = records.next().unwrap().iter().map(String::from).collect();
    let rows = records
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect();
    (header, rows)
}

/// What Decidim's `ProposalsVerifier` refuses a file for, in the organization's default
/// locale `locale`: a missing `title/<locale>` or `body/<locale>` (its required headers),
/// or a column named twice.
fn decidim_verifier_errors(header: &[String], locale: &str) -> Vec<String> {
    let mut errors: Vec<String> = [format!("title/{locale}"), format!("body/{locale}")]
        .into_iter()
        .filter(|required| !header.contains(required))
        .map(|h| format!("missing {h}"))
        .collect();
    for (i, h) in header.iter().enumerate() {
        if header[..i].contains(h) {
            errors.push(format!("duplicate {h}"));
        }
    }
    errors
}

/// An id column as the importers turn it into ids: `scope/id` and `category/id` with
/// `to_i`, `taxonomies/ids` split at commas first (Decidim 0.30 and later). Ruby's `to_i`
/// reads anything that is not a number as 0, so a cell must be digits or empty.
fn decidim_ids(cell: &str) -> Vec<u64> {
    if cell.is_empty() {
        return vec![];
    }
    cell.split(',')
        .map(|id| {
            assert!(
                !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
                "{cell:?} is not an id list that Decidim reads"
            );
            id.parse().unwrap()
        })
        .collect()
}

#[test]
fn decidim_export_is_what_decidims_importer_reads() {
    let (_d, out) = copy_of_run();
    let t = table(&out.join("contributions.csv"));
    let mapping = out.join("decidim.toml");
    let mut urns: Vec<&str> = t.rows.iter().map(|r| t.get(r, "urn_id")).collect();
    urns.sort();
    urns.dedup();
    let number = |id: &str| id[1..].parse::<u64>().unwrap();
    let scopes: String = urns
        .iter()
        .map(|u| format!("{u} = {}\n", number(u)))
        .collect();
    let urn_taxonomies: String = urns
        .iter()
        .map(|u| format!("{u} = {}\n", 100 + number(u)))
        .collect();
    std::fs::write(
        &mapping,
        format!(
            "[scopes]\n{scopes}[categories]\nQ1 = 21\nQ2 = 22\nQ3 = 23\n\
             [taxonomies.questions]\nQ1 = [31, 41]\nQ2 = 32\nQ3 = []\n\
             [taxonomies.urns]\n{urn_taxonomies}"
        ),
    )
    .unwrap();
    let file = out.join("proposals.csv");
    let said = ok(bin()
        .args(["export", "decidim"])
        .arg(&out)
        .arg("--to")
        .arg(&file)
        .arg("--mapping")
        .arg(&mapping));
    let bytes = std::fs::read(&file).unwrap();
    assert!(
        !bytes.starts_with("\u{FEFF}".as_bytes()),
        "no BOM for Ruby's CSV"
    );
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.starts_with("title/fr;body/fr;scope/id;category/id;taxonomies/ids\n"),
        "{text}"
    );
    let (header, proposals) = decidim_rows(&file);
    assert_eq!(decidim_verifier_errors(&header, "fr"), Vec::<String>::new());
    let reviewable = t
        .rows
        .iter()
        .filter(|r| t.get(r, "needs_review") == "true")
        .count();
    assert_eq!(proposals.len(), t.rows.len() - reviewable);
    assert!(said.contains(&format!("{reviewable} held back")), "{said}");
    for p in &proposals {
        let body = &p["body/fr"];
        let c = t
            .rows
            .iter()
            .find(|c| body.contains(t.get(c, "contribution_id")))
            .expect("the body names its contribution");
        assert!(body.starts_with(t.get(c, "text")));
        assert!(t
            .get(c, "text")
            .starts_with(p["title/fr"].trim_end_matches('…')));
        let (urn, question) = (t.get(c, "urn_id"), t.get(c, "question_id"));
        // Decidim 0.30 and later: scope/id and taxonomies/ids.
        assert_eq!(decidim_ids(&p["scope/id"]), [number(urn)]);
        let urn_taxonomy = 100 + number(urn);
        let expected: Vec<u64> = match question {
            "Q1" => vec![31, 41, urn_taxonomy],
            "Q2" => vec![32, urn_taxonomy],
            _ => vec![urn_taxonomy],
        };
        assert_eq!(
            decidim_ids(&p["taxonomies/ids"]),
            expected,
            "{urn} {question}"
        );
        // Before 0.30: category/id.
        assert_eq!(decidim_ids(&p["category/id"]), [20 + number(question)]);
    }

    // Another default locale names the text columns after it.
    let o = output(
        bin()
            .args(["export", "decidim"])
            .arg(&out)
            .arg("--to")
            .arg(&file)
            .args(["--locale", "pt-BR"]),
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let (header, proposals) = decidim_rows(&file);
    assert_eq!(
        decidim_verifier_errors(&header, "pt-BR"),
        Vec::<String>::new()
    );
    assert_eq!(decidim_verifier_errors(&header, "fr").len(), 2);
    assert!(proposals.iter().all(|p| p["scope/id"].is_empty()
        && p["category/id"].is_empty()
        && p["taxonomies/ids"].is_empty()));

    // A mapping that misses an urn is refused, naming it and the section.
    for (section, missing) in [
        ("[scopes]\nU01 = 1\n", "in [scopes]"),
        ("[taxonomies.urns]\nU01 = 1\n", "in [taxonomies.urns]"),
    ] {
        std::fs::write(&mapping, section).unwrap();
        let o = output(
            bin()
                .args(["export", "decidim"])
                .arg(&out)
                .arg("--mapping")
                .arg(&mapping),
        );
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("no Decidim id for") && err.contains(missing),
            "{err}"
        );
    }
}

/// docs/handing-on.md gives the schemas: they must be the files the tests load.
#[test]
fn docs_show_the_tested_schemas() {
    let doc = std::fs::read_to_string(repo().join("docs/handing-on.md")).unwrap();
    for f in ["contributions.postgres.sql", "contributions.sqlite.sql"] {
        let sql = std::fs::read_to_string(repo().join("schema").join(f)).unwrap();
        let create = &sql[sql.find("CREATE TABLE").unwrap()..];
        assert!(
            doc.contains(create.trim()),
            "docs/handing-on.md lacks schema/{f}"
        );
    }
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn contributions_load_into_sqlite() {
    if !have("sqlite3") {
        common::cannot_run("sqlite3 is not installed (apt-get install sqlite3)");
        return;
    }
    let run = sample_run();
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join("c.db");
    let schema = repo().join("schema/contributions.sqlite.sql");
    let script = format!(
        ".bail on\n.read {}\n.import --csv --skip 1 {} contributions\n\
         SELECT count(*) FROM contributions;\n\
         SELECT count(*) FROM contributions WHERE needs_review = 'true';\n\
         SELECT text FROM contributions ORDER BY contribution_id LIMIT 1;\n",
        schema.display(),
        run.join("contributions.csv").display()
    );
    let mut child = Command::new("sqlite3")
        .arg("-batch")
        .arg(&db)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
    }
    let o = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    check_loaded(run, &stdout);
}

/// Checks a database's answers to the three queries against the CSV itself.
fn check_loaded(run: &Path, answers: &str) {
    let t = table(&run.join("contributions.csv"));
    let mut ids: Vec<(&str, &str)> = t
        .rows
        .iter()
        .map(|r| (t.get(r, "contribution_id"), t.get(r, "text")))
        .collect();
    ids.sort();
    let flagged = t
        .rows
        .iter()
        .filter(|r| t.get(r, "needs_review") == "true")
        .count();
    let lines: Vec<&str> = answers.lines().collect();
    assert_eq!(lines[0], t.rows.len().to_string(), "{answers}");
    assert_eq!(lines[1], flagged.to_string(), "{answers}");
    assert_eq!(lines[2], ids[0].1, "UTF-8 text survives the import");
}

#[test]
fn contributions_load_into_postgresql() {
    let Some(bindir) = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .and_then(|d| d.flatten().map(|e| e.path().join("bin")).max())
        .filter(|b| b.join("initdb").exists())
    else {
        common::cannot_run("PostgreSQL is not installed (apt-get install postgresql)");
        return;
    };
    if !have("psql") {
        common::cannot_run("psql is not installed (apt-get install postgresql-client)");
        return;
    }
    let run = sample_run();
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    // PostgreSQL refuses to run as root: run the server as the postgres user when we are.
    let as_server_user = |program: PathBuf| {
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    };
    if is_root() {
        let ok = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(d.path())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "chown of the test folder to postgres");
    }
    let port = 20000 + (std::process::id() % 20000);
    let init = output(
        as_server_user(bindir.join("initdb"))
            .args([
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "-U",
                "urnscan",
                "-D",
            ])
            .arg(&data),
    );
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let start = output(
        as_server_user(bindir.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-o")
            .arg(format!(
                "-k {} -p {port} -c listen_addresses=''",
                d.path().display()
            ))
            .args(["-w", "-l"])
            .arg(d.path().join("log"))
            .arg("start"),
    );
    assert!(
        start.status.success(),
        "{}",
        String::from_utf8_lossy(&start.stderr)
    );
    let stop = StopServer(as_server_user(bindir.join("pg_ctl")), data.clone());

    let o = output(
        Command::new("psql")
            .arg("-h")
            .arg(d.path())
            .args(["-p", &port.to_string(), "-U", "urnscan", "-d", "postgres"])
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .arg("-f")
            .arg(repo().join("schema/contributions.postgres.sql"))
            .arg("-c")
            .arg(format!(
                "\\copy contributions FROM '{}' WITH (FORMAT csv, HEADER true)",
                run.join("contributions.csv").display()
            ))
            .arg("-c")
            .arg("SELECT count(*) FROM contributions")
            .arg("-c")
            .arg("SELECT count(*) FROM contributions WHERE needs_review")
            .arg("-c")
            .arg("SELECT text FROM contributions ORDER BY contribution_id COLLATE \"C\" LIMIT 1"),
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    check_loaded(run, &stdout);
    drop(stop);
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Stops the test's PostgreSQL server however the test ends.
struct StopServer(Command, PathBuf);

impl Drop for StopServer {
    fn drop(&mut self) {
        let _ = self
            .0
            .arg("-D")
            .arg(&self.1)
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

/// Decisions taken in the review page (written to corrections.csv as the server writes them)
/// survive a rerun of `process`: a `not_an_answer` leaves contributions.csv and the counts
/// for not-answers.csv, named in its page's detail; an `illegible` answer stays flagged and
/// never reaches the Decidim export; an undone decision is as if never taken.
#[test]
fn review_decisions_survive_a_rerun_and_keep_the_accounting() {
    use urnscan::output::corrections::{Correction, Corrections, Decision};
    let (_d, out) = copy_of_run();
    let before = table(&out.join("contributions.csv"));
    let ids: Vec<String> = before
        .rows
        .iter()
        .map(|r| before.get(r, "contribution_id").to_string())
        .collect();
    let ocr = |i: usize| before.get(&before.rows[i], "ocr_text").to_string();
    let decision = |i: usize, decision: Decision, text: &str| {
        (
            ids[i].clone(),
            Correction {
                ocr_text: ocr(i),
                corrected_text: text.to_string(),
                decision,
                seq: 0,
            },
        )
    };
    Corrections::append(
        &out,
        &[
            decision(0, Decision::Corrected, "Plus de bancs"),
            decision(1, Decision::NotAnAnswer, ""),
            decision(2, Decision::Illegible, ""),
            decision(3, Decision::NotAnAnswer, ""),
            decision(3, Decision::Undecided, ""),
        ],
    )
    .unwrap();
    process(&out, &[]);

    let after = table(&out.join("contributions.csv"));
    let row = |id: &str| {
        after
            .rows
            .iter()
            .find(|r| after.get(r, "contribution_id") == id)
    };
    assert_eq!(after.rows.len(), before.rows.len() - 1);
    assert!(
        row(&ids[1]).is_none(),
        "not an answer: out of contributions.csv"
    );
    assert_eq!(after.get(row(&ids[0]).unwrap(), "text"), "Plus de bancs");
    let illegible = row(&ids[2]).unwrap();
    assert_eq!(after.get(illegible, "needs_review"), "true");
    assert!(after.get(illegible, "review_reasons").contains("illegible"));
    let undone = row(&ids[3]).unwrap();
    assert_eq!(after.get(undone, "text"), ocr(3));
    assert_eq!(after.get(undone, "reviewed"), "false");

    let aside = table(&out.join("not-answers.csv"));
    assert_eq!(aside.header, after.header, "the same columns");
    assert_eq!(aside.rows.len(), 1);
    assert_eq!(aside.get(&aside.rows[0], "contribution_id"), ids[1]);
    let pages = table(&out.join("pages.csv"));
    let page = pages
        .rows
        .iter()
        .find(|r| pages.get(r, "detail").contains(&ids[1]))
        .expect("the page of the answer set aside names it");
    assert!(pages.get(page, "detail").contains("not an answer"));
    assert!(!pages.get(page, "contribution_ids").contains(&ids[1]));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["contributions"], after.rows.len());
    assert_eq!(summary["not_answers"], 1);
    assert_eq!(
        summary["accounting_errors"].as_array().map(Vec::len),
        Some(0)
    );

    let said = ok(bin()
        .args(["export", "decidim"])
        .arg(&out)
        .arg("--include-unreviewed"));
    assert!(said.contains("1 illegible"), "{said}");
    let proposals = std::fs::read_to_string(out.join("decidim-proposals.csv")).unwrap();
    assert!(!proposals.contains(&ids[1]) && !proposals.contains(&ids[2]));
    assert!(proposals.contains(&ids[0]));
}
