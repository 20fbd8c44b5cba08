//! CycloneDX 1.6 JSON, shaped like `@cyclonedx/cyclonedx-npm`'s output.

use super::{hashes, purl, Bom, Options};
use crate::lockfile::Source;
use serde_json::{json, Map, Value};

fn prop(name: &str, value: &str) -> Value {
    json!({ "name": name, "value": value })
}

fn is_url(s: &str) -> bool {
    s.starts_with("https://") || s.starts_with("http://")
}

pub fn render(bom: &Bom, opts: &Options) -> Value {
    let mut components = Vec::new();
    for c in &bom.components {
        let p = c.pkg;
        let mut o = Map::new();
        o.insert("type".into(), json!("library"));
        o.insert("bom-ref".into(), json!(c.bom_ref));
        o.insert("name".into(), json!(p.name));
        o.insert("version".into(), json!(p.version));
        if p.dev || p.optional {
            o.insert("scope".into(), json!("optional"));
        }
        o.insert("purl".into(), json!(purl(p)));
        let h: Vec<Value> = hashes(p.integrity.as_deref())
            .into_iter()
            .map(|(alg, _, hex)| json!({ "alg": alg, "content": hex }))
            .collect();
        if !h.is_empty() {
            o.insert("hashes".into(), Value::Array(h.clone()));
        }
        if let Some(l) = &c.license {
            o.insert("licenses".into(), json!([{ "expression": l }]));
        }
        let mut refs = Vec::new();
        if let Some(r) = p.resolved.as_deref().filter(|r| is_url(r)) {
            let mut d = json!({ "type": "distribution", "url": r });
            if !h.is_empty() {
                d["hashes"] = Value::Array(h);
            }
            refs.push(d);
        }
        if let Source::Git { url } = &p.source {
            refs.push(json!({ "type": "vcs", "url": url }));
        }
        let mut props = Vec::new();
        if !c.path.is_empty() {
            props.push(prop("cdx:npm:package:path", &c.path));
        }
        if p.dev {
            props.push(prop("cdx:npm:package:development", "true"));
        }
        if p.bundled {
            props.push(prop("cdx:npm:package:bundled", "true"));
        }
        if let Some(a) = &p.alias {
            props.push(prop("prov-native:alias", a));
        }
        if let Some(e) = &c.evidence {
            for (k, v) in e.properties() {
                props.push(prop(&k, &v));
            }
            if let Some(u) = e.vcs_url() {
                refs.push(json!({ "type": "vcs", "url": u, "comment": "source repository at the commit the verified provenance names" }));
            }
            if let Some(u) = &e.build_run {
                refs.push(json!({ "type": "build-system", "url": u, "comment": "build run named by the verified provenance" }));
            }
            if let Some(u) = &e.attestation_url {
                refs.push(json!({ "type": "attestation", "url": u, "comment": "npm attestations (Sigstore bundles) verified by prov-native" }));
            }
        }
        if !refs.is_empty() {
            o.insert("externalReferences".into(), Value::Array(refs));
        }
        if !props.is_empty() {
            o.insert("properties".into(), Value::Array(props));
        }
        components.push(Value::Object(o));
    }
    let root_ref = bom.root.bom_ref();
    let mut root = json!({
        "type": "application",
        "bom-ref": root_ref,
        "name": bom.root.name,
        "version": bom.root.version,
    });
    if let Some(l) = &bom.root.license {
        root["licenses"] = json!([{ "expression": l }]);
    }
    let mut deps: Vec<Value> = Vec::new();
    if bom.graph_complete {
        let on = |v: &[(usize, &str)]| -> Vec<&str> {
            v.iter()
                .filter_map(|(t, _)| Some(bom.components.get(*t)?.bom_ref.as_str()))
                .collect()
        };
        deps.push(json!({ "ref": root_ref, "dependsOn": on(&bom.root_edges) }));
        for (c, v) in bom.components.iter().zip(&bom.edges) {
            deps.push(json!({ "ref": c.bom_ref, "dependsOn": on(v) }));
        }
    }
    let mut metadata = json!({
        "tools": { "components": [{
            "type": "application",
            "name": "prov-native",
            "version": env!("CARGO_PKG_VERSION"),
        }]},
        "component": root,
        "properties": [
            prop("prov-native:lockfile", &bom.lock.path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default()),
            prop("prov-native:lockfile-format", &bom.lock.format.to_string()),
            prop("prov-native:dependency-graph", if bom.graph_complete { "complete" } else { "not-recorded: this tree has no dependency edges; components only" }),
            prop("prov-native:evidence", if bom.components.iter().any(|c| c.evidence.is_some()) { "audit" } else { "none: no audit ran" }),
        ],
    });
    let mut doc = json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
    });
    if !opts.reproducible {
        doc["serialNumber"] = json!(super::uuid());
        metadata["timestamp"] = json!(super::now());
    }
    doc["version"] = json!(1);
    doc["metadata"] = metadata;
    doc["components"] = Value::Array(components);
    doc["dependencies"] = Value::Array(deps);
    doc
}
