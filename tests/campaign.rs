//! A campaign is data: a second campaign (tests/fixtures/velo-strasbourg-2025: another
//! city, its own questions and urns, one checkbox group named `mode`, another payload
//! template) goes through the real binary (`layout check`, `generate --layout`, `process
//! --layout`, `report`, `review export`) and every column of its CSV files is checked
//! against the generator's truth and the campaign's registries.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use urnscan::output::table::Table;

mod common;
use common::bin;

const CAMPAIGN: &str = "velo-strasbourg-2025";

fn layout() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/velo-strasbourg-2025")
}

/// Runs `cmd`, which must exit with one of `codes`.
fn run(cmd: &mut Command, codes: &[i32]) -> Output {
    let out = cmd.output().expect("the urnscan binary runs");
    let code = out.status.code().unwrap_or(-1);
    assert!(
        codes.contains(&code),
        "urnscan exited {code}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn table(path: &Path) -> Table {
    Table::read(path).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()))
}

/// Rows of a table as maps by column name.
fn rows(t: &Table) -> Vec<HashMap<String, String>> {
    t.rows
        .iter()
        .map(|r| {
            t.header
                .iter()
                .map(|h| (h.clone(), t.get(r, h).to_string()))
                .collect()
        })
        .collect()
}

/// A registry of the layout folder, by its first column.
fn registry(file: &str) -> HashMap<String, Vec<String>> {
    let t = table(&layout().join(file));
    t.rows.iter().map(|r| (r[0].clone(), r.clone())).collect()
}

