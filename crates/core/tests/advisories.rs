//! Malware advisories on real data (testdata/data): ossf/malicious-packages OSV records and
//! their withdrawn false positives, GitHub advisories with ECOSYSTEM ranges, the compact OSV
//! index, leitwacht dependency-confusion records, and the Shai-Hulud incident lists; plus zips
//! built here (same records, too many entries, oversized entries, garbage).
//!
//! Missing data fails the test; nothing is skipped.

use prov_native_core::signals::advisories::{Database, Limits, LoadStats};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn data(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/data")
        .join(rel);
    assert!(p.exists(), "test data missing: {}", p.display());
    p
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// (package name, listed versions) of every npm `affected` entry.
fn affected(rec: &Value) -> Vec<(String, Vec<String>)> {
    rec["affected"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["package"]["ecosystem"] == "npm")
        .map(|a| {
            let name = a["package"]["name"].as_str().unwrap().to_string();
            let versions = a["versions"]
                .as_array()
                .map(|v| v.iter().map(|s| s.as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            (name, versions)
        })
        .collect()
}

fn ids(db: &Database, name: &str, version: &str) -> BTreeSet<String> {
    db.check(name, version)
        .into_iter()
        .map(|m| m.advisory.id)
        .collect()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("prov-advisories-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn load(rel: &str) -> (Database, LoadStats) {
    let mut db = Database::new();
    let t = Instant::now();
    let s = db.load_path(&data(rel)).unwrap();
    println!(
        "{rel}: {} records, {} withdrawn, {} other ecosystem, {} errors, {} entries, in {:?}",
        s.records,
        s.withdrawn_skipped,
        s.other_ecosystem_skipped,
        s.errors.len(),
        db.len(),
        t.elapsed()
    );
    (db, s)
}

#[test]
fn osv_directory_every_listed_version_matches() {
    let (db, s) = load("osv-malicious-npm/osv/malicious");
    assert_eq!(s.records, 543);
    assert_eq!(s.withdrawn_skipped, 0);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let mut files = Vec::new();
    json_files(&data("osv-malicious-npm/osv/malicious"), &mut files);
    assert_eq!(files.len(), 543);
    let mut versions = 0;
    for f in &files {
        let rec = read_json(f);
        let id = rec["id"].as_str().unwrap();
        for (name, vs) in affected(&rec) {
            for v in vs {
                versions += 1;
                assert!(
                    ids(&db, &name, &v).contains(id),
                    "{name}@{v} not matched by {id}"
                );
            }
        }
    }
    println!("{versions} listed versions all matched");
    // lottie-player 2.0.5–2.0.7 only.
    for v in ["2.0.5", "2.0.6", "2.0.7"] {
        assert_eq!(ids(&db, "@lottiefiles/lottie-player", v).len(), 1, "{v}");
    }
    for v in ["2.0.4", "2.0.8", "1.0.0"] {
        assert!(db.check("@lottiefiles/lottie-player", v).is_empty(), "{v}");
    }
    // ngx-bootstrap: a versions list plus two windows in one range.
    for (v, hit) in [
        ("18.1.4", true),
        ("18.1.3", false),
        ("19.0.3", true),
        ("19.0.4", true),
        ("19.0.5", false),
        ("20.0.4", true),
        ("20.0.7", false),
    ] {
        assert_eq!(
            !db.check("ngx-bootstrap", v).is_empty(),
            hit,
            "ngx-bootstrap@{v}"
        );
    }
    // nx s1ngularity: listed versions only.
    assert!(!db.check("nx", "21.5.0").is_empty());
    assert!(db.check("nx", "21.4.1").is_empty());
    assert!(db.check("nx", "20.8.2").is_empty());
}

#[test]
fn chalk_debug_2025_flagged_neighbours_not() {
    let (db, _) = load("osv-malicious-npm/osv");
    // (name, bad version, id, good neighbours) from the MAL-2025-46966…46984 records.
    let cases = [
        ("ansi-regex", "6.2.1", "MAL-2025-46966", ["6.2.0", "6.2.2"]),
        ("ansi-styles", "6.2.2", "MAL-2025-46967", ["6.2.1", "6.2.3"]),
        ("backslash", "0.2.1", "MAL-2025-46968", ["0.2.0", "0.2.2"]),
        ("chalk", "5.6.1", "MAL-2025-46969", ["5.6.0", "5.6.2"]),
        (
            "chalk-template",
            "1.1.1",
            "MAL-2025-46970",
            ["1.1.0", "1.1.2"],
        ),
        (
            "color-convert",
            "3.1.1",
            "MAL-2025-46971",
            ["3.1.0", "3.1.2"],
        ),
        ("color-name", "2.0.1", "MAL-2025-46972", ["2.0.0", "2.0.2"]),
        (
            "color-string",
            "2.1.1",
            "MAL-2025-46973",
            ["2.1.0", "2.1.2"],
        ),
        ("debug", "4.4.2", "MAL-2025-46974", ["4.4.1", "4.4.3"]),
        ("error-ex", "1.3.3", "MAL-2025-46975", ["1.3.2", "1.3.4"]),
        ("has-ansi", "6.0.1", "MAL-2025-46976", ["6.0.0", "6.0.2"]),
        ("is-arrayish", "0.3.3", "MAL-2025-46977", ["0.3.2", "0.3.4"]),
        (
            "simple-swizzle",
            "0.2.3",
            "MAL-2025-46978",
            ["0.2.2", "0.2.4"],
        ),
        ("slice-ansi", "7.1.1", "MAL-2025-46979", ["7.1.0", "7.1.2"]),
        ("strip-ansi", "7.1.1", "MAL-2025-46980", ["7.1.0", "7.1.2"]),
        (
            "supports-color",
            "10.2.1",
            "MAL-2025-46981",
            ["10.2.0", "10.2.2"],
        ),
        (
            "supports-hyperlinks",
            "4.1.1",
            "MAL-2025-46982",
            ["4.1.0", "4.1.2"],
        ),
        ("wrap-ansi", "9.0.1", "MAL-2025-46983", ["9.0.0", "9.0.2"]),
        (
            "proto-tinker-wc",
            "0.1.87",
            "MAL-2025-46984",
            ["0.1.86", "0.1.88"],
        ),
    ];
    for (name, bad, id, good) in cases {
        let m = db.check(name, bad);
        assert_eq!(m.len(), 1, "{name}@{bad}");
        assert_eq!(m[0].advisory.id, id);
        assert_eq!(m[0].name, name);
        assert!(
            m[0].evidence.contains(bad) && m[0].evidence.contains(id),
            "{}",
            m[0].evidence
        );
        for g in good {
            assert!(db.check(name, g).is_empty(), "{name}@{g} flagged");
        }
        // Upper case is another npm name.
        assert!(db.check(&name.to_uppercase(), bad).is_empty());
    }
    let m = &db.check("debug", "4.4.2")[0];
    assert_eq!(m.evidence, "version 4.4.2 listed in MAL-2025-46974");
    assert_eq!(
        m.advisory.summary.as_deref(),
        Some("Malicious code in debug (npm)")
    );
    assert_eq!(m.advisory.aliases[0], "GHSA-8mgj-vmr8-frr6");
    assert_eq!(
        m.advisory.published.as_deref(),
        Some("2025-09-08T14:26:51Z")
    );
    assert!(m.advisory.source.ends_with("MAL-2025-46974.json"));
    assert_eq!(m.advisory.withdrawn, None);
    let j = serde_json::to_value(m).unwrap();
    assert_eq!(j["advisory"]["id"], "MAL-2025-46974");
    assert!(j["advisory"].get("withdrawn").is_some());
}

#[test]
fn withdrawn_records_never_match() {
    let (db, s) = load("osv-malicious-npm/osv");
    assert_eq!(s.records, 543);
    assert_eq!(s.withdrawn_skipped, 55);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let mut files = Vec::new();
    json_files(&data("osv-malicious-npm/osv/withdrawn"), &mut files);
    assert_eq!(files.len(), 55);
    let mut checked = 0;
    for f in &files {
        let rec = read_json(f);
        assert!(rec["withdrawn"].is_string(), "{}", f.display());
        for (name, mut vs) in affected(&rec) {
            vs.extend(["0.0.1", "1.0.0", "18.2.0", "35.0.0", "99.0.0"].map(String::from));
            for v in vs {
                assert!(
                    db.check(&name, &v).is_empty(),
                    "withdrawn {name}@{v} matched"
                );
                checked += 1;
            }
        }
    }
    println!("{checked} withdrawn name@version pairs not matched");
    for v in ["18.2.0", "35.0.0", "1.0.0"] {
        assert!(db.check("react", v).is_empty(), "react@{v}");
    }
    assert!(db.check("react-router-dom", "6.0.0").is_empty());

    // The withdrawn folder alone: records read, none usable, nothing matches.
    let (only, s) = load("osv-malicious-npm/osv/withdrawn");
    assert_eq!((s.records, s.withdrawn_skipped), (0, 55));
    assert!(only.is_empty());
}

#[test]
fn ghsa_ecosystem_ranges() {
    let (db, s) = load("osv-malicious-npm/ghsa");
    assert_eq!(s.records, 5);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let id = |n: &str, v: &str| ids(&db, n, v).into_iter().collect::<Vec<_>>();
    assert_eq!(id("event-stream", "3.3.6"), ["GHSA-mh6f-8j2x-4483"]);
    for v in ["3.3.4", "3.3.5", "4.0.0", "4.0.1", "3.3.6-0"] {
        assert!(id("event-stream", v).is_empty(), "event-stream@{v}");
    }
    for v in ["0.1.0", "0.1.1", "0.1.2"] {
        assert_eq!(id("flatmap-stream", v), ["GHSA-mh6f-8j2x-4483"], "{v}");
    }
    assert_eq!(
        db.check("flatmap-stream", "0.1.1")[0].evidence,
        "range introduced 0 (no fix): every version (GHSA-mh6f-8j2x-4483)"
    );
    // ua-parser-js: three affected entries, one match each.
    for v in ["0.7.29", "0.8.0", "1.0.0"] {
        assert_eq!(id("ua-parser-js", v), ["GHSA-pjwm-rvh2-c87w"], "{v}");
        assert_eq!(db.check("ua-parser-js", v).len(), 1);
    }
    for v in ["0.7.28", "0.7.30", "0.8.1", "1.0.1", "1.0.2"] {
        assert!(id("ua-parser-js", v).is_empty(), "ua-parser-js@{v}");
    }
    for v in ["2.0.3", "2.0.4", "2.1.1", "2.1.3", "3.0.1", "3.1.3"] {
        assert_eq!(id("coa", v), ["GHSA-73qr-pfmq-6rp8"], "coa@{v}");
    }
    for v in ["2.0.2", "2.1.0", "3.1.0"] {
        assert!(id("coa", v).is_empty(), "coa@{v}");
    }
    for v in ["1.2.9", "1.3.9", "2.3.9"] {
        assert_eq!(id("rc", v), ["GHSA-g2q5-5433-rhrf"], "rc@{v}");
    }
    assert!(id("rc", "1.2.8").is_empty());
    for v in ["10.1.1", "10.1.2"] {
        assert_eq!(id("node-ipc", v), ["GHSA-97m3-w2cp-4xx6"], "node-ipc@{v}");
    }
    for v in ["10.1.0", "10.1.3", "9.2.1", "11.0.0"] {
        assert!(id("node-ipc", v).is_empty(), "node-ipc@{v}");
    }
    // With the ossf records too: flatmap-stream and node-ipc have both sources.
    let (mut all, _) = load("osv-malicious-npm/osv");
    all.load_path(&data("osv-malicious-npm/ghsa")).unwrap();
    assert_eq!(
        ids(&all, "flatmap-stream", "0.1.1"),
        BTreeSet::from(["GHSA-mh6f-8j2x-4483".into(), "MAL-2025-20690".into()])
    );
    assert_eq!(
        ids(&all, "node-ipc", "9.2.3"),
        BTreeSet::from(["MAL-2026-3744".into()])
    );
    assert!(all.check("node-ipc", "9.2.2").is_empty());
    assert!(all.check("event-stream", "3.3.5").is_empty());
}

#[test]
fn shai_hulud_2_csv_every_row_flagged() {
    let rel = "incident-lists/datadog-shai-hulud-2.0/shai-hulud-2.0.csv";
    let text = std::fs::read_to_string(data(rel)).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("package_name,package_version"),
        "header changed"
    );
    let rows: Vec<(String, String)> = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (n, v) = l.split_once(',').unwrap();
            (n.to_string(), v.to_string())
        })
        .collect();
    // The data README says 536; the file has 537 rows (its last line has no newline).
    assert_eq!(rows.len(), 537);
    let (db, s) = load(rel);
    assert_eq!(s.records, 537);
    assert!(s.errors.is_empty(), "{:?}", s.errors);

    // Lockfiles holding every row (duplicate names nested under holder packages), parsed by
    // the project's lockfile module: npm v3 and yarn classic.
    let mut packages = serde_json::Map::new();
    packages.insert(
        "".into(),
        serde_json::json!({ "name": "victim", "version": "1.0.0" }),
    );
    let mut yarn = String::from("# yarn lockfile v1\n\n");
    let mut seen = BTreeSet::new();
    for (i, (n, v)) in rows.iter().enumerate() {
        let key = if seen.insert(n.clone()) {
            format!("node_modules/{n}")
        } else {
            packages.insert(
                format!("node_modules/holder-{i}"),
                serde_json::json!({ "version": "1.0.0" }),
            );
            format!("node_modules/holder-{i}/node_modules/{n}")
        };
        let tail = n.rsplit('/').next().unwrap();
        let url = format!("https://registry.npm.example/{n}/-/{tail}-{v}.tgz");
        packages.insert(key, serde_json::json!({ "version": v, "resolved": url }));
        yarn.push_str(&format!(
            "\"{n}@{v}\":\n  version \"{v}\"\n  resolved \"{url}\"\n\n"
        ));
    }
    let lock = serde_json::json!({ "name": "victim", "lockfileVersion": 3, "packages": packages });
    for (file, text) in [
        (
            "package-lock.json",
            serde_json::to_string_pretty(&lock).unwrap(),
        ),
        ("yarn.lock", yarn),
    ] {
        let parsed = prov_native_core::lockfile::parse_str(file, &text).unwrap();
        let mut flagged = BTreeSet::new();
        for p in &parsed.packages {
            let m = db.check(&p.name, &p.version);
            if p.name.starts_with("holder-") {
                assert!(m.is_empty());
                continue;
            }
            assert!(
                !m.is_empty(),
                "{file}: {}@{} not flagged",
                p.name,
                p.version
            );
            assert_eq!(m[0].advisory.id, "shai-hulud-2.0.csv");
            assert!(m[0].evidence.starts_with(&format!(
                "version {} listed in shai-hulud-2.0.csv line ",
                p.version
            )));
            flagged.insert((p.name.clone(), p.version.clone()));
        }
        let want: BTreeSet<_> = rows.iter().cloned().collect();
        assert_eq!(flagged, want, "{file}: every row, from the lockfile");
        println!(
            "{file}: {} packages, {} flagged",
            parsed.packages.len(),
            flagged.len()
        );
    }
    for (n, v) in &rows {
        assert!(!db.check(n, v).is_empty(), "{n}@{v}");
        assert!(
            db.check(n, "0.0.0-good").is_empty(),
            "{n}: unlisted version flagged"
        );
    }

    // How much of it the OSV data here covers.
    let mut osv = Database::new();
    for rel in [
        "osv-malicious-npm/osv",
        "osv-malicious-npm/ghsa",
        "dependency-confusion/leitwacht-osv/osv",
        "osv-malicious-npm/index-2025-06-04.tsv",
    ] {
        osv.load_path(&data(rel)).unwrap();
    }
    let covered: Vec<_> = rows
        .iter()
        .filter(|(n, v)| !osv.check(n, v).is_empty())
        .collect();
    println!(
        "shai-hulud-2.0.csv: {}/{} rows also flagged by the OSV data here: {:?}",
        covered.len(),
        rows.len(),
        covered
    );
}

#[test]
fn consolidated_iocs_aggregated_versions() {
    let rel = "incident-lists/datadog-shai-hulud-2.0/consolidated_iocs.csv";
    let (db, s) = load(rel);
    assert_eq!(s.records, 1091, "package versions");
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(db.package_count(), 795);
    for v in ["0.0.7", "0.0.8"] {
        assert!(!db.check("@alexcolls/nuxt-socket.io", v).is_empty(), "{v}");
    }
    assert!(db.check("@alexcolls/nuxt-socket.io", "0.0.6").is_empty());
    // Every shai-hulud-2.0.csv row is in the consolidated list too.
    let text = std::fs::read_to_string(data(
        "incident-lists/datadog-shai-hulud-2.0/shai-hulud-2.0.csv",
    ))
    .unwrap();
    let missing: Vec<_> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .filter(|(n, v)| db.check(n, v).is_empty())
        .collect();
    println!("shai-hulud-2.0.csv rows missing from consolidated_iocs.csv: {missing:?}");
}

#[test]
fn cobenian_list_skips_comments_and_other_ecosystems() {
    let rel = "incident-lists/cobenian-shai-hulud-detect/compromised-packages.txt";
    let text = std::fs::read_to_string(data(rel)).unwrap();
    let comments = text
        .lines()
        .filter(|l| l.trim_start().starts_with('#'))
        .count();
    let blank = text.lines().filter(|l| l.trim().is_empty()).count();
    let (db, s) = load(rel);
    println!(
        "{rel}: {} lines, {comments} comment, {blank} blank, {} npm versions, {} other ecosystem",
        text.lines().count(),
        s.records,
        s.other_ecosystem_skipped
    );
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(s.records + s.other_ecosystem_skipped, 5782);
    assert_eq!(
        s.other_ecosystem_skipped, 138,
        "52 pypi + 83 go + 3 composer"
    );
    assert_eq!(s.records, 5644);
    assert!(!db.check("chalk", "5.6.1").is_empty());
    assert!(!db.check("debug", "4.4.2").is_empty());
    assert!(!db.check("axios", "1.14.1").is_empty());
    assert!(db.check("axios", "1.14.0").is_empty());
    assert!(db.check("debug", "4.4.1").is_empty());
    // Other ecosystems are not npm names.
    assert!(db.check("litellm", "1.82.7").is_empty());
    assert!(db.check("mistralai", "2.4.6").is_empty());
    assert!(db.check("laravel-lang/lang", "15.29.5").is_empty());
    // Through the text API, the same count.
    let mut db2 = Database::new();
    assert_eq!(db2.load_list(&text, rel).unwrap(), 5644);
}

#[test]
fn osv_index_tsv_full_snapshot() {
    let (db, s) = load("osv-malicious-npm/index-2025-06-04.tsv");
    assert_eq!(s.records, 22_241);
    assert_eq!(s.withdrawn_skipped, 55);
    assert!(
        s.errors.is_empty(),
        "{:?}",
        &s.errors[..s.errors.len().min(5)]
    );
    assert!(db.check("react", "35.0.0").is_empty());
    assert!(!db.check("@lottiefiles/lottie-player", "2.0.6").is_empty());
    assert!(db.check("@lottiefiles/lottie-player", "2.0.4").is_empty());
    // The directory and the index agree on the records of the same snapshot.
    let tsv = std::fs::read_to_string(data("osv-malicious-npm/index-2025-06-04.tsv")).unwrap();
    let in_index: BTreeSet<&str> = tsv
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .collect();
    let (dir, _) = load("osv-malicious-npm/osv");
    let mut files = Vec::new();
    json_files(&data("osv-malicious-npm/osv/malicious"), &mut files);
    let (mut compared, mut records) = (0, 0);
    for f in &files {
        let rec = read_json(f);
        let id = rec["id"].as_str().unwrap().to_string();
        if !in_index.contains(id.as_str()) {
            continue;
        }
        records += 1;
        for (name, vs) in affected(&rec) {
            for v in vs
                .iter()
                .map(String::as_str)
                .chain(["0.0.0", "1.0.0", "99.9.9"])
            {
                let a = ids(&db, &name, v).contains(&id);
                let b = ids(&dir, &name, v).contains(&id);
                assert_eq!(a, b, "{id} {name}@{v}: index {a}, directory {b}");
                compared += 1;
            }
        }
    }
    assert_eq!(records, 510);
    println!("{compared} name@version checks agree between index and directory");
    assert!(compared > 1000);
    // Both loaded: the same id is kept once.
    let mut both = Database::new();
    both.load_path(&data("osv-malicious-npm/osv")).unwrap();
    let before = both.len();
    both.load_path(&data("osv-malicious-npm/index-2025-06-04.tsv"))
        .unwrap();
    assert_eq!(
        db.check("@lottiefiles/lottie-player", "2.0.6").len(),
        both.check("@lottiefiles/lottie-player", "2.0.6").len()
    );
    assert!(both.len() > before);
}

#[test]
fn leitwacht_dependency_confusion() {
    let (db, s) = load("dependency-confusion/leitwacht-osv/osv");
    assert_eq!(s.records, 286);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let mut files = Vec::new();
    json_files(&data("dependency-confusion/leitwacht-osv/osv"), &mut files);
    for f in &files {
        let rec = read_json(f);
        for (name, vs) in affected(&rec) {
            for v in vs {
                assert!(!db.check(&name, &v).is_empty(), "{name}@{v}");
            }
        }
    }
    assert!(!db.check("@asavie/i18n", "99.0.3").is_empty());
    assert!(db.check("@asavie/i18n", "1.0.0").is_empty());
}

#[test]
fn real_lockfiles_not_flagged() {
    let mut db = Database::new();
    for rel in [
        "osv-malicious-npm/osv",
        "osv-malicious-npm/ghsa",
        "dependency-confusion/leitwacht-osv/osv",
        "incident-lists/datadog-shai-hulud-2.0/consolidated_iocs.csv",
        "incident-lists/cobenian-shai-hulud-detect/compromised-packages.txt",
    ] {
        db.load_path(&data(rel)).unwrap();
    }
    let mut total = 0;
    for rel in [
        "lockfiles/npm-v3/uptime-kuma/package-lock.json",
        "lockfiles/npm-v3/jellyfin-web/package-lock.json",
        "lockfiles/npm-v2/uptime-kuma/package-lock.json",
        "lockfiles/npm-v1/uptime-kuma/package-lock.json",
        "lockfiles/yarn-v1/excalidraw/yarn.lock",
        "lockfiles/yarn-berry/prettier/yarn.lock",
        "lockfiles/pnpm-v9/vue-core/pnpm-lock.yaml",
        "lockfiles/bun/hono/bun.lock",
    ] {
        let lock = prov_native_core::lockfile::parse_file(&data(rel)).unwrap();
        assert!(lock.packages.len() > 500, "{rel}");
        total += lock.packages.len();
        let hits: Vec<_> = lock
            .packages
            .iter()
            .flat_map(|p| db.check(&p.name, &p.version))
            .map(|m| format!("{}@{} {}", m.name, m.version, m.advisory.id))
            .collect();
        assert!(hits.is_empty(), "{rel}: {hits:?}");
    }
    println!("{total} locked packages in 8 real lockfiles, none flagged");
}

// ---- zips ----

fn write_zip(path: &Path, files: &[(String, Vec<u8>)]) {
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    let opt = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        z.start_file(name.as_str(), opt).unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap();
}

#[test]
fn zip_of_osv_files_loads_like_the_directory() {
    let dir = data("osv-malicious-npm/osv");
    let mut files = Vec::new();
    json_files(&dir, &mut files);
    assert_eq!(files.len(), 598);
    // Flat, as osv.dev's npm/all.zip.
    let entries: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(p).unwrap(),
            )
        })
        .collect();
    let t = tmp("zip-same");
    let zp = t.join("npm-all.zip");
    write_zip(&zp, &entries);
    let (dir_db, dir_stats) = load("osv-malicious-npm/osv");
    let mut zip_db = Database::new();
    let start = Instant::now();
    let zip_stats = zip_db.load_path(&zp).unwrap();
    println!(
        "zip of {} files loaded in {:?}: {zip_stats:?}",
        entries.len(),
        start.elapsed()
    );
    assert_eq!(zip_stats, dir_stats);
    assert_eq!(zip_db.len(), dir_db.len());
    let mut compared = 0;
    for f in &files {
        let rec = read_json(f);
        for (name, vs) in affected(&rec) {
            for v in vs
                .iter()
                .map(String::as_str)
                .chain(["0.0.1", "1.0.0", "18.2.0"])
            {
                assert_eq!(ids(&zip_db, &name, v), ids(&dir_db, &name, v), "{name}@{v}");
                compared += 1;
            }
        }
    }
    assert!(compared > 2000);
    let m = &zip_db.check("debug", "4.4.2")[0];
    assert!(
        m.advisory
            .source
            .ends_with("npm-all.zip!MAL-2025-46974.json"),
        "{}",
        m.advisory.source
    );
    // Same file without the .zip extension: found by its magic.
    let renamed = t.join("npm-all.bin");
    std::fs::rename(&zp, &renamed).unwrap();
    assert_eq!(Database::new().load_path(&renamed).unwrap(), dir_stats);
    let _ = std::fs::remove_dir_all(&t);
}

