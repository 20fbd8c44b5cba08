//! Every fixture in `testdata/fixtures` with a verdict reaches that verdict.
//! The fixtures are real public data (see their README); missing data fails the test.

use prov_native_core::config::trust::{self, TrustMaterial};
use prov_native_core::npm::integrity::{self, Algorithm};
use prov_native_core::sigstore::attestation::{self, Target};
use prov_native_core::sigstore::bundle::{self, VerifyOptions};
use prov_native_core::sigstore::registry_sig;
use serde_json::Value;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    let dir = std::env::var("PROV_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures")
        });
    assert!(
        dir.join("index.json").is_file(),
        "fixtures not found at {}",
        dir.display()
    );
    dir
}

fn read(p: &str) -> String {
    std::fs::read_to_string(fixtures().join(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn index() -> Value {
    serde_json::from_str(&read("index.json")).unwrap()
}

fn trust() -> TrustMaterial {
    TrustMaterial::load(&trust::Source::Default, &trust::Source::Default).unwrap()
}

fn split(pkg: &str) -> (String, String) {
    let at = pkg.rfind('@').unwrap();
    (pkg[..at].to_string(), pkg[at + 1..].to_string())
}

/// The target: sha512 of the tarball when there is one, else (one fixture) the subject's own.
fn target(idx: &Value, pkg: &str, entries: &[attestation::Entry]) -> Target {
    let (name, version) = split(pkg);
    let sha512 = match idx["tarballs"][pkg].as_str() {
        Some(p) => {
            let bytes = std::fs::read(fixtures().join(p)).unwrap();
            integrity::compute(&bytes, &[Algorithm::Sha512]).hashes[0]
                .digest
                .clone()
        }
        None => {
            let st = bundle::statement(&entries[0].bundle).unwrap().unwrap();
            hex::decode(&st.subjects[0].digest["sha512"]).unwrap()
        }
    };
    Target {
        name,
        version,
        sha512,
    }
}

fn entries_of(file: &str) -> Result<Vec<attestation::Entry>, prov_native_core::Error> {
    let docs = bundle::json_documents(&read(file), file)?;
    attestation::entries(docs)
}

#[test]
fn every_bundle_fixture_reaches_its_verdict() {
    let idx = index();
    let t = trust();
    let mut counted = (0, 0, 0);
    for f in idx["files"].as_array().unwrap() {
        let file = f["file"].as_str().unwrap();
        let kind = f["kind"].as_str().unwrap();
        let expect = f["expect"].as_str().unwrap();
        let pkg = f["package"].as_str().unwrap();
        match kind {
            "attestations-response" | "bundle" | "bundle-jsonl" if expect == "VALID" => {
                let entries = entries_of(file).unwrap();
                let tg = target(&idx, pkg, &entries);
                for e in &entries {
                    let (k, r) = attestation::verify_one(e, &tg, &t);
                    assert!(k.is_some(), "{file}: unknown kind");
                    if let Err(err) = r {
                        panic!("{file}: expected VALID, got {} {err}", err.code());
                    }
                }
                counted.0 += 1;
            }
            "bundle" => {
                // Generic-valid, npm-invalid: signed by a person's certificate.
                let entries = entries_of(file).unwrap();
                let tg = target(&idx, pkg, &entries);
                let pb = bundle::parse_value(entries[0].bundle.clone()).unwrap();
                let opts = VerifyOptions {
                    digest: Some((Algorithm::Sha512, tg.sha512.clone())),
                    ..Default::default()
                };
                let facts = bundle::verify(&pb, &opts, &t)
                    .unwrap_or_else(|e| panic!("{file}: generic verify failed: {e}"));
                assert_eq!(facts.signer_kind, "certificate");
                let (_, r) = attestation::verify_one(&entries[0], &tg, &t);
                let err = r.expect_err(file);
                assert_eq!(err.code(), "ERR_PROV_CERTIFICATE", "{file}: {err}");
                counted.2 += 1;
            }
            "negative-attestations-response" | "negative-bundle" => {
                let failed = match entries_of(file) {
                    Err(e) => {
                        assert!(e.code() != prov_native_core::Code::Internal);
                        true
                    }
                    Ok(entries) => {
                        let tg = target(&idx, pkg, &entries);
                        entries
                            .iter()
                            .any(|e| attestation::verify_one(e, &tg, &t).1.is_err())
                    }
                };
                assert!(
                    failed,
                    "{file}: expected {expect}, every attestation verified"
                );
                counted.1 += 1;
            }
            _ => {}
        }
    }
    // 16 package versions in 22 valid files, 38 negatives, 9 non-npm signers.
    assert_eq!(counted, (22, 38, 9), "fixture counts changed");
}

#[test]
fn registry_signature_tuples() {
    let t = trust();
    let list: Value = serde_json::from_str(&read("packuments/registry-signatures.json")).unwrap();
    let mut n = 0;
    for e in list.as_array().unwrap() {
        let s = |k: &str| e[k].as_str().unwrap().to_string();
        let sig = registry_sig::Signature {
            keyid: s("keyid"),
            sig: s("sig"),
        };
        let r = registry_sig::verify(
            &s("name"),
            &s("version"),
            &s("integrity"),
            &[sig],
            &t.npm_keys,
            None,
        );
        // No publish time in the tuples: judge the signature, not the key window.
        let ok = match r {
            Ok(_) => true,
            Err(e) if e.code() == "ERR_PROV_KEY_EXPIRED" => true,
            Err(_) => false,
        };
        assert_eq!(ok, e["expect"] == "valid", "{}@{}", s("name"), s("version"));
        n += 1;
    }
    assert_eq!(n, 85);
}

#[test]
fn packument_signatures_verify_at_publish_time() {
    let t = trust();
    for p in [
        "packuments/has-package-exports.full.json",
        "packuments/has-package-exports.corgi.json",
        "packuments/ljharb__has-package-exports-patterns.full.json",
        "packuments/abbrev.full.json",
        "packuments/abbrev.corgi.json",
    ] {
        let doc: Value = serde_json::from_str(&read(p)).unwrap();
        let mut n = 0;
        for (v, m) in doc["versions"].as_object().unwrap() {
            let sigs = registry_sig::signatures(m).unwrap();
            if sigs.is_empty() {
                continue;
            }
            let published = doc["time"][v].as_str().map(|s| s.parse().unwrap());
            let integrity = m["dist"]["integrity"].as_str().unwrap();
            let name = doc["name"].as_str().unwrap();
            let r = registry_sig::verify(name, v, integrity, &sigs, &t.npm_keys, published);
            match (r, published) {
                (Ok(_), _) => {}
                (Err(e), None) if e.code() == "ERR_PROV_KEY_EXPIRED" => {}
                (Err(e), _) => panic!("{p} {v}: {e}"),
            }
            n += 1;
        }
        assert!(n >= 3, "{p}: only {n} signed versions");
    }
}

/// Issue 10, section 4: one field of a real bundle changes, and exactly that is refused.
#[test]
fn strictness_one_field_at_a_time() {
    let t = trust();
    let bundle = |p: &str| -> Value { serde_json::from_str(&read(p)).unwrap() };
    let sha512 = |p: &str| {
        let bytes = std::fs::read(fixtures().join(p)).unwrap();
        integrity::compute(&bytes, &[Algorithm::Sha512]).hashes[0]
            .digest
            .clone()
    };
    let d220 = sha512("tarballs/sigstore-2.2.0.tgz");
    let by_digest = |d: &[u8]| VerifyOptions {
        digest: Some((Algorithm::Sha512, d.to_vec())),
        ..Default::default()
    };
    let code = |v: Value, opts: &VerifyOptions| -> String {
        match bundle::parse_value(v).and_then(|pb| bundle::verify(&pb, opts, &t)) {
            Ok(_) => "verified".into(),
            Err(e) => e.code().to_string(),
        }
    };
    let v02 = bundle("bundles/sigstore-2.2.0.provenance.bundle-v0.2.json");
    let v03 = bundle("bundles/sigstore-2.2.0.provenance.bundle-v0.3.json");
    assert_eq!(code(v02.clone(), &by_digest(&d220)), "verified");
    assert_eq!(code(v03.clone(), &by_digest(&d220)), "verified");

    // 1. treeSize + 1..7.
    for k in 1..=7u64 {
        let mut b = v02.clone();
        let p = &mut b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["treeSize"];
        *p = Value::String((p.as_str().unwrap().parse::<u64>().unwrap() + k).to_string());
        assert_eq!(
            code(b, &by_digest(&d220)),
            "ERR_PROV_TLOG_INCLUSION",
            "+{k}"
        );
    }
    // 2. Unsigned text after the signature lines.
    let mut b = v02.clone();
    let env = &mut b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]
        ["envelope"];
    *env = Value::String(format!("{}unsigned\n", env.as_str().unwrap()));
    assert_eq!(code(b, &by_digest(&d220)), "ERR_PROV_TLOG_CHECKPOINT");
    // 3. A v0.3 bundle relabelled v0.1 (its `certificate` is not a v0.1 field), with and
    //    without its inclusion proof; a v0.2 bundle relabelled v0.3.
    for drop_proof in [false, true] {
        let mut b = v03.clone();
        b["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.1".into();
        if drop_proof {
            b["verificationMaterial"]["tlogEntries"][0]
                .as_object_mut()
                .unwrap()
                .remove("inclusionProof");
        }
        assert_eq!(code(b, &by_digest(&d220)), "ERR_PROV_BUNDLE_PARSE");
    }
    let mut b = v02.clone();
    b["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.3".into();
    assert_eq!(code(b, &by_digest(&d220)), "ERR_PROV_BUNDLE_PARSE");
    let mut b = v02.clone();
    b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"] = Value::Null;
    assert_eq!(code(b, &by_digest(&d220)), "ERR_PROV_TLOG_MISSING");
    // 4. The artifact and a digest that contradicts it.
    let tgz = std::fs::read(fixtures().join("tarballs/sigstore-2.2.0.tgz")).unwrap();
    let both = |d: Vec<u8>| VerifyOptions {
        artifact: Some(tgz.clone()),
        digest: Some((Algorithm::Sha512, d)),
        ..Default::default()
    };
    assert_eq!(code(v03.clone(), &both(d220.clone())), "verified");
    assert_eq!(
        code(v03.clone(), &both(sha512("tarballs/sigstore-2.1.0.tgz"))),
        "ERR_PROV_INTEGRITY"
    );
    // 5. The attestation wrapper's predicateType: null, a number, missing.
    let file = "attestations/sigstore-2.3.1.json";
    let idx = index();
    for bad in [Value::Null, Value::from(42), Value::String("absent".into())] {
        let mut doc: Value = serde_json::from_str(&read(file)).unwrap();
        let a = &mut doc["attestations"][0];
        if bad == "absent" {
            a.as_object_mut().unwrap().remove("predicateType");
        } else {
            a["predicateType"] = bad.clone();
        }
        let entries = attestation::entries(vec![doc]).unwrap();
        let tg = target(&idx, "sigstore@2.3.1", &entries);
        let err = attestation::verify_one(&entries[0], &tg, &t)
            .1
            .expect_err("a wrapper predicateType that is not the statement's");
        assert_eq!(err.code(), "ERR_PROV_PREDICATE_TYPE", "{bad}: {err}");
        assert!(attestation::verify_one(&entries[1], &tg, &t).1.is_ok());
    }
}