#[test]
fn another_campaign_drives_every_column() {
    let d = tempfile::tempdir().unwrap();
    let said = run(bin().args(["layout", "check"]).arg(layout()), &[0]);
    let said = String::from_utf8_lossy(&said.stdout);
    assert!(
        said.contains(&format!("campaign '{CAMPAIGN}' is valid")),
        "{said}"
    );

    let set = d.path().join("set");
    run(
        bin()
            .args(["generate", "--count", "10", "--seed", "11", "--layout"])
            .arg(layout())
            .arg("--out")
            .arg(&set),
        &[0],
    );
    let out = d.path().join("out");
    run(
        bin()
            .arg("process")
            .arg(set.join("scans"))
            .arg("--out")
            .arg(&out)
            .arg("--layout")
            .arg(layout())
            .args(["--jobs", "2", "--quiet"]),
        &[0, 1],
    );

    // The truth the generator wrote carries the campaign's group, not the built-in ones.
    let truth_answers = table(&set.join("truth-answers.csv"));
    assert_eq!(
        truth_answers.header,
        [
            "file",
            "page",
            "contribution_id",
            "question_id",
            "zone",
            "text",
            "form_groups",
            "mode"
        ]
    );
    let truth_pages: HashMap<String, HashMap<String, String>> =
        rows(&table(&set.join("truth-pages.csv")))
            .into_iter()
            .map(|p| (p["file"].clone(), p))
            .collect();
    let truth: HashMap<String, HashMap<String, String>> = rows(&truth_answers)
        .into_iter()
        .map(|a| (a["contribution_id"].clone(), a))
        .collect();
    assert!(!truth.is_empty());

    // contributions.csv: the contract's columns, with the campaign's one group in place.
    let contributions = table(&out.join("contributions.csv"));
    assert_eq!(
        contributions.header,
        [
            "contribution_id",
            "campaign",
            "form",
            "serial",
            "question_id",
            "question_label",
            "urn_id",
            "urn_name",
            "quartier",
            "channel",
            "batch",
            "text",
            "confidence",
            "needs_review",
            "review_reasons",
            "mode",
            "source_file",
            "page",
            "crop_file",
            "reviewed",
            "ocr_text"
        ]
    );
    let questions = registry("questions.csv");
    let urns = registry("urns.csv");
    let reasons = [
        "ocr_failed",
        "no_text",
        "low_confidence",
        "little_text",
        "text_outside_box",
        "faint_writing",
        "multiple_ticks",
        "personal_data",
    ];
    let found = rows(&contributions);
    assert_eq!(found.len(), truth.len(), "one row per written answer");
    let mut ids_by_file: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for c in &found {
        let id = &c["contribution_id"];
        let t = truth
            .get(id)
            .unwrap_or_else(|| panic!("{id} is not in the truth"));
        let page = &truth_pages[&t["file"]];
        assert_eq!(
            id,
            &format!("{CAMPAIGN}-{}-{}", page["serial"], t["question_id"])
        );
        assert_eq!(c["campaign"], CAMPAIGN);
        assert_eq!(c["form"], page["form"]);
        assert!(["bulletin-a5", "feuille-a4"].contains(&c["form"].as_str()));
        assert!(t["file"].contains(&c["form"]), "files are named by form id");
        assert_eq!(c["serial"], page["serial"]);
        assert_eq!(c["serial"].len(), 5, "the campaign's serial digits");
        assert_eq!(c["question_id"], t["question_id"]);
        assert_eq!(c["question_label"], questions[&c["question_id"]][1]);
        assert_eq!(c["urn_id"], page["urn_id"]);
        assert_eq!(c["urn_name"], urns[&c["urn_id"]][1]);
        assert_eq!(c["quartier"], urns[&c["urn_id"]][2]);
        assert_eq!(c["channel"], "urne");
        assert_eq!(c["batch"], "scans", "the input folder's name");
        assert!(!c["text"].is_empty(), "{id}: nothing read");
        let confidence: u32 = c["confidence"].parse().unwrap();
        assert!(confidence <= 100);
        let flagged: Vec<&str> = c["review_reasons"]
            .split('|')
            .filter(|r| !r.is_empty())
            .collect();
        assert!(flagged.iter().all(|r| reasons.contains(r)), "{flagged:?}");
        assert_eq!(c["needs_review"], (!flagged.is_empty()).to_string());
        assert_eq!(c["mode"], t["mode"], "{id}: the ticks of group mode");
        if c["form"] == "feuille-a4" {
            assert_eq!(t["form_groups"], "", "the sheet has no checkbox");
        } else {
            assert_eq!(t["form_groups"], "mode");
        }
        assert_eq!(c["source_file"], t["file"]);
        assert_eq!(c["page"], "1");
        assert!(out.join(&c["crop_file"]).is_file(), "{}", c["crop_file"]);
        assert_eq!(c["reviewed"], "false");
        assert_eq!(c["ocr_text"], c["text"]);
        ids_by_file
            .entry(c["source_file"].clone())
            .or_default()
            .insert(id.clone());
    }
    assert!(
        found.iter().any(|c| !c["mode"].is_empty()),
        "some slip has a tick in group mode"
    );

    // pages.csv: every page, its status, reason, identity and contributions.
    let pages = rows(&table(&out.join("pages.csv")));
    assert_eq!(pages.len(), truth_pages.len());
    for p in &pages {
        let t = &truth_pages[&p["source_file"]];
        assert_eq!(
            (&p["status"], &p["reason"]),
            (&t["status"], &t["reason"]),
            "{}",
            p["source_file"]
        );
        assert_eq!(p["page"], "1");
        if matches!(t["status"].as_str(), "ok" | "blank") {
            assert_eq!(p["qr_payload"], t["qr_payload"]);
            assert!(p["qr_payload"].starts_with("https://participer.strasbourg.eu/velo/"));
            assert_eq!(p["serial"], t["serial"]);
            assert_eq!(p["orientation"], t["orientation"]);
        }
        let ids: BTreeSet<String> = p["contribution_ids"]
            .split('|')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        assert_eq!(
            ids,
            ids_by_file
                .get(&p["source_file"])
                .cloned()
                .unwrap_or_default()
        );
    }
    let statuses: BTreeSet<&str> = pages.iter().map(|p| p["status"].as_str()).collect();
    assert!(statuses.contains("ok") && statuses.contains("rejected"));

    // The evaluation scores the campaign's group.
    let r = urnscan::eval::compare(&out, &set).unwrap();
    assert_eq!(r.pages_status_right, r.pages);
    assert_eq!(r.found_contributions, r.expected_contributions);
    assert!(r.checkbox_groups > 0);
    assert_eq!(r.checkbox_groups_right, r.checkbox_groups);
    assert!(r.cer_median <= 0.05, "median CER {}", r.cer_median);

    // The report shows the group; the review sheet carries it.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    // Titled as the campaign's form prints the group ("Vous venez :").
    assert!(
        html.contains("<dt>Vous venez</dt>"),
        "no line for group mode"
    );
    assert!(!html.contains("<dt>Profil</dt>"));
    let sheet = d.path().join("sheet.csv");
    run(
        bin()
            .args(["review", "export", "--all"])
            .arg(&out)
            .arg("--sheet")
            .arg(&sheet),
        &[0],
    );
    let sheet = table(&sheet);
    assert!(sheet.column("mode").is_some(), "{:?}", sheet.header);
    assert_eq!(sheet.rows.len(), found.len());
    for (s, c) in rows(&sheet).iter().zip(&found) {
        assert_eq!(s["contribution_id"], c["contribution_id"]);
        assert_eq!(s["mode"], c["mode"]);
    }
}