fn debug_record() -> Vec<u8> {
    std::fs::read(data(
        "osv-malicious-npm/osv/malicious/npm/debug/MAL-2025-46974.json",
    ))
    .unwrap()
}

#[test]
fn zip_with_too_many_entries_is_too_large() {
    let t = tmp("zip-many");
    let zp = t.join("many.zip");
    let rec = debug_record();
    let entries: Vec<_> = (0..11)
        .map(|i| (format!("r{i}.json"), rec.clone()))
        .collect();
    write_zip(&zp, &entries);
    let mut db = Database::with_limits(Limits {
        max_files: 10,
        ..Limits::default()
    });
    let e = db.load_path(&zp).unwrap_err();
    assert_eq!(e.code(), "ERR_PROV_TOO_LARGE", "{e}");
    assert!(db.is_empty());
    // Directory walks have the same budget.
    let d = t.join("dir");
    std::fs::create_dir(&d).unwrap();
    for (n, b) in &entries {
        std::fs::write(d.join(n), b).unwrap();
    }
    let e = db.load_path(&d).unwrap_err();
    assert_eq!(e.code(), "ERR_PROV_TOO_LARGE", "{e}");
    // Total uncompressed budget.
    let mut db = Database::with_limits(Limits {
        max_total_bytes: (rec.len() * 3) as u64,
        ..Limits::default()
    });
    let e = db.load_path(&zp).unwrap_err();
    assert_eq!(e.code(), "ERR_PROV_TOO_LARGE", "{e}");
    // Zip file size budget.
    let mut db = Database::with_limits(Limits {
        max_zip_bytes: 100,
        ..Limits::default()
    });
    assert_eq!(db.load_path(&zp).unwrap_err().code(), "ERR_PROV_TOO_LARGE");
    let _ = std::fs::remove_dir_all(&t);
}

