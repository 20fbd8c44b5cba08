//! Typosquatting detector, measured on real data (../shared/data): the malicious names near a
//! popular name, the popular list itself, the withdrawn (false-positive) advisories, and the
//! names of real lockfiles. Figures are printed (`--nocapture`) and floors asserted.

use prov_native::typosquat::{osa, Detector};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn data(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    assert!(p.exists(), "test data missing: {}", p.display());
    p
}

fn popular() -> Vec<String> {
    std::fs::read_to_string(data("popular-npm.tsv"))
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next().map(str::to_string))
        .collect()
}

#[test]
fn figures() {
    let det = Detector::embedded().unwrap();
    let pop = popular();
    let popset: BTreeSet<&str> = pop.iter().map(String::as_str).collect();

    // 1. typosquat-candidates.tsv, OSA distance 1, names over 4 characters.
    let text = std::fs::read_to_string(data("typosquat-candidates.tsv")).unwrap();
    let (mut n1, mut hit1, mut n1_short, mut hit1_short, mut n2, mut hit2) = (0, 0, 0, 0, 0, 0);
    for l in text.lines().skip(1) {
        let c: Vec<&str> = l.split('\t').collect();
        let (name, dist) = (c[0], c[2]);
        let found = det.check(name).is_some();
        match (dist, name.chars().count() > 4) {
            ("1", true) => {
                n1 += 1;
                hit1 += usize::from(found);
            }
            ("1", false) => {
                n1_short += 1;
                hit1_short += usize::from(found);
            }
            _ => {
                n2 += 1;
                hit2 += usize::from(found);
            }
        }
    }
    let r1 = hit1 as f64 / n1 as f64;
    println!(
        "candidates, distance 1, > 4 chars: {hit1}/{n1} = {:.1}%",
        r1 * 100.0
    );
    println!("candidates, distance 1, <= 4 chars: {hit1_short}/{n1_short}");
    println!("candidates, distance 2: {hit2}/{n2}");
    assert!(r1 >= 0.90, "recall on distance-1 candidates fell to {r1}");

    // 2. OSV malicious names at distance 1 from a popular name (brute force, independent).
    let mut osv1 = Vec::new();
    for e in std::fs::read_dir(data("osv-malicious-npm/osv/malicious/npm")).unwrap() {
        let dir = e.unwrap().path();
        let mut names = vec![dir.file_name().unwrap().to_string_lossy().to_string()];
        // scoped: osv/malicious/npm/@scope/name
        if names[0].starts_with('@') {
            names = std::fs::read_dir(&dir)
                .unwrap()
                .map(|x| format!("{}/{}", names[0], x.unwrap().file_name().to_string_lossy()))
                .filter(|n| !n.ends_with(".json"))
                .collect();
        }
        for n in names {
            if popset.contains(n.as_str()) || n.chars().count() <= 4 {
                continue;
            }
            if pop.iter().any(|p| osa(&n, p, 1) == 1) {
                osv1.push(n);
            }
        }
    }
    let hits = osv1.iter().filter(|n| det.check(n).is_some()).count();
    let r = hits as f64 / osv1.len() as f64;
    println!(
        "OSV malicious names at distance 1 (> 4 chars): {hits}/{} = {:.1}%",
        osv1.len(),
        r * 100.0
    );
    assert!(r >= 0.90);

    // 3. False positives on the popular list itself: none by construction, checked anyway.
    let fp_pop = pop.iter().filter(|p| det.check(p).is_some()).count();
    println!("false positives on the top-10k list: {fp_pop}");
    assert_eq!(fp_pop, 0);

    // 4. The 55 withdrawn (false-positive) advisories.
    let withdrawn: Vec<String> = std::fs::read_dir(data("osv-malicious-npm/osv/withdrawn/npm"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    let fp_w: Vec<String> = withdrawn
        .iter()
        .filter_map(|n| det.check(n).map(|f| format!("{n}->{}", f.target)))
        .collect();
    println!(
        "withdrawn advisories flagged: {}/{} {fp_w:?}",
        fp_w.len(),
        withdrawn.len()
    );
    assert!(fp_w.len() <= 5);

    // 5. Real lockfile names that are neither popular nor malicious.
    let malicious: BTreeSet<String> =
        std::fs::read_to_string(data("osv-malicious-npm/index-2025-06-04.tsv"))
            .unwrap()
            .lines()
            .skip(1)
            .filter_map(|l| l.split('\t').nth(2).map(str::to_string))
            .collect();
    let mut names = BTreeSet::new();
    for rel in [
        "npm-v3/jellyfin-web/package-lock.json",
        "npm-v3/uptime-kuma/package-lock.json",
        "yarn-v1/excalidraw/yarn.lock",
        "yarn-berry/prettier/yarn.lock",
        "pnpm-v9/vue-core/pnpm-lock.yaml",
        "bun/hono/bun.lock",
    ] {
        let l = prov_native::lockfile::parse_file(&data(&format!("lockfiles/{rel}"))).unwrap();
        for p in l.packages {
            names.insert(p.name);
        }
    }
    let benign: Vec<&String> = names
        .iter()
        .filter(|n| !popset.contains(n.as_str()) && !malicious.contains(*n))
        .collect();
    let t = std::time::Instant::now();
    let fp: Vec<String> = benign
        .iter()
        .filter_map(|n| det.check(n).map(|f| format!("{n}->{}", f.target)))
        .collect();
    let el = t.elapsed();
    let rate = fp.len() as f64 / benign.len() as f64;
    println!(
        "benign lockfile names (not popular, not malicious) flagged: {}/{} = {:.1}% in {el:?}; {:?}",
        fp.len(),
        benign.len(),
        rate * 100.0,
        &fp[..fp.len().min(40)]
    );
    assert!(rate <= 0.10, "false-positive rate {rate}");
}
