//! Malware advisories on real data: ossf/malicious-packages OSV records, GitHub advisories,
//! withdrawn records, and the Shai-Hulud incident lists (../shared/data).

use prov_native::advisories::Database;
use std::io::Write;
use std::path::PathBuf;

fn data(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    assert!(p.exists(), "test data missing: {}", p.display());
    p
}

#[test]
fn osv_directory_and_withdrawn() {
    let mut db = Database::new();
    let t = std::time::Instant::now();
    let s = db.load_path(&data("osv-malicious-npm/osv")).unwrap();
    println!(
        "loaded {} records ({} withdrawn skipped, {} errors) in {:?}",
        s.records,
        s.withdrawn_skipped,
        s.errors.len(),
        t.elapsed()
    );
    assert_eq!(s.withdrawn_skipped, 55);
    assert!(s.records >= 525, "{}", s.records);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    // chalk/debug 2025-09-08
    assert_eq!(db.check("debug", "4.4.2").len(), 1);
    assert!(db.check("debug", "4.4.1").is_empty());
    assert_eq!(db.check("chalk", "5.6.1")[0].advisory.id, "MAL-2025-46969");
    assert!(db.check("chalk", "5.6.0").is_empty());
    // withdrawn records never match
    for w in std::fs::read_dir(data("osv-malicious-npm/osv/withdrawn/npm")).unwrap() {
        let name = w.unwrap().file_name().to_string_lossy().to_string();
        for v in ["0.0.1", "1.0.0", "18.2.0", "99.0.0"] {
            assert!(
                db.check(&name, v).is_empty(),
                "{name}@{v} matched a withdrawn record"
            );
        }
    }
    // lottie-player 2.0.5-2.0.7
    for v in ["2.0.5", "2.0.6", "2.0.7"] {
        assert!(!db.check("@lottiefiles/lottie-player", v).is_empty(), "{v}");
    }
    assert!(db.check("@lottiefiles/lottie-player", "2.0.4").is_empty());
}

#[test]
fn ghsa_ranges() {
    let mut db = Database::new();
    db.load_path(&data("osv-malicious-npm/ghsa")).unwrap();
    let m = db.check("event-stream", "3.3.6");
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].advisory.id, "GHSA-mh6f-8j2x-4483");
    assert!(db.check("event-stream", "3.3.5").is_empty());
    assert!(db.check("event-stream", "4.0.0").is_empty());
    let f = db.check("flatmap-stream", "0.1.1");
    assert!(f[0].evidence.contains("introduced 0"), "{}", f[0].evidence);
    assert!(!db.check("ua-parser-js", "0.7.29").is_empty());
    assert!(db.check("ua-parser-js", "0.7.28").is_empty());
}

#[test]
fn incident_lists() {
    let csv = data("incident-lists/datadog-shai-hulud-2.0/shai-hulud-2.0.csv");
    let mut db = Database::new();
    let s = db.load_path(&csv).unwrap();
    let rows: Vec<(String, String)> = std::fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let (n, v) = l.split_once(',').unwrap();
            (n.trim().to_string(), v.trim().to_string())
        })
        .collect();
    // The data README says 536 rows; the file has 537 (its last line has no newline).
    assert!(rows.len() >= 536);
    assert_eq!(s.records, rows.len());
    for (n, v) in &rows {
        assert_eq!(db.check(n, v).len(), 1, "{n}@{v}");
    }
    // How many of them the OSV data here also names.
    let mut osv = Database::new();
    osv.load_path(&data("osv-malicious-npm/osv")).unwrap();
    let covered = rows
        .iter()
        .filter(|(n, v)| !osv.check(n, v).is_empty())
        .count();
    println!(
        "Shai-Hulud 2.0 rows also in the OSV sample: {covered}/{}",
        rows.len()
    );

    let mut c = Database::new();
    let n = c
        .load_path(&data(
            "incident-lists/datadog-shai-hulud-2.0/consolidated_iocs.csv",
        ))
        .unwrap();
    println!("consolidated_iocs.csv: {} package versions", n.records);
    assert!(!c.check("@asyncapi/avro-schema-parser", "3.0.26").is_empty());
    assert!(n.records >= 795);

    let mut k = Database::new();
    let text = std::fs::read_to_string(data(
        "incident-lists/cobenian-shai-hulud-detect/compromised-packages.txt",
    ))
    .unwrap();
    let n = k.load_list(&text, "compromised-packages.txt").unwrap();
    let pypi = text
        .lines()
        .filter(|l| {
            l.starts_with("pypi:") || l.starts_with("composer:") || l.starts_with("crates:")
        })
        .count();
    println!("cobenian list: {n} npm package versions, {pypi} other-ecosystem lines skipped");
    assert!(n >= 5600, "{n}");
    assert!(!k.check("02-echo", "0.0.7").is_empty());
    assert!(k.check("mistralai", "2.4.6").is_empty());
}

#[test]
fn zip_loads_like_the_directory_and_bombs_are_refused() {
    let dir = data("osv-malicious-npm/osv/malicious/npm");
    let tmp = std::env::temp_dir().join(format!("pn-osv-{}.zip", std::process::id()));
    {
        let f = std::fs::File::create(&tmp).unwrap();
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default();
        for name in ["debug", "chalk", "flatmap-stream"] {
            for e in std::fs::read_dir(dir.join(name)).unwrap() {
                let p = e.unwrap().path();
                z.start_file(
                    format!("{}", p.file_name().unwrap().to_string_lossy()),
                    opts,
                )
                .unwrap();
                z.write_all(&std::fs::read(&p).unwrap()).unwrap();
            }
        }
        // A 20 MiB entry of zeros (compresses to a few KiB): over the per-file cap.
        z.start_file("bomb.json", opts).unwrap();
        z.write_all(&vec![0u8; 20 * 1024 * 1024]).unwrap();
        z.start_file("broken.json", opts).unwrap();
        z.write_all(b"{\"id\": ").unwrap();
        z.finish().unwrap();
    }
    let mut db = Database::new();
    let s = db.load_path(&tmp).unwrap();
    assert_eq!(s.records, 3);
    assert_eq!(s.errors.len(), 2, "{:?}", s.errors);
    assert!(!db.check("debug", "4.4.2").is_empty());
    let _ = std::fs::remove_file(&tmp);

    // Malformed inputs: coded errors, no panic.
    let mut db = Database::new();
    assert!(db
        .load_osv_json("{", "x")
        .unwrap_err()
        .code()
        .starts_with("ERR_PROV_"));
    assert!(db.load_list("nothing here", "x").is_err());
    assert!(db
        .load_path(&std::env::temp_dir().join("pn-no-such-file"))
        .is_err());
}