#[test]
fn zip_bomb_entry_is_a_stats_error() {
    let t = tmp("zip-bomb");
    let zp = t.join("bomb.zip");
    // 17 MiB of spaces deflates to a few KiB; the default cap is 16 MiB per entry.
    let mut big = b"{\"id\":\"BOMB\",\"summary\":\"".to_vec();
    big.resize(17 << 20, b' ');
    big.extend_from_slice(b"\"}");
    write_zip(
        &zp,
        &[
            ("bomb.json".into(), big),
            ("MAL-2025-46974.json".into(), debug_record()),
            ("README.md".into(), b"not json".to_vec()),
            ("broken.json".into(), b"{\"id\": ".to_vec()),
        ],
    );
    assert!(std::fs::metadata(&zp).unwrap().len() < 1 << 20);
    let mut db = Database::new();
    let start = Instant::now();
    let s = db.load_path(&zp).unwrap();
    println!("bomb zip: {s:?} in {:?}", start.elapsed());
    assert_eq!(s.records, 1);
    assert_eq!(s.errors.len(), 2, "{:?}", s.errors);
    assert!(
        s.errors[0].contains("bomb.json") && s.errors[0].contains("limit"),
        "{}",
        s.errors[0]
    );
    assert!(s.errors[1].contains("broken.json") && s.errors[1].contains("malformed JSON"));
    assert_eq!(db.check("debug", "4.4.2").len(), 1);

    // The same zip with headers that lie: bomb.json claims 100 bytes uncompressed.
    let mut bytes = std::fs::read(&zp).unwrap();
    let mut patched = 0;
    for i in 0..bytes.len().saturating_sub(46) {
        let (sig, size_at, name_at) = match &bytes[i..i + 4] {
            b"PK\x01\x02" => (true, 24, 46),
            b"PK\x03\x04" => (false, 22, 30),
            _ => continue,
        };
        let len_at = if sig { 28 } else { 26 };
        let n = u16::from_le_bytes([bytes[i + len_at], bytes[i + len_at + 1]]) as usize;
        if bytes.get(i + name_at..i + name_at + n) == Some(b"bomb.json".as_slice()) {
            bytes[i + size_at..i + size_at + 4].copy_from_slice(&100u32.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "local and central headers");
    let liar = t.join("liar.zip");
    std::fs::write(&liar, &bytes).unwrap();
    let s = Database::new().load_path(&liar).unwrap();
    println!("lying zip: {s:?}");
    assert_eq!(s.records, 1);
    assert_eq!(s.errors.len(), 2, "{:?}", s.errors);
    assert!(s.errors[0].contains("bomb.json"), "{}", s.errors[0]);

    // Only bad entries: the load fails with a code.
    let zp2 = t.join("only-bad.zip");
    write_zip(
        &zp2,
        &[
            ("a.json".into(), b"nope".to_vec()),
            ("b.json".into(), b"[]".to_vec()),
        ],
    );
    let e = Database::new().load_path(&zp2).unwrap_err();
    assert_eq!(e.code(), "ERR_PROV_INVALID_ARG", "{e}");
    // No JSON at all.
    let zp3 = t.join("empty.zip");
    write_zip(&zp3, &[("x.txt".into(), b"x".to_vec())]);
    assert_eq!(
        Database::new().load_path(&zp3).unwrap_err().code(),
        "ERR_PROV_INVALID_ARG"
    );
    let _ = std::fs::remove_dir_all(&t);
}

#[test]
fn garbage_zips_and_files_give_codes_not_panics() {
    let t = tmp("garbage");
    let rec = debug_record();
    let okp = t.join("ok.zip");
    write_zip(&okp, &[("a.json".into(), rec.clone())]);
    let ok = std::fs::read(&okp).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty.zip", Vec::new()),
        ("text.zip", b"hello".to_vec()),
        ("magic-only.zip", b"PK\x03\x04garbage".to_vec()),
        ("truncated.zip", ok[..ok.len() / 2].to_vec()),
        (
            "flipped.zip",
            ok.iter()
                .enumerate()
                .map(|(i, b)| if i % 7 == 3 { !b } else { *b })
                .collect(),
        ),
    ];
    for (name, bytes) in cases {
        let p = t.join(name);
        std::fs::write(&p, bytes).unwrap();
        let r = Database::new().load_path(&p);
        match r {
            Err(e) => {
                assert!(
                    ["ERR_PROV_IO", "ERR_PROV_INVALID_ARG", "ERR_PROV_TOO_LARGE"]
                        .contains(&e.code().as_str()),
                    "{name}: {} {e}",
                    e.code()
                );
            }
            Ok(s) => assert!(!s.errors.is_empty(), "{name} loaded cleanly: {s:?}"),
        }
    }
    // Single JSON files.
    let bad = t.join("bad.json");
    std::fs::write(&bad, b"{\"id\": 1}").unwrap();
    assert_eq!(
        Database::new().load_path(&bad).unwrap_err().code(),
        "ERR_PROV_JSON"
    );
    let big = t.join("big.json");
    std::fs::write(&big, vec![b' '; (16 << 20) + 1]).unwrap();
    assert_eq!(
        Database::new().load_path(&big).unwrap_err().code(),
        "ERR_PROV_TOO_LARGE"
    );
    // A directory: one malformed record is a stats error; all malformed is a coded failure.
    let d = t.join("dir");
    std::fs::create_dir(&d).unwrap();
    std::fs::write(d.join("bad.json"), b"{not json").unwrap();
    let e = Database::new().load_path(&d).unwrap_err();
    assert_eq!(e.code(), "ERR_PROV_INVALID_ARG", "{e}");
    std::fs::write(d.join("good.json"), &rec).unwrap();
    let s = Database::new().load_path(&d).unwrap();
    assert_eq!((s.records, s.errors.len()), (1, 1));
    assert!(s.errors[0].contains("bad.json"));
    // An empty directory and a missing path.
    let empty = t.join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert_eq!(
        Database::new().load_path(&empty).unwrap_err().code(),
        "ERR_PROV_INVALID_ARG"
    );
    assert_eq!(
        Database::new()
            .load_path(&t.join("nope"))
            .unwrap_err()
            .code(),
        "ERR_PROV_IO"
    );
    // Malformed JSON text through the API.
    assert_eq!(
        Database::new().load_osv_json("{", "x").unwrap_err().code(),
        "ERR_PROV_JSON"
    );
    let _ = std::fs::remove_dir_all(&t);
}
