//! SPDX 2.3 JSON, shaped like `npm sbom --sbom-format spdx`.

use super::{hashes, purl, Bom, Options};
use serde_json::{json, Value};
use sha2::Digest;
use std::collections::BTreeMap;

/// `SPDXRef-Package-<name>-<version>` with characters SPDX ids do not allow replaced.
fn spdx_id(name: &str, version: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    format!(
        "SPDXRef-Package-{}-{}",
        clean(name.trim_start_matches('@')),
        clean(version)
    )
}

/// An SPDX licence expression when the text looks like one, else `NOASSERTION`.
fn license(l: Option<&str>) -> String {
    match l {
        Some(l)
            if !l.is_empty()
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || " .+-():".contains(c)) =>
        {
            l.to_string()
        }
        _ => "NOASSERTION".into(),
    }
}

pub fn render(bom: &Bom, opts: &Options) -> Value {
    let tool = format!("Tool: prov-native-{}", env!("CARGO_PKG_VERSION"));
    let created = if opts.reproducible {
        "1970-01-01T00:00:00Z".to_string()
    } else {
        super::now()
    };
    let root_id = spdx_id(&bom.root.name, &bom.root.version);
    let mut ids: BTreeMap<&str, String> = BTreeMap::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    seen.insert(root_id.clone(), 1);
    let mut packages = vec![json!({
        "name": bom.root.name,
        "SPDXID": root_id,
        "versionInfo": bom.root.version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseDeclared": license(bom.root.license.as_deref()),
        "licenseConcluded": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": "APPLICATION",
        "externalRefs": [{
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": format!("pkg:npm/{}@{}", bom.root.name.replace('@', "%40"), bom.root.version),
        }],
    })];
    for c in &bom.components {
        let p = c.pkg;
        let base = spdx_id(&p.name, &p.version);
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        let id = if *n == 1 { base } else { format!("{base}-{n}") };
        ids.insert(c.bom_ref.as_str(), id.clone());
        let mut o = json!({
            "name": p.name,
            "SPDXID": id,
            "versionInfo": p.version,
            "packageFileName": c.path,
            "downloadLocation": p.resolved.clone().filter(|r| r.starts_with("http") || r.starts_with("git")).unwrap_or_else(|| "NOASSERTION".into()),
            "filesAnalyzed": false,
            "licenseDeclared": license(c.license.as_deref()),
            "licenseConcluded": "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "primaryPackagePurpose": "LIBRARY",
        });
        let sums: Vec<Value> = hashes(p.integrity.as_deref())
            .into_iter()
            .map(|(_, alg, hex)| json!({ "algorithm": alg, "checksumValue": hex }))
            .collect();
        if !sums.is_empty() {
            o["checksums"] = Value::Array(sums);
        }
        let mut refs = vec![json!({
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": purl(p),
        })];
        if let Some(e) = &c.evidence {
            for (t, u) in [
                ("vcs", e.vcs_url()),
                ("build-system", e.build_run.clone()),
                ("attestation", e.attestation_url.clone()),
            ] {
                if let Some(u) = u {
                    refs.push(json!({ "referenceCategory": "OTHER", "referenceType": format!("prov-native:{t}"), "referenceLocator": u }));
                }
            }
            if let (Some(r), Some(commit)) = (&e.source_repository, &e.source_commit) {
                o["sourceInfo"] = json!(format!(
                    "built from {r} at commit {commit} (verified SLSA provenance)"
                ));
            }
            let comment = e
                .properties()
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("\n");
            o["annotations"] = json!([{
                "annotationDate": created,
                "annotationType": "OTHER",
                "annotator": tool,
                "comment": comment,
            }]);
        }
        o["externalRefs"] = Value::Array(refs);
        packages.push(o);
    }
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relatedSpdxElement": root_id,
        "relationshipType": "DESCRIBES",
    })];
    let froms = std::iter::once((Some(&root_id), &bom.root_edges)).chain(
        bom.components
            .iter()
            .zip(&bom.edges)
            .map(|(c, v)| (ids.get(c.bom_ref.as_str()), v)),
    );
    for (from_id, tos) in froms {
        let Some(from_id) = from_id else { continue };
        for (to, kind) in tos {
            let Some(to_id) = bom
                .components
                .get(*to)
                .and_then(|c| ids.get(c.bom_ref.as_str()))
            else {
                continue;
            };
            relationships.push(match *kind {
                "dev" => json!({ "spdxElementId": to_id, "relatedSpdxElement": from_id, "relationshipType": "DEV_DEPENDENCY_OF" }),
                "optional" => json!({ "spdxElementId": to_id, "relatedSpdxElement": from_id, "relationshipType": "OPTIONAL_DEPENDENCY_OF" }),
                _ => json!({ "spdxElementId": from_id, "relatedSpdxElement": to_id, "relationshipType": "DEPENDS_ON" }),
            });
        }
    }
    let mut doc = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": format!("{}@{}", bom.root.name, bom.root.version),
        "documentNamespace": "",
        "creationInfo": { "created": created, "creators": [tool] },
        "documentDescribes": [root_id],
        "packages": packages,
        "relationships": relationships,
    });
    let ns = if opts.reproducible {
        let digest = sha2::Sha256::digest(doc.to_string().as_bytes());
        let mut b = [0u8; 16];
        b.copy_from_slice(&digest[..16]);
        super::uuid_from(b)
    } else {
        super::uuid()
    };
    doc["documentNamespace"] = json!(ns);
    doc
}
