//! Every place that lists the `ERR_PROV_…` codes agrees with [`Code::ALL`]: the README's table,
//! the `ErrorCode` union of `types.d.ts` and `index.d.ts`, and `schema/codes.json` (what the CLI
//! and SARIF print). `PROV_UPDATE_CODES=1 cargo test -p prov-native-core --test codes` rewrites
//! the three generated parts from the enum.

use prov_native_core::code::{Code, Kind};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn update() -> bool {
    std::env::var_os("PROV_UPDATE_CODES").is_some()
}

/// Check `file`'s text between `start` and `end` (exclusive) is `want`, or write it.
fn generated(file: &str, start: &str, end: &str, want: &str) {
    let path = root().join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let a = text
        .find(start)
        .unwrap_or_else(|| panic!("{file}: no {start:?}"))
        + start.len();
    let b = a + text[a..]
        .find(end)
        .unwrap_or_else(|| panic!("{file}: no {end:?} after {start:?}"));
    if update() {
        let out = format!("{}{want}{}", &text[..a], &text[b..]);
        std::fs::write(&path, out).unwrap();
        return;
    }
    assert_eq!(
        &text[a..b],
        want,
        "{file} is out of date with crates/core/src/code.rs: run PROV_UPDATE_CODES=1 cargo test -p prov-native-core --test codes"
    );
}

#[test]
fn readme_table() {
    let mut rows = String::from("| code | meaning |\n|---|---|\n");
    for c in Code::ALL.iter().filter(|c| c.kind() == Kind::Error) {
        rows += &format!("| `{c}` | {} |\n", c.meaning());
    }
    rows += "\nReport-only (problems and CLI/SARIF results, never a rejection):\n\n";
    rows += "| code | meaning |\n|---|---|\n";
    for c in Code::ALL.iter().filter(|c| c.kind() == Kind::Report) {
        rows += &format!("| `{c}` | {} |\n", c.meaning());
    }
    generated(
        "README.md",
        "<!-- codes: generated from crates/core/src/code.rs -->\n",
        "<!-- /codes -->",
        &rows,
    );
}

#[test]
fn typescript_union() {
    let mut union = String::from("export type ErrorCode =\n");
    for c in Code::ALL {
        union += &format!("  | '{c}'\n");
    }
    for file in ["types.d.ts", "index.d.ts"] {
        generated(
            file,
            "/** Every stable code (crates/core/src/code.rs). */\n",
            "\n\n",
            union.trim_end_matches('\n'),
        );
    }
}

#[test]
fn codes_json() {
    let mut map = serde_json::Map::new();
    for c in Code::ALL {
        map.insert(
            c.as_str().into(),
            serde_json::json!({
                "meaning": c.meaning(),
                "kind": match c.kind() { Kind::Error => "error", Kind::Report => "report" },
            }),
        );
    }
    let want = serde_json::to_string_pretty(&map).unwrap() + "\n";
    let path = root().join("schema/codes.json");
    if update() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        have, want,
        "schema/codes.json is out of date: run PROV_UPDATE_CODES=1 cargo test -p prov-native-core --test codes"
    );
}

/// Every code the engine's sources spell is a [`Code`] (a string code outside the enum would
/// be a code no list documents).
#[test]
fn no_code_outside_the_enum() {
    let mut stray = Vec::new();
    let src = root().join("crates/core/src");
    let mut dirs = vec![src.clone(), root().join("src")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
                continue;
            }
            if p.ends_with("code.rs") || p.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            // Only the code before the file's unit tests.
            let text = text.split("#[cfg(test)]").next().unwrap_or_default();
            for (i, _) in text.match_indices("\"ERR_PROV_") {
                let s: String = text[i + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                    .collect();
                stray.push(format!("{}: {s}", p.display()));
            }
        }
    }
    assert!(
        stray.is_empty(),
        "codes spelled as strings, not Code: {stray:#?}"
    );
}
